/*-------------------------------------------------------------------------
 * inventory.c
 *    The nights of one room type: lock them in ascending night order,
 *    check that every night has the units, move units between free, held
 *    and booked, and expire the dead holds that stand in the way.
 *
 * Lock order, which is what keeps every path deadlock-free:
 *  - reservation rows (confirm, cancel, the sweeper, and reserve_range when
 *    it knows dead holds lie on its nights) are locked before any
 *    inventory row;
 *  - inventory rows are always locked in ascending (property_id,
 *    room_type, night) order, and a transaction that holds inventory rows
 *    never waits for a reservation row or for a night below its own: those
 *    it can only take with SKIP LOCKED.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "booking.h"

/* The nights of [$3, $4), locked in order; night, free units, price. */
static BookingPlan lock_nights_plan = {
	"SELECT night, units - held - booked, price"
	"  FROM booking.inventory"
	" WHERE property_id = $1 AND room_type = $2 AND night >= $3 AND night < $4"
	" ORDER BY night FOR UPDATE",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
};

/*
 * Adds $5 to held and $6 to booked on [$3, $4): nights this transaction
 * has already locked (bk_lock_nights), so the UPDATE waits for nothing.
 */
static BookingPlan change_locked_nights_plan = {
	"UPDATE booking.inventory SET held = held + $5, booked = booked + $6"
	" WHERE property_id = $1 AND room_type = $2 AND night >= $3 AND night < $4",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID}
};

/* Adds $5 to held and $6 to booked on [$3, $4), locking in night order. */
static BookingPlan change_nights_plan = {
	"UPDATE booking.inventory i"
	"   SET held = i.held + $5, booked = i.booked + $6"
	"  FROM (SELECT night FROM booking.inventory"
	"         WHERE property_id = $1 AND room_type = $2 AND night >= $3 AND night < $4"
	"         ORDER BY night FOR UPDATE) l"
	" WHERE i.property_id = $1 AND i.room_type = $2 AND i.night = l.night",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID}
};

#define DEAD_HOLDS_SQL \
	"SELECT reservation_id, check_in, check_out" \
	"  FROM booking.reservation" \
	" WHERE property_id = $1 AND room_type = $2" \
	"   AND state = ANY (" BK_LIVE_HOLD_STATES ") AND hold_expires_at <= $5" \
	"   AND check_in < $4 AND check_out > $3" \
	" ORDER BY reservation_id FOR UPDATE"

/* Dead holds overlapping [$3, $4), locked without waiting. */
static BookingPlan dead_holds_plan = {
	DEAD_HOLDS_SQL " SKIP LOCKED",
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

/* Dead holds overlapping [$3, $4), locked, waiting for whoever has them. */
static BookingPlan dead_holds_wait_plan = {
	DEAD_HOLDS_SQL,
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

/* Locks the nights of [$3, $4) outside [$5, $6) without waiting; how many. */
static BookingPlan lock_outside_nights_plan = {
	"SELECT pg_catalog.count(*)::int FROM ("
	"  SELECT 1 FROM booking.inventory"
	"   WHERE property_id = $1 AND room_type = $2 AND night >= $3 AND night < $4"
	"     AND (night < $5 OR night >= $6)"
	"   ORDER BY night FOR UPDATE SKIP LOCKED) s",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, DATEOID, DATEOID}
};

static void change_nights(int64 property_id, const char *room_type,
						  DateADT check_in, DateADT check_out, int32 rooms,
						  BkNightsChange change, bool locked);

/*
 * nights_what describes a range of nights for lock-timeout messages.
 */
static char *
nights_what(int64 property_id, const char *room_type, DateADT first, DateADT end)
{
	return psprintf("the nights of room type \"%s\" at property %lld",
					room_type, (long long) property_id);
}

/*
 * bk_lock_nights locks the inventory rows of [first, end) in night order
 * and leaves them in SPI_tuptable as (night, free units, price).
 */
void
bk_lock_nights(int64 property_id, const char *room_type, DateADT first, DateADT end)
{
	Datum		args[4];

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(first);
	args[3] = DateADTGetDatum(end);
	bk_exec_locking(&lock_nights_plan, args, NULL, 0,
					nights_what(property_id, room_type, first, end));
}

/*
 * find_shortage looks at the rows bk_lock_nights left and reports the
 * first night of [check_in, check_out) that is missing or has fewer than
 * `rooms` free units.  Returns false when every night has them.
 */
static bool
find_shortage(DateADT check_in, DateADT check_out, int32 rooms, BkShortage *shortage)
{
	uint64		nrows = SPI_processed;
	DateADT		expected = check_in;

	for (uint64 row = 0; row < nrows; row++, expected++)
	{
		DateADT		night = DatumGetDateADT(bk_get_notnull(row, 1));
		int32		available = bk_get_int32(row, 2);

		if (night != expected)
		{
			shortage->night = expected;
			shortage->available = 0;
			shortage->missing = true;
			return true;
		}
		if (available < rooms)
		{
			shortage->night = night;
			shortage->available = available;
			shortage->missing = false;
			return true;
		}
	}
	if (expected < check_out)
	{
		shortage->night = expected;
		shortage->available = 0;
		shortage->missing = true;
		return true;
	}
	return false;
}

/*
 * expire_dead_holds expires the holds past their deadline that overlap
 * [check_in, check_out), whose nights the caller has locked.  A dead hold
 * someone else has locked (being confirmed, cancelled or swept) is left to
 * them, and so is one whose nights outside ours cannot be locked at once:
 * waiting for either could deadlock.  Returns how many holds it expired.
 */
static int
expire_dead_holds(int64 property_id, const char *room_type,
				  DateADT check_in, DateADT check_out)
{
	Datum		args[6];
	uint64		nholds;
	int64	   *ids;
	DateADT    *hold_in;
	DateADT    *hold_out;
	Datum	   *expirable;
	int			nexpirable = 0;

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = TimestampTzGetDatum(bk_now());
	bk_exec(&dead_holds_plan, args, NULL, 0);
	nholds = SPI_processed;
	if (nholds == 0)
		return 0;

	ids = palloc(sizeof(int64) * nholds);
	hold_in = palloc(sizeof(DateADT) * nholds);
	hold_out = palloc(sizeof(DateADT) * nholds);
	for (uint64 i = 0; i < nholds; i++)
	{
		ids[i] = bk_get_int64(i, 1);
		hold_in[i] = DatumGetDateADT(bk_get_notnull(i, 2));
		hold_out[i] = DatumGetDateADT(bk_get_notnull(i, 3));
	}

	expirable = palloc(sizeof(Datum) * nholds);
	for (uint64 i = 0; i < nholds; i++)
	{
		int32		outside = 0;

		if (hold_in[i] < check_in)
			outside += Min(hold_out[i], check_in) - hold_in[i];
		if (hold_out[i] > check_out)
			outside += hold_out[i] - Max(hold_in[i], check_out);
		if (outside > 0)
		{
			args[2] = DateADTGetDatum(hold_in[i]);
			args[3] = DateADTGetDatum(hold_out[i]);
			args[4] = DateADTGetDatum(check_in);
			args[5] = DateADTGetDatum(check_out);
			bk_exec(&lock_outside_nights_plan, args, NULL, 1);
			if (bk_get_int32(0, 1) != outside)
				continue;
		}
		expirable[nexpirable++] = Int64GetDatum(ids[i]);
	}
	if (nexpirable == 0)
		return 0;

	return bk_expire_reservations(PointerGetDatum(construct_array(expirable, nexpirable, INT8OID,
																  sizeof(int64), FLOAT8PASSBYVAL,
																  TYPALIGN_DOUBLE)));
}

/*
 * expire_dead_holds_first is reserve_range's way to clear dead holds it
 * knows of before it holds any night: lock them (waiting for a confirm,
 * cancel or sweeper that has one: its outcome decides whether the units
 * come back), then every night any of them or the stay covers, in order,
 * and expire those still dead.  Waiting here is safe because it follows
 * the global order: reservations, then nights ascending.
 */
static void
expire_dead_holds_first(int64 property_id, const char *room_type,
						DateADT check_in, DateADT check_out)
{
	Datum		args[5];
	uint64		nholds;
	int64	   *ids;
	DateADT		first = check_in;
	DateADT		end = check_out;

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = TimestampTzGetDatum(bk_now());
	bk_exec_locking(&dead_holds_wait_plan, args, NULL, 0,
					psprintf("the expired holds on room type \"%s\" at property %lld",
							 room_type, (long long) property_id));
	nholds = SPI_processed;
	if (nholds == 0)
		return;

	ids = palloc(sizeof(int64) * nholds);
	for (uint64 i = 0; i < nholds; i++)
	{
		ids[i] = bk_get_int64(i, 1);
		first = Min(first, DatumGetDateADT(bk_get_notnull(i, 2)));
		end = Max(end, DatumGetDateADT(bk_get_notnull(i, 3)));
	}
	bk_lock_nights(property_id, room_type, first, end);
	(void) bk_expire_reservations(bk_int8_array(ids, (int) nholds));
}

/*
 * total_of returns rooms * the sum of the prices of the locked nights.
 */
static Numeric
total_of(int32 rooms)
{
	Datum		sum = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));

	for (uint64 row = 0; row < SPI_processed; row++)
		sum = DirectFunctionCall2(numeric_add, sum, bk_get_notnull(row, 3));
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, sum,
											   DirectFunctionCall1(int4_numeric,
																   Int32GetDatum(rooms))));
}

/*
 * bk_acquire_nights takes `rooms` units on every night of [check_in,
 * check_out), as held (BK_HOLD) or booked (BK_BOOK), all or nothing.
 *
 * When the caller holds no reservation lock and knows dead holds overlap
 * the stay (clear_dead_holds), they are expired first, waiting for them as
 * the lock order allows.  Then the nights are locked in order in one pass;
 * if one is short and a hold that died meanwhile covers it, that hold is
 * expired if it can be without waiting, and the nights counted again.  On
 * success it returns true with the stay's price in *total_price; when some
 * night still lacks the units it returns false with the first such night
 * in *shortage, having taken none.
 */
bool
bk_acquire_nights(int64 property_id, const char *room_type,
				  DateADT check_in, DateADT check_out, int32 rooms,
				  BkNightsChange change, bool clear_dead_holds,
				  Numeric *total_price, BkShortage *shortage)
{
	Assert(change == BK_HOLD || change == BK_BOOK);

	if (clear_dead_holds)
		expire_dead_holds_first(property_id, room_type, check_in, check_out);
	bk_lock_nights(property_id, room_type, check_in, check_out);
	if (find_shortage(check_in, check_out, rooms, shortage))
	{
		if (shortage->missing ||
			expire_dead_holds(property_id, room_type, check_in, check_out) == 0)
			return false;
		bk_lock_nights(property_id, room_type, check_in, check_out);
		if (find_shortage(check_in, check_out, rooms, shortage))
			return false;
	}
	*total_price = total_of(rooms);
	change_nights(property_id, room_type, check_in, check_out, rooms, change, true);
	return true;
}

/*
 * change_nights applies one movement of `rooms` units to every night of
 * [check_in, check_out), locking them in night order unless `locked` says
 * this transaction holds them already, and records it in the room
 * calendar.  Every night must exist; the CHECK constraints on
 * booking.inventory refuse any result that would oversell or go negative.
 */
static void
change_nights(int64 property_id, const char *room_type,
			  DateADT check_in, DateADT check_out, int32 rooms,
			  BkNightsChange change, bool locked)
{
	Datum		args[6];
	int32		held_delta = 0;
	int32		booked_delta = 0;

	switch (change)
	{
		case BK_HOLD:
			held_delta = rooms;
			break;
		case BK_UNHOLD:
			held_delta = -rooms;
			break;
		case BK_BOOK_HELD:
			held_delta = -rooms;
			booked_delta = rooms;
			break;
		case BK_BOOK:
			booked_delta = rooms;
			break;
		case BK_UNBOOK:
			booked_delta = -rooms;
			break;
	}

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = Int32GetDatum(held_delta);
	args[5] = Int32GetDatum(booked_delta);
	if (locked)
		bk_exec(&change_locked_nights_plan, args, NULL, 0);
	else
		bk_exec_locking(&change_nights_plan, args, NULL, 0,
						nights_what(property_id, room_type, check_in, check_out));
	if (SPI_processed == (uint64) (check_out - check_in))
		bk_calendar_shift(property_id, room_type, check_in, check_out,
						  -(held_delta + booked_delta));
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("inventory of room type \"%s\" at property %lld is missing nights between %s and %s",
						room_type, (long long) property_id,
						bk_date_str(check_in), bk_date_str(check_out - 1)),
				 errdetail("%llu of %d nights were found.",
						   (unsigned long long) SPI_processed, (int) (check_out - check_in)),
				 errhint("Run booking.check_invariants(); inventory rows of reserved nights must not be deleted.")));
}

/*
 * bk_change_nights applies one movement of units to nights the caller has
 * not locked yet (confirm, cancel): see change_nights.
 */
void
bk_change_nights(int64 property_id, const char *room_type,
				 DateADT check_in, DateADT check_out, int32 rooms,
				 BkNightsChange change)
{
	change_nights(property_id, room_type, check_in, check_out, rooms, change, false);
}

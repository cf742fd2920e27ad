/*-------------------------------------------------------------------------
 * block.c
 *    Group blocks (allotments, 2.0): create_block sets rooms aside on
 *    every night of a block (inventory.blocked), reserve_range(...,
 *    block => code) picks them up, release_block puts what is not picked
 *    up back on public sale, and the cancel, expiry and stay paths give a
 *    pickup's nights back to its block while the block night is live, to
 *    public sale once it is released.  The sweeper's releases at the
 *    cutoff are in block_release.c.
 *
 * The rows: booking.room_block (one per block) and booking.block_night
 * (one per night: rooms set aside, picked = the rooms of its live
 * pickups, held and booked, release_due, released).  inventory.blocked of
 * a night is the sum over its unreleased block nights of rooms - picked;
 * check_invariants() recounts both.
 *
 * Lock order (inventory.c): reservation rows, then the inventory nights
 * of the room type ascending, then the block rows (room_block, then
 * block_night ascending), which are derived per-night rows.  The
 * inventory is read and written through the direct layer (inventory.c);
 * the block rows, which only blocks' own paths touch, through SPI.  The
 * plain path (no block) asks nothing of this file.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "booking.h"

/* The longest rolling release: ten years before a night */
#define BK_MAX_RELEASE_DAYS	3660

PG_FUNCTION_INFO_V1(booking_create_block);
PG_FUNCTION_INFO_V1(booking_release_block);

/* The head of a block */
static BookingPlan block_head_plan = {
	"SELECT room_type, first_night, end_night, rooms, released_at IS NOT NULL"
	"  FROM booking.room_block"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}
};

static BookingPlan lock_block_head_plan = {
	"SELECT room_type, first_night, end_night, rooms, released_at IS NOT NULL"
	"  FROM booking.room_block"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	" FOR UPDATE",
	2, {INT8OID, TEXTOID}
};

/* The block nights of [$3, $4), locked in night order */
static BookingPlan lock_block_nights_plan = {
	"SELECT night, rooms, picked, released"
	"  FROM booking.block_night"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4"
	" ORDER BY night FOR UPDATE",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
};

static BookingPlan add_picked_plan = {
	"UPDATE booking.block_night SET picked = picked OPERATOR(pg_catalog.+) $5"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4",
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID}
};

static BookingPlan property_zone_plan = {
	"SELECT time_zone FROM booking.property WHERE property_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

static BookingPlan insert_head_plan = {
	"INSERT INTO booking.room_block (property_id, code, room_type, first_night, end_night, rooms,"
	"                                release_days, release_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	8, {INT8OID, TEXTOID, TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID, TIMESTAMPTZOID}
};

/*
 * A night's release_due: release_at, or the start of the local day of
 * night - release_days ($9, by night from $4: release_due_of); NULL: by
 * hand only.
 */
static BookingPlan insert_nights_plan = {
	"INSERT INTO booking.block_night (property_id, code, night, room_type, rooms, release_due)"
	" SELECT $1, $2, n, $3, $6,"
	"        CASE WHEN $8 IS NOT NULL THEN $8"
	"             WHEN $7 IS NOT NULL THEN $9[(n OPERATOR(pg_catalog.-) $4) OPERATOR(pg_catalog.+) 1] END"
	"   FROM pg_catalog.generate_series($4::timestamp,"
	"                                   ($5 OPERATOR(pg_catalog.-) 1)::timestamp, interval '1 day') g,"
	"        LATERAL (SELECT g::date AS n) d",
	9, {INT8OID, TEXTOID, TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZARRAYOID}
};

/*
 * release_due_of returns, for each night of [first, end), when a block
 * released `release_days` before it is due: the start of the local day
 * (bk_local_day_start) of night - release_days in the property's zone.
 */
static Datum
release_due_of(DateADT first, DateADT end, int32 release_days, const char *zone)
{
	int			n = end - first;
	Datum	   *due = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		due[i] = TimestampTzGetDatum(bk_local_day_start(first + i - release_days, zone));
	return PointerGetDatum(construct_array(due, n, TIMESTAMPTZOID, sizeof(TimestampTz),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static BookingPlan resize_head_plan = {
	"UPDATE booking.room_block SET rooms = $3"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	3, {INT8OID, TEXTOID, INT4OID}
};

static BookingPlan resize_nights_plan = {
	"UPDATE booking.block_night SET rooms = $3"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	3, {INT8OID, TEXTOID, INT4OID}
};

static BookingPlan release_nights_plan = {
	"UPDATE booking.block_night SET released = true"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	"   AND NOT released",
	2, {INT8OID, TEXTOID}
};

static BookingPlan release_head_plan = {
	"UPDATE booking.room_block SET released_at = pg_catalog.now()"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	"   AND released_at IS NULL",
	2, {INT8OID, TEXTOID}
};

/* A block night as locked */
typedef struct BlockNight
{
	DateADT		night;
	int32		rooms;
	int32		picked;
	bool		released;
} BlockNight;

/*
 * lock_block_nights locks the block nights of [first, end) in night order
 * (inside SPI) and copies them out; returns how many there are.
 */
static int
lock_block_nights(int64 property_id, const char *code, DateADT first, DateADT end,
				  BlockNight **out)
{
	Datum		args[4];
	BlockNight *nights;
	int			n;

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(code);
	args[2] = DateADTGetDatum(first);
	args[3] = DateADTGetDatum(end);
	bk_exec_locking(&lock_block_nights_plan, args, NULL, 0,
					psprintf("the nights of block \"%s\" at property %lld", code,
							 (long long) property_id));
	n = (int) SPI_processed;
	nights = palloc(sizeof(BlockNight) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		nights[i].night = DatumGetDateADT(bk_get_notnull(i, 1));
		nights[i].rooms = bk_get_int32(i, 2);
		nights[i].picked = bk_get_int32(i, 3);
		nights[i].released = DatumGetBool(bk_get_notnull(i, 4));
	}
	*out = nights;
	return n;
}

static void
add_picked(int64 property_id, const char *code, DateADT first, DateADT end, int32 delta)
{
	Datum		args[5];

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(code);
	args[2] = DateADTGetDatum(first);
	args[3] = DateADTGetDatum(end);
	args[4] = Int32GetDatum(delta);
	bk_exec(&add_picked_plan, args, NULL, 0);
}

static void
report_no_block(int64 property_id, const char *code)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("block \"%s\" not found", code),
			 errdetail("Property %lld has no block \"%s\".", (long long) property_id, code),
			 errhint("Create it with booking.create_block, or check the code.")));
}

/*
 * bk_schema_has_blocks says whether the schema has blocks (version 2.0
 * on: booking.block_night).
 */
bool
bk_schema_has_blocks(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) && OidIsValid(get_relname_relid("block_night", namespace));
}

/*
 * bk_reservation_block returns the block reservation *r was picked up
 * from, or NULL: public (or a schema before 2.0's blocks).  Read from the
 * locked row, no query.
 */
char *
bk_reservation_block(BkDirect *d, const BkReservation *r)
{
	bool		isnull;
	Datum		value;

	if (!bk_has_column(BK_RESERVATION_BLOCK))
		return NULL;
	value = heap_getattr(r->tuple, bk_column(BK_RESERVATION_BLOCK),
						 RelationGetDescr(bk_direct_relation(d, BK_RESERVATION)), &isnull);
	return isnull ? NULL : TextDatumGetCString(value);
}

/*
 * bk_block_check_pickup checks, before any lock, that block `code` exists
 * at the stay's property (BK005), is of the stay's room type and covers
 * its nights (22023).  Opens its own SPI connection.
 */
void
bk_block_check_pickup(const BkStayRequest *stay, const char *code)
{
	Datum		args[2];
	char	   *room_type;
	DateADT		first;
	DateADT		end;

	bk_connect();
	if (!bk_schema_has_blocks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("blocks need the extension at version 2.0"),
				 errhint("ALTER EXTENSION booking UPDATE.")));
	args[0] = Int64GetDatum(stay->property_id);
	args[1] = CStringGetTextDatum(code);
	bk_exec(&block_head_plan, args, NULL, 1);
	if (SPI_processed == 0)
		report_no_block(stay->property_id, code);
	room_type = TextDatumGetCString(bk_get_notnull(0, 1));
	first = DatumGetDateADT(bk_get_notnull(0, 2));
	end = DatumGetDateADT(bk_get_notnull(0, 3));
	if (strcmp(room_type, stay->room_type) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("block \"%s\" is of room type \"%s\", not \"%s\"", code, room_type,
						stay->room_type),
				 errdetail("Property %lld.", (long long) stay->property_id),
				 errhint("Pick up rooms of the block's room type.")));
	if (stay->check_in < first || stay->check_out > end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("block \"%s\" does not cover the stay", code),
				 errdetail("The block covers the nights %s to %s; the stay is %s to %s.",
						   bk_date_str(first), bk_date_str(end),
						   bk_date_str(stay->check_in), bk_date_str(stay->check_out)),
				 errhint("Book the nights outside the block without it.")));
	bk_finish();
}

/*
 * bk_block_take picks `rooms` up from block `code` on every night of the
 * stay, whose inventory nights the caller has locked: the block nights are
 * locked (after them, in the global order), each must not be released
 * (BK003) and must have rooms - picked >= rooms (BK001); picked +=
 * rooms.  The caller then moves the units (bk_block_nights_take).
 */
void
bk_block_take(const BkStayRequest *stay, const char *code)
{
	BlockNight *nights;
	int			n;

	bk_connect();
	n = lock_block_nights(stay->property_id, code, stay->check_in, stay->check_out, &nights);
	if (n != stay->check_out - stay->check_in)
		report_no_block(stay->property_id, code);	/* deleted meanwhile */
	for (int i = 0; i < n; i++)
	{
		if (nights[i].released)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
					 errmsg("block \"%s\" is released on night %s", code,
							bk_date_str(nights[i].night)),
					 errdetail("Property %lld, room type \"%s\": the rooms of the block not picked up went back on sale.",
							   (long long) stay->property_id, stay->room_type),
					 errhint("Book without the block.")));
		if (nights[i].rooms - nights[i].picked < stay->rooms)
		{
			bk_stat_add(BK_STAT_RESERVE_CONFLICTS, 1);
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
					 errmsg("no availability in block \"%s\": %d room(s) requested, %d left on one night",
							code, stay->rooms, nights[i].rooms - nights[i].picked),
					 errdetail("Property %lld, room type \"%s\", night %s: the block has %d room(s), %d picked up.",
							   (long long) stay->property_id, stay->room_type,
							   bk_date_str(nights[i].night), nights[i].rooms, nights[i].picked),
					 errhint("Pick up fewer rooms, grow the block with booking.create_block, or book without the block.")));
		}
	}
	add_picked(stay->property_id, code, stay->check_in, stay->check_out, stay->rooms);
	bk_finish();
}

/*
 * bk_block_nights_take moves `rooms` from blocked to held on every locked
 * night of a pickup: public free units do not change.
 */
void
bk_block_nights_take(BkDirect *d, BkNights *nights, int32 rooms)
{
	for (int i = 0; i < nights->n; i++)
		bk_night_change_blocked(d, &nights->nights[i], rooms, 0, -rooms);
}

/*
 * bk_block_unpick gives back `rooms` of a pickup of block `code` on the
 * nights [first, end): the block nights are locked, picked -= rooms, and
 * to_block[night - first] says, per night, whether the units go back to
 * the block (its night not released) or on public sale (released).  The
 * caller moves the units.  Opens its own SPI connection.
 */
void
bk_block_unpick(int64 property_id, const char *code, DateADT first, DateADT end,
				int32 rooms, bool *to_block)
{
	BlockNight *nights;
	int			n;

	for (DateADT day = first; day < end; day++)
		to_block[day - first] = false;
	if (first >= end)
		return;
	bk_connect();
	n = lock_block_nights(property_id, code, first, end, &nights);
	for (int i = 0; i < n; i++)
		to_block[nights[i].night - first] = !nights[i].released;
	add_picked(property_id, code, first, end, -rooms);
	bk_finish();
}

/*
 * bk_block_public_range finds the nights of [first, end) that bk_block_unpick
 * put on public sale: [*pub_first, *pub_end), empty when none.  A block is
 * released from its first night on (rolling release) or all at once, so
 * they are one run; returns false if they are not (then the caller
 * refreshes the calendar of [first, end) itself).
 */
bool
bk_block_public_range(const bool *to_block, DateADT first, DateADT end,
					  DateADT *pub_first, DateADT *pub_end)
{
	DateADT		a = end;
	DateADT		b = end;

	for (DateADT day = first; day < end; day++)
		if (!to_block[day - first])
		{
			a = day;
			break;
		}
	for (DateADT day = a; day < end; day++)
		if (to_block[day - first])
		{
			b = day;
			break;
		}
	*pub_first = a;
	*pub_end = b;
	for (DateADT day = b; day < end; day++)
		if (!to_block[day - first])
		{
			*pub_first = *pub_end = end;
			return false;
		}
	return true;
}

/*
 * bk_block_give_back gives back the units a pickup of block `code` held
 * (held_delta) or booked (booked_delta, both <= 0) on the locked nights
 * (every night of [first, end), in order): per night, back to the block
 * while its block night is live, on public sale once released.  The
 * nights freed on public sale are [*pub_first, *pub_end) for the event;
 * when they are not one run, the room calendar of [first, end) is
 * refreshed here and the range is empty.
 */
void
bk_block_give_back(BkDirect *d, int64 property_id, const char *room_type, const char *code,
				   BkNights *nights, DateADT first, DateADT end,
				   int32 held_delta, int32 booked_delta,
				   DateADT *pub_first, DateADT *pub_end)
{
	int32		rooms = -(held_delta + booked_delta);
	bool	   *to_block = palloc(sizeof(bool) * Max(end - first, 1));
	bool		one_run;

	bk_block_unpick(property_id, code, first, end, rooms, to_block);
	for (int i = 0; i < nights->n; i++)
	{
		BkNight    *night = &nights->nights[i];

		if (to_block[night->night - first])
			bk_night_change_blocked(d, night, held_delta, booked_delta, rooms);
		else					/* freed on public sale: the caller offers them to the waitlist */
			bk_night_change(d, night, held_delta, booked_delta);
	}
	one_run = bk_block_public_range(to_block, first, end, pub_first, pub_end);
	if (!one_run)
	{
		bk_connect();
		bk_calendar_refresh_range(property_id, room_type, first, end);
		bk_ari_note_range(property_id, room_type, first, end);	/* the ARI feed (ari.c) */
		bk_finish();
	}
}

/*
 * lock_nights_all locks the inventory nights [first, end) of the room
 * type in a unit of its own and fails with BK005 naming the first night
 * not on sale.
 */
static void
lock_nights_all(BkDirect *d, int64 property_id, const char *room_type, DateADT first,
				DateADT end, BkNights *nights)
{
	BkShortage	missing;

	bk_nights_lock(d, property_id, CStringGetTextDatum(room_type), first, end, nights);
	if (bk_nights_shortage(nights, first, end, 0, &missing))
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("night %s is not on sale", bk_date_str(missing.night)),
				 errdetail("Property %lld, room type \"%s\" has no inventory on %s.",
						   (long long) property_id, room_type, bk_date_str(missing.night)),
				 errhint("Open the nights with booking.open_inventory first.")));
}

/*
 * booking_create_block is create_block(property_id, room_type, code,
 * first_night, end_night, rooms, release_days, release_at): sets `rooms`
 * aside on every night of [first_night, end_night) out of public free
 * units, or resizes an existing block (same room type and nights).
 */
Datum
booking_create_block(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	char	   *code;
	DateADT		first;
	DateADT		end;
	int32		rooms;
	BkDirect	d;
	BkNights	nights;
	Datum		args[9];
	char		nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int32		delta;
	bool		exists;

	bk_require_arg(fcinfo, 0, "property_id");
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, true);
	code = bk_text_arg(fcinfo, 2, "code", BOOKING_MAX_BLOCK_CODE_BYTES, true, true);
	bk_require_arg(fcinfo, 3, "first_night");
	bk_require_arg(fcinfo, 4, "end_night");
	property_id = PG_GETARG_INT64(0);
	first = PG_GETARG_DATEADT(3);
	end = PG_GETARG_DATEADT(4);
	bk_validate_night_range(first, end, "the nights of a block are");
	rooms = bk_require_positive(fcinfo, 5, "rooms");
	if (!PG_ARGISNULL(6) && (PG_GETARG_INT32(6) < 0 || PG_GETARG_INT32(6) > BK_MAX_RELEASE_DAYS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("release_days must be between 0 and %d", BK_MAX_RELEASE_DAYS),
				 errdetail("release_days is %d.", PG_GETARG_INT32(6)),
				 errhint("Release the nights that many days before each, at most ten years.")));
	if (!PG_ARGISNULL(6) && !PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a block is released either at release_at or release_days before each night, not both"),
				 errdetail("release_days is %d and release_at is given.", PG_GETARG_INT32(6)),
				 errhint("Pass one of them, or neither to release the block by hand.")));

	bk_connect();
	if (!bk_schema_has_blocks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("blocks need the extension at version 2.0"),
				 errhint("ALTER EXTENSION booking UPDATE.")));
	bk_require_property(property_id);
	bk_lock_room_type(property_id, room_type);

	/* the inventory nights first, in order, then the block's rows */
	bk_direct_begin(&d, true);
	lock_nights_all(&d, property_id, room_type, first, end, &nights);
	bk_direct_end(&d);

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(code);
	bk_exec_locking(&lock_block_head_plan, args, NULL, 1,
					psprintf("block \"%s\" of property %lld", code, (long long) property_id));
	exists = SPI_processed > 0;
	if (exists)
	{
		char	   *old_type = TextDatumGetCString(bk_get_notnull(0, 1));
		DateADT		old_first = DatumGetDateADT(bk_get_notnull(0, 2));
		DateADT		old_end = DatumGetDateADT(bk_get_notnull(0, 3));
		int32		old_rooms = bk_get_int32(0, 4);
		bool		released = DatumGetBool(bk_get_notnull(0, 5));
		BlockNight *bn;
		int			n;

		if (released)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
					 errmsg("block \"%s\" is released", code),
					 errdetail("Property %lld: a released block cannot be resized.",
							   (long long) property_id),
					 errhint("Create a block with another code.")));
		if (strcmp(old_type, room_type) != 0 || old_first != first || old_end != end)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("block \"%s\" already exists with other room type or nights", code),
					 errdetail("It is of room type \"%s\", nights %s to %s.", old_type,
							   bk_date_str(old_first), bk_date_str(old_end)),
					 errhint("Calling create_block again resizes a block: pass the same room type and nights.")));
		n = lock_block_nights(property_id, code, first, end, &bn);
		for (int i = 0; i < n; i++)
		{
			if (bn[i].released)
				ereport(ERROR,
						(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
						 errmsg("block \"%s\" is released on night %s", code, bk_date_str(bn[i].night)),
						 errdetail("Property %lld: a block released on some nights cannot be resized.",
								   (long long) property_id),
						 errhint("Create a block with another code for the nights still to come.")));
			if (bn[i].picked > rooms)
				ereport(ERROR,
						(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
						 errmsg("cannot shrink block \"%s\" to %d room(s): %d picked up on night %s",
								code, rooms, bn[i].picked, bk_date_str(bn[i].night)),
						 errdetail("Property %lld, room type \"%s\".", (long long) property_id, room_type),
						 errhint("Cancel pickups first, or keep rooms at least at what is picked up.")));
		}
		delta = rooms - old_rooms;
	}
	else
		delta = rooms;

	/* growing takes public free units (an overbooked night has none) */
	if (delta > 0)
		for (int i = 0; i < nights.n; i++)
			if (BK_NIGHT_FREE(&nights.nights[i]) < delta)
				ereport(ERROR,
						(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
						 errmsg("no availability: block \"%s\" needs %d more room(s), %d free on night %s",
								code, delta, Max(BK_NIGHT_FREE(&nights.nights[i]), 0),
								bk_date_str(nights.nights[i].night)),
						 errdetail("Property %lld, room type \"%s\", night %s.", (long long) property_id,
								   room_type, bk_date_str(nights.nights[i].night)),
						 errhint("Set fewer rooms aside, or open more units with booking.open_inventory.")));

	if (exists)
	{
		args[2] = Int32GetDatum(rooms);
		bk_exec(&resize_head_plan, args, NULL, 0);
		bk_exec(&resize_nights_plan, args, NULL, 0);
	}
	else
	{
		char	   *zone;

		bk_exec(&property_zone_plan, args, NULL, 1);
		zone = TextDatumGetCString(bk_get_notnull(0, 1));
		args[2] = CStringGetTextDatum(room_type);
		args[3] = DateADTGetDatum(first);
		args[4] = DateADTGetDatum(end);
		args[5] = Int32GetDatum(rooms);
		args[6] = PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6);
		nulls[6] = PG_ARGISNULL(6) ? 'n' : ' ';
		args[7] = PG_ARGISNULL(7) ? (Datum) 0 : PG_GETARG_DATUM(7);
		nulls[7] = PG_ARGISNULL(7) ? 'n' : ' ';
		bk_exec(&insert_head_plan, args, nulls, 0);
		args[8] = PG_ARGISNULL(6) ? (Datum) 0 :
			release_due_of(first, end, PG_GETARG_INT32(6), zone);
		nulls[8] = PG_ARGISNULL(6) ? 'n' : ' ';
		bk_exec(&insert_nights_plan, args, nulls, 0);
	}

	if (delta != 0)
	{
		bk_direct_begin(&d, true);
		/* shrinking (delta < 0) frees units on public sale */
		for (int i = 0; i < nights.n; i++)
			bk_night_change_blocked(&d, &nights.nights[i], 0, 0, delta);
		bk_direct_end(&d);
		bk_calendar_refresh_range(property_id, room_type, first, end);
		bk_ari_note_range(property_id, room_type, first, end);	/* the ARI feed (ari.c) */
		if (delta < 0)
			bk_waitlist_offer_freed(false); /* the freed units to the waitlist */
	}
	bk_finish();
	PG_RETURN_VOID();
}

/*
 * bk_block_release_nights releases the block nights of block `code`
 * (room type `room_type`) given, locked by the caller in night order and
 * not released, in the global order: the inventory nights are locked
 * (with `wait`: LockWaitSkip leaves a busy night alone and returns -1
 * with nothing changed), blocked -= rooms - picked on each, the block
 * nights marked released.  Inside SPI.  Returns the room-nights put back
 * on sale.
 */
int
bk_block_release_nights(int64 property_id, const char *room_type, const char *code,
						const DateADT *days, const int32 *unpicked, int n)
{
	BkDirect	d;
	int			total = 0;
	int			i = 0;

	bk_direct_begin(&d, true);
	while (i < n)
	{
		int			j = i + 1;
		BkNights	nights;

		while (j < n && days[j] == days[j - 1] + 1)
			j++;
		bk_nights_lock(&d, property_id, CStringGetTextDatum(room_type), days[i], days[j - 1] + 1,
					   &nights);
		for (int k = 0; k < nights.n; k++)
		{
			int32		free_now = unpicked[i + (nights.nights[k].night - days[i])];

			if (free_now == 0)
				continue;
			/* freed on public sale: the caller offers them to the waitlist */
			bk_night_change_blocked(&d, &nights.nights[k], 0, 0, -free_now);
			total += free_now;
		}
		i = j;
	}
	bk_direct_end(&d);
	return total;
}

/*
 * booking_release_block is release_block(property_id, code): every night
 * of the block not released yet is released now; returns the room-nights
 * put back on sale (0 when it was released already).
 */
Datum
booking_release_block(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *code;
	Datum		args[2];
	char	   *room_type;
	DateADT		first;
	DateADT		end;
	BkDirect	d;
	BkNights	nights;
	BlockNight *bn;
	DateADT    *days;
	int32	   *unpicked;
	int			n;
	int			m = 0;
	int			total;

	bk_require_arg(fcinfo, 0, "property_id");
	code = bk_text_arg(fcinfo, 1, "code", BOOKING_MAX_BLOCK_CODE_BYTES, true, true);
	property_id = PG_GETARG_INT64(0);

	bk_connect();
	if (!bk_schema_has_blocks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("blocks need the extension at version 2.0"),
				 errhint("ALTER EXTENSION booking UPDATE.")));
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(code);
	bk_exec(&block_head_plan, args, NULL, 1);
	if (SPI_processed == 0)
		report_no_block(property_id, code);
	room_type = TextDatumGetCString(bk_get_notnull(0, 1));
	first = DatumGetDateADT(bk_get_notnull(0, 2));
	end = DatumGetDateADT(bk_get_notnull(0, 3));

	/* inventory nights first (lock order), then the block's rows */
	bk_direct_begin(&d, true);
	bk_nights_lock(&d, property_id, CStringGetTextDatum(room_type), first, end, &nights);
	bk_direct_end(&d);
	bk_exec_locking(&lock_block_head_plan, args, NULL, 1,
					psprintf("block \"%s\" of property %lld", code, (long long) property_id));
	n = lock_block_nights(property_id, code, first, end, &bn);
	days = palloc(sizeof(DateADT) * Max(n, 1));
	unpicked = palloc(sizeof(int32) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (!bn[i].released)
		{
			days[m] = bn[i].night;
			unpicked[m] = bn[i].rooms - bn[i].picked;
			m++;
		}
	total = m > 0 ? bk_block_release_nights(property_id, room_type, code, days, unpicked, m) : 0;
	bk_exec(&release_nights_plan, args, NULL, 0);
	bk_exec(&release_head_plan, args, NULL, 0);
	if (total > 0)
	{
		bk_calendar_refresh_range(property_id, room_type, first, end);
		bk_ari_note_range(property_id, room_type, first, end);	/* the ARI feed (ari.c) */
		bk_waitlist_offer_freed(false); /* the freed units to the waitlist */
	}
	bk_finish();
	PG_RETURN_INT32(total);
}

/*-------------------------------------------------------------------------
 * expiry.c
 *    Expiring holds past their deadline: booking.expire_holds() and the
 *    batches the sweeper runs (picked apart from their expiry, so that the
 *    sweeper can retry a failing batch one hold at a time), and
 *    reserve_range's dead-hold path.  They share one routine
 *    (expire_locked) that moves a set of locked holds to 'expired' and
 *    gives their units back in the same transaction, writing an `expired`
 *    event for each, without SPI (direct.c).
 *
 * Lock order: the holds' reservation rows are locked first (by the
 * caller, or here), then their nights, in ascending (property_id,
 * room_type, night) order.  A release that would change fewer nights than
 * a hold covers raises (a partial restore or rows deleted behind the
 * engine's back), so units are never lost silently.
 *
 * bk_expire_reservations calls bk_waitlist_offer_freed (waitlist_offer.c)
 * after its night writes: units freed on nights somebody waits for go to
 * the waitlist in the same transaction (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_expire_holds);

/*
 * The oldest dead holds nobody else is working on, locked; none of those
 * in $3 (the sweeper's list of holds to leave alone for now).
 */
static BookingPlan pick_dead_holds_plan = {
	"SELECT pg_catalog.array_agg(reservation_id) FROM ("
	"  SELECT reservation_id FROM booking.reservation"
	"   WHERE state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")"
	"     AND hold_expires_at OPERATOR(pg_catalog.<=) $2"
	"     AND reservation_id OPERATOR(pg_catalog.<>) ALL ($3)"
	"   ORDER BY hold_expires_at, reservation_id"
	"   LIMIT $1 FOR UPDATE SKIP LOCKED) s",
	3, {INT4OID, TIMESTAMPTZOID, INT8ARRAYOID}
};

/* One dead hold, locked, if it still is one and nobody else has it. */
static BookingPlan pick_dead_hold_plan = {
	"SELECT pg_catalog.array_agg(reservation_id) FROM ("
	"  SELECT reservation_id FROM booking.reservation"
	"   WHERE reservation_id OPERATOR(pg_catalog.=) $1"
	"     AND state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")"
	"     AND hold_expires_at OPERATOR(pg_catalog.<=) $2"
	"   FOR UPDATE SKIP LOCKED) s",
	2, {INT8OID, TIMESTAMPTZOID}
};

/*
 * hold_cmp orders holds by (property_id, room_type), room types as the
 * inventory's primary key sorts them, then by check-in: the order in
 * which their nights are locked.
 */
static int
hold_cmp(const void *a, const void *b)
{
	const BkReservation *x = a;
	const BkReservation *y = b;
	int			c;

	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	c = bk_room_type_cmp(x->room_type, y->room_type);
	if (c != 0)
		return c;
	return x->check_in < y->check_in ? -1 : x->check_in > y->check_in;
}

/*
 * find_night returns the locked night `day` of *nights, or NULL.
 */
static BkNight *
find_night(BkNights *nights, DateADT day)
{
	int			lo = 0;
	int			hi = nights->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (nights->nights[mid].night == day)
			return &nights->nights[mid];
		if (nights->nights[mid].night < day)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/*
 * hold_is_covered says whether every night of a hold is in *nights.
 */
static bool
hold_is_covered(BkNights *nights, const BkReservation *hold)
{
	for (DateADT day = hold->check_in; day < hold->check_out; day++)
		if (find_night(nights, day) == NULL)
			return false;
	return true;
}

/*
 * lock_hold_nights locks the nights of holds[0..n) (of one room type,
 * sorted by check-in), and of [also_first, also_end) when given, in
 * ascending night order: one index scan per run of nights that touch or
 * overlap, never the nights between two holds far apart.
 */
static void
lock_hold_nights(BkDirect *d, const BkReservation *holds, int n, LockWaitPolicy wait,
				 DateADT also_first, DateADT also_end, BkNights *nights)
{
	DateADT    *starts = palloc(sizeof(DateADT) * (n + 1));
	DateADT    *ends = palloc(sizeof(DateADT) * (n + 1));
	int			nranges = 0;
	int			k = 0;
	bool		also = also_end > also_first;

	nights->n = 0;
	nights->nights = NULL;
	/* merge the ranges, also's in its place by start */
	while (k < n || also)
	{
		DateADT		first;
		DateADT		end;

		if (also && (k == n || also_first <= holds[k].check_in))
		{
			first = also_first;
			end = also_end;
			also = false;
		}
		else
		{
			first = holds[k].check_in;
			end = holds[k].check_out;
			k++;
		}
		if (nranges > 0 && first <= ends[nranges - 1])
			ends[nranges - 1] = Max(ends[nranges - 1], end);
		else
		{
			starts[nranges] = first;
			ends[nranges] = end;
			nranges++;
		}
	}
	for (int r = 0; r < nranges; r++)
	{
		BkNights	run;

		bk_nights_lock_wait(d, holds[0].property_id, holds[0].room_type, starts[r], ends[r],
							wait, &run);
		if (nights->nights == NULL)
			*nights = run;
		else if (run.n > 0)
		{
			nights->nights = repalloc(nights->nights, sizeof(BkNight) * (nights->n + run.n));
			memcpy(nights->nights + nights->n, run.nights, sizeof(BkNight) * run.n);
			nights->n += run.n;
		}
	}
}

/*
 * expire_locked expires the live holds in holds[0..n), whose reservation
 * rows this transaction has locked: their nights are locked in the global
 * order (with `wait`; with LockWaitSkip a hold whose nights cannot all be
 * locked at once is left alone) together with the nights [also_first,
 * also_end) of the same room type, when given (reserve_range's stay, so
 * that it locks all its nights in one ordered pass), each night's held count goes down by
 * what they held on it, written once, and each hold becomes expired with
 * its event.  Returns how many it expired.  A hold whose nights are
 * missing from the inventory raises, unless nights were skipped.
 */
static int
expire_locked(BkDirect *d, BkReservation *holds, int n, LockWaitPolicy wait,
			  DateADT also_first, DateADT also_end)
{
	int			expired = 0;
	int			i = 0;

	qsort(holds, n, sizeof(BkReservation), hold_cmp);
	while (i < n)
	{
		int			j = i;
		BkNights	nights;
		int32	   *release;
		int32	   *reblock;	/* 2.0: units back to blocks, per night */
		DateADT    *pub;		/* per hold: the nights freed on public sale */
		bool		refresh = false;
		bool	   *kept;

		/* the holds of one room type, sorted by check-in */
		while (j < n && holds[j].property_id == holds[i].property_id &&
			   bk_same_text(holds[j].room_type, holds[i].room_type))
			j++;
		lock_hold_nights(d, &holds[i], j - i, wait, also_first, also_end, &nights);

		release = palloc0(sizeof(int32) * Max(nights.n, 1));
		reblock = NULL;
		kept = palloc0(sizeof(bool) * (j - i));
		pub = palloc(sizeof(DateADT) * 2 * (j - i));
		for (int k = i; k < j; k++)
		{
			char	   *block;

			if (!hold_is_covered(&nights, &holds[k]))
			{
				if (wait == LockWaitSkip)
					continue;	/* someone else has one of its nights: leave it */
				bk_nights_require_all(&nights, holds[k].reservation_id, holds[k].property_id,
									  bk_reservation_room_type(&holds[k]),
									  holds[k].check_in, holds[k].check_out);
			}
			kept[k - i] = true;
			for (DateADT day = holds[k].check_in; day < holds[k].check_out; day++)
				release[find_night(&nights, day) - nights.nights] += holds[k].rooms;
			pub[2 * (k - i)] = holds[k].check_in;
			pub[2 * (k - i) + 1] = holds[k].check_out;
			block = bk_reservation_block(d, &holds[k]);
			if (block)
			{
				/* a pickup (2.0): back to its block while live, public once released */
				bool	   *to_block = palloc(sizeof(bool) * (holds[k].check_out - holds[k].check_in));

				if (reblock == NULL)
					reblock = palloc0(sizeof(int32) * Max(nights.n, 1));
				bk_block_unpick(holds[k].property_id, block, holds[k].check_in,
								holds[k].check_out, holds[k].rooms, to_block);
				for (DateADT day = holds[k].check_in; day < holds[k].check_out; day++)
					if (to_block[day - holds[k].check_in])
						reblock[find_night(&nights, day) - nights.nights] += holds[k].rooms;
				if (!bk_block_public_range(to_block, holds[k].check_in, holds[k].check_out,
										   &pub[2 * (k - i)], &pub[2 * (k - i) + 1]))
					refresh = true;
			}
		}
		for (int x = 0; x < nights.n; x++)
			if (release[x] != 0)
			{
				/* units not back to a block are freed on public sale: offered below */
				bk_night_change_blocked(d, &nights.nights[x], -release[x], 0,
										reblock ? reblock[x] : 0);
			}
		if (refresh)
		{
			/* a pickup's public nights were not one run: no range in its event */
			DateADT		first = nights.n > 0 ? nights.nights[0].night : 0;
			DateADT		end = nights.n > 0 ? nights.nights[nights.n - 1].night + 1 : 0;

			bk_connect();
			bk_calendar_refresh_range(holds[i].property_id, bk_reservation_room_type(&holds[i]),
									  first, end);
			bk_ari_note_range(holds[i].property_id, bk_reservation_room_type(&holds[i]), first, end);
			bk_finish();
		}
		for (int k = i; k < j; k++)
		{
			if (!kept[k - i])
				continue;
			bk_reservation_set_state(d, &holds[k], BK_EXPIRED);
			if (pub[2 * (k - i)] == holds[k].check_in && pub[2 * (k - i) + 1] == holds[k].check_out)
				bk_event_write(d, "expired", &holds[k], holds[k].rooms, NULL);
			else
				bk_event_write_release(d, "expired", &holds[k], pub[2 * (k - i)],
									   pub[2 * (k - i) + 1], NULL);
			expired++;
		}
		i = j;
	}
	bk_stat_add_on_commit(BK_STAT_EXPIRATIONS, expired);
	return expired;
}

/*
 * is_dead_hold says whether a reservation is a live hold past its deadline.
 */
static bool
is_dead_hold(const BkReservation *r)
{
	return bk_state_is_live_hold(r->state) &&
		(!r->has_deadline || r->hold_expires_at <= bk_now());
}

/*
 * scan_dead_holds finds, in the unit's snapshot, the holds past their
 * deadline of one room type that overlap [check_in, check_out), through
 * the live-holds index; returns their ids (sorted) and how many.
 */
static int
scan_dead_holds(BkDirect *d, int64 property_id, Datum room_type,
				DateADT check_in, DateADT check_out, bool first_only, int64 **ids)
{
	ScanKeyData keys[3];
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_FOUND);
	int			n = 0;
	int			capacity = 8;

	*ids = palloc(sizeof(int64) * capacity);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
	ScanKeyInit(&keys[2], 3, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE,
				TimestampTzGetDatum(bk_now()));
	scan = bk_direct_scan(d, BK_RESERVATION, BK_RESERVATION_LIVE_HOLDS_IDX, keys, 3);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		DateADT		in = DatumGetDateADT(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_CHECK_IN)));
		DateADT		out = DatumGetDateADT(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_CHECK_OUT)));

		if (in >= check_out || out <= check_in)
			continue;
		if (n == capacity)
		{
			capacity *= 2;
			*ids = repalloc(*ids, sizeof(int64) * capacity);
		}
		(*ids)[n++] = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_RESERVATION_ID)));
		if (first_only)
			break;
	}
	index_endscan(scan);
	ExecClearTuple(slot);
	return n;
}

/*
 * bk_dead_holds_exist says whether holds past their deadline overlap the
 * stay [check_in, check_out) of a room type.
 */
bool
bk_dead_holds_exist(BkDirect *d, int64 property_id, Datum room_type,
					DateADT check_in, DateADT check_out)
{
	int64	   *ids;

	return scan_dead_holds(d, property_id, room_type, check_in, check_out, true, &ids) > 0;
}

/*
 * bk_dead_hold_rooms adds to rooms[night - first] the rooms that holds
 * past their deadline, but for reservation `own`, hold on each night of
 * [first, end) of a room type, as the unit's snapshot sees them: what
 * expiring them would free (modify_reservation's dry run judges with
 * them, writing nothing).
 */
void
bk_dead_hold_rooms(BkDirect *d, int64 property_id, Datum room_type, DateADT first, DateADT end,
				   int64 own, int32 *rooms)
{
	int64	   *ids;
	int			n = scan_dead_holds(d, property_id, room_type, first, end, false, &ids);

	for (int i = 0; i < n; i++)
	{
		BkReservation r;

		if (ids[i] == own || !bk_reservation_read(d, ids[i], &r) || !is_dead_hold(&r))
			continue;
		for (DateADT night = Max(r.check_in, first); night < Min(r.check_out, end); night++)
			rooms[night - first] += r.rooms;
	}
}

/*
 * bk_expire_dead_holds expires the holds past their deadline that overlap
 * [check_in, check_out) of a room type: reserve_range's way to make sure a
 * sold-out answer never comes from a hold that is already dead.
 *
 * With LockWaitBlock (the caller holds no inventory row yet) it waits for
 * whoever has one of those holds or their nights locked: a confirm or a
 * cancel in flight decides whether the units come back, and waiting is
 * safe since it follows the global order; the stay's own nights are
 * locked in the same ordered pass.  With LockWaitSkip (the caller
 * holds the stay's nights) it takes only what it can lock at once.
 * Returns how many it expired.
 */
int
bk_expire_dead_holds(BkDirect *d, int64 property_id, Datum room_type,
					 DateADT check_in, DateADT check_out, LockWaitPolicy wait)
{
	return bk_expire_dead_holds_but(d, property_id, room_type, check_in, check_out, wait, 0);
}

/*
 * bk_expire_dead_holds_but is bk_expire_dead_holds leaving reservation
 * `own` alone (0: none): modify_reservation's own hold, which it has
 * locked and may be changing past its deadline.
 */
int
bk_expire_dead_holds_but(BkDirect *d, int64 property_id, Datum room_type,
						 DateADT check_in, DateADT check_out, LockWaitPolicy wait, int64 own)
{
	int64	   *ids;
	int			n = scan_dead_holds(d, property_id, room_type, check_in, check_out, false, &ids);
	BkReservation *holds = palloc(sizeof(BkReservation) * Max(n, 1));
	int			nholds = 0;

	qsort(ids, n, sizeof(int64), bk_int64_cmp);
	for (int i = 0; i < n; i++)
	{
		BkReservation *r = &holds[nholds];

		if (ids[i] == own)
			continue;
		if (bk_reservation_lock(d, ids[i], r, wait) && is_dead_hold(r))
			nholds++;			/* still dead once locked */
	}
	return nholds > 0 ? expire_locked(d, holds, nholds, wait, check_in, check_out) : 0;
}

/*
 * bk_expire_reservations expires the live holds whose ids are in
 * `ids_array` (an int8[]) and that the caller has locked (the sweeper's
 * batch, expire_holds): their nights are locked in the global order,
 * their units released, their state set and an `expired` event written
 * for each, all in this transaction.  Returns how many were expired.
 */
int
bk_expire_reservations(Datum ids_array)
{
	ArrayType  *array = DatumGetArrayTypeP(ids_array);
	Datum	   *ids;
	int			n;
	BkReservation *holds;
	int			nholds = 0;
	int			expired;
	BkDirect	d;

	deconstruct_array(array, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &ids, NULL, &n);
	holds = palloc(sizeof(BkReservation) * Max(n, 1));
	bk_direct_begin(&d, true);
	for (int i = 0; i < n; i++)
	{
		BkReservation *r = &holds[nholds];

		if (bk_reservation_lock(&d, DatumGetInt64(ids[i]), r, LockWaitBlock) &&
			bk_state_is_live_hold(r->state))
			nholds++;
	}
	expired = nholds > 0 ? expire_locked(&d, holds, nholds, LockWaitBlock, 0, 0) : 0;
	bk_direct_end(&d);
	bk_waitlist_offer_freed(nholds == 1);	/* the freed units to the waitlist */
	return expired;
}

/*
 * bk_pick_due_holds locks up to max_rows live holds past their deadline,
 * oldest first, skipping those another transaction has locked (a confirm
 * or cancel in flight decides their fate) and those in skip_ids (int8[]).
 * Their ids are copied into `keep`, where they outlive this transaction,
 * so that the sweeper can retry them one by one if expiring them together
 * fails.  The caller is inside an SPI connection.  Returns how many.
 */
int
bk_pick_due_holds(int32 max_rows, Datum skip_ids, MemoryContext keep, int64 **ids)
{
	Datum		args[3];
	bool		isnull;
	Datum		picked;
	ArrayType  *arr;
	Datum	   *elems;
	int			n;

	args[0] = Int32GetDatum(max_rows);
	args[1] = TimestampTzGetDatum(bk_now());
	args[2] = skip_ids;
	bk_exec(&pick_dead_holds_plan, args, NULL, 1);
	picked = bk_get(0, 1, &isnull);
	*ids = NULL;
	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(picked);
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, NULL, &n);
	*ids = MemoryContextAlloc(keep, sizeof(int64) * n);
	for (int i = 0; i < n; i++)
		(*ids)[i] = DatumGetInt64(elems[i]);
	return n;
}

/*
 * bk_expire_due_holds expires up to max_rows live holds past their
 * deadline, oldest first, all together (expire_holds).  The caller is
 * inside an SPI connection.  Returns how many it expired.
 */
int
bk_expire_due_holds(int32 max_rows)
{
	int64	   *ids;
	int			n;

	n = bk_pick_due_holds(max_rows, bk_int8_array(NULL, 0), CurrentMemoryContext, &ids);
	return n == 0 ? 0 : bk_expire_reservations(bk_int8_array(ids, n));
}

/*
 * bk_expire_due_hold expires one hold if it is still live, past its
 * deadline and not locked by anyone else: the sweeper's retry of a batch
 * that failed, one reservation at a time.  Returns 1 or 0.
 */
int
bk_expire_due_hold(int64 reservation_id)
{
	Datum		args[2];
	bool		isnull;
	Datum		ids;

	args[0] = Int64GetDatum(reservation_id);
	args[1] = TimestampTzGetDatum(bk_now());
	bk_exec(&pick_dead_hold_plan, args, NULL, 1);
	ids = bk_get(0, 1, &isnull);
	return isnull ? 0 : bk_expire_reservations(ids);
}

/*
 * booking_expire_holds is expire_holds(max_rows): what the sweeper does,
 * callable by hand or from pg_cron when the library is not preloaded.
 */
Datum
booking_expire_holds(PG_FUNCTION_ARGS)
{
	int32		max_rows;
	int			expired;

	max_rows = bk_require_positive(fcinfo, 0, "max_rows");

	bk_connect();
	expired = bk_expire_due_holds(max_rows);
	bk_finish();

	PG_RETURN_INT32(expired);
}

/*-------------------------------------------------------------------------
 * calendar.c
 *    Keeping the room calendar: booking.room_calendar keeps, per room type
 *    and month, the free units and the price of every day, so that search
 *    and availability read a handful of compact rows instead of thousands
 *    of nightly ones.  This file writes it; calendar_read.c and search.c
 *    read it.  It is kept off the writers' path:
 *      - a hold, a confirm of an expired hold, a cancel or an expiry writes
 *        its change of free units into its event (events.c), and nothing
 *        here;
 *      - the publisher folds the changes of the events it publishes into
 *        the calendar, in the same transaction (bk_calendar_fold, with
 *        booking.calendar_apply());
 *      - readers add the changes of the events their snapshot sees that
 *        are not published yet (calendar_read.c), so an answer is never
 *        older than the last commit;
 *      - open_inventory, rebuild_calendar() and repair_inventory()
 *        recompute whole months as the inventory minus those pending
 *        changes, holding the publisher's lock (bk_calendar_refresh_range);
 *      - set_rules and clear_rules copy a room type's has_rules to its
 *        rows (bk_calendar_set_has_rules).
 *    The publisher's lock, which keeps the folds and the recomputations
 *    apart, is taken through this file too (bk_publisher_try_lock for the
 *    publisher, bk_publisher_lock for the others).
 *
 * Lock order: whoever writes calendar rows holds the publisher's lock
 * first (the publisher, refresh_keys, set_has_rules), and refresh_keys
 * locks them in ascending (property_id, room_type, month) order.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "lib/qunique.h"
#include "storage/bufmgr.h"
#include "storage/proc.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/varlena.h"
#include "utils/xid8.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_calendar_add);
PG_FUNCTION_INFO_V1(booking_calendar_apply);
PG_FUNCTION_INFO_V1(booking_rebuild_calendar);

/* The publisher's lock: the one row of booking.event_publisher (1.2). */
#define PUBLISHER_ROW_SQL "SELECT scan_from FROM booking.event_publisher FOR UPDATE"
static BookingPlan publisher_try_lock_plan = {PUBLISHER_ROW_SQL " SKIP LOCKED", 0, {InvalidOid}};
static BookingPlan publisher_lock_plan = {PUBLISHER_ROW_SQL, 0, {InvalidOid}};

/* Every key that has inventory. */
static BookingPlan all_keys_plan = {
	"SELECT pg_catalog.array_agg(property_id ORDER BY property_id, room_type, month),"
	"       pg_catalog.array_agg(room_type ORDER BY property_id, room_type, month),"
	"       pg_catalog.array_agg(month ORDER BY property_id, room_type, month)"
	"  FROM (SELECT DISTINCT property_id, room_type,"
	"               pg_catalog.date_trunc('month', night::timestamp)::date AS month"
	"          FROM booking.inventory) k",
	0, {InvalidOid}
};

#define KEYS_SQL \
	"SELECT k.property_id, k.room_type, k.month" \
	"  FROM ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::text[])," \
	"                  pg_catalog.unnest($3::date[])) AS k(property_id, room_type, month)"

#define SAME_KEY(a, b) \
	a ".property_id OPERATOR(pg_catalog.=) " b ".property_id AND " \
	a ".room_type OPERATOR(pg_catalog.=) " b ".room_type AND " \
	a ".month OPERATOR(pg_catalog.=) " b ".month"

/* Refresh, step 1: make sure a row exists for every key. */
static BookingPlan refresh_insert_plan = {
	"INSERT INTO booking.room_calendar"
	"       (property_id, room_type, month, property_name, city, time_zone, max_guests,"
	"        has_rules, free, price)"
	" SELECT k.property_id, k.room_type, k.month, p.name, p.city, p.time_zone, rt.max_guests,"
	"        rt.has_rules, '{}', '{}'"
	"   FROM (" KEYS_SQL ") k"
	"   JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) k.property_id"
	"                            AND rt.code OPERATOR(pg_catalog.=) k.room_type"
	"   JOIN booking.property p ON p.property_id OPERATOR(pg_catalog.=) k.property_id"
	"  ORDER BY 1, 2, 3"
	" ON CONFLICT (property_id, room_type, month) DO NOTHING",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

/* Refresh, step 2: lock the rows, in order. */
static BookingPlan refresh_lock_plan = {
	"SELECT 1 FROM booking.room_calendar c"
	"  JOIN (" KEYS_SQL ") k ON " SAME_KEY("c", "k")
	" ORDER BY c.property_id, c.room_type, c.month FOR UPDATE OF c",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

/*
 * Refresh, step 3: recompute them, in a new snapshot, as the inventory
 * minus the changes of the events not published yet (the fold adds those
 * when it publishes them).  One row per night of each key's month, the
 * inventory row found by its primary key (a lateral subquery the planner
 * cannot flatten: as a plain join it may hash the whole inventory, per
 * call), and the pending changes joined to it as a set: they are read and
 * summed per night once per statement, whatever the number of nights (a
 * subquery per night read every unpublished event once per night: with
 * 5,000 of them, 45 s to open 1,100 nights).
 */
#define REFRESH_UPDATE_SQL(free, pending_cte, pending_join, pending, not_on_sale) \
	pending_cte \
	"UPDATE booking.room_calendar c SET free = s.free, price = s.price, has_rules = rt.has_rules," \
	"       property_name = p.name, city = p.city, time_zone = p.time_zone, max_guests = rt.max_guests" \
	"  FROM (SELECT k.property_id, k.room_type, k.month," \
	"               pg_catalog.array_agg(CASE WHEN i.night IS NULL THEN " not_on_sale \
	"                    ELSE pg_catalog.int4(GREATEST(" not_on_sale " OPERATOR(pg_catalog.+) 1," \
	"                           LEAST(2147483647, (" free ")::pg_catalog.int8" \
	"                                             OPERATOR(pg_catalog.-) " pending "))) END ORDER BY g) AS free," \
	"               pg_catalog.array_agg(COALESCE(i.price, 0) ORDER BY g) AS price" \
	"          FROM (" KEYS_SQL ") k" \
	"         CROSS JOIN LATERAL pg_catalog.generate_series(0," \
	"                  (k.month OPERATOR(pg_catalog.+) interval '1 month')::date" \
	"                  OPERATOR(pg_catalog.-) k.month OPERATOR(pg_catalog.-) 1) g" \
	"          LEFT JOIN LATERAL (SELECT * FROM booking.inventory i" \
	"                WHERE i.property_id OPERATOR(pg_catalog.=) k.property_id" \
	"                  AND i.room_type OPERATOR(pg_catalog.=) k.room_type" \
	"                  AND i.night OPERATOR(pg_catalog.=) (k.month OPERATOR(pg_catalog.+) g)" \
	"               OFFSET 0) i ON true" \
	pending_join \
	"         GROUP BY k.property_id, k.room_type, k.month) s" \
	"  JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) s.property_id" \
	"                           AND rt.code OPERATOR(pg_catalog.=) s.room_type" \
	"  JOIN booking.property p ON p.property_id OPERATOR(pg_catalog.=) s.property_id" \
	" WHERE " SAME_KEY("c", "s")

/*
 * What the events not published yet add to the free units of each night
 * of the keys' properties (a modified event's old stay given back
 * included), summed per night in bigint: a channel's pushes may add up
 * past an int; the refresh clamps the result as the fold does
 * (clamp_free).  Only the nights of the keys' months are expanded.  The
 * events are found by event_unpublished_xid_idx from $4, the writer_xid
 * every one of them has at least (unpublished_xid_floor): the index
 * keeps the entries of published events (from 2.0 nothing on the table
 * depends on position), so a condition on position alone would scan
 * every event.
 */
#define PENDING_BY_NIGHT_CTE \
	"WITH pending AS MATERIALIZED (" \
	"  SELECT e.property_id, e.room_type, e.first_night OPERATOR(pg_catalog.+) g AS night," \
	"         pg_catalog.sum(e.delta) AS delta" \
	"    FROM (SELECT property_id, room_type, first_night, end_night, free_delta" \
	"            FROM booking.event" \
	"           WHERE writer_xid OPERATOR(pg_catalog.>=) $4" \
	"             AND position IS NULL AND free_delta IS NOT NULL" \
	"             AND property_id OPERATOR(pg_catalog.=) ANY ($1::bigint[])" \
	"          UNION ALL" \
	"          SELECT " BK_MODIFIED_BEFORE_COLUMNS("m") \
	"            FROM booking.event m" \
	"           WHERE m.writer_xid OPERATOR(pg_catalog.>=) $4" \
	"             AND m.position IS NULL AND " BK_MODIFIED_EVENT("m") \
	"             AND m.property_id OPERATOR(pg_catalog.=) ANY ($1::bigint[]))" \
	"         e(property_id, room_type, first_night, end_night, delta)," \
	"         (SELECT pg_catalog.min(m) AS lo," \
	"                 (pg_catalog.max(m) OPERATOR(pg_catalog.+) interval '1 month')::date AS hi" \
	"            FROM pg_catalog.unnest($3::date[]) m) r," \
	"         pg_catalog.generate_series(GREATEST(r.lo OPERATOR(pg_catalog.-) e.first_night, 0)," \
	"                                    LEAST(e.end_night, r.hi) OPERATOR(pg_catalog.-) e.first_night" \
	"                                    OPERATOR(pg_catalog.-) 1) g" \
	"   GROUP BY 1, 2, 3) "

#define PENDING_BY_NIGHT_JOIN \
	"          LEFT JOIN pending pd" \
	"            ON pd.property_id OPERATOR(pg_catalog.=) k.property_id" \
	"           AND pd.room_type OPERATOR(pg_catalog.=) k.room_type" \
	"           AND pd.night OPERATOR(pg_catalog.=) (k.month OPERATOR(pg_catalog.+) g)"

static BookingPlan refresh_update_plan = {
	REFRESH_UPDATE_SQL(BK_FREE_SQL("i"), PENDING_BY_NIGHT_CTE, PENDING_BY_NIGHT_JOIN,
					   "COALESCE(pd.delta, 0)", BK_NOT_ON_SALE_SQL),
	4, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID, XID8OID}, CURSOR_OPT_CUSTOM_PLAN
};

/* From 2.0: the units set aside for blocks are not free (blocks) */
static BookingPlan refresh_update_2_0_plan = {
	REFRESH_UPDATE_SQL(BK_FREE_2_0_SQL("i"), PENDING_BY_NIGHT_CTE, PENDING_BY_NIGHT_JOIN,
					   "COALESCE(pd.delta, 0)", BK_NOT_ON_SALE_SQL),
	4, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID, XID8OID}, CURSOR_OPT_CUSTOM_PLAN
};

/* The same for a database at 1.1, whose writers keep the calendar in step. */
static BookingPlan refresh_update_1_1_plan = {
	REFRESH_UPDATE_SQL(BK_FREE_SQL("i"), "", "", "0", "-1"),
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

static BookingPlan delete_empty_months_plan = {
	"DELETE FROM booking.room_calendar c"
	" WHERE NOT EXISTS (SELECT 1 FROM booking.inventory i"
	"                    WHERE i.property_id OPERATOR(pg_catalog.=) c.property_id"
	"                      AND i.room_type OPERATOR(pg_catalog.=) c.room_type"
	"                      AND i.night OPERATOR(pg_catalog.>=) c.month"
	"                      AND i.night OPERATOR(pg_catalog.<)"
	"                          (c.month OPERATOR(pg_catalog.+) interval '1 month')::date)",
	0, {InvalidOid}
};

static BookingPlan set_has_rules_plan = {
	"UPDATE booking.room_calendar SET has_rules = $3"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND has_rules OPERATOR(pg_catalog.<>) $3",
	3, {INT8OID, TEXTOID, BOOLOID}
};

/*
 * booking_calendar_add is calendar_add(free, lo, hi, delta): free with
 * delta added to the elements lo..hi (1-based), except those that are -1
 * (not on sale).  Version 1.1's writers used it; kept for databases that
 * still call it.
 */
Datum
booking_calendar_add(PG_FUNCTION_ARGS)
{
	ArrayType  *free = PG_GETARG_ARRAYTYPE_P_COPY(0);
	int32		lo = PG_GETARG_INT32(1);
	int32		hi = PG_GETARG_INT32(2);
	int32		delta = PG_GETARG_INT32(3);
	int			n;
	int32	   *days;

	if (ARR_NDIM(free) == 0)
		PG_RETURN_ARRAYTYPE_P(free);
	if (ARR_NDIM(free) != 1 || ARR_HASNULL(free) || ARR_ELEMTYPE(free) != INT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calendar_add needs a one-dimensional int[] without NULLs")));
	n = ARR_DIMS(free)[0];
	days = (int32 *) ARR_DATA_PTR(free);
	for (int d = Max(lo, 1); d <= Min(hi, n); d++)
		if (days[d - 1] >= 0)
			days[d - 1] += delta;
	PG_RETURN_ARRAYTYPE_P(free);
}

/*
 * booking_calendar_apply is calendar_apply(free, deltas): free with
 * deltas[d] added to free[d] for every day, except the days not on sale
 * (BK_NOT_ON_SALE).  A day on sale may go below zero for a while: a
 * publisher pass folds at most BK_PUBLISH_BATCH events, in event_id
 * order, so it can fold a hold before the expiry that freed its unit;
 * the next pass brings it back.
 */
Datum
booking_calendar_apply(PG_FUNCTION_ARGS)
{
	ArrayType  *free = PG_GETARG_ARRAYTYPE_P_COPY(0);
	ArrayType  *deltas = PG_GETARG_ARRAYTYPE_P(1);
	int32	   *days;
	int32	   *add;
	int			n;

	if (ARR_NDIM(free) == 0)
		PG_RETURN_ARRAYTYPE_P(free);
	if (ARR_NDIM(free) != 1 || ARR_HASNULL(free) || ARR_ELEMTYPE(free) != INT4OID ||
		ARR_NDIM(deltas) != 1 || ARR_HASNULL(deltas) || ARR_ELEMTYPE(deltas) != INT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calendar_apply needs one-dimensional int[] arguments without NULLs")));
	n = Min(ARR_DIMS(free)[0], ARR_DIMS(deltas)[0]);
	days = (int32 *) ARR_DATA_PTR(free);
	add = (int32 *) ARR_DATA_PTR(deltas);
	for (int d = 0; d < n; d++)
		if (days[d] != BK_NOT_ON_SALE)
			days[d] += add[d];
	PG_RETURN_ARRAYTYPE_P(free);
}

/* The local transaction that took the publisher's lock (bk_publisher_lock) */
static LocalTransactionId publisher_lock_lxid = InvalidLocalTransactionId;

/*
 * The publisher's lock.  One transaction at a time hands out event
 * positions and folds the events' changes into the calendar (publisher.c,
 * which takes it with bk_publisher_try_lock and leaves the work to the
 * holder when it is taken); whoever recomputes calendar months from the
 * inventory and the changes not published yet waits for it
 * (bk_publisher_lock), so that no fold runs meanwhile.  It lives here, with
 * what it keeps consistent, so that the calendar's upkeep does not call
 * back into the publisher.  Both are for databases at 1.2: a database at
 * 1.1 has no booking.event_publisher (its publisher takes 1.1's lock,
 * compat.c, and its calendar has no pending changes to keep apart).
 *
 * bk_publisher_try_lock takes the lock without waiting and keeps it until
 * the end of the transaction, and puts the row's scan_from in *scan_from
 * (publisher.c); false when another transaction has it.
 */
bool
bk_publisher_try_lock(FullTransactionId *scan_from)
{
	bk_exec(&publisher_try_lock_plan, NULL, NULL, 1);
	if (SPI_processed == 0)
		return false;
	*scan_from = DatumGetFullTransactionId(bk_get_notnull(0, 1));
	return true;
}

/*
 * bk_publisher_lock waits for the publisher's lock (within
 * booking.lock_timeout, else BK007) and keeps it until the end of the
 * transaction; at 1.1 it takes nothing.
 */
void
bk_publisher_lock(void)
{
	if (bk_schema_has_event_deltas())
	{
		bk_exec_locking(&publisher_lock_plan, NULL, NULL, 1, "the event publisher");
		publisher_lock_lxid = MyProc->lxid;
	}
}

/*
 * bk_publisher_lock_held says whether this transaction took the
 * publisher's lock through bk_publisher_lock (a calendar refresh): it
 * holds it until it ends, so it must not wait for a night any more (the
 * block functions take the lock after their nights: waitlist_offer.c).
 */
bool
bk_publisher_lock_held(void)
{
	return publisher_lock_lxid != InvalidLocalTransactionId && publisher_lock_lxid == MyProc->lxid;
}

/*
 * calendar_key_cmp orders calendar changes by (property_id, room_type),
 * room types in the collation the calendar's primary key sorts by, so
 * that the fold locks rows in the global order.
 */
static int
calendar_key_cmp(const void *a, const void *b)
{
	const BkCalendarDelta *x = a;
	const BkCalendarDelta *y = b;
	text	   *tx;
	text	   *ty;

	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	tx = DatumGetTextPP(x->room_type);
	ty = DatumGetTextPP(y->room_type);
	return varstr_cmp(VARDATA_ANY(tx), VARSIZE_ANY_EXHDR(tx),
					  VARDATA_ANY(ty), VARSIZE_ANY_EXHDR(ty), DEFAULT_COLLATION_OID);
}

/*
 * clamp_free keeps a night's free units within what the calendar
 * stores: an int, above the value that means "not on sale".  Only a
 * channel pushing more rooms than a night has can take it there (free
 * far below zero); either way the night has nothing to sell.
 */
static int32
clamp_free(int64 free)
{
	return (int32) Max(Min(free, (int64) PG_INT32_MAX), (int64) BK_NOT_ON_SALE + 1);
}

/*
 * add_day_deltas adds day_deltas[0 .. ndays - 1] to the free units of a
 * calendar row's `free` array, leaving the days not on sale alone.
 */
static void
add_day_deltas(ArrayType *free, const int64 *day_deltas, int ndays)
{
	if (ARR_NDIM(free) == 1 && !ARR_HASNULL(free) && ARR_ELEMTYPE(free) == INT4OID)
	{
		int32	   *days = (int32 *) ARR_DATA_PTR(free);
		int			n = Min(ARR_DIMS(free)[0], ndays);

		for (int day = 0; day < n; day++)
			if (days[day] != BK_NOT_ON_SALE)
				days[day] = clamp_free(days[day] + day_deltas[day]);
	}
}

/*
 * fold_month adds day_deltas[0 .. ndays - 1] to the free units of one
 * calendar row, leaving the days not on sale alone: it finds the row
 * where this process last wrote it (fold_hint.c) or else by its primary
 * key through *scan (begun at the first call, started again with the
 * next keys at each later one; the caller ends it) and writes its new
 * version without SPI, noting where.  No row lock: from 1.2 on whoever writes
 * booking.room_calendar holds the publisher's lock first (the fold,
 * refresh_keys, set_has_rules), so the version this unit's snapshot finds
 * is the newest.  Returns false when the row does not exist.
 *
 * The new version is a copy of the old one with the days changed in
 * place: `free` keeps its length, so when it is stored plainly in the row
 * (not compressed, not out of line, as the calendar's rows always are)
 * nothing else moves.  Otherwise it is formed anew.
 */
static bool
fold_month(BkDirect *d, IndexScanDesc *scan, BlockNumber calendar_blocks, int64 property_id,
		   Datum room_type, DateADT month, const int64 *day_deltas, int ndays)
{
	ScanKeyData keys[3];
	TupleTableSlot *found = bk_direct_slot(d, BK_ROOM_CALENDAR, BK_SLOT_FOUND);
	TupleTableSlot *slot = bk_direct_slot(d, BK_ROOM_CALENDAR, BK_SLOT_NEW);
	int			free_column = bk_column(BK_ROOM_CALENDAR_FREE);
	ItemPointerData tid;
	Pointer		stored;
	HeapTuple	old;
	HeapTuple	new;

	if (!bk_fold_hint_fetch(d, bk_direct_relation(d, BK_ROOM_CALENDAR), calendar_blocks,
							property_id, room_type, month, found))
	{
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
		ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_DATE_EQ, DateADTGetDatum(month));
		if (*scan == NULL)
			*scan = bk_direct_scan(d, BK_ROOM_CALENDAR, BK_ROOM_CALENDAR_PKEY, keys, 3);
		else
			bk_direct_rescan(d, *scan, BK_ROOM_CALENDAR_PKEY, keys, 3);
		if (!index_getnext_slot(*scan, ForwardScanDirection, found))
			return false;
	}

	stored = DatumGetPointer(bk_direct_get_notnull(found, free_column));
	tid = found->tts_tid;
	old = ExecFetchSlotHeapTuple(found, false, NULL);
	if (!VARATT_IS_EXTENDED(stored) && stored > (Pointer) old->t_data &&
		stored + VARSIZE(stored) <= (Pointer) old->t_data + old->t_len)
	{
		new = heap_copytuple(old);
		add_day_deltas((ArrayType *) ((Pointer) new->t_data + (stored - (Pointer) old->t_data)),
					   day_deltas, ndays);
	}
	else
	{
		ArrayType  *free = DatumGetArrayTypePCopy(PointerGetDatum(stored));
		Datum		value = PointerGetDatum(free);
		bool		isnull = false;

		add_day_deltas(free, day_deltas, ndays);
		new = heap_modify_tuple_by_cols(old, RelationGetDescr(bk_direct_relation(d, BK_ROOM_CALENDAR)),
										1, &free_column, &value, &isnull);
	}
	ExecStoreHeapTuple(new, slot, true);
	/* only `free` changes: the foreign key's update check is not needed */
	bk_direct_update_columns(d, BK_ROOM_CALENDAR, &tid, HeapTupleHeaderGetXmin(old->t_data), slot,
							 1, &free_column);
	bk_fold_hint_remember(property_id, room_type, month, &slot->tts_tid);
	ExecClearTuple(found);
	ExecClearTuple(slot);
	return true;
}

/*
 * bk_calendar_fold adds the calendar changes of events being published
 * to the room calendar: one row update per (property, room type, month),
 * in the global order, written without SPI (fold_month).  A month that
 * has no calendar row (nights written behind the engine's back) is
 * recomputed from the inventory instead, once the fold is done.  The
 * caller holds the publisher's lock and is inside SPI.
 */
void
bk_calendar_fold(BkCalendarDelta *deltas, int n)
{
	int			i = 0;
	BkDirect	d;
	BkCalendarDelta *missing = palloc(sizeof(BkCalendarDelta) * Max(n, 1));
	int			nmissing = 0;
	IndexScanDesc scan = NULL;	/* the calendar's primary key, for fold_month */
	BlockNumber calendar_blocks;	/* its size, for the hints (fold_hint.c) */

	if (!bk_schema_has_calendar())
		return;
	qsort(deltas, n, sizeof(BkCalendarDelta), calendar_key_cmp);
	bk_direct_begin(&d, true);
	calendar_blocks = RelationGetNumberOfBlocks(bk_direct_relation(&d, BK_ROOM_CALENDAR));
	while (i < n)
	{
		int			j = i;
		DateADT		first = deltas[i].first_night;
		DateADT		end = deltas[i].end_night;

		/* the changes of one room type */
		while (j < n && calendar_key_cmp(&deltas[i], &deltas[j]) == 0)
		{
			first = Min(first, deltas[j].first_night);
			end = Max(end, deltas[j].end_night);
			j++;
		}
		for (DateADT month = bk_first_of_month(first); month < end; month = bk_next_month(month))
		{
			int			ndays = bk_next_month(month) - month;
			int64		day_deltas[31] = {0};	/* channels' pushes may sum past an int */
			bool		any = false;

			for (int k = i; k < j; k++)
				for (DateADT night = Max(deltas[k].first_night, month);
					 night < Min(deltas[k].end_night, month + ndays); night++)
				{
					day_deltas[night - month] += deltas[k].delta;
					any = true;
				}
			if (any && !fold_month(&d, &scan, calendar_blocks, deltas[i].property_id,
								   deltas[i].room_type, month, day_deltas, ndays))
			{
				missing[nmissing] = deltas[i];
				missing[nmissing].first_night = month;
				missing[nmissing].end_night = bk_next_month(month);
				nmissing++;
			}
		}
		i = j;
	}
	if (scan != NULL)
		index_endscan(scan);
	bk_direct_end(&d);
	for (int m = 0; m < nmissing; m++)
		bk_calendar_refresh_range(missing[m].property_id, TextDatumGetCString(missing[m].room_type),
								  missing[m].first_night, missing[m].end_night);
}

/* Where the events not published yet start (publisher.c) */
static BookingPlan scan_from_plan = {
	"SELECT scan_from FROM booking.event_publisher",
	0, {InvalidOid}
};

/*
 * unpublished_xid_floor returns the writer_xid from which the events
 * not published yet are all in event_unpublished_xid_idx, for a statement
 * that reads them by it (a calendar refresh, calendar.c), whose caller
 * holds the publisher's lock (so scan_from stays where it is, and no
 * pass deletes a load signal): the publisher row's scan_from, or 0 while
 * a load may have brought events below it (a load signal no pass has seen
 * yet, or event_local_writer not armed, as bk_publish_events and the
 * sweeper's rounds judge).  A load can commit after this look and before
 * the statement's snapshot: the caller looks at the signals again after
 * the statement (bk_load_signalled, load_signal.c) and reads from 0 if one came.  Every
 * such load signals, or runs while the trigger is not armed, and
 * disarming it is an ALTER TABLE, which signals too.
 */
static FullTransactionId
unpublished_xid_floor(void)
{
	if (!bk_schema_has_load_signal() || bk_rounds_look_from_start() || bk_load_signalled())
		return FullTransactionIdFromU64(0);	/* load_signal.c */
	bk_exec(&scan_from_plan, NULL, NULL, 1);
	return DatumGetFullTransactionId(bk_get_notnull(0, 1));
}


/*
 * refresh_keys recomputes the calendar rows of the keys given as three
 * parallel arrays (property_id bigint[], room_type text[], month date[]),
 * creating missing ones: insert, lock in order, recompute.  It takes the
 * publisher's lock first, so that no fold runs until this transaction
 * ends, and each step sees every fold that committed before.
 */
static void
refresh_keys(Datum property_ids, Datum room_types, Datum months)
{
	Datum		args[4] = {property_ids, room_types, months, (Datum) 0};
	FullTransactionId floor = FullTransactionIdFromU64(0);
	BookingPlan *update = bk_schema_has_overbooked() ? &refresh_update_2_0_plan :
		bk_schema_has_event_deltas() ? &refresh_update_plan : &refresh_update_1_1_plan;
	int			save_nestlevel;

	bk_publisher_lock();
	bk_exec(&refresh_insert_plan, args, NULL, 0);
	bk_exec_locking(&refresh_lock_plan, args, NULL, 0, "calendar rows");

	/*
	 * The planner cannot know how many nights an event or a month has
	 * (generate_series over column values: 1,000 rows each, it assumes),
	 * so it costs the update high enough to compile it with JIT, which
	 * then takes 0.6 s for a statement that runs in milliseconds.
	 */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (bk_schema_has_event_deltas())
		floor = unpublished_xid_floor();
	args[3] = FullTransactionIdGetDatum(floor);
	bk_exec(update, args, NULL, 0);

	/*
	 * A load that committed after the floor was read and before the
	 * statement's snapshot may have brought events below it: then again
	 * from 0 (the update recomputes the same rows, locked by now).
	 */
	if (U64FromFullTransactionId(floor) != 0 && bk_load_signalled())
	{
		args[3] = FullTransactionIdGetDatum(FullTransactionIdFromU64(0));
		bk_exec(update, args, NULL, 0);
	}
	AtEOXact_GUC(true, save_nestlevel);
}

/*
 * bk_calendar_refresh_range recomputes the months of one room type that
 * overlap [first, end).  The caller is inside SPI.
 */
void
bk_calendar_refresh_range(int64 property_id, const char *room_type, DateADT first, DateADT end)
{
	int			n = 0;
	int			max = 8;
	Datum	   *ids = palloc(sizeof(Datum) * max);
	Datum	   *codes = palloc(sizeof(Datum) * max);
	Datum	   *months = palloc(sizeof(Datum) * max);
	Datum		code = CStringGetTextDatum(room_type);

	if (!bk_schema_has_calendar())
		return;
	for (DateADT m = bk_first_of_month(first); m < end; m = bk_next_month(m))
	{
		if (n == max)
		{
			max *= 2;
			ids = repalloc(ids, sizeof(Datum) * max);
			codes = repalloc(codes, sizeof(Datum) * max);
			months = repalloc(months, sizeof(Datum) * max);
		}
		ids[n] = Int64GetDatum(property_id);
		codes[n] = code;
		months[n] = DateADTGetDatum(m);
		n++;
	}
	refresh_keys(PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64),
												 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)),
				 PointerGetDatum(construct_array(codes, n, TEXTOID, -1, false, TYPALIGN_INT)),
				 PointerGetDatum(construct_array(months, n, DATEOID, sizeof(DateADT),
												 true, TYPALIGN_INT)));
}

/* A calendar row's key to refresh, for bk_calendar_refresh_ranges */
typedef struct CalendarKey
{
	int64		property_id;
	const char *room_type;
	DateADT		month;
} CalendarKey;

/* qsort/qunique comparator of CalendarKeys: property, room type (bytes), month */
static int
refresh_key_cmp(const void *a, const void *b)
{
	const CalendarKey *x = a;
	const CalendarKey *y = b;
	int			c;

	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	c = strcmp(x->room_type, y->room_type);
	if (c != 0)
		return c;
	return x->month < y->month ? -1 : (x->month > y->month ? 1 : 0);
}

/*
 * bk_calendar_refresh_ranges is bk_calendar_refresh_range for n ranges
 * at once (one refresh, one lock of the publisher's row): the release of
 * a batch of block nights (block_release.c).  The caller is inside SPI.
 */
void
bk_calendar_refresh_ranges(int n, const int64 *property_ids, char *const *room_types,
						   const DateADT *firsts, const DateADT *ends)
{
	int			nkeys = 0;
	int			max = 8;
	CalendarKey *keys = palloc(sizeof(CalendarKey) * max);
	Datum	   *ids;
	Datum	   *codes;
	Datum	   *months;

	if (!bk_schema_has_calendar() || n == 0)
		return;
	for (int i = 0; i < n; i++)
		for (DateADT m = bk_first_of_month(firsts[i]); m < ends[i]; m = bk_next_month(m))
		{
			if (nkeys == max)
			{
				max *= 2;
				keys = repalloc(keys, sizeof(CalendarKey) * max);
			}
			keys[nkeys].property_id = property_ids[i];
			keys[nkeys].room_type = room_types[i];
			keys[nkeys].month = m;
			nkeys++;
		}

	/*
	 * Each key once: the refresh aggregates a key's days, so a key given
	 * twice (ranges of one room type that share a month) would count
	 * them twice.
	 */
	qsort(keys, nkeys, sizeof(CalendarKey), refresh_key_cmp);
	nkeys = (int) qunique(keys, nkeys, sizeof(CalendarKey), refresh_key_cmp);
	ids = palloc(sizeof(Datum) * nkeys);
	codes = palloc(sizeof(Datum) * nkeys);
	months = palloc(sizeof(Datum) * nkeys);
	for (int k = 0; k < nkeys; k++)
	{
		ids[k] = Int64GetDatum(keys[k].property_id);
		codes[k] = CStringGetTextDatum(keys[k].room_type);
		months[k] = DateADTGetDatum(keys[k].month);
	}
	refresh_keys(PointerGetDatum(construct_array(ids, nkeys, INT8OID, sizeof(int64),
												 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)),
				 PointerGetDatum(construct_array(codes, nkeys, TEXTOID, -1, false, TYPALIGN_INT)),
				 PointerGetDatum(construct_array(months, nkeys, DATEOID, sizeof(DateADT), true,
												 TYPALIGN_INT)));
}

/*
 * refresh_from_query runs a plan that returns the three key arrays in one
 * row, then refreshes those keys; returns how many keys (0 when none).
 */
static int
refresh_from_query(BookingPlan *keys_plan, Datum *args)
{
	bool		isnull;
	Datum		ids;
	Datum		codes;
	Datum		months;

	bk_exec(keys_plan, args, NULL, 1);
	ids = bk_get(0, 1, &isnull);
	if (isnull)
		return 0;
	ids = SPI_datumTransfer(ids, false, -1);
	codes = SPI_datumTransfer(bk_get_notnull(0, 2), false, -1);
	months = SPI_datumTransfer(bk_get_notnull(0, 3), false, -1);
	refresh_keys(ids, codes, months);
	return ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(months)), ARR_DIMS(DatumGetArrayTypeP(months)));
}

/*
 * bk_calendar_set_has_rules copies a room type's has_rules to its rows.
 */
void
bk_calendar_set_has_rules(int64 property_id, const char *room_type, bool has_rules)
{
	Datum		args[3];

	if (!bk_schema_has_calendar())
		return;
	bk_publisher_lock();		/* the publisher locks calendar rows in its own order */
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = BoolGetDatum(has_rules);
	bk_exec(&set_has_rules_plan, args, NULL, 0);
}

/*
 * booking_rebuild_calendar recomputes the whole calendar from the
 * inventory (after an upgrade, a restore, or a direct write to
 * booking.inventory) and returns how many month rows it holds.
 */
Datum
booking_rebuild_calendar(PG_FUNCTION_ARGS)
{
	int			rows;

	bk_connect();
	rows = refresh_from_query(&all_keys_plan, NULL);
	bk_exec(&delete_empty_months_plan, NULL, NULL, 0);
	bk_finish();
	PG_RETURN_INT32(rows);
}

/*-------------------------------------------------------------------------
 * calendar.c
 *    The room calendar: booking.room_calendar keeps, per room type and
 *    month, the free units and the price of every day, so that search and
 *    availability read a handful of compact rows instead of thousands of
 *    nightly ones.  It is kept off the writers' path:
 *      - a hold, a confirm of an expired hold, a cancel or an expiry writes
 *        its change of free units into its event (events.c), and nothing
 *        here;
 *      - the publisher folds the changes of the events it publishes into
 *        the calendar, in the same transaction (bk_calendar_fold);
 *      - readers add the changes of the events their snapshot sees that
 *        are not published yet (bk_calendar_pending), so an answer is
 *        never older than the last commit;
 *      - open_inventory, rebuild_calendar() and repair_inventory()
 *        recompute whole months as the inventory minus those pending
 *        changes, holding the publisher's lock (bk_calendar_refresh).
 *    This file also owns booking.availability() and booking.calendar(),
 *    which read it, and booking.rebuild_calendar().
 *
 * Lock order: calendar rows are locked in ascending (property_id,
 * room_type, month) order, only by the publisher (which locks nothing
 * else) and by those that hold the publisher's lock.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "catalog/namespace.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_calendar_add);
PG_FUNCTION_INFO_V1(booking_calendar_apply);
PG_FUNCTION_INFO_V1(booking_availability);
PG_FUNCTION_INFO_V1(booking_calendar);
PG_FUNCTION_INFO_V1(booking_rebuild_calendar);

/* Adds the day deltas $4 to free[] of one calendar row, leaving days not on sale alone. */
static BookingPlan fold_plan = {
	"UPDATE booking.room_calendar SET free = booking.calendar_apply(free, $4)"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND month OPERATOR(pg_catalog.=) $3",
	4, {INT8OID, TEXTOID, DATEOID, INT4ARRAYOID}
};

/*
 * The calendar changes of the events not published yet that this snapshot
 * sees, on nights of [$1, $2), of property $3 (any when NULL).
 */
static BookingPlan pending_plan = {
	"SELECT property_id, room_type, first_night, end_night, free_delta"
	"  FROM booking.event"
	" WHERE position IS NULL AND free_delta IS NOT NULL"
	"   AND first_night OPERATOR(pg_catalog.<) $2 AND end_night OPERATOR(pg_catalog.>) $1"
	"   AND ($3::bigint IS NULL OR property_id OPERATOR(pg_catalog.=) $3)",
	3, {DATEOID, DATEOID, INT8OID}
};

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
 * when it publishes them).
 */
#define REFRESH_UPDATE_SQL(pending, not_on_sale) \
	"UPDATE booking.room_calendar c SET free = s.free, price = s.price, has_rules = rt.has_rules," \
	"       property_name = p.name, city = p.city, time_zone = p.time_zone, max_guests = rt.max_guests" \
	"  FROM (" KEYS_SQL ") k" \
	"  JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) k.property_id" \
	"                           AND rt.code OPERATOR(pg_catalog.=) k.room_type" \
	"  JOIN booking.property p ON p.property_id OPERATOR(pg_catalog.=) k.property_id" \
	" CROSS JOIN LATERAL (" \
	"       SELECT pg_catalog.array_agg(COALESCE(n.free, " not_on_sale ") ORDER BY g) AS free," \
	"              pg_catalog.array_agg(COALESCE(n.price, 0) ORDER BY g) AS price" \
	"         FROM pg_catalog.generate_series(0, (k.month OPERATOR(pg_catalog.+) interval '1 month')::date" \
	"                                            OPERATOR(pg_catalog.-) k.month OPERATOR(pg_catalog.-) 1) g" \
	"         LEFT JOIN LATERAL (" \
	"              SELECT i.units OPERATOR(pg_catalog.-) i.held OPERATOR(pg_catalog.-) i.booked" \
	"                     OPERATOR(pg_catalog.-) " pending " AS free, i.price" \
	"                FROM booking.inventory i" \
	"               WHERE i.property_id OPERATOR(pg_catalog.=) k.property_id" \
	"                 AND i.room_type OPERATOR(pg_catalog.=) k.room_type" \
	"                 AND i.night OPERATOR(pg_catalog.=) (k.month OPERATOR(pg_catalog.+) g)) n ON true) s" \
	" WHERE " SAME_KEY("c", "k")

/* What the events not published yet add to the free units of night i.night */
#define PENDING_ON_NIGHT_SQL \
	"COALESCE((SELECT pg_catalog.sum(e.free_delta)::int" \
	"            FROM booking.event e" \
	"           WHERE e.position IS NULL AND e.free_delta IS NOT NULL" \
	"             AND e.property_id OPERATOR(pg_catalog.=) i.property_id" \
	"             AND e.room_type OPERATOR(pg_catalog.=) i.room_type" \
	"             AND e.first_night OPERATOR(pg_catalog.<=) i.night" \
	"             AND e.end_night OPERATOR(pg_catalog.>) i.night), 0)"

static BookingPlan refresh_update_plan = {
	REFRESH_UPDATE_SQL(PENDING_ON_NIGHT_SQL, BK_NOT_ON_SALE_SQL),
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

/* The same for a database at 1.1, whose writers keep the calendar in step. */
static BookingPlan refresh_update_1_1_plan = {
	REFRESH_UPDATE_SQL("0", "-1"),
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

static BookingPlan month_rows_plan = {
	"SELECT c.room_type, c.month, c.free, c.price"
	"  FROM booking.room_calendar c"
	" WHERE c.property_id OPERATOR(pg_catalog.=) $1"
	"   AND c.month OPERATOR(pg_catalog.>=) $2 AND c.month OPERATOR(pg_catalog.<) $3"
	" ORDER BY c.room_type, c.month",
	3, {INT8OID, DATEOID, DATEOID}
};

/* Room types of a property with the stop-sell days of one month. */
static BookingPlan grid_rows_plan = {
	"SELECT rt.code, c.free,"
	"       (SELECT pg_catalog.array_agg(s.night OPERATOR(pg_catalog.-) $2 OPERATOR(pg_catalog.+) 1)"
	"          FROM booking.stay_rule s"
	"         WHERE s.property_id OPERATOR(pg_catalog.=) rt.property_id"
	"           AND s.room_type OPERATOR(pg_catalog.=) rt.code AND s.stop_sell"
	"           AND s.night OPERATOR(pg_catalog.>=) $2"
	"           AND s.night OPERATOR(pg_catalog.<) (($2::timestamp) OPERATOR(pg_catalog.+) interval '1 month')::date)"
	"  FROM booking.room_type rt"
	"  LEFT JOIN booking.room_calendar c"
	"    ON c.property_id OPERATOR(pg_catalog.=) rt.property_id"
	"   AND c.room_type OPERATOR(pg_catalog.=) rt.code AND c.month OPERATOR(pg_catalog.=) $2"
	" WHERE rt.property_id OPERATOR(pg_catalog.=) $1"
	" ORDER BY rt.code",
	2, {INT8OID, DATEOID}
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
 * bk_calendar_fold adds the calendar changes of events being published
 * to the room calendar: one UPDATE per (property, room type, month), in
 * the global order.  A month that has no calendar row (nights written
 * behind the engine's back) is recomputed from the inventory instead.
 * The caller holds the publisher's lock and is inside SPI.
 */
void
bk_calendar_fold(BkCalendarDelta *deltas, int n)
{
	int			i = 0;

	if (!bk_schema_has_calendar())
		return;
	qsort(deltas, n, sizeof(BkCalendarDelta), calendar_key_cmp);
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
			Datum		day_deltas[31];
			bool		any = false;
			Datum		args[4];

			for (int d = 0; d < lengthof(day_deltas); d++)
				day_deltas[d] = Int32GetDatum(0);
			for (int k = i; k < j; k++)
				for (DateADT night = Max(deltas[k].first_night, month);
					 night < Min(deltas[k].end_night, month + ndays); night++)
				{
					day_deltas[night - month] =
						Int32GetDatum(DatumGetInt32(day_deltas[night - month]) + deltas[k].delta);
					any = true;
				}
			if (!any)
				continue;
			args[0] = Int64GetDatum(deltas[i].property_id);
			args[1] = deltas[i].room_type;
			args[2] = DateADTGetDatum(month);
			args[3] = PointerGetDatum(construct_array(day_deltas, ndays, INT4OID, sizeof(int32),
													  true, TYPALIGN_INT));
			bk_exec(&fold_plan, args, NULL, 0);
			if (SPI_processed == 0)
				bk_calendar_refresh_range(deltas[i].property_id,
										  TextDatumGetCString(deltas[i].room_type),
										  month, bk_next_month(month));
		}
		i = j;
	}
}

/*
 * bk_calendar_pending returns the calendar changes of the events this
 * snapshot sees that are not published yet, on nights of [first, end),
 * of one property (or of all when property_id is 0), in the caller's
 * memory; *n says how many.  The caller is inside SPI.
 */
BkCalendarDelta *
bk_calendar_pending(DateADT first, DateADT end, int64 property_id, int *n)
{
	Datum		args[3];
	char		nulls[3] = {' ', ' ', property_id == 0 ? 'n' : ' '};
	BkCalendarDelta *deltas;

	if (!bk_schema_has_event_deltas())
	{
		*n = 0;				/* 1.1: writers keep the calendar in step */
		return NULL;
	}
	args[0] = DateADTGetDatum(first);
	args[1] = DateADTGetDatum(end);
	args[2] = Int64GetDatum(property_id);
	bk_exec(&pending_plan, args, nulls, 0);
	*n = (int) SPI_processed;
	deltas = palloc(sizeof(BkCalendarDelta) * Max(*n, 1));
	for (int row = 0; row < *n; row++)
	{
		deltas[row].property_id = bk_get_int64(row, 1);
		deltas[row].room_type = SPI_datumTransfer(bk_get_notnull(row, 2), false, -1);
		deltas[row].first_night = DatumGetDateADT(bk_get_notnull(row, 3));
		deltas[row].end_night = DatumGetDateADT(bk_get_notnull(row, 4));
		deltas[row].delta = bk_get_int32(row, 5);
	}
	return deltas;
}

/*
 * bk_calendar_pending_on returns what the pending changes add to the free
 * units of one room type on `night`.
 */
int32
bk_calendar_pending_on(const BkCalendarDelta *deltas, int n, int64 property_id,
					   Datum room_type, DateADT night)
{
	int32		sum = 0;

	for (int i = 0; i < n; i++)
		if (deltas[i].property_id == property_id &&
			night >= deltas[i].first_night && night < deltas[i].end_night &&
			bk_same_text(deltas[i].room_type, room_type))
			sum += deltas[i].delta;
	return sum;
}

/*
 * bk_calendar_off_sale says whether a calendar day holds the "not on sale"
 * marker: BK_NOT_ON_SALE from 1.2 on, where a day on sale may be below
 * zero until the publisher's next pass; -1 at 1.1, whose writers kept
 * every day on sale at zero or more.
 */
bool
bk_calendar_off_sale(int32 free)
{
	if (free == BK_NOT_ON_SALE)
		return true;
	return free < 0 && !bk_schema_has_event_deltas();
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
	Datum		args[3] = {property_ids, room_types, months};

	bk_publisher_lock();
	bk_exec(&refresh_insert_plan, args, NULL, 0);
	bk_exec_locking(&refresh_lock_plan, args, NULL, 0, "calendar rows");
	bk_exec(bk_schema_has_event_deltas() ? &refresh_update_plan : &refresh_update_1_1_plan,
			args, NULL, 0);
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

/*
 * booking_availability is availability(property_id, check_in, check_out):
 * one row per room type and open night of the range, with the free units
 * and the night's price, read from the calendar and the changes not
 * folded into it yet.
 */
Datum
booking_availability(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	DateADT		check_in;
	DateADT		check_out;
	Datum		args[3];
	BkCalendarDelta *pending;
	int			npending;

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "check_in");
	bk_require_arg(fcinfo, 2, "check_out");
	check_in = PG_GETARG_DATEADT(1);
	check_out = PG_GETARG_DATEADT(2);
	bk_validate_stay(check_in, check_out);
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect_read_only();
	bk_require_property(PG_GETARG_INT64(0));
	if (!bk_schema_has_calendar())
	{
		bk_compat_availability(fcinfo, PG_GETARG_INT64(0), check_in, check_out);
		bk_finish();
		return (Datum) 0;
	}
	pending = bk_calendar_pending(check_in, check_out, PG_GETARG_INT64(0), &npending);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = DateADTGetDatum(bk_first_of_month(check_in));
	args[2] = DateADTGetDatum(check_out);
	bk_exec(&month_rows_plan, args, NULL, 0);

	for (uint64 row = 0; row < SPI_processed; row++)
	{
		Datum		room_type = bk_get_notnull(row, 1);
		DateADT		month = DatumGetDateADT(bk_get_notnull(row, 2));
		ArrayType  *free = DatumGetArrayTypeP(bk_get_notnull(row, 3));
		Datum	   *prices;
		int			nprices;
		int32	   *days = (int32 *) ARR_DATA_PTR(free);
		int			ndays = ArrayGetNItems(ARR_NDIM(free), ARR_DIMS(free));

		deconstruct_array(DatumGetArrayTypeP(bk_get_notnull(row, 4)), NUMERICOID, -1, false,
						  TYPALIGN_INT, &prices, NULL, &nprices);
		for (int d = 0; d < ndays && d < nprices; d++)
		{
			DateADT		night = month + d;
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (night < check_in || night >= check_out || bk_calendar_off_sale(days[d]))
				continue;
			values[0] = room_type;
			values[1] = DateADTGetDatum(night);
			values[2] = Int32GetDatum(days[d] +
									  bk_calendar_pending_on(pending, npending, PG_GETARG_INT64(0),
															 room_type, night));
			values[3] = prices[d];
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	bk_finish();
	return (Datum) 0;
}

/*
 * booking_calendar is calendar(property_id, month): a grid a person can
 * read in psql.  The first row numbers the days; then one row per room
 * type with, per day, the free units, X when sold out, - for stop-sell
 * and . when the night is not on sale.
 */
Datum
booking_calendar(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	DateADT		month;
	DateADT		end;
	int			ndays;
	Datum		args[2];
	StringInfoData line;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	BkCalendarDelta *pending;
	int			npending;

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "month");
	bk_validate_dates(PG_GETARG_DATEADT(1), PG_GETARG_DATEADT(1));
	month = bk_first_of_month(PG_GETARG_DATEADT(1));
	end = bk_next_month(month);
	ndays = end - month;
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect_read_only();
	bk_require_property(PG_GETARG_INT64(0));

	initStringInfo(&line);
	for (int d = 1; d <= ndays; d++)
		appendStringInfo(&line, "%3d", d);
	values[0] = CStringGetTextDatum(bk_date_str(month));
	values[1] = CStringGetTextDatum(line.data);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	pending = bk_calendar_pending(month, end, PG_GETARG_INT64(0), &npending);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = DateADTGetDatum(month);
	bk_exec(&grid_rows_plan, args, NULL, 0);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		no_calendar;
		bool		no_stops;
		Datum		free_datum = bk_get(row, 2, &no_calendar);
		Datum		stops_datum = bk_get(row, 3, &no_stops);
		int32	   *days = NULL;
		int			nfree = 0;
		bool		stop[32] = {false};

		if (!no_calendar)
		{
			ArrayType  *free = DatumGetArrayTypeP(free_datum);

			days = (int32 *) ARR_DATA_PTR(free);
			nfree = ArrayGetNItems(ARR_NDIM(free), ARR_DIMS(free));
		}
		if (!no_stops)
		{
			Datum	   *stop_days;
			int			nstops;

			deconstruct_array(DatumGetArrayTypeP(stops_datum), INT4OID, sizeof(int32), true,
							  TYPALIGN_INT, &stop_days, NULL, &nstops);
			for (int i = 0; i < nstops; i++)
				if (DatumGetInt32(stop_days[i]) >= 1 && DatumGetInt32(stop_days[i]) <= 31)
					stop[DatumGetInt32(stop_days[i])] = true;
		}

		resetStringInfo(&line);
		for (int d = 1; d <= ndays; d++)
		{
			int32		free_units = 0;

			bool		on_sale = d <= nfree && !bk_calendar_off_sale(days[d - 1]);

			if (on_sale)
				free_units = days[d - 1] +
					bk_calendar_pending_on(pending, npending, PG_GETARG_INT64(0),
										   bk_get_notnull(row, 1), month + d - 1);
			if (!on_sale)
				appendStringInfoString(&line, "  .");
			else if (stop[d])
				appendStringInfoString(&line, "  -");
			else if (free_units <= 0)
				appendStringInfoString(&line, "  X");
			else if (free_units > 99)
				appendStringInfoString(&line, " 99");
			else
				appendStringInfo(&line, "%3d", free_units);
		}
		values[0] = bk_get_notnull(row, 1);
		values[1] = CStringGetTextDatum(line.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	bk_finish();
	return (Datum) 0;
}

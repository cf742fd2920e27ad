/*-------------------------------------------------------------------------
 * calendar.c
 *    The room calendar: booking.room_calendar keeps, per room type and
 *    month, the free units and the price of every day, so that search and
 *    availability read a handful of compact rows instead of thousands of
 *    nightly ones.  It is kept in the same transaction as every inventory
 *    change, so it is never stale:
 *      - a hold, a cancel or an expiry of one stay shifts free[] by the
 *        units moved (bk_calendar_shift, the hot path: one UPDATE);
 *      - open_inventory, a batch of expiries and rebuild_calendar()
 *        recompute whole months from the inventory (bk_calendar_refresh).
 *    This file also owns booking.availability() and booking.calendar(),
 *    which read it, and booking.rebuild_calendar().
 *
 * Lock order: calendar rows are locked after the inventory rows whose
 * change they record, in ascending (property_id, room_type, month) order.
 * A refresh locks the calendar rows before it reads the inventory, so a
 * concurrent shift is either in its snapshot or applied on top of it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "catalog/namespace.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_calendar_add);
PG_FUNCTION_INFO_V1(booking_availability);
PG_FUNCTION_INFO_V1(booking_calendar);
PG_FUNCTION_INFO_V1(booking_rebuild_calendar);

/* Adds $5 to free[] of the days of [$3, $4) in the months from $6. */
static BookingPlan shift_plan = {
	"UPDATE booking.room_calendar c"
	"   SET free = booking.calendar_add(c.free, GREATEST($3 - c.month, 0) + 1,"
	"                                   LEAST($4 - c.month, pg_catalog.array_length(c.free, 1)), $5)"
	"  FROM (SELECT month FROM booking.room_calendar"
	"         WHERE property_id = $1 AND room_type = $2 AND month >= $6 AND month < $4"
	"         ORDER BY month FOR UPDATE) l"
	" WHERE c.property_id = $1 AND c.room_type = $2 AND c.month = l.month",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, DATEOID}
};

/* The keys (property, room type, month) of the reservations in $1. */
static BookingPlan reservation_keys_plan = {
	"SELECT pg_catalog.array_agg(property_id ORDER BY property_id, room_type, month),"
	"       pg_catalog.array_agg(room_type ORDER BY property_id, room_type, month),"
	"       pg_catalog.array_agg(month ORDER BY property_id, room_type, month)"
	"  FROM (SELECT DISTINCT r.property_id, r.room_type,"
	"               pg_catalog.date_trunc('month', (r.check_in + g)::timestamp)::date AS month"
	"          FROM booking.reservation r,"
	"               pg_catalog.generate_series(0, r.check_out - r.check_in - 1) g"
	"         WHERE r.reservation_id = ANY ($1)) k",
	1, {INT8ARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
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

/* Refresh, step 1: make sure a row exists for every key. */
static BookingPlan refresh_insert_plan = {
	"INSERT INTO booking.room_calendar"
	"       (property_id, room_type, month, property_name, city, time_zone, max_guests,"
	"        has_rules, free, price)"
	" SELECT k.property_id, k.room_type, k.month, p.name, p.city, p.time_zone, rt.max_guests,"
	"        rt.has_rules, '{}', '{}'"
	"   FROM (" KEYS_SQL ") k"
	"   JOIN booking.room_type rt ON rt.property_id = k.property_id AND rt.code = k.room_type"
	"   JOIN booking.property p ON p.property_id = k.property_id"
	"  ORDER BY 1, 2, 3"
	" ON CONFLICT (property_id, room_type, month) DO NOTHING",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

/* Refresh, step 2: lock the rows, in order. */
static BookingPlan refresh_lock_plan = {
	"SELECT 1 FROM booking.room_calendar c"
	"  JOIN (" KEYS_SQL ") k"
	"    ON c.property_id = k.property_id AND c.room_type = k.room_type AND c.month = k.month"
	" ORDER BY c.property_id, c.room_type, c.month FOR UPDATE OF c",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

/* Refresh, step 3: recompute them from the inventory, in a new snapshot. */
static BookingPlan refresh_update_plan = {
	"UPDATE booking.room_calendar c SET free = s.free, price = s.price, has_rules = rt.has_rules,"
	"       property_name = p.name, city = p.city, time_zone = p.time_zone, max_guests = rt.max_guests"
	"  FROM (" KEYS_SQL ") k"
	"  JOIN booking.room_type rt ON rt.property_id = k.property_id AND rt.code = k.room_type"
	"  JOIN booking.property p ON p.property_id = k.property_id"
	" CROSS JOIN LATERAL ("
	"       SELECT pg_catalog.array_agg(COALESCE(n.free, -1) ORDER BY g) AS free,"
	"              pg_catalog.array_agg(COALESCE(n.price, 0) ORDER BY g) AS price"
	"         FROM pg_catalog.generate_series(0, (k.month + interval '1 month')::date - k.month - 1) g"
	"         LEFT JOIN LATERAL (SELECT i.units - i.held - i.booked AS free, i.price"
	"                              FROM booking.inventory i"
	"                             WHERE i.property_id = k.property_id AND i.room_type = k.room_type"
	"                               AND i.night = k.month + g) n ON true) s"
	" WHERE c.property_id = k.property_id AND c.room_type = k.room_type AND c.month = k.month",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

static BookingPlan delete_empty_months_plan = {
	"DELETE FROM booking.room_calendar c"
	" WHERE NOT EXISTS (SELECT 1 FROM booking.inventory i"
	"                    WHERE i.property_id = c.property_id AND i.room_type = c.room_type"
	"                      AND i.night >= c.month AND i.night < (c.month + interval '1 month')::date)",
	0, {InvalidOid}
};

static BookingPlan set_has_rules_plan = {
	"UPDATE booking.room_calendar SET has_rules = $3"
	" WHERE property_id = $1 AND room_type = $2 AND has_rules <> $3",
	3, {INT8OID, TEXTOID, BOOLOID}
};

static BookingPlan month_rows_plan = {
	"SELECT c.room_type, c.month, c.free, c.price"
	"  FROM booking.room_calendar c"
	" WHERE c.property_id = $1 AND c.month >= $2 AND c.month < $3"
	" ORDER BY c.room_type, c.month",
	3, {INT8OID, DATEOID, DATEOID}
};

/* Room types of a property with the stop-sell days of one month. */
static BookingPlan grid_rows_plan = {
	"SELECT rt.code, c.free,"
	"       (SELECT pg_catalog.array_agg(s.night - $2 + 1) FROM booking.stay_rule s"
	"         WHERE s.property_id = rt.property_id AND s.room_type = rt.code AND s.stop_sell"
	"           AND s.night >= $2 AND s.night < (($2::timestamp) + interval '1 month')::date)"
	"  FROM booking.room_type rt"
	"  LEFT JOIN booking.room_calendar c"
	"    ON c.property_id = rt.property_id AND c.room_type = rt.code AND c.month = $2"
	" WHERE rt.property_id = $1"
	" ORDER BY rt.code",
	2, {INT8OID, DATEOID}
};

/*
 * bk_schema_has_calendar says whether the database's booking schema has
 * the room calendar (version 1.1 on).  A database still at 1.0 after the
 * library was upgraded, before ALTER EXTENSION booking UPDATE, has not:
 * the engine then keeps no calendar and reads the nightly rows (compat.c).
 * Two syscache lookups, cheap enough to ask on every call.
 */
bool
bk_schema_has_calendar(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) && OidIsValid(get_relname_relid("room_calendar", namespace));
}

/*
 * bk_first_of_month returns the first day of the month of `day`.
 */
DateADT
bk_first_of_month(DateADT day)
{
	int			year;
	int			month;
	int			mday;

	j2date(day + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	return date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * next_month returns the first day of the month after `first`.
 */
static DateADT
next_month(DateADT first)
{
	int			year;
	int			month;
	int			mday;

	j2date(first + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	if (++month > 12)
	{
		month = 1;
		year++;
	}
	return date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * booking_calendar_add is calendar_add(free, lo, hi, delta): free with
 * delta added to the elements lo..hi (1-based), except those that are -1
 * (not on sale).
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
 * bk_calendar_shift records that the free units of every night of
 * [check_in, check_out) changed by delta.  The caller has locked and
 * changed those nights.
 */
void
bk_calendar_shift(int64 property_id, const char *room_type,
				  DateADT check_in, DateADT check_out, int32 delta)
{
	Datum		args[6];

	if (delta == 0 || !booking_calendar_maintenance || !bk_schema_has_calendar())
		return;
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = Int32GetDatum(delta);
	args[5] = DateADTGetDatum(bk_first_of_month(check_in));
	bk_exec_locking(&shift_plan, args, NULL, 0,
					psprintf("the calendar of room type \"%s\" at property %lld",
							 room_type, (long long) property_id));
}

/*
 * refresh_keys recomputes the calendar rows of the keys given as three
 * parallel arrays (property_id bigint[], room_type text[], month date[]),
 * creating missing ones: insert, lock in order, recompute.
 */
static void
refresh_keys(Datum property_ids, Datum room_types, Datum months)
{
	Datum		args[3] = {property_ids, room_types, months};

	bk_exec(&refresh_insert_plan, args, NULL, 0);
	bk_exec_locking(&refresh_lock_plan, args, NULL, 0, "calendar rows");
	bk_exec(&refresh_update_plan, args, NULL, 0);
}

/*
 * bk_calendar_refresh_range recomputes the months of one room type that
 * overlap [first, end).
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
	for (DateADT m = bk_first_of_month(first); m < end; m = next_month(m))
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
 * bk_calendar_refresh_reservations recomputes the months the reservations
 * in ids_array (int8[]) cover: after a batch of expiries.
 */
void
bk_calendar_refresh_reservations(Datum ids_array)
{
	Datum		args[1] = {ids_array};

	if (bk_schema_has_calendar())
		(void) refresh_from_query(&reservation_keys_plan, args);
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
 * and the night's price, read from the calendar.
 */
Datum
booking_availability(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	DateADT		check_in;
	DateADT		check_out;
	Datum		args[3];

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "check_in");
	bk_require_arg(fcinfo, 2, "check_out");
	check_in = PG_GETARG_DATEADT(1);
	check_out = PG_GETARG_DATEADT(2);
	bk_validate_stay(check_in, check_out);
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect();
	bk_require_property(PG_GETARG_INT64(0));
	if (!bk_schema_has_calendar())
	{
		bk_compat_availability(fcinfo, PG_GETARG_INT64(0), check_in, check_out);
		bk_finish();
		return (Datum) 0;
	}
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

			if (night < check_in || night >= check_out || days[d] < 0)
				continue;
			values[0] = room_type;
			values[1] = DateADTGetDatum(night);
			values[2] = Int32GetDatum(days[d]);
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

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "month");
	bk_validate_dates(PG_GETARG_DATEADT(1), PG_GETARG_DATEADT(1));
	month = bk_first_of_month(PG_GETARG_DATEADT(1));
	end = next_month(month);
	ndays = end - month;
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect();
	bk_require_property(PG_GETARG_INT64(0));

	initStringInfo(&line);
	for (int d = 1; d <= ndays; d++)
		appendStringInfo(&line, "%3d", d);
	values[0] = CStringGetTextDatum(bk_date_str(month));
	values[1] = CStringGetTextDatum(line.data);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

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
			if (d > nfree || days[d - 1] < 0)
				appendStringInfoString(&line, "  .");
			else if (stop[d])
				appendStringInfoString(&line, "  -");
			else if (days[d - 1] == 0)
				appendStringInfoString(&line, "  X");
			else if (days[d - 1] > 99)
				appendStringInfoString(&line, " 99");
			else
				appendStringInfo(&line, "%3d", days[d - 1]);
		}
		values[0] = bk_get_notnull(row, 1);
		values[1] = CStringGetTextDatum(line.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	bk_finish();
	return (Datum) 0;
}

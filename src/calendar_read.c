/*-------------------------------------------------------------------------
 * calendar_read.c
 *    Reading the room calendar (booking.room_calendar, kept by calendar.c):
 *    booking.availability() and booking.calendar(), and what every reader
 *    of the calendar needs, search.c's too: the changes of the events this
 *    snapshot sees that are not published yet, which a reader adds to the
 *    calendar's days so that its answer is never older than the last
 *    commit (bk_calendar_pending, bk_calendar_pending_on), and which days
 *    are not on sale (bk_calendar_off_sale).
 *
 * Readers lock and write nothing: they run read-only, every statement in
 * the snapshot of the query that called them (bk_connect_read_only).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_availability);
PG_FUNCTION_INFO_V1(booking_calendar);

/*
 * Room types of a property with the stop-sell days of one month; from 2.0
 * also, for the days that have some, the rooms set aside for blocks and
 * the rooms waiting entries want: (day, blocked, waiting) triples.
 */
#define GRID_ROWS_SQL(counts) \
	"SELECT rt.code, c.free," \
	"       (SELECT pg_catalog.array_agg(s.night OPERATOR(pg_catalog.-) $2 OPERATOR(pg_catalog.+) 1)" \
	"          FROM booking.stay_rule s" \
	"         WHERE s.property_id OPERATOR(pg_catalog.=) rt.property_id" \
	"           AND s.room_type OPERATOR(pg_catalog.=) rt.code AND s.stop_sell" \
	"           AND s.night OPERATOR(pg_catalog.>=) $2" \
	"           AND s.night OPERATOR(pg_catalog.<) (($2::timestamp) OPERATOR(pg_catalog.+) interval '1 month')::date)," \
	counts \
	"  FROM booking.room_type rt" \
	"  LEFT JOIN booking.room_calendar c" \
	"    ON c.property_id OPERATOR(pg_catalog.=) rt.property_id" \
	"   AND c.room_type OPERATOR(pg_catalog.=) rt.code AND c.month OPERATOR(pg_catalog.=) $2" \
	" WHERE rt.property_id OPERATOR(pg_catalog.=) $1" \
	" ORDER BY rt.code"

static BookingPlan grid_rows_plan = {GRID_ROWS_SQL("NULL::int[]"), 2, {INT8OID, DATEOID}};
static BookingPlan grid_rows_2_0_plan = {
	GRID_ROWS_SQL("(SELECT pg_catalog.array_agg(ARRAY[(i.night OPERATOR(pg_catalog.-) $2 OPERATOR(pg_catalog.+) 1),"
				  "                                   i.blocked, i.waiting] ORDER BY i.night)"
				  "   FROM booking.inventory i"
				  "  WHERE i.property_id OPERATOR(pg_catalog.=) rt.property_id"
				  "    AND i.room_type OPERATOR(pg_catalog.=) rt.code"
				  "    AND i.night OPERATOR(pg_catalog.>=) $2"
				  "    AND i.night OPERATOR(pg_catalog.<) (($2::timestamp) OPERATOR(pg_catalog.+) interval '1 month')::date"
				  "    AND (i.blocked OPERATOR(pg_catalog.>) 0 OR i.waiting OPERATOR(pg_catalog.>) 0))"),
	2, {INT8OID, DATEOID}
};

/*
 * put_counts_row adds to a calendar grid the row `<room type> <what>` with
 * the count `which` (1: blocked, 2: waiting) of every day of the (day,
 * blocked, waiting) triples that has one, blank elsewhere; nothing when no
 * day has one.
 */
static void
put_counts_row(ReturnSetInfo *rsinfo, Datum room_type, const char *what, Datum triples,
			   int which, int ndays)
{
	ArrayType  *array = DatumGetArrayTypeP(triples);
	int32	   *cells = (int32 *) ARR_DATA_PTR(array);
	int			n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array)) / 3;
	int32		count[32] = {0};
	bool		any = false;
	StringInfoData line;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	for (int i = 0; i < n; i++)
	{
		int32		day = cells[3 * i];

		if (day >= 1 && day <= 31 && cells[3 * i + which] > 0)
		{
			count[day] = cells[3 * i + which];
			any = true;
		}
	}
	if (!any)
		return;
	initStringInfo(&line);
	for (int d = 1; d <= ndays; d++)
	{
		if (count[d] == 0)
			appendStringInfoString(&line, "   ");
		else
			appendStringInfo(&line, "%3d", Min(count[d], 99));
	}
	values[0] = CStringGetTextDatum(psprintf("%s %s", TextDatumGetCString(room_type), what));
	values[1] = CStringGetTextDatum(line.data);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * bk_calendar_pending returns the calendar changes of the events this
 * snapshot sees that are not published yet, on nights of [first, end),
 * of one property (or of all when property_id is 0), in the caller's
 * memory; *n says how many.  Read without SPI (publisher.c), in the
 * snapshot of the query that called the function, the one the calendar
 * rows are read in (bk_direct_begin_read).
 */
BkCalendarDelta *
bk_calendar_pending(DateADT first, DateADT end, int64 property_id, int *n)
{
	BkDirect	d;
	BkCalendarDelta *deltas;

	if (!bk_schema_has_event_deltas())
	{
		*n = 0;				/* 1.1: writers keep the calendar in step */
		return NULL;
	}
	bk_direct_begin_read(&d);
	deltas = bk_events_pending_changes(&d, first, end, property_id, n);
	bk_direct_end(&d);
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
 * booking_availability is availability(property_id, check_in, check_out):
 * one row per room type and open night of the range, with the free units
 * and the night's price, read from the calendar (its primary key walked
 * without SPI, in the calling query's snapshot) and the changes not
 * folded into it yet.
 */
Datum
booking_availability(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	DateADT		check_in;
	DateADT		check_out;
	int64		property_id;
	BkCalendarDelta *pending;
	int			npending;
	BkDirect	d;
	ScanKeyData keys[3];
	IndexScanDesc scan;
	TupleTableSlot *row;

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "check_in");
	bk_require_arg(fcinfo, 2, "check_out");
	check_in = PG_GETARG_DATEADT(1);
	check_out = PG_GETARG_DATEADT(2);
	property_id = PG_GETARG_INT64(0);
	bk_validate_stay(check_in, check_out);
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect_read_only();
	if (!bk_schema_has_calendar())
	{
		bk_require_property(property_id);
		bk_compat_availability(fcinfo, property_id, check_in, check_out);
		bk_finish();
		return (Datum) 0;
	}
	pending = bk_calendar_pending(check_in, check_out, property_id, &npending);
	bk_direct_begin_read(&d);
	(void) bk_look_up_property(&d, property_id);	/* BK005 when there is none */
	row = bk_direct_slot(&d, BK_ROOM_CALENDAR, BK_SLOT_FOUND);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
	ScanKeyInit(&keys[1], 3, BTGreaterEqualStrategyNumber, F_DATE_GE,
				DateADTGetDatum(bk_first_of_month(check_in)));
	ScanKeyInit(&keys[2], 3, BTLessStrategyNumber, F_DATE_LT, DateADTGetDatum(check_out));
	/* the primary key's order: room type, month */
	scan = bk_direct_scan(&d, BK_ROOM_CALENDAR, BK_ROOM_CALENDAR_PKEY, keys, 3);
	while (index_getnext_slot(scan, ForwardScanDirection, row))
	{
		Datum		room_type = bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_ROOM_TYPE));
		DateADT		month = DatumGetDateADT(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_MONTH)));
		ArrayType  *free = DatumGetArrayTypeP(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_FREE)));
		Datum	   *prices;
		int			nprices;
		int32	   *days = (int32 *) ARR_DATA_PTR(free);
		int			ndays = ArrayGetNItems(ARR_NDIM(free), ARR_DIMS(free));

		deconstruct_array(DatumGetArrayTypeP(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_PRICE))),
						  NUMERICOID, -1, false, TYPALIGN_INT, &prices, NULL, &nprices);
		for (int day = 0; day < ndays && day < nprices; day++)
		{
			DateADT		night = month + day;
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (night < check_in || night >= check_out || bk_calendar_off_sale(days[day]))
				continue;
			values[0] = room_type;
			values[1] = DateADTGetDatum(night);
			/* an overbooked night (channels, 2.0) is below zero: none free */
			values[2] = Int32GetDatum(Max(0, days[day] +
										  bk_calendar_pending_on(pending, npending, property_id,
																 room_type, night)));
			values[3] = prices[day];
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	index_endscan(scan);
	ExecClearTuple(row);
	bk_direct_end(&d);
	bk_finish();
	return (Datum) 0;
}

/*
 * booking_calendar is calendar(property_id, month): a grid a person can
 * read in psql.  The first row numbers the days; then one row per room
 * type with, per day, the free units, X when sold out, - for stop-sell
 * and . when the night is not on sale; under it (2.0), when some day of
 * the month has them, a row `<code> blocked` with the rooms set aside for
 * blocks and a row `<code> waiting` with the rooms waiting entries want.
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
	bk_exec(bk_schema_has_overbooked() ? &grid_rows_2_0_plan : &grid_rows_plan, args, NULL, 0);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		no_counts;
		Datum		counts_datum = bk_get(row, 4, &no_counts);
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
		if (!no_counts)
		{
			put_counts_row(rsinfo, values[0], "blocked", counts_datum, 1, ndays);
			put_counts_row(rsinfo, values[0], "waiting", counts_datum, 2, ndays);
		}
	}
	bk_finish();
	return (Datum) 0;
}

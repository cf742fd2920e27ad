/*-------------------------------------------------------------------------
 * compat.c
 *    Serving a database whose extension is still at version 1.0 after the
 *    library was upgraded, until ALTER EXTENSION booking UPDATE runs: such
 *    a database has no room calendar, so availability() and search() read
 *    the nightly inventory rows, as 1.0 did.  Everything else the library
 *    does checks bk_schema_has_calendar() itself.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "booking.h"

static BookingPlan availability_1_0_plan = {
	"SELECT room_type, night, (units OPERATOR(pg_catalog.-) held) OPERATOR(pg_catalog.-) booked, price"
	"  FROM booking.inventory"
	" WHERE property_id OPERATOR(pg_catalog.=) $1"
	"   AND night OPERATOR(pg_catalog.>=) $2 AND night OPERATOR(pg_catalog.<) $3"
	" ORDER BY room_type, night",
	3, {INT8OID, DATEOID, DATEOID}
};

static BookingPlan search_1_0_plan = {
	"SELECT p.property_id, p.name, rt.code,"
	"       pg_catalog.min((i.units OPERATOR(pg_catalog.-) i.held) OPERATOR(pg_catalog.-) i.booked)::int,"
	"       pg_catalog.sum(i.price) OPERATOR(pg_catalog.*) $5"
	"  FROM booking.property p"
	"  JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) p.property_id"
	"  JOIN booking.inventory i ON i.property_id OPERATOR(pg_catalog.=) rt.property_id"
	"                          AND i.room_type OPERATOR(pg_catalog.=) rt.code"
	" WHERE p.city OPERATOR(pg_catalog.=) $1 AND rt.max_guests OPERATOR(pg_catalog.>=) $4"
	"   AND i.night OPERATOR(pg_catalog.>=) $2 AND i.night OPERATOR(pg_catalog.<) $3"
	"   AND (pg_catalog.statement_timestamp() AT TIME ZONE p.time_zone)::date OPERATOR(pg_catalog.<=) $2"
	" GROUP BY p.property_id, p.name, rt.code"
	" HAVING pg_catalog.count(*) OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.-) $2)"
	"    AND pg_catalog.min((i.units OPERATOR(pg_catalog.-) i.held) OPERATOR(pg_catalog.-) i.booked)"
	"        OPERATOR(pg_catalog.>=) $5"
	" ORDER BY 5, 1, 3"
	" LIMIT $6",
	6, {TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID, INT4OID}
};

/*
 * bk_compat_availability answers availability() from the inventory rows.
 * The caller has checked the arguments and set up the result set.
 */
void
bk_compat_availability(FunctionCallInfo fcinfo, int64 property_id,
					   DateADT check_in, DateADT check_out)
{
	Datum		args[3];

	args[0] = Int64GetDatum(property_id);
	args[1] = DateADTGetDatum(check_in);
	args[2] = DateADTGetDatum(check_out);
	bk_exec(&availability_1_0_plan, args, NULL, 0);
	bk_return_rows(fcinfo);
}

/*
 * bk_compat_search answers search() with one SQL group-by over the
 * inventory rows (1.0 has no stay rules).  Arguments as for search().
 */
void
bk_compat_search(FunctionCallInfo fcinfo, int32 rooms, int32 max_results)
{
	Datum		args[6];

	for (int i = 0; i < 4; i++)
		args[i] = PG_GETARG_DATUM(i);
	args[4] = Int32GetDatum(rooms);
	args[5] = Int32GetDatum(max_results);
	bk_exec(&search_1_0_plan, args, NULL, 0);
	bk_return_rows(fcinfo);
}

/*-------------------------------------------------------------------------
 * compat.c
 *    Serving a database whose extension is still at version 1.0 after the
 *    library was upgraded, until ALTER EXTENSION booking UPDATE runs: such
 *    a database has no room calendar, so availability() and search() read
 *    the nightly inventory rows, as 1.0 did; and a database at 1.1, whose
 *    events carry no calendar changes (see the end of this file).
 *    Everything else the library does checks bk_schema_has_calendar() or
 *    bk_schema_has_event_deltas() itself.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

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

/*
 * Serving a database at 1.1 (or 1.0): its events carry no calendar
 * changes and it has no booking.event_publisher, so writers keep the room
 * calendar in step themselves, as 1.1 did, and the publisher takes 1.1's
 * advisory lock.
 */

/* Adds $5 to free[] of the days of [$3, $4) in the months from $6. */
static BookingPlan shift_1_1_plan = {
	"UPDATE booking.room_calendar c"
	"   SET free = booking.calendar_add(c.free,"
	"                  GREATEST($3 OPERATOR(pg_catalog.-) c.month, 0) OPERATOR(pg_catalog.+) 1,"
	"                  LEAST($4 OPERATOR(pg_catalog.-) c.month, pg_catalog.array_length(c.free, 1)), $5)"
	"  FROM (SELECT month FROM booking.room_calendar"
	"         WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"           AND month OPERATOR(pg_catalog.>=) $6 AND month OPERATOR(pg_catalog.<) $4"
	"         ORDER BY month FOR UPDATE) l"
	" WHERE c.property_id OPERATOR(pg_catalog.=) $1 AND c.room_type OPERATOR(pg_catalog.=) $2"
	"   AND c.month OPERATOR(pg_catalog.=) l.month",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, DATEOID}
};

static BookingPlan publish_lock_1_1_plan = {
	"SELECT pg_catalog.pg_try_advisory_xact_lock("
	"  'booking.event'::pg_catalog.regclass::pg_catalog.oid::int, 0)",
	0, {InvalidOid}
};

/*
 * bk_schema_has_event_deltas says whether the events carry their calendar
 * changes (version 1.2 on).
 */
bool
bk_schema_has_event_deltas(void)
{
	Oid			namespace = get_namespace_oid("booking", true);
	Oid			event = OidIsValid(namespace) ? get_relname_relid("event", namespace) : InvalidOid;

	return OidIsValid(event) && get_attnum(event, "free_delta") != InvalidAttrNumber;
}

/*
 * bk_compat_calendar_shift records in the room calendar of a 1.1 database
 * that the free units of every night of [check_in, check_out) changed by
 * delta; the caller has locked and changed those nights.
 */
void
bk_compat_calendar_shift(int64 property_id, Datum room_type,
						 DateADT check_in, DateADT check_out, int32 delta)
{
	Datum		args[6];

	if (delta == 0 || !bk_schema_has_calendar())
		return;
	args[0] = Int64GetDatum(property_id);
	args[1] = room_type;
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = Int32GetDatum(delta);
	args[5] = DateADTGetDatum(bk_first_of_month(check_in));
	bk_connect();
	bk_exec_locking(&shift_1_1_plan, args, NULL, 0,
					psprintf("the calendar of room type \"%s\" at property %lld",
							 TextDatumGetCString(room_type), (long long) property_id));
	bk_finish();
}

/*
 * bk_compat_publish_lock takes 1.1's publisher lock without waiting;
 * false when another transaction has it.
 */
bool
bk_compat_publish_lock(void)
{
	bk_exec(&publish_lock_1_1_plan, NULL, NULL, 1);
	return DatumGetBool(bk_get_notnull(0, 1));
}

/*-------------------------------------------------------------------------
 * compat.c
 *    The schema's version, and serving a database whose extension is older
 *    than the library until ALTER EXTENSION booking UPDATE runs.
 *
 * Whether the schema has the room calendar (1.1 on) and whether its
 * events carry calendar changes (1.2) is asked here and nowhere else
 * (bk_schema_has_*, and bk_unit_has_* on the write path).  A database
 * still at 1.0 has no room calendar, so availability() and search() read
 * the nightly inventory rows, as 1.0 did; in a database at 1.1, whose
 * events carry no calendar changes, the writers keep the calendar in step
 * and the publisher takes 1.1's lock (the end of this file).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "booking.h"

/*
 * Every path that differs between versions asks one of these, so the day
 * support for an old version goes, they say what goes with it.
 *
 * bk_schema_has_calendar says whether the schema has the room calendar
 * (version 1.1 on).  A database still at 1.0 after the library was
 * upgraded has not: the engine then keeps no calendar and reads the
 * nightly rows (below).  Two syscache lookups, cheap enough to ask on
 * every call.
 */
bool
bk_schema_has_calendar(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) && OidIsValid(get_relname_relid("room_calendar", namespace));
}

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
 * bk_schema_has_night_prices says whether reservations keep the prices of
 * their nights (version 2.0 on).
 */
bool
bk_schema_has_night_prices(void)
{
	Oid			namespace = get_namespace_oid("booking", true);
	Oid			reservation = OidIsValid(namespace) ? get_relname_relid("reservation", namespace) : InvalidOid;

	return OidIsValid(reservation) && get_attnum(reservation, "night_prices") != InvalidAttrNumber;
}

/*
 * bk_schema_has_load_signal says whether a load into booking.event with
 * its trigger event_local_writer disabled leaves a row in
 * booking.event_load_signal (the event trigger booking_event_table_altered,
 * version 2.0 on).  Before it, such a load told nobody, so the sweeper's
 * rounds and purge() looked from the start of the unpublished index.
 */
bool
bk_schema_has_load_signal(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) &&
		OidIsValid(get_relname_relid("event_load_signal", namespace));
}

/*
 * bk_schema_has_event_pass says whether each publishing pass leaves a row
 * in booking.event_pass, through which consumers read by position
 * (event_pass.c, version 2.0 on).  Before it, they read by the index on
 * booking.event.position.
 */
bool
bk_schema_has_event_pass(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) &&
		OidIsValid(get_relname_relid("event_pass", namespace));
}

/*
 * bk_schema_has_overbooked says whether the nights count the units a
 * channel sold beyond their units (inventory.overbooked, version 2.0 on).
 */
bool
bk_schema_has_overbooked(void)
{
	Oid			namespace = get_namespace_oid("booking", true);
	Oid			inventory = OidIsValid(namespace) ? get_relname_relid("inventory", namespace) : InvalidOid;

	return OidIsValid(inventory) && get_attnum(inventory, "overbooked") != InvalidAttrNumber;
}

/*
 * The same questions on the write path (direct.c), answered from the
 * columns of a table that the current unit of direct work has opened,
 * without a catalog lookup: bk_unit_has_event_deltas (booking.event
 * opened) as bk_schema_has_event_deltas; bk_unit_has_rules_flag
 * (booking.room_type opened) says whether room types carry has_rules
 * (version 1.1 on).
 */
bool
bk_unit_has_event_deltas(void)
{
	return bk_has_column(BK_EVENT_FREE_DELTA);
}

bool
bk_unit_has_rules_flag(void)
{
	return bk_has_column(BK_ROOM_TYPE_HAS_RULES);
}

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
 * inventory rows (1.0 has no stay rules).  Arguments as for search(),
 * the guests spread over the rooms (`guests_per_room`, rounded up).
 */
void
bk_compat_search(FunctionCallInfo fcinfo, int32 guests_per_room, int32 rooms, int32 max_results)
{
	Datum		args[6];

	for (int i = 0; i < 3; i++)
		args[i] = PG_GETARG_DATUM(i);
	args[3] = Int32GetDatum(guests_per_room);
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

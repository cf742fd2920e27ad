/*-------------------------------------------------------------------------
 * search.c
 *    The read path: booking.availability() for one property's calendar and
 *    booking.search() for the room types of a city that can take a stay.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_availability);
PG_FUNCTION_INFO_V1(booking_search);

static BookingPlan property_exists_plan = {
	"SELECT 1 FROM booking.property WHERE property_id = $1",
	1, {INT8OID}
};

static BookingPlan availability_plan = {
	"SELECT room_type, night, units - held - booked, price"
	"  FROM booking.inventory"
	" WHERE property_id = $1 AND night >= $2 AND night < $3"
	" ORDER BY room_type, night",
	3, {INT8OID, DATEOID, DATEOID}
};

/*
 * A room type qualifies when it takes $4 guests, every night of [$2, $3)
 * is open with at least $5 units free, and check-in is not before the
 * property's local today.
 */
static BookingPlan search_plan = {
	"SELECT p.property_id, p.name, rt.code,"
	"       pg_catalog.min(i.units - i.held - i.booked)::int,"
	"       pg_catalog.sum(i.price) * $5"
	"  FROM booking.property p"
	"  JOIN booking.room_type rt ON rt.property_id = p.property_id"
	"  JOIN booking.inventory i ON i.property_id = rt.property_id AND i.room_type = rt.code"
	" WHERE p.city = $1 AND rt.max_guests >= $4"
	"   AND i.night >= $2 AND i.night < $3"
	"   AND (pg_catalog.statement_timestamp() AT TIME ZONE p.time_zone)::date <= $2"
	" GROUP BY p.property_id, p.name, rt.code"
	" HAVING pg_catalog.count(*) = $3 - $2"
	"    AND pg_catalog.min(i.units - i.held - i.booked) >= $5"
	" ORDER BY 5, 1, 3"
	" LIMIT $6",
	6, {TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID, INT4OID}
};

/*
 * require_positive fails with 22023 unless integer argument `argno` >= 1.
 */
static int32
require_positive(FunctionCallInfo fcinfo, int argno, const char *name)
{
	int32		v;

	bk_require_arg(fcinfo, argno, name);
	v = PG_GETARG_INT32(argno);
	if (v < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least 1", name),
				 errdetail("%s is %d.", name, v)));
	return v;
}

/*
 * booking_availability is availability(property_id, check_in, check_out):
 * one row per room type and open night of the range, with the free units
 * and the night's price.
 */
Datum
booking_availability(PG_FUNCTION_ARGS)
{
	Datum		args[3];

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "check_in");
	bk_require_arg(fcinfo, 2, "check_out");
	bk_validate_stay(PG_GETARG_DATEADT(1), PG_GETARG_DATEADT(2));
	InitMaterializedSRF(fcinfo, 0);

	bk_connect();
	args[0] = PG_GETARG_DATUM(0);
	bk_exec(&property_exists_plan, args, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("property %lld does not exist", (long long) PG_GETARG_INT64(0)),
				 errhint("Check the property_id.")));
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_GETARG_DATUM(2);
	bk_exec(&availability_plan, args, NULL, 0);
	bk_return_rows(fcinfo);
	bk_finish();
	return (Datum) 0;
}

/*
 * booking_search is search(city, check_in, check_out, guests, rooms,
 * max_results): the room types that can take the whole stay, cheapest
 * first.
 */
Datum
booking_search(PG_FUNCTION_ARGS)
{
	Datum		args[6];

	bk_require_arg(fcinfo, 0, "city");
	bk_require_arg(fcinfo, 1, "check_in");
	bk_require_arg(fcinfo, 2, "check_out");
	bk_validate_stay(PG_GETARG_DATEADT(1), PG_GETARG_DATEADT(2));
	(void) require_positive(fcinfo, 3, "guests");
	(void) require_positive(fcinfo, 4, "rooms");
	(void) require_positive(fcinfo, 5, "max_results");
	InitMaterializedSRF(fcinfo, 0);

	for (int i = 0; i < 6; i++)
		args[i] = PG_GETARG_DATUM(i);
	bk_connect();
	bk_exec(&search_plan, args, NULL, 0);
	bk_return_rows(fcinfo);
	bk_finish();
	return (Datum) 0;
}

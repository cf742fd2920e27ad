/*-------------------------------------------------------------------------
 * plan_check.c
 *    The one check every change of a price or of a plan passes (2.0): no
 *    plan derived from it may come out negative, or above the highest
 *    price, on any night.  add_rate_plan
 *    and set_rates (rate_plan.c) and open_inventory (catalog.c) ask it;
 *    it asks nothing of them.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "booking.h"

/*
 * The first price out of range (below 0 or above $6) that a plan derived
 * from plan $3 (directly or through other plans) would have on a night from $4 on (before $5 when
 * given), each step rounded as bk_plan_derive rounds.
 */
static BookingPlan negative_derived_plan = {
	"WITH RECURSIVE roots AS ("
	"  SELECT i.night, i.price FROM booking.inventory i"
	"   WHERE $3 OPERATOR(pg_catalog.=) 'BASE'"
	"     AND i.property_id OPERATOR(pg_catalog.=) $1 AND i.room_type OPERATOR(pg_catalog.=) $2"
	"     AND i.night OPERATOR(pg_catalog.>=) $4 AND ($5 IS NULL OR i.night OPERATOR(pg_catalog.<) $5)"
	"  UNION ALL"
	"  SELECT r.night, r.price FROM booking.rate r"
	"   WHERE r.property_id OPERATOR(pg_catalog.=) $1 AND r.room_type OPERATOR(pg_catalog.=) $2"
	"     AND r.rate_plan OPERATOR(pg_catalog.=) $3"
	"     AND r.night OPERATOR(pg_catalog.>=) $4 AND ($5 IS NULL OR r.night OPERATOR(pg_catalog.<) $5)),"
	" derived (code, night, price, depth) AS ("
	"  SELECT $3, night, price, 0 FROM roots"
	"  UNION ALL"
	"  SELECT p.code, d.night,"
	"         pg_catalog.round(((d.price OPERATOR(pg_catalog.*) (100 OPERATOR(pg_catalog.+) p.adjust_pct))"
	"                           OPERATOR(pg_catalog.*) 0.01) OPERATOR(pg_catalog.+) p.adjust_amount, 2),"
	"         d.depth OPERATOR(pg_catalog.+) 1"
	"    FROM derived d JOIN booking.rate_plan p"
	"      ON p.property_id OPERATOR(pg_catalog.=) $1 AND p.room_type OPERATOR(pg_catalog.=) $2"
	"     AND p.parent OPERATOR(pg_catalog.=) d.code"
	"   WHERE d.depth OPERATOR(pg_catalog.<) 16 AND d.price OPERATOR(pg_catalog.>=) 0"
	"     AND d.price OPERATOR(pg_catalog.<=) $6)"
	" SELECT code, night, price FROM derived"
	"  WHERE price OPERATOR(pg_catalog.<) 0 OR price OPERATOR(pg_catalog.>) $6"
	" ORDER BY night, code LIMIT 1",
	6, {INT8OID, TEXTOID, TEXTOID, DATEOID, DATEOID, NUMERICOID}
};

/*
 * bk_plans_check_prices fails with 22023 when a plan derived from plan
 * `root` would have a negative price (or one above BOOKING_MAX_PRICE) on a night of [first, end) (end 0:
 * every night from first on).  Called inside SPI by whatever changed a
 * root's prices or added a plan.
 */
void
bk_plans_check_prices(int64 property_id, const char *room_type, const char *root,
					  DateADT first, DateADT end)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', end == 0 ? 'n' : ' ', ' '};

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = CStringGetTextDatum(root);
	args[3] = DateADTGetDatum(first);
	args[4] = DateADTGetDatum(end);
	args[5] = bk_max_price();
	bk_exec(&negative_derived_plan, args, nulls, 1);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rate plan \"%s\" would have a price out of range for night %s",
						TextDatumGetCString(bk_get_notnull(0, 1)),
						bk_date_str(DatumGetDateADT(bk_get_notnull(0, 2)))),
				 errdetail("Property %lld, room type \"%s\": the plan's price would be %s.",
						   (long long) property_id, room_type,
						   DatumGetCString(DirectFunctionCall1(numeric_out, bk_get_notnull(0, 3)))),
				 errhint("Every plan's price must be from 0 to %lld: change the adjustment or the prices it derives from.",
						 (long long) BOOKING_MAX_PRICE)));
}

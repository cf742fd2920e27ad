/*-------------------------------------------------------------------------
 * quote.c
 *    booking.quote(): the one call a checkout page needs before
 *    reserve_range.  For a room type and stay it returns every night with
 *    its free units and price, the stay's total (nightly prices x rooms, the
 *    amount reserve_range would fix), and whether the stay is bookable and,
 *    if not, why: the same checks reserve_range makes, in the same order,
 *    without taking anything.  Units of holds past their deadline count as
 *    free, since reserve_range would expire those holds and take them.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_quote);

static BookingPlan quote_lookup_plan = {
	"SELECT p.time_zone, rt.code IS NOT NULL, COALESCE(rt.has_rules, false), rt.max_guests"
	"  FROM booking.property p"
	"  LEFT JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) p.property_id"
	"                                AND rt.code OPERATOR(pg_catalog.=) $2"
	" WHERE p.property_id OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, TEXTOID}
};

/*
 * The nights of the stay: free units, counting the units of holds past
 * their deadline as free (reserve_range would reclaim them), and price.
 */
static BookingPlan quote_nights_plan = {
	"SELECT $3 OPERATOR(pg_catalog.+) g,"
	"       ((i.units OPERATOR(pg_catalog.-) i.held) OPERATOR(pg_catalog.-) i.booked)"
	"       OPERATOR(pg_catalog.+)"
	"       COALESCE((SELECT pg_catalog.sum(r.rooms)::int FROM booking.reservation r"
	"                  WHERE r.property_id OPERATOR(pg_catalog.=) $1"
	"                    AND r.room_type OPERATOR(pg_catalog.=) $2"
	"                    AND r.state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")"
	"                    AND r.hold_expires_at OPERATOR(pg_catalog.<=) $5"
	"                    AND r.check_in OPERATOR(pg_catalog.<=) ($3 OPERATOR(pg_catalog.+) g)"
	"                    AND r.check_out OPERATOR(pg_catalog.>) ($3 OPERATOR(pg_catalog.+) g)), 0),"
	"       i.price"
	"  FROM pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g"
	"  LEFT JOIN booking.inventory i"
	"    ON i.property_id OPERATOR(pg_catalog.=) $1 AND i.room_type OPERATOR(pg_catalog.=) $2"
	"   AND i.night OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.+) g)"
	" ORDER BY g",
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

/*
 * booking_quote is quote(property_id, room_type, check_in, check_out,
 * rooms, guests): one row per night (night, available, price) with the stay's
 * total_price, bookable and reason repeated on each.
 */
Datum
booking_quote(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	int64		property_id;
	char	   *room_type;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	Datum		args[5];
	char	   *time_zone;
	bool		has_rules;
	DateADT		today;
	char	   *reason = NULL;
	Datum		sum;
	int			nnights;
	Datum	   *nights;
	Datum	   *available;
	bool	   *available_null;
	Datum	   *prices;
	bool	   *price_null;
	BkRuleViolation violation;
	BkStayRequest stay;
	int32		guests;
	int32		max_guests;

	bk_stay_request(fcinfo, &stay);
	guests = bk_guests_arg(fcinfo, 5);
	property_id = stay.property_id;
	room_type = stay.room_type;
	check_in = stay.check_in;
	check_out = stay.check_out;
	rooms = stay.rooms;
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect_read_only();
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = TimestampTzGetDatum(bk_now());
	bk_exec(&quote_lookup_plan, args, NULL, 1);
	if (SPI_processed == 0)
		bk_report_no_property(property_id);
	if (!DatumGetBool(bk_get_notnull(0, 2)))
		bk_report_no_room_type(property_id, room_type);
	time_zone = TextDatumGetCString(bk_get_notnull(0, 1));
	has_rules = DatumGetBool(bk_get_notnull(0, 3));
	max_guests = bk_get_int32(0, 4);
	today = bk_local_today(time_zone);

	/* the nights, copied out of SPI's result before the rules query */
	bk_exec(&quote_nights_plan, args, NULL, 0);
	nnights = (int) SPI_processed;
	nights = palloc(sizeof(Datum) * nnights);
	available = palloc(sizeof(Datum) * nnights);
	available_null = palloc(sizeof(bool) * nnights);
	prices = palloc(sizeof(Datum) * nnights);
	price_null = palloc(sizeof(bool) * nnights);
	sum = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	for (int i = 0; i < nnights; i++)
	{
		nights[i] = bk_get_notnull(i, 1);
		available[i] = bk_get(i, 2, &available_null[i]);
		prices[i] = bk_get(i, 3, &price_null[i]);
		if (!price_null[i])
		{
			prices[i] = SPI_datumTransfer(prices[i], false, -1);
			sum = DirectFunctionCall2(numeric_add, sum, prices[i]);
		}
	}
	sum = DirectFunctionCall2(numeric_mul, sum, DirectFunctionCall1(int4_numeric, Int32GetDatum(rooms)));

	/* the same checks as reserve_range, in the same order */
	if (check_in < today)
		reason = psprintf("check_in %s is before the property's local today (%s)",
						  bk_date_str(check_in), bk_date_str(today));
	else if (guests > 0 && bk_guests_violation(rooms, guests, max_guests) != NULL)
		reason = psprintf("max_guests: %s", bk_guests_violation(rooms, guests, max_guests));
	else if (has_rules && !bk_check_stay_rules(property_id, room_type, check_in, check_out,
											   today, &violation))
		reason = psprintf("%s: %s", violation.rule, violation.detail);
	else
	{
		for (int i = 0; i < nnights && reason == NULL; i++)
		{
			DateADT		night = DatumGetDateADT(nights[i]);

			if (available_null[i])
				reason = psprintf("night %s is not on sale", bk_date_str(night));
			else if (DatumGetInt32(available[i]) < rooms)
				reason = psprintf("sold out: %d of %d room(s) free on %s",
								  DatumGetInt32(available[i]), rooms, bk_date_str(night));
		}
	}

	for (int i = 0; i < nnights; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = nights[i];
		values[1] = available[i];
		nulls[1] = available_null[i];
		values[2] = prices[i];
		nulls[2] = price_null[i];
		values[3] = sum;
		values[4] = BoolGetDatum(reason == NULL);
		values[5] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
		nulls[5] = (reason == NULL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	bk_finish();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * quote.c
 *    booking.quote(): the one call a checkout page needs before
 *    reserve_range.  For a room type, stay, rate plan and guests it returns
 *    every night with its free units and the plan's price, the stay's total
 *    (nightly prices x rooms, plus a per-person plan's extras, the amount
 *    reserve_range would fix), and whether the stay is bookable and,
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

/* 2.0: and whether the room type has rules per rate plan */
static BookingPlan quote_lookup_2_0_plan = {
	"SELECT p.time_zone, rt.code IS NOT NULL, COALESCE(rt.has_rules, false), rt.max_guests,"
	"       COALESCE(rt.has_plan_rules, false)"
	"  FROM booking.property p"
	"  LEFT JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) p.property_id"
	"                                AND rt.code OPERATOR(pg_catalog.=) $2"
	" WHERE p.property_id OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, TEXTOID}
};

/*
 * The nights of the stay: free units, counting the units of holds past
 * their deadline as free (reserve_range would reclaim them), never below
 * zero (an overbooked night, 2.0), and price.
 */
#define QUOTE_NIGHTS_SQL(free) \
	"SELECT $3 OPERATOR(pg_catalog.+) g," \
	"       CASE WHEN i.night IS NOT NULL THEN GREATEST(0, " free \
	"       OPERATOR(pg_catalog.+)" \
	"       COALESCE((SELECT pg_catalog.sum(r.rooms)::int FROM booking.reservation r" \
	"                  WHERE r.property_id OPERATOR(pg_catalog.=) $1" \
	"                    AND r.room_type OPERATOR(pg_catalog.=) $2" \
	"                    AND r.state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")" \
	"                    AND r.hold_expires_at OPERATOR(pg_catalog.<=) $5" \
	"                    AND r.check_in OPERATOR(pg_catalog.<=) ($3 OPERATOR(pg_catalog.+) g)" \
	"                    AND r.check_out OPERATOR(pg_catalog.>) ($3 OPERATOR(pg_catalog.+) g)), 0)) END," \
	"       i.price" \
	"  FROM pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g" \
	"  LEFT JOIN booking.inventory i" \
	"    ON i.property_id OPERATOR(pg_catalog.=) $1 AND i.room_type OPERATOR(pg_catalog.=) $2" \
	"   AND i.night OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.+) g)" \
	" ORDER BY g"

static BookingPlan quote_nights_plan = {
	QUOTE_NIGHTS_SQL(BK_FREE_SQL("i")),
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

/* 2.0: the units set aside for blocks are not free */
static BookingPlan quote_nights_2_0_plan = {
	QUOTE_NIGHTS_SQL(BK_FREE_2_0_SQL("i")),
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

/*
 * QuoteNights is what quote_nights_plan returned, copied out of SPI's
 * result: the nights of the stay, free units, inventory price.
 */
typedef struct QuoteNights
{
	int			n;
	Datum	   *nights;
	Datum	   *available;
	bool	   *available_null;
	Datum	   *prices;			/* the plan's price of one room */
	bool	   *price_null;
	int			not_on_sale;	/* the first night without inventory, or -1 */
} QuoteNights;

/*
 * price_under_plan replaces the inventory prices of q by the plan's
 * (nights on sale only; a night the plan has no price for: its price is
 * NULL and its index put in *unpriced, -1 when none).
 */
static void
price_under_plan(int64 property_id, Datum room_type, const char *code, QuoteNights *q,
				 BkPlan *plan, int *unpriced)
{
	BkDirect	d;
	BkNights	nights;
	Datum	   *prices;

	*unpriced = -1;
	bk_direct_begin(&d, false);
	bk_plan_look_up(&d, property_id, room_type, code, plan);
	if (!plan->is_base && q->not_on_sale < 0 && q->n > 0)
	{
		nights.n = q->n;
		nights.nights = palloc0(sizeof(BkNight) * q->n);
		for (int i = 0; i < q->n; i++)
		{
			nights.nights[i].night = DatumGetDateADT(q->nights[i]);
			nights.nights[i].price = q->prices[i];
		}
		prices = palloc(sizeof(Datum) * q->n);
		bk_plan_night_prices(&d, property_id, room_type, plan, &nights, prices, unpriced);
		for (int i = 0; i < q->n; i++)
		{
			q->prices[i] = prices[i];
			q->price_null[i] = (prices[i] == (Datum) 0);
		}
	}
	bk_direct_end(&d);
}

/*
 * booking_quote is quote(property_id, room_type, check_in, check_out,
 * rooms, guests, rate_plan, children): one row per night (night,
 * available, price) with the stay's total_price, bookable and reason
 * repeated on each, and (2.0) the per-night extras of a per-person plan.
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
	bool		has_plan_rules = false;
	DateADT		today;
	char	   *reason = NULL;
	Datum		sum;
	QuoteNights q;
	BkRuleViolation violation;
	BkStayRequest stay;
	int32		guests;
	int32		children = 0;
	char	   *code = NULL;
	int32		max_guests;
	BkPlan		plan;
	Numeric		extra = NULL;
	int			unpriced = -1;
	bool		has_extra_column;
	char	   *too_many;

	bk_stay_request(fcinfo, &stay);
	guests = bk_guests_arg(fcinfo, 5);
	if (PG_NARGS() > 7)
	{
		code = bk_rate_plan_arg(fcinfo, 6);
		children = bk_children_arg(fcinfo, 7);
	}
	property_id = stay.property_id;
	room_type = stay.room_type;
	check_in = stay.check_in;
	check_out = stay.check_out;
	rooms = stay.rooms;
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	has_extra_column = rsinfo->setDesc->natts >= 7;

	bk_connect_read_only();
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = TimestampTzGetDatum(bk_now());
	bk_exec(has_extra_column ? &quote_lookup_2_0_plan : &quote_lookup_plan, args, NULL, 1);
	if (SPI_processed == 0)
		bk_report_no_property(property_id);
	if (!DatumGetBool(bk_get_notnull(0, 2)))
		bk_report_no_room_type(property_id, room_type);
	time_zone = TextDatumGetCString(bk_get_notnull(0, 1));
	has_rules = DatumGetBool(bk_get_notnull(0, 3));
	max_guests = bk_get_int32(0, 4);
	if (has_extra_column)
		has_plan_rules = DatumGetBool(bk_get_notnull(0, 5));
	today = bk_local_today(time_zone);

	/* the nights, copied out of SPI's result before the rules query */
	bk_exec(has_extra_column ? &quote_nights_2_0_plan : &quote_nights_plan, args, NULL, 0);
	q.n = (int) SPI_processed;
	q.nights = palloc(sizeof(Datum) * q.n);
	q.available = palloc(sizeof(Datum) * q.n);
	q.available_null = palloc(sizeof(bool) * q.n);
	q.prices = palloc(sizeof(Datum) * q.n);
	q.price_null = palloc(sizeof(bool) * q.n);
	q.not_on_sale = -1;
	for (int i = 0; i < q.n; i++)
	{
		q.nights[i] = bk_get_notnull(i, 1);
		q.available[i] = bk_get(i, 2, &q.available_null[i]);
		q.prices[i] = bk_get(i, 3, &q.price_null[i]);
		if (!q.price_null[i])
			q.prices[i] = SPI_datumTransfer(q.prices[i], false, -1);
		if (q.available_null[i] && q.not_on_sale < 0)
			q.not_on_sale = i;
	}
	price_under_plan(property_id, args[1], code, &q, &plan, &unpriced);
	extra = bk_plan_extra(&plan, rooms, guests, children);
	sum = bk_numeric_zero();
	for (int i = 0; i < q.n; i++)
		if (!q.price_null[i])
			sum = DirectFunctionCall2(numeric_add, sum, q.prices[i]);
	sum = DirectFunctionCall2(numeric_mul, sum, DirectFunctionCall1(int4_numeric, Int32GetDatum(rooms)));
	if (extra != NULL)
		sum = DirectFunctionCall2(numeric_add, sum,
								  DirectFunctionCall2(numeric_mul, NumericGetDatum(extra),
													  DirectFunctionCall1(int4_numeric, Int32GetDatum(q.n))));

	/* the same checks as reserve_range, in the same order */
	if (check_in < today)
		reason = psprintf("check_in %s is before the property's local today (%s)",
						  bk_date_str(check_in), bk_date_str(today));
	else if ((guests > 0 || children > 0) &&
			 (too_many = bk_guests_violation(rooms, bk_party_size(guests, children),
											 max_guests)) != NULL)
		reason = psprintf("max_guests: %s", too_many);
	else if ((has_rules && !bk_check_stay_rules(property_id, room_type, check_in, check_out,
												today, &violation)) ||
			 (has_plan_rules && !bk_check_plan_rules(property_id, room_type, plan.code, check_in,
													 check_out, today, &violation)))
		reason = psprintf("%s: %s", violation.rule, violation.detail);
	else if (q.not_on_sale >= 0)
		reason = psprintf("night %s is not on sale",
						  bk_date_str(DatumGetDateADT(q.nights[q.not_on_sale])));
	else if (unpriced >= 0)
		reason = psprintf("no_rate: rate plan \"%s\" has no price for night %s", plan.code,
						  bk_date_str(DatumGetDateADT(q.nights[unpriced])));
	else
	{
		for (int i = 0; i < q.n && reason == NULL; i++)
		{
			if (DatumGetInt32(q.available[i]) < rooms)
				reason = psprintf("sold out: %d of %d room(s) free on %s",
								  DatumGetInt32(q.available[i]), rooms,
								  bk_date_str(DatumGetDateADT(q.nights[i])));
		}
	}

	for (int i = 0; i < q.n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

		values[0] = q.nights[i];
		values[1] = q.available[i];
		nulls[1] = q.available_null[i];
		values[2] = q.prices[i];
		nulls[2] = q.price_null[i];
		values[3] = sum;
		values[4] = BoolGetDatum(reason == NULL);
		values[5] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
		nulls[5] = (reason == NULL);
		values[6] = extra ? NumericGetDatum(extra) : bk_cents_zero();
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	bk_finish();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * policy.c
 *    Cancellation policies (2.0): booking.add_policy(), which checks a
 *    policy and stores it, booking.cancel_quote(), what cancelling a
 *    reservation would cost at a given time, and the charges the write
 *    paths record: a cancel's (cancel_reservation, cancel_group) and a
 *    no-show's (mark_no_show).
 *
 * A policy is a list of tiers, each a time before check-in (`until`) and
 * one charge: charge_pct of the total price, the first charge_nights
 * nights, or charge_amount.  Check-in is 00:00 local time of the check-in
 * date in the property's time zone, and `until` is subtracted in that
 * zone, so '1 day' is a calendar day, 23 or 25 hours across a change of
 * daylight saving time.  The tiers are read in order: the first whose
 * deadline (check-in minus until) is not yet past applies; when every
 * deadline is past (at or after check-in too), the last tier does.  A
 * fee is rounded half-up to cents, once, and never exceeds the total
 * price; the refund is the rest.  A reservation sold under 'BASE', or a
 * plan without a policy, is cancelled free; a hold (held or
 * payment_pending) has paid nothing, so it is charged nothing and gets
 * nothing back.
 *
 * Policies are read through SPI: none of this is on the hot path, and a
 * cancel that needs no policy (a 'BASE' reservation, a hold) runs no
 * query at all (bk_cancel_charge).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_add_policy);
PG_FUNCTION_INFO_V1(booking_cancel_quote);

/* Most tiers a policy may have */
#define MAX_TIERS	20

/* Longest `until` a tier may have, in days (so that no deadline overflows) */
#define MAX_UNTIL_DAYS	BOOKING_MAX_OPEN_NIGHTS

static BookingPlan policy_exists_plan = {
	"SELECT 1 FROM booking.cancel_policy"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}
};

static BookingPlan insert_policy_plan = {
	"INSERT INTO booking.cancel_policy (property_id, code, tiers, no_show)"
	" VALUES ($1, $2, $3, $4)",
	4, {INT8OID, TEXTOID, JSONBOID, JSONBOID}
};

/*
 * What a charge is computed from: the reservation, its property's time
 * zone, its plan's policy and the prices its nights were sold at.
 */
static BookingPlan charge_facts_plan = {
	"SELECT r.state, r.check_in, r.check_out, r.rooms, r.total_price, r.guest_id,"
	"       p.time_zone, rp.policy, cp.tiers, cp.no_show,"
	"       r.check_in, r.night_prices, r.night_extra"
	"  FROM booking.reservation r"
	"  JOIN booking.property p ON p.property_id OPERATOR(pg_catalog.=) r.property_id"
	"  LEFT JOIN booking.rate_plan rp"
	"    ON rp.property_id OPERATOR(pg_catalog.=) r.property_id"
	"   AND rp.room_type OPERATOR(pg_catalog.=) r.room_type"
	"   AND rp.code OPERATOR(pg_catalog.=) r.rate_plan"
	"  LEFT JOIN booking.cancel_policy cp"
	"    ON cp.property_id OPERATOR(pg_catalog.=) r.property_id"
	"   AND cp.code OPERATOR(pg_catalog.=) rp.policy"
	" WHERE r.reservation_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

/* ---------------------------------------------------------------------
 * Checking a policy (add_policy)
 * ---------------------------------------------------------------------
 */

/*
 * report_bad_policy raises 22023 for a policy that add_policy refuses;
 * `where` names the tier ("tier 2") or "no_show".
 */
static void report_bad_policy(const char *where, const char *what, const char *detail)
			pg_attribute_noreturn();

static void
report_bad_policy(const char *where, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: %s", where, what),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("A tier is {\"until\": \"7 days\", \"charge_pct\": 50}, with exactly one of charge_pct (0 to 100), charge_nights (a whole number, 0 or more) and charge_amount (0 or more); no_show is such an object without until.")));
}

/*
 * numeric_of returns a numeric JSON value as a Numeric, or NULL when the
 * value is not a number.
 */
static Numeric
numeric_of(const JsonbValue *v)
{
	return v->type == jbvNumeric ? v->val.numeric : NULL;
}

/*
 * numeric_between says whether low <= n <= high (high NULL: no bound).
 */
static bool
numeric_between(Numeric n, int64 low, Numeric high)
{
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
										  NumericGetDatum(int64_to_numeric(low)))) < 0)
		return false;
	return high == NULL ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
										  NumericGetDatum(high))) <= 0;
}

/*
 * parse_until reads a tier's until as an interval: NULL when it is not
 * one (the parser's error is turned into the caller's 22023).
 */
static Interval *
parse_until(const char *text)
{
	MemoryContext context = CurrentMemoryContext;
	Interval   *volatile until = NULL;

	PG_TRY();
	{
		until = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(text),
													  ObjectIdGetDatum(InvalidOid),
													  Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		until = NULL;
	}
	PG_END_TRY();
	return until;
}

/*
 * interval_compare compares two intervals as PostgreSQL orders them.
 */
static int
interval_compare(Interval *a, Interval *b)
{
	return DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(a),
											 IntervalPGetDatum(b)));
}

/*
 * check_charge_object checks one tier (`with_until`) or the no_show
 * object: known keys only, exactly one charge with a good value, and for
 * a tier an until that is an interval from 0 to MAX_UNTIL_DAYS days,
 * which is returned.
 */
static Interval *
check_charge_object(const JsonbValue *object, const char *where, bool with_until,
					char **until_text)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken token;
	Interval   *until = NULL;
	bool		has_until = false;
	const char *charge = NULL;

	if (object->type != jbvBinary || !JsonContainerIsObject(object->val.binary.data))
		report_bad_policy(where, "must be a JSON object", NULL);

	it = JsonbIteratorInit(object->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		Numeric		n;

		if (token != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		if (JsonbIteratorNext(&it, &v, true) != WJB_VALUE)
			elog(ERROR, "booking: a key of a JSON object without its value");
		if (with_until && strcmp(key, "until") == 0)
		{
			char	   *text;
			Interval   *zero = palloc0(sizeof(Interval));
			Interval   *most = palloc0(sizeof(Interval));

			has_until = true;
			if (v.type != jbvString)
				report_bad_policy(where, "until must be a string such as \"7 days\"", NULL);
			text = pnstrdup(v.val.string.val, v.val.string.len);
			/* as given, clipped, for messages */
			*until_text = pnstrdup(text, pg_mbcliplen(text, strlen(text), 40));
			until = parse_until(text);
			if (until == NULL)
				report_bad_policy(where, "until is not an interval",
								  psprintf("until is \"%s\".", *until_text));
			most->day = MAX_UNTIL_DAYS;
			/*
			 * No negative part either: its months and days are taken on the
			 * calendar and its time as elapsed (tier_deadline), so "1 mon
			 * -29 days", positive as a whole, would end after check-in.
			 */
			if (interval_compare(until, zero) < 0 || until->month < 0 || until->day < 0 ||
				until->time < 0)
				report_bad_policy(where, "until must not be negative",
								  psprintf("until is \"%s\"; no part of it may be negative.", *until_text));
			if (interval_compare(until, most) > 0)
				report_bad_policy(where, psprintf("until must be at most %d days", MAX_UNTIL_DAYS),
								  psprintf("until is \"%s\".", *until_text));
			continue;
		}
		if (strcmp(key, "charge_pct") != 0 && strcmp(key, "charge_nights") != 0 &&
			strcmp(key, "charge_amount") != 0)
			report_bad_policy(where,
							  psprintf("unknown key \"%s\"", pnstrdup(key, pg_mbcliplen(key, strlen(key), 40))),
							  with_until ?
							  "A tier has until and one of charge_pct, charge_nights and charge_amount." :
							  "no_show has one of charge_pct, charge_nights and charge_amount.");
		if (charge != NULL)
			report_bad_policy(where, "more than one charge",
							  psprintf("It has %s and %s; give exactly one of charge_pct, charge_nights and charge_amount.",
									   charge, key));
		charge = key;
		n = numeric_of(&v);
		if (strcmp(key, "charge_pct") == 0)
		{
			if (n == NULL || !numeric_between(n, 0, int64_to_numeric(100)))
				report_bad_policy(where, "charge_pct must be a number from 0 to 100", NULL);
		}
		else if (strcmp(key, "charge_nights") == 0)
		{
			bool		overflow = true;

			if (n != NULL && numeric_between(n, 0, NULL) &&
				DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
												 DirectFunctionCall2(numeric_trunc, NumericGetDatum(n),
																	 Int32GetDatum(0)))))
				(void) numeric_int4_opt_error(n, &overflow);
			if (overflow)
				report_bad_policy(where, "charge_nights must be a whole number, 0 or more", NULL);
		}
		else if (n == NULL || !numeric_between(n, 0, NULL))
			report_bad_policy(where, "charge_amount must be a number, 0 or more", NULL);
	}
	if (with_until && !has_until)
		report_bad_policy(where, "until is missing",
						  "Every tier says until when it applies, as a time before check-in such as \"7 days\", \"36 hours\" or \"0\".");
	if (charge == NULL)
		report_bad_policy(where, "no charge",
						  "Give exactly one of charge_pct, charge_nights and charge_amount.");
	return until;
}

/*
 * least_gap returns the least time, on any calendar, from the deadline of
 * a tier with until `earlier` to that of the next tier, with until
 * `later` (tier_deadline): the dates they start from are (earlier's
 * months - later's) months and (earlier's days - later's) days apart, a
 * month being 28 to 31 days, and a local day lasts 22 to 26 hours (a
 * change of the clocks: two hours in Antarctica/Troll, one elsewhere);
 * then the time parts, elapsed.  Over 0:
 * the later tier's deadline comes after the earlier one's whatever the
 * check-in date and the zone.  int64 microseconds: an until is at most
 * MAX_UNTIL_DAYS days.
 */
static int64
least_gap(const Interval *earlier, const Interval *later)
{
	int64		months = (int64) earlier->month - later->month;
	int64		days = (months >= 0 ? 28 : 31) * months + ((int64) earlier->day - later->day);

	return days * (days >= 0 ? 22 : 26) * USECS_PER_HOUR + (earlier->time - later->time);
}

/*
 * check_tiers checks a policy's tiers: a non-empty JSON array of at most
 * MAX_TIERS tiers whose until strictly decreases on every calendar: each
 * tier's deadline comes before the next one's whatever the check-in date
 * and the time zone, so every tier applies for some time.  ("1 mon" then
 * "29 days" would not: 29 days before 1 March is before 1 February.)
 */
static void
check_tiers(Jsonb *tiers)
{
	int			n;
	Interval   *previous = NULL;
	char	   *previous_text = NULL;

	if (!JB_ROOT_IS_ARRAY(tiers) || JB_ROOT_IS_SCALAR(tiers))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiers must be a JSON array of tiers"),
				 errhint("For example [{\"until\": \"7 days\", \"charge_pct\": 0}, {\"until\": \"0\", \"charge_pct\": 100}].")));
	n = JB_ROOT_COUNT(tiers);
	if (n == 0 || n > MAX_TIERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiers must have 1 to %d tiers", MAX_TIERS),
				 errdetail("It has %d.", n)));
	for (int i = 0; i < n; i++)
	{
		JsonbValue *tier = getIthJsonbValueFromContainer(&tiers->root, i);
		char	   *where = psprintf("tier %d", i + 1);
		char	   *until_text = NULL;
		Interval   *until = check_charge_object(tier, where, true, &until_text);

		if (previous != NULL && interval_compare(until, previous) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tiers out of order"),
					 errdetail("Tier %d's until (\"%s\") is not less than tier %d's (\"%s\").",
							   i + 1, until_text, i, previous_text),
					 errhint("List the tiers from the longest time before check-in to the shortest: the first whose until is at most the time left applies.")));
		if (previous != NULL && least_gap(previous, until) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tiers out of order on some calendars"),
					 errdetail("On some check-in dates tier %d's until (\"%s\") reaches as far before check-in as tier %d's (\"%s\"): a month is 28 to 31 days, a day 22 to 26 hours.",
							   i + 1, until_text, i, previous_text),
					 errhint("Leave more between the tiers, or write both in the same unit (\"30 days\" and \"29 days\").")));
		previous = until;
		previous_text = until_text;
	}
}

/*
 * booking_add_policy is add_policy(property_id, code, tiers, no_show):
 * it checks the tiers and the no_show charge (22023 naming the tier) and
 * stores the policy as given.  An unknown property is BK005; a code the
 * property already has, 23505.
 */
Datum
booking_add_policy(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *code;
	Jsonb	   *tiers;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	bk_require_arg(fcinfo, 0, "property_id");
	property_id = PG_GETARG_INT64(0);
	code = bk_text_arg(fcinfo, 1, "code", BOOKING_MAX_CODE_BYTES, true, true);
	bk_require_arg(fcinfo, 2, "tiers");
	tiers = PG_GETARG_JSONB_P(2);
	check_tiers(tiers);
	if (!PG_ARGISNULL(3))
	{
		Jsonb	   *no_show = PG_GETARG_JSONB_P(3);
		JsonbValue	object;
		char	   *unused = NULL;

		if (JB_ROOT_IS_SCALAR(no_show) || !JB_ROOT_IS_OBJECT(no_show))
			report_bad_policy("no_show", "must be a JSON object", NULL);
		object.type = jbvBinary;
		object.val.binary.data = &no_show->root;
		object.val.binary.len = VARSIZE(no_show) - VARHDRSZ;
		(void) check_charge_object(&object, "no_show", false, &unused);
		args[3] = JsonbPGetDatum(no_show);
	}
	else
		nulls[3] = 'n';

	bk_connect();
	bk_require_property(property_id);
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(code);
	bk_exec(&policy_exists_plan, args, NULL, 1);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("cancellation policy \"%s\" already exists at property %lld",
						code, (long long) property_id),
				 errhint("Use another code; a policy is not changed once rate plans name it.")));
	args[2] = JsonbPGetDatum(tiers);
	bk_exec(&insert_policy_plan, args, nulls, 0);
	bk_finish();

	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * Charges
 * ---------------------------------------------------------------------
 */

/*
 * bk_charge_facts reads what the charges of reservation `id` are computed
 * from into *facts, in the caller's memory; false when there is no such
 * reservation.  It runs one query through SPI, connecting and finishing
 * itself: `read_only` in the snapshot of the calling query (a STABLE
 * caller), else in a fresh one, which sees the newest version of a
 * reservation the caller has locked, and its night prices.
 */
bool
bk_charge_facts(int64 id, bool read_only, BkChargeFacts *facts)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext spi;
	Datum		arg = Int64GetDatum(id);
	bool		found;
	bool		isnull;
	Datum		value;

	memset(facts, 0, sizeof(*facts));
	if (read_only)
		bk_connect_read_only();
	else
		bk_connect();
	bk_exec(&charge_facts_plan, &arg, NULL, 1);
	found = SPI_processed > 0;
	spi = MemoryContextSwitchTo(caller);
	if (found)
	{
		facts->reservation_id = id;
		facts->state = bk_state_of(SPI_gettypeid(SPI_tuptable->tupdesc, 1),
								   DatumGetObjectId(bk_get_notnull(0, 1)));
		facts->check_in = DatumGetDateADT(bk_get_notnull(0, 2));
		facts->check_out = DatumGetDateADT(bk_get_notnull(0, 3));
		facts->rooms = DatumGetInt32(bk_get_notnull(0, 4));
		facts->total_price = DatumGetNumericCopy(bk_get_notnull(0, 5));
		value = bk_get(0, 6, &isnull);
		facts->guest_id = isnull ? NULL : TextDatumGetCString(value);
		facts->time_zone = TextDatumGetCString(bk_get_notnull(0, 7));
		value = bk_get(0, 8, &isnull);
		facts->policy = isnull ? NULL : TextDatumGetCString(value);
		value = bk_get(0, 9, &isnull);
		facts->tiers = isnull ? NULL : DatumGetJsonbPCopy(value);
		value = bk_get(0, 10, &isnull);
		facts->no_show = isnull ? NULL : DatumGetJsonbPCopy(value);
		value = bk_get(0, 12, &isnull);
		if (!isnull)
		{
			ArrayType  *array = DatumGetArrayTypePCopy(value);
			bool	   *nulls;
			int16		typlen;
			bool		typbyval;
			char		typalign;

			facts->prices_first = DatumGetDateADT(bk_get_notnull(0, 11));
			get_typlenbyvalalign(NUMERICOID, &typlen, &typbyval, &typalign);
			deconstruct_array(array, NUMERICOID, typlen, typbyval, typalign,
							  &facts->prices, &nulls, &facts->nprices);
			for (int i = 0; i < facts->nprices && facts->prices != NULL; i++)
				if (nulls[i])
					facts->prices = NULL;	/* a night without a price (set so by
											 * hand): charged as when none is kept */
			facts->extra = DatumGetNumericCopy(bk_get_notnull(0, 13));
		}
	}
	MemoryContextSwitchTo(spi);
	bk_finish();
	return found;
}

/*
 * no_amount is 0.00: amounts print with two decimals.
 */
static Numeric
no_amount(void)
{
	return bk_round_cents(int64_to_numeric(0));
}

/*
 * cents_down is an amount to give back, in cents, rounded down: never
 * more than was paid (a reservation made before 2.0 may have a total with
 * fractions of a cent).
 */
static Numeric
cents_down(Numeric amount)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_trunc, NumericGetDatum(amount),
											   Int32GetDatum(2)));
}

/*
 * amount_left is total - fee, what goes back, in cents (cents_down).
 */
static Numeric
amount_left(Numeric total, Numeric fee)
{
	return cents_down(DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(total),
														  NumericGetDatum(fee))));
}

/*
 * numeric_min returns the smaller of a and b.
 */
static Numeric
numeric_min(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a),
											 NumericGetDatum(b))) <= 0 ? a : b;
}

static Numeric
numeric_times(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
numeric_plus(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(a), NumericGetDatum(b)));
}

/*
 * nights_fee is what the first `n` nights of the stay cost: their prices
 * times rooms plus the extras of n nights.  A reservation whose night
 * prices are not kept (or do not cover the nights) pays n / nights of its
 * total price.
 */
static Numeric
nights_fee(const BkChargeFacts *f, int32 n)
{
	int32		nights = f->check_out - f->check_in;
	int32		offset = f->check_in - f->prices_first;
	Numeric		sum = int64_to_numeric(0);

	n = Min(n, nights);
	if (f->prices == NULL || offset < 0 || offset + n > f->nprices)
		return DatumGetNumeric(DirectFunctionCall2(numeric_div,
												   NumericGetDatum(numeric_times(f->total_price, int64_to_numeric(n))),
												   NumericGetDatum(int64_to_numeric(Max(nights, 1)))));
	for (int k = 0; k < n; k++)
		sum = numeric_plus(sum, DatumGetNumeric(f->prices[offset + k]));
	sum = numeric_times(sum, int64_to_numeric(f->rooms));
	return numeric_plus(sum, numeric_times(f->extra ? f->extra : int64_to_numeric(0),
										   int64_to_numeric(n)));
}

/*
 * charge_fee computes the fee a charge object (a tier or no_show, as
 * add_policy checked it) asks of the reservation: rounded half-up to
 * cents, at most its total price.
 */
static Numeric
charge_fee(JsonbContainer *charge, const BkChargeFacts *f)
{
	JsonbValue *v;
	Numeric		fee = NULL;

	if ((v = getKeyJsonValueFromContainer(charge, "charge_pct", 10, NULL)) != NULL)
		fee = numeric_times(numeric_times(f->total_price, v->val.numeric),
							DatumGetNumeric(bk_hundredth()));
	else if ((v = getKeyJsonValueFromContainer(charge, "charge_nights", 13, NULL)) != NULL)
	{
		bool		overflow = false;
		int32		n = numeric_int4_opt_error(v->val.numeric, &overflow);

		fee = nights_fee(f, overflow ? PG_INT32_MAX : n);
	}
	else if ((v = getKeyJsonValueFromContainer(charge, "charge_amount", 13, NULL)) != NULL)
		fee = v->val.numeric;
	else
		elog(ERROR, "booking: a charge of a cancellation policy has no charge_pct, charge_nights or charge_amount");
	return bk_round_cents(numeric_min(bk_round_cents(fee), f->total_price));
}

/*
 * tier_container returns tier i (from 0) of a policy's tiers.
 */
static JsonbContainer *
tier_container(Jsonb *tiers, int i)
{
	JsonbValue *tier = getIthJsonbValueFromContainer(&tiers->root, i);

	if (tier == NULL || tier->type != jbvBinary)
		elog(ERROR, "booking: tier %d of a cancellation policy is not an object", i + 1);
	return tier->val.binary.data;
}

/*
 * tier_deadline returns when tier `tier` stops applying: its until's
 * months and days taken from the check-in date on the local calendar,
 * the start of that local day (bk_local_day_start: the first instant of
 * that date in `time_zone`, so "0" is the moment the arrival day begins,
 * when check_in and mark_no_show start to accept the stay), less its
 * hours and less as time elapsed.  "1 day" is the start of the day
 * before check-in across a change of daylight saving time; "36 hours" is
 * 36 hours before check-in, whatever the clocks did.
 */
static TimestampTz
tier_deadline(JsonbContainer *tier, DateADT check_in, const char *time_zone)
{
	JsonbValue *until = getKeyJsonValueFromContainer(tier, "until", 5, NULL);
	Interval   *span;
	Interval   *calendar = palloc0(sizeof(Interval));
	Datum		local;
	TimestampTz deadline;

	if (until == NULL || until->type != jbvString)
		elog(ERROR, "booking: a tier of a cancellation policy has no until");
	span = DatumGetIntervalP(DirectFunctionCall3(interval_in,
												 CStringGetDatum(pnstrdup(until->val.string.val,
																		  until->val.string.len)),
												 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	calendar->month = span->month;
	calendar->day = span->day;
	local = DirectFunctionCall1(date_timestamp, DateADTGetDatum(check_in));
	local = DirectFunctionCall2(timestamp_mi_interval, local, IntervalPGetDatum(calendar));
	deadline = bk_local_day_start(DatumGetDateADT(DirectFunctionCall1(timestamp_date, local)), time_zone);
	if (pg_sub_s64_overflow(deadline, span->time, &deadline))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range"),
				 errdetail("A tier's deadline, check-in minus its until, lies outside the timestamps PostgreSQL can hold.")));
	return deadline;
}

/*
 * bk_charge_of computes the charge of cancelling the reservation of
 * `facts` at `at`, without any query.  A hold: fee 0, refund 0, the
 * plan's policy, no tier.  No policy ('BASE', or a plan without one): fee
 * 0, refund the total price, no policy, no tier.  Else the tier that
 * applies at `at` sets the fee and the refund is the rest.
 */
void
bk_charge_of(const BkChargeFacts *facts, TimestampTz at, BkCharge *charge)
{
	int			n;
	int			i;

	charge->tier = 0;
	if (bk_state_is_live_hold(facts->state))
	{
		charge->fee = no_amount();
		charge->refund = no_amount();
		charge->policy = facts->policy;
		return;
	}
	charge->policy = NULL;
	charge->fee = no_amount();
	charge->refund = cents_down(facts->total_price);
	if (facts->tiers == NULL)
		return;
	n = JB_ROOT_COUNT(facts->tiers);
	if (n == 0)
		return;
	for (i = 0; i < n - 1; i++)
		if (at <= tier_deadline(tier_container(facts->tiers, i), facts->check_in, facts->time_zone))
			break;
	/* i is the first tier whose deadline is not past, else the last one */
	charge->policy = facts->policy;
	charge->tier = i + 1;
	charge->fee = charge_fee(tier_container(facts->tiers, i), facts);
	charge->refund = amount_left(facts->total_price, charge->fee);
}

/*
 * bk_no_show_charge_of computes the charge of a no-show of the
 * reservation of `facts` (as it is before mark_no_show trims it), without
 * any query: the policy's no_show charge if it has one (tier 0), else its
 * last tier's (tier = that tier); no policy: fee 0.  The refund is the
 * total price less the fee.  The state is not looked at.
 */
void
bk_no_show_charge_of(const BkChargeFacts *facts, BkCharge *charge)
{
	int			n = facts->tiers ? JB_ROOT_COUNT(facts->tiers) : 0;

	charge->policy = NULL;
	charge->tier = 0;
	charge->fee = no_amount();
	if (n > 0)
	{
		charge->policy = facts->policy;
		if (facts->no_show != NULL)
			charge->fee = charge_fee(&facts->no_show->root, facts);
		else
		{
			charge->tier = n;
			charge->fee = charge_fee(tier_container(facts->tiers, n - 1), facts);
		}
	}
	charge->refund = amount_left(facts->total_price, charge->fee);
}

/*
 * bk_no_show_charge computes the no-show charge of reservation `id`, as
 * it is now (before mark_no_show trims it): bk_charge_facts in a fresh
 * snapshot, then bk_no_show_charge_of.  The caller holds the
 * reservation's row lock.  It runs one query through SPI, connecting
 * itself; inside a direct unit (BkDirect) call it with no index scan
 * open, best before the unit writes.
 */
void
bk_no_show_charge(int64 id, BkCharge *charge)
{
	BkChargeFacts facts;

	if (!bk_charge_facts(id, false, &facts))
		elog(ERROR, "booking: reservation %lld is gone", (long long) id);
	bk_no_show_charge_of(&facts, charge);
}

/*
 * is_base_plan says whether a rate_plan value is 'BASE'.
 */
static bool
is_base_plan(Datum plan)
{
	text	   *t = DatumGetTextPP(plan);

	return VARSIZE_ANY_EXHDR(t) == strlen(BK_BASE_PLAN) &&
		memcmp(VARDATA_ANY(t), BK_BASE_PLAN, strlen(BK_BASE_PLAN)) == 0;
}

/*
 * bk_cancel_charge computes the charge of cancelling locked reservation
 * *r of unit d at `at`, as bk_charge_of does.  A hold (fee 0, refund 0;
 * its policy is not looked up: charge->policy is NULL) and a reservation
 * sold under 'BASE', or on a schema older than 2.0 (fee 0, refund the
 * total price) are charged without any query; any other reads its facts
 * through SPI in a fresh snapshot (bk_charge_facts), so call it with no
 * index scan open, best before the unit writes.
 */
void
bk_cancel_charge(BkDirect *d, const BkReservation *r, TimestampTz at, BkCharge *charge)
{
	TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
	bool		isnull;
	Datum		total = heap_getattr(r->tuple, bk_column(BK_RESERVATION_TOTAL_PRICE), desc, &isnull);
	BkChargeFacts facts;

	charge->policy = NULL;
	charge->tier = 0;
	charge->fee = no_amount();
	if (bk_state_is_live_hold(r->state))
	{
		charge->refund = no_amount();
		return;
	}
	charge->refund = isnull ? no_amount() : cents_down(DatumGetNumeric(total));
	if (!bk_has_column(BK_RESERVATION_RATE_PLAN) ||
		is_base_plan(heap_getattr(r->tuple, bk_column(BK_RESERVATION_RATE_PLAN), desc, &isnull)))
		return;
	if (!bk_charge_facts(r->reservation_id, false, &facts))
		elog(ERROR, "booking: reservation %lld is gone", (long long) r->reservation_id);
	bk_charge_of(&facts, at, charge);
}

/*
 * booking_cancel_quote is cancel_quote(reservation_id, at, guest_id): what
 * cancelling the reservation at `at` (NULL: now) would charge and refund,
 * under which policy and tier; one row, nothing written.  An unknown
 * reservation, or another guest's, is BK005; one that cannot be cancelled
 * (cancelled, expired, or its stay begun or over) is BK003.
 */
Datum
booking_cancel_quote(PG_FUNCTION_ARGS)
{
	int64		id;
	TimestampTz at;
	char	   *guest_id;
	BkChargeFacts facts;
	BkCharge	charge;
	ReturnSetInfo *rsinfo;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	at = PG_ARGISNULL(1) ? bk_now() : PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at must be a finite timestamp"),
				 errdetail("at is %s.", DatumGetCString(DirectFunctionCall1(timestamptz_out,
																			 TimestampTzGetDatum(at)))),
				 errhint("Pass the moment to quote for, or NULL for now.")));
	guest_id = bk_guest_arg(fcinfo, 2);

	if (!bk_charge_facts(id, true, &facts) ||
		(guest_id && !bk_guest_matches(facts.guest_id, guest_id)))
		bk_report_no_reservation(id);
	if (!bk_state_is_live_hold(facts.state) && facts.state != BK_CONFIRMED)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("reservation %lld cannot be cancelled: it is %s",
						(long long) id, bk_state_name(facts.state)),
				 errdetail("Reservation %lld (%s to %s) is %s; only a held, payment_pending or confirmed reservation can be cancelled.",
						   (long long) id, bk_date_str(facts.check_in),
						   bk_date_str(facts.check_out), bk_state_name(facts.state)),
				 errhint("A cancellation is quoted before it is made.")));
	bk_charge_of(&facts, at, &charge);

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	values[0] = NumericGetDatum(charge.fee);
	values[1] = NumericGetDatum(charge.refund);
	if (charge.policy)
		values[2] = CStringGetTextDatum(charge.policy);
	else
		nulls[2] = true;
	values[3] = Int32GetDatum(charge.tier);
	nulls[3] = charge.tier == 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * rules.c
 *    Stay rules per room type and night, the controls every channel
 *    manager carries: min and max stay (counted from the arrival night),
 *    closed to arrival, closed to departure (on the check-out day),
 *    stop-sell, and the lead time between the property's local today and
 *    check-in (min and max advance, from the arrival night).
 *    booking.set_rules() and booking.clear_rules() write them;
 *    bk_check_stay_rules() is the one judge that reserve_range (BK006),
 *    quote and search all ask.  Since 2.0 a rate plan ('BASE' too) may
 *    have rules of its own (booking.plan_rule, set_rules and clear_rules
 *    with rate_plan), on top of the room type's, which restrict that plan
 *    only; bk_check_plan_rules() judges them with the same code.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_set_rules);
PG_FUNCTION_INFO_V1(booking_clear_rules);

/*
 * The rules live in two tables of the same shape: booking.stay_rule, a
 * room type's, and booking.plan_rule, one rate plan's (2.0; 'BASE' too),
 * keyed by the plan as well.  Each statement below is written once, for
 * either table: RULE_PLAN_COLUMN is "" or "rate_plan, ", and the plan is
 * the last argument of a plan_rule statement.
 */

/*
 * Upserts the rules of the nights [$3, $4); NULL leaves a rule as it is,
 * 0 clears min_stay, max_stay and min_advance.  (CASE WHEN x = 0 THEN NULL
 * rather than NULLIF(x, 0), which would look = up by name.)  The plan is
 * $12.
 */
#define RULE_UPSERT_SQL(table, plan_column, plan_value) \
	"INSERT INTO booking." table " AS s (property_id, room_type, " plan_column "night, min_stay," \
	"       max_stay, closed_to_arrival, closed_to_departure, stop_sell, min_advance, max_advance)" \
	" SELECT $1, $2, " plan_value "$3 OPERATOR(pg_catalog.+) g," \
	"        CASE WHEN $5 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $5 END," \
	"        CASE WHEN $6 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $6 END," \
	"        COALESCE($7, false), COALESCE($8, false), COALESCE($9, false)," \
	"        CASE WHEN $10 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $10 END, $11" \
	"   FROM pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g" \
	" ON CONFLICT (property_id, room_type, " plan_column "night) DO UPDATE SET" \
	"   min_stay = CASE WHEN $5 IS NULL THEN s.min_stay" \
	"                   WHEN $5 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $5 END," \
	"   max_stay = CASE WHEN $6 IS NULL THEN s.max_stay" \
	"                   WHEN $6 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $6 END," \
	"   closed_to_arrival = COALESCE($7, s.closed_to_arrival)," \
	"   closed_to_departure = COALESCE($8, s.closed_to_departure)," \
	"   stop_sell = COALESCE($9, s.stop_sell)," \
	"   min_advance = CASE WHEN $10 IS NULL THEN s.min_advance" \
	"                      WHEN $10 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $10 END," \
	"   max_advance = COALESCE($11, s.max_advance)"
#define RULE_UPSERT_TYPES \
	INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID, BOOLOID, BOOLOID, BOOLOID, INT4OID, INT4OID

/* The rows of the nights [$3, $4) (of plan $5) */
#define RULE_NIGHTS_SQL(plan_filter) \
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2" \
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4" plan_filter

/* Drops rows left with no rule at all. */
#define RULE_PRUNE_SQL(table, plan_filter) \
	"DELETE FROM booking." table RULE_NIGHTS_SQL(plan_filter) \
	"   AND min_stay IS NULL AND max_stay IS NULL AND NOT closed_to_arrival" \
	"   AND NOT closed_to_departure AND NOT stop_sell AND min_advance IS NULL AND max_advance IS NULL"

#define RULE_CLEAR_SQL(table, plan_filter) \
	"DELETE FROM booking." table RULE_NIGHTS_SQL(plan_filter)

/* Recomputes the room type's flag (has_rules, has_plan_rules) and returns it. */
#define RULE_FLAG_SQL(flag, table) \
	"UPDATE booking.room_type rt" \
	"   SET " flag " = EXISTS (SELECT 1 FROM booking." table " s" \
	"                           WHERE s.property_id OPERATOR(pg_catalog.=) $1" \
	"                             AND s.room_type OPERATOR(pg_catalog.=) $2)" \
	" WHERE rt.property_id OPERATOR(pg_catalog.=) $1 AND rt.code OPERATOR(pg_catalog.=) $2" \
	" RETURNING " flag

/* The rules of the nights check_in .. check_out, inclusive (of plan $5). */
#define RULE_SELECT_SQL(table, plan_filter) \
	"SELECT night, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell," \
	"       min_advance, max_advance" \
	"  FROM booking." table \
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2" \
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<=) $4" plan_filter \
	" ORDER BY night"

#define RULE_PLAN_FILTER " AND rate_plan OPERATOR(pg_catalog.=) $5"

/* The statements of one rules table */
typedef struct RuleTable
{
	BookingPlan upsert;
	BookingPlan prune;
	BookingPlan clear;
	BookingPlan flag;
	BookingPlan select;
} RuleTable;

/* A room type's rules */
static RuleTable stay_rules = {
	{RULE_UPSERT_SQL("stay_rule", "", ""), 11, {RULE_UPSERT_TYPES}},
	{RULE_PRUNE_SQL("stay_rule", ""), 4, {INT8OID, TEXTOID, DATEOID, DATEOID}},
	{RULE_CLEAR_SQL("stay_rule", ""), 4, {INT8OID, TEXTOID, DATEOID, DATEOID}},
	{RULE_FLAG_SQL("has_rules", "stay_rule"), 2, {INT8OID, TEXTOID}},
	{RULE_SELECT_SQL("stay_rule", ""), 4, {INT8OID, TEXTOID, DATEOID, DATEOID}},
};

/* A rate plan's rules: the plan is the last argument */
static RuleTable plan_rules = {
	{RULE_UPSERT_SQL("plan_rule", "rate_plan, ", "$12, "), 12, {RULE_UPSERT_TYPES, TEXTOID}},
	{RULE_PRUNE_SQL("plan_rule", RULE_PLAN_FILTER), 5, {INT8OID, TEXTOID, DATEOID, DATEOID, TEXTOID}},
	{RULE_CLEAR_SQL("plan_rule", RULE_PLAN_FILTER), 5, {INT8OID, TEXTOID, DATEOID, DATEOID, TEXTOID}},
	{RULE_FLAG_SQL("has_plan_rules", "plan_rule"), 2, {INT8OID, TEXTOID}},
	{RULE_SELECT_SQL("plan_rule", RULE_PLAN_FILTER), 5, {INT8OID, TEXTOID, DATEOID, DATEOID, TEXTOID}},
};

/* Does the room type $1, $2 have plan $3 (in booking.rate_plan)? */
static BookingPlan plan_exists_plan = {
	"SELECT 1 FROM booking.rate_plan"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND code OPERATOR(pg_catalog.=) $3",
	3, {INT8OID, TEXTOID, TEXTOID}
};

/*
 * rule_int reads an int column of the current rule row; false when NULL.
 */
static bool
rule_int(uint64 row, int col, int32 *value)
{
	bool		isnull;
	Datum		d = bk_get(row, col, &isnull);

	if (!isnull)
		*value = DatumGetInt32(d);
	return !isnull;
}

/*
 * judge_rules judges the stay [check_in, check_out) against the rules
 * that table->select reads with `args` (property, room type, check_in,
 * check_out and, for a plan's rules, the plan), with `today` the
 * property's local date.  Returns true when the stay breaks none;
 * otherwise false, with the rule and the night (and a sentence for people)
 * in *violation.  The checks run in a fixed order, so the same stay
 * always names the same rule.
 */
static bool
judge_rules(RuleTable *table, Datum *args, DateADT check_in, DateADT check_out, DateADT today,
			BkRuleViolation *violation)
{
	int32		nights = check_out - check_in;
	int32		lead = check_in - today;
	int64		arrival = -1;
	int64		departure = -1;
	int64		first_stop = -1;
	int32		limit;

	bk_exec(&table->select, args, NULL, 0);

	for (uint64 row = 0; row < SPI_processed; row++)
	{
		DateADT		night = DatumGetDateADT(bk_get_notnull(row, 1));

		if (night == check_in)
			arrival = row;
		if (night == check_out)
			departure = row;
		else if (first_stop < 0 && DatumGetBool(bk_get_notnull(row, 6)))
			first_stop = row;
	}

	violation->night = check_in;
	if (arrival >= 0)
	{
		if (DatumGetBool(bk_get_notnull(arrival, 4)))
		{
			violation->rule = "closed_to_arrival";
			violation->detail = psprintf("arrivals are closed on %s", bk_date_str(check_in));
			return false;
		}
		if (rule_int(arrival, 2, &limit) && nights < limit)
		{
			violation->rule = "min_stay";
			violation->detail = psprintf("stays arriving on %s must be at least %d nights, this one is %d",
										 bk_date_str(check_in), limit, nights);
			return false;
		}
		if (rule_int(arrival, 3, &limit) && nights > limit)
		{
			violation->rule = "max_stay";
			violation->detail = psprintf("stays arriving on %s may be at most %d nights, this one is %d",
										 bk_date_str(check_in), limit, nights);
			return false;
		}
		if (rule_int(arrival, 7, &limit) && lead < limit)
		{
			violation->rule = "min_advance";
			violation->detail = psprintf("arrival on %s must be booked at least %d days ahead, this is %d",
										 bk_date_str(check_in), limit, lead);
			return false;
		}
		if (rule_int(arrival, 8, &limit) && lead > limit)
		{
			violation->rule = "max_advance";
			violation->detail = psprintf("arrival on %s may be booked at most %d days ahead, this is %d",
										 bk_date_str(check_in), limit, lead);
			return false;
		}
	}
	if (first_stop >= 0)
	{
		violation->rule = "stop_sell";
		violation->night = DatumGetDateADT(bk_get_notnull(first_stop, 1));
		violation->detail = psprintf("night %s is closed for sale", bk_date_str(violation->night));
		return false;
	}
	if (departure >= 0 && DatumGetBool(bk_get_notnull(departure, 5)))
	{
		violation->rule = "closed_to_departure";
		violation->night = check_out;
		violation->detail = psprintf("departures are closed on %s", bk_date_str(check_out));
		return false;
	}
	return true;
}

/*
 * bk_check_stay_rules judges the stay [check_in, check_out) of a room type
 * against its rules (judge_rules), with `today` the property's local date.
 */
bool
bk_check_stay_rules(int64 property_id, const char *room_type,
					DateADT check_in, DateADT check_out, DateADT today,
					BkRuleViolation *violation)
{
	Datum		args[4];

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	return judge_rules(&stay_rules, args, check_in, check_out, today, violation);
}

/*
 * bk_check_plan_rules judges the stay [check_in, check_out) of a room type
 * sold under rate plan `plan` ('BASE' too) against that plan's own rules
 * only (the room type's are bk_check_stay_rules'), as judge_rules does.
 * Called inside SPI.
 */
bool
bk_check_plan_rules(int64 property_id, const char *room_type, const char *plan,
					DateADT check_in, DateADT check_out, DateADT today,
					BkRuleViolation *violation)
{
	Datum		args[5];

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = CStringGetTextDatum(plan);
	return judge_rules(&plan_rules, args, check_in, check_out, today, violation);
}

/*
 * check_rule_value refuses a negative count (0 is allowed: it clears).
 */
static void
check_rule_value(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (!PG_ARGISNULL(argno) && PG_GETARG_INT32(argno) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be 0 or more", name),
				 errdetail("%s is %d.", name, PG_GETARG_INT32(argno)),
				 errhint("Pass NULL to leave the rule as it is, or 0 to clear it (for max_advance, use clear_rules).")));
}

/*
 * rule_range_args checks the (property_id, room_type, first_night,
 * end_night) arguments common to set_rules and clear_rules, that the room
 * type exists and, when the call names one in argument `plan_argno`, that
 * the rate plan does ('BASE' or one of the room type's plans, else BK005);
 * fills key[0..3] and, for a plan, key[4].  Returns the rules table to
 * write: the room type's (no plan given) or the plans'.
 */
static RuleTable *
rule_range_args(FunctionCallInfo fcinfo, int plan_argno, Datum *key)
{
	DateADT		first;
	DateADT		end;
	char	   *room_type;
	char	   *plan = NULL;

	bk_require_arg(fcinfo, 0, "property_id");
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, false);
	bk_require_arg(fcinfo, 2, "first_night");
	bk_require_arg(fcinfo, 3, "end_night");
	first = PG_GETARG_DATEADT(2);
	end = PG_GETARG_DATEADT(3);
	bk_validate_night_range(first, end, "the rules apply to");
	if (PG_NARGS() > plan_argno)	/* an older SQL definition has no rate_plan */
		plan = bk_text_arg(fcinfo, plan_argno, "rate_plan", BOOKING_MAX_CODE_BYTES, false, true);
	for (int i = 0; i < 4; i++)
		key[i] = PG_GETARG_DATUM(i);
	key[4] = (Datum) 0;
	bk_lock_room_type(PG_GETARG_INT64(0), room_type);
	if (plan == NULL)
		return &stay_rules;
	key[4] = CStringGetTextDatum(plan);
	if (strcmp(plan, BK_BASE_PLAN) != 0)
	{
		Datum		args[3] = {key[0], key[1], key[4]};

		bk_exec(&plan_exists_plan, args, NULL, 1);
		if (SPI_processed == 0)
			bk_report_no_plan(PG_GETARG_INT64(0), room_type, plan);
	}
	return &plan_rules;
}

/*
 * update_flag recomputes the room type's has_rules (or has_plan_rules)
 * flag; has_rules is copied to its calendar rows (search reads the plans'
 * rules from the room type).
 */
static void
update_flag(RuleTable *table, Datum *key)
{
	bk_exec(&table->flag, key, NULL, 0);
	if (table == &stay_rules)
	{
		bool		has_rules = DatumGetBool(bk_get_notnull(0, 1));

		bk_calendar_set_has_rules(DatumGetInt64(key[0]), TextDatumGetCString(key[1]), has_rules);
		/* a room type's stop_sell is the ARI feed's closed */
		bk_ari_note_range(DatumGetInt64(key[0]), TextDatumGetCString(key[1]),
						  DatumGetDateADT(key[2]), DatumGetDateADT(key[3]));
	}
}

/*
 * offer_relaxed offers the nights of a rule change to the waitlist: a
 * stop-sell lifted or a rule relaxed may let a waiting entry fit, and
 * public reserve_range must not take those units first (waitlist_offer.c).
 * From the night before first_night, so that a stay checking out on it
 * (closed_to_departure) is looked at too.  Outside SPI, after the writes.
 * It holds no night; a stay rule's change took the publisher's lock (the
 * calendar's has_rules), and then the offer waits for none
 * (waitlist_offer.c).
 */
static void
offer_relaxed(const Datum *key)
{
	bk_waitlist_offer_range(DatumGetInt64(key[0]), TextDatumGetCString(key[1]),
							DatumGetDateADT(key[2]) - 1, DatumGetDateADT(key[3]), true);
}

/*
 * booking_set_rules is set_rules(property_id, room_type, first_night,
 * end_night, min_stay, max_stay, closed_to_arrival, closed_to_departure,
 * stop_sell, min_advance, max_advance, rate_plan): sets the given rules on
 * every night of [first_night, end_night), of the room type or (rate_plan
 * given) of that plan only, and returns how many nights.
 */
Datum
booking_set_rules(PG_FUNCTION_ARGS)
{
	Datum		args[12];
	char		nulls[12];
	Datum		key[5];
	RuleTable  *table;
	int			written;
	MemoryContext caller_context = CurrentMemoryContext;

	check_rule_value(fcinfo, 4, "min_stay");
	check_rule_value(fcinfo, 5, "max_stay");
	check_rule_value(fcinfo, 9, "min_advance");
	check_rule_value(fcinfo, 10, "max_advance");

	bk_connect();
	table = rule_range_args(fcinfo, 11, key);
	for (int i = 0; i < 11; i++)
	{
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	args[11] = key[4];			/* the plan: read by plan_rules only */
	nulls[11] = ' ';

	PG_TRY();
	{
		bk_exec(&table->upsert, args, nulls, 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_CHECK_VIOLATION)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rules would contradict each other"),
				 errdetail("With these values some night of room type \"%s\" at property %lld would have min_stay above max_stay or min_advance above max_advance.",
						   TextDatumGetCString(args[1]), (long long) DatumGetInt64(args[0])),
				 errhint("Set both bounds together, or clear one with 0.")));
	}
	PG_END_TRY();
	written = (int) SPI_processed;

	bk_exec(&table->prune, key, NULL, 0);
	update_flag(table, key);
	bk_finish();
	offer_relaxed(key);
	PG_RETURN_INT32(written);
}

/*
 * booking_clear_rules is clear_rules(property_id, room_type, first_night,
 * end_night, rate_plan): removes every rule of those nights, of the room
 * type or (rate_plan given) of that plan only; returns how many nights had
 * one.
 */
Datum
booking_clear_rules(PG_FUNCTION_ARGS)
{
	Datum		key[5];
	RuleTable  *table;
	int			cleared;

	bk_connect();
	table = rule_range_args(fcinfo, 4, key);
	bk_exec(&table->clear, key, NULL, 0);
	cleared = (int) SPI_processed;
	update_flag(table, key);
	bk_finish();
	offer_relaxed(key);
	PG_RETURN_INT32(cleared);
}

/*
 * bk_party_size is how many guests a stay takes: its adults and its
 * children (2.0), each 0 when not given, at most int32's largest.
 */
int32
bk_party_size(int32 guests, int32 children)
{
	return (int32) Min((int64) guests + children, PG_INT32_MAX);
}

/*
 * bk_guests_violation says why `guests` do not fit in `rooms` rooms of a
 * room type that takes `max_guests` each (2.0's max_guests rule: at most
 * rooms * max_guests), or NULL when they fit.  quote gives it as a
 * reason; reserve_range raises it (bk_check_guests); search leaves out
 * the room types it would refuse.
 */
char *
bk_guests_violation(int32 rooms, int32 guests, int32 max_guests)
{
	if ((int64) guests <= (int64) rooms * max_guests)
		return NULL;
	return psprintf("%d guest(s) do not fit in %d room(s) taking %d each",
					guests, rooms, max_guests);
}

/*
 * bk_check_guests raises BK006 (rule max_guests) when `guests` do not fit
 * in `rooms` rooms of the room type.
 */
void
bk_check_guests(int64 property_id, const char *room_type, int32 rooms, int32 guests,
				int32 max_guests)
{
	char	   *why = bk_guests_violation(rooms, guests, max_guests);

	if (why == NULL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_RESTRICTION_VIOLATION),
			 errmsg("the stay breaks the max_guests rule"),
			 errdetail("Property %lld, room type \"%s\": %s.", (long long) property_id, room_type, why),
			 errhint("Reserve %d room(s), or a room type that takes more guests.",
					 (int) (((int64) guests + max_guests - 1) / max_guests))));
}

/*
 * bk_require_stay_rules raises BK006 when the stay [check_in, check_out)
 * of a room type breaks one of its stay rules (bk_check_stay_rules, as
 * judged on the property's local `today`): what reserve_range and
 * modify_reservation do with a stay of a room type that has rules.
 */
void
bk_require_stay_rules(int64 property_id, const char *room_type, DateADT check_in,
					  DateADT check_out, DateADT today)
{
	BkRuleViolation violation;
	bool		allowed;

	bk_connect();
	allowed = bk_check_stay_rules(property_id, room_type, check_in, check_out, today, &violation);
	bk_finish();
	if (!allowed)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_RESTRICTION_VIOLATION),
				 errmsg("the stay breaks the %s rule", violation.rule),
				 errdetail("Property %lld, room type \"%s\", night %s: %s.",
						   (long long) property_id, room_type,
						   bk_date_str(violation.night), violation.detail),
				 errhint("booking.quote shows why a stay cannot be booked; choose other dates.")));
}

/*
 * bk_require_plan_rules raises BK006, naming the plan and the night, when
 * the stay [check_in, check_out) of a room type sold under rate plan
 * `plan` breaks one of that plan's own rules (bk_check_plan_rules): what
 * reserve_range does for a room type that has plan rules.
 */
void
bk_require_plan_rules(int64 property_id, const char *room_type, const char *plan,
					  DateADT check_in, DateADT check_out, DateADT today)
{
	BkRuleViolation violation;
	bool		allowed;

	bk_connect();
	allowed = bk_check_plan_rules(property_id, room_type, plan, check_in, check_out, today,
								  &violation);
	bk_finish();
	if (!allowed)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_RESTRICTION_VIOLATION),
				 errmsg("rate plan \"%s\" is closed: %s on %s",
						plan, violation.rule, bk_date_str(violation.night)),
				 errdetail("Property %lld, room type \"%s\", plan \"%s\": %s.",
						   (long long) property_id, room_type, plan, violation.detail),
				 errhint("booking.quote shows why a stay cannot be booked; choose another plan or other dates.")));
}

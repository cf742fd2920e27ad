/*-------------------------------------------------------------------------
 * rules.c
 *    Stay rules per room type and night, the controls every channel
 *    manager carries: min and max stay (counted from the arrival night),
 *    closed to arrival, closed to departure (on the check-out day),
 *    stop-sell, and the lead time between the property's local today and
 *    check-in (min and max advance, from the arrival night).
 *    booking.set_rules() and booking.clear_rules() write them;
 *    bk_check_stay_rules() is the one judge that reserve_range (BK006),
 *    quote and search all ask.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_set_rules);
PG_FUNCTION_INFO_V1(booking_clear_rules);

/*
 * Upserts the rules of the nights [$3, $4); NULL leaves a rule as it is,
 * 0 clears min_stay, max_stay and min_advance.  (CASE WHEN x = 0 THEN NULL
 * rather than NULLIF(x, 0), which would look = up by name.)
 */
static BookingPlan upsert_rules_plan = {
	"INSERT INTO booking.stay_rule AS s (property_id, room_type, night, min_stay, max_stay,"
	"       closed_to_arrival, closed_to_departure, stop_sell, min_advance, max_advance)"
	" SELECT $1, $2, $3 OPERATOR(pg_catalog.+) g,"
	"        CASE WHEN $5 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $5 END,"
	"        CASE WHEN $6 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $6 END,"
	"        COALESCE($7, false), COALESCE($8, false), COALESCE($9, false),"
	"        CASE WHEN $10 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $10 END, $11"
	"   FROM pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g"
	" ON CONFLICT (property_id, room_type, night) DO UPDATE SET"
	"   min_stay = CASE WHEN $5 IS NULL THEN s.min_stay"
	"                   WHEN $5 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $5 END,"
	"   max_stay = CASE WHEN $6 IS NULL THEN s.max_stay"
	"                   WHEN $6 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $6 END,"
	"   closed_to_arrival = COALESCE($7, s.closed_to_arrival),"
	"   closed_to_departure = COALESCE($8, s.closed_to_departure),"
	"   stop_sell = COALESCE($9, s.stop_sell),"
	"   min_advance = CASE WHEN $10 IS NULL THEN s.min_advance"
	"                      WHEN $10 OPERATOR(pg_catalog.=) 0 THEN NULL ELSE $10 END,"
	"   max_advance = COALESCE($11, s.max_advance)",
	11, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, INT4OID, BOOLOID, BOOLOID, BOOLOID,
		INT4OID, INT4OID}
};

/* Drops rows left with no rule at all. */
static BookingPlan prune_rules_plan = {
	"DELETE FROM booking.stay_rule"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4"
	"   AND min_stay IS NULL AND max_stay IS NULL AND NOT closed_to_arrival"
	"   AND NOT closed_to_departure AND NOT stop_sell AND min_advance IS NULL AND max_advance IS NULL",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
};

static BookingPlan clear_rules_plan = {
	"DELETE FROM booking.stay_rule"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
};

/* Recomputes room_type.has_rules and returns it. */
static BookingPlan update_has_rules_plan = {
	"UPDATE booking.room_type rt"
	"   SET has_rules = EXISTS (SELECT 1 FROM booking.stay_rule s"
	"                            WHERE s.property_id OPERATOR(pg_catalog.=) $1"
	"                              AND s.room_type OPERATOR(pg_catalog.=) $2)"
	" WHERE rt.property_id OPERATOR(pg_catalog.=) $1 AND rt.code OPERATOR(pg_catalog.=) $2"
	" RETURNING has_rules",
	2, {INT8OID, TEXTOID}
};

/* The rules of the nights check_in .. check_out, inclusive. */
static BookingPlan stay_rules_plan = {
	"SELECT night, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell,"
	"       min_advance, max_advance"
	"  FROM booking.stay_rule"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<=) $4"
	" ORDER BY night",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
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
 * bk_check_stay_rules judges the stay [check_in, check_out) of a room type
 * against its rules, with `today` the property's local date.  Returns true
 * when the stay breaks none; otherwise false, with the rule and the night
 * (and a sentence for people) in *violation.  The checks run in a fixed
 * order, so the same stay always names the same rule.
 */
bool
bk_check_stay_rules(int64 property_id, const char *room_type,
					DateADT check_in, DateADT check_out, DateADT today,
					BkRuleViolation *violation)
{
	Datum		args[4];
	int32		nights = check_out - check_in;
	int32		lead = check_in - today;
	int64		arrival = -1;
	int64		departure = -1;
	int64		first_stop = -1;
	int32		limit;

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	bk_exec(&stay_rules_plan, args, NULL, 0);

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
 * end_night) arguments common to set_rules and clear_rules, and that the
 * room type exists; fills args[0..3].
 */
static void
rule_range_args(FunctionCallInfo fcinfo, Datum *args)
{
	DateADT		first;
	DateADT		end;

	bk_require_arg(fcinfo, 0, "property_id");
	(void) bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, false);
	bk_require_arg(fcinfo, 2, "first_night");
	bk_require_arg(fcinfo, 3, "end_night");
	first = PG_GETARG_DATEADT(2);
	end = PG_GETARG_DATEADT(3);
	bk_validate_night_range(first, end, "the rules apply to");
	for (int i = 0; i < 4; i++)
		args[i] = PG_GETARG_DATUM(i);
	bk_require_room_type(PG_GETARG_INT64(0), TextDatumGetCString(args[1]));
}

/*
 * update_has_rules recomputes the room type's has_rules flag and copies it
 * to its calendar rows.
 */
static void
update_has_rules(Datum *args)
{
	bk_exec(&update_has_rules_plan, args, NULL, 0);
	bk_calendar_set_has_rules(DatumGetInt64(args[0]), TextDatumGetCString(args[1]),
							  DatumGetBool(bk_get_notnull(0, 1)));
}

/*
 * booking_set_rules is set_rules(property_id, room_type, first_night,
 * end_night, min_stay, max_stay, closed_to_arrival, closed_to_departure,
 * stop_sell, min_advance, max_advance): sets the given rules on every
 * night of [first_night, end_night) and returns how many nights.
 */
Datum
booking_set_rules(PG_FUNCTION_ARGS)
{
	Datum		args[11];
	char		nulls[11];
	int			written;
	MemoryContext caller_context = CurrentMemoryContext;

	check_rule_value(fcinfo, 4, "min_stay");
	check_rule_value(fcinfo, 5, "max_stay");
	check_rule_value(fcinfo, 9, "min_advance");
	check_rule_value(fcinfo, 10, "max_advance");

	bk_connect();
	rule_range_args(fcinfo, args);
	for (int i = 0; i < 11; i++)
	{
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
	}

	PG_TRY();
	{
		bk_exec(&upsert_rules_plan, args, nulls, 0);
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

	bk_exec(&prune_rules_plan, args, NULL, 0);
	update_has_rules(args);
	bk_finish();
	PG_RETURN_INT32(written);
}

/*
 * booking_clear_rules is clear_rules(property_id, room_type, first_night,
 * end_night): removes every rule of those nights; returns how many nights
 * had one.
 */
Datum
booking_clear_rules(PG_FUNCTION_ARGS)
{
	Datum		args[4];
	int			cleared;

	bk_connect();
	rule_range_args(fcinfo, args);
	bk_exec(&clear_rules_plan, args, NULL, 0);
	cleared = (int) SPI_processed;
	update_has_rules(args);
	bk_finish();
	PG_RETURN_INT32(cleared);
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

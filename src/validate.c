/*-------------------------------------------------------------------------
 * validate.c
 *    Argument checks shared by the SQL functions (SQLSTATE 22023 with a
 *    message a person can act on), the property-local "today", and the
 *    clock the engine uses for hold deadlines.
 *
 * Every value a caller passes is judged here before it reaches SQL, an
 * index or date arithmetic: texts are capped at the lengths booking.h
 * documents (BOOKING_MAX_*_BYTES, far below the btree limit of about
 * 2,700 bytes), prices are finite and at most BOOKING_MAX_PRICE, dates lie
 * where month and time zone arithmetic cannot overflow, intervals are
 * judged by how far they move a timestamp, and time zones are the names
 * pg_timezone_names lists.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "commands/trigger.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"

#include "booking.h"

/* The time zone names of pg_timezone_names, sorted, loaded on first use */
static const char **tz_names = NULL;
static int	tz_count = 0;

/*
 * bk_require_arg fails with 22023 when argument `argno` is NULL.
 */
void
bk_require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", name),
				 errhint("Pass a value for %s.", name)));
}

/*
 * bk_require_row_trigger fails unless the function is called as a BEFORE
 * ... FOR EACH ROW trigger on `operation` (TRIGGER_EVENT_INSERT or
 * TRIGGER_EVENT_UPDATE), and returns its TriggerData.  `name` is the
 * function's, for the message.
 */
TriggerData *
bk_require_row_trigger(FunctionCallInfo fcinfo, TriggerEvent operation, const char *name)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		(trigdata->tg_event & TRIGGER_EVENT_OPMASK) != operation)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a BEFORE %s FOR EACH ROW trigger", name,
						operation == TRIGGER_EVENT_INSERT ? "INSERT" : "UPDATE")));
	return trigdata;
}

/*
 * bk_require_positive returns integer argument `argno`, failing with 22023
 * when it is NULL or below 1.
 */
int32
bk_require_positive(FunctionCallInfo fcinfo, int argno, const char *name)
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
 * bk_guests_arg returns the optional guests argument `argno` (2.0): 0 when
 * it is NULL (not checked) or when the SQL declaration, at a schema older
 * than 2.0, has no such argument; 22023 when it is below 1.
 */
int32
bk_guests_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return 0;
	return bk_require_positive(fcinfo, argno, "guests");
}

/*
 * bk_check_text_length fails with 22023 when a text `len` bytes long, the
 * argument `name`, is longer than `max_bytes`.  The text itself is never
 * shown: it may be a guest's or a payment's reference, and it is long.
 */
void
bk_check_text_length(Size len, const char *name, int max_bytes)
{
	if (len > (Size) max_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too long", name),
				 errdetail("%s is %zu bytes long; the most it may be is %d bytes.",
						   name, len, max_bytes),
				 errhint("Pass a shorter %s.", name)));
}

/*
 * bk_text_arg returns text argument `argno` as a C string after checking
 * it: NULL is refused when `required` (and returned as NULL otherwise),
 * the empty string when `nonempty`, and anything over `max_bytes` (one of
 * the BOOKING_MAX_*_BYTES) always.  The length is read from the datum's
 * header, so an oversized value is refused before it is decompressed or
 * copied.
 */
char *
bk_text_arg(FunctionCallInfo fcinfo, int argno, const char *name,
			int max_bytes, bool required, bool nonempty)
{
	char	   *s;

	if (PG_ARGISNULL(argno))
	{
		if (required)
			bk_require_arg(fcinfo, argno, name);
		return NULL;
	}
	bk_check_text_length(toast_raw_datum_size(PG_GETARG_DATUM(argno)) - VARHDRSZ,
						 name, max_bytes);
	s = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (nonempty && s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name)));
	return s;
}

/*
 * bk_validate_price refuses a price that is NaN, infinite, negative or
 * above BOOKING_MAX_PRICE.  The cap keeps every sum the engine makes (a
 * night's price times rooms, over up to BOOKING_MAX_OPEN_NIGHTS nights)
 * many orders of magnitude inside numeric's range, so quote and
 * reserve_range can never overflow (22003).
 */
void
bk_validate_price(Datum price, const char *name)
{
	Numeric		num = DatumGetNumeric(price);
	char	   *shown;

	if (!numeric_is_nan(num) && !numeric_is_inf(num) &&
		!DatumGetBool(DirectFunctionCall2(numeric_lt, price,
										  NumericGetDatum(int64_to_numeric(0)))) &&
		!DatumGetBool(DirectFunctionCall2(numeric_gt, price,
										  bk_max_price())))
		return;
	/* a number of thousands of digits is shown by its start and its size */
	shown = DatumGetCString(DirectFunctionCall1(numeric_out, price));
	if (strlen(shown) > 40)
		shown = psprintf("%.20s... (%zu characters)", shown, strlen(shown));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a number from 0 to %lld", name, (long long) BOOKING_MAX_PRICE),
			 errdetail("%s is %s.", name, shown),
			 errhint("Prices are per room and night; NaN and infinity are not prices.")));
}

/*
 * bk_stay_request reads the (property_id, room_type, check_in, check_out,
 * rooms) arguments that reserve_range and quote share, as arguments 0..4,
 * and checks them: none NULL, a valid stay, at least one room.
 */
void
bk_stay_request(FunctionCallInfo fcinfo, BkStayRequest *stay)
{
	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "room_type");
	bk_require_arg(fcinfo, 2, "check_in");
	bk_require_arg(fcinfo, 3, "check_out");
	stay->property_id = PG_GETARG_INT64(0);
	stay->room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, false);
	stay->check_in = PG_GETARG_DATEADT(2);
	stay->check_out = PG_GETARG_DATEADT(3);
	bk_validate_stay(stay->check_in, stay->check_out);
	stay->rooms = bk_require_positive(fcinfo, 4, "rooms");
}

/*
 * bk_date_str formats a date as YYYY-MM-DD for messages, whatever the
 * session's DateStyle, so that logs and clients parse them the same way
 * (with " BC" after a date before year 1, which only a refusal shows).
 */
char *
bk_date_str(DateADT d)
{
	int			year;
	int			month;
	int			day;

	if (DATE_NOT_FINITE(d))
		return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
	j2date(d + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	if (year <= 0)
		return psprintf("%04d-%02d-%02d BC", 1 - year, month, day);
	return psprintf("%04d-%02d-%02d", year, month, day);
}

/*
 * bk_validate_dates refuses dates the engine cannot do arithmetic on.  Its
 * arithmetic on nights goes through timestamps (months for the room
 * calendar, midnight in the property's time zone, deadlines), and
 * timestamps begin on 4714-11-24 BC: a night in that first month has no
 * month start, and midnight there in a zone east of UTC is before the
 * first timestamp (22008).  So dates must lie from 4713-01-01 BC, a year
 * clear of that edge, to 294276-11-22, 40 days before the last timestamp.
 */
void
bk_validate_dates(DateADT first, DateADT end)
{
	DateADT		lowest = date2j(-4712, 1, 1) - POSTGRES_EPOCH_JDATE;
	DateADT		highest = TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE - 40;

	if (DATE_NOT_FINITE(first) || DATE_NOT_FINITE(end) ||
		first < lowest || first > highest || end < lowest || end > highest)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dates must be finite and within the range of timestamps"),
				 errdetail("The dates given are %s and %s.", bk_date_str(first), bk_date_str(end)),
				 errhint("Use dates from %s to %s.", bk_date_str(lowest), bk_date_str(highest))));
}

/*
 * bk_require_interval_within fails with 22023 unless the interval is
 * positive (no part of it negative, not zero) and at most a year;
 * `name` says which argument.  An interval is judged by how far it moves
 * a deadline: added to now, as the engine adds it, it must land no later
 * than now + 366 days, so '12 mons 6 days' (371 or 372 days) is refused
 * although it reads as 366 days at 30 days a month.  Parts that are
 * plainly too long are refused before the arithmetic, which cannot then
 * overflow.
 */
void
bk_require_interval_within(Interval *span, const char *name, const char *hint)
{
	bool		ok = false;

	if (span->month >= 0 && span->day >= 0 && span->time >= 0 &&
		span->month <= 12 && span->day <= 366 && span->time <= 366 * USECS_PER_DAY &&
		(span->month > 0 || span->day > 0 || span->time > 0))
	{
		Interval	year = {.time = 0, .day = 366, .month = 0};

		ok = bk_now_plus(span) <= bk_now_plus(&year);
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval of at most a year", name),
				 errdetail("%s is %s.", name,
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(span)))),
				 errhint("%s", hint)));
}

/*
 * bk_validate_stay checks the half-open range [check_in, check_out): both
 * finite, check_out after check_in, and no longer than booking.max_nights.
 */
void
bk_validate_stay(DateADT check_in, DateADT check_out)
{
	if (DATE_NOT_FINITE(check_in) || DATE_NOT_FINITE(check_out))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("check_in and check_out must be finite dates"),
				 errdetail("check_in is %s, check_out is %s.",
						   bk_date_str(check_in), bk_date_str(check_out))));
	bk_validate_dates(check_in, check_out);
	if (check_out <= check_in)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("check_out must be after check_in"),
				 errdetail("check_in is %s, check_out is %s; a stay is the nights from check_in up to, not including, check_out.",
						   bk_date_str(check_in), bk_date_str(check_out)),
				 errhint("For one night, pass check_out = check_in + 1.")));
	if ((int64) check_out - (int64) check_in > booking_max_nights)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stay of %lld nights is longer than booking.max_nights (%d)",
						(long long) ((int64) check_out - (int64) check_in),
						booking_max_nights),
				 errdetail("check_in is %s, check_out is %s.",
						   bk_date_str(check_in), bk_date_str(check_out)),
				 errhint("Split the stay, or raise booking.max_nights.")));
}

/*
 * tz_name_cmp orders time zone names as PostgreSQL matches them: without
 * regard to ASCII case.
 */
static int
tz_name_cmp(const void *a, const void *b)
{
	return pg_strcasecmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * load_tz_names reads the names pg_timezone_names lists (every zone file
 * PostgreSQL accepts, the same enumeration that view makes) once per
 * backend into a sorted array in TopMemoryContext.  It reads every zone
 * file, some tens of milliseconds: bk_validate_time_zone asks for it only
 * for the few names it cannot judge otherwise.
 */
static void
load_tz_names(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	pg_tzenum  *tzenum = pg_tzenumerate_start();
	pg_tz	   *tz;
	int			allocated = 1024;
	const char **names = palloc(sizeof(char *) * allocated);
	int			n = 0;

	while ((tz = pg_tzenumerate_next(tzenum)) != NULL)
	{
		if (n == allocated)
		{
			allocated *= 2;
			names = repalloc(names, sizeof(char *) * allocated);
		}
		names[n++] = pstrdup(pg_get_timezone_name(tz));
	}
	pg_tzenumerate_end(tzenum);
	qsort(names, n, sizeof(char *), tz_name_cmp);
	MemoryContextSwitchTo(old);
	tz_names = names;
	tz_count = n;
}

/*
 * bk_validate_time_zone rejects a time zone that is not one of the names
 * pg_timezone_names lists (matched without regard to case, as PostgreSQL
 * does).  PostgreSQL itself also accepts POSIX zone specifications such as
 * 'UTC+14' (which means 14 hours west of Greenwich) or 'XXX-99': they are
 * easy to get wrong and have no daylight-saving rules, so a property may
 * not use them.
 *
 * pg_tzset loads a zone file when there is one by that name and parses
 * the name as a POSIX specification otherwise, which it then names in
 * upper case; and a POSIX specification always has an offset, so digits.
 * So a zone pg_tzset accepts is a zone file when its name has no digit
 * ('UTC', 'Europe/Lisbon') or when its canonical name has a lower-case
 * letter ('Etc/GMT-14'); only the rest ('EST5EDT' and 'GMT+0', files;
 * 'UTC+14', not) are looked up in the list of pg_timezone_names.
 */
void
bk_validate_time_zone(const char *time_zone)
{
	pg_tz	   *tz = time_zone[0] != '\0' ? pg_tzset(time_zone) : NULL;
	bool		known = false;

	if (tz != NULL && pg_tz_acceptable(tz))
	{
		const char *canonical = pg_get_timezone_name(tz);

		if (strpbrk(canonical, "0123456789") == NULL ||
			strpbrk(canonical, "abcdefghijklmnopqrstuvwxyz") != NULL)
			known = true;
		else
		{
			if (tz_names == NULL)
				load_tz_names();
			known = bsearch(&time_zone, tz_names, tz_count, sizeof(char *), tz_name_cmp) != NULL;
		}
	}
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", time_zone),
				 errhint("Use an IANA time zone name such as 'Europe/Paris' or 'UTC' (see pg_timezone_names).")));
}

/*
 * bk_now is the engine's clock for hold deadlines: the start of the
 * current statement, so a deadline test agrees with hold_expires_at values
 * set by the same call; never before the start of the transaction, in
 * case a caller (a background worker that forgot
 * SetCurrentStatementStartTimestamp, a procedure's COMMIT) left the
 * statement's clock behind it.
 */
TimestampTz
bk_now(void)
{
	return Max(GetCurrentStatementStartTimestamp(), GetCurrentTransactionStartTimestamp());
}

/*
 * bk_now_plus returns now (bk_now) plus `span`, its days as 24 hours and
 * its months on the UTC calendar: a hold's or a payment's deadline.
 * timestamptz + interval would count days on the session's TimeZone, so
 * a hold of '1 day' taken across a change of daylight saving time would
 * last 23, 24 or 25 hours depending on the client's settings.
 */
TimestampTz
bk_now_plus(Interval *span)
{
	/* a timestamptz is microseconds since 2000-01-01 UTC: as a timestamp, UTC */
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_pl_interval,
												   TimestampGetDatum(bk_now()),
												   IntervalPGetDatum(span)));
}

/*
 * A property's zone is read from its zone file (pg_tzset), never as
 * AT TIME ZONE reads a name: that looks the name up among the time zone
 * abbreviations first, and 'CET', 'EET', 'MET' and 'WET' are both, so a
 * property in 'CET' would have been +01:00 all year.  local_of and
 * instant_of are timestamptz_zone and timestamp_zone for a zone file.
 */
static pg_tz *
zone_file(const char *time_zone)
{
	pg_tz	   *tz = pg_tzset(time_zone);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", time_zone),
				 errhint("Give the property an IANA time zone name such as 'Europe/Paris' or 'UTC'.")));
	return tz;
}

/* report_time_out_of_range is PostgreSQL's own error for a time it cannot hold */
static void report_time_out_of_range(void) pg_attribute_noreturn();

static void
report_time_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range")));
}

/* local_of returns the wall-clock time in zone `tz` at instant `t` */
static Timestamp
local_of(TimestampTz t, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	Timestamp	local;

	if (timestamp2tm(t, &offset, &tm, &fsec, NULL, tz) != 0 ||
		tm2timestamp(&tm, fsec, NULL, &local) != 0)
		report_time_out_of_range();
	return local;
}

/*
 * instant_of returns the instant of wall-clock time `local` in zone `tz`,
 * read as PostgreSQL reads one (a time the clocks skip with the offset
 * before the jump, a repeated one as the later).
 */
static TimestampTz
instant_of(Timestamp local, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	TimestampTz instant;

	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		report_time_out_of_range();
	offset = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, fsec, &offset, &instant) != 0)
		report_time_out_of_range();
	return instant;
}

/*
 * bk_local_day_start returns when `day` begins in `time_zone`: the first
 * instant whose local date is `day`.  That is its 00:00 local time, but
 * where the clocks go back across midnight 00:00 comes twice (the first
 * one counts; PostgreSQL reads 00:00 as the second), and where they go
 * forward at midnight there is no 00:00 (the day begins when the clocks
 * jump, 01:00 say, as PostgreSQL reads it).  The candidates are 00:00
 * read with each offset the zone has from a day before to a day after;
 * one is valid when the zone has that offset at that instant.
 */
TimestampTz
bk_local_day_start(DateADT day, const char *time_zone)
{
	pg_tz	   *tz = zone_file(time_zone);
	Timestamp	midnight = DatumGetTimestamp(DirectFunctionCall1(date_timestamp, DateADTGetDatum(day)));
	TimestampTz resolved = instant_of(midnight, tz);
	TimestampTz probes[3] = {resolved - USECS_PER_DAY, resolved, resolved + USECS_PER_DAY};
	TimestampTz start = resolved;

	for (int i = 0; i < 3; i++)
	{
		/* the zone's offset at the probe: its local time minus the instant */
		TimestampTz candidate = midnight - (local_of(probes[i], tz) - probes[i]);

		if (local_of(candidate, tz) == midnight && candidate < start)
			start = candidate;
	}
	return start;
}

/*
 * bk_local_today returns the calendar date it is now in `time_zone`.
 */
DateADT
bk_local_today(const char *time_zone)
{
	return DatumGetDateADT(DirectFunctionCall1(timestamp_date,
											   TimestampGetDatum(local_of(bk_now(), zone_file(time_zone)))));
}

/*
 * bk_report_no_property, bk_report_no_room_type and
 * bk_report_no_reservation raise BK005 for what a call named and the
 * database does not have: the one wording of each, with a detail naming
 * it and a hint.
 */
void
bk_report_no_property(int64 property_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("property %lld does not exist", (long long) property_id),
			 errdetail("No property has id %lld.", (long long) property_id),
			 errhint("Create it with booking.add_property, or check the id.")));
	pg_unreachable();
}

void
bk_report_no_room_type(int64 property_id, const char *room_type)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("room type \"%s\" does not exist at property %lld",
					room_type, (long long) property_id),
			 errdetail("Property %lld has no room type with code \"%s\".",
					   (long long) property_id, room_type),
			 errhint("Create it with booking.add_room_type, or check the code.")));
	pg_unreachable();
}

void
bk_report_no_reservation(int64 reservation_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("reservation %lld does not exist", (long long) reservation_id),
			 errdetail("No reservation has id %lld.", (long long) reservation_id),
			 errhint("Check the reservation_id that reserve_range returned.")));
	pg_unreachable();
}

/*
 * bk_validate_night_range checks a range of nights [first, end) that an
 * admin call writes (open_inventory, set_rules, clear_rules): valid
 * dates, end after first, at most BOOKING_MAX_OPEN_NIGHTS nights.
 * `what` says what the range is for, in the detail ("the nights
 * written", "the rules apply to").
 */
void
bk_validate_night_range(DateADT first, DateADT end, const char *what)
{
	bk_validate_dates(first, end);
	if (end <= first || (int64) end - (int64) first > BOOKING_MAX_OPEN_NIGHTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("end_night must be 1 to %d days after first_night", BOOKING_MAX_OPEN_NIGHTS),
				 errdetail("first_night is %s, end_night is %s; %s [first_night, end_night).",
						   bk_date_str(first), bk_date_str(end), what)));
}

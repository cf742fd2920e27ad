/*-------------------------------------------------------------------------
 * validate.c
 *    Argument checks shared by the SQL functions (SQLSTATE 22023 with a
 *    message a person can act on), the property-local "today", and the
 *    clock the engine uses for hold deadlines.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "booking.h"

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
	stay->room_type = text_to_cstring(PG_GETARG_TEXT_PP(1));
	stay->check_in = PG_GETARG_DATEADT(2);
	stay->check_out = PG_GETARG_DATEADT(3);
	bk_validate_stay(stay->check_in, stay->check_out);
	stay->rooms = bk_require_positive(fcinfo, 4, "rooms");
}

/*
 * bk_date_str formats a date as YYYY-MM-DD for messages, whatever the
 * session's DateStyle, so that logs and clients parse them the same way.
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
	return psprintf("%04d-%02d-%02d", year, month, day);
}

/*
 * bk_validate_dates refuses dates outside the range PostgreSQL's
 * timestamps cover (4713 BC to 294276 AD): the engine's arithmetic on
 * nights goes through timestamps.
 */
void
bk_validate_dates(DateADT first, DateADT end)
{
	DateADT		lowest = DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE;
	DateADT		highest = TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE - 40;

	if (DATE_NOT_FINITE(first) || DATE_NOT_FINITE(end) ||
		first < lowest || first > highest || end < lowest || end > highest)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dates must be finite and within the range of timestamps"),
				 errdetail("The dates given are %s and %s.", bk_date_str(first), bk_date_str(end)),
				 errhint("Use dates between 4713 BC and 294276 AD.")));
}

/*
 * bk_require_interval_within fails with 22023 unless the interval is
 * positive and at most a year; `name` says which argument.
 */
void
bk_require_interval_within(Interval *span, const char *name, const char *hint)
{
	double		days = span->month * 30.0 + span->day + (double) span->time / USECS_PER_DAY;

	if (span->month < 0 || span->day < 0 || span->time < 0 || days <= 0 || days > 366)
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
 * bk_validate_time_zone rejects a time zone name PostgreSQL does not know.
 */
void
bk_validate_time_zone(const char *time_zone)
{
	if (time_zone[0] == '\0' || pg_tzset(time_zone) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", time_zone),
				 errhint("Use an IANA time zone name such as 'Europe/Paris' or 'UTC' (see pg_timezone_names).")));
}

/*
 * bk_now is the engine's clock for hold deadlines: the start of the
 * current statement, so a deadline test agrees with hold_expires_at values
 * set by the same call.
 */
TimestampTz
bk_now(void)
{
	return GetCurrentStatementStartTimestamp();
}

/*
 * bk_local_today returns the calendar date it is now in `time_zone`.
 */
DateADT
bk_local_today(const char *time_zone)
{
	Datum		local;

	local = DirectFunctionCall2(timestamptz_zone,
								CStringGetTextDatum(time_zone),
								TimestampTzGetDatum(bk_now()));
	return DatumGetDateADT(DirectFunctionCall1(timestamp_date, local));
}

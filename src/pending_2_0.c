/*-------------------------------------------------------------------------
 * pending_2_0.c
 *    TEMPORARY, during the issue 14 work only: entry points of 2.0
 *    functions whose C is being written elsewhere, so that the extension
 *    installs meanwhile.  Each is removed as its real file lands; this
 *    file must be gone before any stop.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#define PENDING(fn) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum fn(PG_FUNCTION_ARGS); \
	Datum fn(PG_FUNCTION_ARGS) \
	{ \
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg(#fn " is not written yet"))); \
		PG_RETURN_NULL(); \
	}

/* plan rules: written with search's plans (rules.c) */
#include "booking.h"

void
bk_require_plan_rules(int64 property_id, const char *room_type, const char *plan,
					  DateADT check_in, DateADT check_out, DateADT today)
{
	elog(ERROR, "plan rules are not written yet");
}

bool
bk_check_plan_rules(int64 property_id, const char *room_type, const char *plan,
					DateADT check_in, DateADT check_out, DateADT today,
					BkRuleViolation *violation)
{
	elog(ERROR, "plan rules are not written yet");
	return false;
}

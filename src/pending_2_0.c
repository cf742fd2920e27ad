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

PENDING(booking_add_policy)
PENDING(booking_cancel_quote)
PENDING(booking_check_in)
PENDING(booking_check_out)
PENDING(booking_mark_no_show)

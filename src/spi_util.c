/*-------------------------------------------------------------------------
 * spi_util.c
 *    SPI helpers: plans prepared once and kept for the backend's life,
 *    execution that turns a lock wait over booking.lock_timeout (or the
 *    session's own lock_timeout) into BK007, and typed access to the
 *    current result.
 *
 * The plan cache re-analyses a kept statement whenever the search_path in
 * force differs from the one it was last analysed under, so the SQL here
 * is only as safe as the path it runs under.  Two things make it safe:
 * every function of the extension, event trigger included, runs with
 * search_path = pg_catalog, pg_temp (SET on the function), and every
 * name in the SQL is qualified, operators too: OPERATOR(pg_catalog.=),
 * never a bare =, which test/lint/sql-operators checks.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "storage/proc.h"

#include "booking.h"

/* Whether the current connection only reads (bk_connect_read_only) */
static bool spi_read_only = false;

/*
 * bk_connect opens an SPI connection whose statements may write (each
 * sees what the ones before it wrote); bk_finish closes it.  Thin
 * wrappers so that every caller checks the return code the same way.
 */
void
bk_connect(void)
{
	int			ret = SPI_connect();

	if (ret != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	spi_read_only = false;
}

void
bk_finish(void)
{
	int			ret = SPI_finish();

	if (ret != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(ret));
	spi_read_only = false;
}

/*
 * bk_connect_read_only opens an SPI connection for a function that only
 * reads (the STABLE ones: search, availability, quote, calendar,
 * check_invariants): until bk_finish, every statement runs read-only, in
 * the snapshot of the query that called the function, so that all of
 * them see one state.  Such a function opens no nested connection.
 */
void
bk_connect_read_only(void)
{
	bk_connect();
	spi_read_only = true;
}

/*
 * bk_prepare makes sure the statement is prepared and kept.  Plans are
 * generic unless the statement asks otherwise: the engine's statements
 * look rows up by key, and a custom plan per call (which the plan cache
 * may choose for array parameters) costs more than the statement itself.
 */
static SPIPlanPtr
bk_prepare(BookingPlan *plan)
{
	if (plan->plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare_cursor(plan->sql, plan->nargs, plan->argtypes,
										   plan->cursor_options ? plan->cursor_options
										   : CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 plan->sql, SPI_result_code_string(SPI_result));
		plan->plan = p;
	}
	return plan->plan;
}

/*
 * bk_exec runs a kept plan with the given parameters (nulls as in
 * SPI_execute_plan: ' ' for a value, 'n' for NULL; NULL for none) and
 * returns the SPI result code, raising on a negative one.
 */
int
bk_exec(BookingPlan *plan, Datum *values, const char *nulls, long count)
{
	int			ret = SPI_execute_plan(bk_prepare(plan), values, nulls, spi_read_only, count);

	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 plan->sql, SPI_result_code_string(ret));
	return ret;
}

/*
 * bk_lock_timeout_push applies booking.lock_timeout to the lock waits that
 * follow, until bk_lock_timeout_pop: as the server's lock_timeout, when it
 * is set and shorter than the session's own lock_timeout (or that one is
 * 0, no limit).  A shorter session setting stays in force: the engine
 * never waits longer than the session asked.  Returns the GUC nest level
 * to give bk_lock_timeout_pop, or -1 when nothing was changed.  On an
 * error, the abort of the transaction (or subtransaction) restores the
 * setting by itself.
 */
int
bk_lock_timeout_push(void)
{
	char		timeout[32];
	int			nest_level;

	if (booking_lock_timeout_ms <= 0 ||
		(LockTimeout > 0 && LockTimeout <= booking_lock_timeout_ms))
		return -1;
	snprintf(timeout, sizeof(timeout), "%d", booking_lock_timeout_ms);
	nest_level = NewGUCNestLevel();
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

/*
 * bk_row_lock_timeout returns the lock_timeout (ms, 0 for none) one row
 * lock wait of the engine runs under: booking.lock_timeout when it is set
 * and shorter than the session's own lock_timeout (or that one is 0),
 * else the session's.  `booking_applied` says which.  For a caller that
 * applies it to a single wait in which no user code runs (bk_direct_lock),
 * without the cost of the GUC machinery.
 */
int
bk_row_lock_timeout(bool *booking_applied)
{
	*booking_applied = booking_lock_timeout_ms > 0 &&
		(LockTimeout == 0 || LockTimeout > booking_lock_timeout_ms);
	return *booking_applied ? booking_lock_timeout_ms : LockTimeout;
}

/*
 * bk_lock_timeout_pop puts back the lock_timeout bk_lock_timeout_push
 * replaced.
 */
void
bk_lock_timeout_pop(int nest_level)
{
	if (nest_level >= 0)
		AtEOXact_GUC(true, nest_level);
}

/*
 * bk_report_lock_timeout raises BK007 for a lock wait that ran out
 * (`edata`, a copy of a 55P03 error, e.g. from CopyErrorData in a
 * PG_CATCH block), naming what was being locked (`what`) and the setting
 * that fired, with its value: booking.lock_timeout when the engine
 * applied it for this wait (`booking_timeout_applied`: bk_lock_timeout_push
 * returned a nest level), else the session's own lock_timeout (with
 * neither set, the lock was asked for with NOWAIT, and no setting is
 * named).  It counts the timeout in booking.stats and clears the error
 * state, so it may be called straight from the PG_CATCH block, before
 * bk_lock_timeout_pop.
 */
void
bk_report_lock_timeout(ErrorData *edata, const char *what, bool booking_timeout_applied)
{
	char	   *setting = NULL;

	FlushErrorState();
	bk_stat_add(BK_STAT_LOCK_TIMEOUTS, 1);
	if (booking_timeout_applied)
		setting = psprintf("booking.lock_timeout (%d ms)", booking_lock_timeout_ms);
	else if (LockTimeout > 0)
		setting = psprintf("the session's lock_timeout (%d ms)", LockTimeout);
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_BUSY),
			 errmsg("booking is busy: could not lock %s in time", what),
			 setting ?
			 errdetail("Another transaction held the lock on %s longer than %s allows: %s.",
					   what, setting, edata->message) :
			 errdetail("Another transaction held the lock on %s: %s.", what, edata->message),
			 errhint("Retry the call; nothing was changed.")));
	pg_unreachable();
}

/*
 * bk_exec_locking runs a plan that takes row locks, under
 * booking.lock_timeout (bk_lock_timeout_push); a lock wait that runs out
 * becomes BK007 naming `what` was locked and the setting that fired
 * (bk_report_lock_timeout).
 */
int
bk_exec_locking(BookingPlan *plan, Datum *values, const char *nulls,
				long count, const char *what)
{
	MemoryContext caller_context = CurrentMemoryContext;
	volatile int nest_level;
	volatile int ret = 0;

	bk_prepare(plan);
	nest_level = bk_lock_timeout_push();

	PG_TRY();
	{
		ret = bk_exec(plan, values, nulls, count);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		{
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		bk_report_lock_timeout(edata, what, nest_level >= 0);
	}
	PG_END_TRY();

	bk_lock_timeout_pop(nest_level);
	return ret;
}

/*
 * bk_get returns column `col` (1-based) of row `row` of the last result.
 */
Datum
bk_get(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

Datum
bk_get_notnull(uint64 row, int col)
{
	bool		isnull;
	Datum		d = bk_get(row, col, &isnull);

	if (isnull)
		elog(ERROR, "unexpected NULL in column %d of \"%s\"", col,
			 SPI_fname(SPI_tuptable->tupdesc, col));
	return d;
}

int32
bk_get_int32(uint64 row, int col)
{
	return DatumGetInt32(bk_get_notnull(row, col));
}

int64
bk_get_int64(uint64 row, int col)
{
	return DatumGetInt64(bk_get_notnull(row, col));
}

/*
 * bk_copy_result_datum copies a by-reference column value (a composite
 * row, say) out of SPI's memory into the caller's, so it can be returned
 * after bk_finish.
 */
Datum
bk_copy_result_datum(uint64 row, int col)
{
	return SPI_datumTransfer(bk_get_notnull(row, col), false, -1);
}

/*
 * bk_return_rows hands every row of the last result to a set-returning
 * function's caller (materialize mode).  The result's columns must have
 * the types the function declares.
 */
void
bk_return_rows(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	spi_desc = SPI_tuptable->tupdesc;
	int			natts = spi_desc->natts;
	Datum	   *values = palloc(sizeof(Datum) * natts);
	bool	   *nulls = palloc(sizeof(bool) * natts);

	if (rsinfo->setDesc->natts != natts)
		elog(ERROR, "result has %d columns, function returns %d", natts, rsinfo->setDesc->natts);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		heap_deform_tuple(SPI_tuptable->vals[row], spi_desc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

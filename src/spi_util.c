/*-------------------------------------------------------------------------
 * spi_util.c
 *    SPI helpers: plans prepared once and kept for the backend's life,
 *    execution of locking statements as bounded waits (lockwait.c), and
 *    typed access to the current result.
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
 * bk_cursor_open opens a cursor on a kept plan, for a reader that fetches
 * only as many rows as it turns out to need (SPI_cursor_fetch).
 */
Portal
bk_cursor_open(BookingPlan *plan, Datum *values, const char *nulls)
{
	Portal		portal = SPI_cursor_open(NULL, bk_prepare(plan), values, nulls, spi_read_only);

	if (portal == NULL)
		elog(ERROR, "SPI_cursor_open failed for \"%s\": %s",
			 plan->sql, SPI_result_code_string(SPI_result));
	return portal;
}

/*
 * bk_exec_locking runs a plan that takes row locks as a bounded wait
 * (lockwait.c): a wait longer than booking.lock_timeout, or the session's
 * lock_timeout, is BK007 naming `what` was locked and the setting that
 * fired.
 */
int
bk_exec_locking(BookingPlan *plan, Datum *values, const char *nulls,
				long count, const char *what)
{
	MemoryContext caller_context = CurrentMemoryContext;
	BkLockWait	lock_wait;
	volatile int ret = 0;

	bk_prepare(plan);
	bk_lock_wait_begin_statement(&lock_wait);
	PG_TRY();
	{
		ret = bk_exec(plan, values, nulls, count);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		if (!bk_lock_wait_timed_out(&lock_wait, edata))
		{
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		bk_report_lock_timeout(edata, what, &lock_wait);
	}
	PG_END_TRY();
	if (bk_lock_wait_end(&lock_wait))
		bk_report_lock_timeout(NULL, what, &lock_wait);
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

/*-------------------------------------------------------------------------
 * sweeper.c
 *    The booking sweeper: a background worker, registered when the
 *    library is preloaded, that keeps the calendar clean by itself.  Every
 *    booking.sweep_interval it
 *      - expires holds past their deadline, oldest first, in batches of
 *        booking.sweep_batch, each batch its own short transaction that
 *        also gives the units back;
 *      - deletes idempotency keys older than booking.idempotency_retention;
 *      - publishes committed events and removes those every consumer has
 *        acknowledged and that are older than booking.event_retention.
 *
 * It connects to booking.database and waits (logging once) while the
 * extension is not created there; an error in one step is logged and the
 * next loop tries again.  It starts only once recovery is finished, so a
 * hot standby runs no sweeper until it is promoted.  SIGHUP reloads the
 * settings; SIGTERM ends it (exit code 1), and the postmaster starts it
 * again after bgw_restart_time unless the server is shutting down.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "booking.h"

PGDLLEXPORT void BookingSweeperMain(Datum main_arg);

PG_FUNCTION_INFO_V1(booking_purge);

/* Seconds the postmaster waits before starting a sweeper that died */
#define SWEEPER_RESTART_SECONDS 1

static BookingPlan purge_keys_plan = {
	"DELETE FROM booking.idempotency_key WHERE (scope, key) IN ("
	"  SELECT scope, key FROM booking.idempotency_key"
	"   WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
	2, {TIMESTAMPTZOID, INT4OID}
};

/*
 * BookingSweeperRegister asks the postmaster to run the sweeper; called
 * from _PG_init while preloading.
 */
void
BookingSweeperRegister(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = SWEEPER_RESTART_SECONDS;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "booking");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "BookingSweeperMain");
	snprintf(worker.bgw_name, BGW_MAXLEN, "booking sweeper");
	snprintf(worker.bgw_type, BGW_MAXLEN, "booking sweeper");
	RegisterBackgroundWorker(&worker);
}

/*
 * bk_purge_idempotency_keys deletes up to max_rows keys older than
 * booking.idempotency_retention, oldest first.
 */
int
bk_purge_idempotency_keys(int32 max_rows)
{
	Datum		args[2];

	args[0] = TimestampTzGetDatum(bk_now() -
								  (TimestampTz) booking_idempotency_retention_s * USECS_PER_SEC);
	args[1] = Int32GetDatum(max_rows);
	bk_exec(&purge_keys_plan, args, NULL, 0);
	return (int) SPI_processed;
}

/* The sweeper's steps, each run in its own transaction by sweeper_step. */
static int
expire_step(void)
{
	return bk_expire_due_holds(booking_sweep_batch);
}

/*
 * housekeeping deletes old idempotency keys, publishes the events that are
 * ready and removes those everyone has acknowledged: up to max_rows each.
 */
static int
housekeeping(int32 max_rows)
{
	int			done = bk_purge_idempotency_keys(max_rows);

	done += bk_publish_events();
	done += bk_purge_events(max_rows);
	return done;
}

static int
housekeeping_step(void)
{
	int			published = bk_publish_events();

	if (published > 0)
		bk_notify_published();
	return published + housekeeping(booking_sweep_batch);
}


/*
 * booking_purge is purge(max_rows): the sweeper's housekeeping by hand,
 * for servers that do not preload the library.  Returns how many keys and
 * events it deleted or published.
 */
Datum
booking_purge(PG_FUNCTION_ARGS)
{
	int32		max_rows;
	int			done;

	max_rows = bk_require_positive(fcinfo, 0, "max_rows");
	bk_connect();
	done = housekeeping(max_rows);
	bk_finish();
	PG_RETURN_INT32(done);
}

/*
 * sweeper_step runs one step in a transaction of its own.  Returns what
 * the step returned, or -1 when the extension is not there or the step
 * failed: the error is logged, the transaction rolled back, and the next
 * loop tries again.
 */
static int
sweeper_step(int (*step) (void), const char *activity)
{
	static bool reported_missing = false;
	MemoryContext loop_context = CurrentMemoryContext;
	volatile int result = -1;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);

	PG_TRY();
	{
		if (!OidIsValid(get_extension_oid("booking", true)))
		{
			if (!reported_missing)
				ereport(LOG,
						(errmsg("booking sweeper: extension \"booking\" is not installed in database \"%s\"; waiting",
								booking_database),
						 errhint("Run CREATE EXTENSION booking in that database, or set booking.database.")));
			reported_missing = true;
		}
		else
		{
			reported_missing = false;
			bk_connect();
			result = step();
			bk_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(loop_context);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		result = -1;
	}
	PG_END_TRY();

	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

/*
 * sweep expires every hold that is due, batch after batch, then does the
 * housekeeping; interrupts are served between batches.
 */
static void
sweep(void)
{
	int			expired;

	do
	{
		CHECK_FOR_INTERRUPTS();
		expired = sweeper_step(expire_step, "booking: expiring holds");
	} while (expired >= booking_sweep_batch);

	CHECK_FOR_INTERRUPTS();
	(void) sweeper_step(housekeeping_step, "booking: housekeeping");
	bk_stat_sweep_done();
}

/*
 * BookingSweeperMain is the worker's entry point and loop.
 */
void
BookingSweeperMain(Datum main_arg)
{
	MemoryContext loop_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(booking_database, NULL, 0);
	pgstat_report_appname("booking sweeper");

	loop_context = AllocSetContextCreate(TopMemoryContext, "booking sweeper loop",
										 ALLOCSET_DEFAULT_SIZES);
	ereport(LOG,
			(errmsg("booking sweeper started in database \"%s\", every %d ms",
					booking_database, booking_sweep_interval_ms)));

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (!RecoveryInProgress())
		{
			MemoryContext old = MemoryContextSwitchTo(loop_context);

			sweep();
			MemoryContextSwitchTo(old);
			MemoryContextReset(loop_context);
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 booking_sweep_interval_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*-------------------------------------------------------------------------
 * launcher.c
 *    The booking launcher: a background worker, registered when the
 *    library is preloaded, connected to no database (it reads the shared
 *    catalog pg_database only), that runs the sweeper (sweeper.c) in the
 *    database booking.database names, as a dynamic background worker.
 *
 * It starts the sweeper when that database exists and accepts
 * connections, and again when the sweeper exits (after 1 s; after 1 s
 * doubling up to a minute while it keeps failing to get going); it logs a missing database once
 * and looks for it again quietly.  A reload that changes booking.database
 * (or a rename that makes it name another database) moves the sweeper; an
 * empty booking.database runs none.  While DDL on the swept database holds
 * it off (workerstate.c), it starts nothing.  Being connected to no
 * database, it never stands in the way of DROP DATABASE.  SIGTERM ends it
 * with exit code 1 and the postmaster starts it again.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
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
#include "utils/timestamp.h"

#include "booking.h"

PGDLLEXPORT void BookingLauncherMain(Datum main_arg);

/* Seconds the postmaster waits before starting a launcher that died */
#define LAUNCHER_RESTART_SECONDS	5
/* Restart delays of the sweeper: from MIN, doubling while it dies young */
#define RESTART_MIN_MS		1000
#define RESTART_MAX_MS		60000
/* How often the launcher looks at pg_database: running, and while waiting */
#define CHECK_RUNNING_MS	1000
#define CHECK_MISSING_MS	2000

/* Why there is no database to sweep, logged once per change */
typedef enum TargetStatus
{
	TARGET_OK,
	TARGET_DISABLED,			/* booking.database = '' */
	TARGET_MISSING,
	TARGET_NO_CONNECTIONS
} TargetStatus;

typedef struct LauncherState
{
	BackgroundWorkerHandle *handle; /* the sweeper it started, if any */
	Oid			started_in;		/* and its database */
	TimestampTz started_at;
	uint64		attaches_before;	/* bk_sweeper_attaches() when started */
	TimestampTz next_start;		/* not before */
	int			restart_ms;		/* current restart delay */
	TargetStatus reported;		/* last status logged */
	char		reported_name[NAMEDATALEN]; /* and for which database */
	bool		reported_no_slot;
} LauncherState;

/*
 * bk_describe_worker fills in one of the library's workers: `name` is its
 * name and type (what pg_stat_activity.backend_type shows), `function` its
 * entry point.  Both run only once recovery is over: no sweeper on a hot
 * standby until it is promoted.
 */
void
bk_describe_worker(BackgroundWorker *worker, const char *name, const char *function,
				   int restart_time)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = restart_time;
	snprintf(worker->bgw_library_name, BGW_MAXLEN, "booking");
	snprintf(worker->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker->bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker->bgw_type, BGW_MAXLEN, "%s", name);
}

/*
 * BookingLauncherRegister asks the postmaster to run the launcher; called
 * from _PG_init while preloading.
 */
void
BookingLauncherRegister(void)
{
	BackgroundWorker worker;

	bk_describe_worker(&worker, "booking launcher", "BookingLauncherMain",
					LAUNCHER_RESTART_SECONDS);
	RegisterBackgroundWorker(&worker);
}

/*
 * find_target looks booking.database up in pg_database and says whether
 * a sweeper can connect to it.  It scans the table, like the autovacuum
 * launcher: connected to no database, the launcher may not be able to
 * open pg_database's indexes (their descriptors need pg_class).
 */
static TargetStatus
find_target(Oid *dboid)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	TargetStatus status = TARGET_MISSING;

	*dboid = InvalidOid;
	if (booking_database == NULL || booking_database[0] == '\0')
		return TARGET_DISABLED;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (strcmp(NameStr(db->datname), booking_database) != 0)
			continue;
		if (database_is_invalid_form(db))
			status = TARGET_MISSING;
		else if (!db->datallowconn)
			status = TARGET_NO_CONNECTIONS;
		else
		{
			status = TARGET_OK;
			*dboid = db->oid;
		}
		break;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return status;
}

/*
 * report_target logs, once per change of status or of booking.database,
 * why there is no sweeper.
 */
static void
report_target(LauncherState *ls, TargetStatus status)
{
	const char *name = booking_database ? booking_database : "";

	if (status == ls->reported && strncmp(name, ls->reported_name, NAMEDATALEN) == 0)
		return;
	ls->reported = status;
	strlcpy(ls->reported_name, name, NAMEDATALEN);
	switch (status)
	{
		case TARGET_OK:
			break;
		case TARGET_DISABLED:
			ereport(LOG,
					(errmsg("booking launcher: booking.database is empty; no sweeper runs")));
			break;
		case TARGET_MISSING:
			ereport(LOG,
					(errmsg("booking launcher: database \"%s\" does not exist; the sweeper waits for it",
							booking_database),
					 errhint("Create the database, or set booking.database and reload.")));
			break;
		case TARGET_NO_CONNECTIONS:
			ereport(LOG,
					(errmsg("booking launcher: database \"%s\" does not allow connections; the sweeper waits",
							booking_database)));
			break;
	}
}

/*
 * forget_stopped_sweeper drops the handle of a sweeper that has exited and
 * sets when the next may start: RESTART_MIN_MS after one that got going,
 * twice the last delay after one that died before (it could not connect).
 */
static void
forget_stopped_sweeper(LauncherState *ls)
{
	pid_t		pid;
	TimestampTz now = GetCurrentTimestamp();

	if (ls->handle == NULL ||
		GetBackgroundWorkerPid(ls->handle, &pid) != BGWH_STOPPED)
		return;
	pfree(ls->handle);
	ls->handle = NULL;
	if (bk_sweeper_attaches() != ls->attaches_before)
		ls->restart_ms = RESTART_MIN_MS;
	else
		ls->restart_ms = Min(ls->restart_ms * 2, RESTART_MAX_MS);
	ls->next_start = TimestampTzPlusMilliseconds(now, ls->restart_ms);
}

/*
 * start_sweeper registers the sweeper as a dynamic background worker in
 * database dboid; the postmaster tells the launcher when it stops.
 */
static void
start_sweeper(LauncherState *ls, Oid dboid)
{
	BackgroundWorker worker;

	bk_describe_worker(&worker, "booking sweeper", "BookingSweeperMain", BGW_NEVER_RESTART);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;

	ls->started_at = GetCurrentTimestamp();
	ls->attaches_before = bk_sweeper_attaches();
	if (!RegisterDynamicBackgroundWorker(&worker, &ls->handle))
	{
		ls->handle = NULL;
		if (!ls->reported_no_slot)
			ereport(LOG,
					(errmsg("booking launcher: could not start the sweeper: no background worker slot is free"),
					 errhint("Raise max_worker_processes.")));
		ls->reported_no_slot = true;
		ls->restart_ms = Min(ls->restart_ms * 2, RESTART_MAX_MS);
		ls->next_start = TimestampTzPlusMilliseconds(ls->started_at, ls->restart_ms);
		return;
	}
	ls->reported_no_slot = false;
	ls->started_in = dboid;
}

/*
 * ms_until returns the milliseconds from now to t, at least 0.
 */
static long
ms_until(TimestampTz t)
{
	long		secs;
	int			usecs;

	TimestampDifference(GetCurrentTimestamp(), t, &secs, &usecs);
	return secs * 1000 + usecs / 1000;
}

/*
 * launcher_round looks at the world once: starts, moves or leaves the
 * sweeper.  Returns how long to sleep (ms) unless woken.
 */
static long
launcher_round(LauncherState *ls)
{
	Oid			target;
	TargetStatus status;
	Oid			running_in;
	pid_t		running;
	TimestampTz paused_until;

	forget_stopped_sweeper(ls);
	status = find_target(&target);
	report_target(ls, status);

	running = bk_sweeper_current(&running_in);
	if (running == 0 && ls->handle != NULL)
		running_in = ls->started_in;	/* starting, not attached yet */
	if (running != 0 || ls->handle != NULL)
	{
		if (running != 0 && running_in != target)
		{
			ereport(LOG,
					(errmsg("booking launcher: booking.database is now \"%s\"; stopping the sweeper of database %u",
							booking_database, running_in)));
			bk_sweeper_request_exit();
		}
		return CHECK_RUNNING_MS;
	}

	if (status != TARGET_OK)
		return CHECK_MISSING_MS;
	paused_until = bk_launch_paused_until();
	if (paused_until != 0 && paused_until > GetCurrentTimestamp())
		return Max(ms_until(paused_until), 1);
	if (ls->next_start > GetCurrentTimestamp())
		return Max(ms_until(ls->next_start), 1);
	start_sweeper(ls, target);
	return CHECK_RUNNING_MS;
}

/*
 * BookingLauncherMain is the launcher's entry point and loop.
 */
void
BookingLauncherMain(Datum main_arg)
{
	LauncherState ls;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("booking launcher");
	bk_launcher_attach();

	memset(&ls, 0, sizeof(ls));
	ls.restart_ms = RESTART_MIN_MS;
	ls.reported = TARGET_OK;

	for (;;)
	{
		long		sleep_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		sleep_ms = launcher_round(&ls);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*-------------------------------------------------------------------------
 * sweeper.c
 *    The booking sweeper: a dynamic background worker that the launcher
 *    (launcher.c) runs in the database booking.database names, and that
 *    keeps the calendar clean by itself.  Every booking.sweep_interval
 *    (a round) it
 *      - expires holds past their deadline, oldest first, in batches of
 *        booking.sweep_batch, each batch its own short transaction that
 *        also gives the units back;
 *      - releases the block nights whose release is due (2.0, blocks:
 *        block_release.c), booking.sweep_batch nights per transaction; a
 *        batch whose nights someone holds is left for the next round;
 *      - deletes idempotency keys older than booking.idempotency_retention
 *        and events every consumer has acknowledged and that are older
 *        than booking.event_retention;
 *    and whenever a writer wakes it (BookingSweeperWake), and at each
 *    round, it publishes the committed events.
 *
 * Safety.  Its search_path is pinned to pg_catalog, pg_temp (with a
 * source that overrides ALTER DATABASE and ALTER ROLE settings) before it
 * runs any SQL, so that nobody who owns the database can plant an
 * operator the sweeper, a superuser, would call.  Its lock waits are
 * bounded by booking.sweeper_lock_timeout: a batch whose nights someone
 * holds is left for a later round, not waited for.  A batch that fails
 * otherwise is retried one hold at a time: the bad hold is logged once
 * with its id, counted (expiry_failures), and left alone for a while
 * (2 s, doubling up to 5 min) while the others expire.  It does nothing
 * while a backend loads data into its database (restore_fence.c), and
 * leaves when DDL needs its database (workerstate.c).
 *
 * Helpers.  With a backlog of more than one batch of dead holds, the
 * sweeper starts up to booking.sweeper_workers - 1 expiry helpers
 * (dynamic workers, backend_type 'booking expiry helper') that take
 * batches beside it and stop when the backlog is gone: a backlog is
 * expired by as many processes as the setting allows.
 *
 * Health.  A round in which every step succeeded advances sweeper_runs
 * and last_sweep_at in booking.stats; one in which a step failed counts in
 * sweeper_errors instead.  It waits (logging once) while the extension is
 * not created in its database.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
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
PGDLLEXPORT void BookingExpiryHelperMain(Datum main_arg);

PG_FUNCTION_INFO_V1(booking_purge);

/* A known-bad hold is retried after 2 s, then 4 s, ... up to 5 min */
#define BAD_RETRY_MIN_MS	2000
#define BAD_RETRY_MAX_MS	(5 * 60 * 1000)
/* Most known-bad holds remembered */
#define BAD_MAX				10000
/* Holds of a failed batch found busy before the rest wait for next round */
#define BUSY_PER_BATCH		3
/*
 * Passes start at most this often when writers keep waking the sweeper:
 * under load each pass publishes what a few milliseconds of commits
 * wrote (one transaction, one calendar update per room type and month)
 * instead of one commit's events; an idle server's first event is still
 * published at once.
 */
#define PUBLISH_GAP_MS		10
/* A failing step is logged again at most this often (same message) */
#define RELOG_MS			60000

/* How a step in a transaction of its own ended */
typedef enum StepResult
{
	STEP_DONE,
	STEP_SKIPPED,				/* no extension, or a loader is at work */
	STEP_FAILED
} StepResult;

typedef void (*StepFn) (void *arg);

/* A hold the sweeper could not expire, and when to try it again */
typedef struct BadHold
{
	int64		id;
	TimestampTz retry_at;
	int			delay_ms;
} BadHold;

/* What one expiry batch takes and gives */
typedef struct ExpiryBatch
{
	Datum		skip;			/* int8[]: leave these alone */
	int64	   *picked;			/* the holds it locked */
	int			npicked;
	int64		one;			/* bk_expire_due_hold's argument */
	int			expired;
} ExpiryBatch;

/* A growing list of ids, in the loop's memory context */
typedef struct IdList
{
	int64	   *ids;
	int			n;
	int			max;
} IdList;

static Oid	sweeper_dboid = InvalidOid;
static char *sweeper_dbname = "";
static MemoryContext loop_context = NULL;
static BadHold *bad_holds = NULL;
static int	nbad = 0;
static bool reported_missing = false;
static pid_t reported_loader = 0;
static char *last_error = NULL;
static TimestampTz last_error_at = 0;

/* The expiry helpers the sweeper started (booking.sweeper_workers - 1) */
#define MAX_HELPERS			7
static BackgroundWorkerHandle *helpers[MAX_HELPERS];

/* True in an expiry helper: it leaves logging bad holds to the sweeper */
static bool helper_mode = false;

/*
 * booking_purge is purge(max_rows): the sweeper's housekeeping by hand,
 * for servers that do not preload the library: old idempotency keys,
 * publication of the committed events, acknowledged events and (2.0)
 * ARI changes every consumer acknowledged.  Returns how many keys,
 * events and changes it deleted or published.  It publishes only as a
 * transaction of its own: the publisher's lock would otherwise stay held,
 * holding every other publisher up, until the caller's transaction ends;
 * and only where no sweeper serves the database, so that no caller (a
 * statement that goes on after purge() returns, say) holds the sweeper's
 * publishing up.
 */
Datum
booking_purge(PG_FUNCTION_ARGS)
{
	int32		max_rows;
	int			done;

	max_rows = bk_require_positive(fcinfo, 0, "max_rows");
	bk_connect();
	done = bk_purge_idempotency_keys(max_rows);
	if (!IsTransactionBlock() && !BookingSweeperServesThisDatabase())
	{
		(void) bk_event_pass_mend();	/* before any pass, as bk_publish_events would */
		done += bk_publish_events(bk_rounds_look_from_start());
	}
	done += bk_purge_events(max_rows);
	done += bk_ari_purge(max_rows);
	bk_finish();
	PG_RETURN_INT32(done);
}

/*
 * pin_settings fixes, with a source that overrides the database's and the
 * role's settings (ALTER DATABASE/ROLE ... SET) and postgresql.conf, what
 * the sweeper's SQL must not depend on: the search_path (so that no
 * operator or function planted by whoever owns the database is ever
 * resolved by the sweeper, a superuser), read-write READ COMMITTED
 * transactions, and its lock wait, booking.sweeper_lock_timeout.  Called
 * before any SQL runs and again after each reload.
 */
static void
pin_settings(void)
{
	char		timeout[32];

	snprintf(timeout, sizeof(timeout), "%d", booking_sweeper_lock_timeout_ms);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", timeout, PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("booking.lock_timeout", timeout, PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * report_failure logs a failed step, unless the same message was logged
 * less than RELOG_MS ago (a persistent failure is not logged every round).
 */
static void
report_failure(const char *activity, ErrorData *edata)
{
	TimestampTz now = GetCurrentTimestamp();

	if (last_error != NULL && strcmp(last_error, edata->message) == 0 &&
		!TimestampDifferenceExceeds(last_error_at, now, RELOG_MS))
		return;
	if (last_error != NULL)
		pfree(last_error);
	last_error = MemoryContextStrdup(TopMemoryContext, edata->message);
	last_error_at = now;
	ereport(LOG,
			(errcode(edata->sqlerrcode),
			 errmsg("booking sweeper: %s failed: %s", activity, edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
			 errhint("The sweeper tries again every round; booking.stats counts the failed rounds in sweeper_errors.")));
}

/*
 * note_fence logs once when a loader makes the sweeper pause, and once
 * when it resumes, and shows the pause in booking.stats.
 */
static void
note_fence(pid_t loader)
{
	if (loader == reported_loader)
		return;
	if (loader != 0 && reported_loader == 0)
		ereport(LOG,
				(errmsg("booking sweeper: backend %d is loading data into database \"%s\"; pausing until it disconnects",
						(int) loader, sweeper_dbname),
				 errdetail("A restore (pg_restore, or psql running a dump) must not race the sweeper: expiring holds before their inventory is in would corrupt it.")));
	else if (loader == 0)
		ereport(LOG,
				(errmsg("booking sweeper: no backend is loading data any more; resuming")));
	reported_loader = loader;
	bk_sweeper_set_paused(loader != 0);
}

/*
 * extension_ready says whether the extension is created in the database,
 * logging once while it is not.
 */
static bool
extension_ready(void)
{
	if (OidIsValid(get_extension_oid("booking", true)))
	{
		reported_missing = false;
		return true;
	}
	if (!reported_missing)
		ereport(LOG,
				(errmsg("booking sweeper: extension \"booking\" is not installed in database \"%s\"; waiting",
						sweeper_dbname),
				 errhint("Run CREATE EXTENSION booking in that database, or set booking.database.")));
	reported_missing = true;
	return false;
}

/*
 * sweeper_xact runs one step in a transaction of its own, inside an SPI
 * connection, unless the extension is missing or a loader is at work
 * (STEP_SKIPPED).  On failure the transaction is rolled back and, when
 * error_out is given, the error is handed back in the caller's memory
 * context (else it is logged).  The caller's memory context is current
 * again on return, whatever happened.
 */
static StepResult
sweeper_xact(StepFn step, void *arg, const char *activity, ErrorData **error_out)
{
	MemoryContext caller_context = CurrentMemoryContext;
	volatile StepResult result = STEP_SKIPPED;
	pid_t		loader = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);

	PG_TRY();
	{
		if (extension_ready() && bk_fence_enter(sweeper_dboid, &loader))
		{
			bk_connect();
			step(arg);
			bk_finish();
			result = STEP_DONE;
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		result = STEP_FAILED;
		if (error_out != NULL)
			*error_out = edata;
		else
		{
			report_failure(activity, edata);
			FreeErrorData(edata);
		}
	}
	PG_END_TRY();

	bk_fence_leave();
	MemoryContextSwitchTo(caller_context);
	note_fence(loader);
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

/*
 * publish_step gives positions to the committed events and, when it did,
 * sends one NOTIFY booking_events.  arg non-NULL: a round, which looks
 * from the start (bk_publish_events) in a database before 2.0 or while
 * event_local_writer is not enabled ALWAYS (bk_rounds_look_from_start);
 * otherwise a load says so itself (booking_event_table_altered, events.c).
 */
static void
publish_step(void *arg)
{
	/*
	 * Commit without waiting for the WAL flush: a pass lost in a crash
	 * leaves its events unpublished, for the next pass.  read_events
	 * flushes the WAL before it hands out a position, so no consumer ever
	 * sees one that a crash could take back.
	 */
	(void) set_config_option("synchronous_commit", "off", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	if (bk_publish_events(arg != NULL && bk_rounds_look_from_start()) > 0)
		bk_notify_published();
}

/*
 * housekeeping_step makes the publishing passes a restore left out
 * (bk_event_pass_mend), and deletes old idempotency keys, and the events
 * and ARI changes everyone has acknowledged, up to booking.sweep_batch of
 * each.
 */
static void
housekeeping_step(void *arg)
{
	(void) bk_event_pass_mend();	/* a restore's events without passes */
	(void) bk_purge_idempotency_keys(booking_sweep_batch);
	(void) bk_purge_events(booking_sweep_batch);
	(void) bk_ari_purge(booking_sweep_batch);
}

/*
 * waitlist_step settles the waitlist's offers and offers what a freeing
 * transaction could not (a night that was busy): waitlist_offer.c (2.0).
 */
static void
waitlist_step(void *arg)
{
	bk_waitlist_sweep();
}

/*
 * expire_batch_step locks a batch of dead holds (their ids kept in the
 * loop's memory) and expires them together.
 */
static void
expire_batch_step(void *arg)
{
	ExpiryBatch *batch = (ExpiryBatch *) arg;

	batch->npicked = bk_pick_due_holds(booking_sweep_batch, batch->skip,
									   loop_context, &batch->picked);
	if (batch->npicked > 0)
		batch->expired = bk_expire_reservations(bk_int8_array(batch->picked, batch->npicked));
}

/*
 * expire_one_step expires the one hold batch->one, if still due.
 */
static void
expire_one_step(void *arg)
{
	ExpiryBatch *batch = (ExpiryBatch *) arg;

	batch->expired = bk_expire_due_hold(batch->one);
}

/*
 * transient says whether an error only means "not now": a lock not had
 * in time (55P03, or BK007 from the engine), a deadlock, a serialization
 * failure, a cancel.  Such a hold is tried again next round, not counted
 * as bad.
 */
static bool
transient(ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
		edata->sqlerrcode == ERRCODE_BOOKING_BUSY ||
		edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		edata->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		edata->sqlerrcode == ERRCODE_QUERY_CANCELED;
}

/*
 * find_bad returns the index of a known-bad hold, or -1.
 */
static int
find_bad(int64 id)
{
	for (int i = 0; i < nbad; i++)
		if (bad_holds[i].id == id)
			return i;
	return -1;
}

/*
 * forget_bad drops hold i from the known-bad list.
 */
static void
forget_bad(int i)
{
	bad_holds[i] = bad_holds[--nbad];
}

/*
 * note_bad records that hold `id` could not be expired.  The first time
 * it is logged, with its id and the error, and counted in expiry_failures;
 * afterwards it is only tried less and less often.
 */
static void
note_bad(int64 id, ErrorData *edata)
{
	int			i = find_bad(id);
	TimestampTz now = GetCurrentTimestamp();

	if (i >= 0)
	{
		bad_holds[i].delay_ms = Min(bad_holds[i].delay_ms * 2, BAD_RETRY_MAX_MS);
		bad_holds[i].retry_at = TimestampTzPlusMilliseconds(now, bad_holds[i].delay_ms);
		return;
	}
	if (helper_mode)
		return;					/* the sweeper logs and counts it when it meets it */
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("booking sweeper: could not expire reservation %lld: %s",
					(long long) id, edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
			 errhint("The other holds go on expiring; this one is tried again later and not logged again. booking.check_invariants() shows whether its nights agree with it; booking.repair_inventory() recounts them.")));
	bk_stat_add(BK_STAT_EXPIRY_FAILURES, 1);
	if (bad_holds == NULL)
		bad_holds = MemoryContextAlloc(TopMemoryContext, sizeof(BadHold) * BAD_MAX);
	if (nbad == BAD_MAX)
		return;
	bad_holds[nbad].id = id;
	bad_holds[nbad].delay_ms = BAD_RETRY_MIN_MS;
	bad_holds[nbad].retry_at = TimestampTzPlusMilliseconds(now, BAD_RETRY_MIN_MS);
	nbad++;
}

/*
 * id_list_add appends an id.
 */
static void
id_list_add(IdList *list, int64 id)
{
	if (list->n == list->max)
	{
		list->max = Max(64, list->max * 2);
		list->ids = list->ids == NULL
			? MemoryContextAlloc(loop_context, sizeof(int64) * list->max)
			: repalloc(list->ids, sizeof(int64) * list->max);
	}
	list->ids[list->n++] = id;
}

/*
 * expire_one tries to expire one hold in a transaction of its own.
 * Returns what the step did; *busy is set when the hold's nights were
 * locked by someone else.  A hold that fails for another reason is noted
 * as bad; one that succeeds (or is no longer due) is forgotten as bad.
 */
static StepResult
expire_one(int64 id, int *expired, bool *busy)
{
	ExpiryBatch one = {0};
	ErrorData  *edata = NULL;
	StepResult result;
	int			i;

	one.one = id;
	*busy = false;
	result = sweeper_xact(expire_one_step, &one, "booking: expiring a hold", &edata);
	if (result == STEP_DONE)
	{
		*expired += one.expired;
		if ((i = find_bad(id)) >= 0)
			forget_bad(i);
	}
	else if (result == STEP_FAILED)
	{
		if (transient(edata))
			*busy = true;
		else
			note_bad(id, edata);
		FreeErrorData(edata);
	}
	return result;
}

/*
 * retry_known_bad tries, one by one, the known-bad holds whose time has
 * come.  Returns how many it expired.
 */
static int
retry_known_bad(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int			expired = 0;
	bool		busy;

	for (int i = nbad - 1; i >= 0; i--)
	{
		if (bad_holds[i].retry_at > now)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (expire_one(bad_holds[i].id, &expired, &busy) == STEP_SKIPPED)
			break;
	}
	return expired;
}

/*
 * retry_one_by_one expires the holds of a batch that failed, each in a
 * transaction of its own.  Each is added to `skip` (this round is done
 * with it, whatever happened); after BUSY_PER_BATCH holds found busy, the
 * rest wait for the next round untried, so that a locked night cannot
 * make the round wait lock_timeout for every hold on it.
 */
static int
retry_one_by_one(ExpiryBatch *batch, IdList *skip)
{
	int			expired = 0;
	int			busy_seen = 0;
	bool		busy;

	for (int i = 0; i < batch->npicked; i++)
	{
		id_list_add(skip, batch->picked[i]);
		if (busy_seen >= BUSY_PER_BATCH || bk_sweeper_exit_requested())
			continue;
		CHECK_FOR_INTERRUPTS();
		(void) expire_one(batch->picked[i], &expired, &busy);
		if (busy)
			busy_seen++;
	}
	return expired;
}

/*
 * start_helpers starts, when booking.sweeper_workers allows, expiry
 * helpers beside the sweeper for a backlog of dead holds: dynamic workers
 * in the sweeper's database that take batches as the sweeper does (the
 * holds are picked FOR UPDATE SKIP LOCKED, so no two take the same) and
 * stop when a batch comes back short.  A slot whose helper is still at
 * work is left alone.
 */
static void
start_helpers(void)
{
	for (int i = 0; i < Min(booking_sweeper_workers - 1, MAX_HELPERS); i++)
	{
		BackgroundWorker worker;
		pid_t		pid;
		MemoryContext old;
		bool		registered;

		if (helpers[i] != NULL)
		{
			if (GetBackgroundWorkerPid(helpers[i], &pid) != BGWH_STOPPED)
				continue;
			pfree(helpers[i]);
			helpers[i] = NULL;
		}
		bk_describe_worker(&worker, "booking expiry helper", "BookingExpiryHelperMain",
						   BGW_NEVER_RESTART);
		worker.bgw_main_arg = ObjectIdGetDatum(sweeper_dboid);
		/* the handle must outlive the loop's memory */
		old = MemoryContextSwitchTo(TopMemoryContext);
		registered = RegisterDynamicBackgroundWorker(&worker, &helpers[i]);
		MemoryContextSwitchTo(old);
		if (!registered)
		{
			helpers[i] = NULL;	/* no free worker slot: the sweeper goes on alone */
			break;
		}
		bk_stat_add(BK_STAT_EXPIRY_HELPERS, 1);
	}
}

/*
 * expire_due expires every hold that is due, batch after batch; interrupts
 * are served between batches.  Returns how many it expired; *failed is set
 * when a batch failed before it could even pick its holds, *skipped when
 * the extension is missing or a loader is at work.  The sweeper and its
 * expiry helpers both run it; only the sweeper starts helpers, publishes
 * between batches and reports a failure (a helper leaves what it cannot
 * do to the sweeper, which meets it too).
 */
static int
expire_due(bool *failed, bool *skipped)
{
	IdList		skip = {0};
	int			expired = retry_known_bad();
	const char *activity = helper_mode ? "booking: expiring holds (helper)" : "booking: expiring holds";

	for (int i = 0; i < nbad; i++)
		id_list_add(&skip, bad_holds[i].id);

	for (;;)
	{
		ExpiryBatch batch = {0};
		ErrorData  *edata = NULL;
		StepResult result;

		CHECK_FOR_INTERRUPTS();
		if (bk_sweeper_exit_requested())
			break;
		batch.skip = bk_int8_array(skip.ids, skip.n);
		result = sweeper_xact(expire_batch_step, &batch, activity, &edata);
		if (result == STEP_SKIPPED)
		{
			*skipped = true;
			break;
		}
		if (result == STEP_DONE)
		{
			expired += batch.expired;
			if (batch.npicked < booking_sweep_batch)
				break;
			/*
			 * More to come: let helpers take batches beside this one, and
			 * publish this batch's events first, so that a long backlog
			 * neither delays listeners nor leaves readers many calendar
			 * changes to add.
			 */
			if (!helper_mode)
			{
				start_helpers();
				(void) sweeper_xact(publish_step, NULL, "booking: publishing events", NULL);
			}
			continue;
		}
		if (batch.npicked == 0)
		{
			if (!helper_mode)
				report_failure("booking: expiring holds", edata);
			FreeErrorData(edata);
			*failed = true;
			break;
		}
		if (!transient(edata))
			ereport(DEBUG1,
					(errmsg("booking sweeper: a batch of %d holds failed (%s); retrying them one by one",
							batch.npicked, edata->message)));
		FreeErrorData(edata);
		expired += retry_one_by_one(&batch, &skip);
	}
	return expired;
}

/*
 * release_blocks_step releases a batch of due block nights (2.0, blocks).
 */
static void
release_blocks_step(void *arg)
{
	*(int *) arg = bk_release_due_blocks(booking_sweep_batch);
}

/*
 * release_blocks releases every due block night, batch after batch, each
 * its own transaction; a batch that fails (a busy night: BK007) is left
 * for the next round.  Returns how many it released; *failed is set when
 * a batch failed for another reason.
 */
static int
release_blocks(bool *failed)
{
	int			released = 0;

	for (;;)
	{
		int			batch = 0;
		ErrorData  *edata = NULL;
		StepResult result;

		CHECK_FOR_INTERRUPTS();
		if (bk_sweeper_exit_requested())
			break;
		result = sweeper_xact(release_blocks_step, &batch, "booking: releasing blocks", &edata);
		if (result == STEP_DONE)
		{
			released += batch;
			if (batch < booking_sweep_batch)
				break;
			continue;
		}
		if (result == STEP_FAILED)
		{
			if (!transient(edata))
			{
				report_failure("booking: releasing blocks", edata);
				*failed = true;
			}
			FreeErrorData(edata);
		}
		break;
	}
	return released;
}

/*
 * wakeup is what the sweeper does each time it wakes: publish the events
 * (a writer may have woken it for that), and when a round is due, expire
 * the dead holds, do the housekeeping and publish what expiry wrote.
 */
static void
wakeup(bool round_due)
{
	bool		failed = false;
	bool		skipped = false;
	StepResult published;

	published = sweeper_xact(publish_step, round_due ? (void *) &round_due : NULL,
							 "booking: publishing events", NULL);
	if (published == STEP_SKIPPED)
		return;
	failed = published == STEP_FAILED;
	if (!round_due)
	{
		if (failed)
			bk_stat_sweep_done(false);
		return;
	}

	if (expire_due(&failed, &skipped) > 0 && !skipped)
		failed |= sweeper_xact(publish_step, NULL, "booking: publishing events", NULL) == STEP_FAILED;
	if (skipped)
		return;
	if (release_blocks(&failed) > 0)
		failed |= sweeper_xact(publish_step, NULL, "booking: publishing events", NULL) == STEP_FAILED;
	failed |= sweeper_xact(waitlist_step, NULL, "booking: waitlist offers", NULL) == STEP_FAILED;
	failed |= sweeper_xact(housekeeping_step, NULL, "booking: housekeeping", NULL) == STEP_FAILED;
	bk_stat_sweep_done(!failed);
}

/*
 * leave_fence_at_exit ends the sweeper's (or a helper's) turn in the
 * restore fence when it exits in the middle of a transaction, so that no
 * loader waits for it.
 */
static void
leave_fence_at_exit(int code, Datum arg)
{
	bk_fence_leave();
}

/*
 * start_up connects to database dboid, pins the settings before any SQL,
 * and attaches as the sweeper.  Exits when another sweeper is there.
 */
static void
start_up(Oid dboid)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pin_settings();
	pgstat_report_appname("booking sweeper");
	sweeper_dboid = dboid;
	if (!bk_sweeper_attach(dboid))
	{
		ereport(LOG, (errmsg("booking sweeper: another sweeper is running; exiting")));
		proc_exit(0);
	}
	/* after bk_sweeper_attach's exit callback, so it runs before that one */
	on_shmem_exit(leave_fence_at_exit, (Datum) 0);
	StartTransactionCommand();
	sweeper_dbname = MemoryContextStrdup(TopMemoryContext, get_database_name(dboid));
	CommitTransactionCommand();
	ereport(LOG,
			(errmsg("booking sweeper started in database \"%s\", every %d ms",
					sweeper_dbname, booking_sweep_interval_ms)));
}

/*
 * BookingSweeperMain is the worker's entry point and loop; its argument is
 * the oid of its database.
 */
void
BookingSweeperMain(Datum main_arg)
{
	TimestampTz last_round = 0;
	TimestampTz last_wakeup = 0;

	start_up(DatumGetObjectId(main_arg));
	loop_context = AllocSetContextCreate(TopMemoryContext, "booking sweeper loop",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		TimestampTz now;
		TimestampTz next_round;
		bool		round_due;
		long		secs;
		int			usecs;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			pin_settings();
		}
		if (bk_sweeper_exit_requested())
		{
			ereport(LOG,
					(errmsg("booking sweeper: leaving database \"%s\" as asked", sweeper_dbname)));
			proc_exit(0);
		}

		now = GetCurrentTimestamp();
		round_due = now >= TimestampTzPlusMilliseconds(last_round, booking_sweep_interval_ms);
		if (!round_due && now < TimestampTzPlusMilliseconds(last_wakeup, PUBLISH_GAP_MS))
		{
			/* woken again right after a pass: let the writers' commits gather */
			TimestampDifference(now, TimestampTzPlusMilliseconds(last_wakeup, PUBLISH_GAP_MS),
								&secs, &usecs);
			(void) WaitLatch(NULL, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 Max(usecs / 1000, 1), PG_WAIT_EXTENSION);
			CHECK_FOR_INTERRUPTS();
		}
		last_wakeup = GetCurrentTimestamp();
		MemoryContextSwitchTo(loop_context);
		wakeup(round_due);
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(loop_context);
		if (round_due)
			last_round = now;

		next_round = TimestampTzPlusMilliseconds(last_round, booking_sweep_interval_ms);
		TimestampDifference(GetCurrentTimestamp(), next_round, &secs, &usecs);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 secs * 1000 + usecs / 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * BookingExpiryHelperMain is an expiry helper's entry point; its argument
 * is the oid of the sweeper's database.  It expires batches of dead holds
 * as the sweeper does (the same steps, the same restore fence, the same
 * pinned settings) until a batch comes back short, the sweeper is asked
 * to leave, or a loader is at work, then exits.  A hold it cannot expire
 * it only leaves alone: the sweeper meets it too, and logs and counts it
 * once.
 */
void
BookingExpiryHelperMain(Datum main_arg)
{
	bool		failed = false;
	bool		skipped = false;

	helper_mode = true;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	pin_settings();
	pgstat_report_appname("booking expiry helper");
	sweeper_dboid = DatumGetObjectId(main_arg);
	on_shmem_exit(leave_fence_at_exit, (Datum) 0);
	loop_context = AllocSetContextCreate(TopMemoryContext, "booking expiry helper",
										 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loop_context);
	(void) expire_due(&failed, &skipped);
	proc_exit(0);
}

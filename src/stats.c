/*-------------------------------------------------------------------------
 * stats.c
 *    Counters of what the engine does, in shared memory when the library
 *    is preloaded: booking.stats() and booking.stats_reset().
 *
 * The counters are atomics, bumped without locks.  Attempts, conflicts
 * and lock timeouts count at once (they are what rolls back); what a
 * transaction achieves (a reservation, a confirm, an expiry ...) counts
 * when it commits, so work undone by a rollback, or by a rolled-back
 * savepoint, is not counted.  When the library is not preloaded there is
 * no shared memory: bumps do nothing and stats() says preloaded = false
 * with NULL counters.  The sweeper's own health is here too: its rounds,
 * the rounds that failed, the holds it could not expire, and whether it
 * is paused while a restore loads its database.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_stats);
PG_FUNCTION_INFO_V1(booking_stats_reset);

typedef struct BookingSharedStats
{
	pg_atomic_uint64 counters[BK_STAT_COUNT];
	pg_atomic_uint64 last_sweep_at;		/* TimestampTz, 0 = never */
	pg_atomic_uint64 reset_at;			/* TimestampTz */
} BookingSharedStats;

static BookingSharedStats *shared_stats = NULL;

/* Counts waiting for their (sub)transaction to commit */
typedef struct PendingCount
{
	BkStat		stat;
	uint64		n;
	int			nest_level;
} PendingCount;

static PendingCount *pending = NULL;
static int	npending = 0;
static int	maxpending = 0;
static bool callbacks_registered = false;

/*
 * BookingStatsShmemSize is the room the counters take in shared memory;
 * BookingStatsShmemInit attaches to them (or creates and zeroes them).
 * Both are called from booking.c's shared memory hooks, which the
 * library installs only when it is preloaded.
 */
Size
BookingStatsShmemSize(void)
{
	return MAXALIGN(sizeof(BookingSharedStats));
}

void
BookingStatsShmemInit(void)
{
	bool		found;

	shared_stats = ShmemInitStruct("booking stats", sizeof(BookingSharedStats), &found);
	if (!found)
	{
		for (int i = 0; i < BK_STAT_COUNT; i++)
			pg_atomic_init_u64(&shared_stats->counters[i], 0);
		pg_atomic_init_u64(&shared_stats->last_sweep_at, 0);
		pg_atomic_init_u64(&shared_stats->reset_at, (uint64) GetCurrentTimestamp());
	}
}

/*
 * bk_stat_add adds n to a counter (nothing without shared memory).
 */
void
bk_stat_add(BkStat stat, uint64 n)
{
	if (shared_stats != NULL && n > 0)
		pg_atomic_fetch_add_u64(&shared_stats->counters[stat], n);
}

/*
 * pending_xact_callback adds the pending counts on commit and forgets them
 * on abort.
 */
static void
pending_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			for (int i = 0; i < npending; i++)
				bk_stat_add(pending[i].stat, pending[i].n);
			npending = 0;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			npending = 0;
			break;
		default:
			break;
	}
}

/*
 * pending_subxact_callback drops the counts of a rolled-back savepoint and
 * hands those of a released one to its parent.
 */
static void
pending_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		int			kept = 0;

		for (int i = 0; i < npending; i++)
			if (pending[i].nest_level < level)
				pending[kept++] = pending[i];
		npending = kept;
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (int i = 0; i < npending; i++)
			if (pending[i].nest_level >= level)
				pending[i].nest_level = level - 1;
	}
}

/*
 * bk_stat_add_on_commit adds n to a counter when the current transaction
 * commits.
 */
void
bk_stat_add_on_commit(BkStat stat, uint64 n)
{
	if (shared_stats == NULL || n == 0)
		return;
	if (!callbacks_registered)
	{
		RegisterXactCallback(pending_xact_callback, NULL);
		RegisterSubXactCallback(pending_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (npending == maxpending)
	{
		maxpending = Max(16, maxpending * 2);
		pending = pending == NULL
			? MemoryContextAlloc(TopMemoryContext, sizeof(PendingCount) * maxpending)
			: repalloc(pending, sizeof(PendingCount) * maxpending);
	}
	pending[npending].stat = stat;
	pending[npending].n = n;
	pending[npending].nest_level = GetCurrentTransactionNestLevel();
	npending++;
}

/*
 * bk_stat_sweep_done counts one sweeper round: a round in which every step
 * succeeded advances sweeper_runs and last_sweep_at; one in which a step
 * failed counts in sweeper_errors only, so that a sweeper that keeps
 * failing shows a last_sweep_at that stands still.
 */
void
bk_stat_sweep_done(bool succeeded)
{
	if (shared_stats == NULL)
		return;
	if (!succeeded)
	{
		pg_atomic_fetch_add_u64(&shared_stats->counters[BK_STAT_SWEEPER_ERRORS], 1);
		return;
	}
	pg_atomic_fetch_add_u64(&shared_stats->counters[BK_STAT_SWEEPER_RUNS], 1);
	pg_atomic_write_u64(&shared_stats->last_sweep_at, (uint64) GetCurrentTimestamp());
}

/* Columns of booking.stats() after the counters up to sweeper_runs */
#define STATS_FIRST_COUNTERS	(BK_STAT_SWEEPER_RUNS + 1)
#define STATS_COLUMNS			(1 + BK_STAT_COUNT + 2 + 1)

/*
 * booking_stats returns one row: preloaded, the counters up to
 * sweeper_runs, last_sweep_at, stats_reset_at, then (1.2) sweeper_errors,
 * expiry_failures, expiry_helpers and sweeper_paused.  A database still at an older
 * version declares fewer columns: it gets the ones it declares.
 */
Datum
booking_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[STATS_COLUMNS];
	bool		nulls[STATS_COLUMNS];
	uint64		last_sweep;
	int			col;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "booking.stats must return a row");
	if (tupdesc->natts > STATS_COLUMNS)
		elog(ERROR, "booking.stats declares %d columns, the library knows %d",
			 tupdesc->natts, STATS_COLUMNS);
	tupdesc = BlessTupleDesc(tupdesc);

	memset(nulls, shared_stats == NULL, sizeof(nulls));
	values[0] = BoolGetDatum(shared_stats != NULL);
	nulls[0] = false;
	if (shared_stats != NULL)
	{
		col = 1;
		for (int i = 0; i < STATS_FIRST_COUNTERS; i++)
			values[col++] = Int64GetDatum((int64) pg_atomic_read_u64(&shared_stats->counters[i]));
		last_sweep = pg_atomic_read_u64(&shared_stats->last_sweep_at);
		values[col] = TimestampTzGetDatum((TimestampTz) last_sweep);
		nulls[col++] = (last_sweep == 0);
		values[col++] =
			TimestampTzGetDatum((TimestampTz) pg_atomic_read_u64(&shared_stats->reset_at));
		for (int i = STATS_FIRST_COUNTERS; i < BK_STAT_COUNT; i++)
			values[col++] = Int64GetDatum((int64) pg_atomic_read_u64(&shared_stats->counters[i]));
		values[col++] = BoolGetDatum(BookingSweeperPaused());
		Assert(col == STATS_COLUMNS);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * booking_stats_reset zeroes every counter.
 */
Datum
booking_stats_reset(PG_FUNCTION_ARGS)
{
	if (shared_stats == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("booking stats are not available"),
				 errdetail("The counters live in shared memory, which needs the library preloaded."),
				 errhint("Add booking to shared_preload_libraries and restart the server.")));
	for (int i = 0; i < BK_STAT_COUNT; i++)
		pg_atomic_write_u64(&shared_stats->counters[i], 0);
	pg_atomic_write_u64(&shared_stats->reset_at, (uint64) GetCurrentTimestamp());
	PG_RETURN_VOID();
}

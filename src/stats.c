/*-------------------------------------------------------------------------
 * stats.c
 *    Counters of what the engine does, in shared memory when the library
 *    is preloaded: booking.stats() and booking.stats_reset().
 *
 * The counters are atomics, bumped without locks and outside transactions
 * (a counted attempt stays counted if its transaction rolls back).  When
 * the library is not preloaded there is no shared memory: bumps do nothing
 * and stats() says preloaded = false with NULL counters.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
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
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*
 * stats_shmem_request asks the postmaster for room for the counters.
 */
static void
stats_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(BookingSharedStats)));
}

/*
 * stats_shmem_startup attaches to (or creates and zeroes) the counters.
 */
static void
stats_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared_stats = ShmemInitStruct("booking stats", sizeof(BookingSharedStats), &found);
	if (!found)
	{
		for (int i = 0; i < BK_STAT_COUNT; i++)
			pg_atomic_init_u64(&shared_stats->counters[i], 0);
		pg_atomic_init_u64(&shared_stats->last_sweep_at, 0);
		pg_atomic_init_u64(&shared_stats->reset_at, (uint64) GetCurrentTimestamp());
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * BookingStatsInit installs the shared memory hooks; called from _PG_init
 * while preloading only.
 */
void
BookingStatsInit(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = stats_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = stats_shmem_startup;
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
 * bk_stat_sweep_done counts one sweeper run and records when it ended.
 */
void
bk_stat_sweep_done(void)
{
	if (shared_stats == NULL)
		return;
	pg_atomic_fetch_add_u64(&shared_stats->counters[BK_STAT_SWEEPER_RUNS], 1);
	pg_atomic_write_u64(&shared_stats->last_sweep_at, (uint64) GetCurrentTimestamp());
}

/*
 * booking_stats returns one row: preloaded, then every counter, the last
 * sweep and when the counters were last reset.
 */
Datum
booking_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[BK_STAT_COUNT + 3];
	bool		nulls[BK_STAT_COUNT + 3];
	uint64		last_sweep;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "booking.stats must return a row");
	tupdesc = BlessTupleDesc(tupdesc);

	memset(nulls, shared_stats == NULL, sizeof(nulls));
	values[0] = BoolGetDatum(shared_stats != NULL);
	nulls[0] = false;
	if (shared_stats != NULL)
	{
		for (int i = 0; i < BK_STAT_COUNT; i++)
			values[i + 1] = Int64GetDatum((int64) pg_atomic_read_u64(&shared_stats->counters[i]));
		last_sweep = pg_atomic_read_u64(&shared_stats->last_sweep_at);
		values[BK_STAT_COUNT + 1] = TimestampTzGetDatum((TimestampTz) last_sweep);
		nulls[BK_STAT_COUNT + 1] = (last_sweep == 0);
		values[BK_STAT_COUNT + 2] =
			TimestampTzGetDatum((TimestampTz) pg_atomic_read_u64(&shared_stats->reset_at));
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

/*-------------------------------------------------------------------------
 * restore_fence.c
 *    The restore fence: while a backend is loading data into the booking
 *    tables of a database (pg_restore, serial or -j N, or psql running a
 *    plain dump), the sweeper of that database does nothing at all.
 *
 * Why.  A dump restores reservations before the inventory they hold; a
 * sweeper that expired a hold in between would give back units no row
 * has yet and write room calendar rows the restore then collides with.
 *
 * How.  hooks.c calls bk_fence_register_loader when a backend, outside
 * the extension's own functions, copies (COPY ... FROM) or inserts (a
 * top-level INSERT, as a --inserts dump does) into a table of schema
 * booking that it may write.  The backend then stays a loader until it
 * disconnects: a restore keeps its connections until the data is all in.
 * Each loader has the slot of its PGPROC, with its pid and a generation
 * number; its exit callback clears the slot (a backend that dies without
 * running it makes the postmaster reset shared memory), and the sweeper
 * also checks that the PGPROC still belongs to that pid.
 *
 * The handshake.  The sweeper and its expiry helpers call bk_fence_enter
 * at the start of each of their transactions and bk_fence_leave at the
 * end, each marking its own slot; a new loader waits, before its first
 * row goes in, until every such transaction that began before it
 * registered is over.  So no sweeper transaction ever sees rows
 * of a load in progress: either it began before the load (and the load
 * waited for it) or it sees the loader and does nothing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "booking.h"

/* Longest a new loader waits for a sweeper transaction already running */
#define LOADER_WAIT_MS		30000

/*
 * One per backend, indexed by pgprocno: a loader's registration, or a
 * sweeper's (or expiry helper's) transaction in progress.
 */
typedef struct LoaderSlot
{
	pid_t		pid;			/* a loader: 0 when free */
	Oid			dboid;
	uint64		generation;		/* the fence generation it registered at */
	bool		working;		/* a sweeper transaction is running here */
	Oid			work_dboid;
	uint64		work_generation;	/* the generation that transaction checked */
} LoaderSlot;

typedef struct BookingFence
{
	slock_t		mutex;
	int			nslots;			/* MaxBackends: indexed by pgprocno */
	int			nloaders;		/* slots in use */
	uint64		generation;		/* bumped at every registration */
	LoaderSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} BookingFence;

static BookingFence *fence = NULL;
static bool registered = false;

/*
 * bk_fence_shmem_size is the room the fence takes: one slot per backend.
 */
Size
bk_fence_shmem_size(void)
{
	return MAXALIGN(add_size(offsetof(BookingFence, slots),
							 mul_size(MaxBackends, sizeof(LoaderSlot))));
}

/*
 * bk_fence_shmem_init attaches to (or creates) the fence; called with
 * AddinShmemInitLock held.
 */
void
bk_fence_shmem_init(void)
{
	bool		found;

	fence = ShmemInitStruct("booking restore fence", bk_fence_shmem_size(), &found);
	if (!found)
	{
		memset(fence, 0, bk_fence_shmem_size());
		SpinLockInit(&fence->mutex);
		fence->nslots = MaxBackends;
	}
}

/*
 * loader_exit frees this backend's slot when it disconnects and wakes the
 * sweeper, which may be waiting for exactly that.
 */
static void
loader_exit(int code, Datum arg)
{
	int			slot = MyProc->pgprocno;

	SpinLockAcquire(&fence->mutex);
	if (fence->slots[slot].pid == MyProcPid)
	{
		fence->slots[slot].pid = 0;
		fence->nloaders--;
	}
	SpinLockRelease(&fence->mutex);
	registered = false;
	BookingSweeperWake();
}

/*
 * sweeper_in_flight says whether a transaction of the sweeper or of one
 * of its expiry helpers that began before fence generation `generation`
 * is still running in this database (each worker marks its own slot, so
 * one ending does not hide another still running).
 */
static bool
sweeper_in_flight(uint64 generation)
{
	bool		running = false;

	SpinLockAcquire(&fence->mutex);
	for (int i = 0; i < fence->nslots && !running; i++)
	{
		LoaderSlot *s = &fence->slots[i];

		running = s->working && s->work_dboid == MyDatabaseId && s->work_generation < generation;
	}
	SpinLockRelease(&fence->mutex);
	return running;
}

/*
 * bk_fence_register_loader makes this backend a loader of its database
 * (once; it stays one until it disconnects), then waits until no sweeper
 * transaction that could see its rows is running.  `relid` is the table
 * being loaded, for the log.
 */
void
bk_fence_register_loader(Oid relid)
{
	int			slot;
	uint64		generation;
	TimestampTz start;

	if (fence == NULL || registered || MyProc == NULL)
		return;
	slot = MyProc->pgprocno;
	if (slot < 0 || slot >= fence->nslots)
		return;

	SpinLockAcquire(&fence->mutex);
	generation = ++fence->generation;
	fence->slots[slot].pid = MyProcPid;
	fence->slots[slot].dboid = MyDatabaseId;
	fence->slots[slot].generation = generation;
	fence->nloaders++;
	SpinLockRelease(&fence->mutex);
	registered = true;
	before_shmem_exit(loader_exit, (Datum) 0);

	ereport(DEBUG1,
			(errmsg("booking: this session loads data into %s; the sweeper of this database waits until it disconnects",
					get_rel_name(relid))));

	start = GetCurrentTimestamp();
	while (sweeper_in_flight(generation))
	{
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), LOADER_WAIT_MS))
		{
			ereport(WARNING,
					(errmsg("booking: the sweeper did not finish its transaction in %d ms; loading anyway",
							LOADER_WAIT_MS),
					 errhint("Check the sweeper in pg_stat_activity (backend_type 'booking sweeper').")));
			break;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 5, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * live_loader returns the pid of a loader of database dboid that is still
 * connected (0: none), freeing the slots of those that are gone.  The
 * caller holds the fence's spinlock.
 */
static pid_t
live_loader(Oid dboid)
{
	for (int i = 0; i < fence->nslots && fence->nloaders > 0; i++)
	{
		LoaderSlot *s = &fence->slots[i];

		if (s->pid == 0)
			continue;
		if (ProcGlobal->allProcs[i].pid != s->pid)
		{
			/* gone without its exit callback: can only be stale */
			s->pid = 0;
			fence->nloaders--;
			continue;
		}
		if (s->dboid == dboid)
			return s->pid;
	}
	return 0;
}

/*
 * bk_fence_enter is called by the sweeper (or an expiry helper) at the
 * start of a transaction.
 * Returns false, with the pid of a loader, when some backend is loading
 * its database: the sweeper must then do nothing.  Otherwise it is marked
 * working until bk_fence_leave.
 */
bool
bk_fence_enter(Oid dboid, pid_t *loader_pid)
{
	pid_t		loader;

	int			slot = MyProc->pgprocno;

	if (fence == NULL)
		return true;
	Assert(slot >= 0 && slot < fence->nslots);
	SpinLockAcquire(&fence->mutex);
	loader = fence->nloaders > 0 ? live_loader(dboid) : 0;
	if (loader == 0)
	{
		fence->slots[slot].working = true;
		fence->slots[slot].work_dboid = dboid;
		fence->slots[slot].work_generation = fence->generation;
	}
	SpinLockRelease(&fence->mutex);
	*loader_pid = loader;
	return loader == 0;
}

/*
 * bk_fence_loading says whether a backend (this one too) is loading data
 * into database dboid (a restore in progress), and sets *generation to
 * the number of loads that have begun in the cluster since it started (1
 * without the preload, which registers none): for backends that must not
 * act on half-restored data but take no part in the handshake, and that
 * look again for what a load left only when a new one began.
 */
bool
bk_fence_loading(Oid dboid, uint64 *generation)
{
	pid_t		loader;

	*generation = 1;
	if (fence == NULL)
		return false;
	SpinLockAcquire(&fence->mutex);
	loader = fence->nloaders > 0 ? live_loader(dboid) : 0;
	*generation += fence->generation;
	SpinLockRelease(&fence->mutex);
	return loader != 0;
}

/*
 * bk_fence_other_loader says whether another backend than this one is
 * loading data into database dboid (never without the preload): for a
 * step that must wait for someone else's restore to end, but not for
 * rows this session put in itself.
 */
bool
bk_fence_other_loader(Oid dboid)
{
	bool		other = false;

	if (fence == NULL)
		return false;
	SpinLockAcquire(&fence->mutex);
	for (int i = 0; i < fence->nslots && fence->nloaders > 0 && !other; i++)
	{
		LoaderSlot *s = &fence->slots[i];

		other = s->pid != 0 && s->pid != MyProcPid && s->dboid == dboid &&
			ProcGlobal->allProcs[i].pid == s->pid;
	}
	SpinLockRelease(&fence->mutex);
	return other;
}

/*
 * bk_fence_leave marks the end of this worker's transaction (committed or
 * not); loaders waiting for it go on.
 */
void
bk_fence_leave(void)
{
	if (fence == NULL || MyProc == NULL)
		return;
	SpinLockAcquire(&fence->mutex);
	fence->slots[MyProc->pgprocno].working = false;
	SpinLockRelease(&fence->mutex);
}

/*-------------------------------------------------------------------------
 * workerstate.c
 *    The shared state of the booking launcher and the sweeper it runs:
 *    which sweeper is serving which database (so that writers can wake it
 *    and DDL on that database can ask it to leave), whether it is paused
 *    for a restore, and how long the launcher must hold off.  booking.c's
 *    shared memory hooks size and attach it (bk_workerstate_shmem_*).
 *
 * All of it exists only when the library is preloaded; every entry point
 * checks for NULL first, so a backend that loaded the library on demand
 * finds no sweeper and does nothing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "booking.h"

/* Longest a DDL on the swept database keeps the launcher from restarting it */
#define STEP_ASIDE_CAP_MS		60000
/* How long such a DDL waits for the sweeper to leave, politely then by SIGTERM */
#define STEP_ASIDE_POLITE_MS	2000
#define STEP_ASIDE_TOTAL_MS		5000

typedef struct BookingWorkerState
{
	slock_t		mutex;
	Latch	   *launcher_latch; /* NULL until the launcher runs */
	pid_t		sweeper_pid;	/* 0: no sweeper attached */
	Oid			sweeper_dboid;
	Latch	   *sweeper_latch;
	bool		sweeper_exit_requested;
	bool		sweeper_paused; /* waiting for a loader to disconnect */
	uint64		sweeper_attaches;	/* sweepers that got going, ever */
	TimestampTz launch_paused_until;	/* 0: the launcher may start one */
	pid_t		launch_pauser;	/* the backend whose DDL paused it */
} BookingWorkerState;

static BookingWorkerState *state = NULL;
/*
 * bk_workerstate_shmem_size is the room this state takes.
 */
Size
bk_workerstate_shmem_size(void)
{
	return MAXALIGN(sizeof(BookingWorkerState));
}

/*
 * bk_workerstate_shmem_init attaches to (or creates) this state; called
 * with AddinShmemInitLock held.
 */
void
bk_workerstate_shmem_init(void)
{
	bool		found;

	state = ShmemInitStruct("booking worker state", sizeof(BookingWorkerState), &found);
	if (!found)
	{
		memset(state, 0, sizeof(BookingWorkerState));
		SpinLockInit(&state->mutex);
	}
}

/*
 * BookingSweeperWake sets the latch of the sweeper when one is serving
 * this backend's database, so that it publishes the events just committed
 * at once; otherwise it does nothing.  It takes a spinlock only: safe in a
 * commit callback (no allocation, no error, no heavyweight lock).
 */
void
BookingSweeperWake(void)
{
	Latch	   *latch = NULL;

	if (state == NULL)
		return;
	SpinLockAcquire(&state->mutex);
	if (state->sweeper_pid != 0 && state->sweeper_dboid == MyDatabaseId)
		latch = state->sweeper_latch;
	SpinLockRelease(&state->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * BookingSweeperServesThisDatabase says whether a live sweeper is connected
 * to this backend's database (false when the library is not preloaded).
 */
bool
BookingSweeperServesThisDatabase(void)
{
	bool		serves;

	if (state == NULL)
		return false;
	SpinLockAcquire(&state->mutex);
	serves = state->sweeper_pid != 0 && state->sweeper_dboid == MyDatabaseId;
	SpinLockRelease(&state->mutex);
	return serves;
}

/*
 * BookingSweeperPaused says whether the sweeper is holding off because a
 * backend is loading data into its database (booking.stats).
 */
bool
BookingSweeperPaused(void)
{
	bool		paused;

	if (state == NULL)
		return false;
	SpinLockAcquire(&state->mutex);
	paused = state->sweeper_pid != 0 && state->sweeper_paused;
	SpinLockRelease(&state->mutex);
	return paused;
}

/*
 * launcher_detach forgets the launcher's latch when it exits.
 */
static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&state->mutex);
	if (state->launcher_latch == MyLatch)
		state->launcher_latch = NULL;
	SpinLockRelease(&state->mutex);
}

/*
 * bk_launcher_attach records the launcher's latch, so that a sweeper that
 * leaves and a DDL that is done can wake it.
 */
void
bk_launcher_attach(void)
{
	SpinLockAcquire(&state->mutex);
	state->launcher_latch = MyLatch;
	SpinLockRelease(&state->mutex);
	on_shmem_exit(launcher_detach, (Datum) 0);
}

/*
 * wake_launcher sets the launcher's latch, if it runs.
 */
static void
wake_launcher(void)
{
	Latch	   *latch;

	SpinLockAcquire(&state->mutex);
	latch = state->launcher_latch;
	SpinLockRelease(&state->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * bk_sweeper_attaches returns how many sweepers have attached so far: the
 * launcher tells by it whether the one it started got going.
 */
uint64
bk_sweeper_attaches(void)
{
	uint64		n;

	SpinLockAcquire(&state->mutex);
	n = state->sweeper_attaches;
	SpinLockRelease(&state->mutex);
	return n;
}

/*
 * bk_sweeper_current returns the pid of the attached sweeper (0: none) and
 * its database.
 */
pid_t
bk_sweeper_current(Oid *dboid)
{
	pid_t		pid;

	SpinLockAcquire(&state->mutex);
	pid = state->sweeper_pid;
	*dboid = state->sweeper_dboid;
	SpinLockRelease(&state->mutex);
	return pid;
}

/*
 * sweeper_detach clears the sweeper's entry when it exits, however it
 * exits (a crash resets shared memory anyway), and wakes the launcher.
 */
static void
sweeper_detach(int code, Datum arg)
{
	SpinLockAcquire(&state->mutex);
	if (state->sweeper_pid == MyProcPid)
	{
		state->sweeper_pid = 0;
		state->sweeper_dboid = InvalidOid;
		state->sweeper_latch = NULL;
		state->sweeper_paused = false;
		state->sweeper_exit_requested = false;
	}
	SpinLockRelease(&state->mutex);
	wake_launcher();
}

/*
 * bk_sweeper_attach makes this process the sweeper of database dboid.
 * Returns false when another sweeper is attached already (there is only
 * ever one).
 */
bool
bk_sweeper_attach(Oid dboid)
{
	bool		attached = false;

	SpinLockAcquire(&state->mutex);
	if (state->sweeper_pid == 0)
	{
		state->sweeper_pid = MyProcPid;
		state->sweeper_dboid = dboid;
		state->sweeper_latch = MyLatch;
		state->sweeper_exit_requested = false;
		state->sweeper_paused = false;
		state->sweeper_attaches++;
		attached = true;
	}
	SpinLockRelease(&state->mutex);
	if (attached)
		on_shmem_exit(sweeper_detach, (Datum) 0);
	return attached;
}

/*
 * bk_sweeper_exit_requested says whether the sweeper has been asked to
 * leave (its database is being dropped, copied or renamed, or
 * booking.database names another one).
 */
bool
bk_sweeper_exit_requested(void)
{
	bool		requested;

	SpinLockAcquire(&state->mutex);
	requested = state->sweeper_exit_requested;
	SpinLockRelease(&state->mutex);
	return requested;
}

/*
 * bk_sweeper_request_exit asks the attached sweeper to leave and wakes it.
 */
void
bk_sweeper_request_exit(void)
{
	Latch	   *latch = NULL;

	SpinLockAcquire(&state->mutex);
	if (state->sweeper_pid != 0)
	{
		state->sweeper_exit_requested = true;
		latch = state->sweeper_latch;
	}
	SpinLockRelease(&state->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * bk_sweeper_set_paused records whether the sweeper is waiting for a
 * loader (shown by booking.stats).
 */
void
bk_sweeper_set_paused(bool paused)
{
	SpinLockAcquire(&state->mutex);
	state->sweeper_paused = paused;
	SpinLockRelease(&state->mutex);
}

/*
 * bk_launch_paused_until returns until when the launcher must not start a
 * sweeper (0: it may).  A pause outlives its DDL by at most
 * STEP_ASIDE_CAP_MS, even if the backend that set it died.
 */
TimestampTz
bk_launch_paused_until(void)
{
	TimestampTz until;

	SpinLockAcquire(&state->mutex);
	until = state->launch_paused_until;
	SpinLockRelease(&state->mutex);
	return until;
}

/*
 * bk_sweeper_step_aside gets the sweeper out of database dboid before a
 * DROP DATABASE, CREATE DATABASE ... TEMPLATE or ALTER DATABASE ... RENAME
 * of it, which would otherwise fail with "being accessed by other users":
 * it holds the launcher off, asks the sweeper to leave, and waits (a few
 * seconds at most, sending SIGTERM half way) until it has.  The caller
 * runs its command, then bk_sweeper_step_aside_done.
 */
void
bk_sweeper_step_aside(Oid dboid)
{
	TimestampTz start = GetCurrentTimestamp();
	bool		terminated = false;
	pid_t		pid;
	Oid			served;

	if (state == NULL)
		return;
	SpinLockAcquire(&state->mutex);
	state->launch_paused_until = TimestampTzPlusMilliseconds(start, STEP_ASIDE_CAP_MS);
	state->launch_pauser = MyProcPid;
	SpinLockRelease(&state->mutex);

	pid = bk_sweeper_current(&served);
	if (pid == 0 || served != dboid)
		return;
	bk_sweeper_request_exit();
	while ((pid = bk_sweeper_current(&served)) != 0 && served == dboid)
	{
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), STEP_ASIDE_TOTAL_MS))
			break;
		if (!terminated &&
			TimestampDifferenceExceeds(start, GetCurrentTimestamp(), STEP_ASIDE_POLITE_MS))
		{
			(void) kill(pid, SIGTERM);
			terminated = true;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * bk_sweeper_step_aside_done lifts the launcher's pause this backend set,
 * so that the sweeper comes back as soon as its database is usable again.
 */
void
bk_sweeper_step_aside_done(void)
{
	bool		mine;

	if (state == NULL)
		return;
	SpinLockAcquire(&state->mutex);
	mine = state->launch_pauser == MyProcPid;
	if (mine)
	{
		state->launch_paused_until = 0;
		state->launch_pauser = 0;
	}
	SpinLockRelease(&state->mutex);
	if (mine)
		wake_launcher();
}

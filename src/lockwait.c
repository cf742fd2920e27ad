/*-------------------------------------------------------------------------
 * lockwait.c
 *    The engine's bounded lock waits: booking.lock_timeout (which the
 *    sweeper sets to booking.sweeper_lock_timeout), and BK007 when a wait
 *    runs out.
 *
 * A bounded wait is a region of code that may wait for row or index locks:
 *
 *     BkLockWait lock_wait;
 *     bk_lock_wait_begin(&lock_wait)  or  bk_lock_wait_begin_statement(&lock_wait);
 *     PG_TRY();    ... the locking call ...
 *     PG_CATCH();  copy the error; bk_lock_wait_timed_out() says whether it
 *                  is the wait running out (then bk_report_lock_timeout),
 *                  else re-throw
 *     PG_END_TRY();
 *     if (bk_lock_wait_end(&lock_wait))   the timer fired as the lock came
 *         bk_report_lock_timeout(NULL, what, &lock_wait);
 *
 * Two ways to bound it:
 *
 *   bk_lock_wait_begin, for one row lock (bk_direct_lock's call to
 *   table_tuple_lock, which does nothing but lock, or the call to
 *   table_tuple_update of bk_direct_update_columns_if_newest, which
 *   writes one heap tuple besides): a timer of the engine's own runs for
 *   the call.  PostgreSQL reports its own lock
 *   timeout through an indicator that the next lock wait's start resets.
 *   When its timer fired just as the lock was granted and heap_lock_tuple
 *   then waited again (first for the tuple lock, then for the locker's
 *   transaction), the cancel still pending came out as "canceling
 *   statement due to user request" (57014): a cancel nobody asked for,
 *   which PL/pgSQL's WHEN OTHERS does not catch.  The load suite's 64
 *   clients on hot rows met it about one run in three.  The engine's
 *   timer raises a flag of its own, which nothing but bk_lock_wait_begin
 *   resets, so a cancel it caused is always told apart from a user's.
 *
 *   bk_lock_wait_begin_statement, for a statement that locks (through SPI,
 *   or an update whose unique index may wait for another writer): there a
 *   timer over the whole call would also count the statement's own work
 *   (an open_inventory over ten years of nights takes longer than a short
 *   booking.lock_timeout with nobody else there), so booking.lock_timeout
 *   is set as the server's lock_timeout for the statement, which counts
 *   each wait alone, as until 1.2.
 *
 * When the session's own lock_timeout is shorter, it is PostgreSQL's lock
 * timeout (55P03) that fires, as in any other statement of the session,
 * and the engine turns it into BK007 too.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/timeout.h"

#include "booking.h"

/* The engine's timeout reason, registered on first use (MAX_TIMEOUTS: not yet) */
static TimeoutId lock_wait_timeout = MAX_TIMEOUTS;

/* Set by the timer when it fires; reset only by bk_lock_wait_begin */
static volatile sig_atomic_t lock_wait_expired = false;

/*
 * lock_wait_timeout_handler runs in the SIGALRM handler: it asks for a
 * cancel as SIGINT would (StatementCancelHandler), and remembers that it
 * was the engine's timer that did.
 */
static void
lock_wait_timeout_handler(void)
{
	lock_wait_expired = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

/*
 * booking_timeout_applies says whether booking.lock_timeout bounds the
 * engine's lock waits: it is set, and the session's own lock_timeout is
 * not shorter (then that one fires first, as PostgreSQL's).
 */
static bool
booking_timeout_applies(void)
{
	return booking_lock_timeout_ms > 0 &&
		(LockTimeout == 0 || LockTimeout >= booking_lock_timeout_ms);
}

/*
 * bk_lock_wait_begin starts a bounded wait.  The engine's timer runs when
 * booking.lock_timeout is set and the session's lock_timeout is not
 * shorter; inside a region that already runs it (a locking statement whose
 * triggers lock again), the outer region's timer goes on alone.
 */
void
bk_lock_wait_begin(BkLockWait *wait)
{
	wait->armed = false;
	wait->expired = false;
	wait->nest_level = -1;
	if (!booking_timeout_applies())
		return;
	if (lock_wait_timeout == MAX_TIMEOUTS)
		lock_wait_timeout = RegisterTimeout(USER_TIMEOUT, lock_wait_timeout_handler);
	else if (get_timeout_active(lock_wait_timeout))
		return;
	lock_wait_expired = false;
	enable_timeout_after(lock_wait_timeout, booking_lock_timeout_ms);
	wait->armed = true;
}

/*
 * bk_lock_wait_begin_statement starts a bounded wait over a statement:
 * booking.lock_timeout becomes the server's lock_timeout until
 * bk_lock_wait_end (or the abort of the transaction or subtransaction, on
 * an error), when it is set and the session's own is not shorter (or is
 * 0).  A shorter session setting stays in force: the engine never
 * waits longer than the session asked.
 */
void
bk_lock_wait_begin_statement(BkLockWait *wait)
{
	char		timeout[32];

	wait->armed = false;
	wait->expired = false;
	wait->nest_level = -1;
	if (!booking_timeout_applies())
		return;
	snprintf(timeout, sizeof(timeout), "%d", booking_lock_timeout_ms);
	wait->nest_level = NewGUCNestLevel();
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * disarm stops the timer of `wait` and notes whether it fired.  A cancel
 * it asked for that is still pending is taken back: it was the engine's,
 * and the caller reports it as BK007 now.
 */
static void
disarm(BkLockWait *wait)
{
	if (!wait->armed)
		return;
	disable_timeout(lock_wait_timeout, false);
	wait->armed = false;
	if (lock_wait_expired)
	{
		wait->expired = true;
		QueryCancelPending = false;
	}
}

/*
 * bk_lock_wait_timed_out, called in the PG_CATCH of a bounded wait with a
 * copy of the error, stops the timer and says whether the error is the
 * wait running out: the engine's timer fired (whatever error its cancel
 * became), or the session's lock_timeout did (55P03; also a NOWAIT lock
 * that was taken).  Otherwise the caller re-throws the error.
 */
bool
bk_lock_wait_timed_out(BkLockWait *wait, ErrorData *edata)
{
	disarm(wait);
	return wait->expired || edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
}

/*
 * bk_lock_wait_end ends a bounded wait that returned, and says whether the
 * timer fired all the same (as the lock was granted): the wait was too
 * long, and the caller reports BK007 (bk_report_lock_timeout with no
 * error), as PostgreSQL's own lock timeout does when it fires at that
 * moment.
 */
bool
bk_lock_wait_end(BkLockWait *wait)
{
	disarm(wait);
	if (wait->nest_level >= 0)
		AtEOXact_GUC(true, wait->nest_level);
	wait->nest_level = -1;
	return wait->expired;
}

/*
 * bk_report_lock_timeout raises BK007 for a lock wait that ran out
 * (`edata`, a copy of the error, e.g. from CopyErrorData in a PG_CATCH
 * block; NULL when the engine's timer fired as the lock was granted), naming what was being locked (`what`) and the setting that
 * fired, with its value: booking.lock_timeout when the engine's timer
 * fired or the statement ran under it, else the session's own lock_timeout (with neither, the lock was
 * asked for with NOWAIT, and the detail quotes PostgreSQL's message).  It
 * counts the timeout in booking.stats and clears the error state, so it
 * may be called straight from the PG_CATCH block.
 */
void
bk_report_lock_timeout(ErrorData *edata, const char *what, const BkLockWait *wait)
{
	char	   *setting = NULL;

	FlushErrorState();
	bk_stat_add(BK_STAT_LOCK_TIMEOUTS, 1);
	if (wait->expired || wait->nest_level >= 0)
		setting = psprintf("booking.lock_timeout (%d ms)", booking_lock_timeout_ms);
	else if (LockTimeout > 0 && edata != NULL &&
			 edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		setting = psprintf("the session's lock_timeout (%d ms)", LockTimeout);
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_BUSY),
			 errmsg("booking is busy: could not lock %s in time", what),
			 setting ?
			 errdetail("Another transaction held the lock on %s longer than %s allows.",
					   what, setting) :
			 errdetail("Another transaction held the lock on %s: %s.", what,
					   edata ? edata->message : "the wait ran out"),
			 errhint("Retry the call; nothing was changed.")));
	pg_unreachable();
}

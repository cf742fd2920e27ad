/*-------------------------------------------------------------------------
 * booking.c
 *    Module entry point: PG_MODULE_MAGIC, _PG_init, the booking.* GUCs and
 *    the library's one pair of shared memory hooks.
 *
 * Every GUC here is settable without preloading the library, so each
 * SQL-callable function works whether or not booking is in
 * shared_preload_libraries.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"

#include "booking.h"

PG_MODULE_MAGIC;

int			booking_hold_ttl_s = 15 * 60;
int			booking_waitlist_offer_ttl_s = 24 * 60 * 60;
int			booking_max_nights = 365;
int			booking_lock_timeout_ms = 0;
int			booking_node_id = 0;
int			booking_idempotency_retention_s = 24 * 60 * 60;
int			booking_payment_extension_s = 10 * 60;
int			booking_sweep_interval_ms = 1000;
int			booking_sweep_batch = 500;
int			booking_event_retention_s = 7 * 24 * 60 * 60;
char	   *booking_database = NULL;
int			booking_sweeper_lock_timeout_ms = 200;
int			booking_ical_max_events = 10000;
int			booking_sweeper_workers = 2;
bool		booking_notify_events = false;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*
 * DefineSweeperGucs registers the sweeper's settings that are not about
 * its pace: where it works and how long it waits for a lock.  They are
 * defined whether or not the library is preloaded, so that a session that
 * loads it on demand finds them (and does not warn about booking.database
 * set in postgresql.conf); a reload changes them, and the launcher moves
 * the sweeper when booking.database changes.
 */
static void
DefineSweeperGucs(void)
{
	DefineCustomStringVariable("booking.database",
							   "Database the booking sweeper works in.",
							   "The extension must be created there; the sweeper waits until it is. Empty: no sweeper. A reload moves the sweeper.",
							   &booking_database, "postgres",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.sweeper_lock_timeout",
							"Longest the sweeper waits for a row lock before leaving a batch for a later round.",
							"Holds whose nights another transaction keeps locked are retried in the next rounds, not waited for.",
							&booking_sweeper_lock_timeout_ms, 200, 1, 60 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.sweeper_workers",
							"Processes that expire a backlog of dead holds together: the sweeper and helpers it starts.",
							"With a backlog of more than one batch the sweeper starts up to this many minus one helper workers, which expire batches beside it and stop when none is left; 1: the sweeper alone.",
							&booking_sweeper_workers, 2, 1, 8,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
}

/*
 * DefineGucs registers the booking.* settings a DBA or an application can
 * change: all per-session or per-database, none needs a restart.
 */
static void
DefineGucs(void)
{
	DefineCustomIntVariable("booking.hold_ttl",
							"How long a hold protects its rooms when reserve_range is not given one.",
							"After this the hold may be expired and its units sold again.",
							&booking_hold_ttl_s, 15 * 60, 1, 7 * 24 * 60 * 60,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.waitlist_offer_ttl",
							"How long a waitlist offer (a held reservation) protects its rooms.",
							"After this the offer expires, the entry lapses and its rooms go to the next entry.",
							&booking_waitlist_offer_ttl_s, 24 * 60 * 60, 1, 30 * 24 * 60 * 60,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);	/* not the freeing session's to choose */
	DefineCustomIntVariable("booking.max_nights",
							"Longest stay reserve_range and search accept, in nights.",
							NULL,
							&booking_max_nights, 365, 1, 3660,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.lock_timeout",
							"Longest wait for an inventory or reservation row lock before failing with BK007.",
							"0 waits as long as it takes (subject to the server's lock_timeout).",
							&booking_lock_timeout_ms, 0, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.node_id",
							"Number of this node (shard); every id it issues is n * 1024 + node_id.",
							"Give each shard its own value, 0..1023.",
							&booking_node_id, 0, 0, BOOKING_NODE_SPAN - 1,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.idempotency_retention",
							"How long idempotency keys are kept at least.",
							NULL,
							&booking_idempotency_retention_s, 24 * 60 * 60, 60, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.ical_max_events",
							"Most events one ical_import reads from a calendar.",
							"A calendar with more is refused (54000) as soon as the reader meets one too many, and nothing is applied.",
							&booking_ical_max_events, 10000, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("booking.notify_events",
							 "Sends NOTIFY booking_events with the event id from every transaction that writes an event.",
							 "Off by default: PostgreSQL commits notifying transactions one at a time.  Either way the sweeper sends one NOTIFY per round in which it published events, within milliseconds of the commit.",
							 &booking_notify_events, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.payment_extension",
							"How long begin_payment keeps a hold alive when it is not given an interval.",
							"The hold's deadline becomes at least now plus this.",
							&booking_payment_extension_s, 10 * 60, 1, 7 * 24 * 60 * 60,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.sweep_interval",
							"How often the sweeper wakes to expire holds past their deadline.",
							NULL,
							&booking_sweep_interval_ms, 1000, 10, 60 * 60 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.sweep_batch",
							"Most holds the sweeper expires in one transaction.",
							NULL,
							&booking_sweep_batch, 500, 1, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("booking.event_retention",
							"How long acknowledged events are kept before the sweeper removes them.",
							NULL,
							&booking_event_retention_s, 7 * 24 * 60 * 60, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineSweeperGucs();
}

/*
 * booking_shmem_request asks the postmaster for room for the library's
 * three pieces of shared memory: the counters (stats.c), the launcher's
 * and the sweeper's state (workerstate.c) and the restore fence
 * (restore_fence.c).
 */
static void
booking_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(BookingStatsShmemSize());
	RequestAddinShmemSpace(bk_workerstate_shmem_size());
	RequestAddinShmemSpace(bk_fence_shmem_size());
}

/*
 * booking_shmem_startup attaches to (or creates) all three.
 */
static void
booking_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	BookingStatsShmemInit();
	bk_fence_shmem_init();
	bk_workerstate_shmem_init();
	LWLockRelease(AddinShmemInitLock);
}

/*
 * _PG_init only dispatches.  The GUCs come first, in every session; what
 * needs shared memory or the postmaster (the counters, the launcher and
 * its sweeper, the hooks that keep the sweeper out of restores and of DDL
 * on its database) only when the library is preloaded, and never during
 * pg_upgrade.
 */
void
_PG_init(void)
{
	DefineGucs();
	MarkGUCPrefixReserved("booking");
	if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = booking_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = booking_shmem_startup;
	BookingHooksInit();
	BookingLauncherRegister();
}

/*-------------------------------------------------------------------------
 * booking.c
 *    Module entry point: PG_MODULE_MAGIC, _PG_init and the booking.* GUCs.
 *
 * Every GUC here is settable without preloading the library, so each
 * SQL-callable function works whether or not booking is in
 * shared_preload_libraries.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "booking.h"

PG_MODULE_MAGIC;

int			booking_hold_ttl_s = 15 * 60;
int			booking_max_nights = 365;
int			booking_lock_timeout_ms = 0;
int			booking_node_id = 0;
int			booking_idempotency_retention_s = 24 * 60 * 60;

void		_PG_init(void);

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
}

/*
 * _PG_init only dispatches: it defines the GUCs and reserves the prefix.
 */
void
_PG_init(void)
{
	DefineGucs();
	MarkGUCPrefixReserved("booking");
}

/*-------------------------------------------------------------------------
 * booking.h
 *    Declarations shared by the booking extension's C files: SQLSTATEs,
 *    GUC variables, the SPI helpers and the inventory primitives.
 *-------------------------------------------------------------------------
 */
#ifndef BOOKING_H
#define BOOKING_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* SQLSTATEs of the public contract (../shared/API.md, "Errors") */
#define ERRCODE_BOOKING_NO_AVAILABILITY			MAKE_SQLSTATE('B','K','0','0','1')
#define ERRCODE_BOOKING_HOLD_EXPIRED			MAKE_SQLSTATE('B','K','0','0','2')
#define ERRCODE_BOOKING_INVALID_TRANSITION		MAKE_SQLSTATE('B','K','0','0','3')
#define ERRCODE_BOOKING_IDEMPOTENCY_MISMATCH	MAKE_SQLSTATE('B','K','0','0','4')
#define ERRCODE_BOOKING_NOT_FOUND				MAKE_SQLSTATE('B','K','0','0','5')
#define ERRCODE_BOOKING_RESTRICTION_VIOLATION	MAKE_SQLSTATE('B','K','0','0','6')
#define ERRCODE_BOOKING_BUSY					MAKE_SQLSTATE('B','K','0','0','7')

/* Ids are n * BOOKING_NODE_SPAN + booking.node_id */
#define BOOKING_NODE_SPAN		1024

/* Longest idempotency key, in bytes */
#define BOOKING_MAX_KEY_BYTES	255

/* Longest range open_inventory writes in one call, in nights */
#define BOOKING_MAX_OPEN_NIGHTS	3660

/* GUCs (booking.c) */
extern int	booking_hold_ttl_s;
extern int	booking_max_nights;
extern int	booking_lock_timeout_ms;
extern int	booking_node_id;
extern int	booking_idempotency_retention_s;
extern int	booking_payment_extension_s;
extern int	booking_sweep_interval_ms;
extern int	booking_sweep_batch;
extern int	booking_event_retention_s;
extern char *booking_database;
extern int	booking_sweeper_lock_timeout_ms;
extern bool booking_calendar_maintenance;
extern bool booking_notify_events;

/* Live hold states: they count against inventory as `held` */
#define BK_LIVE_HOLD_STATES "'{held,payment_pending}'::booking.booking_state[]"

/*
 * A prepared statement kept for the life of the backend.  Declare one as
 * `static BookingPlan plan = {"SQL", nargs, {types}};` and run it with
 * bk_exec(); it is prepared on first use, with a generic plan.  A fourth
 * member, CURSOR_OPT_CUSTOM_PLAN, makes it planned afresh at each run, for
 * batch statements whose best plan depends on how much data there is.
 */
typedef struct BookingPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[12];
	int			cursor_options;
	SPIPlanPtr	plan;
} BookingPlan;

/* spi_util.c */
extern void bk_connect(void);
extern void bk_finish(void);
extern int	bk_exec(BookingPlan *plan, Datum *values, const char *nulls, long count);
extern int	bk_exec_locking(BookingPlan *plan, Datum *values, const char *nulls,
							long count, const char *what);
extern Datum bk_get(uint64 row, int col, bool *isnull);
extern Datum bk_get_notnull(uint64 row, int col);
extern int32 bk_get_int32(uint64 row, int col);
extern int64 bk_get_int64(uint64 row, int col);
extern Datum bk_copy_result_datum(uint64 row, int col);
extern void bk_return_rows(FunctionCallInfo fcinfo);

/* validate.c */
typedef struct BkStayRequest
{
	int64		property_id;
	char	   *room_type;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
} BkStayRequest;

extern void bk_require_arg(FunctionCallInfo fcinfo, int argno, const char *name);
extern int32 bk_require_positive(FunctionCallInfo fcinfo, int argno, const char *name);
extern void bk_stay_request(FunctionCallInfo fcinfo, BkStayRequest *stay);
extern void bk_validate_stay(DateADT check_in, DateADT check_out);
extern void bk_validate_dates(DateADT first, DateADT end);
extern void bk_require_interval_within(Interval *span, const char *name, const char *hint);
extern DateADT bk_local_today(const char *time_zone);
extern void bk_validate_time_zone(const char *time_zone);
extern char *bk_date_str(DateADT d);
extern TimestampTz bk_now(void);


/* inventory.c */
typedef enum BkNightsChange
{
	BK_HOLD,					/* held += rooms */
	BK_UNHOLD,					/* held -= rooms */
	BK_BOOK_HELD,				/* held -= rooms, booked += rooms */
	BK_BOOK,					/* booked += rooms */
	BK_UNBOOK					/* booked -= rooms */
} BkNightsChange;

/* The first night of a stay that lacks the units asked for */
typedef struct BkShortage
{
	DateADT		night;
	int32		available;		/* free units that night */
	bool		missing;		/* the night has no inventory row at all */
} BkShortage;

extern bool bk_acquire_nights(int64 property_id, const char *room_type,
							  DateADT check_in, DateADT check_out,
							  int32 rooms, BkNightsChange change, bool clear_dead_holds,
							  Numeric *total_price, BkShortage *shortage);
extern void bk_lock_nights(int64 property_id, const char *room_type,
						   DateADT check_in, DateADT check_out);
extern void bk_change_nights(int64 property_id, const char *room_type,
							 DateADT check_in, DateADT check_out,
							 int32 rooms, BkNightsChange change);

/* catalog.c */
extern void bk_require_property(int64 property_id);

/* calendar.c */
extern bool bk_schema_has_calendar(void);
extern DateADT bk_first_of_month(DateADT day);
extern void bk_calendar_shift(int64 property_id, const char *room_type,
							  DateADT check_in, DateADT check_out, int32 delta);
extern void bk_calendar_refresh_range(int64 property_id, const char *room_type,
									  DateADT first, DateADT end);
extern void bk_calendar_refresh_reservations(Datum ids_array);
extern void bk_calendar_set_has_rules(int64 property_id, const char *room_type, bool has_rules);

/* compat.c */
extern void bk_compat_availability(FunctionCallInfo fcinfo, int64 property_id,
								   DateADT check_in, DateADT check_out);
extern void bk_compat_search(FunctionCallInfo fcinfo, int32 rooms, int32 max_results);

/* rules.c */
typedef struct BkRuleViolation
{
	const char *rule;			/* min_stay, stop_sell, ... */
	DateADT		night;			/* the night whose rule it is */
	char	   *detail;			/* a sentence for people */
} BkRuleViolation;

extern bool bk_check_stay_rules(int64 property_id, const char *room_type,
								DateADT check_in, DateADT check_out, DateADT today,
								BkRuleViolation *violation);

/* idempotency.c */
extern bytea *bk_request_digest(int64 property_id, const char *room_type,
								DateADT check_in, DateADT check_out,
								int32 rooms, Interval *hold);
extern bool bk_claim_key(const char *scope, const char *key, bytea *digest,
						 int64 property_id, int64 *existing_reservation);
extern void bk_record_key(const char *scope, const char *key, int64 reservation_id);

/* lifecycle.c, reserve.c: whole-row fetch of a reservation */
extern Datum bk_reservation_row(int64 reservation_id);

/* expiry.c */
extern int	bk_expire_reservations(Datum ids_array);
extern int	bk_expire_due_holds(int32 max_rows);

/* events.c */
extern void bk_emit_events(const char *kind, Datum ids_array);
extern void bk_emit_event(const char *kind, int64 reservation_id);
extern int	bk_publish_events(void);
extern void bk_notify_published(void);
extern int	bk_purge_events(int32 max_rows);
extern Datum bk_int8_array(int64 *values, int n);

/* stats.c */
typedef enum BkStat
{
	BK_STAT_RESERVE_ATTEMPTS,
	BK_STAT_RESERVE_SUCCESSES,
	BK_STAT_RESERVE_CONFLICTS,
	BK_STAT_IDEMPOTENT_REPLAYS,
	BK_STAT_PAYMENTS_BEGUN,
	BK_STAT_CONFIRMS,
	BK_STAT_LATE_CONFIRMS,
	BK_STAT_CANCELS,
	BK_STAT_EXPIRATIONS,
	BK_STAT_LOCK_TIMEOUTS,
	BK_STAT_SWEEPER_RUNS,
	BK_STAT_SWEEPER_ERRORS,		/* sweeper rounds in which a step failed */
	BK_STAT_EXPIRY_FAILURES,	/* holds the sweeper could not expire */
	BK_STAT_COUNT
} BkStat;

extern void bk_stat_add(BkStat stat, uint64 n);
extern void bk_stat_add_on_commit(BkStat stat, uint64 n);
extern void bk_stat_sweep_done(bool succeeded);
extern Size BookingStatsShmemSize(void);
extern void BookingStatsShmemInit(void);

/* sweeper.c */
extern int	bk_purge_idempotency_keys(int32 max_rows);

/*
 * The sweeper, its launcher and what keeps them out of the way
 * (workerstate.c, launcher.c, sweeper.c, restore_fence.c, hooks.c,
 * expiry.c, repair.c).
 */

/* Callable from any backend, also from a commit callback: never errors */
extern void BookingSweeperWake(void);
extern bool BookingSweeperServesThisDatabase(void);
extern bool BookingSweeperPaused(void);

/* workerstate.c: the shared state of the launcher and the sweeper */
extern void BookingShmemInit(void);
extern void bk_launcher_attach(void);
extern pid_t bk_sweeper_current(Oid *dboid);
extern uint64 bk_sweeper_attaches(void);
extern bool bk_sweeper_attach(Oid dboid);
extern bool bk_sweeper_exit_requested(void);
extern void bk_sweeper_request_exit(void);
extern void bk_sweeper_set_paused(bool paused);
extern TimestampTz bk_launch_paused_until(void);
extern void bk_sweeper_step_aside(Oid dboid);
extern void bk_sweeper_step_aside_done(void);

/* launcher.c */
extern void BookingLauncherRegister(void);

/* restore_fence.c: backends loading data hold the sweeper off */
extern Size bk_fence_shmem_size(void);
extern void bk_fence_shmem_init(void);
extern void bk_fence_register_loader(Oid relid);
extern bool bk_fence_enter(Oid dboid, pid_t *loader_pid);
extern void bk_fence_leave(void);

/* hooks.c */
extern void BookingHooksInit(void);

/* expiry.c: the sweeper's picking, so that it can isolate a bad hold */
extern int	bk_pick_due_holds(int32 max_rows, Datum skip_ids,
							  MemoryContext keep, int64 **ids);
extern int	bk_expire_due_hold(int64 reservation_id);

#endif							/* BOOKING_H */

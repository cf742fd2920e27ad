/*-------------------------------------------------------------------------
 * booking.h
 *    Declarations shared by the booking extension's C files: SQLSTATEs,
 *    GUC variables, the SPI helpers and the inventory primitives.
 *-------------------------------------------------------------------------
 */
#ifndef BOOKING_H
#define BOOKING_H

#include "postgres.h"

#include "access/genam.h"
#include "access/skey.h"
#include "access/transam.h"
#include "common/int.h"
#include "executor/spi.h"
#include "nodes/execnodes.h"
#include "fmgr.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

struct BkSaleTerms;				/* reservation.c */

/* SQLSTATEs of the public contract (README.md, "Errors"; docs/reference.md) */
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

/*
 * Longest text arguments, in bytes (bk_text_arg refuses longer ones with
 * 22023).  Every indexed value stays far below the btree limit of about
 * 2,700 bytes per entry: the widest key, idempotency_key's (scope, key),
 * is at most 200 + 255 bytes.
 *   REF: references from outside: guest_id, payment_ref, payment_intent,
 *        confirmation codes, event consumers, channels, external ids;
 *   NAME: names of properties and room types, cities;
 *   CODE: room type, rate plan, policy and block codes;
 *   TIME_ZONE: time zone names (the longest IANA name is 32 bytes);
 *   REASON: free text such as a cancellation reason (not indexed).
 */
#define BOOKING_MAX_REF_BYTES		200
#define BOOKING_MAX_NAME_BYTES		200
#define BOOKING_MAX_CODE_BYTES		32
#define BOOKING_MAX_BLOCK_CODE_BYTES	64	/* 2.0: a block's code */
#define BOOKING_MAX_TIME_ZONE_BYTES	64
#define BOOKING_MAX_REASON_BYTES	1000

/*
 * Highest price of a room for a night (bk_validate_price).  Totals are at
 * most this x BOOKING_MAX_OPEN_NIGHTS nights x 2^31 rooms, about 8e21,
 * nowhere near numeric's limit (10^131072), so no sum or product the
 * engine makes of prices can overflow.
 */
#define BOOKING_MAX_PRICE		INT64CONST(1000000000)

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
extern int	booking_sweeper_workers;
extern bool booking_notify_events;

/* Live hold states: they count against inventory as `held` */
#define BK_LIVE_HOLD_STATES "'{held,payment_pending}'::booking.booking_state[]"

/*
 * Predicates on a state column: whether it counts against inventory at
 * all (every state but cancelled and expired), and as booked (confirmed
 * and, from 2.0, checked_in, checked_out and no_show).  Written by
 * exclusion so that they also hold on a 1.x schema, whose enum lacks the
 * states of the stay.
 */
#define BK_COUNTED_STATE(col) \
	col " OPERATOR(pg_catalog.<>) ALL ('{cancelled,expired}'::booking.booking_state[])"
#define BK_BOOKED_STATE(col) \
	col " OPERATOR(pg_catalog.<>) ALL ('{held,payment_pending,cancelled,expired}'::booking.booking_state[])"

/*
 * The common table expression `expected`: what the reservations hold and
 * book of each night they cover, recounted from booking.reservation.
 * check_invariants judges booking.inventory against it, and
 * repair_inventory rewrites drifted nights to it: one recount for both.
 */
#define BK_RECOUNT_CTE \
	" expected AS (" \
	"  SELECT r.property_id, r.room_type, r.check_in OPERATOR(pg_catalog.+) g AS night," \
	"         COALESCE(pg_catalog.sum(r.rooms) FILTER (" \
	"             WHERE r.state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")), 0)::int AS held," \
	"         COALESCE(pg_catalog.sum(r.rooms) FILTER (" \
	"             WHERE " BK_BOOKED_STATE("r.state") "), 0)::int AS booked" \
	"    FROM booking.reservation r," \
	"         pg_catalog.generate_series(0, (r.check_out OPERATOR(pg_catalog.-) r.check_in)" \
	"                                       OPERATOR(pg_catalog.-) 1) g" \
	"   WHERE " BK_COUNTED_STATE("r.state") \
	"   GROUP BY 1, 2, 3)"

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

/* lockwait.c: a region that may wait for locks, bounded by booking.lock_timeout */
typedef struct BkLockWait
{
	bool		armed;			/* the engine's timer runs for this region */
	bool		expired;		/* and it fired */
	int			nest_level;		/* a statement's: the GUC nest level of its
								 * lock_timeout, or -1 */
} BkLockWait;

extern void bk_lock_wait_begin(BkLockWait *wait);
extern void bk_lock_wait_begin_statement(BkLockWait *wait);
extern bool bk_lock_wait_timed_out(BkLockWait *wait, ErrorData *edata);
extern bool bk_lock_wait_end(BkLockWait *wait);
extern void bk_report_lock_timeout(ErrorData *edata, const char *what, const BkLockWait *wait)
			pg_attribute_noreturn();

/* spi_util.c */
extern void bk_connect(void);
extern void bk_connect_read_only(void);
extern void bk_finish(void);
extern int	bk_exec(BookingPlan *plan, Datum *values, const char *nulls, long count);
extern Portal bk_cursor_open(BookingPlan *plan, Datum *values, const char *nulls);
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
extern struct TriggerData *bk_require_row_trigger(FunctionCallInfo fcinfo, uint32 operation,
												   const char *name);
extern void bk_check_text_length(Size len, const char *name, int max_bytes);
extern char *bk_text_arg(FunctionCallInfo fcinfo, int argno, const char *name,
						 int max_bytes, bool required, bool nonempty);
extern void bk_validate_price(Datum price, const char *name);
extern int32 bk_require_positive(FunctionCallInfo fcinfo, int argno, const char *name);
extern int32 bk_guests_arg(FunctionCallInfo fcinfo, int argno);
extern void bk_stay_request(FunctionCallInfo fcinfo, BkStayRequest *stay);
extern void bk_validate_stay(DateADT check_in, DateADT check_out);
extern void bk_validate_dates(DateADT first, DateADT end);
extern void bk_require_interval_within(Interval *span, const char *name, const char *hint);
extern DateADT bk_local_today(const char *time_zone);
extern TimestampTz bk_now_plus(Interval *span);
extern TimestampTz bk_local_day_start(DateADT day, const char *time_zone);
extern void bk_validate_time_zone(const char *time_zone);
extern char *bk_date_str(DateADT d);
extern TimestampTz bk_now(void);
extern void bk_validate_night_range(DateADT first, DateADT end, const char *what);
extern void bk_report_no_property(int64 property_id) pg_attribute_noreturn();
extern void bk_report_no_room_type(int64 property_id, const char *room_type) pg_attribute_noreturn();
extern void bk_report_no_reservation(int64 reservation_id) pg_attribute_noreturn();

/* values.c */
extern bool bk_same_text(Datum a, Datum b);
extern Datum bk_int8_array(int64 *values, int n);
extern int	bk_int64_cmp(const void *a, const void *b);
extern DateADT bk_first_of_month(DateADT day);
extern DateADT bk_next_month(DateADT first);
extern Datum bk_base_plan_text(void);
extern Datum bk_numeric_zero(void);
extern Datum bk_max_price(void);
extern Datum bk_cents_zero(void);
extern Datum bk_hundredth(void);
extern Numeric bk_round_cents(Numeric amount);

/* cents.c */
extern bool bk_numeric_cents(Datum value, int64 *cents, int *dscale);
extern Datum bk_cents_numeric(int64 cents, int dscale);

/*
 * A sum of prices: in cents while every term is a whole number of cents
 * (cents.c), else numeric.  Either way it is the value, with the display
 * scale, that numeric_add would have made of the same terms.
 */
typedef struct BkPriceSum
{
	bool		in_cents;
	int64		cents;			/* in_cents: the sum in hundredths */
	int			dscale;			/* in_cents: the largest display scale of a term */
	Datum		numeric;		/* the sum as numeric: made when needed if in_cents */
} BkPriceSum;

extern Datum bk_price_sum_numeric(BkPriceSum *sum);
extern void bk_price_sum_set_numeric(BkPriceSum *sum, Datum value);
extern void bk_price_sum_add_numeric(BkPriceSum *into, BkPriceSum *more);
extern void bk_price_sum_times(BkPriceSum *sum, int32 rooms);
extern int	bk_price_sum_cmp(BkPriceSum *x, BkPriceSum *y);

/*
 * bk_price_sum_zero, _set and _add are inline: search calls them for every
 * night of every room type of a city, and their cents path is a few
 * instructions (the numeric path is in cents.c).
 */

/* bk_price_sum_zero makes `sum` the empty sum: numeric 0, display scale 0 */
static inline void
bk_price_sum_zero(BkPriceSum *sum)
{
	sum->in_cents = true;
	sum->cents = 0;
	sum->dscale = 0;
	sum->numeric = (Datum) 0;
}

/*
 * bk_price_sum_set makes `sum` the numeric `value` (which need not outlive
 * the call): in cents when it is whole cents, else a copy of it.
 */
static inline void
bk_price_sum_set(BkPriceSum *sum, Datum value)
{
	bk_price_sum_zero(sum);
	if (!bk_numeric_cents(value, &sum->cents, &sum->dscale))
		bk_price_sum_set_numeric(sum, value);
}

/* bk_price_sum_add adds `more` to `into` */
static inline void
bk_price_sum_add(BkPriceSum *into, BkPriceSum *more)
{
	int64		cents;

	if (into->in_cents && more->in_cents && !pg_add_s64_overflow(into->cents, more->cents, &cents))
	{
		into->cents = cents;
		into->dscale = Max(into->dscale, more->dscale);
		into->numeric = (Datum) 0;
		return;
	}
	bk_price_sum_add_numeric(into, more);
}

/* The plan every room type has: the inventory's price (2.0) */
#define BK_BASE_PLAN "BASE"

/* inventory.c */
/* The first night of a stay that lacks the units asked for */
typedef struct BkShortage
{
	DateADT		night;
	int32		available;		/* free units that night */
	bool		missing;		/* the night has no inventory row at all */
} BkShortage;

/* catalog.c */
extern void bk_require_property(int64 property_id);
extern void bk_lock_room_type(int64 property_id, const char *room_type);

/* calendar.c */
/* A change of free units on the nights [first_night, end_night) */
typedef struct BkCalendarDelta
{
	int64		property_id;
	Datum		room_type;		/* text */
	DateADT		first_night;
	DateADT		end_night;
	int32		delta;
} BkCalendarDelta;

/*
 * A `modified` event (2.0) carries the new stay's calendar change in its
 * delta columns; the change it undoes, the old stay's units given back,
 * is read from its payload's "before" (one event carries one range): the
 * SQL below gives that second change as rows (property_id, room_type,
 * first_night, end_night, free_delta) of the events of alias `e`.
 */
#define BK_MODIFIED_BEFORE_COLUMNS(e) \
	e ".property_id, (" e ".payload OPERATOR(pg_catalog.->) 'before') OPERATOR(pg_catalog.->>) 'room_type'," \
	" ((" e ".payload OPERATOR(pg_catalog.->) 'before') OPERATOR(pg_catalog.->>) 'check_in')::date," \
	" ((" e ".payload OPERATOR(pg_catalog.->) 'before') OPERATOR(pg_catalog.->>) 'check_out')::date," \
	" ((" e ".payload OPERATOR(pg_catalog.->) 'before') OPERATOR(pg_catalog.->>) 'rooms')::int"
#define BK_MODIFIED_EVENT(e) \
	e ".kind OPERATOR(pg_catalog.=) 'modified' AND " e ".free_delta IS NOT NULL"

/*
 * The calendar's "not on sale" day from 1.2 on.  Any other value, below
 * zero too, is on sale: folds may run ahead of each other for a while.
 */
#define BK_NOT_ON_SALE		PG_INT32_MIN
#define BK_NOT_ON_SALE_SQL	"(-2147483648)"

/*
 * A night's units on public sale, in SQL, for the row alias given: from
 * 2.0 the units set aside for blocks are not (BK_NIGHT_FREE in C); before
 * 2.0 there is no `blocked` column.  The one formula of the SQL paths.
 */
#define BK_FREE_SQL(a) \
	"((" a ".units OPERATOR(pg_catalog.-) " a ".held) OPERATOR(pg_catalog.-) " a ".booked)"
#define BK_FREE_2_0_SQL(a) \
	"(((" a ".units OPERATOR(pg_catalog.-) " a ".held) OPERATOR(pg_catalog.-) " a ".booked)" \
	" OPERATOR(pg_catalog.-) " a ".blocked)"

extern bool bk_publisher_try_lock(FullTransactionId *scan_from);
extern void bk_publisher_lock(void);
extern bool bk_publisher_lock_held(void);
extern void bk_calendar_fold(BkCalendarDelta *deltas, int n);
extern void bk_calendar_refresh_ranges(int n, const int64 *property_ids, char *const *room_types,
									   const DateADT *firsts, const DateADT *ends);
extern void bk_calendar_refresh_range(int64 property_id, const char *room_type,
									  DateADT first, DateADT end);
extern void bk_calendar_set_has_rules(int64 property_id, const char *room_type, bool has_rules);

/* load_signal.c: what says that rows came into booking.event by other means */
extern bool bk_rounds_look_from_start(void);
extern Datum bk_load_signals(void);
extern bool bk_load_signalled(void);

/* calendar_read.c */
extern BkCalendarDelta *bk_calendar_pending(DateADT first, DateADT end, int64 property_id, int *n);
extern int32 bk_calendar_pending_on(const BkCalendarDelta *deltas, int n, int64 property_id,
									Datum room_type, DateADT night);
extern bool bk_calendar_off_sale(int32 free);

/* compat.c: the schema's version, and serving databases at 1.0 and 1.1 */
extern bool bk_schema_has_calendar(void);
extern bool bk_schema_has_event_deltas(void);
extern bool bk_schema_has_night_prices(void);
extern bool bk_schema_has_load_signal(void);
extern bool bk_schema_has_event_pass(void);
extern bool bk_unit_has_event_deltas(void);
extern bool bk_unit_has_rules_flag(void);
extern void bk_compat_availability(FunctionCallInfo fcinfo, int64 property_id,
								   DateADT check_in, DateADT check_out);
extern void bk_compat_search(FunctionCallInfo fcinfo, int32 guests_per_room, int32 rooms,
							 int32 max_results);
extern void bk_compat_calendar_shift(int64 property_id, Datum room_type,
									 DateADT check_in, DateADT check_out, int32 delta);
extern bool bk_compat_publish_lock(void);

/* rules.c */
typedef struct BkRuleViolation
{
	const char *rule;			/* min_stay, stop_sell, ... */
	DateADT		night;			/* the night whose rule it is */
	char	   *detail;			/* a sentence for people */
} BkRuleViolation;

extern int32 bk_party_size(int32 guests, int32 children);
extern char *bk_guests_violation(int32 rooms, int32 guests, int32 max_guests);
extern void bk_check_guests(int64 property_id, const char *room_type, int32 rooms,
							int32 guests, int32 max_guests);
extern void bk_require_stay_rules(int64 property_id, const char *room_type, DateADT check_in,
								  DateADT check_out, DateADT today);
extern bool bk_check_stay_rules(int64 property_id, const char *room_type,
								DateADT check_in, DateADT check_out, DateADT today,
								BkRuleViolation *violation);
/* the rules of one rate plan (2.0; 'BASE' too), on top of the room type's */
extern void bk_require_plan_rules(int64 property_id, const char *room_type, const char *plan,
								  DateADT check_in, DateADT check_out, DateADT today);
extern bool bk_check_plan_rules(int64 property_id, const char *room_type, const char *plan,
								DateADT check_in, DateADT check_out, DateADT today,
								BkRuleViolation *violation);

/* idempotency.c */
extern bytea *bk_request_digest(int64 property_id, const char *room_type,
								DateADT check_in, DateADT check_out,
								int32 rooms, Interval *hold, int32 guests,
								const struct BkSaleTerms *terms);
extern bytea *bk_text_digest(const char *canonical);
extern bool bk_claim_key(const char *scope, const char *key, bytea *digest,
						 int64 property_id, int64 *existing_reservation);
extern void bk_record_key(const char *scope, const char *key, int64 reservation_id);
extern int	bk_purge_idempotency_keys(int32 max_rows);

/* direct.c: reading and writing the tables without SPI */
typedef enum BkTable
{
	BK_PROPERTY,
	BK_ROOM_TYPE,
	BK_INVENTORY,
	BK_RESERVATION,
	BK_EVENT,
	BK_ROOM_CALENDAR,
	BK_RATE_PLAN,				/* 2.0 */
	BK_RATE,					/* 2.0 */
	BK_EVENT_PUBLISHER,			/* 1.2: its one row's scan_from, read by readers */
	BK_EVENT_PASS,				/* 2.0: a row per publishing pass (event_pass.c) */
	BK_TABLE_COUNT
} BkTable;

typedef enum BkIndex
{
	BK_PROPERTY_PKEY,
	BK_ROOM_TYPE_PKEY,
	BK_ROOM_TYPE_PLANS_IDX,		/* 2.0: room types with plans or plan rules */
	BK_INVENTORY_PKEY,
	BK_RESERVATION_PKEY,
	BK_RESERVATION_LIVE_HOLDS_IDX,
	BK_RESERVATION_PAYMENT_REF_KEY,
	BK_RESERVATION_PAYMENT_INTENT_KEY,
	BK_RESERVATION_GROUP_IDX,	/* 2.0 */
	BK_EVENT_UNPUBLISHED_IDX,	/* 1.1 */
	BK_EVENT_UNPUBLISHED_XID_IDX,
	BK_ROOM_CALENDAR_PKEY,
	BK_ROOM_CALENDAR_CITY_MONTH_IDX,	/* 1.1: search's walk of a city */
	BK_RATE_PLAN_PKEY,			/* 2.0 */
	BK_RATE_PKEY,				/* 2.0 */
	BK_EVENT_PASS_PKEY,			/* 2.0: the last pass */
	/* and the sequences ids come from */
	BK_RESERVATION_ID_SEQ,
	BK_EVENT_ID_SEQ,
	BK_INDEX_COUNT
} BkIndex;

typedef enum BkColumn
{
	BK_PROPERTY_PROPERTY_ID,
	BK_PROPERTY_NAME,
	BK_PROPERTY_CITY,
	BK_PROPERTY_TIME_ZONE,
	BK_ROOM_TYPE_PROPERTY_ID,
	BK_ROOM_TYPE_CODE,
	BK_ROOM_TYPE_MAX_GUESTS,
	BK_ROOM_TYPE_HAS_RULES,
	BK_ROOM_TYPE_HAS_RATE_PLANS,	/* 2.0 */
	BK_ROOM_TYPE_HAS_PLAN_RULES,	/* 2.0 */
	BK_INVENTORY_PROPERTY_ID,
	BK_INVENTORY_ROOM_TYPE,
	BK_INVENTORY_NIGHT,
	BK_INVENTORY_UNITS,
	BK_INVENTORY_HELD,
	BK_INVENTORY_BOOKED,
	BK_INVENTORY_PRICE,
	BK_INVENTORY_OVERBOOKED,	/* 2.0: channels */
	BK_INVENTORY_WAITING,		/* 2.0: the waitlist */
	BK_INVENTORY_BLOCKED,		/* 2.0: blocks */
	BK_RESERVATION_RESERVATION_ID,
	BK_RESERVATION_PROPERTY_ID,
	BK_RESERVATION_ROOM_TYPE,
	BK_RESERVATION_CHECK_IN,
	BK_RESERVATION_CHECK_OUT,
	BK_RESERVATION_ROOMS,
	BK_RESERVATION_GUEST_ID,
	BK_RESERVATION_STATE,
	BK_RESERVATION_HOLD_EXPIRES_AT,
	BK_RESERVATION_TOTAL_PRICE,
	BK_RESERVATION_PAYMENT_REF,
	BK_RESERVATION_CONFIRMATION_CODE,
	BK_RESERVATION_CREATED_AT,
	BK_RESERVATION_UPDATED_AT,
	BK_RESERVATION_CANCEL_REASON,
	BK_RESERVATION_PAYMENT_INTENT,
	BK_RESERVATION_GUESTS,		/* 2.0 */
	BK_RESERVATION_GROUP_ID,	/* 2.0 */
	BK_RESERVATION_RATE_PLAN,	/* 2.0 */
	BK_RESERVATION_CHILDREN,	/* 2.0 */
	BK_RESERVATION_CANCELLATION_FEE,	/* 2.0 */
	BK_RESERVATION_BLOCK,		/* 2.0: blocks */
	BK_RESERVATION_NIGHT_PRICES,	/* 2.0: night_prices.c */
	BK_RESERVATION_NIGHT_EXTRA, /* 2.0: per night, for the whole reservation */
	BK_EVENT_EVENT_ID,
	BK_EVENT_OCCURRED_AT,
	BK_EVENT_KIND,
	BK_EVENT_RESERVATION_ID,
	BK_EVENT_PROPERTY_ID,
	BK_EVENT_PAYLOAD,
	BK_EVENT_WRITER_XID,
	BK_EVENT_POSITION,
	BK_EVENT_ROOM_TYPE,
	BK_EVENT_FIRST_NIGHT,
	BK_EVENT_END_NIGHT,
	BK_EVENT_FREE_DELTA,
	BK_ROOM_CALENDAR_PROPERTY_ID,
	BK_ROOM_CALENDAR_ROOM_TYPE,
	BK_ROOM_CALENDAR_MONTH,
	BK_ROOM_CALENDAR_PROPERTY_NAME,
	BK_ROOM_CALENDAR_CITY,
	BK_ROOM_CALENDAR_TIME_ZONE,
	BK_ROOM_CALENDAR_MAX_GUESTS,
	BK_ROOM_CALENDAR_HAS_RULES,
	BK_ROOM_CALENDAR_FREE,
	BK_ROOM_CALENDAR_PRICE,
	BK_RATE_PLAN_CODE,
	BK_RATE_PLAN_PARENT,
	BK_RATE_PLAN_ADJUST_PCT,
	BK_RATE_PLAN_ADJUST_AMOUNT,
	BK_RATE_PLAN_BASE_OCCUPANCY,
	BK_RATE_PLAN_EXTRA_ADULT,
	BK_RATE_PLAN_EXTRA_CHILD,
	BK_RATE_PLAN_POLICY,
	BK_RATE_NIGHT,
	BK_RATE_PRICE,
	BK_EVENT_PUBLISHER_SCAN_FROM,
	BK_EVENT_PASS_FIRST_POSITION,
	BK_EVENT_PASS_EVENT_IDS,
	BK_COLUMN_COUNT
} BkColumn;

/* What a row lock is for, to name it when the wait runs out (BK007) */
typedef struct BkLockTarget
{
	int64		reservation_id; /* a reservation, or 0 */
	int64		property_id;	/* else the nights of a room type */
	Datum		room_type;
	bool		room_type_row;	/* true: the room type's own row, not its nights */
} BkLockTarget;

/* The slots a unit keeps per table, reused call after call */
typedef enum BkSlot
{
	BK_SLOT_FOUND,				/* a row found by an index scan */
	BK_SLOT_LOCKED,				/* the row locked (its newest version) */
	BK_SLOT_NEW,				/* a new version to write (heap tuple) */
	BK_SLOT_INSERT,				/* a new row to insert (virtual) */
	BK_SLOT_COUNT
} BkSlot;

/* One unit of direct work: what one SQL statement would be */
typedef struct BkDirect
{
	EState	   *estate;
	Snapshot	snapshot;
	CommandId	cid;
	bool		writes;
	bool		reader;			/* bk_direct_begin_read: the caller's snapshot */
	Relation	rels[BK_TABLE_COUNT];
	ResultRelInfo *targets[BK_TABLE_COUNT];
	const Oid  *index_oids[BK_TABLE_COUNT];	/* each target's indexes, as it was built */
	Relation	indexes[BK_INDEX_COUNT];
	EPQState	epqstate;
	bool		epq_ready;
	TupleTableSlot *searchslot;
	TupleTableSlot *slots[BK_TABLE_COUNT][BK_SLOT_COUNT];
	/* the room type bk_look_up_place found in this unit (NULL code: none) */
	int64		room_type_property;
	text	   *room_type_code;
	ItemPointerData room_type_tid;
} BkDirect;

extern Oid	bk_table_oid(BkTable table);
extern Oid	bk_index_oid(BkIndex index);
extern void bk_direct_begin(BkDirect *d, bool writes);
extern void bk_direct_begin_read(BkDirect *d);
extern Relation bk_direct_relation(BkDirect *d, BkTable table);
extern ResultRelInfo *bk_direct_target(BkDirect *d, BkTable table);
extern TupleTableSlot *bk_direct_slot(BkDirect *d, BkTable table, BkSlot kind);
extern IndexScanDesc bk_direct_scan(BkDirect *d, BkTable table, BkIndex index,
									ScanKey keys, int nkeys);
extern void bk_direct_rescan(BkDirect *d, IndexScanDesc scan, BkIndex index, ScanKey keys,
							 int nkeys);
extern IndexScanDesc bk_direct_scan_if_usable(BkDirect *d, BkTable table, BkIndex index,
											  ScanKey keys, int nkeys);
extern IndexScanDesc bk_direct_scan_entries(BkDirect *d, BkTable table, BkIndex index,
											ScanKey keys, int nkeys);
extern bool bk_direct_lock(BkDirect *d, BkTable table, ItemPointer tid, TupleTableSlot *slot,
						   LockWaitPolicy wait, const BkLockTarget *what);
extern bool bk_direct_lock_earlier(BkDirect *d, BkTable table, ItemPointer tid,
								   TupleTableSlot *slot, const BkLockTarget *what);
extern bool bk_direct_lock_key(BkDirect *d, BkTable table, ItemPointer tid,
							   TupleTableSlot *slot, const BkLockTarget *what);
extern Oid	bk_direct_engine_fkey(BkDirect *d, BkTable table);
extern char *bk_lock_target_text(const BkLockTarget *what);
extern void bk_direct_update(BkDirect *d, BkTable table, ItemPointer tid,
							 TupleTableSlot *newslot);
extern void bk_direct_update_columns(BkDirect *d, BkTable table, ItemPointer tid, TransactionId old_xmin,
									 TupleTableSlot *newslot, int ncolumns, const int *attnums);
extern bool bk_direct_updates_unlocked(BkDirect *d, BkTable table);
extern TM_Result bk_direct_update_columns_if_newest(BkDirect *d, BkTable table, ItemPointer tid,
													TransactionId old_xmin, TupleTableSlot *newslot,
													int ncolumns, const int *attnums,
													const BkLockTarget *what);
extern void bk_direct_insert(BkDirect *d, BkTable table, TupleTableSlot *slot);
extern void bk_direct_end(BkDirect *d);
extern void bk_direct_null_column(TupleTableSlot *slot, AttrNumber attnum) pg_attribute_noreturn();
extern void bk_slot_new_row(TupleTableSlot *slot);
extern void bk_slot_set(TupleTableSlot *slot, BkColumn column, Datum value);
extern void bk_column_missing(BkColumn column) pg_attribute_noreturn();
extern PGDLLIMPORT AttrNumber bk_column_attnums[];

/* fold_hint.c: where the fold last wrote each calendar row */
extern bool bk_fold_hint_fetch(BkDirect *d, Relation calendar, BlockNumber calendar_blocks,
							   int64 property_id, Datum room_type, DateADT month,
							   TupleTableSlot *found);
extern void bk_fold_hint_remember(int64 property_id, Datum room_type, DateADT month,
								  ItemPointer tid);

/*
 * bk_column returns the attribute number of one of the columns the engine
 * uses, in the table as it is now (the table must have been opened in this
 * unit); bk_has_column says whether the table has it (a database still at
 * an older version may not).  Inline, as bk_direct_get_notnull: the write
 * paths ask for columns about a hundred times a call (docs/performance.md).
 */
static inline AttrNumber
bk_column(BkColumn column)
{
	AttrNumber	attnum = bk_column_attnums[column];

	if (unlikely(attnum <= 0))
		bk_column_missing(column);
	return attnum;
}

static inline bool
bk_has_column(BkColumn column)
{
	return bk_column_attnums[column] > 0;
}

/*
 * bk_direct_get_notnull returns one column of a row the engine read, and
 * fails on NULL (a row the engine wrote always has the column).
 */
static inline Datum
bk_direct_get_notnull(TupleTableSlot *slot, AttrNumber attnum)
{
	bool		isnull;
	Datum		value = slot_getattr(slot, attnum, &isnull);

	if (unlikely(isnull))
		bk_direct_null_column(slot, attnum);
	return value;
}

/* state.c: the reservation states, one C vocabulary for booking_state */
typedef enum BkState
{
	BK_HELD,
	BK_CONFIRMED,
	BK_CANCELLED,
	BK_EXPIRED,
	BK_PAYMENT_PENDING,
	BK_CHECKED_IN,				/* 2.0: the stay */
	BK_CHECKED_OUT,
	BK_NO_SHOW,
	BK_STATE_COUNT
} BkState;

/* The states every schema has come before this one */
#define BK_FIRST_STAY_STATE	BK_CHECKED_IN

extern BkState bk_state_of(Oid enum_type, Oid value);
extern Oid	bk_state_value(Oid enum_type, BkState state);
extern const char *bk_state_name(BkState state);
extern bool bk_state_is_live_hold(BkState state);
extern bool bk_state_counts(BkState state);
extern bool bk_state_is_booked(BkState state);

/* inventory.c: the nights of one room type, locked */
typedef struct BkNight
{
	DateADT		night;
	ItemPointerData tid;		/* of the locked version (or the one read) */
	HeapTuple	tuple;			/* a copy of it */
	int32		units;
	int32		held;
	int32		booked;
	int32		overbooked;		/* 2.0: units sold beyond units (channels) */
	int32		blocked;		/* 2.0: set aside for blocks, not picked up */
	int32		waiting;		/* 2.0: rooms of waiting entries (locked nights only) */
	Datum		price;			/* numeric, inside tuple */
	bool		price_null;
} BkNight;

typedef struct BkNights
{
	int			n;
	BkNight    *nights;			/* in night order */
} BkNights;

extern void bk_nights_lock(BkDirect *d, int64 property_id, Datum room_type,
						   DateADT first, DateADT end, BkNights *nights);
extern void bk_nights_lock_read(BkDirect *d, int64 property_id, Datum room_type,
								DateADT first, DateADT end, const BkNights *read,
								BkNights *nights);
extern void bk_nights_read(BkDirect *d, int64 property_id, Datum room_type,
						   DateADT first, DateADT end, BkNights *nights);
extern void bk_nights_read_versions(BkDirect *d, int64 property_id, Datum room_type,
									DateADT first, DateADT end, BkNights *nights);
extern bool bk_nights_hold_unlocked(BkDirect *d, int64 property_id, Datum room_type,
									const BkNights *read, int32 rooms, BkNights *nights);
extern bool bk_nights_same_prices(const BkNights *a, const BkNights *b);
extern void bk_nights_lock_wait(BkDirect *d, int64 property_id, Datum room_type,
								DateADT first, DateADT end, LockWaitPolicy wait,
								BkNights *nights);
extern void bk_night_change(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta);
extern bool bk_nights_waited_for(const BkNights *nights);
extern void bk_night_change_blocked(BkDirect *d, BkNight *night, int32 held_delta,
									int32 booked_delta, int32 blocked_delta);

/* The units of a night on public sale (never counting overbooked as free) */
#define BK_NIGHT_FREE(night) ((night)->units - (night)->held - (night)->booked - (night)->blocked)
extern bool bk_nights_shortage(const BkNights *nights, DateADT check_in, DateADT check_out,
							   int32 rooms, BkShortage *shortage);
extern Numeric bk_nights_total(const BkNights *nights, int32 rooms);
extern void bk_nights_change(BkDirect *d, BkNights *nights, int32 held_delta, int32 booked_delta);
extern void bk_night_change_waiting(BkDirect *d, BkNight *night, int32 held_delta,
									int32 waiting_delta);
extern void bk_nights_require_all(const BkNights *nights, int64 reservation_id, int64 property_id,
								  const char *room_type, DateADT check_in, DateADT check_out);
extern void bk_lock_nights(int64 property_id, const char *room_type,
						   DateADT check_in, DateADT check_out);

/* night_runs.c: the nights of several stays, locked together (2.0) */
typedef struct BkStaySpan
{
	Datum		room_type;		/* text */
	DateADT		first;
	DateADT		end;
} BkStaySpan;

typedef struct BkNightRun
{
	Datum		room_type;		/* text */
	DateADT		first;
	DateADT		end;
	BkNights	nights;			/* locked (or read) */
	int32	   *held_delta;		/* per night of `nights`: the change to held */
	int32	   *booked_delta;	/* and to booked */
} BkNightRun;

extern int	bk_room_type_cmp(Datum a, Datum b);
extern int	bk_night_runs(const BkStaySpan *spans, int n, BkNightRun **runs);
extern void bk_night_runs_lock(BkDirect *d, int64 property_id, BkNightRun *runs, int nruns,
							   bool lock);
extern BkNightRun *bk_night_runs_slice(BkNightRun *runs, int nruns, Datum room_type,
									   DateADT first, DateADT end, BkNights *slice, int *offset);
extern void bk_night_runs_apply(BkDirect *d, BkNightRun *runs, int nruns);

/* reservation.c: a reservation row, locked and written without SPI */
/*
 * The prices a reservation is sold at (2.0, night_prices.c): the price of
 * one room for each night from check_in on, and the extras of the whole
 * reservation per night (NULL: none).
 */
typedef struct BkSoldPrices
{
	const Datum *prices;		/* numeric, one per night */
	int			n;
	Numeric		extra;
} BkSoldPrices;

typedef struct BkReservation
{
	int64		reservation_id;
	int64		property_id;
	Datum		room_type;		/* text */
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	BkState		state;
	bool		has_deadline;
	TimestampTz hold_expires_at;
	char	   *payment_ref;	/* NULL when none */
	char	   *payment_intent; /* NULL when none */
	ItemPointerData tid;		/* of the locked (or newest written) version */
	HeapTuple	tuple;			/* a copy of it */
	TransactionId xmin;			/* the transaction that wrote that version */
} BkReservation;

extern Oid	bk_state_type(BkDirect *d);
extern bool bk_reservation_lock(BkDirect *d, int64 id, BkReservation *r, LockWaitPolicy wait);
extern char *bk_reservation_room_type(const BkReservation *r);
extern char *bk_reservation_guest_id(BkDirect *d, const BkReservation *r);
extern bool bk_reservation_read(BkDirect *d, int64 id, BkReservation *r);
extern bool bk_reservation_peek(BkDirect *d, int64 id, const char *guest_id, int64 *property_id);

/* reserve.c: what a stay's call learns about its property and room type */
typedef struct BkStayPlace
{
	char	   *time_zone;		/* NULL: not read (bk_look_up_place_for_check_in) */
	bool		has_rules;
	bool		has_plan_rules; /* 2.0: rules of its rate plans */
	int32		max_guests;		/* per room */
} BkStayPlace;

extern void bk_validate_key(Size len);
extern char *bk_look_up_property(BkDirect *d, int64 property_id);
extern void bk_look_up_place(BkDirect *d, const BkStayRequest *stay, Datum room_type,
							 BkStayPlace *place);
extern void bk_look_up_place_for_check_in(BkDirect *d, const BkStayRequest *stay, Datum room_type,
										  BkStayPlace *place);
extern void bk_check_day_and_rules(const BkStayRequest *stay, const BkStayPlace *place,
								   int32 guests, int32 children, const char *plan);
extern TimestampTz bk_hold_deadline(Interval *hold);

/* rate_plan.c: rate plans and what a stay costs under one (2.0) */

/* Longest chain of derivations from a root plan (a guard: cycles are refused) */
#define BK_MAX_PLAN_DEPTH	16

typedef struct BkPlan
{
	char	   *code;			/* BK_BASE_PLAN for the inventory's price */
	bool		is_base;
	char	   *root;			/* the plan its prices come from */
	bool		root_is_base;	/* the inventory's price; else booking.rate */
	int			nsteps;			/* derivations from the root to this plan */
	Numeric    *factor;			/* per step, root first: 1 + adjust_pct / 100 */
	Numeric    *amount;			/* and adjust_amount */
	int32		base_occupancy; /* 0: priced per room */
	Numeric		extra_adult;
	Numeric		extra_child;
	char	   *policy;			/* NULL: none */
} BkPlan;

extern void bk_plan_base(BkPlan *plan);
extern void bk_report_no_plan(int64 property_id, const char *room_type, const char *code)
			pg_attribute_noreturn();
extern void bk_plan_look_up(BkDirect *d, int64 property_id, Datum room_type, const char *code,
							BkPlan *plan);
extern char *bk_rate_plan_arg(FunctionCallInfo fcinfo, int argno);
extern int32 bk_children_arg(FunctionCallInfo fcinfo, int argno);
extern Numeric bk_plan_step_factor(Datum adjust_pct);
extern Numeric bk_plan_step(Numeric price, Numeric factor, Numeric amount);
extern Numeric bk_plan_derive(const BkPlan *plan, Datum root_price, int64 property_id,
							  const char *room_type, DateADT night);
extern void bk_plan_night_prices(BkDirect *d, int64 property_id, Datum room_type,
								 const BkPlan *plan, const BkNights *nights, Datum *prices,
								 int *unpriced);
extern Numeric bk_plan_extra(const BkPlan *plan, int32 rooms, int32 guests, int32 children);
/* The price of a stay under a plan (reserve.c) */
typedef struct BkStayPrice
{
	Datum	   *prices;			/* each night's price of one room */
	Numeric		extra;			/* per night, for the whole reservation; NULL: none */
	Numeric		total;
} BkStayPrice;

extern void bk_price_stay(BkDirect *d, const BkStayRequest *stay, Datum room_type,
						  const BkPlan *plan, int32 guests, int32 children,
						  const BkNights *nights, BkStayPrice *price);
extern Numeric bk_stay_total(const Datum *prices, int n, int32 rooms, Numeric extra);
extern int	bk_numeric_sign(Numeric value);


/* plan_check.c: no plan derived from `root` may be negative on [first, end) */
extern void bk_plans_check_prices(int64 property_id, const char *room_type, const char *root,
								  DateADT first, DateADT end);

/* night_prices.c */
extern bool bk_unit_has_night_prices(void);
extern int	bk_night_prices_columns(const BkSoldPrices *sold, BkColumn *columns, Datum *values,
									bool *nulls);
extern Datum *bk_night_prices_of(BkDirect *d, const BkReservation *r, int *n, Numeric *extra);

/* group.c: what the group functions share (2.0) */
extern int	bk_group_line_ids(BkDirect *d, int64 group_id, int64 **ids);
extern void bk_group_result(FunctionCallInfo fcinfo);
extern void bk_group_result_add(FunctionCallInfo fcinfo, const BkReservation *r);

/* lifecycle.c */
extern void bk_lock_reservation(BkDirect *d, int64 id, const char *guest_id, BkReservation *r);
extern void bk_payment_ref_unused(BkDirect *d, const char *payment_ref, int64 payer_id);
extern void bk_update_with_payment_ref(BkDirect *d, BkReservation *r, const char *payment_ref,
									   int ncolumns, const BkColumn *columns, const Datum *values);
extern char *bk_confirmation_code(int64 reservation_id);

/* lookup.c */
extern bool bk_guest_matches(const char *owner, const char *guest_id);
extern char *bk_guest_arg(FunctionCallInfo fcinfo, int argno);
extern void bk_reservation_update(BkDirect *d, BkReservation *r, int ncolumns,
								  const BkColumn *columns, const Datum *values, const bool *nulls);
extern void bk_reservation_update_sold(BkDirect *d, BkReservation *r, int ncolumns,
									   const BkColumn *columns, const Datum *values,
									   const bool *nulls, const BkSoldPrices *sold);
extern void bk_reservation_set_state(BkDirect *d, BkReservation *r, BkState state);
extern void bk_reservation_reprice(BkDirect *d, BkReservation *r, Numeric total,
								   const BkSoldPrices *sold);
/* What a reservation is sold under besides its stay (2.0); NULL: 'BASE', no children */
typedef struct BkSaleTerms
{
	const char *rate_plan;		/* NULL: 'BASE' */
	int32		children;
	const char *block;			/* 2.0: the block picked up from; NULL: public */
} BkSaleTerms;

extern void bk_reservation_insert(BkDirect *d, int64 property_id, Datum room_type,
								  DateADT check_in, DateADT check_out, int32 rooms,
								  const char *guest_id, int32 guests, TimestampTz hold_expires_at,
								  Numeric total_price, const BkSoldPrices *sold,
								  const BkSaleTerms *terms, BkReservation *r);
extern int64 bk_reservation_new_id(void);
extern void bk_reservation_insert_line(BkDirect *d, int64 id, int64 group_id, int64 property_id,
									   Datum room_type, DateADT check_in, DateADT check_out,
									   int32 rooms, const char *guest_id, int32 guests,
									   TimestampTz hold_expires_at, Numeric total_price,
									   const BkSoldPrices *sold, const BkSaleTerms *terms,
									   BkReservation *r);
extern int64 bk_reservation_group_id(BkDirect *d, const BkReservation *r);
extern Datum bk_reservation_datum(BkDirect *d, const BkReservation *r);
extern Datum bk_reservation_fetch(int64 id);


/*
 * policy.c: cancellation policies and the charges they make (2.0).
 *
 * BkChargeFacts is what a charge is computed from: the reservation as it
 * is, its property's time zone, its plan's policy (none for 'BASE' or a
 * plan without one) and the prices its nights were sold at.
 * bk_charge_facts reads them for reservation `id` in one SPI query,
 * connecting and finishing itself, into the caller's memory (false: no
 * such reservation): read_only in the calling query's snapshot (STABLE
 * callers), else in a fresh snapshot, which sees the newest version of a
 * reservation the caller has locked.  Inside a direct unit, call the SPI
 * functions here with no index scan open, best before the unit writes.
 *
 * bk_charge_of: the charge of cancelling at `at`, no query.  A hold (held,
 * payment_pending): fee 0, refund 0, policy = the plan's, tier 0.  No
 * policy: fee 0, refund total_price, policy NULL, tier 0.  Else the first
 * tier whose deadline (check_in 00:00 local minus until, in local time)
 * is not past at `at`, or the last tier: fee rounded half-up to cents and
 * capped at total_price, refund = total_price - fee, tier from 1.
 *
 * bk_no_show_charge_of: the charge of a no-show of the reservation as it
 * is before mark_no_show trims it, no query, state not looked at: the
 * policy's no_show object (tier 0), else its last tier (tier = n); no
 * policy: fee 0, policy NULL.  refund = total_price - fee.
 * bk_no_show_charge(id, charge): bk_charge_facts (fresh snapshot; the
 * caller holds the row lock) + bk_no_show_charge_of.
 *
 * bk_cancel_charge: what cancel_reservation and cancel_group record for a
 * locked reservation *r: a hold (fee 0, refund 0, policy not looked up),
 * 'BASE' or a 1.x schema (fee 0, refund total_price) without any query;
 * else bk_charge_facts (fresh snapshot) + bk_charge_of.
 */
typedef struct BkChargeFacts
{
	int64		reservation_id;
	BkState		state;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	Numeric		total_price;
	char	   *guest_id;		/* NULL: none */
	char	   *time_zone;		/* the property's */
	char	   *policy;			/* the plan's policy code; NULL: none */
	Jsonb	   *tiers;			/* the policy's tiers; NULL: no policy */
	Jsonb	   *no_show;		/* the policy's no_show charge; NULL: none */
	DateADT		prices_first;	/* the night prices[0] is for */
	Datum	   *prices;			/* numeric, per night sold; NULL: none kept */
	int			nprices;
	Numeric		extra;			/* per night, for the whole reservation */
} BkChargeFacts;

typedef struct BkCharge
{
	Numeric		fee;
	Numeric		refund;
	char	   *policy;			/* the policy's code; NULL: none */
	int32		tier;			/* from 1; 0: none (NULL in SQL) */
} BkCharge;

extern bool bk_charge_facts(int64 id, bool read_only, BkChargeFacts *facts);
extern void bk_charge_of(const BkChargeFacts *facts, TimestampTz at, BkCharge *charge);
extern void bk_no_show_charge_of(const BkChargeFacts *facts, BkCharge *charge);
extern void bk_no_show_charge(int64 id, BkCharge *charge);
extern void bk_cancel_charge(BkDirect *d, const BkReservation *r, TimestampTz at,
							 BkCharge *charge);

/* expiry.c */
extern bool bk_dead_holds_exist(BkDirect *d, int64 property_id, Datum room_type,
								DateADT check_in, DateADT check_out);
extern int	bk_expire_dead_holds(BkDirect *d, int64 property_id, Datum room_type,
								 DateADT check_in, DateADT check_out, LockWaitPolicy wait);
extern int	bk_expire_dead_holds_but(BkDirect *d, int64 property_id, Datum room_type,
									 DateADT check_in, DateADT check_out, LockWaitPolicy wait,
									 int64 own);
extern void bk_dead_hold_rooms(BkDirect *d, int64 property_id, Datum room_type, DateADT first,
							   DateADT end, int64 own, int32 *rooms);
extern int	bk_expire_reservations(Datum ids_array);
extern int	bk_expire_due_holds(int32 max_rows);

/* events.c */
extern void bk_event_write_modified(BkDirect *d, const BkReservation *r, const BkReservation *before);
extern void bk_event_write(BkDirect *d, const char *kind, const BkReservation *r, int32 free_delta,
						   ItemPointer tid);
extern void bk_event_write_charged(BkDirect *d, const char *kind, const BkReservation *r,
								   int32 free_delta, Numeric refund_amount);
extern void bk_event_write_release(BkDirect *d, const char *kind, const BkReservation *r,
								   DateADT first, DateADT end, Numeric refund_amount);
extern void bk_event_rewrite_payload(BkDirect *d, ItemPointer tid, const char *kind,
									 const BkReservation *r);
extern int	bk_purge_events(int32 max_rows);

/* publisher.c: a pass gives at most this many positions (booking.event_pass's CHECK) */
#define BK_PUBLISH_BATCH	10000
extern int	bk_publish_events(bool from_start);
extern BkCalendarDelta *bk_events_pending_changes(BkDirect *d, DateADT first, DateADT end,
												  int64 property_id, int *n);
extern void bk_notify_published(void);

/*
 * event_pass.c: the publishing passes, and reading by position through
 * them.  A pass is written as rows of at most BK_PASS_ROW_IDS events, so
 * that a row stays inline (under TOAST_TUPLE_THRESHOLD: 56 bytes of
 * header and key, 8 per id) and purge() trimming one rewrites under 2 kB.
 */
#define BK_PASS_ROW_IDS		240
extern void bk_event_pass_record(BkDirect *d, int64 first_position, const int64 *event_ids, int n);
extern int64 bk_event_pass_last_given(BkDirect *d);
extern int	bk_event_pass_mend_loaded(void);
extern int	bk_event_pass_read(FunctionCallInfo fcinfo, int64 acked, int max);
extern int	bk_event_pass_count(int64 after, int64 upto);
extern int	bk_event_pass_purge(int32 max_rows, TimestampTz older_than);
extern int	bk_event_pass_mend(void);

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
	BK_STAT_EXPIRY_HELPERS,		/* expiry helpers the sweeper started */
	BK_STAT_COUNT
} BkStat;

extern void bk_stat_add(BkStat stat, uint64 n);
extern void bk_stat_add_on_commit(BkStat stat, uint64 n);
extern void bk_stat_sweep_done(bool succeeded);
extern Size BookingStatsShmemSize(void);
extern void BookingStatsShmemInit(void);

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
extern Size bk_workerstate_shmem_size(void);
extern void bk_workerstate_shmem_init(void);
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
struct BackgroundWorker;
extern void bk_describe_worker(struct BackgroundWorker *worker, const char *name,
							   const char *function, int restart_time);

/* restore_fence.c: backends loading data hold the sweeper off */
extern Size bk_fence_shmem_size(void);
extern void bk_fence_shmem_init(void);
extern void bk_fence_register_loader(Oid relid);
extern bool bk_fence_enter(Oid dboid, pid_t *loader_pid);
extern void bk_fence_leave(void);
extern bool bk_fence_loading(Oid dboid, uint64 *generation);
extern bool bk_fence_other_loader(Oid dboid);

/* hooks.c */
extern void BookingHooksInit(void);

/* expiry.c: the sweeper's picking, so that it can isolate a bad hold */
extern int	bk_pick_due_holds(int32 max_rows, Datum skip_ids,
							  MemoryContext keep, int64 **ids);
extern int	bk_expire_due_hold(int64 reservation_id);

/* channel.c: channel bookings and overbooking (2.0); with the overbooking
 * helpers of inventory.c and compat.c */
extern int32 bk_night_overbook(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta);
extern bool bk_schema_has_overbooked(void);
typedef struct BkOverbooked		/* the nights a channel booking left over their units */
{
	int			n;
	DateADT    *nights;
	int32	   *over;			/* by how many units each */
} BkOverbooked;
extern bool bk_modify_overbooking(int64 id, const BkStayRequest *stay, const Datum *prices,
								  Numeric total, BkOverbooked *over, Datum *result);
extern void bk_cancel_locked(BkDirect *d, BkReservation *r, Datum reason, bool reason_null);
extern void bk_event_write_payload(BkDirect *d, const char *kind, const BkReservation *r,
								   Datum payload);
/* Longest channel name, in bytes (an iCal import's source too) */
#define BOOKING_MAX_CHANNEL_BYTES 64
typedef struct BkChannelRevision	/* one revision of a channel booking, checked */
{
	char	   *channel;
	char	   *external_id;
	int64		revision;
	char	   *status;			/* 'new', 'modified' or 'cancelled' */
	BkStayRequest stay;
	Numeric		total_price;	/* rounded to cents; NULL: the nights' prices */
	char	   *guest_id;		/* NULL: none */
} BkChannelRevision;
extern Datum bk_channel_apply(const BkChannelRevision *rev, bool *isnull, int64 *reservation_id,
							  bool *overbooked);

/* ical_parse.c: the RFC 5545 reader of ical_import (ical.c) */
extern int	booking_ical_max_events;
typedef struct BkIcalEvent		/* one VEVENT as a stay of the property */
{
	char	   *uid;
	char	   *summary;		/* NULL: none */
	int			lineno;			/* of its BEGIN:VEVENT */
	bool		cancelled;		/* STATUS:CANCELLED */
	DateADT		check_in;
	DateADT		check_out;
} BkIcalEvent;
extern BkIcalEvent *bk_ical_parse(const char *ics, int len, const char *time_zone,
								  int max_events, int *n);

/* events.c: the arguments every consumer function shares (the outbox, the ARI feed) */
extern char *bk_consumer_arg(FunctionCallInfo fcinfo);
extern int32 bk_read_max_arg(FunctionCallInfo fcinfo);

/* ari_log.c: writing the ARI feed's log of changed nights (2.0; read by ari.c) */
extern bool bk_schema_has_ari(void);
extern void bk_ari_record_deltas(const BkCalendarDelta *deltas, int n);
extern void bk_ari_note_range(int64 property_id, const char *room_type, DateADT first, DateADT end);
extern int	bk_ari_purge(int32 max_rows);

/* ari_read.c: reading the ARI feed (2.0; for read_ari in ari.c) */
extern void bk_ari_read(FunctionCallInfo fcinfo, int64 acked, int32 max);

/* waitlist.c, waitlist_offer.c: the waitlist (2.0) */
extern int	booking_waitlist_offer_ttl_s;

/*
 * The offer hook (waitlist_offer.c) as the layers below it call it: through
 * pointers, so that inventory.c, reserve.c and the freeing paths do not
 * depend on the file that depends on them (test/lint/call-cycles).
 *  - bk_waitlist_note_freed: night_write, when units come free on a night
 *    whose `waiting` is above zero;
 *  - bk_waitlist_offer_freed: every freeing path, after its night writes
 *    and with no unit of direct work open (block release too); returns at
 *    once when nothing was noted; may_wait: the caller holds only the
 *    nights of one room type's freed stay;
 *  - bk_waitlist_offer_range: open_inventory, for the nights it wrote
 *    (and set_rules, clear_rules, public reserve_range); may_wait: the
 *    caller holds only the nights [first, end) of that room type, so
 *    nights above them may be waited for (public reserve_range passes
 *    false after a dead-hold path).  Neither offer waits, whatever
 *    may_wait says, in a transaction that holds the publisher's lock
 *    (bk_publisher_lock_held): the block functions take it after nights.
 */
extern void (*bk_waitlist_note_freed_hook) (HeapTuple night_tuple, TupleDesc desc, DateADT night);
extern void (*bk_waitlist_offer_freed_hook) (bool may_wait);
extern void (*bk_waitlist_offer_range_hook) (int64 property_id, const char *room_type,
											 DateADT first, DateADT end, bool may_wait);

static inline void
bk_waitlist_note_freed(HeapTuple night_tuple, TupleDesc desc, DateADT night)
{
	bk_waitlist_note_freed_hook(night_tuple, desc, night);
}

static inline void
bk_waitlist_offer_freed(bool may_wait)
{
	bk_waitlist_offer_freed_hook(may_wait);
}

static inline void
bk_waitlist_offer_range(int64 property_id, const char *room_type, DateADT first, DateADT end,
						bool may_wait)
{
	bk_waitlist_offer_range_hook(property_id, room_type, first, end, may_wait);
}
extern bool bk_waitlist_try_offer(int64 waitlist_id, LockWaitPolicy wait);
extern void bk_waitlist_settle(void);
extern void bk_waitlist_sweep(void);
extern bool bk_schema_has_waitlist(void);
extern bool bk_claim_waitlist_key(const char *scope, const char *key, bytea *digest,
								  int64 property_id, int64 *existing_waitlist_id);
extern void bk_record_waitlist_key(const char *scope, const char *key, int64 waitlist_id);

/* block.c: group blocks (2.0) */
extern bool bk_schema_has_blocks(void);
extern char *bk_reservation_block(BkDirect *d, const BkReservation *r);
extern void bk_block_check_pickup(const BkStayRequest *stay, const char *code);
extern void bk_block_take(const BkStayRequest *stay, const char *code);
extern void bk_block_nights_take(BkDirect *d, BkNights *nights, int32 rooms);
extern void bk_block_unpick(int64 property_id, const char *code, DateADT first, DateADT end,
							int32 rooms, bool *to_block);
extern bool bk_block_public_range(const bool *to_block, DateADT first, DateADT end,
								  DateADT *pub_first, DateADT *pub_end);
extern void bk_block_give_back(BkDirect *d, int64 property_id, const char *room_type,
							   const char *code, BkNights *nights, DateADT first, DateADT end,
							   int32 held_delta, int32 booked_delta,
							   DateADT *pub_first, DateADT *pub_end);
extern int	bk_block_release_nights(int64 property_id, const char *room_type, const char *code,
									const DateADT *days, const int32 *unpicked, int n);

/* block_release.c: block nights released at their cutoff (2.0) */
extern int	bk_release_due_blocks(int max);

#endif							/* BOOKING_H */

/*-------------------------------------------------------------------------
 * event_pass.c
 *    The publishing passes of the event outbox (2.0): the rows of
 *    booking.event_pass that each pass giving positions writes, holding
 *    its events in position order (first_position, first_position + 1,
 *    ...), at most BK_PASS_ROW_IDS (240) a row.  The
 *    publisher writes it (publisher.c); read_events, ack_events and
 *    purge() (events.c) find events by position through these rows, not
 *    through an index on booking.event.position.
 *
 * Why.  Every event is written once by its writer and updated once by
 * the publisher, which gives it its position.  With an index on position
 * that update is not HOT: a new row version with an entry in every index
 * of the table, the largest part of the publisher's work per event after
 * the calendar's fold.  A row per pass (or per 240 events of a large
 * one) costs one insert per row, not an index entry per event.
 *
 * Reading by position.  A row holds at most 10,000 positions (its CHECK;
 * the publisher and the repair write at most BK_PASS_ROW_IDS), so the row
 * holding position p starts after p - 10,000; the one holding the
 * position after a consumer's acknowledged one is a backward step of the
 * primary key.  Below, "a pass" is one such row.  Passes commit in
 * position order (every pass holds the publisher's lock, positions come
 * from a sequence read under it), so a snapshot sees a prefix of them,
 * as it saw a prefix of the positions.
 *
 * Purging.  purge() deletes events from the first position on, as long
 * as every consumer has acknowledged them and they are older than
 * booking.event_retention: the first that is not stops it, the events
 * after it wait (positions follow commits, occurred_at the start of the
 * writer's transaction).  The rows of passes it empties go with their
 * last event; the row of a pass it empties in part starts after what it
 * deleted.  An event deleted by other means (by the owner, by hand) is
 * passed over by readers and taken as purged by purge().
 *
 * Events no pass gives.  A dump taken before 2.0 and restored into 2.0
 * brings events with positions and no passes.  A read that comes to a
 * gap between passes looks whether events hold positions in it: then it
 * stops there (a consumer waits for them, never skips them) until their
 * passes are made.  With no index on position (the point of the passes)
 * that look scans the events, so a backend makes it once per gap and
 * load (gap_holds_events).  bk_event_pass_mend makes the passes (each
 * run of consecutive positions, in rows of at most BK_PASS_ROW_IDS) when
 * the position sequence has gone past the last pass, as a restore of
 * such a dump leaves it.  Every publisher mends before its first pass,
 * and the sweeper's rounds, purge() and read_events look too, once in
 * each backend and again after each load (the restore fence counts
 * them), never while a backend loads data into the database (a 2.0 dump
 * brings its own passes, which would collide).
 * booking.repair_event_passes() makes those of any gap, on demand (an
 * event given a position by hand before the first pass, say).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_repair_event_passes);

/* Pass rows a read fetches at a time */
#define PASSES_PER_FETCH	8
/* Events gone from their passes that a read passes over before it says so */
#define READ_PASSED_OVER_NOTICE	1000
/* Events purge() looks at first (then twice as many each time, to max_rows) */
#define PURGE_FIRST_CHUNK	64


/*
 * The passes from the one holding position $1 + 1 on, in position order:
 * the last to start at or before $1 (it may end after it), then those
 * after, at most $2 of them (each has an event at least).
 */
static BookingPlan passes_after_plan = {
	"(SELECT first_position, event_ids FROM booking.event_pass"
	"  WHERE first_position OPERATOR(pg_catalog.<=) $1"
	"  ORDER BY first_position DESC LIMIT 1)"
	" UNION ALL "
	"(SELECT first_position, event_ids FROM booking.event_pass"
	"  WHERE first_position OPERATOR(pg_catalog.>) $1"
	"  ORDER BY first_position LIMIT $2)",
	2, {INT8OID, INT8OID}
};

/*
 * How many events the passes give positions in ($1, $2] that are still
 * there (one deleted by hand was never delivered): the ids of each pass
 * that overlaps the range, found among those starting after $1 - 10,000,
 * each looked up by its key.
 */
static BookingPlan count_events_plan = {
	"SELECT pg_catalog.count(*)::int"
	"  FROM booking.event_pass p,"
	"       pg_catalog.unnest(p.event_ids) WITH ORDINALITY AS u(event_id, nth),"
	"       booking.event e"
	" WHERE p.first_position OPERATOR(pg_catalog.>) ($1 OPERATOR(pg_catalog.-) " CppAsString2(BK_PUBLISH_BATCH) ")"
	"   AND p.first_position OPERATOR(pg_catalog.<=) $2"
	"   AND ((p.first_position OPERATOR(pg_catalog.+) u.nth) OPERATOR(pg_catalog.-) 1)"
	"       OPERATOR(pg_catalog.>) $1"
	"   AND ((p.first_position OPERATOR(pg_catalog.+) u.nth) OPERATOR(pg_catalog.-) 1)"
	"       OPERATOR(pg_catalog.<=) $2"
	"   AND e.event_id OPERATOR(pg_catalog.=) u.event_id",
	2, {INT8OID, INT8OID}
};

/*
 * The events $1 (their ids, in position order), in that order, at most
 * $2; one deleted since (purged, or by hand) is passed over.
 */
static BookingPlan read_by_ids_plan = {
	"SELECT e.event_id, e.occurred_at, e.kind, e.reservation_id, e.property_id, e.payload"
	"  FROM pg_catalog.unnest($1::pg_catalog.int8[]) WITH ORDINALITY AS u(event_id, nth)"
	"  JOIN booking.event e ON e.event_id OPERATOR(pg_catalog.=) u.event_id"
	" WHERE e.position IS NOT NULL"
	" ORDER BY u.nth LIMIT $2",
	2, {INT8ARRAYOID, INT4OID}
};

/* The newest position every consumer has acknowledged (any, with no consumer) */
static BookingPlan purgeable_upto_plan = {
	"SELECT COALESCE(pg_catalog.min(acked_position), 9223372036854775807) FROM booking.event_consumer",
	0, {InvalidOid}
};

/* When each of the events $1 was written, in their order (NULL: gone) */
static BookingPlan occurred_plan = {
	"SELECT e.occurred_at"
	"  FROM pg_catalog.unnest($1::pg_catalog.int8[]) WITH ORDINALITY AS u(event_id, nth)"
	"  LEFT JOIN booking.event e ON e.event_id OPERATOR(pg_catalog.=) u.event_id"
	" ORDER BY u.nth",
	1, {INT8ARRAYOID}
};

static BookingPlan delete_events_plan = {
	"DELETE FROM booking.event WHERE event_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}
};

static BookingPlan delete_passes_plan = {
	"DELETE FROM booking.event_pass WHERE first_position OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}
};

/*
 * The pass that started at $1 now starts at $2, without its first
 * $2 - $1 events.  A concurrent purge that trimmed it first moved its
 * key: then this one changes nothing.
 */
static BookingPlan trim_pass_plan = {
	"UPDATE booking.event_pass"
	"   SET first_position = $2,"
	"       event_ids = event_ids[(($2 OPERATOR(pg_catalog.-) $1) OPERATOR(pg_catalog.+) 1)::int :]"
	" WHERE first_position OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, INT8OID}
};

/*
 * Whether an event holds a position in [$1, $2).  No index on position
 * (the publisher's update of it is HOT from 2.0): a scan of the events,
 * which a backend makes once per gap (gap_holds_events).
 */
static BookingPlan events_between_plan = {
	"SELECT COALESCE((SELECT pg_catalog.min(position) FROM booking.event"
	"                  WHERE position OPERATOR(pg_catalog.>=) $1) OPERATOR(pg_catalog.<) $2, false)",
	2, {INT8OID, INT8OID}
};

/*
 * The position sequence set to the largest position an event holds, when
 * that is past the last position it gave: read from every event (no
 * index on position), after a load only (bk_event_pass_mend_loaded).
 */
static BookingPlan sequence_past_events_plan = {
	"SELECT pg_catalog.setval('booking.event_position_seq'::pg_catalog.regclass, m.top)"
	"  FROM (SELECT pg_catalog.max(position) AS top FROM booking.event) m"
	" WHERE m.top OPERATOR(pg_catalog.>)"
	"       (SELECT CASE WHEN is_called THEN last_value ELSE last_value OPERATOR(pg_catalog.-) 1 END"
	"          FROM booking.event_position_seq)",
	0, {InvalidOid}
};

/* The last position the sequence gave, and whether it gave any */
static BookingPlan position_sequence_plan = {
	"SELECT last_value, is_called FROM booking.event_position_seq",
	0, {InvalidOid}
};

/*
 * The passes of the events with positions that no pass gives: each run
 * of consecutive such positions, in rows of at most BK_PASS_ROW_IDS.
 * Whether a pass gives a position: the events and the passes' starts
 * (each with where its pass ends, its array read once) in one position
 * order, the largest end of the passes started so far is where the
 * positions given end (passes do not overlap).
 */
static BookingPlan make_missing_passes_plan = {
	"INSERT INTO booking.event_pass (first_position, event_ids)"
	" SELECT pg_catalog.min(position), pg_catalog.array_agg(event_id ORDER BY position)"
	"   FROM (SELECT event_id, position, run,"
	"                pg_catalog.row_number() OVER (PARTITION BY run ORDER BY position) AS nth"
	"           FROM (SELECT event_id, position,"
	"                        position OPERATOR(pg_catalog.-) pg_catalog.row_number() OVER (ORDER BY position) AS run"
	"                   FROM (SELECT m.event_id, m.position, m.past,"
	"                                pg_catalog.max(m.past) OVER (ORDER BY m.position, m.event_id NULLS FIRST"
	"                                                             ROWS UNBOUNDED PRECEDING) AS given_to"
	"                           FROM (SELECT e.event_id, e.position, NULL::bigint AS past"
	"                                   FROM booking.event e WHERE e.position IS NOT NULL"
	"                                 UNION ALL"
	"                                 SELECT NULL, p.first_position,"
	"                                        p.first_position OPERATOR(pg_catalog.+) pg_catalog.cardinality(p.event_ids)"
	"                                   FROM booking.event_pass p) m) marked"
	"                  WHERE event_id IS NOT NULL"
	"                    AND (given_to IS NULL OR position OPERATOR(pg_catalog.>=) given_to)) missing) numbered"
	"  GROUP BY run, (nth OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) " CppAsString2(BK_PASS_ROW_IDS),
	0, {InvalidOid}
};

/*
 * The rows none of whose events are left (deleted by hand: purge()
 * deletes the rows it empties): a read would look each id up again at
 * every call.  Dropping one leaves positions that no row gives and no
 * event holds, which reads go past.  Run under the publisher's lock; a
 * row a purge in progress has locked is left to it (SKIP LOCKED):
 * waiting for that purge, which may ask for the publisher's lock next,
 * could deadlock with it.
 */
static BookingPlan drop_emptied_passes_plan = {
	"DELETE FROM booking.event_pass"
	" WHERE first_position OPERATOR(pg_catalog.=) ANY (ARRAY("
	"   SELECT p.first_position FROM booking.event_pass p"
	"    WHERE NOT EXISTS (SELECT FROM pg_catalog.unnest(p.event_ids) AS u(event_id)"
	"                        JOIN booking.event e ON e.event_id OPERATOR(pg_catalog.=) u.event_id)"
	"      FOR UPDATE SKIP LOCKED))",
	0, {InvalidOid}
};

/* Events by position, as a read or a purge collects them */
typedef struct PositionedEvents
{
	int64	   *event_ids;
	int64	   *positions;
	int			n;
	int			capacity;
} PositionedEvents;

static void
add_event(PositionedEvents *events, int64 event_id, int64 position)
{
	if (events->n == events->capacity)
	{
		events->capacity = Max(16, events->capacity * 2);
		events->event_ids = events->event_ids == NULL ? palloc(sizeof(int64) * events->capacity)
			: repalloc(events->event_ids, sizeof(int64) * events->capacity);
		events->positions = events->positions == NULL ? palloc(sizeof(int64) * events->capacity)
			: repalloc(events->positions, sizeof(int64) * events->capacity);
	}
	events->event_ids[events->n] = event_id;
	events->positions[events->n] = position;
	events->n++;
}

static Datum
int8_array(const int64 *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64), true, TYPALIGN_DOUBLE));
}

/*
 * A visitor of walk_passes: handles the pass starting at `first` with the
 * `count` event ids `ids`, and says whether to go on to the next.
 */
typedef bool (*PassVisitor) (int64 first, const int64 *ids, int count, void *state);

/*
 * walk_passes shows `visit` the passes from the one holding position
 * `after` + 1 on, in position order, at most `max_passes` after it,
 * fetched a few at a time, until it says stop.
 */
static void
walk_passes(int64 after, int64 max_passes, PassVisitor visit, void *state)
{
	Datum		args[2] = {Int64GetDatum(after), Int64GetDatum(max_passes)};
	Portal		cursor = bk_cursor_open(&passes_after_plan, args, NULL);
	bool		more = true;

	while (more)
	{
		SPI_cursor_fetch(cursor, true, PASSES_PER_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 row = 0; row < SPI_processed && more; row++)
		{
			int64		first = bk_get_int64(row, 1);
			ArrayType  *ids = DatumGetArrayTypeP(bk_get_notnull(row, 2));

			if (ARR_HASNULL(ids) || ARR_ELEMTYPE(ids) != INT8OID)
				elog(ERROR, "booking: the publishing pass at " INT64_FORMAT " holds a NULL event id", first);
			more = visit(first, (int64 *) ARR_DATA_PTR(ids),
						 ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)), state);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(cursor);
}

/* What collect_after gathers, and where it stops */
typedef struct Collecting
{
	PositionedEvents *events;
	int64		after;
	int64		upto;
	int			max;
	bool		check_gaps;		/* stop before events no pass gives */
	int64		next;			/* the position expected next */
	int64		gap_end;		/* a pass starting past `next`, or PG_INT64_MIN */
} Collecting;

static bool
collect_pass(int64 first, const int64 *ids, int count, void *state)
{
	Collecting *c = (Collecting *) state;

	if (c->check_gaps && first > c->next && c->next <= c->upto)
	{
		c->gap_end = first;		/* positions no pass gives: see collect_after */
		return false;
	}
	for (int i = 0; i < count; i++)
	{
		int64		position = first + i;

		if (position <= c->after)
			continue;
		if (position > c->upto || c->events->n == c->max)
			return false;
		add_event(c->events, ids[i], position);
	}
	c->next = Max(c->next, first + count);
	return true;
}

/*
 * The gaps a read of this backend found no event in, with the loads
 * begun in the cluster when it looked (bk_fence_loading).  A gap's
 * positions no pass gives: a pass that failed after taking them, or those
 * of the events purge() deleted before the first pass.  An event comes to
 * hold one only by a load (which begins a new generation: the backend
 * looks again) or by hand (check_invariants() reports it), so a backend
 * looks once per gap, not at every read: without an index on position a
 * look scans the events.
 */
#define EMPTY_GAPS_KEPT		32

typedef struct EmptyGap
{
	int64		from;
	int64		end;			/* [from, end) */
} EmptyGap;

static EmptyGap empty_gaps[EMPTY_GAPS_KEPT];
static int	empty_gaps_n = 0;
static int	empty_gaps_next = 0;	/* the slot the next one takes */
static uint64 empty_gaps_loads = 0;

/*
 * gap_holds_events says whether events hold positions in [from, end):
 * false when this backend found none there since the last load began;
 * else it looks (events_between_plan) and remembers a gap it
 * found empty, unless a load into this database is in progress.
 */
static bool
gap_holds_events(int64 from, int64 end)
{
	Datum		args[2];
	uint64		loads;
	bool		loading = bk_fence_loading(MyDatabaseId, &loads);
	bool		holds;

	if (loads != empty_gaps_loads)
	{
		empty_gaps_n = empty_gaps_next = 0;
		empty_gaps_loads = loads;
	}
	for (int i = 0; i < empty_gaps_n; i++)
		if (empty_gaps[i].from <= from && end <= empty_gaps[i].end)
			return false;
	args[0] = Int64GetDatum(from);
	args[1] = Int64GetDatum(end);
	bk_exec(&events_between_plan, args, NULL, 1);
	holds = DatumGetBool(bk_get_notnull(0, 1));
	if (!holds && !loading)
	{
		empty_gaps[empty_gaps_next].from = from;
		empty_gaps[empty_gaps_next].end = end;
		empty_gaps_next = (empty_gaps_next + 1) % EMPTY_GAPS_KEPT;
		empty_gaps_n = Min(empty_gaps_n + 1, EMPTY_GAPS_KEPT);
	}
	return holds;
}

/*
 * collect_after puts into `events` the events of the passes after
 * position `after` (at most `max`, and none past `upto`), in position
 * order.  With check_gaps (a read, which must never skip an event), at
 * positions no pass gives (a pass that failed after taking them, or
 * events restored without their passes) it looks whether events hold
 * them: if so it stops there and returns false (they are read once their
 * passes are made: bk_event_pass_mend), else it goes on past them.
 * purge() does not look: what it deletes every consumer has
 * acknowledged, and the positions before the first pass are those of
 * the events it purged, whose index entries stay until VACUUM.
 */
static bool
collect_after(int64 after, int64 upto, int max, bool check_gaps, PositionedEvents *events)
{
	Collecting	c = {events, after, upto, max, check_gaps, after + 1, PG_INT64_MIN};

	for (;;)
	{
		walk_passes(c.after, max, collect_pass, &c);
		if (c.gap_end == PG_INT64_MIN)
			return true;
		if (gap_holds_events(c.next, c.gap_end))
			return false;
		c.after = Max(c.after, c.gap_end - 1);
		c.next = c.gap_end;
		c.gap_end = PG_INT64_MIN;
	}
}

/* What purge does to the passes that held the events it deleted */
typedef struct Emptying
{
	int64		last_deleted;
	int64	   *emptied;		/* the passes left empty */
	int			nemptied;
	int64		trim_from;		/* the one left in part, or PG_INT64_MIN */
} Emptying;

static bool
empty_pass(int64 first, const int64 *ids, int count, void *state)
{
	Emptying   *e = (Emptying *) state;

	if (first > e->last_deleted)
		return false;
	if (first + count - 1 <= e->last_deleted)
	{
		e->emptied[e->nemptied++] = first;
		return true;
	}
	e->trim_from = first;
	return false;
}

/*
 * bk_event_pass_record writes the rows of a publishing pass that gave its
 * `n` events (`event_ids`, in order) positions from `first_position` on,
 * in the publisher's unit of direct work `d`: one row for each
 * BK_PASS_ROW_IDS of them (through SPI a row cost 106,649 instructions,
 * bench/profile).  Rows of a few hundred ids keep purge()'s trims cheap:
 * a row of 10,000 is TOASTed, and purge(1) rewrote all of it (4.9 ms a
 * call against 0.15).
 */
void
bk_event_pass_record(BkDirect *d, int64 first_position, const int64 *event_ids, int n)
{
	TupleTableSlot *slot = bk_direct_slot(d, BK_EVENT_PASS, BK_SLOT_INSERT);

	Assert(n >= 1 && n <= BK_PUBLISH_BATCH);
	for (int from = 0; from < n; from += BK_PASS_ROW_IDS)
	{
		int			count = Min(BK_PASS_ROW_IDS, n - from);

		bk_slot_new_row(slot);
		bk_slot_set(slot, BK_EVENT_PASS_FIRST_POSITION, Int64GetDatum(first_position + from));
		bk_slot_set(slot, BK_EVENT_PASS_EVENT_IDS, int8_array(event_ids + from, count));
		ExecStoreVirtualTuple(slot);
		bk_direct_insert(d, BK_EVENT_PASS, slot);
		ExecClearTuple(slot);
	}
}

/*
 * bk_event_pass_read puts into the result of read_events (`fcinfo`) the
 * next `max` events after position `acked`, in position order, and
 * returns how many.  Events deleted by other means than purge() (the
 * owner's DELETE) leave their ids in their passes: it reads on past them,
 * taking twice as many ids each time it comes up short, and when it
 * passed over READ_PASSED_OVER_NOTICE or more it says so, naming the
 * remedy (every read would look them up again).  It counts them where a
 * fetch came back short; a fetch that filled the read may have passed
 * over some too, so the count is a lower bound.
 */
int
bk_event_pass_read(FunctionCallInfo fcinfo, int64 acked, int max)
{
	int			returned = 0;
	int			ids = max;
	int64		passed_over = 0;

	for (;;)
	{
		PositionedEvents events = {0};
		Datum		args[2];
		bool		whole = collect_after(acked, PG_INT64_MAX, ids, true, &events);
		int			wanted = max - returned;

		args[0] = int8_array(events.event_ids, events.n);
		args[1] = Int32GetDatum(wanted);
		bk_exec(&read_by_ids_plan, args, NULL, 0);	/* no rows for none */
		if ((int) SPI_processed < wanted)
			passed_over += events.n - (int) SPI_processed; /* every id looked up */
		returned += (int) SPI_processed;
		bk_return_rows(fcinfo);
		if (!whole && returned < max)
			ereport(WARNING,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("events are held back: no publishing pass gives their positions"),
					 errdetail("Events after position " INT64_FORMAT " hold positions that no row of booking.event_pass gives, as after a dump taken before 2.0 is restored into 2.0.",
							   events.n > 0 ? events.positions[events.n - 1] : acked),
					 errhint("Run SELECT booking.repair_event_passes(); as booking_admin.  After a restore the sweeper, or read_events() where no sweeper serves the database, makes those after the last pass by itself.")));
		if (returned == max || events.n < ids || !whole)
			break;
		acked = events.positions[events.n - 1];
		ids = Min(ids * 2, BK_PUBLISH_BATCH);
	}
	if (passed_over >= READ_PASSED_OVER_NOTICE)
		ereport(NOTICE,
				(errmsg("read_events passed over at least " INT64_FORMAT " events that are gone", passed_over),
				 errdetail("Events deleted by other means than purge() leave their ids in booking.event_pass, and every read looks them up again."),
				 errhint("Run SELECT booking.repair_event_passes(); as booking_admin: it drops the rows none of whose events are left (a row with events left keeps its ids).")));
	return returned;
}

/*
 * bk_event_pass_last_given returns the last position the passes the
 * unit's snapshot sees give (0: none), from the last pass: one step back
 * from the end of booking.event_pass's primary key, without a plan (a
 * plan made while the table was small could read it whole).
 */
int64
bk_event_pass_last_given(BkDirect *d)
{
	IndexScanDesc scan = bk_direct_scan(d, BK_EVENT_PASS, BK_EVENT_PASS_PKEY, NULL, 0);
	TupleTableSlot *slot = bk_direct_slot(d, BK_EVENT_PASS, BK_SLOT_FOUND);
	int64		last = 0;

	if (index_getnext_slot(scan, BackwardScanDirection, slot))
	{
		ArrayType  *ids = DatumGetArrayTypeP(bk_direct_get_notnull(slot, bk_column(BK_EVENT_PASS_EVENT_IDS)));

		last = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_EVENT_PASS_FIRST_POSITION))) +
			ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)) - 1;
	}
	index_endscan(scan);
	ExecClearTuple(slot);
	return last;
}

/*
 * positions_after_passes says whether the position sequence has given
 * positions after the last pass (any, when there is no pass).  Every
 * position an event holds was given by the sequence, or restored with it
 * (pg_dump dumps its value), so events can hold positions after the last
 * pass only then: after a restore of a dump taken before 2.0 (no pass
 * gives its events' positions), or a pass that failed after taking its
 * positions (none does), or while a pass is under way (its row is not
 * committed yet: under the publisher's lock none is).  A read of the
 * sequence and one step of the passes' key.
 */
static bool
positions_after_passes(void)
{
	BkDirect	d;
	int64		last_value;
	int64		last_given;

	bk_exec(&position_sequence_plan, NULL, NULL, 1);
	if (!DatumGetBool(bk_get_notnull(0, 2)))
		return false;			/* nothing given yet */
	last_value = bk_get_int64(0, 1);
	bk_direct_begin(&d, false);
	last_given = bk_event_pass_last_given(&d);
	bk_direct_end(&d);
	return last_value > last_given;
}

/*
 * make_missing_passes makes the passes of every event holding a position
 * no pass gives, under the publisher's lock (so no pass is written
 * meanwhile, and a concurrent repair, waiting for the lock, then sees
 * these in its statement's snapshot), and returns how many it made.
 * With only_at_the_ends (the mend) it first looks again, under the lock,
 * whether any lie before the first pass or after the last: a caller that
 * waited for the lock finds them made.
 */
static int
make_missing_passes(bool only_at_the_ends)
{
	bk_publisher_lock();
	if (only_at_the_ends && !positions_after_passes())
		return 0;
	bk_exec(&make_missing_passes_plan, NULL, NULL, 0);
	return (int) SPI_processed;
}

/* The loads begun (bk_fence_loading) when this backend last looked: 0, never */
static uint64 mended_after_loads = 0;

/*
 * bk_event_pass_mend makes the passes of the events a restore brought
 * without them (a dump taken before 2.0), when the position sequence has
 * given positions after the last pass (positions_after_passes; then
 * it looks again under the publisher's lock, since a pass in progress
 * takes its positions before its row commits).  It looks once in each
 * backend and again each time a load has begun since (the restore
 * fence counts them), and not while a backend is loading data into this
 * database (a 2.0 dump's own passes may be on their way).  Every
 * publisher mends before its first pass (bk_publish_events), so the
 * passes of new events never come before a restore's events without
 * theirs.  Returns how many passes it made.  At READ COMMITTED only,
 * where each statement sees what committed before it, and from 2.0 on
 * (before it there are no passes).
 */
int
bk_event_pass_mend(void)
{
	int			made;
	uint64		loads;

	if (IsolationUsesXactSnapshot() || bk_fence_loading(MyDatabaseId, &loads) ||
		loads == mended_after_loads || !bk_schema_has_event_pass())
		return 0;
	made = positions_after_passes() ? make_missing_passes(true) : 0;
	mended_after_loads = loads;
	if (made > 0)
		ereport(LOG,
				(errmsg("booking: made %d publishing passes for events that held positions without one", made),
				 errdetail("A dump taken before 2.0 restored into 2.0 brings its events' positions but not the booking.event_pass rows consumers read them through.")));
	return made;
}

/*
 * bk_event_pass_mend_loaded makes, after a load (a pass that saw a load
 * signal, under the publisher's lock, before it gives any position), the
 * passes of every event holding a position no pass gives, and moves the
 * position sequence past every position an event holds, so that no new
 * event takes one a loaded event holds.  Rows that come with a position
 * leave a signal (event_local_writer, events.c), and so does a load with
 * that trigger disabled (the ALTER TABLE that enables it again), so this
 * sees every such load, whatever the sequence says: a restore that left
 * the sequence out, a copy of another database's outbox.  Both read every
 * event: once per load.  Returns how many passes it made.
 */
int
bk_event_pass_mend_loaded(void)
{
	int			made;

	if (!bk_schema_has_event_pass())
		return 0;
	made = make_missing_passes(false);	/* the lock is the caller's already */
	bk_exec(&sequence_past_events_plan, NULL, NULL, 0);
	if (made > 0)
		ereport(LOG,
				(errmsg("booking: made %d publishing passes for loaded events that held positions without one", made),
				 errdetail("A load brought events with positions that no booking.event_pass row gives, as a dump taken before 2.0 restored into 2.0 does.")));
	return made;
}

/*
 * booking_repair_event_passes is booking.repair_event_passes(): it makes
 * the passes of every event holding a position that no pass gives,
 * wherever it lies, and returns how many it made; then it drops the rows
 * whose events were all deleted by hand (a NOTICE says how many).
 */
Datum
booking_repair_event_passes(PG_FUNCTION_ARGS)
{
	int			made;

	/*
	 * Not at REPEATABLE READ or SERIALIZABLE, but in the update to 2.0
	 * (whose transaction created booking.event_pass: nobody else can
	 * write a pass meanwhile), whatever default_transaction_isolation is.
	 */
	if (IsolationUsesXactSnapshot() && !creating_extension)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("repair_event_passes() must run at READ COMMITTED"),
				 errdetail("It makes the passes no committed pass gives; a snapshot older than its wait for the publisher's lock could miss some and collide with them."),
				 errhint("Run it at READ COMMITTED: SET default_transaction_isolation = 'read committed' in the session, or SET TRANSACTION ISOLATION LEVEL READ COMMITTED as the transaction's first statement.")));
	bk_connect();
	made = make_missing_passes(false);	/* takes the publisher's lock */

	/*
	 * Then the drop, under that lock, as purge() takes the rows it trims
	 * or deletes after the lock when it publishes: one order, so the two
	 * never wait for each other in a cycle.  A row locked by a purge that
	 * took it without the lock (and may ask for the lock next) is skipped,
	 * never waited for.
	 */
	bk_exec(&drop_emptied_passes_plan, NULL, NULL, 0);
	if (SPI_processed > 0)
		ereport(NOTICE,
				(errmsg_plural("dropped %llu publishing pass row whose events were all deleted",
							   "dropped %llu publishing pass rows whose events were all deleted",
							   (unsigned long) SPI_processed, (unsigned long long) SPI_processed),
				 errdetail("Events deleted by other means than purge() leave their ids in their rows, and every read past them looked them up again.")));
	bk_finish();
	PG_RETURN_INT32(made);
}

/*
 * bk_event_pass_count returns how many events hold positions after
 * `after`, up to and including `upto`: what a consumer's acknowledgement
 * from `after` to `upto` newly acknowledges.
 */
int
bk_event_pass_count(int64 after, int64 upto)
{
	Datum		args[2] = {Int64GetDatum(after), Int64GetDatum(upto)};

	bk_exec(&count_events_plan, args, NULL, 1);
	return bk_get_int32(0, 1);
}

/*
 * bk_event_pass_purge deletes up to max_rows events from the first
 * position on that every consumer has acknowledged and that were written
 * before `older_than`, stopping at the first that is not; the passes it
 * empties go, the one it empties in part is trimmed.  Returns how many
 * events it deleted.
 */
int
bk_event_pass_purge(int32 max_rows, TimestampTz older_than)
{
	PositionedEvents events = {0};
	int64		upto;
	int			deletable = 0;
	int			deleted;
	Datum		arg;
	Emptying	emptying;
	int64		after = PG_INT64_MIN;
	int			want = PURGE_FIRST_CHUNK;

	bk_exec(&purgeable_upto_plan, NULL, NULL, 1);
	upto = bk_get_int64(0, 1);

	/*
	 * The events from the first position on, a few at first and twice as
	 * many each time all were old enough: a purge that the first event
	 * stops reads one handful, not max_rows.
	 */
	for (;;)
	{
		PositionedEvents chunk = {0};
		int			old_enough = 0;

		collect_after(after, upto, Min(want, max_rows - deletable), false, &chunk);
		if (chunk.n == 0)
			break;
		arg = int8_array(chunk.event_ids, chunk.n);
		bk_exec(&occurred_plan, &arg, NULL, 0);
		while (old_enough < (int) SPI_processed)
		{
			bool		gone;
			Datum		occurred = bk_get(old_enough, 1, &gone);

			if (!gone && DatumGetTimestampTz(occurred) >= older_than)
				break;
			old_enough++;
		}
		for (int i = 0; i < old_enough; i++)
			add_event(&events, chunk.event_ids[i], chunk.positions[i]);
		deletable += old_enough;
		if (old_enough < chunk.n || deletable == max_rows)
			break;
		after = chunk.positions[chunk.n - 1];
		want = want > max_rows / 2 ? max_rows : want * 2;
	}
	if (deletable == 0)
		return 0;

	arg = int8_array(events.event_ids, deletable);
	bk_exec(&delete_events_plan, &arg, NULL, 0);
	deleted = (int) SPI_processed;

	/*
	 * The events collected are every position of the passes from the
	 * first on, so those deleted are a prefix of them: a pass ending at
	 * or before the last deleted position is empty now, the one holding
	 * it and more starts after it.  The passes are read again, in a newer
	 * snapshot: a concurrent purge may have trimmed or deleted some.
	 */
	emptying.last_deleted = events.positions[deletable - 1];
	emptying.emptied = palloc(sizeof(int64) * deletable);
	emptying.nemptied = 0;
	emptying.trim_from = PG_INT64_MIN;
	walk_passes(PG_INT64_MIN, deletable, empty_pass, &emptying);
	if (emptying.trim_from != PG_INT64_MIN)
	{
		Datum		args[2];

		args[0] = Int64GetDatum(emptying.trim_from);
		args[1] = Int64GetDatum(emptying.last_deleted + 1);

		bk_exec(&trim_pass_plan, args, NULL, 0);
	}
	if (emptying.nemptied > 0)
	{
		arg = int8_array(emptying.emptied, emptying.nemptied);
		bk_exec(&delete_passes_plan, &arg, NULL, 0);
	}
	return deleted;
}

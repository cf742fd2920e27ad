/*-------------------------------------------------------------------------
 * publisher.c
 *    The publisher of the event outbox (events.c writes the events):
 *    it gives the committed events their positions and folds their
 *    calendar changes into the room calendar (calendar.c), and it gives
 *    the readers of the calendar (calendar_read.c) the changes of the
 *    events not published yet.
 *
 * Finding them.  The events are indexed by writer_xid
 * (event_unpublished_xid_idx), and the publisher row's scan_from is where
 * the ones not published yet start: a pass moves it on to its snapshot's
 * xmin (find_pending), so a pass, and a reader adding the changes not
 * folded yet (calendar_read.c), reads what was written since.  From 2.0
 * the index has no predicate on position, so that the publisher's update
 * of an event's position is HOT (nothing indexed changes): the entries of
 * published events stay, and every walk reads each row's position and
 * passes over those that have one (before 2.0 the index left them out,
 * and a walk met them only as dead entries until VACUUM).  Rows put in by
 * other means (a restore's COPY carries another cluster's xids) get this
 * transaction's xid from the trigger event_local_writer.  A load with
 * that trigger disabled (pg_restore --disable-triggers) ends with an
 * ALTER TABLE that enables it again, and from 2.0 the event trigger
 * booking_event_table_altered (events.c) then leaves a row in
 * booking.event_load_signal: the next pass sees it and looks from the
 * start (bk_publish_events); before 2.0 the sweeper's rounds and purge()
 * looked from the start whatever had happened.
 *
 * Who publishes.  Publishing must happen in a short transaction of its
 * own: positions handed out by a transaction that stays open would hold
 * every later event back.  The sweeper publishes, woken at the commit of
 * every transaction that wrote events (BookingSweeperWake), and sends one
 * NOTIFY booking_events per round that published; booking.purge()
 * publishes too, and so does read_events() when it is its own
 * transaction and no sweeper serves the database.  Only at READ
 * COMMITTED: a publisher whose snapshot is older than another
 * publisher's commit would fail 40001 on the rows it positioned, so at
 * REPEATABLE READ and SERIALIZABLE nothing is published (the next
 * publisher does it).  The publisher takes a row lock on
 * booking.event_publisher, a row nobody outside the extension may lock:
 * the publisher's lock, which calendar.c keeps because it is also what
 * keeps the calendar's recomputations apart from the folds.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/itup.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "lib/binaryheap.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/xid8.h"

#include "booking.h"

/* Index entries a pass that publishes nothing may walk before it moves scan_from on */
#define BK_SCAN_FROM_SAVE_AFTER	64

static BookingPlan next_position_plan = {
	"SELECT pg_catalog.nextval('booking.event_position_seq'::pg_catalog.regclass)",
	0, {InvalidOid}
};

static BookingPlan save_scan_from_plan = {
	"UPDATE booking.event_publisher SET scan_from = $1",
	1, {XID8OID}
};

static BookingPlan skip_positions_plan = {
	"SELECT pg_catalog.setval('booking.event_position_seq'::pg_catalog.regclass, $1)",
	1, {INT8OID}
};

/* The load signals a pass saw ($1: their TIDs), deleted once it walked from the start */
static BookingPlan clear_load_signals_plan = {
	"DELETE FROM booking.event_load_signal WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)",
	1, {TIDARRAYOID}
};

/* The sweeper's wake-up call: the newest published event. */
static BookingPlan notify_published_plan = {
	"SELECT pg_catalog.pg_notify('booking_events', pg_catalog.max(event_id)::text)"
	"  FROM booking.event WHERE position IS NOT NULL",
	0, {InvalidOid}
};

/*
 * is_modified_event says whether the event in `slot` is a `modified` one.
 */
static bool
is_modified_event(TupleTableSlot *slot)
{
	text	   *kind = DatumGetTextPP(bk_direct_get_notnull(slot, bk_column(BK_EVENT_KIND)));

	return VARSIZE_ANY_EXHDR(kind) == 8 && memcmp(VARDATA_ANY(kind), "modified", 8) == 0;
}

/*
 * json_field returns field `key` of the jsonb object `object`
 * (jsonb_object_field, or jsonb_object_field_text when as_text), or
 * reports the modified event `event_id` whose payload lacks it: the
 * engine's events always carry their old stay, but a row put in by hand
 * may not, and DirectFunctionCall would only say that a function
 * returned NULL.
 */
static Datum
json_field(int64 event_id, Datum object, const char *key, bool as_text)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = object;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = CStringGetTextDatum(key);
	fcinfo->args[1].isnull = false;
	result = as_text ? jsonb_object_field_text(fcinfo) : jsonb_object_field(fcinfo);
	if (fcinfo->isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("booking: modified event " INT64_FORMAT " lacks its old stay", event_id),
				 errdetail("Its payload has no \"%s\"%s: the units of the old stay cannot be given back.",
						   key, as_text ? " in \"before\"" : ""),
				 errhint("The engine's modified events carry before.room_type, before.check_in, before.check_out and before.rooms; correct or delete a row put in by other means.")));
	return result;
}

/*
 * before_field returns field `key` of `before`, a modified event's
 * payload "before" (the reservation as it was), as text.
 */
static char *
before_field(int64 event_id, Datum before, const char *key)
{
	return TextDatumGetCString(json_field(event_id, before, key, true));
}

/*
 * modified_before fills *change with the second calendar change of the
 * modified event in `slot`: its old stay's units given back, read from the
 * payload's "before" (BK_MODIFIED_BEFORE_COLUMNS says the same in SQL).
 */
static void
modified_before(TupleTableSlot *slot, int64 property_id, BkCalendarDelta *change)
{
	int64		event_id = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_EVENT_EVENT_ID)));
	Datum		before = json_field(event_id, bk_direct_get_notnull(slot, bk_column(BK_EVENT_PAYLOAD)),
									"before", false);

	change->property_id = property_id;
	change->room_type = CStringGetTextDatum(before_field(event_id, before, "room_type"));
	change->first_night = DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(before_field(event_id, before, "check_in"))));
	change->end_night = DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(before_field(event_id, before, "check_out"))));
	change->delta = pg_strtoint32(before_field(event_id, before, "rooms"));
}


/* The publisher row's new scan_from (the caller holds its lock) */
static void
save_scan_from(FullTransactionId scan_from)
{
	Datum		arg = FullTransactionIdGetDatum(scan_from);

	bk_exec(&save_scan_from_plan, &arg, NULL, 0);
}

/* An event found not published yet: where it is, and the order it goes in */
typedef struct PendingEvent
{
	int64		event_id;
	FullTransactionId writer_xid;
	ItemPointerData tid;
} PendingEvent;

/* A max-heap of PendingEvent pointers by event_id (binaryheap's order) */
static int
pending_event_cmp(Datum a, Datum b, void *arg)
{
	int64		x = ((PendingEvent *) DatumGetPointer(a))->event_id;
	int64		y = ((PendingEvent *) DatumGetPointer(b))->event_id;

	return (x > y) - (x < y);
}

static int
pending_event_qsort_cmp(const void *a, const void *b)
{
	return pending_event_cmp(PointerGetDatum(*(PendingEvent *const *) a),
							 PointerGetDatum(*(PendingEvent *const *) b), NULL);
}

/*
 * widen_xid makes a full transaction id of `xid`, an xid of a snapshot
 * taken in this transaction (so not older than one epoch).
 */
static FullTransactionId
widen_xid(TransactionId xid)
{
	FullTransactionId next = ReadNextFullTransactionId();
	uint32		epoch = EpochFromFullTransactionId(next);

	if (xid > XidFromFullTransactionId(next))
		epoch--;
	return FullTransactionIdFromEpochAndXid(epoch, xid);
}

/*
 * scan_unpublished starts a walk of event_unpublished_xid_idx over the
 * events written from `from` on (`key` must live as long as the walk),
 * keeping each entry's index tuple when `entries` (bk_direct_scan_entries).
 * Entries of older versions of published events come too: the caller
 * skips those whose position is set.
 */
static IndexScanDesc
scan_unpublished(BkDirect *d, FullTransactionId from, ScanKeyData *key, bool entries)
{
	ScanKeyInit(key, 1, BTGreaterEqualStrategyNumber, F_XID8GE, FullTransactionIdGetDatum(from));
	return entries ? bk_direct_scan_entries(d, BK_EVENT, BK_EVENT_UNPUBLISHED_XID_IDX, key, 1)
		: bk_direct_scan(d, BK_EVENT, BK_EVENT_UNPUBLISHED_XID_IDX, key, 1);
}

/*
 * A reader's walk of event_unpublished_xid_idx for one property's events
 * (property_id 0: every property's).  From 2.0 the index carries each
 * event's property_id (INCLUDE): the walk passes over the entries of
 * other properties without reading their rows, so an availability call
 * beside busy writers reads the rows of its own property's pending events
 * only, not of every event written since the publisher's last pass.
 */
typedef struct UnpublishedWalk
{
	IndexScanDesc scan;
	ScanKeyData key;
	int64		property_id;
	bool		by_entry;		/* property_id is read from the entries */
} UnpublishedWalk;

static void
walk_unpublished(BkDirect *d, FullTransactionId from, int64 property_id, UnpublishedWalk *walk)
{
	Relation	index;

	walk->property_id = property_id;
	walk->scan = scan_unpublished(d, from, &walk->key, property_id != 0);
	index = walk->scan->indexRelation;
	/* every property's, or an index re-created otherwise by hand: every row */
	walk->by_entry = property_id != 0 && index->rd_index->indnatts >= 2 &&
		index->rd_index->indkey.values[1] == bk_column(BK_EVENT_PROPERTY_ID);
}

/*
 * next_unpublished puts into `found` the next row of the walk that its
 * snapshot sees, of the walk's property when the entries say which;
 * false at the end.  (index_getnext_slot's loop, with the entries of
 * other properties left out before their rows are fetched.)
 */
static bool
next_unpublished(UnpublishedWalk *walk, TupleTableSlot *found)
{
	IndexScanDesc scan = walk->scan;

	for (;;)
	{
		if (!scan->xs_heap_continue)
		{
			if (index_getnext_tid(scan, ForwardScanDirection) == NULL)
				return false;
			if (walk->by_entry && scan->xs_itup != NULL)
			{
				bool		isnull;
				Datum		property = index_getattr(scan->xs_itup, 2, scan->xs_itupdesc, &isnull);

				if (!isnull && DatumGetInt64(property) != walk->property_id)
					continue;
			}
		}
		if (index_fetch_heap(scan, found))
			return true;
	}
}

/*
 * find_pending finds the events this transaction sees that are not
 * published yet: the BK_PUBLISH_BATCH of them with the smallest event_ids,
 * in event_id order, in an array of *n pointers.
 *
 * At 1.2 it walks event_unpublished_xid_idx from *scan_from on.  Every
 * event not published yet has writer_xid >= scan_from: a transaction
 * older than scan_from had ended when the last pass took its snapshot, so
 * that pass saw its events (or it ended without any), and a transaction
 * running now has an xid of at least the snapshot's xmin.  The walk costs
 * what was written since, not every event published since the last
 * VACUUM.  It sets *scan_from to what the next pass may start from: the
 * snapshot's xmin, or the oldest writer_xid of an event this pass leaves
 * for later.  At 1.1 (no such index) it walks event_unpublished_idx from
 * its first entry, as 1.1 did.
 */
static PendingEvent **
find_pending(BkDirect *d, FullTransactionId *scan_from, bool from_start, int *n, int *visited)
{
	binaryheap *heap = binaryheap_allocate(BK_PUBLISH_BATCH, pending_event_cmp, NULL);
	TupleTableSlot *found = bk_direct_slot(d, BK_EVENT, BK_SLOT_FOUND);
	int			position_column = bk_column(BK_EVENT_POSITION);
	bool		by_xid = scan_from != NULL;
	FullTransactionId oldest_left = InvalidFullTransactionId;
	PendingEvent *spare = palloc(sizeof(PendingEvent));
	PendingEvent **events;
	IndexScanDesc scan;
	ScanKeyData key;

	if (by_xid)
		scan = scan_unpublished(d, from_start ? FullTransactionIdFromU64(0) : *scan_from, &key, false);
	else
		scan = bk_direct_scan(d, BK_EVENT, BK_EVENT_UNPUBLISHED_IDX, NULL, 0);
	*visited = 0;
	while (index_getnext_slot(scan, ForwardScanDirection, found))
	{
		PendingEvent *event = spare;
		bool		isnull;

		(*visited)++;
		(void) slot_getattr(found, position_column, &isnull);
		if (!isnull)
			continue;			/* an index entry of an older version */
		event->event_id = DatumGetInt64(bk_direct_get_notnull(found, bk_column(BK_EVENT_EVENT_ID)));
		event->writer_xid = DatumGetFullTransactionId(bk_direct_get_notnull(found, bk_column(BK_EVENT_WRITER_XID)));
		event->tid = found->tts_tid;
		if (heap->bh_size < BK_PUBLISH_BATCH)
		{
			binaryheap_add_unordered(heap, PointerGetDatum(event));
			spare = palloc(sizeof(PendingEvent));
			if (heap->bh_size == BK_PUBLISH_BATCH)
				binaryheap_build(heap);
			continue;
		}
		if (!by_xid)
			break;				/* in event_id order: the rest is for later */
		/* the heap is full: keep the smaller event_id, leave the other */
		if (event->event_id < ((PendingEvent *) DatumGetPointer(binaryheap_first(heap)))->event_id)
		{
			spare = (PendingEvent *) DatumGetPointer(binaryheap_first(heap));
			binaryheap_replace_first(heap, PointerGetDatum(event));
		}
		if (!FullTransactionIdIsValid(oldest_left) ||
			FullTransactionIdPrecedes(spare->writer_xid, oldest_left))
			oldest_left = spare->writer_xid;
	}
	index_endscan(scan);
	ExecClearTuple(found);

	*n = heap->bh_size;
	events = palloc(sizeof(PendingEvent *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		events[i] = (PendingEvent *) DatumGetPointer(heap->bh_nodes[i]);
	qsort(events, *n, sizeof(PendingEvent *), pending_event_qsort_cmp);
	if (by_xid)
	{
		*scan_from = widen_xid(d->snapshot->xmin);
		if (FullTransactionIdIsValid(oldest_left) && FullTransactionIdPrecedes(oldest_left, *scan_from))
			*scan_from = oldest_left;
	}
	return events;
}

/*
 * refuse_given_positions stops a pass whose first position `first` a
 * pass already gives.  From 2.0 no index on position keeps two events
 * from sharing one (the publisher's update of it is HOT without one), so
 * each pass checks that the sequence is past the last pass (event_pass.c,
 * one step of its key): only a sequence set back, by hand or by a
 * restore that left it out, is not.
 */
static void
refuse_given_positions(BkDirect *d, int64 first)
{
	int64		last_given = bk_event_pass_last_given(d);

	if (first <= last_given)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("booking.event_position_seq is behind the publishing passes"),
				 errdetail("Its next value is " INT64_FORMAT "; booking.event_pass gives positions up to " INT64_FORMAT ". Events would share positions.",
						   first, last_given),
				 errhint("As the extension's owner, set it past them: SELECT pg_catalog.setval('booking.event_position_seq', " INT64_FORMAT ");",
						 last_given)));
}

/*
 * publish positions the unpublished events this transaction sees
 * (committed, or its own), up to BK_PUBLISH_BATCH of them, in event_id
 * order, and folds their calendar changes into the room calendar; the
 * caller holds the publisher's lock.  scan_from is the publisher row's
 * (NULL at 1.1), which it moves on.  Returns how many it published.
 *
 * It writes each position without SPI: the cost is one index walk
 * (find_pending) and one row per event.  (An UPDATE ... FROM over the
 * unpublished ids was planned once per backend and could keep a plan made
 * when the table was small: a sequential scan of every event, kept, per
 * pass.)  No row lock: only the holder of the publisher's lock writes a
 * position, and nothing else updates a committed event.
 */
static int
publish(FullTransactionId *scan_from, bool from_start)
{
	BkDirect	d;
	int64		first;
	PendingEvent **events;
	int			nevents;
	BkCalendarDelta *deltas;
	int			ndeltas = 0;
	bool		has_deltas;
	TupleTableSlot *found;
	TupleTableSlot *slot;
	TupleDesc	desc;
	int			position_column;
	FullTransactionId scanned_from = scan_from ? *scan_from : InvalidFullTransactionId;
	int			visited;

	bk_direct_begin(&d, false);
	events = find_pending(&d, scan_from, from_start, &nevents, &visited);
	bk_direct_end(&d);
	if (nevents == 0)
	{
		/*
		 * Nothing to publish: move scan_from on only when the walk was
		 * long, so that an idle server writes nothing (saving it takes an
		 * xid, which moves the next snapshot's xmin on again).
		 */
		if (scan_from != NULL && !from_start && visited > BK_SCAN_FROM_SAVE_AFTER &&
			FullTransactionIdFollows(*scan_from, scanned_from))
			save_scan_from(*scan_from);
		return 0;
	}

	bk_exec(&next_position_plan, NULL, NULL, 1);
	first = bk_get_int64(0, 1);
	if (nevents > 1)
	{
		Datum		last = Int64GetDatum(first + nevents - 1);

		bk_exec(&skip_positions_plan, &last, NULL, 1);
	}

	bk_direct_begin(&d, true);
	if (scan_from != NULL && bk_schema_has_event_pass())
		refuse_given_positions(&d, first);
	found = bk_direct_slot(&d, BK_EVENT, BK_SLOT_FOUND);
	slot = bk_direct_slot(&d, BK_EVENT, BK_SLOT_NEW);
	desc = RelationGetDescr(bk_direct_relation(&d, BK_EVENT));
	position_column = bk_column(BK_EVENT_POSITION);
	has_deltas = bk_unit_has_event_deltas();	/* known once the table is open */
	deltas = palloc(sizeof(BkCalendarDelta) * nevents * 2);	/* a modified event has two */
	for (int i = 0; i < nevents; i++)
	{
		Datum		position = Int64GetDatum(first + i);
		bool		isnull = false;

		if (!table_tuple_fetch_row_version(bk_direct_relation(&d, BK_EVENT), &events[i]->tid,
										   SnapshotSelf, found))
			elog(ERROR, "booking: event " INT64_FORMAT " is gone while it is published",
				 events[i]->event_id);
		if (has_deltas)
		{
			bool		no_delta;
			Datum		delta = slot_getattr(found, bk_column(BK_EVENT_FREE_DELTA), &no_delta);

			if (!no_delta)
			{
				BkCalendarDelta *change = &deltas[ndeltas++];

				change->property_id = DatumGetInt64(bk_direct_get_notnull(found, bk_column(BK_EVENT_PROPERTY_ID)));
				change->room_type = datumCopy(bk_direct_get_notnull(found, bk_column(BK_EVENT_ROOM_TYPE)),
											  false, -1);
				change->first_night = DatumGetDateADT(bk_direct_get_notnull(found, bk_column(BK_EVENT_FIRST_NIGHT)));
				change->end_night = DatumGetDateADT(bk_direct_get_notnull(found, bk_column(BK_EVENT_END_NIGHT)));
				change->delta = DatumGetInt32(delta);
				if (is_modified_event(found))
					modified_before(found, change->property_id, &deltas[ndeltas++]);
			}
		}
		ExecStoreHeapTuple(heap_modify_tuple_by_cols(ExecFetchSlotHeapTuple(found, false, NULL), desc,
													 1, &position_column, &position, &isnull),
						   slot, true);
		bk_direct_update(&d, BK_EVENT, &events[i]->tid, slot);
		ExecClearTuple(slot);
	}
	ExecClearTuple(found);
	if (scan_from != NULL && bk_schema_has_event_pass())
	{
		int64	   *event_ids = palloc(sizeof(int64) * nevents);

		for (int i = 0; i < nevents; i++)
			event_ids[i] = events[i]->event_id;
		bk_event_pass_record(&d, first, event_ids, nevents);	/* event_pass.c */
	}
	bk_direct_end(&d);

	/*
	 * A pass from the start that leaves events for later (past
	 * BK_PUBLISH_BATCH) may leave some below the saved scan_from (loaded
	 * with another cluster's xids): it moves scan_from back to them, since
	 * no later pass looks from the start unless a new load says so.
	 */
	if (scan_from != NULL &&
		(FullTransactionIdFollows(*scan_from, scanned_from) ||
		 (from_start && FullTransactionIdPrecedes(*scan_from, scanned_from))))
		save_scan_from(*scan_from);
	if (ndeltas > 0)
	{
		bk_calendar_fold(deltas, ndeltas);
		bk_ari_record_deltas(deltas, ndeltas);	/* the ARI feed (ari.c) */
	}
	return nevents;
}

/*
 * read_scan_from reads the publisher row's scan_from in the unit's
 * snapshot, without SPI (from the start when the row is gone).
 */
static FullTransactionId
read_scan_from(BkDirect *d)
{
	TupleTableSlot *row = bk_direct_slot(d, BK_EVENT_PUBLISHER, BK_SLOT_FOUND);
	TableScanDesc scan = table_beginscan(bk_direct_relation(d, BK_EVENT_PUBLISHER), d->snapshot, 0, NULL);
	FullTransactionId from = FullTransactionIdFromU64(0);

	if (table_scan_getnextslot(scan, ForwardScanDirection, row))
		from = DatumGetFullTransactionId(bk_direct_get_notnull(row, bk_column(BK_EVENT_PUBLISHER_SCAN_FROM)));
	table_endscan(scan);
	ExecClearTuple(row);
	return from;
}

/*
 * events_waiting says whether an event this transaction sees waits to be
 * published: from scan_from on, or from the start.  Asked before the
 * publisher's lock is taken, since locking a row takes an xid and writes
 * WAL: a pass on an idle server would write every round.  A direct walk
 * of event_unpublished_xid_idx, as find_pending's, never a plan the
 * planner could have made while the table was small.
 */
static bool
events_waiting(bool from_start)
{
	BkDirect	d;
	IndexScanDesc scan;
	ScanKeyData key;
	TupleTableSlot *found;
	bool		waiting = false;

	bk_direct_begin(&d, false);
	found = bk_direct_slot(&d, BK_EVENT, BK_SLOT_FOUND);
	scan = scan_unpublished(&d, from_start ? FullTransactionIdFromU64(0) : read_scan_from(&d), &key, false);
	while (!waiting && index_getnext_slot(scan, ForwardScanDirection, found))
	{
		bool		isnull;

		(void) slot_getattr(found, bk_column(BK_EVENT_POSITION), &isnull);
		waiting = isnull;		/* else an index entry of an older version */
	}
	index_endscan(scan);
	ExecClearTuple(found);
	bk_direct_end(&d);
	return waiting;
}

/*
 * bk_events_pending_changes returns the calendar changes of the events
 * the unit's snapshot sees that are not published yet, on nights of
 * [first, end), of one property (any when property_id is 0), a modified
 * event's second change (its old stay given back) included, in the
 * current memory context; *n says how many.  A walk of
 * event_unpublished_xid_idx from the publisher row's scan_from, read in
 * the same snapshot (every event not published yet has writer_xid >=
 * scan_from: find_pending), as the publisher's own walk: no plan, no
 * executor start-up, on every search and availability call.
 */
BkCalendarDelta *
bk_events_pending_changes(BkDirect *d, DateADT first, DateADT end, int64 property_id, int *n)
{
	TupleTableSlot *found = bk_direct_slot(d, BK_EVENT, BK_SLOT_FOUND);
	int			max = 16;
	int			count = 0;
	BkCalendarDelta *changes = palloc(sizeof(BkCalendarDelta) * max);
	UnpublishedWalk walk;

	walk_unpublished(d, read_scan_from(d), property_id, &walk);
	while (next_unpublished(&walk, found))
	{
		bool		isnull;
		Datum		delta;
		int64		event_property;
		BkCalendarDelta *change;

		(void) slot_getattr(found, bk_column(BK_EVENT_POSITION), &isnull);
		if (!isnull)
			continue;			/* an index entry of an older version */
		delta = slot_getattr(found, bk_column(BK_EVENT_FREE_DELTA), &isnull);
		if (isnull)
			continue;			/* no calendar change */
		event_property = DatumGetInt64(bk_direct_get_notnull(found, bk_column(BK_EVENT_PROPERTY_ID)));
		if (property_id != 0 && event_property != property_id)
			continue;
		if (count + 2 > max)
		{
			max *= 2;
			changes = repalloc(changes, sizeof(BkCalendarDelta) * max);
		}
		change = &changes[count];
		change->first_night = DatumGetDateADT(bk_direct_get_notnull(found, bk_column(BK_EVENT_FIRST_NIGHT)));
		change->end_night = DatumGetDateADT(bk_direct_get_notnull(found, bk_column(BK_EVENT_END_NIGHT)));
		if (change->first_night < end && change->end_night > first)
		{
			change->property_id = event_property;
			change->room_type = datumCopy(bk_direct_get_notnull(found, bk_column(BK_EVENT_ROOM_TYPE)),
										  false, -1);
			change->delta = DatumGetInt32(delta);
			count++;
		}
		if (is_modified_event(found))
		{
			modified_before(found, event_property, &changes[count]);
			if (changes[count].first_night < end && changes[count].end_night > first)
				count++;
		}
	}
	index_endscan(walk.scan);
	ExecClearTuple(found);
	*n = count;
	return changes;
}

/*
 * bk_publish_events publishes the events that are ready, unless another
 * transaction is publishing right now (then it leaves the work to it) or
 * the caller runs at REPEATABLE READ or SERIALIZABLE.  The caller is
 * inside an SPI connection, in a short transaction of its own.  Returns
 * how many it published.
 *
 * from_start looks at every event not published yet, whatever its
 * writer_xid: in a database before 2.0 the sweeper's rounds and purge()
 * do, so that an event whose writer_xid is below scan_from all the same
 * (put in with the trigger event_local_writer disabled, as a restore with
 * --disable-triggers does) is published within a round.  From 2.0 such a
 * load leaves a row in booking.event_load_signal (events.c,
 * booking_event_table_altered), and a pass that sees one looks from the
 * start by itself, then deletes the signals it saw (a pass from the start
 * for any reason deletes those it saw too).
 */
int
bk_publish_events(bool from_start)
{
	FullTransactionId scan_from;
	Datum		signals = (Datum) 0;
	int			published;

	if (IsolationUsesXactSnapshot())
		return 0;
	if (!bk_schema_has_event_deltas())
		return bk_compat_publish_lock() ? publish(NULL, from_start) : 0;
	(void) bk_event_pass_mend();	/* a restore's events first: event_pass.c */
	if (bk_schema_has_load_signal())
	{
		signals = bk_load_signals();
		from_start |= signals != (Datum) 0;
	}
	if (!events_waiting(from_start) && signals == (Datum) 0)
		return 0;
	/*
	 * Another session's load in progress (the restore fence sees it where
	 * the library is preloaded): a 2.0 dump's own passes may still be on
	 * their way, and those bk_event_pass_mend_loaded would make would
	 * collide with them.  The signals wait for the load to end.
	 */
	if (signals != (Datum) 0 && bk_fence_other_loader(MyDatabaseId))
		return 0;
	if (!bk_publisher_try_lock(&scan_from))
		return 0;
	if (signals != (Datum) 0)
		(void) bk_event_pass_mend_loaded();	/* a load's positioned events: event_pass.c */
	published = publish(&scan_from, from_start);
	if (signals != (Datum) 0)
		bk_exec(&clear_load_signals_plan, &signals, NULL, 0);
	return published;
}

/*
 * bk_notify_published sends one NOTIFY booking_events with the newest
 * published event id: the sweeper's wake-up call for consumers.
 */
void
bk_notify_published(void)
{
	bk_exec(&notify_published_plan, NULL, NULL, 1);
}


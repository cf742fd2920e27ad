/*-------------------------------------------------------------------------
 * events.c
 *    The event outbox: every state change writes one row to booking.event
 *    in the same transaction (bk_event_write, without SPI); consumers read
 *    with booking.read_events() and acknowledge with booking.ack_events().
 *
 * Each event also carries the change it made to the free units of its
 * room type (room_type, [first_night, end_night), free_delta): that is
 * how the room calendar is kept off the writers' path.  Writers never
 * touch booking.room_calendar; the publisher folds the deltas of the
 * events it publishes into it, in the same transaction, and readers of
 * the calendar add the deltas of the events not published yet (those
 * their snapshot sees), so they never answer from a state older than the
 * last commit (calendar.c keeps the calendar, calendar_read.c reads it).
 *
 * Why positions.  event_ids come from a sequence, so a transaction can
 * commit an event with a smaller id after another has committed a larger
 * one; a consumer that read "every id after the last one I saw" would skip
 * it.  So events are delivered by `position`, handed out later by one
 * publisher at a time to the committed events it sees, in event_id order.
 * An event that commits later gets a later position, whatever its id, so
 * a consumer that has acknowledged position p never misses an event;
 * events of one reservation are written under its row lock, so they are
 * published in the order they happened.  The publisher, and the readers'
 * walk of the events not published yet, are in publisher.c.
 *
 * Writers never NOTIFY by default: the sweeper sends one NOTIFY
 * booking_events per round that published.  With booking.notify_events
 * on, every writing transaction also sends its own (PostgreSQL then
 * commits notifying transactions one at a time).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "commands/async.h"
#include "commands/event_trigger.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/xid8.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_read_events);
PG_FUNCTION_INFO_V1(booking_ack_events);
PG_FUNCTION_INFO_V1(booking_event_local_writer);
PG_FUNCTION_INFO_V1(booking_event_table_altered);

/*
 * Whether the statement that fired the event trigger altered table $1 or
 * created a trigger on it
 */
static BookingPlan altered_event_table_plan = {
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c"
	"                WHERE (c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
	"                       AND c.objid OPERATOR(pg_catalog.=) $1)"
	"                   OR (c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass"
	"                       AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t"
	"                                    WHERE t.oid OPERATOR(pg_catalog.=) c.objid"
	"                                      AND t.tgrelid OPERATOR(pg_catalog.=) $1)))",
	1, {OIDOID}
};

/* A load into booking.event may have brought rows below scan_from */
static BookingPlan signal_load_plan = {
	"INSERT INTO booking.event_load_signal DEFAULT VALUES",
	0, {InvalidOid}
};

/* The largest max of read_events and read_ari */
#define BK_MAX_READ			10000

static BookingPlan register_consumer_plan = {
	"INSERT INTO booking.event_consumer (consumer) VALUES ($1) ON CONFLICT DO NOTHING",
	1, {TEXTOID}
};

static BookingPlan acked_position_plan = {
	"SELECT acked_position FROM booking.event_consumer WHERE consumer OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}
};

/*
 * Before 2.0 (no booking.event_pass: event_pass.c reads from 2.0).
 * The events after the consumer's acknowledged position ($1, read first):
 * a kept plan that joined event_consumer here scanned every event kept,
 * from the first position, filtering on the join (200,000 events: 70 ms
 * for a read of 10), as read_ari's did.
 */
static BookingPlan read_plan = {
	"SELECT e.event_id, e.occurred_at, e.kind, e.reservation_id, e.property_id, e.payload"
	"  FROM booking.event e"
	" WHERE e.position OPERATOR(pg_catalog.>) $1"
	" ORDER BY e.position LIMIT $2",
	2, {INT8OID, INT4OID}
};

static BookingPlan ack_lookup_plan = {
	"SELECT c.acked_position, e.position, c.acked_event_id"
	"  FROM booking.event_consumer c"
	"  LEFT JOIN booking.event e ON e.event_id OPERATOR(pg_catalog.=) $2"
	" WHERE c.consumer OPERATOR(pg_catalog.=) $1 FOR UPDATE OF c",
	2, {TEXTOID, INT8OID}
};

static BookingPlan record_ack_plan = {
	"UPDATE booking.event_consumer"
	"   SET acked_position = $2, acked_event_id = $3, updated_at = pg_catalog.now()"
	" WHERE consumer OPERATOR(pg_catalog.=) $1",
	3, {TEXTOID, INT8OID, INT8OID}
};

/* Before 2.0 (no booking.event_pass): counted by the index on position */
static BookingPlan ack_plan = {
	"WITH acked AS ("
	"  UPDATE booking.event_consumer"
	"     SET acked_position = $3, acked_event_id = $4, updated_at = pg_catalog.now()"
	"   WHERE consumer OPERATOR(pg_catalog.=) $1)"
	" SELECT pg_catalog.count(*)::int FROM booking.event"
	"  WHERE position OPERATOR(pg_catalog.>) $2 AND position OPERATOR(pg_catalog.<=) $3",
	4, {TEXTOID, INT8OID, INT8OID, INT8OID}
};

/*
 * Before 2.0 (event_pass.c purges through the passes from 2.0).
 * Published events every consumer has acknowledged (all of them when
 * there is no consumer) and older than $1: of the first $2 in position
 * order, those old enough.  The cost is bounded by $2, whatever the size
 * of the table: a filter on occurred_at over the whole position order
 * would read every event kept, on every round, to find none (and when
 * the oldest is not old enough, nothing is read).  An old
 * event behind a younger one (positions follow commits, occurred_at the
 * start of the writer's transaction) waits until that one is old too.
 */
static BookingPlan purge_plan = {
	"DELETE FROM booking.event WHERE event_id OPERATOR(pg_catalog.=) ANY (ARRAY("
	"  SELECT event_id FROM booking.event"
	"   WHERE position IS NOT NULL"
	"     AND $1 OPERATOR(pg_catalog.>) (SELECT o.occurred_at FROM booking.event o"
	"                                     WHERE o.position IS NOT NULL ORDER BY o.position LIMIT 1)"
	"     AND position OPERATOR(pg_catalog.<=) COALESCE((SELECT pg_catalog.min(acked_position)"
	"                                                      FROM booking.event_consumer),"
	"                                                   9223372036854775807)"
	"   ORDER BY position LIMIT $2))"
	"   AND occurred_at OPERATOR(pg_catalog.<) $1",
	2, {TIMESTAMPTZOID, INT4OID}
};

/* Whether this transaction wrote events, and the commit callback is set */
static bool wrote_events = false;
static bool callback_registered = false;

/*
 * events_xact_callback wakes the sweeper when a transaction that wrote
 * events commits, so it publishes them (and folds their calendar
 * changes) within milliseconds.
 */
static void
events_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wrote_events)
				BookingSweeperWake();
			wrote_events = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wrote_events = false;
			break;
		default:
			break;
	}
}

/*
 * A payload is built as one JSON object value, its pairs put straight
 * into an array in the order jsonb keeps keys in (shorter first, then
 * bytewise), instead of going through
 * pushJsonbValue's parse state, which copies every pair and sorts and
 * de-duplicates them again: an event is written on every hot path.  The
 * keys are the engine's own and never repeat.
 */
#define PAYLOAD_MAX_KEYS 24

typedef struct JsonObject
{
	int			n;
	JsonbPair	pairs[PAYLOAD_MAX_KEYS];
} JsonObject;

/* json_pair adds one key (a literal) and returns its value to fill in */
static JsonbValue *
json_pair(JsonObject *object, const char *key)
{
	JsonbPair  *pair = &object->pairs[object->n];

	Assert(object->n < PAYLOAD_MAX_KEYS);
	pair->key.type = jbvString;
	pair->key.val.string.val = (char *) key;
	pair->key.val.string.len = strlen(key);
	pair->order = object->n++;
	return &pair->value;
}

static void
json_text(JsonObject *object, const char *key, const char *value)
{
	JsonbValue *v = json_pair(object, key);

	if (value == NULL)
		v->type = jbvNull;
	else
	{
		v->type = jbvString;
		v->val.string.val = (char *) value;
		v->val.string.len = strlen(value);
	}
}

static void
json_numeric(JsonObject *object, const char *key, Datum numeric)
{
	JsonbValue *v = json_pair(object, key);

	v->type = jbvNumeric;
	v->val.numeric = DatumGetNumeric(numeric);
}

static void
json_bool(JsonObject *object, const char *key, bool value)
{
	JsonbValue *v = json_pair(object, key);

	v->type = jbvBool;
	v->val.boolean = value;
}

static void
json_datetime(JsonObject *object, const char *key, Datum value, bool isnull, Oid type)
{
	char		buf[MAXDATELEN + 1];

	/* the string must outlive buf: the object is put together at its end */
	json_text(object, key, isnull ? NULL : pstrdup(JsonEncodeDateTime(buf, value, type, NULL)));
}

/* json_key_cmp orders pairs as jsonb stores an object's keys */
static int
json_key_cmp(const void *a, const void *b)
{
	const JsonbValue *x = &((const JsonbPair *) a)->key;
	const JsonbValue *y = &((const JsonbPair *) b)->key;

	if (x->val.string.len != y->val.string.len)
		return x->val.string.len < y->val.string.len ? -1 : 1;
	return memcmp(x->val.string.val, y->val.string.val, x->val.string.len);
}

/*
 * json_object_datum makes the jsonb.  Its pairs are added in jsonb's key
 * order (one pass checks it; sorted here when they are not).
 */
static Datum
json_object_datum(JsonObject *object)
{
	JsonbValue	value;

	for (int i = 1; i < object->n; i++)
		if (json_key_cmp(&object->pairs[i - 1], &object->pairs[i]) > 0)
		{
			qsort(object->pairs, object->n, sizeof(JsonbPair), json_key_cmp);
			break;
		}
	value.type = jbvObject;
	value.val.object.nPairs = object->n;
	value.val.object.pairs = object->pairs;
	return JsonbPGetDatum(JsonbValueToJsonb(&value));
}

/* A reservation row taken apart once, for the payload */
typedef struct ReservationValues
{
	Datum	   *values;
	bool	   *nulls;
} ReservationValues;

/*
 * text_value returns a text column of the row as a C string, NULL when it
 * is NULL.
 */
static char *
text_value(const ReservationValues *row, BkColumn column)
{
	int			i = bk_column(column) - 1;

	return row->nulls[i] ? NULL : TextDatumGetCString(row->values[i]);
}

static void write_event(BkDirect *d, const char *kind, const BkReservation *r, Datum payload,
						int32 free_delta, ItemPointer tid);

/*
 * event_payload builds the payload of a `kind` event of a reservation as
 * it is after the change: what consumers need without another query.
 * From 2.0 it carries the rate plan, the children and, once charged, the
 * cancellation_fee; refund_amount, when given, is what a cancel pays back.
 */
static Datum
event_payload(const char *kind, const BkReservation *r, TupleDesc desc, Numeric refund_amount)
{
	JsonObject	object;
	ReservationValues row;
	char	   *payment_intent;
	char	   *payment_ref;
	bool		gone = strcmp(kind, "expired") == 0 || strcmp(kind, "cancelled") == 0;
	int			deadline = bk_column(BK_RESERVATION_HOLD_EXPIRES_AT) - 1;
	bool		plans = bk_has_column(BK_RESERVATION_RATE_PLAN);

	row.values = palloc(sizeof(Datum) * desc->natts);
	row.nulls = palloc(sizeof(bool) * desc->natts);
	heap_deform_tuple(r->tuple, desc, row.values, row.nulls);
	payment_intent = text_value(&row, BK_RESERVATION_PAYMENT_INTENT);
	payment_ref = text_value(&row, BK_RESERVATION_PAYMENT_REF);

	/*
	 * In jsonb's key order (json_object_datum): by length, then bytes, so
	 * that the object needs no sort.  2.0's keys (children, rate_plan,
	 * refund_amount, cancellation_fee) are there when the schema has them.
	 */
	object.n = 0;
	if (bk_has_column(BK_RESERVATION_BLOCK) && !row.nulls[bk_column(BK_RESERVATION_BLOCK) - 1])
		json_text(&object, "block", text_value(&row, BK_RESERVATION_BLOCK));	/* 2.0: blocks */
	json_numeric(&object, "rooms", DirectFunctionCall1(int4_numeric, Int32GetDatum(r->rooms)));
	json_text(&object, "state", bk_state_name(r->state));
	json_bool(&object, "refund", strcmp(kind, "cancelled") == 0 && payment_ref != NULL);
	json_datetime(&object, "check_in", DateADTGetDatum(r->check_in), false, DATEOID);
	if (plans)
		json_numeric(&object, "children", DirectFunctionCall1(int4_numeric, row.values[bk_column(BK_RESERVATION_CHILDREN) - 1]));
	if (bk_has_column(BK_RESERVATION_GROUP_ID) && !row.nulls[bk_column(BK_RESERVATION_GROUP_ID) - 1])
		json_numeric(&object, "group_id",
					 DirectFunctionCall1(int8_numeric, row.values[bk_column(BK_RESERVATION_GROUP_ID) - 1]));
	json_text(&object, "guest_id", text_value(&row, BK_RESERVATION_GUEST_ID));
	json_datetime(&object, "check_out", DateADTGetDatum(r->check_out), false, DATEOID);
	if (plans)
		json_text(&object, "rate_plan", text_value(&row, BK_RESERVATION_RATE_PLAN));
	json_text(&object, "room_type", TextDatumGetCString(r->room_type));
	json_text(&object, "payment_ref", payment_ref);
	json_numeric(&object, "total_price", row.values[bk_column(BK_RESERVATION_TOTAL_PRICE) - 1]);
	json_text(&object, "cancel_reason", text_value(&row, BK_RESERVATION_CANCEL_REASON));
	if (refund_amount != NULL)
		json_numeric(&object, "refund_amount", NumericGetDatum(refund_amount));
	json_text(&object, "payment_intent", payment_intent);
	json_datetime(&object, "hold_expires_at", row.values[deadline], row.nulls[deadline],
				  TIMESTAMPTZOID);
	if (plans && !row.nulls[bk_column(BK_RESERVATION_CANCELLATION_FEE) - 1])
		json_numeric(&object, "cancellation_fee", row.values[bk_column(BK_RESERVATION_CANCELLATION_FEE) - 1]);
	json_text(&object, "confirmation_code", text_value(&row, BK_RESERVATION_CONFIRMATION_CODE));
	json_bool(&object, "void_authorization", gone && payment_intent != NULL && payment_ref == NULL);
	return json_object_datum(&object);
}

/*
 * bk_event_write writes one `kind` event for reservation *r as it is now
 * (after the change), in the unit d.  free_delta is the change the event
 * made to the free units of each night of the reservation's stay (0 when
 * none: a confirm of a live hold, a payment begun).  At commit the
 * sweeper is woken to publish it.  Where it went is put in *tid, when
 * given.
 */
void
bk_event_write(BkDirect *d, const char *kind, const BkReservation *r, int32 free_delta,
			   ItemPointer tid)
{
	TupleDesc	rdesc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));

	write_event(d, kind, r, event_payload(kind, r, rdesc, NULL), free_delta, tid);
}

/*
 * bk_event_write_charged writes a `kind` event (cancelled, no_show) of
 * reservation *r as it is now, as bk_event_write does, its payload also
 * carrying refund_amount, what the guest gets back (2.0).
 */
void
bk_event_write_charged(BkDirect *d, const char *kind, const BkReservation *r, int32 free_delta,
					   Numeric refund_amount)
{
	TupleDesc	rdesc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));

	write_event(d, kind, r, event_payload(kind, r, rdesc, refund_amount), free_delta, NULL);
}

/*
 * bk_event_write_release writes a `kind` event (checked_out, no_show) of
 * reservation *r as it is now, whose calendar change is `rooms` units
 * given back on the nights [first, end) that the stay no longer holds
 * (2.0); refund_amount as for bk_event_write_charged, or NULL.
 */
void
bk_event_write_release(BkDirect *d, const char *kind, const BkReservation *r,
					   DateADT first, DateADT end, Numeric refund_amount)
{
	TupleDesc	rdesc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
	Datum		payload = event_payload(kind, r, rdesc, refund_amount);
	BkReservation released = *r;

	released.check_in = first;
	released.check_out = end;
	write_event(d, kind, &released, payload, first < end ? r->rooms : 0, NULL);
}

/*
 * bk_event_write_modified writes the `modified` event of reservation *r
 * as it is now, its payload also carrying the reservation as it was,
 * under "before".  Its calendar change is two: the new stay's units taken
 * (its delta columns, as any event's) and the old stay's given back (read
 * from "before" by the publisher and the readers:
 * BK_MODIFIED_BEFORE_COLUMNS), so no writer locks the room calendar.
 */
void
bk_event_write_modified(BkDirect *d, const BkReservation *r, const BkReservation *before)
{
	TupleDesc	rdesc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
	Datum		path = CStringGetTextDatum("before");
	ArrayType  *path_array = construct_array(&path, 1, TEXTOID, -1, false, TYPALIGN_INT);
	Datum		payload = DirectFunctionCall4(jsonb_set,
											  event_payload("modified", r, rdesc, NULL),
											  PointerGetDatum(path_array),
											  event_payload("modified", before, rdesc, NULL),
											  BoolGetDatum(true));

	write_event(d, "modified", r, payload, -r->rooms, NULL);
}

/*
 * bk_event_write_payload writes a `kind` event of reservation *r with the
 * payload given (jsonb) and no calendar change: channel.c's `overbooked`.
 */
void
bk_event_write_payload(BkDirect *d, const char *kind, const BkReservation *r, Datum payload)
{
	write_event(d, kind, r, payload, 0, NULL);
}

/*
 * write_event writes one event with `payload`; see bk_event_write.
 */
static void
write_event(BkDirect *d, const char *kind, const BkReservation *r, Datum payload,
			int32 free_delta, ItemPointer tid)
{
	TupleTableSlot *slot = bk_direct_slot(d, BK_EVENT, BK_SLOT_INSERT);
	int64		event_id = nextval_internal(bk_index_oid(BK_EVENT_ID_SEQ), false);

	bk_slot_new_row(slot);
	bk_slot_set(slot, BK_EVENT_EVENT_ID, Int64GetDatum(event_id));
	bk_slot_set(slot, BK_EVENT_OCCURRED_AT, TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
	bk_slot_set(slot, BK_EVENT_KIND, CStringGetTextDatum(kind));
	bk_slot_set(slot, BK_EVENT_RESERVATION_ID, Int64GetDatum(r->reservation_id));
	bk_slot_set(slot, BK_EVENT_PROPERTY_ID, Int64GetDatum(r->property_id));
	bk_slot_set(slot, BK_EVENT_PAYLOAD, payload);
	bk_slot_set(slot, BK_EVENT_WRITER_XID, FullTransactionIdGetDatum(GetTopFullTransactionId()));
	if (free_delta != 0 && bk_unit_has_event_deltas())
	{
		bk_slot_set(slot, BK_EVENT_ROOM_TYPE, r->room_type);
		bk_slot_set(slot, BK_EVENT_FIRST_NIGHT, DateADTGetDatum(r->check_in));
		bk_slot_set(slot, BK_EVENT_END_NIGHT, DateADTGetDatum(r->check_out));
		bk_slot_set(slot, BK_EVENT_FREE_DELTA, Int32GetDatum(free_delta));
	}
	ExecStoreVirtualTuple(slot);
	bk_direct_insert(d, BK_EVENT, slot);
	if (tid != NULL)
		*tid = slot->tts_tid;
	ExecClearTuple(slot);
	if (free_delta != 0 && !bk_unit_has_event_deltas())
		bk_compat_calendar_shift(r->property_id, r->room_type, r->check_in, r->check_out,
								 free_delta);

	if (booking_notify_events)
	{
		char		payload[32];

		snprintf(payload, sizeof(payload), INT64_FORMAT, event_id);
		Async_Notify("booking_events", payload);
	}
	if (!callback_registered)
	{
		RegisterXactCallback(events_xact_callback, NULL);
		callback_registered = true;
	}
	wrote_events = true;
}

/*
 * bk_event_rewrite_payload gives the event at `tid`, written by this
 * transaction, the payload of reservation *r as it is now (reserve_range
 * writes its event before it locks the nights, and a price that changed
 * meanwhile changes the reservation's total).
 */
void
bk_event_rewrite_payload(BkDirect *d, ItemPointer tid, const char *kind, const BkReservation *r)
{
	TupleTableSlot *found = bk_direct_slot(d, BK_EVENT, BK_SLOT_LOCKED);
	TupleTableSlot *slot = bk_direct_slot(d, BK_EVENT, BK_SLOT_NEW);
	TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_EVENT));
	int			column = bk_column(BK_EVENT_PAYLOAD);
	Datum		payload = event_payload(kind, r, RelationGetDescr(bk_direct_relation(d, BK_RESERVATION)), NULL);
	bool		isnull = false;

	if (!table_tuple_fetch_row_version(bk_direct_relation(d, BK_EVENT), tid, SnapshotAny, found))
		elog(ERROR, "booking: the event this call wrote is gone");
	ExecStoreHeapTuple(heap_modify_tuple_by_cols(ExecFetchSlotHeapTuple(found, false, NULL), desc,
												 1, &column, &payload, &isnull),
					   slot, true);
	ExecClearTuple(found);
	bk_direct_update(d, BK_EVENT, tid, slot);
	ExecClearTuple(slot);
}

/*
 * booking_event_local_writer is the BEFORE INSERT row trigger
 * event_local_writer on booking.event, which fires only for a row whose
 * writer_xid is not this transaction's or that has a position (its WHEN
 * clause, the second from 2.0): a row put in by
 * other means than the engine, such as a restore's COPY, which carries
 * the xids of the cluster it was dumped from.  It gives the row this
 * transaction's xid, so that the row is not below scan_from when it
 * commits: the publisher and the readers find it at once.
 *
 * A row that comes with a position (a restore, a copy of another
 * database's outbox) also leaves a row in booking.event_load_signal,
 * once per (sub)transaction (from 2.0): no index on position shows it, and
 * the pass that sees the signal makes its pass and moves the position
 * sequence past it before it gives any position (event_pass.c,
 * bk_event_pass_mend_loaded), so no new event takes it.
 */
Datum
booking_event_local_writer(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = bk_require_row_trigger(fcinfo, TRIGGER_EVENT_INSERT,
												   "booking.event_local_writer");
	TupleDesc	desc;
	int			column;
	int			position;
	Datum		xid;
	bool		isnull = false;
	static FullTransactionId signalled_in = {0};

	desc = RelationGetDescr(trigdata->tg_relation);
	column = SPI_fnumber(desc, "writer_xid");
	if (column <= 0)
		elog(ERROR, "booking.event_local_writer needs a column \"writer_xid\"");
	position = SPI_fnumber(desc, "position");
	if (position > 0 && bk_schema_has_load_signal() &&
		!FullTransactionIdEquals(signalled_in, GetCurrentFullTransactionId()))
	{
		bool		no_position;

		(void) heap_getattr(trigdata->tg_trigtuple, position, desc, &no_position);
		if (!no_position)
		{
			bk_connect();
			bk_exec(&signal_load_plan, NULL, NULL, 0);
			bk_finish();
			signalled_in = GetCurrentFullTransactionId();
		}
	}
	xid = FullTransactionIdGetDatum(GetTopFullTransactionId());
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_trigtuple, desc,
													 1, &column, &xid, &isnull));
}

/*
 * booking_event_table_altered is the event trigger at the end of every
 * ALTER TABLE and CREATE TRIGGER (2.0, fired ALWAYS).  When the statement
 * altered booking.event or created a trigger on it, it writes a row into
 * booking.event_load_signal.  With event_local_writer disabled or
 * dropped, a load brings in rows with another cluster's xids, below
 * scan_from, that the publisher's walk would not find; the trigger comes
 * back by such a statement (pg_restore --disable-triggers ends each
 * table's data with ALTER TABLE ... ENABLE TRIGGER ALL), and the signal
 * commits with the loaded rows.  The publisher's next pass then walks from
 * the start (bk_publish_events).  Up to 1.2 every round of the sweeper and
 * every purge() did so, whether anything had been loaded or not.
 *
 * It writes nothing else, and takes no lock but the signal table's: the
 * publisher and the calendar's writers lock the publisher's row before
 * they write booking.event, so waiting for that row while holding the
 * table would deadlock with them.  It runs as whoever ran the statement:
 * for booking.event only its owner or a superuser, who may write the
 * signal table.  For any other table it reads the command list and
 * nothing else, naming no relation, so a role without USAGE on schema
 * booking alters its own tables as before.
 */
Datum
booking_event_table_altered(PG_FUNCTION_ARGS)
{
	Oid			booking_ns;
	Datum		event_table;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("booking.event_table_altered must be called as an event trigger")));
	booking_ns = get_namespace_oid("booking", true);
	event_table = ObjectIdGetDatum(OidIsValid(booking_ns) ? get_relname_relid("event", booking_ns) : InvalidOid);
	if (!OidIsValid(DatumGetObjectId(event_table)))
		PG_RETURN_VOID();
	bk_connect();
	bk_exec(&altered_event_table_plan, &event_table, NULL, 1);
	if (DatumGetBool(bk_get_notnull(0, 1)))
		bk_exec(&signal_load_plan, NULL, NULL, 0);
	bk_finish();
	PG_RETURN_VOID();
}

/*
 * bk_purge_events removes up to max_rows events that every consumer has
 * acknowledged and that are older than booking.event_retention.
 */
int
bk_purge_events(int32 max_rows)
{
	Datum		args[2];

	TimestampTz older_than = bk_now() - (TimestampTz) booking_event_retention_s * USECS_PER_SEC;

	if (bk_schema_has_event_pass())
		return bk_event_pass_purge(max_rows, older_than);	/* event_pass.c */
	args[0] = TimestampTzGetDatum(older_than);
	args[1] = Int32GetDatum(max_rows);
	bk_exec(&purge_plan, args, NULL, 0);
	return (int) SPI_processed;
}

/*
 * bk_consumer_arg returns the consumer name argument (the first) of the
 * event outbox's and the ARI feed's functions, refusing NULL, '' and names
 * over BOOKING_MAX_REF_BYTES.
 */
char *
bk_consumer_arg(FunctionCallInfo fcinfo)
{
	return bk_text_arg(fcinfo, 0, "consumer", BOOKING_MAX_REF_BYTES, true, true);
}

/*
 * bk_read_max_arg returns the `max` argument (the second) of read_events
 * and read_ari: 1 to BK_MAX_READ, else 22023.
 */
int32
bk_read_max_arg(FunctionCallInfo fcinfo)
{
	int32		max;

	bk_require_arg(fcinfo, 1, "max");
	max = PG_GETARG_INT32(1);
	if (max < 1 || max > BK_MAX_READ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must be between 1 and %d", BK_MAX_READ),
				 errdetail("max is %d.", max)));
	return max;
}

/*
 * inserted_wal_end is where the WAL inserted so far ends, for XLogFlush.
 * GetXLogInsertRecPtr gives where the next record goes, which, when the
 * last one ended at a page boundary, is past the next page's header: a
 * position nothing has written yet, which XLogFlush refuses ("xlog flush
 * request ... is not satisfied").  There the end is the page boundary.
 */
static XLogRecPtr
inserted_wal_end(void)
{
	XLogRecPtr	next = GetXLogInsertRecPtr();
	uint32		in_page = next % XLOG_BLCKSZ;

	if (in_page == SizeOfXLogShortPHD || in_page == SizeOfXLogLongPHD)
		next -= in_page;
	return next;
}

/*
 * booking_read_events is read_events(consumer, max): the next events the
 * consumer has not acknowledged, in order.  Reading does not acknowledge:
 * a consumer that crashes before ack_events reads the same events again.
 * It publishes first only when it is a transaction of its own and no
 * sweeper serves this database, so a consumer's open transaction never
 * holds the publisher's lock.
 */
Datum
booking_read_events(PG_FUNCTION_ARGS)
{
	char	   *consumer = bk_consumer_arg(fcinfo);
	int32		max = bk_read_max_arg(fcinfo);
	Datum		args[2];
	int			returned;

	InitMaterializedSRF(fcinfo, 0);

	bk_connect();
	if (!IsTransactionBlock() && !BookingSweeperServesThisDatabase())
	{
		/*
		 * A restore's events without passes first (bk_publish_events would
		 * make them too, but here they count among the positions written).
		 */
		int			written = bk_event_pass_mend();

		written += bk_publish_events(false);

		/*
		 * The positions about to be returned are this transaction's own:
		 * its commit must reach disk before the client can act on them,
		 * whatever the session's synchronous_commit.
		 */
		if (written > 0)
			(void) set_config_option("synchronous_commit", "on", PGC_SUSET, PGC_S_SESSION,
									 GUC_ACTION_LOCAL, true, 0, false);
	}
	args[0] = CStringGetTextDatum(consumer);
	args[1] = Int32GetDatum(max);
	bk_exec(&register_consumer_plan, args, NULL, 0);
	bk_exec(&acked_position_plan, args, NULL, 1);
	if (bk_schema_has_event_pass())
		returned = bk_event_pass_read(fcinfo, bk_get_int64(0, 1), max);	/* event_pass.c */
	else
	{
		args[0] = Int64GetDatum(bk_get_int64(0, 1));
		bk_exec(&read_plan, args, NULL, 0);
		returned = (int) SPI_processed;
		bk_return_rows(fcinfo);
	}
	if (returned > 0 && !RecoveryInProgress())
		XLogFlush(inserted_wal_end());	/* the sweeper publishes asynchronously */
	bk_finish();
	return (Datum) 0;
}

/*
 * booking_ack_events is ack_events(consumer, upto): the consumer has
 * handled every event it read up to and including event `upto`.  Returns
 * how many events that newly acknowledges (0 for a repeat, also when
 * purge() has deleted the event since: purge deletes only events every
 * consumer has acknowledged, so a consumer that retries its last
 * acknowledgement after a lost reply gets 0, not an error).
 */
Datum
booking_ack_events(PG_FUNCTION_ARGS)
{
	char	   *consumer = bk_consumer_arg(fcinfo);
	int64		upto;
	Datum		args[4];
	bool		isnull;
	Datum		position;
	int64		acked;
	int			newly_acked = 0;

	bk_require_arg(fcinfo, 1, "upto");
	upto = PG_GETARG_INT64(1);

	bk_connect();
	args[0] = CStringGetTextDatum(consumer);
	args[1] = Int64GetDatum(upto);
	bk_exec(&ack_lookup_plan, args, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("event consumer \"%s\" does not exist", consumer),
				 errhint("A consumer comes into being with its first booking.read_events call.")));
	acked = bk_get_int64(0, 1);
	position = bk_get(0, 2, &isnull);
	if (isnull)
	{
		bool		none_acked;
		Datum		acked_event_id = bk_get(0, 3, &none_acked);

		if (!none_acked && upto > 0 && upto <= DatumGetInt64(acked_event_id))
		{
			bk_finish();
			PG_RETURN_INT32(0);		/* acknowledged already, and purged since */
		}
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("event %lld has not been delivered", (long long) upto),
				 errdetail("Consumer \"%s\" can only acknowledge an event_id that read_events returned.",
						   consumer)));
	}
	if (DatumGetInt64(position) > acked)
	{
		if (bk_schema_has_event_pass())
		{
			args[1] = position;
			args[2] = Int64GetDatum(upto);
			bk_exec(&record_ack_plan, args, NULL, 0);
			newly_acked = bk_event_pass_count(acked, DatumGetInt64(position));	/* event_pass.c */
		}
		else
		{
			args[1] = Int64GetDatum(acked);
			args[2] = position;
			args[3] = Int64GetDatum(upto);
			bk_exec(&ack_plan, args, NULL, 1);
			newly_acked = bk_get_int32(0, 1);
		}
	}
	bk_finish();
	PG_RETURN_INT32(newly_acked);
}

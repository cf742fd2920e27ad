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
 * published in the order they happened.
 *
 * Finding them.  The events not published yet are indexed by writer_xid
 * (event_unpublished_xid_idx), and the publisher row's scan_from is where
 * they start: a pass moves it on to its snapshot's xmin (find_pending), so
 * a pass, and a reader adding the changes not folded yet
 * (calendar_read.c), reads what was written since and not every event
 * published since the last VACUUM.  Rows put in by other means (a
 * restore's COPY carries another cluster's xids) get this transaction's
 * xid from the trigger event_local_writer; the sweeper's rounds and
 * purge() look from the start anyway, for a restore that disabled
 * triggers.
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
 * publisher does it).  The publisher
 * takes a row lock on booking.event_publisher, a row nobody outside the
 * extension may lock: the publisher's lock, which calendar.c keeps
 * because it is also what keeps the calendar's recomputations apart from
 * the folds.  With booking.notify_events on, every writing
 * transaction also sends its own NOTIFY (PostgreSQL then commits
 * notifying transactions one at a time).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "access/tableam.h"
#include "utils/xid8.h"
#include "utils/fmgroids.h"
#include "lib/binaryheap.h"
#include "commands/trigger.h"
#include "utils/guc.h"
#include "access/stratnum.h"
#include "access/transam.h"
#include "access/itup.h"
#include "access/relscan.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_read_events);
PG_FUNCTION_INFO_V1(booking_ack_events);
PG_FUNCTION_INFO_V1(booking_event_local_writer);

/* Most events one publisher pass positions */
#define BK_PUBLISH_BATCH	10000
/* Index entries a pass that publishes nothing may walk before it moves scan_from on */
#define BK_SCAN_FROM_SAVE_AFTER	64
/* The largest max of read_events and read_ari */
#define BK_MAX_READ			10000

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

/* The sweeper's wake-up call: the newest published event. */
static BookingPlan notify_published_plan = {
	"SELECT pg_catalog.pg_notify('booking_events', pg_catalog.max(event_id)::text)"
	"  FROM booking.event WHERE position IS NOT NULL",
	0, {InvalidOid}
};

static BookingPlan register_consumer_plan = {
	"INSERT INTO booking.event_consumer (consumer) VALUES ($1) ON CONFLICT DO NOTHING",
	1, {TEXTOID}
};

static BookingPlan acked_position_plan = {
	"SELECT acked_position FROM booking.event_consumer WHERE consumer OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}
};

/*
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
 * writer_xid is not this transaction's (its WHEN clause): a row put in by
 * other means than the engine, such as a restore's COPY, which carries
 * the xids of the cluster it was dumped from.  It gives the row this
 * transaction's xid, so that the row is not below scan_from when it
 * commits: the publisher and the readers find it at once.
 */
Datum
booking_event_local_writer(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = bk_require_row_trigger(fcinfo, TRIGGER_EVENT_INSERT,
												   "booking.event_local_writer");
	TupleDesc	desc;
	int			column;
	Datum		xid;
	bool		isnull = false;

	desc = RelationGetDescr(trigdata->tg_relation);
	column = SPI_fnumber(desc, "writer_xid");
	if (column <= 0)
		elog(ERROR, "booking.event_local_writer needs a column \"writer_xid\"");
	xid = FullTransactionIdGetDatum(GetTopFullTransactionId());
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_trigtuple, desc,
													 1, &column, &xid, &isnull));
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
	bk_direct_end(&d);

	if (scan_from != NULL && FullTransactionIdFollows(*scan_from, scanned_from))
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
 * writer_xid: the sweeper's rounds and purge() do, so that an event whose
 * writer_xid is below scan_from all the same (put in with the trigger
 * event_local_writer disabled, as a restore with --disable-triggers does)
 * is published within a round.
 */
int
bk_publish_events(bool from_start)
{
	FullTransactionId scan_from;

	if (IsolationUsesXactSnapshot())
		return 0;
	if (!bk_schema_has_event_deltas())
		return bk_compat_publish_lock() ? publish(NULL, from_start) : 0;
	if (!events_waiting(from_start))
		return 0;
	if (!bk_publisher_try_lock(&scan_from))
		return 0;
	return publish(&scan_from, from_start);
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

/*
 * bk_purge_events removes up to max_rows events that every consumer has
 * acknowledged and that are older than booking.event_retention.
 */
int
bk_purge_events(int32 max_rows)
{
	Datum		args[2];

	args[0] = TimestampTzGetDatum(bk_now() - (TimestampTz) booking_event_retention_s * USECS_PER_SEC);
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

	InitMaterializedSRF(fcinfo, 0);

	bk_connect();
	if (!IsTransactionBlock() && !BookingSweeperServesThisDatabase() &&
		bk_publish_events(false) > 0)
	{
		/*
		 * The positions about to be returned are this transaction's own:
		 * its commit must reach disk before the client can act on them,
		 * whatever the session's synchronous_commit.
		 */
		(void) set_config_option("synchronous_commit", "on", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	}
	args[0] = CStringGetTextDatum(consumer);
	args[1] = Int32GetDatum(max);
	bk_exec(&register_consumer_plan, args, NULL, 0);
	bk_exec(&acked_position_plan, args, NULL, 1);
	args[0] = Int64GetDatum(bk_get_int64(0, 1));
	bk_exec(&read_plan, args, NULL, 0);
	if (SPI_processed > 0 && !RecoveryInProgress())
		XLogFlush(inserted_wal_end());	/* the sweeper publishes asynchronously */
	bk_return_rows(fcinfo);
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
		args[1] = Int64GetDatum(acked);
		args[2] = position;
		args[3] = Int64GetDatum(upto);
		bk_exec(&ack_plan, args, NULL, 1);
		newly_acked = bk_get_int32(0, 1);
	}
	bk_finish();
	PG_RETURN_INT32(newly_acked);
}

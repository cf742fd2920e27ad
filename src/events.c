/*-------------------------------------------------------------------------
 * events.c
 *    The event outbox: every state change writes one row to booking.event
 *    in its own transaction and sends NOTIFY booking_events with the
 *    event_id (unless booking.notify_events is off: PostgreSQL commits
 *    notifying transactions one at a time, which caps write throughput;
 *    the sweeper then still sends one NOTIFY per round in which it
 *    published events); consumers read with booking.read_events() and
 *    acknowledge with booking.ack_events().
 *
 * Why positions.  event_ids come from a sequence, so a transaction can
 * commit an event with a smaller id after another has committed a larger
 * one; a consumer that read "every id after the last one I saw" would skip
 * it.  So events are delivered by `position`, which is handed out later,
 * by one publisher at a time (a transaction advisory lock), to committed
 * events only: those whose writer transaction is older than every running
 * one, taken in event_id order and stopping at the first that is not.
 * Positions therefore only grow in the order consumers can see them, and
 * events of one reservation keep the order in which they happened.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_read_events);
PG_FUNCTION_INFO_V1(booking_ack_events);

/* Most events one publisher pass positions */
#define BK_PUBLISH_BATCH	10000
/* Most events one read_events call returns */
#define BK_MAX_READ			10000

#define EMIT_SQL \
	"INSERT INTO booking.event (kind, reservation_id, property_id, payload)" \
	" SELECT $1, r.reservation_id, r.property_id," \
	"        pg_catalog.jsonb_build_object(" \
	"          'state', r.state, 'room_type', r.room_type," \
	"          'check_in', r.check_in, 'check_out', r.check_out, 'rooms', r.rooms," \
	"          'guest_id', r.guest_id, 'total_price', r.total_price," \
	"          'hold_expires_at', r.hold_expires_at, 'payment_ref', r.payment_ref," \
	"          'payment_intent', r.payment_intent, 'confirmation_code', r.confirmation_code," \
	"          'cancel_reason', r.cancel_reason," \
	"          'void_authorization', $1 IN ('expired', 'cancelled')" \
	"                                AND r.payment_intent IS NOT NULL AND r.payment_ref IS NULL," \
	"          'refund', $1 = 'cancelled' AND r.payment_ref IS NOT NULL)" \
	"   FROM booking.reservation r" \
	"  WHERE r.reservation_id = ANY ($2)" \
	"  ORDER BY r.reservation_id"

/* Writes the events and notifies listeners of each (booking.notify_events). */
static BookingPlan emit_notify_plan = {
	"WITH e AS (" EMIT_SQL " RETURNING event_id)"
	" SELECT pg_catalog.pg_notify('booking_events', e.event_id::text) FROM e",
	2, {TEXTOID, INT8ARRAYOID}
};

/* Writes the events only. */
static BookingPlan emit_plan = {
	EMIT_SQL,
	2, {TEXTOID, INT8ARRAYOID}
};

/* The sweeper's wake-up call: the newest published event. */
static BookingPlan notify_published_plan = {
	"SELECT pg_catalog.pg_notify('booking_events', pg_catalog.max(event_id)::text)"
	"  FROM booking.event WHERE position IS NOT NULL",
	0, {InvalidOid}
};

static BookingPlan publish_lock_plan = {
	"SELECT pg_catalog.pg_try_advisory_xact_lock("
	"  'booking.event'::pg_catalog.regclass::pg_catalog.oid::int, 0)",
	0, {InvalidOid}
};

static BookingPlan next_position_plan = {
	"SELECT pg_catalog.nextval('booking.event_position_seq'::pg_catalog.regclass)",
	0, {InvalidOid}
};

static BookingPlan skip_positions_plan = {
	"SELECT pg_catalog.setval('booking.event_position_seq'::pg_catalog.regclass, $1)",
	1, {INT8OID}
};

/*
 * Positions $1, $1 + 1, ... for the committed unpublished events, in
 * event_id order, up to the first one whose writer may still be running.
 */
static BookingPlan publish_plan = {
	"UPDATE booking.event e SET position = $1 + r.rn - 1"
	"  FROM (SELECT u.event_id, pg_catalog.row_number() OVER (ORDER BY u.event_id) AS rn"
	"          FROM booking.event u"
	"         WHERE u.position IS NULL"
	"           AND u.event_id < (SELECT COALESCE(pg_catalog.min(o.event_id), 9223372036854775807)"
	"                               FROM booking.event o"
	"                              WHERE o.position IS NULL"
	"                                AND o.writer_xid >= pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()))"
	"         ORDER BY u.event_id LIMIT $2) r"
	" WHERE e.event_id = r.event_id",
	2, {INT8OID, INT4OID}
};

static BookingPlan register_consumer_plan = {
	"INSERT INTO booking.event_consumer (consumer) VALUES ($1) ON CONFLICT DO NOTHING",
	1, {TEXTOID}
};

static BookingPlan read_plan = {
	"SELECT e.event_id, e.occurred_at, e.kind, e.reservation_id, e.property_id, e.payload"
	"  FROM booking.event e, booking.event_consumer c"
	" WHERE c.consumer = $1 AND e.position > c.acked_position"
	" ORDER BY e.position LIMIT $2",
	2, {TEXTOID, INT4OID}
};

static BookingPlan ack_lookup_plan = {
	"SELECT c.acked_position, e.position"
	"  FROM booking.event_consumer c"
	"  LEFT JOIN booking.event e ON e.event_id = $2"
	" WHERE c.consumer = $1 FOR UPDATE OF c",
	2, {TEXTOID, INT8OID}
};

static BookingPlan ack_plan = {
	"WITH acked AS ("
	"  UPDATE booking.event_consumer"
	"     SET acked_position = $3, acked_event_id = $4, updated_at = pg_catalog.now()"
	"   WHERE consumer = $1)"
	" SELECT pg_catalog.count(*)::int FROM booking.event"
	"  WHERE position > $2 AND position <= $3",
	4, {TEXTOID, INT8OID, INT8OID, INT8OID}
};

/*
 * Published events every consumer has acknowledged (all of them when
 * there is no consumer) and older than $1, oldest first.
 */
static BookingPlan purge_plan = {
	"DELETE FROM booking.event WHERE event_id IN ("
	"  SELECT event_id FROM booking.event"
	"   WHERE position IS NOT NULL AND occurred_at < $1"
	"     AND position <= COALESCE((SELECT pg_catalog.min(acked_position) FROM booking.event_consumer),"
	"                              9223372036854775807)"
	"   ORDER BY position LIMIT $2)",
	2, {TIMESTAMPTZOID, INT4OID}
};

/*
 * bk_int8_array builds an int8[] Datum from n values.
 */
Datum
bk_int8_array(int64 *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * bk_emit_events writes one `kind` event for each reservation in
 * ids_array (as they are now, after the change) and notifies listeners.
 */
void
bk_emit_events(const char *kind, Datum ids_array)
{
	Datum		args[2];

	args[0] = CStringGetTextDatum(kind);
	args[1] = ids_array;
	bk_exec(booking_notify_events ? &emit_notify_plan : &emit_plan, args, NULL, 0);
}

void
bk_emit_event(const char *kind, int64 reservation_id)
{
	bk_emit_events(kind, bk_int8_array(&reservation_id, 1));
}

/*
 * bk_publish_events gives positions to the events that are ready, unless
 * another transaction is publishing right now (then it leaves the work to
 * it).  Returns how many it published.
 */
int
bk_publish_events(void)
{
	Datum		args[2];
	int64		first;
	int			published;

	bk_exec(&publish_lock_plan, NULL, NULL, 1);
	if (!DatumGetBool(bk_get_notnull(0, 1)))
		return 0;

	bk_exec(&next_position_plan, NULL, NULL, 1);
	first = bk_get_int64(0, 1);
	args[0] = Int64GetDatum(first);
	args[1] = Int32GetDatum(BK_PUBLISH_BATCH);
	bk_exec(&publish_plan, args, NULL, 0);
	published = (int) SPI_processed;
	if (published > 1)
	{
		args[0] = Int64GetDatum(first + published - 1);
		bk_exec(&skip_positions_plan, args, NULL, 1);
	}
	return published;
}

/*
 * bk_notify_published sends one NOTIFY booking_events with the newest
 * published event id: the sweeper's wake-up call for consumers, which
 * matters when booking.notify_events is off.
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
 * require_consumer returns the consumer name argument, refusing NULL and ''.
 */
static char *
require_consumer(FunctionCallInfo fcinfo)
{
	char	   *consumer;

	bk_require_arg(fcinfo, 0, "consumer");
	consumer = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (consumer[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("consumer must not be empty"),
				 errhint("Name each consumer, e.g. 'email' or 'search-indexer'.")));
	return consumer;
}

/*
 * booking_read_events is read_events(consumer, max): the next events the
 * consumer has not acknowledged, in order.  Reading does not acknowledge:
 * a consumer that crashes before ack_events reads the same events again.
 */
Datum
booking_read_events(PG_FUNCTION_ARGS)
{
	char	   *consumer = require_consumer(fcinfo);
	int32		max;
	Datum		args[2];

	bk_require_arg(fcinfo, 1, "max");
	max = PG_GETARG_INT32(1);
	if (max < 1 || max > BK_MAX_READ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must be between 1 and %d", BK_MAX_READ),
				 errdetail("max is %d.", max)));
	InitMaterializedSRF(fcinfo, 0);

	bk_connect();
	(void) bk_publish_events();
	args[0] = CStringGetTextDatum(consumer);
	args[1] = Int32GetDatum(max);
	bk_exec(&register_consumer_plan, args, NULL, 0);
	bk_exec(&read_plan, args, NULL, 0);
	bk_return_rows(fcinfo);
	bk_finish();
	return (Datum) 0;
}

/*
 * booking_ack_events is ack_events(consumer, upto): the consumer has
 * handled every event it read up to and including event `upto`.  Returns
 * how many events that newly acknowledges (0 for a repeat).
 */
Datum
booking_ack_events(PG_FUNCTION_ARGS)
{
	char	   *consumer = require_consumer(fcinfo);
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
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("event %lld has not been delivered", (long long) upto),
				 errdetail("Consumer \"%s\" can only acknowledge an event_id that read_events returned.",
						   consumer)));
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

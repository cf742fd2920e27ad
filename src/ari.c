/*-------------------------------------------------------------------------
 * ari.c
 *    The ARI feed (availability, rates, inventory) for channels:
 *    booking.read_ari() gives a consumer every (property, room type,
 *    night) whose availability, BASE price or closed state changed since
 *    its last booking.ack_ari(), each once, with its values as they are
 *    now; ten holds on one night are one row.
 *
 * The log.  booking.ari_change is insert-only: one row per change, the
 * nights [first_night, end_night) of one room type, with a change_id from
 * booking.ari_change_id_seq.  read_ari takes the consumer's next changes
 * in change_id order, expands them to nights and gives each night once,
 * under the latest change_id among them, with its values as they are now
 * (read from booking.inventory and booking.stay_rule, not logged), so a
 * row always carries the night's latest state (ari_read.c).  It never splits one
 * change between two reads: acknowledging a change_id acknowledges every
 * night of every change up to it.  (A table of one row per night, updated
 * in place, cost the publisher four index updates per night and the
 * writers 17 % of their throughput: bench/ari/run, docs/performance.md.)
 * purge() and the sweeper delete the changes every consumer has
 * acknowledged, always keeping the latest, where a new consumer starts.
 *
 * Who writes it (ari_log.c).  Writers of reservations pay nothing: every event
 * already carries the nights whose free units it changed (events.c), and
 * the publisher, when it publishes events, records their nights here in
 * its own transaction (bk_ari_record_deltas), when some consumer exists.
 * Changes that write no event record their nights themselves, whether a
 * consumer exists or not (they are rare): open_inventory, set_rates on
 * BASE, set_rules and clear_rules of a room type, repair_inventory
 * (bk_ari_note_range).
 *
 * Why it never skips a change (the outbox's position rule).  Every
 * change_id is drawn while holding the publisher's lock (calendar.c),
 * kept until commit: the publisher holds it while it publishes, the
 * others take it before they record.  So change_ids are drawn in commit
 * order, and no transaction can see a change_id while a smaller one is
 * uncommitted: a consumer that acknowledged `upto` never misses a change
 * that commits later, since that one's change_id is larger.
 *
 * A consumer comes into being with its first read_ari, at the latest
 * change_id committed: its feed starts at that moment.  The publisher
 * looks for consumers after it has chosen the events it publishes, so an
 * event it publishes without recording (no consumer yet) had committed
 * before a consumer created meanwhile, and is in any snapshot taken
 * after that consumer's first read.  So a snapshot taken with
 * availability() after the first read_ari, updated with the feed from
 * then on, is the live state.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_read_ari);
PG_FUNCTION_INFO_V1(booking_ack_ari);

/* A new consumer starts at the latest change committed. */
static BookingPlan register_plan = {
	"INSERT INTO booking.ari_consumer (consumer, acked_change_id)"
	" SELECT $1, COALESCE(pg_catalog.max(change_id), 0) FROM booking.ari_change"
	" ON CONFLICT DO NOTHING",
	1, {TEXTOID}
};

static BookingPlan acked_plan = {
	"SELECT acked_change_id FROM booking.ari_consumer WHERE consumer OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}
};

static BookingPlan ack_lookup_plan = {
	"SELECT c.acked_change_id,"
	"       (SELECT COALESCE(pg_catalog.max(change_id), 0) FROM booking.ari_change)"
	"  FROM booking.ari_consumer c WHERE c.consumer OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	1, {TEXTOID}
};

static BookingPlan ack_plan = {
	"WITH acked AS ("
	"  UPDATE booking.ari_consumer SET acked_change_id = $3, updated_at = pg_catalog.now()"
	"   WHERE consumer OPERATOR(pg_catalog.=) $1)"
	" SELECT pg_catalog.count(*)::int FROM booking.ari_change"
	"  WHERE change_id OPERATOR(pg_catalog.>) $2 AND change_id OPERATOR(pg_catalog.<=) $3",
	3, {TEXTOID, INT8OID, INT8OID}
};

/*
 * booking_read_ari is read_ari(consumer, max): the nights changed since
 * the consumer's acknowledgement, at most max of them, in change_id
 * order, with their values now.  The first call of a consumer creates it
 * and returns nothing: its feed starts there.  Reading acknowledges
 * nothing.  Like read_events, it publishes first when it is a transaction
 * of its own and no sweeper serves the database, so that the feed is not
 * behind the last commit.
 */
Datum
booking_read_ari(PG_FUNCTION_ARGS)
{
	char	   *consumer = bk_consumer_arg(fcinfo);
	int32		max = bk_read_max_arg(fcinfo);
	Datum		args[2];

	InitMaterializedSRF(fcinfo, 0);

	bk_connect();
	if (!IsTransactionBlock() && !BookingSweeperServesThisDatabase())
		(void) bk_publish_events(false);
	args[0] = CStringGetTextDatum(consumer);
	args[1] = Int32GetDatum(max);
	bk_exec(&register_plan, args, NULL, 0);
	/*
	 * The acknowledgement first, then the changes after it as a parameter:
	 * a kept plan that joined the two could scan and sort the whole log,
	 * which grows with the feed (bench/ari/run).
	 */
	bk_exec(&acked_plan, args, NULL, 1);
	bk_ari_read(fcinfo, bk_get_int64(0, 1), max);
	bk_finish();
	return (Datum) 0;
}

/*
 * booking_ack_ari is ack_ari(consumer, upto): the consumer has applied
 * every row it read up to and including change_id upto.  Returns how many
 * changes that newly acknowledges (a count of the log's rows, which costs
 * an index range, where counting their distinct nights cost as much as
 * reading them again): 0 for a repeat or an upto at or below the
 * acknowledged one (acknowledging never goes back).  An upto beyond
 * the latest change committed was never delivered: BK005.
 */
Datum
booking_ack_ari(PG_FUNCTION_ARGS)
{
	char	   *consumer = bk_consumer_arg(fcinfo);
	int64		upto;
	int64		acked;
	int64		latest;
	Datum		args[3];
	int			newly_acked = 0;

	bk_require_arg(fcinfo, 1, "upto");
	upto = PG_GETARG_INT64(1);

	bk_connect();
	args[0] = CStringGetTextDatum(consumer);
	bk_exec(&ack_lookup_plan, args, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("ARI consumer \"%s\" does not exist", consumer),
				 errhint("A consumer comes into being with its first booking.read_ari call.")));
	acked = bk_get_int64(0, 1);
	latest = bk_get_int64(0, 2);
	if (upto > latest)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("change %lld has not been delivered", (long long) upto),
				 errdetail("The latest change is %lld.", (long long) latest),
				 errhint("Acknowledge a change_id that read_ari returned.")));
	if (upto > acked)
	{
		args[1] = Int64GetDatum(acked);
		args[2] = Int64GetDatum(upto);
		bk_exec(&ack_plan, args, NULL, 1);
		newly_acked = bk_get_int32(0, 1);
	}
	bk_finish();
	PG_RETURN_INT32(newly_acked);
}

/*-------------------------------------------------------------------------
 * ari_log.c
 *    Writing the ARI feed's log, booking.ari_change (2.0; the feed is read
 *    by ari.c): the nights of the events the publisher publishes
 *    (bk_ari_record_deltas, called by publisher.c), the nights of the calls
 *    that write no event (bk_ari_note_range: open_inventory, set_rates on
 *    BASE, set_rules, clear_rules, repair_inventory, blocks), and the
 *    housekeeping of what every consumer has acknowledged (bk_ari_purge).
 *    How the feed works, and why it never skips a change: ari.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "booking.h"

/*
 * Records the ranges given as four parallel arrays (property_id[],
 * room_type[], first_night[], end_night[]) as changes, each distinct one
 * once, with a new change_id.  The caller holds the publisher's lock.
 */
static BookingPlan record_plan = {
	"INSERT INTO booking.ari_change (change_id, property_id, room_type, first_night, end_night)"
	" SELECT pg_catalog.nextval('booking.ari_change_id_seq'::pg_catalog.regclass), r.*"
	"   FROM (SELECT DISTINCT * FROM ROWS FROM (pg_catalog.unnest($1::bigint[]),"
	"                                           pg_catalog.unnest($2::text[]),"
	"                                           pg_catalog.unnest($3::date[]),"
	"                                           pg_catalog.unnest($4::date[]))"
	"                                 AS r(property_id, room_type, first_night, end_night)"
	"          ORDER BY 1, 2, 3, 4) r",
	4, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID, DATEARRAYOID}
};

static BookingPlan any_consumer_plan = {
	"SELECT EXISTS (SELECT FROM booking.ari_consumer)",
	0, {InvalidOid}
};

/*
 * The changes every consumer has acknowledged (all of them without a
 * consumer) and recorded before $2 (booking.event_retention ago, as for
 * events), the first $1 of them, but never the latest: a consumer created
 * next starts there.
 */
static BookingPlan purge_plan = {
	"DELETE FROM booking.ari_change WHERE change_id OPERATOR(pg_catalog.=) ANY (ARRAY("
	"  SELECT change_id FROM booking.ari_change"
	"   WHERE change_id OPERATOR(pg_catalog.<) (SELECT pg_catalog.max(change_id) FROM booking.ari_change)"
	"     AND change_id OPERATOR(pg_catalog.<=) COALESCE((SELECT pg_catalog.min(acked_change_id)"
	"                                                        FROM booking.ari_consumer),"
	"                                                     9223372036854775807)"
	"   ORDER BY change_id LIMIT $1))"
	"   AND recorded_at OPERATOR(pg_catalog.<) $2",
	2, {INT4OID, TIMESTAMPTZOID}
};

/*
 * bk_schema_has_ari says whether the database has the feed's tables
 * (version 2.0 on).
 */
bool
bk_schema_has_ari(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) && OidIsValid(get_relname_relid("ari_change", namespace));
}

/* record runs record_plan over n ranges. */
static void
record(const int64 *property_ids, const Datum *room_types, const DateADT *firsts,
	   const DateADT *ends, int n)
{
	Datum	   *ids = palloc(sizeof(Datum) * n);
	Datum	   *starts = palloc(sizeof(Datum) * n);
	Datum	   *stops = palloc(sizeof(Datum) * n);
	Datum		args[4];

	for (int i = 0; i < n; i++)
	{
		ids[i] = Int64GetDatum(property_ids[i]);
		starts[i] = DateADTGetDatum(firsts[i]);
		stops[i] = DateADTGetDatum(ends[i]);
	}
	args[0] = PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_array((Datum *) room_types, n, TEXTOID, -1, false,
											  TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(starts, n, DATEOID, sizeof(DateADT), true,
											  TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(stops, n, DATEOID, sizeof(DateADT), true,
											  TYPALIGN_INT));
	bk_exec(&record_plan, args, NULL, 0);
}

/*
 * bk_ari_record_deltas records the nights of the calendar changes of the
 * events being published, when some consumer reads the feed.  The caller
 * is the publisher: it holds the publisher's lock and has chosen its
 * events (see the file header for why the consumers are looked for only
 * now).
 */
void
bk_ari_record_deltas(const BkCalendarDelta *deltas, int n)
{
	int64	   *ids;
	Datum	   *codes;
	DateADT    *firsts;
	DateADT    *ends;
	int			m = 0;

	if (n == 0 || !bk_schema_has_ari())
		return;
	bk_exec(&any_consumer_plan, NULL, NULL, 1);
	if (!DatumGetBool(bk_get_notnull(0, 1)))
		return;
	ids = palloc(sizeof(int64) * n);
	codes = palloc(sizeof(Datum) * n);
	firsts = palloc(sizeof(DateADT) * n);
	ends = palloc(sizeof(DateADT) * n);
	for (int i = 0; i < n; i++)
	{
		if (deltas[i].end_night <= deltas[i].first_night)
			continue;
		ids[m] = deltas[i].property_id;
		codes[m] = deltas[i].room_type;
		firsts[m] = deltas[i].first_night;
		ends[m] = deltas[i].end_night;
		m++;
	}
	if (m > 0)
		record(ids, codes, firsts, ends, m);
}

/*
 * bk_ari_note_range records the nights [first, end) of one room type,
 * changed by a call that writes no event (open_inventory, set_rates on
 * BASE, set_rules, clear_rules, repair_inventory, blocks).  It takes the
 * publisher's lock (waiting, within booking.lock_timeout) and keeps it
 * to the end of the transaction.  The caller is inside SPI.
 */
void
bk_ari_note_range(int64 property_id, const char *room_type, DateADT first, DateADT end)
{
	Datum		code;

	if (end <= first || !bk_schema_has_ari())
		return;
	bk_publisher_lock();
	code = CStringGetTextDatum(room_type);
	record(&property_id, &code, &first, &end, 1);
}

/*
 * bk_ari_purge deletes up to max_rows changes every consumer has
 * acknowledged and older than booking.event_retention (the sweeper's
 * housekeeping and purge()); returns how many.
 */
int
bk_ari_purge(int32 max_rows)
{
	Datum		args[2];

	if (!bk_schema_has_ari())
		return 0;
	args[0] = Int32GetDatum(max_rows);
	args[1] = TimestampTzGetDatum(bk_now() - (TimestampTz) booking_event_retention_s * USECS_PER_SEC);
	bk_exec(&purge_plan, args, NULL, 0);
	return (int) SPI_processed;
}

/*-------------------------------------------------------------------------
 * expiry.c
 *    Expiring holds past their deadline: booking.expire_holds() and the
 *    batches the sweeper runs (picked apart from their expiry, so that the
 *    sweeper can retry a failing batch one hold at a time), and the
 *    routine they share with reserve_range's dead-hold path, which moves
 *    a set of locked reservations to 'expired' and gives their units back
 *    in the same transaction.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_expire_holds);

/*
 * The oldest dead holds nobody else is working on, locked; none of those
 * in $3 (the sweeper's list of holds to leave alone for now).
 */
static BookingPlan pick_dead_holds_plan = {
	"SELECT pg_catalog.array_agg(reservation_id) FROM ("
	"  SELECT reservation_id FROM booking.reservation"
	"   WHERE state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")"
	"     AND hold_expires_at OPERATOR(pg_catalog.<=) $2"
	"     AND reservation_id OPERATOR(pg_catalog.<>) ALL ($3)"
	"   ORDER BY hold_expires_at, reservation_id"
	"   LIMIT $1 FOR UPDATE SKIP LOCKED) s",
	3, {INT4OID, TIMESTAMPTZOID, INT8ARRAYOID}
};

/* One dead hold, locked, if it still is one and nobody else has it. */
static BookingPlan pick_dead_hold_plan = {
	"SELECT pg_catalog.array_agg(reservation_id) FROM ("
	"  SELECT reservation_id FROM booking.reservation"
	"   WHERE reservation_id OPERATOR(pg_catalog.=) $1"
	"     AND state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")"
	"     AND hold_expires_at OPERATOR(pg_catalog.<=) $2"
	"   FOR UPDATE SKIP LOCKED) s",
	2, {INT8OID, TIMESTAMPTZOID}
};

/*
 * The nights of the reservations in $1, locked in ascending (property,
 * room type, night) order: the global inventory lock order.
 */
static BookingPlan lock_their_nights_plan = {
	"SELECT 1 FROM booking.reservation r"
	"  JOIN booking.inventory i"
	"    ON i.property_id = r.property_id AND i.room_type = r.room_type"
	"   AND i.night >= r.check_in AND i.night < r.check_out"
	" WHERE r.reservation_id = ANY ($1)"
	" ORDER BY i.property_id, i.room_type, i.night"
	"   FOR UPDATE OF i",
	1, {INT8ARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

/* Gives back the held units of the reservations in $1. */
static BookingPlan release_their_nights_plan = {
	"UPDATE booking.inventory i SET held = i.held - n.rooms"
	"  FROM (SELECT i2.property_id, i2.room_type, i2.night, pg_catalog.sum(r.rooms)::int AS rooms"
	"          FROM booking.reservation r"
	"          JOIN booking.inventory i2"
	"            ON i2.property_id = r.property_id AND i2.room_type = r.room_type"
	"           AND i2.night >= r.check_in AND i2.night < r.check_out"
	"         WHERE r.reservation_id = ANY ($1)"
	"         GROUP BY 1, 2, 3) n"
	" WHERE i.property_id = n.property_id AND i.room_type = n.room_type AND i.night = n.night",
	1, {INT8ARRAYOID}, CURSOR_OPT_CUSTOM_PLAN
};

static BookingPlan mark_expired_plan = {
	"UPDATE booking.reservation"
	"   SET state = 'expired'::booking.booking_state, updated_at = pg_catalog.now()"
	" WHERE reservation_id = ANY ($1) AND state = ANY (" BK_LIVE_HOLD_STATES ")",
	1, {INT8ARRAYOID}
};

/*
 * bk_expire_reservations expires the live holds (held or payment_pending)
 * whose ids are in `ids_array` (an int8[]); the caller has locked them.
 * Their nights are locked in the global order, then their units are
 * released, their state set and an `expired` event written for each, all
 * in this transaction.  Returns how many were expired.
 */
int
bk_expire_reservations(Datum ids_array)
{
	Datum		args[1] = {ids_array};
	int			expired;

	bk_exec_locking(&lock_their_nights_plan, args, NULL, 0,
					"the nights of the expiring holds");
	bk_exec(&release_their_nights_plan, args, NULL, 0);
	bk_calendar_refresh_reservations(ids_array);
	bk_exec(&mark_expired_plan, args, NULL, 0);
	expired = (int) SPI_processed;
	bk_emit_events("expired", ids_array);
	bk_stat_add_on_commit(BK_STAT_EXPIRATIONS, expired);
	return expired;
}

/*
 * bk_pick_due_holds locks up to max_rows live holds past their deadline,
 * oldest first, skipping those another transaction has locked (a confirm
 * or cancel in flight decides their fate) and those in skip_ids (int8[]).
 * Their ids are copied into `keep`, where they outlive this transaction,
 * so that the sweeper can retry them one by one if expiring them together
 * fails.  The caller is inside an SPI connection.  Returns how many.
 */
int
bk_pick_due_holds(int32 max_rows, Datum skip_ids, MemoryContext keep, int64 **ids)
{
	Datum		args[3];
	bool		isnull;
	Datum		picked;
	ArrayType  *arr;
	Datum	   *elems;
	int			n;

	args[0] = Int32GetDatum(max_rows);
	args[1] = TimestampTzGetDatum(bk_now());
	args[2] = skip_ids;
	bk_exec(&pick_dead_holds_plan, args, NULL, 1);
	picked = bk_get(0, 1, &isnull);
	*ids = NULL;
	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(picked);
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, NULL, &n);
	*ids = MemoryContextAlloc(keep, sizeof(int64) * n);
	for (int i = 0; i < n; i++)
		(*ids)[i] = DatumGetInt64(elems[i]);
	return n;
}

/*
 * bk_expire_due_holds expires up to max_rows live holds past their
 * deadline, oldest first, all together (expire_holds).  The caller is
 * inside an SPI connection.  Returns how many it expired.
 */
int
bk_expire_due_holds(int32 max_rows)
{
	int64	   *ids;
	int			n;

	n = bk_pick_due_holds(max_rows, bk_int8_array(NULL, 0), CurrentMemoryContext, &ids);
	return n == 0 ? 0 : bk_expire_reservations(bk_int8_array(ids, n));
}

/*
 * bk_expire_due_hold expires one hold if it is still live, past its
 * deadline and not locked by anyone else: the sweeper's retry of a batch
 * that failed, one reservation at a time.  Returns 1 or 0.
 */
int
bk_expire_due_hold(int64 reservation_id)
{
	Datum		args[2];
	bool		isnull;
	Datum		ids;

	args[0] = Int64GetDatum(reservation_id);
	args[1] = TimestampTzGetDatum(bk_now());
	bk_exec(&pick_dead_hold_plan, args, NULL, 1);
	ids = bk_get(0, 1, &isnull);
	return isnull ? 0 : bk_expire_reservations(ids);
}

/*
 * booking_expire_holds is expire_holds(max_rows): what the sweeper does,
 * callable by hand or from pg_cron when the library is not preloaded.
 */
Datum
booking_expire_holds(PG_FUNCTION_ARGS)
{
	int32		max_rows;
	int			expired;

	max_rows = bk_require_positive(fcinfo, 0, "max_rows");

	bk_connect();
	expired = bk_expire_due_holds(max_rows);
	bk_finish();

	PG_RETURN_INT32(expired);
}

/*-------------------------------------------------------------------------
 * waitlist.c
 *    The waitlist's SQL surface (2.0): booking.join_waitlist() and
 *    booking.leave_waitlist().  An entry waits for a whole stay (rooms of
 *    one room type on every night of [check_in, check_out)); while it
 *    waits, inventory.waiting counts its rooms on each of those nights, so
 *    that a path freeing units looks for entries only on nights somebody
 *    waits for.  The offers themselves are waitlist_offer.c's.
 *
 * join_waitlist is validated as reserve_range is (the stay, rooms, the
 * property's local today; a night not on sale: BK005) and is idempotent
 * by key, in a scope of its own (idempotency.c): the same key with the
 * same arguments returns the same waitlist_id, other arguments BK004.  A
 * stay that fits now gets its offer at once, in the same transaction
 * (then no waiting entry fits at any commit, which is what keeps a public
 * reserve_range from taking units an entry fits into first).
 *
 * Lock order: join and leave lock their entry row, then its nights in
 * ascending order (waiting); the offer routine, which holds nights, takes
 * entry rows only with SKIP LOCKED, so the two never wait for each other
 * in a cycle.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_join_waitlist);
PG_FUNCTION_INFO_V1(booking_leave_waitlist);

static BookingPlan insert_entry_plan = {
	"INSERT INTO booking.waitlist (waitlist_id, property_id, room_type, check_in, check_out,"
	"                              rooms, guest_id, state, created_at)"
	" VALUES (pg_catalog.nextval('booking.waitlist_id_seq') OPERATOR(pg_catalog.*) $7"
	"         OPERATOR(pg_catalog.+) $8, $1, $2, $3, $4, $5, $6, 'waiting', pg_catalog.now())"
	" RETURNING waitlist_id",
	8, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, TEXTOID, INT8OID, INT8OID}
};

static BookingPlan lock_entry_plan = {
	"SELECT property_id, room_type, check_in, check_out, rooms, state FROM booking.waitlist"
	" WHERE waitlist_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	1, {INT8OID}
};

static BookingPlan leave_plan = {
	"UPDATE booking.waitlist SET state = 'left' WHERE waitlist_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

/*
 * waitlist_scope is the idempotency scope of a guest's joins: apart from
 * reserve_range's (the guest_id itself) and short whatever the guest_id.
 */
static char *
waitlist_scope(const char *guest_id)
{
	bytea	   *digest = bk_text_digest(guest_id ? guest_id : "");
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	hex_encode(VARDATA(digest), PG_SHA256_DIGEST_LENGTH, hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return psprintf("waitlist:%s", hex);
}

/*
 * change_waiting adds `delta` to the waiting count of every night of
 * [check_in, check_out); with `require`, a night not on sale is BK005.
 */
static void
change_waiting(const BkStayRequest *stay, Datum room_type, int32 delta, bool require)
{
	BkDirect	d;
	BkNights	nights;
	BkShortage	missing;

	bk_direct_begin(&d, true);
	bk_nights_lock(&d, stay->property_id, room_type, stay->check_in, stay->check_out, &nights);
	if (require && bk_nights_shortage(&nights, stay->check_in, stay->check_out, 0, &missing))
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("night %s of room type \"%s\" at property %lld is not on sale",
						bk_date_str(missing.night), stay->room_type, (long long) stay->property_id),
				 errdetail("A waitlist entry waits for nights that are on sale and sold out."),
				 errhint("Open the night with booking.open_inventory, or choose other dates.")));

	/*
	 * An entry for more rooms than a night has units could never be
	 * offered, and its rooms would only swell `waiting` (an int: an entry
	 * of 2^31 - 1 rooms made every later join of those nights overflow it).
	 */
	for (int i = 0; require && i < nights.n; i++)
		if (delta > nights.nights[i].units)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rooms %d is more than the %d unit(s) of room type \"%s\" on night %s",
							delta, nights.nights[i].units, stay->room_type,
							bk_date_str(nights.nights[i].night)),
					 errdetail("Property %lld: a waitlist entry for more rooms than a night has could never be offered.",
							   (long long) stay->property_id),
					 errhint("Ask for fewer rooms.")));
	for (int i = 0; i < nights.n; i++)
		bk_night_change_waiting(&d, &nights.nights[i], 0, delta);
	bk_direct_end(&d);
}

/*
 * booking_join_waitlist is join_waitlist(property_id, room_type, check_in,
 * check_out, rooms, guest_id, idempotency_key).
 */
Datum
booking_join_waitlist(PG_FUNCTION_ARGS)
{
	BkStayRequest stay;
	char	   *guest_id;
	char	   *key = NULL;
	char	   *scope = NULL;
	Datum		room_type;
	BkStayPlace place;
	BkDirect	d;
	Datum		args[8];
	char		nulls[8] = "        ";
	int64		waitlist_id;

	bk_stay_request(fcinfo, &stay);
	guest_id = bk_text_arg(fcinfo, 5, "guest_id", BOOKING_MAX_REF_BYTES, false, false);
	if (!PG_ARGISNULL(6))
	{
		bk_validate_key(toast_raw_datum_size(PG_GETARG_DATUM(6)) - VARHDRSZ);
		key = text_to_cstring(PG_GETARG_TEXT_PP(6));
	}
	room_type = CStringGetTextDatum(stay.room_type);

	if (key)
	{
		int64		existing;
		bool		first;
		char	   *canonical = psprintf("join_waitlist|%lld|%zu:%s|%d|%d|%d",
										 (long long) stay.property_id, strlen(stay.room_type),
										 stay.room_type, (int) stay.check_in,
										 (int) stay.check_out, stay.rooms);

		scope = waitlist_scope(guest_id);
		bk_connect();
		first = bk_claim_waitlist_key(scope, key, bk_text_digest(canonical), stay.property_id,
									  &existing);
		bk_finish();
		if (!first)
			PG_RETURN_INT64(existing);
	}

	/* the property, the room type and its local today, as reserve_range */
	bk_direct_begin(&d, false);
	bk_look_up_place(&d, &stay, room_type, &place);
	bk_direct_end(&d);
	place.has_rules = false;	/* the rules judge the offer, not the wish */
	place.has_plan_rules = false;
	bk_check_day_and_rules(&stay, &place, 0, 0, NULL);

	bk_connect();
	args[0] = Int64GetDatum(stay.property_id);
	args[1] = room_type;
	args[2] = DateADTGetDatum(stay.check_in);
	args[3] = DateADTGetDatum(stay.check_out);
	args[4] = Int32GetDatum(stay.rooms);
	args[5] = guest_id ? CStringGetTextDatum(guest_id) : (Datum) 0;
	nulls[5] = guest_id ? ' ' : 'n';
	args[6] = Int64GetDatum(BOOKING_NODE_SPAN);
	args[7] = Int64GetDatum(booking_node_id);
	bk_exec(&insert_entry_plan, args, nulls, 1);
	waitlist_id = bk_get_int64(0, 1);
	bk_finish();

	change_waiting(&stay, room_type, stay.rooms, true);

	if (key)
	{
		bk_connect();
		bk_record_waitlist_key(scope, key, waitlist_id);
		bk_finish();
	}

	/* a stay that fits now is offered now */
	(void) bk_waitlist_try_offer(waitlist_id, LockWaitBlock);
	PG_RETURN_INT64(waitlist_id);
}

/*
 * booking_leave_waitlist is leave_waitlist(waitlist_id): a waiting entry
 * leaves (true); any other is left as it is (false: an offer made stays a
 * reservation the guest confirms or cancels).  Unknown: BK005.
 */
Datum
booking_leave_waitlist(PG_FUNCTION_ARGS)
{
	int64		waitlist_id;
	Datum		args[1];
	BkStayRequest stay;
	Datum		room_type;
	bool		waiting;

	bk_require_arg(fcinfo, 0, "waitlist_id");
	waitlist_id = PG_GETARG_INT64(0);

	bk_waitlist_settle();
	bk_connect();
	args[0] = Int64GetDatum(waitlist_id);
	bk_exec(&lock_entry_plan, args, NULL, 1);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("waitlist entry %lld does not exist", (long long) waitlist_id),
				 errhint("Pass a waitlist_id that join_waitlist returned.")));
	waiting = strcmp(TextDatumGetCString(bk_get_notnull(0, 6)), "waiting") == 0;
	if (waiting)
	{
		stay.property_id = bk_get_int64(0, 1);
		room_type = bk_copy_result_datum(0, 2);
		stay.room_type = TextDatumGetCString(room_type);
		stay.check_in = DatumGetDateADT(bk_get_notnull(0, 3));
		stay.check_out = DatumGetDateADT(bk_get_notnull(0, 4));
		stay.rooms = bk_get_int32(0, 5);
		bk_exec(&leave_plan, args, NULL, 0);
	}
	bk_finish();
	if (!waiting)
		PG_RETURN_BOOL(false);
	change_waiting(&stay, room_type, -stay.rooms, false);
	PG_RETURN_BOOL(true);
}

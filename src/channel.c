/*-------------------------------------------------------------------------
 * channel.c
 *    booking.apply_channel_booking(): a booking made on a channel (an
 *    OTA), applied revision by revision, and never refused for lack of
 *    units: a night it takes beyond its units is counted in
 *    inventory.overbooked (inventory.c, bk_night_overbook), which only
 *    this path raises, and one `overbooked` event names those nights.
 *
 * booking.channel_booking keeps, per (channel, external_id), the latest
 * revision applied, its digest and the reservation it made.  Its row is
 * claimed and locked first (INSERT ... ON CONFLICT DO NOTHING, then
 * SELECT ... FOR UPDATE, as idempotency.c claims keys), so two revisions
 * of one booking never interleave; then, in the engine's one global
 * order, the reservation row and the nights.
 *
 *  - a revision at or below the one applied changes nothing and returns
 *    the reservation as it is; the same revision with other content is
 *    BK004;
 *  - 'new' or 'modified' of a booking not seen, or whose reservation was
 *    cancelled, makes a confirmed reservation (payment_ref
 *    'channel:<channel>:<external_id>', ':<revision>' appended when it
 *    replaces a cancelled one), with its `reserved` and `confirmed`
 *    events; priced at the given total_price spread evenly over the
 *    nights in cents (the first night takes the rounding), else at the
 *    nights' BASE prices;
 *  - 'new' or 'modified' of a booking whose reservation is live changes
 *    its stay through modify_reservation's core (modify.c) in overbook
 *    mode; the channel's total_price, when given, prices the nights as
 *    above, else nights kept keep their price and new ones take today's;
 *  - 'cancelled' cancels it through cancel_reservation's core
 *    (lifecycle.c, bk_cancel_locked); of a booking never seen: BK005;
 *  - a night never opened for sale is BK005, and nothing is applied.
 *
 * A cancelled revision calls bk_waitlist_offer_freed (waitlist_offer.c)
 * after its night writes, a modified one through modify.c: freed units go
 * to the waitlist in the same transaction (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/string.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_apply_channel_booking);

/* A revision's arguments, checked (booking.h: ical.c applies them too) */
typedef BkChannelRevision ChannelRevision;

/* What channel_booking says of the booking, under its row lock */
typedef struct ChannelState
{
	bool		seen;			/* a revision was applied */
	int64		revision;
	int64		reservation_id; /* 0: none */
	bytea	   *digest;
} ChannelState;

static BookingPlan claim_plan = {
	"INSERT INTO booking.channel_booking (channel, external_id, revision, status)"
	" VALUES ($1, $2, -1, '') ON CONFLICT (channel, external_id) DO NOTHING",
	2, {TEXTOID, TEXTOID}
};

static BookingPlan lock_plan = {
	"SELECT revision, reservation_id, digest FROM booking.channel_booking"
	" WHERE channel OPERATOR(pg_catalog.=) $1 AND external_id OPERATOR(pg_catalog.=) $2"
	" FOR UPDATE",
	2, {TEXTOID, TEXTOID}
};

static BookingPlan record_plan = {
	"UPDATE booking.channel_booking"
	"   SET revision = $3, status = $4, reservation_id = $5, digest = $6,"
	"       applied_at = pg_catalog.now()"
	" WHERE channel OPERATOR(pg_catalog.=) $1 AND external_id OPERATOR(pg_catalog.=) $2",
	6, {TEXTOID, TEXTOID, INT8OID, TEXTOID, INT8OID, BYTEAOID}
};

/*
 * read_revision reads and checks the arguments: every one but rooms,
 * total_price and guest_id required (22023), channel 1..64 bytes,
 * external_id 1..200, revision >= 0, status 'new', 'modified' or
 * 'cancelled', a valid stay of at least one room, total_price >= 0.
 */
static void
read_revision(FunctionCallInfo fcinfo, ChannelRevision *rev)
{
	static const char *const names[8] = {"channel", "external_id", "revision", "status",
	"property_id", "room_type", "check_in", "check_out"};

	for (int i = 0; i < 8; i++)
		bk_require_arg(fcinfo, i, names[i]);
	rev->channel = bk_text_arg(fcinfo, 0, "channel", BOOKING_MAX_CHANNEL_BYTES, true, true);
	rev->external_id = bk_text_arg(fcinfo, 1, "external_id", BOOKING_MAX_REF_BYTES, true, true);
	rev->revision = PG_GETARG_INT64(2);
	if (rev->revision < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revision must be at least 0"),
				 errdetail("revision is %lld.", (long long) rev->revision)));
	rev->status = bk_text_arg(fcinfo, 3, "status", BOOKING_MAX_CODE_BYTES, true, true);
	if (strcmp(rev->status, "new") != 0 && strcmp(rev->status, "modified") != 0 &&
		strcmp(rev->status, "cancelled") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status must be 'new', 'modified' or 'cancelled'"),
				 errdetail("status is \"%s\".", rev->status)));
	rev->stay.property_id = PG_GETARG_INT64(4);
	rev->stay.room_type = bk_text_arg(fcinfo, 5, "room_type", BOOKING_MAX_CODE_BYTES, true, false);
	rev->stay.check_in = PG_GETARG_DATEADT(6);
	rev->stay.check_out = PG_GETARG_DATEADT(7);
	bk_validate_stay(rev->stay.check_in, rev->stay.check_out);
	rev->stay.rooms = bk_require_positive(fcinfo, 8, "rooms");
	rev->total_price = NULL;
	if (!PG_ARGISNULL(9))
	{
		bk_validate_price(PG_GETARG_DATUM(9), "total_price");
		rev->total_price = bk_round_cents(PG_GETARG_NUMERIC(9));
	}
	rev->guest_id = bk_text_arg(fcinfo, 10, "guest_id", BOOKING_MAX_REF_BYTES, false, false);
}

/*
 * revision_digest is the SHA-256 of what a revision says: status,
 * property, room type, dates, rooms, total_price and guest_id, each
 * text prefixed by its length so that no two contents read the same.
 */
static bytea *
revision_digest(const ChannelRevision *rev)
{
	const char *total = rev->total_price
		? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rev->total_price)))
		: "-";

	return bk_text_digest(psprintf("%s|%lld|%zu:%s|%s|%s|%d|%s|%s%zu:%s",
								   rev->status, (long long) rev->stay.property_id,
								   strlen(rev->stay.room_type), rev->stay.room_type,
								   bk_date_str(rev->stay.check_in),
								   bk_date_str(rev->stay.check_out), rev->stay.rooms, total,
								   rev->guest_id ? "+" : "-",
								   rev->guest_id ? strlen(rev->guest_id) : 0,
								   rev->guest_id ? rev->guest_id : ""));
}

/*
 * claim_booking claims and locks the booking's channel_booking row and
 * reads it into *state.  Inside SPI.
 */
static void
claim_booking(const ChannelRevision *rev, ChannelState *state)
{
	Datum		args[2];
	bool		isnull;

	args[0] = CStringGetTextDatum(rev->channel);
	args[1] = CStringGetTextDatum(rev->external_id);
	bk_exec(&claim_plan, args, NULL, 0);
	bk_exec_locking(&lock_plan, args, NULL, 1,
					psprintf("channel booking \"%s\" of channel \"%s\"", rev->external_id,
							 rev->channel));
	if (SPI_processed != 1)
		elog(ERROR, "booking: channel booking row vanished under its lock");
	state->revision = bk_get_int64(0, 1);
	state->seen = state->revision >= 0;
	(void) bk_get(0, 2, &isnull);
	state->reservation_id = isnull ? 0 : bk_get_int64(0, 2);
	(void) bk_get(0, 3, &isnull);
	state->digest = isnull ? NULL : DatumGetByteaPCopy(bk_copy_result_datum(0, 3));
}

/*
 * record_revision writes the revision applied and its reservation.
 * Inside SPI.
 */
static void
record_revision(const ChannelRevision *rev, int64 reservation_id, bytea *digest)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', reservation_id == 0 ? 'n' : ' ', ' '};

	args[0] = CStringGetTextDatum(rev->channel);
	args[1] = CStringGetTextDatum(rev->external_id);
	args[2] = Int64GetDatum(rev->revision);
	args[3] = CStringGetTextDatum(rev->status);
	args[4] = Int64GetDatum(reservation_id);
	args[5] = PointerGetDatum(digest);
	bk_exec(&record_plan, args, nulls, 0);
}

/*
 * report_not_on_sale raises BK005 for a night of the stay that has no
 * inventory row.
 */
static void
report_not_on_sale(const ChannelRevision *rev, DateADT night)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("night %s of room type \"%s\" at property %lld was never opened for sale",
					bk_date_str(night), rev->stay.room_type, (long long) rev->stay.property_id),
			 errdetail("Channel \"%s\", booking \"%s\", revision %lld was not applied.",
					   rev->channel, rev->external_id, (long long) rev->revision),
			 errhint("Open the nights with booking.open_inventory, then apply the revision again.")));
}

/*
 * spread_total returns the prices of one room's nights that make `total`
 * for `rooms` rooms: total / rooms spread evenly over the nights in
 * cents, the first night taking what the rounding leaves.  A total that
 * does not split evenly among the rooms is rounded (half-up) to whole
 * cents per room; *total_out is the total the prices make.
 */
static Datum *
spread_total(Numeric total, int32 rooms, int nights, Numeric *total_out)
{
	Datum		per_room = DirectFunctionCall2(numeric_div, NumericGetDatum(total),
											   DirectFunctionCall1(int4_numeric, Int32GetDatum(rooms)));
	Datum		even;
	Datum		first;
	Datum	   *prices = palloc(sizeof(Datum) * nights);

	per_room = NumericGetDatum(bk_round_cents(DatumGetNumeric(per_room)));
	even = DirectFunctionCall2(numeric_trunc,
							   DirectFunctionCall2(numeric_div, per_room,
												   DirectFunctionCall1(int4_numeric, Int32GetDatum(nights))),
							   Int32GetDatum(2));
	first = DirectFunctionCall2(numeric_sub, per_room,
								DirectFunctionCall2(numeric_mul, even,
													DirectFunctionCall1(int4_numeric, Int32GetDatum(nights - 1))));
	prices[0] = first;
	for (int i = 1; i < nights; i++)
		prices[i] = even;
	*total_out = DatumGetNumeric(DirectFunctionCall2(numeric_mul, per_room,
													 DirectFunctionCall1(int4_numeric, Int32GetDatum(rooms))));
	return prices;
}

/*
 * overbooked_payload is the `overbooked` event's payload: the nights over
 * their units and by how many, the channel and the external_id.
 */
static Datum
overbooked_payload(const ChannelRevision *rev, const DateADT *nights, const int32 *over, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"nights\": [");
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s{\"night\": \"%s\", \"over\": %d}", i > 0 ? ", " : "",
						 bk_date_str(nights[i]), over[i]);
	appendStringInfoString(&buf, "], \"channel\": ");
	escape_json(&buf, rev->channel);
	appendStringInfoString(&buf, ", \"external_id\": ");
	escape_json(&buf, rev->external_id);
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/*
 * create_reservation makes the booking's confirmed reservation and
 * returns it (the datum) and its id.  Never refused for lack of units.
 */
static Datum
create_reservation(const ChannelRevision *rev, bool replaces, int64 *id, bool *overbooked)
{
	Datum		room_type = CStringGetTextDatum(rev->stay.room_type);
	BkStayPlace place;
	BkDirect	d;
	BkNights	priced;
	BkNights	nights;
	BkShortage	missing;
	BkReservation r;
	Datum	   *prices;
	Numeric		total;
	BkSoldPrices sold;
	char	   *payment_ref;
	BkColumn	columns[3] = {BK_RESERVATION_STATE, BK_RESERVATION_PAYMENT_REF,
	BK_RESERVATION_CONFIRMATION_CODE};
	Datum		values[3];
	DateADT    *over_nights;
	int32	   *over;
	int			nover = 0;
	Datum		result;

	bk_direct_begin(&d, true);
	bk_look_up_place(&d, &rev->stay, room_type, &place);
	bk_nights_read(&d, rev->stay.property_id, room_type, rev->stay.check_in,
				   rev->stay.check_out, &priced);
	if (bk_nights_shortage(&priced, rev->stay.check_in, rev->stay.check_out, 0, &missing))
		report_not_on_sale(rev, missing.night);
	if (rev->total_price)
		prices = spread_total(rev->total_price, rev->stay.rooms, priced.n, &total);
	else
	{
		prices = palloc(sizeof(Datum) * priced.n);
		for (int i = 0; i < priced.n; i++)
			prices[i] = priced.nights[i].price;
		total = bk_nights_total(&priced, rev->stay.rooms);
	}
	sold = (BkSoldPrices) {prices, priced.n, NULL};
	bk_reservation_insert(&d, rev->stay.property_id, room_type, rev->stay.check_in,
						  rev->stay.check_out, rev->stay.rooms, rev->guest_id, 0,
						  bk_hold_deadline(NULL), total, &sold, NULL, &r);
	bk_event_write(&d, "reserved", &r, -rev->stay.rooms, NULL);
	bk_direct_end(&d);

	/* the reservation row is this transaction's: the nights come next */
	bk_direct_begin(&d, true);
	bk_nights_lock(&d, rev->stay.property_id, room_type, rev->stay.check_in,
				   rev->stay.check_out, &nights);
	if (bk_nights_shortage(&nights, rev->stay.check_in, rev->stay.check_out, 0, &missing))
		report_not_on_sale(rev, missing.night);
	over_nights = palloc(sizeof(DateADT) * nights.n);
	over = palloc(sizeof(int32) * nights.n);
	for (int i = 0; i < nights.n; i++)
	{
		int32		by = bk_night_overbook(&d, &nights.nights[i], 0, rev->stay.rooms);

		if (by > 0)
		{
			over_nights[nover] = nights.nights[i].night;
			over[nover++] = by;
		}
	}
	payment_ref = psprintf("channel:%s:%s", rev->channel, rev->external_id);
	if (replaces)
		payment_ref = psprintf("%s:%lld", payment_ref, (long long) rev->revision);
	values[0] = ObjectIdGetDatum(bk_state_value(bk_state_type(&d), BK_CONFIRMED));
	values[1] = CStringGetTextDatum(payment_ref);
	values[2] = CStringGetTextDatum(bk_confirmation_code(r.reservation_id));
	bk_update_with_payment_ref(&d, &r, payment_ref, 3, columns, values);
	bk_event_write(&d, "confirmed", &r, 0, NULL);
	if (nover > 0)
		bk_event_write_payload(&d, "overbooked", &r,
							   overbooked_payload(rev, over_nights, over, nover));
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	*id = r.reservation_id;
	*overbooked = nover > 0;
	return result;
}

/*
 * cancel_booking cancels the booking's reservation (unchanged when it
 * holds nothing any more) and returns it.
 */
static Datum
cancel_booking(const ChannelRevision *rev, int64 id)
{
	BkDirect	d;
	BkReservation r;
	Datum		result;

	bk_direct_begin(&d, true);
	bk_lock_reservation(&d, id, NULL, &r);
	if (bk_state_counts(r.state))
		bk_cancel_locked(&d, &r,
						 CStringGetTextDatum(psprintf("cancelled on channel %s", rev->channel)),
						 false);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	bk_waitlist_offer_freed(true);	/* the freed units to the waitlist */
	return result;
}

/*
 * modify_booking changes the booking's reservation to the revision's stay
 * through modify_reservation's core (modify.c), taking nights short of
 * units, into *result.  Returns false, changing nothing, when the
 * reservation holds nothing any more (cancelled, expired).
 */
static bool
modify_booking(const ChannelRevision *rev, int64 id, Datum *result, bool *overbooked)
{
	Datum	   *prices = NULL;
	Numeric		total = NULL;
	BkOverbooked over;

	if (rev->total_price)
		prices = spread_total(rev->total_price, rev->stay.rooms,
							  rev->stay.check_out - rev->stay.check_in, &total);
	if (!bk_modify_overbooking(id, &rev->stay, prices, total, &over, result))
		return false;
	*overbooked = over.n > 0;
	if (over.n > 0)
	{
		BkDirect	d;
		BkReservation r;

		bk_direct_begin(&d, true);
		if (!bk_reservation_read(&d, id, &r))
			elog(ERROR, "booking: reservation %lld vanished", (long long) id);
		bk_event_write_payload(&d, "overbooked", &r,
							   overbooked_payload(rev, over.nights, over.over, over.n));
		bk_direct_end(&d);
	}
	return true;
}

/*
 * bk_channel_apply applies one checked revision: claims and locks its
 * channel_booking row, then creates, modifies or cancels its reservation
 * (or, for a revision at or below the one applied, changes nothing), and
 * records the revision.  Returns the reservation (*isnull when there is
 * none), its id in *reservation_id (0: none) and in *overbooked whether
 * this revision took nights beyond their units.  apply_channel_booking
 * and ical_import (ical.c) both apply revisions through it.
 */
Datum
bk_channel_apply(const BkChannelRevision *rev, bool *isnull, int64 *reservation_id,
				 bool *overbooked)
{
	ChannelState state;
	bytea	   *digest;
	int64		id;
	Datum		result;

	*isnull = false;
	*overbooked = false;
	digest = revision_digest(rev);

	bk_connect();
	claim_booking(rev, &state);
	bk_finish();

	if (state.seen && rev->revision <= state.revision)
	{
		if (rev->revision == state.revision &&
			(state.digest == NULL || VARSIZE_ANY(state.digest) != VARSIZE_ANY(digest) ||
			 memcmp(VARDATA_ANY(state.digest), VARDATA_ANY(digest), VARSIZE_ANY_EXHDR(digest)) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_IDEMPOTENCY_MISMATCH),
					 errmsg("revision %lld of channel booking \"%s\" of channel \"%s\" was applied with other content",
							(long long) rev->revision, rev->external_id, rev->channel),
					 errdetail("A revision is applied once; the same revision must say the same."),
					 errhint("Send the channel's changes as a higher revision.")));
		*reservation_id = state.reservation_id;
		if (state.reservation_id == 0)
		{
			*isnull = true;
			return (Datum) 0;
		}
		return bk_reservation_fetch(state.reservation_id);
	}

	if (strcmp(rev->status, "cancelled") == 0)
	{
		if (state.reservation_id == 0)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NOT_FOUND),
					 errmsg("channel booking \"%s\" of channel \"%s\" was never booked",
							rev->external_id, rev->channel),
					 errdetail("Revision %lld cancels it; no earlier revision made it.",
							   (long long) rev->revision),
					 errhint("Apply its new revision first, or ignore the cancellation.")));
		id = state.reservation_id;
		result = cancel_booking(rev, id);
	}
	else if (state.reservation_id != 0 &&
			 modify_booking(rev, state.reservation_id, &result, overbooked))
		id = state.reservation_id;
	else
		result = create_reservation(rev, state.reservation_id != 0, &id, overbooked);

	bk_connect();
	record_revision(rev, id, digest);
	bk_finish();
	*reservation_id = id;
	return result;
}

/*
 * booking_apply_channel_booking is apply_channel_booking(channel,
 * external_id, revision, status, property_id, room_type, check_in,
 * check_out, rooms, total_price, guest_id).
 */
Datum
booking_apply_channel_booking(PG_FUNCTION_ARGS)
{
	ChannelRevision rev;
	bool		isnull;
	int64		id;
	bool		overbooked;
	Datum		result;

	read_revision(fcinfo, &rev);
	result = bk_channel_apply(&rev, &isnull, &id, &overbooked);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

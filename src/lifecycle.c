/*-------------------------------------------------------------------------
 * lifecycle.c
 *    What happens to a reservation after reserve_range:
 *    booking.begin_payment(), booking.confirm_booking() and
 *    booking.cancel_reservation().
 *
 * Each locks the reservation row first, then its nights (in night order),
 * so none waits for a reservation while holding inventory.  Each is
 * idempotent: repeating a begin_payment with the same payment_intent, a
 * confirm with the same payment_ref, or a cancel returns the reservation
 * unchanged, moves no units and writes no event.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_begin_payment);
PG_FUNCTION_INFO_V1(booking_confirm_booking);
PG_FUNCTION_INFO_V1(booking_cancel_reservation);

/* A reservation as confirm and cancel need it, locked. */
typedef struct LockedReservation
{
	int64		reservation_id;
	int64		property_id;
	char	   *room_type;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	char	   *state;
	TimestampTz hold_expires_at;
	bool		has_deadline;
	char	   *payment_ref;	/* NULL when none */
	char	   *payment_intent; /* NULL when none */
} LockedReservation;

static BookingPlan lock_reservation_plan = {
	"SELECT property_id, room_type, check_in, check_out, rooms, state::text,"
	"       hold_expires_at, payment_ref, payment_intent"
	"  FROM booking.reservation WHERE reservation_id = $1 FOR UPDATE",
	1, {INT8OID}
};

static BookingPlan payment_intent_owner_plan = {
	"SELECT reservation_id FROM booking.reservation"
	" WHERE payment_intent = $1 AND reservation_id <> $2",
	2, {TEXTOID, INT8OID}
};

static BookingPlan mark_payment_pending_plan = {
	"UPDATE booking.reservation r"
	"   SET state = 'payment_pending'::booking.booking_state, payment_intent = $2,"
	"       hold_expires_at = GREATEST(r.hold_expires_at, $3), updated_at = pg_catalog.now()"
	" WHERE r.reservation_id = $1 RETURNING r",
	3, {INT8OID, TEXTOID, TIMESTAMPTZOID}
};

/* Serialises calls that carry the same payment_ref or payment_intent. */
static BookingPlan lock_payment_ref_plan = {
	"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))",
	1, {TEXTOID}
};

static BookingPlan payment_ref_owner_plan = {
	"SELECT reservation_id FROM booking.reservation"
	" WHERE payment_ref = $1 AND reservation_id <> $2",
	2, {TEXTOID, INT8OID}
};

static BookingPlan mark_confirmed_plan = {
	"UPDATE booking.reservation r"
	"   SET state = 'confirmed'::booking.booking_state, payment_ref = $2,"
	"       confirmation_code = $3, updated_at = pg_catalog.now()"
	" WHERE r.reservation_id = $1 RETURNING r",
	3, {INT8OID, TEXTOID, TEXTOID}
};

static BookingPlan mark_cancelled_plan = {
	"UPDATE booking.reservation r"
	"   SET state = 'cancelled'::booking.booking_state, cancel_reason = $2,"
	"       updated_at = pg_catalog.now()"
	" WHERE r.reservation_id = $1 RETURNING r",
	2, {INT8OID, TEXTOID}
};

/*
 * lock_reservation locks reservation `id` and reads what confirm and
 * cancel need; BK005 when there is no such reservation.
 */
static void
lock_reservation(int64 id, LockedReservation *r)
{
	Datum		args[1] = {Int64GetDatum(id)};
	bool		isnull;
	Datum		d;

	bk_exec_locking(&lock_reservation_plan, args, NULL, 0,
					psprintf("reservation %lld", (long long) id));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("reservation %lld does not exist", (long long) id),
				 errhint("Check the reservation_id that reserve_range returned.")));

	r->reservation_id = id;
	r->property_id = bk_get_int64(0, 1);
	r->room_type = TextDatumGetCString(bk_get_notnull(0, 2));
	r->check_in = DatumGetDateADT(bk_get_notnull(0, 3));
	r->check_out = DatumGetDateADT(bk_get_notnull(0, 4));
	r->rooms = bk_get_int32(0, 5);
	r->state = TextDatumGetCString(bk_get_notnull(0, 6));
	d = bk_get(0, 7, &isnull);
	r->has_deadline = !isnull;
	r->hold_expires_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = bk_get(0, 8, &isnull);
	r->payment_ref = isnull ? NULL : TextDatumGetCString(d);
	d = bk_get(0, 9, &isnull);
	r->payment_intent = isnull ? NULL : TextDatumGetCString(d);
}

/*
 * is_live_hold says whether a state counts its units as held.
 */
static bool
is_live_hold(const LockedReservation *r)
{
	return strcmp(r->state, "held") == 0 || strcmp(r->state, "payment_pending") == 0;
}

/*
 * unchanged returns the reservation as it is, ending the SPI connection:
 * the answer to every idempotent repeat.
 */
static Datum
unchanged(int64 id)
{
	Datum		result = bk_reservation_row(id);

	bk_finish();
	return result;
}

/*
 * finish_change runs the UPDATE that records a state change, writes its
 * event and returns the reservation as it now is.
 */
static Datum
finish_change(BookingPlan *plan, Datum *args, const char *nulls, const char *event_kind,
			  int64 id)
{
	Datum		result;

	bk_exec(plan, args, nulls, 0);
	result = bk_copy_result_datum(0, 1);
	bk_emit_event(event_kind, id);
	bk_finish();
	return result;
}

/*
 * require_payment_key returns text argument `argno` (a payment_ref or a
 * payment_intent), refusing NULL and ''.
 */
static char *
require_payment_key(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char	   *value;

	bk_require_arg(fcinfo, argno, name);
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name),
				 errhint("Pass the payment provider's reference for this payment.")));
	return value;
}

/*
 * confirmation_code makes the code a guest quotes: the reservation id in
 * base-32 (unique by construction), a dash, and four random base-32
 * characters so that codes cannot be guessed from one another.
 */
static char *
confirmation_code(int64 reservation_id)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";	/* Crockford */
	char		digits[16];
	int			n = 0;
	uint64		v = (uint64) reservation_id;
	uint8		random_bytes[4];
	StringInfoData code;

	do
	{
		digits[n++] = alphabet[v % 32];
		v /= 32;
	} while (v > 0 && n < (int) sizeof(digits));

	initStringInfo(&code);
	while (n > 0)
		appendStringInfoChar(&code, digits[--n]);
	appendStringInfoChar(&code, '-');
	if (!pg_strong_random(random_bytes, sizeof(random_bytes)))
		elog(ERROR, "could not generate random bytes");
	for (int i = 0; i < 4; i++)
		appendStringInfoChar(&code, alphabet[random_bytes[i] % 32]);
	return code.data;
}

/*
 * check_payment_key_unused fails with BK004 when a payment_ref (or a
 * payment_intent) already belongs to another reservation: one payment pays
 * for at most one booking.  A transaction lock on the value makes two calls
 * racing with it take turns, so the second sees the first and gets BK004
 * rather than the unique index's 23505.
 */
static void
check_payment_key_unused(BookingPlan *owner_plan, const char *name,
						 const char *value, int64 reservation_id)
{
	Datum		args[2];

	args[0] = CStringGetTextDatum(value);
	args[1] = Int64GetDatum(reservation_id);
	bk_exec_locking(&lock_payment_ref_plan, args, NULL, 0,
					psprintf("%s \"%s\"", name, value));
	bk_exec(owner_plan, args, NULL, 1);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_IDEMPOTENCY_MISMATCH),
				 errmsg("%s \"%s\" already belongs to another reservation", name, value),
				 errdetail("Reservation %lld was paid with it; reservation %lld was not changed.",
						   (long long) bk_get_int64(0, 1), (long long) reservation_id),
				 errhint("Each payment pays for one reservation; refund or use the payment's own reference.")));
}

/*
 * booking_begin_payment is begin_payment(reservation_id, payment_intent,
 * extend): the guest has started paying, so the hold must not run out
 * under them.  held: becomes payment_pending, its deadline pushed to at
 * least now + extend (booking.payment_extension when NULL).
 * payment_pending with the same intent: returned unchanged.  A hold that
 * has already expired: BK002 (confirm_booking still takes a late payment
 * while the rooms are free).  Anything else: BK003.
 */
Datum
booking_begin_payment(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *intent;
	TimestampTz deadline;
	LockedReservation r;
	Datum		args[3];
	Datum		result;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	intent = require_payment_key(fcinfo, 1, "payment_intent");
	if (PG_ARGISNULL(2))
		deadline = bk_now() + (TimestampTz) booking_payment_extension_s * USECS_PER_SEC;
	else
	{
		Interval   *extend = PG_GETARG_INTERVAL_P(2);

		bk_require_interval_within(extend, "extend",
								   "Pass NULL to use booking.payment_extension, or an interval such as '10 minutes'.");
		deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(bk_now()),
														   IntervalPGetDatum(extend)));
	}

	bk_connect();
	lock_reservation(id, &r);

	if (strcmp(r.state, "payment_pending") == 0 &&
		r.payment_intent && strcmp(r.payment_intent, intent) == 0)
		PG_RETURN_DATUM(unchanged(id));
	if (strcmp(r.state, "expired") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_HOLD_EXPIRED),
				 errmsg("hold of reservation %lld expired before payment began", (long long) id),
				 errdetail("Reservation %lld (property %lld, room type \"%s\") gave its rooms back at its deadline.",
						   (long long) id, (long long) r.property_id, r.room_type),
				 errhint("Reserve again, or capture the payment and call confirm_booking, which confirms while the rooms are still free.")));
	if (strcmp(r.state, "held") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("payment cannot begin for reservation %lld: it is %s", (long long) id, r.state),
				 errdetail("Reservation %lld (property %lld, room type \"%s\") is %s%s%s%s.",
						   (long long) id, (long long) r.property_id, r.room_type, r.state,
						   r.payment_intent ? " with payment_intent \"" : "",
						   r.payment_intent ? r.payment_intent : "",
						   r.payment_intent ? "\"" : ""),
				 errhint("A payment can begin only on a held reservation.")));

	check_payment_key_unused(&payment_intent_owner_plan, "payment_intent", intent, id);

	args[0] = Int64GetDatum(id);
	args[1] = CStringGetTextDatum(intent);
	args[2] = TimestampTzGetDatum(deadline);
	result = finish_change(&mark_payment_pending_plan, args, NULL, "payment_pending", id);
	bk_stat_add_on_commit(BK_STAT_PAYMENTS_BEGUN, 1);
	PG_RETURN_DATUM(result);
}

/*
 * booking_confirm_booking is confirm_booking(reservation_id, payment_ref).
 *
 * held or payment_pending (before or after the deadline, the units are
 * still its own): the units move from held to booked.  expired (late payment): the units are
 * taken again if every night still has them, else BK002.  confirmed with
 * the same payment_ref: returned unchanged.  Anything else: BK003.
 */
Datum
booking_confirm_booking(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *payment_ref;
	LockedReservation r;
	Datum		args[3];
	Datum		result;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	payment_ref = require_payment_key(fcinfo, 1, "payment_ref");

	bk_connect();
	lock_reservation(id, &r);

	if (strcmp(r.state, "confirmed") == 0)
	{
		if (r.payment_ref && strcmp(r.payment_ref, payment_ref) == 0)
			PG_RETURN_DATUM(unchanged(id));
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("reservation %lld is already confirmed with another payment_ref", (long long) id),
				 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) was confirmed with payment_ref \"%s\".",
						   (long long) id, (long long) r.property_id, r.room_type,
						   bk_date_str(r.check_in), bk_date_str(r.check_out),
						   r.payment_ref ? r.payment_ref : ""),
				 errhint("Refund the second payment; the reservation is already paid.")));
	}
	if (!is_live_hold(&r) && strcmp(r.state, "expired") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("reservation %lld cannot be confirmed: it is %s", (long long) id, r.state),
				 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) is %s.",
						   (long long) id, (long long) r.property_id, r.room_type,
						   bk_date_str(r.check_in), bk_date_str(r.check_out), r.state),
				 errhint("Refund the payment, or make a new reservation.")));

	check_payment_key_unused(&payment_ref_owner_plan, "payment_ref", payment_ref, id);

	if (strcmp(r.state, "expired") == 0 || !r.has_deadline || r.hold_expires_at <= bk_now())
		bk_stat_add_on_commit(BK_STAT_LATE_CONFIRMS, 1);
	if (is_live_hold(&r))
		bk_change_nights(r.property_id, r.room_type, r.check_in, r.check_out,
						 r.rooms, BK_BOOK_HELD);
	else
	{
		Numeric		total_price;
		BkShortage	shortage;

		if (!bk_acquire_nights(r.property_id, r.room_type, r.check_in, r.check_out,
							   r.rooms, BK_BOOK, false, &total_price, &shortage))
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_HOLD_EXPIRED),
					 errmsg("hold of reservation %lld expired and its rooms are gone", (long long) id),
					 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free, %d needed.",
							   (long long) r.property_id, r.room_type,
							   bk_date_str(shortage.night), shortage.available, r.rooms),
					 errhint("Refund the payment; the reservation stays expired.")));
	}

	args[0] = Int64GetDatum(id);
	args[1] = CStringGetTextDatum(payment_ref);
	args[2] = CStringGetTextDatum(confirmation_code(id));
	result = finish_change(&mark_confirmed_plan, args, NULL, "confirmed", id);
	bk_stat_add_on_commit(BK_STAT_CONFIRMS, 1);
	PG_RETURN_DATUM(result);
}

/*
 * booking_cancel_reservation is cancel_reservation(reservation_id, reason).
 *
 * held or payment_pending: its held units are released; confirmed: its
 * booked units are.  cancelled or expired: returned unchanged (it holds
 * nothing).
 */
Datum
booking_cancel_reservation(PG_FUNCTION_ARGS)
{
	int64		id;
	LockedReservation r;
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	Datum		result;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);

	bk_connect();
	lock_reservation(id, &r);

	if (is_live_hold(&r))
		bk_change_nights(r.property_id, r.room_type, r.check_in, r.check_out,
						 r.rooms, BK_UNHOLD);
	else if (strcmp(r.state, "confirmed") == 0)
		bk_change_nights(r.property_id, r.room_type, r.check_in, r.check_out,
						 r.rooms, BK_UNBOOK);
	else
		PG_RETURN_DATUM(unchanged(id));

	args[0] = Int64GetDatum(id);
	if (PG_ARGISNULL(1))
		nulls[1] = 'n';
	else
		args[1] = PG_GETARG_DATUM(1);
	result = finish_change(&mark_cancelled_plan, args, nulls, "cancelled", id);
	bk_stat_add_on_commit(BK_STAT_CANCELS, 1);
	PG_RETURN_DATUM(result);
}

/*-------------------------------------------------------------------------
 * lifecycle.c
 *    What happens to a reservation after reserve_range:
 *    booking.begin_payment(), booking.confirm_booking() and
 *    booking.cancel_reservation().
 *
 * Each locks the reservation row first, then its nights (in night order),
 * so none waits for a reservation while holding inventory; rows are read
 * and written without SPI (direct.c).  Each is idempotent: repeating a
 * begin_payment with the same payment_intent, a confirm with the same
 * payment_ref, or a cancel returns the reservation unchanged, moves no
 * units and writes no event.  A line of a group (2.0) is confirmed with
 * its group (group_lifecycle.c), not alone.  A payment_ref (or payment_intent) belongs to
 * one reservation: the unique index decides between concurrent calls, and
 * its verdict is reported as BK004.  No message shows a payment_ref or
 * payment_intent the caller did not pass.
 *
 * cancel_reservation calls bk_waitlist_offer_freed (waitlist_offer.c)
 * after its night writes: units freed on nights somebody waits for go to
 * the waitlist in the same transaction (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_begin_payment);
PG_FUNCTION_INFO_V1(booking_confirm_booking);
PG_FUNCTION_INFO_V1(booking_cancel_reservation);

/* A payment key: which column and index, and how messages name it */
typedef struct PaymentKey
{
	const char *name;			/* payment_ref or payment_intent */
	BkColumn	column;
	BkIndex		index;
	const char *index_name;
} PaymentKey;

static const PaymentKey payment_ref_key = {
	"payment_ref", BK_RESERVATION_PAYMENT_REF, BK_RESERVATION_PAYMENT_REF_KEY,
	"reservation_payment_ref_key"
};
static const PaymentKey payment_intent_key = {
	"payment_intent", BK_RESERVATION_PAYMENT_INTENT, BK_RESERVATION_PAYMENT_INTENT_KEY,
	"reservation_payment_intent_key"
};

/*
 * bk_lock_reservation locks reservation `id` and reads it; BK005 when there
 * is no such reservation, and, when `guest_id` is given (lookup.c), when
 * it is not that guest's, exactly as if it did not exist.  The owner is
 * checked first on the snapshot's row, before the lock is asked for, so
 * that a caller naming another guest's reservation neither waits for it
 * nor learns from a BK007 that it exists; then again on the locked row.
 */
void
bk_lock_reservation(BkDirect *d, int64 id, const char *guest_id, BkReservation *r)
{
	int64		property_id;

	if (guest_id && !bk_reservation_peek(d, id, guest_id, &property_id))
		bk_report_no_reservation(id);
	if (!bk_reservation_lock(d, id, r, LockWaitBlock) ||
		(guest_id && !bk_guest_matches(bk_reservation_guest_id(d, r), guest_id)))
		bk_report_no_reservation(id);
}

/*
 * unchanged ends the unit and returns the reservation as it is: the
 * answer to every idempotent repeat.
 */
static Datum
unchanged(BkDirect *d, const BkReservation *r)
{
	Datum		result = bk_reservation_datum(d, r);

	bk_direct_end(d);
	return result;
}

/*
 * report_key_taken raises BK004: a payment key already belongs to
 * another reservation.
 */
static void
report_key_taken(const PaymentKey *key, const char *value, int64 reservation_id, bool group)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_IDEMPOTENCY_MISMATCH),
			 errmsg("%s \"%s\" already belongs to another reservation", key->name, value),
			 group ?
			 errdetail("Another reservation or group has this %s; group %lld was not changed.",
					   key->name, (long long) reservation_id) :
			 errdetail("Another reservation has this %s; reservation %lld was not changed.",
					   key->name, (long long) reservation_id),
			 errhint("Each payment pays for one reservation; refund or use the payment's own reference.")));
}

/*
 * check_key_unused fails with BK004 when the payment key already belongs
 * to another reservation this snapshot sees.  (A concurrent call that uses
 * it too is stopped by the unique index: see update_with_key.)
 */
static void
check_key_unused(BkDirect *d, const PaymentKey *key, const char *value, int64 reservation_id,
				 bool group)
{
	ScanKeyData skey;
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_FOUND);
	bool		taken = false;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(value));
	scan = bk_direct_scan(d, BK_RESERVATION, key->index, &skey, 1);
	while (!taken && index_getnext_slot(scan, ForwardScanDirection, slot))
		taken = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_RESERVATION_ID)))
			!= reservation_id;
	index_endscan(scan);
	ExecClearTuple(slot);
	if (taken)
		report_key_taken(key, value, reservation_id, group);
}

/* key_text names a payment key and its value in a message: payment_ref "abc" */
static char *
key_text(const PaymentKey *key, const char *value)
{
	return psprintf("%s \"%s\"", key->name, value);
}

/*
 * update_with_key writes the reservation's new columns, one of which is a
 * payment key.  When a concurrent transaction committed the same key for
 * another reservation meanwhile (or since this transaction's snapshot,
 * under REPEATABLE READ), the unique index refuses it: that is BK004 too,
 * never a raw unique violation.  While that transaction is still open the
 * index waits for it, as a bounded wait (lockwait.c); a wait that runs
 * out is BK007, naming the key.
 */
static void
update_with_key(BkDirect *d, BkReservation *r, const PaymentKey *key, const char *value,
				int ncolumns, const BkColumn *columns, const Datum *values, bool group)
{
	MemoryContext context = CurrentMemoryContext;
	BkLockWait	lock_wait;

	bk_lock_wait_begin_statement(&lock_wait);
	PG_TRY();
	{
		bk_reservation_update(d, r, ncolumns, columns, values, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		if (bk_lock_wait_timed_out(&lock_wait, edata))
			bk_report_lock_timeout(edata, key_text(key, value), &lock_wait);
		if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION ||
			edata->constraint_name == NULL ||
			strcmp(edata->constraint_name, key->index_name) != 0)
			PG_RE_THROW();
		FlushErrorState();
		report_key_taken(key, value, r->reservation_id, group);
	}
	PG_END_TRY();
	if (bk_lock_wait_end(&lock_wait))
		bk_report_lock_timeout(NULL, key_text(key, value), &lock_wait);
}

/*
 * require_payment_key returns text argument `argno` (a payment_ref or a
 * payment_intent), refusing NULL, '' and anything over
 * BOOKING_MAX_REF_BYTES (22023), before the reservation is looked at.
 */
static char *
require_payment_key(FunctionCallInfo fcinfo, int argno, const char *name)
{
	return bk_text_arg(fcinfo, argno, name, BOOKING_MAX_REF_BYTES, true, true);
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
 * bk_payment_ref_unused fails with BK004 when payment_ref already belongs
 * to a payer other than group `payer_id` (a lone reservation, or another
 * group's first line), as this snapshot sees it: confirm_group's check.
 */
void
bk_payment_ref_unused(BkDirect *d, const char *payment_ref, int64 payer_id)
{
	check_key_unused(d, &payment_ref_key, payment_ref, payer_id, true);
}

/*
 * bk_update_with_payment_ref writes a reservation's new columns, one of
 * which is its payment_ref: a concurrent payer that committed the same
 * payment_ref is BK004 (update_with_key).
 */
void
bk_update_with_payment_ref(BkDirect *d, BkReservation *r, const char *payment_ref,
						   int ncolumns, const BkColumn *columns, const Datum *values)
{
	update_with_key(d, r, &payment_ref_key, payment_ref, ncolumns, columns, values, true);
}

/*
 * bk_confirmation_code is the code a confirmed reservation is given.
 */
char *
bk_confirmation_code(int64 reservation_id)
{
	return confirmation_code(reservation_id);
}

/*
 * booking_begin_payment is begin_payment(reservation_id, payment_intent,
 * extend, guest_id): the guest has started paying, so the hold must not run out
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
	BkReservation r;
	BkDirect	d;
	Datum		result;
	BkColumn	columns[3] = {BK_RESERVATION_STATE, BK_RESERVATION_PAYMENT_INTENT,
	BK_RESERVATION_HOLD_EXPIRES_AT};
	Datum		values[3];
	Oid			state_type;
	char	   *guest_id;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	intent = require_payment_key(fcinfo, 1, "payment_intent");
	guest_id = bk_guest_arg(fcinfo, 3);
	if (PG_ARGISNULL(2))
		deadline = bk_now() + (TimestampTz) booking_payment_extension_s * USECS_PER_SEC;
	else
	{
		Interval   *extend = PG_GETARG_INTERVAL_P(2);

		bk_require_interval_within(extend, "extend",
								   "Pass NULL to use booking.payment_extension, or an interval such as '10 minutes'.");
		deadline = bk_now_plus(extend);
	}

	bk_direct_begin(&d, true);
	bk_lock_reservation(&d, id, guest_id, &r);

	if (r.state == BK_PAYMENT_PENDING && r.payment_intent && strcmp(r.payment_intent, intent) == 0)
		PG_RETURN_DATUM(unchanged(&d, &r));
	if (r.state == BK_EXPIRED)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_HOLD_EXPIRED),
				 errmsg("hold of reservation %lld expired before payment began", (long long) id),
				 errdetail("Reservation %lld (property %lld, room type \"%s\") gave its rooms back at its deadline.",
						   (long long) id, (long long) r.property_id, bk_reservation_room_type(&r)),
				 errhint("Reserve again, or capture the payment and call confirm_booking, which confirms while the rooms are still free.")));
	if (r.state != BK_HELD)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("payment cannot begin for reservation %lld: it is %s",
						(long long) id, bk_state_name(r.state)),
				 errdetail("Reservation %lld (property %lld, room type \"%s\") is %s%s.",
						   (long long) id, (long long) r.property_id, bk_reservation_room_type(&r),
						   bk_state_name(r.state),
						   r.payment_intent == NULL ? "" :
						   strcmp(r.payment_intent, intent) == 0 ? " with this payment_intent" :
						   " with another payment_intent"),
				 errhint("A payment can begin only on a held reservation.")));

	check_key_unused(&d, &payment_intent_key, intent, id, false);
	state_type = bk_state_type(&d);
	values[0] = ObjectIdGetDatum(bk_state_value(state_type, BK_PAYMENT_PENDING));
	values[1] = CStringGetTextDatum(intent);
	values[2] = TimestampTzGetDatum(r.has_deadline ? Max(r.hold_expires_at, deadline) : deadline);
	update_with_key(&d, &r, &payment_intent_key, intent, 3, columns, values, false);
	bk_event_write(&d, "payment_pending", &r, 0, NULL);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	bk_stat_add_on_commit(BK_STAT_PAYMENTS_BEGUN, 1);
	PG_RETURN_DATUM(result);
}

/*
 * booking_confirm_booking is confirm_booking(reservation_id, payment_ref,
 * guest_id).
 *
 * held or payment_pending (before or after the deadline, the units are
 * still its own): the units move from held to booked.  expired (late
 * payment): the units are taken again if every night still has them, else
 * BK002.  confirmed with the same payment_ref: returned unchanged.
 * Anything else: BK003.
 */
Datum
booking_confirm_booking(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *payment_ref;
	BkReservation r;
	BkDirect	d;
	BkNights	nights;
	Datum		result;
	int32		free_delta = 0;
	BkColumn	columns[3] = {BK_RESERVATION_STATE, BK_RESERVATION_PAYMENT_REF,
	BK_RESERVATION_CONFIRMATION_CODE};
	Datum		values[3];
	char	   *guest_id;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	payment_ref = require_payment_key(fcinfo, 1, "payment_ref");
	guest_id = bk_guest_arg(fcinfo, 2);

	bk_direct_begin(&d, true);
	bk_lock_reservation(&d, id, guest_id, &r);

	if (r.state == BK_CONFIRMED)
	{
		if (r.payment_ref && strcmp(r.payment_ref, payment_ref) == 0)
			PG_RETURN_DATUM(unchanged(&d, &r));
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("reservation %lld is already confirmed with another payment_ref", (long long) id),
				 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) is confirmed; the payment_ref given is not the one it was confirmed with.",
						   (long long) id, (long long) r.property_id, bk_reservation_room_type(&r),
						   bk_date_str(r.check_in), bk_date_str(r.check_out)),
				 errhint("Refund the second payment; the reservation is already paid.")));
	}
	if (bk_reservation_group_id(&d, &r) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("reservation %lld is a line of group %lld: it is confirmed with its group",
						(long long) id, (long long) bk_reservation_group_id(&d, &r)),
				 errdetail("One payment confirms a whole group; reservation %lld was not changed.",
						   (long long) id),
				 errhint("Call booking.confirm_group(%lld, payment_ref).",
						 (long long) bk_reservation_group_id(&d, &r))));
	if (!bk_state_is_live_hold(r.state) && r.state != BK_EXPIRED)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("reservation %lld cannot be confirmed: it is %s",
						(long long) id, bk_state_name(r.state)),
				 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) is %s.",
						   (long long) id, (long long) r.property_id, bk_reservation_room_type(&r),
						   bk_date_str(r.check_in), bk_date_str(r.check_out),
						   bk_state_name(r.state)),
				 errhint("Refund the payment, or make a new reservation.")));

	check_key_unused(&d, &payment_ref_key, payment_ref, id, false);
	if (r.state == BK_EXPIRED || !r.has_deadline || r.hold_expires_at <= bk_now())
		bk_stat_add_on_commit(BK_STAT_LATE_CONFIRMS, 1);

	bk_nights_lock(&d, r.property_id, r.room_type, r.check_in, r.check_out, &nights);
	if (bk_state_is_live_hold(r.state))
	{
		bk_nights_require_all(&nights, id, r.property_id, bk_reservation_room_type(&r),
							  r.check_in, r.check_out);
		bk_nights_change(&d, &nights, -r.rooms, r.rooms);
	}
	else
	{
		BkShortage	shortage;
		char	   *block = bk_reservation_block(&d, &r);

		/* an expired pickup gave its rooms back to its block (2.0, blocks) */
		if (block)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_HOLD_EXPIRED),
					 errmsg("hold of reservation %lld expired and its rooms went back to block \"%s\"",
							(long long) id, block),
					 errdetail("Property %lld, room type \"%s\", %s to %s.",
							   (long long) r.property_id, bk_reservation_room_type(&r),
							   bk_date_str(r.check_in), bk_date_str(r.check_out)),
					 errhint("Refund the payment, or pick the rooms up again from the block.")));
		if (bk_nights_shortage(&nights, r.check_in, r.check_out, r.rooms, &shortage))
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_HOLD_EXPIRED),
					 errmsg("hold of reservation %lld expired and its rooms are gone", (long long) id),
					 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free, %d needed.",
							   (long long) r.property_id, bk_reservation_room_type(&r),
							   bk_date_str(shortage.night), shortage.available, r.rooms),
					 errhint("Refund the payment; the reservation stays expired.")));
		bk_nights_change(&d, &nights, 0, r.rooms);
		free_delta = -r.rooms;
	}

	values[0] = ObjectIdGetDatum(bk_state_value(bk_state_type(&d), BK_CONFIRMED));
	values[1] = CStringGetTextDatum(payment_ref);
	values[2] = CStringGetTextDatum(confirmation_code(id));
	update_with_key(&d, &r, &payment_ref_key, payment_ref, 3, columns, values, false);
	bk_event_write(&d, "confirmed", &r, free_delta, NULL);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	bk_stat_add_on_commit(BK_STAT_CONFIRMS, 1);
	PG_RETURN_DATUM(result);
}

/*
 * booking_cancel_reservation is cancel_reservation(reservation_id, reason,
 * guest_id).
 *
 * held or payment_pending: its held units are released; confirmed: its
 * booked units are.  cancelled or expired: returned unchanged (it holds
 * nothing).  From 2.0 the reservation records its cancellation_fee, the
 * charge of its plan's policy at now (policy.c; 0 for a hold and for
 * 'BASE'), and its cancelled event carries it and the refund_amount.
 */
Datum
booking_cancel_reservation(PG_FUNCTION_ARGS)
{
	int64		id;
	BkReservation r;
	BkDirect	d;
	Datum		result;
	char	   *guest_id;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	(void) bk_text_arg(fcinfo, 1, "reason", BOOKING_MAX_REASON_BYTES, false, false);
	guest_id = bk_guest_arg(fcinfo, 2);

	bk_direct_begin(&d, true);
	bk_lock_reservation(&d, id, guest_id, &r);
	if (!bk_state_counts(r.state))
		PG_RETURN_DATUM(unchanged(&d, &r));
	bk_cancel_locked(&d, &r, PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	bk_waitlist_offer_freed(true);	/* the freed units to the waitlist */
	bk_stat_add_on_commit(BK_STAT_CANCELS, 1);
	PG_RETURN_DATUM(result);
}

/*
 * bk_cancel_locked cancels reservation *r, locked by the caller and
 * holding or booking units (bk_state_counts): its units go back (paying
 * down an overbooked night first, inventory.c), it records its
 * cancellation_fee and reason (text, or reason_null) and writes its
 * `cancelled` event.  cancel_reservation's core, and a channel's
 * cancelled revision's (channel.c).
 */
void
bk_cancel_locked(BkDirect *d, BkReservation *r, Datum reason, bool reason_null)
{
	BkNights	nights;
	BkColumn	columns[3] = {BK_RESERVATION_STATE, BK_RESERVATION_CANCEL_REASON,
	BK_RESERVATION_CANCELLATION_FEE};
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	BkCharge	charge;
	char	   *block = bk_reservation_block(d, r);
	DateADT		pub_first = r->check_in;
	DateADT		pub_end = r->check_out;

	/* the fee at now: no query for a hold or a 'BASE' reservation */
	bk_cancel_charge(d, r, bk_now(), &charge);

	bk_nights_lock(d, r->property_id, r->room_type, r->check_in, r->check_out, &nights);
	bk_nights_require_all(&nights, r->reservation_id, r->property_id, bk_reservation_room_type(r),
						  r->check_in, r->check_out);
	if (block)
	{
		/* a pickup (2.0): back to its block while live, on public sale once released */
		bool		held = bk_state_is_live_hold(r->state);

		bk_block_give_back(d, r->property_id, bk_reservation_room_type(r), block, &nights,
						   r->check_in, r->check_out, held ? -r->rooms : 0, held ? 0 : -r->rooms,
						   &pub_first, &pub_end);
	}
	else if (bk_state_is_live_hold(r->state))
		bk_nights_change(d, &nights, -r->rooms, 0);
	else
		bk_nights_change(d, &nights, 0, -r->rooms);

	values[0] = ObjectIdGetDatum(bk_state_value(bk_state_type(d), BK_CANCELLED));
	values[1] = reason;
	nulls[1] = reason_null;
	values[2] = NumericGetDatum(charge.fee);
	bk_reservation_update(d, r, bk_has_column(BK_RESERVATION_CANCELLATION_FEE) ? 3 : 2,
						  columns, values, nulls);
	if (block)
		bk_event_write_release(d, "cancelled", r, pub_first, pub_end, charge.refund);
	else
		bk_event_write_charged(d, "cancelled", r, r->rooms, charge.refund);
}

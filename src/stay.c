/*-------------------------------------------------------------------------
 * stay.c
 *    The stay (2.0): booking.check_in(), booking.check_out() and
 *    booking.mark_no_show(), which move a confirmed reservation through
 *    checked_in to checked_out, or to no_show.
 *
 * "Today" is the property's local date (bk_local_today of its time
 * zone).  A guest checks in from the arrival day until the day before
 * check-out.  A check-out leaves on today, clamped to the stay's second
 * day at the earliest and its check-out at the latest; when that is
 * before the check-out booked, the nights left are given back.  A no-show
 * keeps the first night only (charged by the plan's policy) and gives the
 * others back.  A reservation's [check_in, check_out) always covers
 * exactly the nights it holds, so both move check_out and trim the
 * prices the nights were sold at (night_prices.c), and total_price
 * follows: the kept nights' prices x rooms + extra x kept nights.
 *
 * Locks, in the global order: the reservation row, then the nights given
 * back, in night order, then its night prices row.  One event per call:
 * checked_in (no calendar change), checked_out and no_show (the nights
 * given back: bk_event_write_release).
 *
 * check_out and mark_no_show call bk_waitlist_offer_freed
 * (waitlist_offer.c) after their night writes: the nights they give back
 * go to the waitlist in the same transaction when somebody waits (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_check_in);
PG_FUNCTION_INFO_V1(booking_check_out);
PG_FUNCTION_INFO_V1(booking_mark_no_show);

/*
 * lock_stay reads the reservation_id argument, starts the unit and locks
 * the reservation (BK005 when there is none).
 */
static void
lock_stay(FunctionCallInfo fcinfo, BkDirect *d, BkReservation *r)
{
	bk_require_arg(fcinfo, 0, "reservation_id");
	bk_direct_begin(d, true);
	bk_lock_reservation(d, PG_GETARG_INT64(0), NULL, r);
}

/*
 * unchanged ends the unit and returns the reservation as it is: the
 * answer to an idempotent repeat.
 */
static Datum
unchanged(BkDirect *d, const BkReservation *r)
{
	Datum		result = bk_reservation_datum(d, r);

	bk_direct_end(d);
	return result;
}

/*
 * property_time_zone returns the time zone of the reservation's property.
 */
static char *
property_time_zone(BkDirect *d, const BkReservation *r)
{
	BkStayRequest where;
	BkStayPlace place;

	memset(&where, 0, sizeof(where));
	where.property_id = r->property_id;
	where.room_type = bk_reservation_room_type(r);
	bk_look_up_place(d, &where, r->room_type, &place);
	return place.time_zone;
}

/*
 * report_wrong_day raises BK003 for a stay whose calendar does not allow
 * `what` today: `why` says which day it is.
 */
static void
report_wrong_day(const BkReservation *r, const char *what, const char *why, const char *time_zone,
				 DateADT today, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
			 errmsg("reservation %lld cannot be %s", (long long) r->reservation_id, what),
			 errdetail("%s; it is %s at property %lld (time zone %s).",
					   why, bk_date_str(today), (long long) r->property_id, time_zone),
			 errhint("%s", hint)));
}

/*
 * report_wrong_state raises BK003 for a reservation whose state does not
 * allow `what`.
 */
static void
report_wrong_state(const BkReservation *r, const char *what, const char *why, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
			 errmsg("reservation %lld cannot be %s", (long long) r->reservation_id, what),
			 errdetail("It is %s: %s", bk_state_name(r->state), why),
			 errhint("%s", hint)));
}

/*
 * release_nights gives back the nights [first, r->check_out) of *r, which
 * it books: locked in night order, booked -= rooms on each.  The nights
 * freed on public sale are [*pub_first, *pub_end): all of them, but for a
 * block's pickup (2.0) those whose block night is live go back to the
 * block (block.c).
 */
static void
release_nights(BkDirect *d, const BkReservation *r, DateADT first,
			   DateADT *pub_first, DateADT *pub_end)
{
	BkNights	nights;
	char	   *block;

	*pub_first = first;
	*pub_end = r->check_out;
	if (first >= r->check_out)
		return;
	bk_nights_lock(d, r->property_id, r->room_type, first, r->check_out, &nights);
	bk_nights_require_all(&nights, r->reservation_id, r->property_id,
						  bk_reservation_room_type(r), first, r->check_out);
	block = bk_reservation_block(d, r);
	if (block)
		bk_block_give_back(d, r->property_id, bk_reservation_room_type(r), block, &nights,
						   first, r->check_out, 0, -r->rooms, pub_first, pub_end);
	else
		bk_nights_change(d, &nights, 0, -r->rooms);
}

/*
 * trim_prices keeps the prices of the nights [check_in, end) of *r, the
 * ones it still holds: puts them in *kept and returns its new total, their
 * sum x rooms + extra x nights, for the caller to write with the shorter
 * stay.  A reservation without night prices (made before 2.0) gets the
 * inventory's prices of those nights, as modify_reservation gives it.
 */
static Numeric
trim_prices(BkDirect *d, const BkReservation *r, DateADT end, BkSoldPrices *kept)
{
	int			nkept = end - r->check_in;
	Datum	   *prices = palloc(sizeof(Datum) * nkept);
	Datum	   *sold;
	int			nsold = 0;
	Numeric		extra = NULL;

	sold = bk_night_prices_of(d, r, &nsold, &extra);
	if (sold != NULL && nsold >= nkept)
		memcpy(prices, sold, sizeof(Datum) * nkept);
	else
	{
		BkNights	nights;

		bk_nights_read(d, r->property_id, r->room_type, r->check_in, end, &nights);
		bk_nights_require_all(&nights, r->reservation_id, r->property_id,
							  bk_reservation_room_type(r), r->check_in, end);
		for (int i = 0; i < nkept; i++)
			prices[i] = nights.nights[i].price;
	}
	*kept = (BkSoldPrices) {prices, nkept, extra};
	return bk_stay_total(prices, nkept, r->rooms, extra);
}

/*
 * booking_check_in is check_in(reservation_id): the guest has arrived.
 * Only a confirmed reservation, from its local arrival day until the day
 * before its check-out; already checked_in: returned unchanged.
 */
Datum
booking_check_in(PG_FUNCTION_ARGS)
{
	BkDirect	d;
	BkReservation r;
	char	   *time_zone;
	DateADT		today;
	Datum		result;

	lock_stay(fcinfo, &d, &r);
	if (r.state == BK_CHECKED_IN)
		PG_RETURN_DATUM(unchanged(&d, &r));
	if (bk_state_is_live_hold(r.state))
		report_wrong_state(&r, "checked in", "it must be confirmed first.",
						   "Confirm the reservation with its payment, then check the guest in.");
	if (r.state != BK_CONFIRMED)
		report_wrong_state(&r, "checked in", "only a confirmed reservation checks in.",
						   r.state == BK_CHECKED_OUT || r.state == BK_NO_SHOW ?
						   "Its stay is over; make a new reservation." :
						   "Make a new reservation.");

	time_zone = property_time_zone(&d, &r);
	today = bk_local_today(time_zone);
	if (today < r.check_in)
		report_wrong_day(&r, "checked in",
						 psprintf("Its check-in is %s", bk_date_str(r.check_in)),
						 time_zone, today, "Check the guest in on the arrival day or later.");
	if (today >= r.check_out)
		report_wrong_day(&r, "checked in",
						 psprintf("Its stay ended on %s (check-out)", bk_date_str(r.check_out)),
						 time_zone, today,
						 "Mark it a no-show with booking.mark_no_show if the guest never came.");

	bk_reservation_set_state(&d, &r, BK_CHECKED_IN);
	bk_event_write(&d, "checked_in", &r, 0, NULL);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	PG_RETURN_DATUM(result);
}

/*
 * booking_check_out is check_out(reservation_id): the guest leaves today
 * (the property's local date, at the earliest the stay's second day, at
 * the latest its check-out).  An early departure gives the nights left
 * back and is charged only the nights kept.  Only a checked_in stay;
 * already checked_out: returned unchanged.
 */
Datum
booking_check_out(PG_FUNCTION_ARGS)
{
	BkDirect	d;
	BkReservation r;
	DateADT		departure;
	DateADT		old_check_out;
	DateADT		pub_first;
	DateADT		pub_end;
	Datum		result;

	lock_stay(fcinfo, &d, &r);
	if (r.state == BK_CHECKED_OUT)
		PG_RETURN_DATUM(unchanged(&d, &r));
	if (r.state != BK_CHECKED_IN)
		report_wrong_state(&r, "checked out", "only a checked-in stay checks out.",
						   r.state == BK_CONFIRMED ? "Check the guest in first." :
						   "Nothing to check out.");

	departure = bk_local_today(property_time_zone(&d, &r));
	departure = Max(departure, r.check_in + 1);
	departure = Min(departure, r.check_out);
	old_check_out = r.check_out;
	pub_first = departure;
	pub_end = old_check_out;

	if (departure < old_check_out)
	{
		BkColumn	columns[3] = {BK_RESERVATION_STATE, BK_RESERVATION_CHECK_OUT,
		BK_RESERVATION_TOTAL_PRICE};
		Datum		values[3];
		BkSoldPrices kept;
		Numeric		total;

		release_nights(&d, &r, departure, &pub_first, &pub_end);
		total = trim_prices(&d, &r, departure, &kept);
		values[0] = ObjectIdGetDatum(bk_state_value(bk_state_type(&d), BK_CHECKED_OUT));
		values[1] = DateADTGetDatum(departure);
		values[2] = NumericGetDatum(total);
		bk_reservation_update_sold(&d, &r, 3, columns, values, NULL, &kept);
		r.check_out = departure;
	}
	else
		bk_reservation_set_state(&d, &r, BK_CHECKED_OUT);

	bk_event_write_release(&d, "checked_out", &r, pub_first, pub_end, NULL);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	bk_waitlist_offer_freed(true);	/* the nights left to the waitlist */
	PG_RETURN_DATUM(result);
}

/*
 * booking_mark_no_show is mark_no_show(reservation_id): the guest never
 * came.  Only a confirmed reservation, from its local arrival day on.
 * The first night stays booked (check_out becomes check_in + 1) and the
 * others are given back; the no-show charge, computed on the reservation
 * before that, is its cancellation_fee, and the event says what is
 * refunded (the old total_price less the fee).
 */
Datum
booking_mark_no_show(PG_FUNCTION_ARGS)
{
	BkDirect	d;
	BkReservation r;
	char	   *time_zone;
	DateADT		today;
	DateADT		end;
	DateADT		pub_first;
	DateADT		pub_end;
	BkCharge	charge;
	Numeric		fee;
	Numeric		total;
	Numeric		refund;
	Datum		result;
	BkColumn	columns[4] = {BK_RESERVATION_STATE, BK_RESERVATION_CHECK_OUT,
	BK_RESERVATION_TOTAL_PRICE, BK_RESERVATION_CANCELLATION_FEE};
	Datum		values[4];
	BkSoldPrices kept;

	lock_stay(fcinfo, &d, &r);
	if (bk_state_is_live_hold(r.state))
		report_wrong_state(&r, "marked a no-show", "it must be confirmed first.",
						   "Cancel it, or let its hold expire.");
	if (r.state != BK_CONFIRMED)
		report_wrong_state(&r, "marked a no-show", "only a confirmed reservation can be.",
						   r.state == BK_CHECKED_IN ? "The guest has arrived; check them out instead." :
						   "Nothing to mark.");

	time_zone = property_time_zone(&d, &r);
	today = bk_local_today(time_zone);
	if (today < r.check_in)
		report_wrong_day(&r, "marked a no-show",
						 psprintf("Its check-in is %s", bk_date_str(r.check_in)),
						 time_zone, today, "Mark a no-show on the arrival day or later.");

	/*
	 * The no-show charge of the reservation as it is, before the trim
	 * (policy.c): the policy's no_show charge, else its last tier's; 0
	 * without a policy.  It reads through SPI: before anything is written.
	 */
	bk_no_show_charge(r.reservation_id, &charge);
	fee = charge.fee;
	refund = charge.refund;

	end = r.check_in + 1;
	release_nights(&d, &r, end, &pub_first, &pub_end);
	total = trim_prices(&d, &r, end, &kept);
	values[0] = ObjectIdGetDatum(bk_state_value(bk_state_type(&d), BK_NO_SHOW));
	values[1] = DateADTGetDatum(end);
	values[2] = NumericGetDatum(total);
	values[3] = NumericGetDatum(fee);
	bk_reservation_update_sold(&d, &r, 4, columns, values, NULL, &kept);
	r.check_out = end;

	bk_event_write_release(&d, "no_show", &r, pub_first, pub_end, refund);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	bk_waitlist_offer_freed(true);	/* the nights left to the waitlist */
	PG_RETURN_DATUM(result);
}

/*-------------------------------------------------------------------------
 * modify.c
 *    booking.modify_reservation() (2.0): change the dates, rooms, room
 *    type, guests, children and rate plan of a held, payment_pending or
 *    confirmed reservation in one step, all or nothing, and the check-out
 *    of a checked-in one.
 *
 * The reservation's own units count as free: its old nights and its new
 * ones are locked together, in the one global order (the reservation row,
 * then the nights by (room_type, night)),
 * so two changes and a reserve crossing each other cannot deadlock.  Each
 * night then moves by the difference between what the new stay and the
 * old one hold there; only a night where the new stay takes more needs
 * free units (an overbooked night it keeps or gives back does not).
 * Holds past their deadline on the new nights are expired first, as
 * reserve_range expires them (a dry run counts their rooms as free); a
 * night still short of units fails BK001 and nothing changes.  Nights
 * kept keep the price they were sold at (night_prices.c); nights added
 * take the plan's price today, and a
 * change of plan prices every night anew.  The state and the hold
 * deadline stay.  One `modified` event carries the reservation before and
 * after, and with them both calendar changes (the new stay taken, the old
 * given back), which the publisher folds: no writer locks the room
 * calendar.
 *
 * A channel's modified revision (channel.c) changes the stay through the
 * same core (modify_locked) in "overbook" mode: no rule or past check, a
 * night short of units is taken anyway and overbooked rises
 * (inventory.c, bk_night_overbook), a night never opened is BK005, and
 * the channel's total_price, when it gives one, prices the nights.
 *
 * modify_locked calls bk_waitlist_offer_freed (waitlist_offer.c) after
 * its night writes: a shrink's freed units go to the waitlist in the same
 * transaction when somebody waits for them (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_modify_reservation);

/* What the call asks for; the unset parts keep the reservation's */
typedef struct ChangeRequest
{
	bool		has_check_in;
	DateADT		check_in;
	bool		has_check_out;
	DateADT		check_out;
	int32		rooms;			/* 0: keep */
	char	   *room_type;		/* NULL: keep */
	int32		guests;			/* 0: keep */
	char	   *key;			/* idempotency key, or NULL */
	char	   *guest_id;		/* the owner, or NULL */
	bool		dry_run;		/* judge and price the change, write nothing */
	bool		has_rate_plan;	/* 2.0: a plan was given */
	char	   *rate_plan;		/* and which (NULL: 'BASE') */
	int32		children;		/* -1: keep */
} ChangeRequest;

/*
 * How the core changes the stay: as modify_reservation (overbook false),
 * or as a channel's revision (true): taking nights short of units, at the
 * prices given (NULL: priced as modify_reservation prices), reporting in
 * *over the nights left over their units.
 */
typedef struct ChangeMode
{
	bool		overbook;
	const Datum *prices;		/* one per night of the new stay, or NULL */
	Numeric		total;			/* with prices */
	BkOverbooked *over;			/* overbook: filled */
} ChangeMode;

/* One stay: a room type, its nights [first, end), the rooms it holds */
typedef struct Stay
{
	Datum		room_type;		/* text */
	DateADT		first;
	DateADT		end;
	int32		rooms;
} Stay;

/*
 * request_digest hashes the arguments of a modify_reservation call, for
 * its idempotency key (another text than reserve_range's: a key used for
 * one is refused for the other, BK004).
 */
static bytea *
request_digest(int64 id, const ChangeRequest *req)
{
	char	   *canonical = psprintf("modify_reservation/1|%lld|%s|%s|%d|%zu:%s|%d",
									 (long long) id,
									 req->has_check_in ? bk_date_str(req->check_in) : "-",
									 req->has_check_out ? bk_date_str(req->check_out) : "-",
									 req->rooms,
									 req->room_type ? strlen(req->room_type) : 0,
									 req->room_type ? req->room_type : "-",
									 req->guests);

	/* 2.0's plan and children, when given: without them the text is as before */
	if (req->has_rate_plan)
		canonical = psprintf("%s|plan=%s", canonical, req->rate_plan ? req->rate_plan : BK_BASE_PLAN);
	if (req->children >= 0)
		canonical = psprintf("%s|children=%d", canonical, req->children);
	return bk_text_digest(canonical);
}

/*
 * read_request reads and checks the arguments (22023), before anything
 * is looked at.
 */
static void
read_request(FunctionCallInfo fcinfo, ChangeRequest *req)
{
	memset(req, 0, sizeof(*req));
	bk_require_arg(fcinfo, 0, "reservation_id");
	if (!PG_ARGISNULL(1))
	{
		req->has_check_in = true;
		req->check_in = PG_GETARG_DATEADT(1);
	}
	if (!PG_ARGISNULL(2))
	{
		req->has_check_out = true;
		req->check_out = PG_GETARG_DATEADT(2);
	}
	if (!PG_ARGISNULL(3))
		req->rooms = bk_require_positive(fcinfo, 3, "rooms");
	req->room_type = bk_text_arg(fcinfo, 4, "room_type", BOOKING_MAX_CODE_BYTES, false, true);
	req->guests = bk_guests_arg(fcinfo, 5);
	if (!PG_ARGISNULL(6))
	{
		bk_validate_key(toast_raw_datum_size(PG_GETARG_DATUM(6)) - VARHDRSZ);
		req->key = text_to_cstring(PG_GETARG_TEXT_PP(6));
	}
	req->guest_id = bk_guest_arg(fcinfo, 7);
	req->dry_run = PG_NARGS() > 8 && !PG_ARGISNULL(8) && PG_GETARG_BOOL(8);
	req->children = -1;
	if (PG_NARGS() > 10)
	{
		req->has_rate_plan = !PG_ARGISNULL(9);
		req->rate_plan = bk_rate_plan_arg(fcinfo, 9);
		if (!PG_ARGISNULL(10))
			req->children = bk_children_arg(fcinfo, 10);
	}
	if (req->dry_run && req->key)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a dry run takes no idempotency_key"),
				 errdetail("A dry run changes nothing, so there is nothing to repeat."),
				 errhint("Pass the key with the call that makes the change.")));
}

/*
 * report_not_changeable raises BK003 for a reservation that holds nothing
 * any more (cancelled or expired) or whose stay is over (checked_out,
 * no_show).
 */
static void
report_not_changeable(const BkReservation *r)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
			 errmsg("reservation %lld cannot be changed: it is %s",
					(long long) r->reservation_id, bk_state_name(r->state)),
			 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) is %s: %s.",
					   (long long) r->reservation_id, (long long) r->property_id,
					   bk_reservation_room_type(r), bk_date_str(r->check_in),
					   bk_date_str(r->check_out), bk_state_name(r->state),
					   bk_state_counts(r->state) ? "its stay is over" : "it holds no rooms"),
			 errhint("Make a new reservation.")));
}

/*
 * check_past refuses a change that touches the past: a stay that has
 * begun (check-in before the property's local `today`) may change only
 * its check-out, and only where the nights it adds or drops are not past
 * (a stay that has ended cannot grow into the past either);
 * any other stay may not be moved to a check-in before today.
 */
static void
check_past(const BkReservation *r, const Stay *old, const Stay *new, int32 old_guests,
		   int32 new_guests, DateADT today)
{
	if (old->first < today)
	{
		if (new->first != old->first || new->rooms != old->rooms ||
			!bk_same_text(new->room_type, old->room_type) || new_guests != old_guests)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reservation %lld has begun: only its check-out can change",
							(long long) r->reservation_id),
					 errdetail("Its stay began on %s; it is %s at the property.",
							   bk_date_str(old->first), bk_date_str(today)),
					 errhint("Change check_out alone.")));
		if (new->end != old->end && Min(new->end, old->end) < today)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("check_out %s would change nights already past", bk_date_str(new->end)),
					 errdetail("It is %s at the property; the nights before it stay as they were.",
							   bk_date_str(today)),
					 errhint("Choose a check-out on or after the property's local today.")));
		return;
	}
	if (new->first < today)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("check_in is in the past"),
				 errdetail("check_in is %s; it is %s at property %lld.",
						   bk_date_str(new->first), bk_date_str(today), (long long) r->property_id),
				 errhint("Choose a check-in on or after the property's local today.")));
}

/*
 * check_rules judges the new stay as reserve_range would: the guests,
 * children included (BK006, max_guests) and, for a stay that has not
 * begun, the room type's stay rules and its plan's (BK006).
 */
static void
check_rules(int64 property_id, const char *room_type, const Stay *new, int32 guests,
			int32 children, const char *plan, const BkStayPlace *place, bool begun,
			DateADT today)
{
	if (guests > 0 || children > 0)
		bk_check_guests(property_id, room_type, new->rooms,
						bk_party_size(guests, children), place->max_guests);
	if (!begun && place->has_rules)
		bk_require_stay_rules(property_id, room_type, new->first, new->end, today);
	if (!begun && place->has_plan_rules)
		bk_require_plan_rules(property_id, room_type, plan, new->first, new->end, today);
}

/*
 * report_checked_in_change raises BK003 for a change of a checked-in stay
 * other than its check-out.
 */
static void
report_checked_in_change(const BkReservation *r)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
			 errmsg("reservation %lld is checked in: only its check-out can change",
					(long long) r->reservation_id),
			 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) is checked_in.",
					   (long long) r->reservation_id, (long long) r->property_id,
					   bk_reservation_room_type(r), bk_date_str(r->check_in),
					   bk_date_str(r->check_out)),
			 errhint("Change check_out alone, or check the guest out with booking.check_out.")));
}

/*
 * held_in says how many rooms `stay` holds on `night` of `room_type`.
 */
static int32
held_in(const Stay *stay, Datum room_type, DateADT night)
{
	if (night < stay->first || night >= stay->end || !bk_same_text(stay->room_type, room_type))
		return 0;
	return stay->rooms;
}

/*
 * lock_stays locks the nights of both stays together, in the global order
 * (night_runs.c: one run when they are of one room type and touch), and
 * returns the runs; a dry run (`lock` false) reads them as the snapshot
 * sees them instead.
 */
static BkNightRun *
lock_stays(BkDirect *d, int64 property_id, const Stay *old, const Stay *new, bool lock,
		   int *nruns)
{
	BkStaySpan	spans[2] = {{old->room_type, old->first, old->end},
	{new->room_type, new->first, new->end}};
	BkNightRun *runs;

	*nruns = bk_night_runs(spans, 2, &runs);
	bk_night_runs_lock(d, property_id, runs, *nruns, lock);
	return runs;
}

/*
 * find_night returns the locked night `night` of the new stay's room
 * type, or NULL when it has no inventory row.
 */
static BkNight *
find_night(BkNightRun *runs, int nruns, Datum room_type, DateADT night)
{
	BkNights	slice;
	int			offset;

	(void) bk_night_runs_slice(runs, nruns, room_type, night, night + 1, &slice, &offset);
	return slice.n == 1 ? &slice.nights[0] : NULL;
}

/*
 * takes_more says whether the new stay holds more rooms on `night` than
 * the old one did there: only such a night needs units free.  A night it
 * keeps or gives back needs none, even overbooked (a channel's booking
 * beyond its units): shrinking a stay there pays the overbooking down.
 */
static bool
takes_more(const Stay *old, const Stay *new, DateADT night)
{
	return held_in(new, new->room_type, night) > held_in(old, new->room_type, night);
}

/*
 * free_for_new_stay is how many units night `n` of the new stay has free
 * for it: its free units, the old stay's there, and also_free[night -
 * new->first] when given (a dry run: the rooms of the dead holds the call
 * would expire first); an overbooked night has none, not fewer.
 */
static int32
free_for_new_stay(const BkNight *n, const Stay *old, const Stay *new, DateADT night,
				  const int32 *also_free)
{
	return Max(BK_NIGHT_FREE(n) + held_in(old, new->room_type, night) +
			   (also_free ? also_free[night - new->first] : 0), 0);
}

/*
 * units_short says whether a night of the new stay that takes more than
 * the old stay held there lacks the units (check_units' rule, without
 * its errors).
 */
static bool
units_short(BkNightRun *runs, int nruns, const Stay *old, const Stay *new)
{
	for (DateADT night = new->first; night < new->end; night++)
	{
		BkNight    *n = find_night(runs, nruns, new->room_type, night);

		if (n != NULL && takes_more(old, new, night) &&
			free_for_new_stay(n, old, new, night, NULL) < new->rooms)
			return true;
	}
	return false;
}

/*
 * check_units fails BK001 on the first night of the new stay that lacks
 * units (free_for_new_stay, with also_free); a night where the new stay
 * takes no more than the old one held never lacks them (takes_more).
 * With `overbook` (a channel) only a night without inventory fails, BK005.
 */
static void
check_units(int64 property_id, const char *room_type_name, BkNightRun *runs, int nruns,
			const Stay *old, const Stay *new, bool overbook, const int32 *also_free)
{
	for (DateADT night = new->first; night < new->end; night++)
	{
		BkNight    *n = find_night(runs, nruns, new->room_type, night);
		int32		free_units;

		if (n == NULL && overbook)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NOT_FOUND),
					 errmsg("night %s of room type \"%s\" at property %lld was never opened for sale",
							bk_date_str(night), room_type_name, (long long) property_id),
					 errhint("Open the nights with booking.open_inventory, then apply the revision again.")));
		if (overbook)
			continue;
		if (n == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
					 errmsg("no availability: a night of the new stay is not on sale"),
					 errdetail("Property %lld, room type \"%s\", night %s has no inventory.",
							   (long long) property_id, room_type_name, bk_date_str(night)),
					 errhint("Choose other dates; the reservation was not changed.")));
		if (!takes_more(old, new, night))
			continue;
		free_units = free_for_new_stay(n, old, new, night, also_free);
		if (free_units < new->rooms)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
					 errmsg("no availability: %d room(s) needed, %d free on one night of the new stay",
							new->rooms, free_units),
					 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free (this reservation's own included).",
							   (long long) property_id, room_type_name, bk_date_str(night), free_units),
					 errhint("Choose other dates or fewer rooms; the reservation was not changed.")));
	}
}

/*
 * move_units changes every locked night by what the new stay holds there
 * minus what the old one held: `held` for a live hold, `booked` for a
 * confirmed reservation.
 */
static void
move_units(BkDirect *d, BkNightRun *runs, int nruns, const Stay *old, const Stay *new,
		   bool live_hold, const ChangeMode *mode)
{
	for (int s = 0; s < nruns; s++)
		for (int i = 0; i < runs[s].nights.n; i++)
		{
			DateADT		night = runs[s].nights.nights[i].night;
			int32		delta = held_in(new, runs[s].room_type, night) - held_in(old, runs[s].room_type, night);

			if (live_hold)
				runs[s].held_delta[i] = delta;
			else
				runs[s].booked_delta[i] = delta;
		}
	if (!mode->overbook)
	{
		bk_night_runs_apply(d, runs, nruns);
		return;
	}
	/* a channel: nights taken may go over their units, those given back pay down */
	mode->over->n = 0;
	mode->over->nights = palloc(sizeof(DateADT) * Max(new->end - new->first, 1));
	mode->over->over = palloc(sizeof(int32) * Max(new->end - new->first, 1));
	for (int s = 0; s < nruns; s++)
		for (int i = 0; i < runs[s].nights.n; i++)
		{
			BkNight    *night = &runs[s].nights.nights[i];
			int32		held = runs[s].held_delta[i];
			int32		booked = runs[s].booked_delta[i];

			if (held + booked > 0)
			{
				int32		by = bk_night_overbook(d, night, held, booked);

				if (by > 0)
				{
					mode->over->nights[mode->over->n] = night->night;
					mode->over->over[mode->over->n++] = by;
				}
			}
			else if (held != 0 || booked != 0)
				bk_night_change(d, night, held, booked);
		}
}

/*
 * price_new_stay fills prices[] (one per night of the new stay): under
 * the same plan, a night the old stay had in the same room type keeps the
 * price it was sold at (from `sold`, which starts at `sold_first`; NULL
 * when the reservation has none, made before 2.0 and not updated, or when
 * the plan changes), any other night takes the plan's price now.  Returns
 * the total: their sum times rooms, plus the extras times the nights.
 */
static Numeric
price_new_stay(BkDirect *d, int64 property_id, BkNightRun *runs, int nruns, const Stay *old,
			   const Stay *new, const BkPlan *plan, Numeric extra,
			   const Datum *sold, DateADT sold_first, int nsold, Datum *prices)
{
	BkNights	slice;
	int			offset;
	Datum	   *now_prices = palloc(sizeof(Datum) * (new->end - new->first));

	(void) bk_night_runs_slice(runs, nruns, new->room_type, new->first, new->end, &slice, &offset);
	if (slice.n != new->end - new->first)
		elog(ERROR, "booking: the new stay lacks nights");
	for (int i = 0; i < slice.n; i++)
		if (slice.nights[i].price_null)
			elog(ERROR, "booking: night %s of the new stay has no price",
				 bk_date_str(slice.nights[i].night));
	if (plan->is_base)
		for (int i = 0; i < slice.n; i++)
			now_prices[i] = slice.nights[i].price;
	else
		bk_plan_night_prices(d, property_id, new->room_type, plan, &slice, now_prices, NULL);
	for (DateADT night = new->first; night < new->end; night++)
	{
		int			k = night - new->first;
		int			j = night - sold_first;

		if (sold != NULL && held_in(old, new->room_type, night) > 0 && j >= 0 && j < nsold)
			prices[k] = sold[j];
		else
			prices[k] = now_prices[k];
	}
	return bk_stay_total(prices, new->end - new->first, new->rooms, extra);
}

/*
 * changed_columns fills the reservation columns a change writes (dates,
 * rooms, room type, total_price and, from 2.0, guests: NULL when 0, the
 * plan, children and the night prices `sold`; room for ten) and returns
 * how many there are.
 */
static int
changed_columns(const Stay *new, int32 guests, const BkSaleTerms *terms, Numeric total,
				const BkSoldPrices *sold, BkColumn *columns, Datum *values, bool *nulls)
{
	static const BkColumn changed[8] = {BK_RESERVATION_CHECK_IN, BK_RESERVATION_CHECK_OUT,
		BK_RESERVATION_ROOMS, BK_RESERVATION_ROOM_TYPE, BK_RESERVATION_TOTAL_PRICE,
	BK_RESERVATION_GUESTS, BK_RESERVATION_RATE_PLAN, BK_RESERVATION_CHILDREN};

	memcpy(columns, changed, sizeof(changed));
	values[0] = DateADTGetDatum(new->first);
	values[1] = DateADTGetDatum(new->end);
	values[2] = Int32GetDatum(new->rooms);
	values[3] = new->room_type;
	values[4] = NumericGetDatum(total);
	values[5] = Int32GetDatum(guests);
	values[6] = terms->rate_plan ? CStringGetTextDatum(terms->rate_plan) : bk_base_plan_text();
	values[7] = Int32GetDatum(terms->children);
	memset(nulls, 0, sizeof(bool) * 8);
	nulls[5] = guests == 0;
	if (bk_has_column(BK_RESERVATION_RATE_PLAN))
		return 8 + bk_night_prices_columns(sold, columns + 8, values + 8, nulls + 8);
	return bk_has_column(BK_RESERVATION_GUESTS) ? 6 : 5;
}

/*
 * dry_run_result is the reservation as the change would make it, built in
 * memory, not written: what a dry run answers.
 */
static Datum
dry_run_result(BkDirect *d, const BkReservation *r, const Stay *new, int32 guests,
			   const BkSaleTerms *terms, Numeric total, const BkSoldPrices *sold)
{
	TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
	BkColumn	columns[10];
	int			attnums[10];
	Datum		values[10];
	bool		nulls[10];
	int			n = changed_columns(new, guests, terms, total, sold, columns, values, nulls);

	for (int i = 0; i < n; i++)
		attnums[i] = bk_column(columns[i]);
	return heap_copy_tuple_as_datum(heap_modify_tuple_by_cols(r->tuple, desc, n, attnums, values, nulls),
									desc);
}

/*
 * record_key records the call's idempotency key, when it has one, as
 * answered by reservation `id`.
 */
static void
record_key(const ChangeRequest *req, const char *scope, int64 id)
{
	if (req->key == NULL)
		return;
	bk_connect();
	bk_record_key(scope, req->key, id);
	bk_finish();
}

static Datum modify_locked(BkDirect *d, BkReservation *rp, int64 property_id,
							const ChangeRequest *req, const ChangeMode *mode);

/*
 * booking_modify_reservation is modify_reservation(reservation_id,
 * check_in, check_out, rooms, room_type, guests, idempotency_key,
 * guest_id, dry_run, rate_plan, children); every NULL keeps the
 * reservation's value.  A checked-in stay may change its check-out only.  A dry
 * run judges and prices the change as the call would, from what the
 * snapshot sees, locks nothing and writes nothing: it answers the
 * reservation as it would be, or the error the call would raise.
 */
Datum
booking_modify_reservation(PG_FUNCTION_ARGS)
{
	ChangeRequest req;
	int64		id;
	int64		property_id = 0;
	BkDirect	d;
	BkReservation r;
	Datum		result;
	const char *scope;
	static const ChangeMode plain = {false, NULL, NULL, NULL};

	read_request(fcinfo, &req);
	id = PG_GETARG_INT64(0);
	scope = req.guest_id ? req.guest_id : "";

	bk_direct_begin(&d, true);
	if (!bk_reservation_peek(&d, id, req.guest_id, &property_id))
		bk_report_no_reservation(id);
	if (req.key)
	{
		int64		existing;
		bool		first;

		bk_connect();
		first = bk_claim_key(scope, req.key, request_digest(id, &req), property_id, &existing);
		bk_finish();
		if (!first)
		{
			bk_direct_end(&d);
			PG_RETURN_DATUM(bk_reservation_fetch(existing));
		}
	}
	if (req.dry_run)
	{
		if (!bk_reservation_read(&d, id, &r))
			bk_report_no_reservation(id);
	}
	else
		bk_lock_reservation(&d, id, req.guest_id, &r);
	if (!bk_state_counts(r.state) || r.state == BK_CHECKED_OUT || r.state == BK_NO_SHOW)
		report_not_changeable(&r);

	result = modify_locked(&d, &r, property_id, &req, &plain);
	record_key(&req, scope, id);
	PG_RETURN_DATUM(result);
}

/*
 * modify_locked changes reservation *r, locked (read, for a dry run) by
 * the caller in unit *d, as req asks and mode says, ends the unit and
 * returns the reservation as it is now (as it would be, for a dry run).
 */
static Datum
modify_locked(BkDirect *d, BkReservation *rp, int64 property_id, const ChangeRequest *req,
			  const ChangeMode *mode)
{
	BkReservation r = *rp;
	BkReservation before;
	Stay		old;
	Stay		new;
	int32		old_guests = 0;
	int32		new_guests;
	bool		isnull;
	Datum		value;
	BkStayPlace place;
	BkStayRequest where;
	DateADT		today;
	BkNightRun *runs;
	int			nruns;
	Datum	   *sold = NULL;
	DateADT		sold_first = r.check_in;
	int			nsold = 0;
	BkSoldPrices new_sold;
	Datum	   *prices;
	Numeric		total;
	Datum		result;
	BkSaleTerms old_terms = {NULL, 0};
	BkSaleTerms new_terms;
	BkPlan		plan;
	Numeric		extra;
	bool		keep_sold;
	int32	   *also_free = NULL;

	before = r;
	old.room_type = r.room_type;
	old.first = r.check_in;
	old.end = r.check_out;
	old.rooms = r.rooms;
	if (bk_has_column(BK_RESERVATION_GUESTS))
	{
		value = heap_getattr(r.tuple, bk_column(BK_RESERVATION_GUESTS),
							 RelationGetDescr(bk_direct_relation(d, BK_RESERVATION)), &isnull);
		old_guests = isnull ? 0 : DatumGetInt32(value);
	}
	if (bk_has_column(BK_RESERVATION_RATE_PLAN))
	{
		TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
		char	   *code;

		code = TextDatumGetCString(heap_getattr(r.tuple, bk_column(BK_RESERVATION_RATE_PLAN), desc, &isnull));
		old_terms.rate_plan = strcmp(code, BK_BASE_PLAN) == 0 ? NULL : code;
		old_terms.children = DatumGetInt32(heap_getattr(r.tuple, bk_column(BK_RESERVATION_CHILDREN), desc, &isnull));
	}
	else if (req->has_rate_plan || req->children >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rate plans need the extension at version 2.0"),
				 errhint("ALTER EXTENSION booking UPDATE.")));
	new_terms.rate_plan = req->has_rate_plan ? req->rate_plan : old_terms.rate_plan;
	new_terms.children = req->children >= 0 ? req->children : old_terms.children;
	new.room_type = req->room_type ? CStringGetTextDatum(req->room_type) : old.room_type;
	new.first = req->has_check_in ? req->check_in : old.first;
	new.end = req->has_check_out ? req->check_out : old.end;
	new.rooms = req->rooms > 0 ? req->rooms : old.rooms;
	new_guests = req->guests > 0 ? req->guests : old_guests;

	if (r.state == BK_CHECKED_IN &&
		(new.first != old.first || new.rooms != old.rooms || new_guests != old_guests ||
		 !bk_same_text(new.room_type, old.room_type) || new_terms.children != old_terms.children ||
		 (new_terms.rate_plan == NULL) != (old_terms.rate_plan == NULL) ||
		 (new_terms.rate_plan && strcmp(new_terms.rate_plan, old_terms.rate_plan) != 0)))
		report_checked_in_change(&r);
	if (new.first == old.first && new.end == old.end && new.rooms == old.rooms &&
		new_guests == old_guests && bk_same_text(new.room_type, old.room_type) &&
		new_terms.children == old_terms.children &&
		(new_terms.rate_plan == NULL) == (old_terms.rate_plan == NULL) &&
		(new_terms.rate_plan == NULL || strcmp(new_terms.rate_plan, old_terms.rate_plan) == 0))
	{
		/* nothing to change: nothing is written */
		result = bk_reservation_datum(d, &r);
		bk_direct_end(d);
		return result;
	}
	if (bk_reservation_block(d, &r))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a block pickup cannot be modified; cancel and pick up again"),
				 errdetail("Reservation %lld was picked up from block \"%s\".",
						   (long long) r.reservation_id, bk_reservation_block(d, &r)),
				 errhint("Cancel it and reserve again with block => the block's code.")));

	bk_validate_stay(new.first, new.end);
	where.property_id = property_id;
	where.room_type = TextDatumGetCString(new.room_type);
	where.check_in = new.first;
	where.check_out = new.end;
	where.rooms = new.rooms;
	bk_look_up_place(d, &where, new.room_type, &place);
	bk_plan_look_up(d, property_id, new.room_type, new_terms.rate_plan, &plan);
	today = bk_local_today(place.time_zone);
	if (!mode->overbook)
	{
		check_past(&r, &old, &new, old_guests, new_guests, today);
		check_rules(property_id, where.room_type, &new, new_guests, new_terms.children, plan.code,
					&place, old.first < today, today);
	}
	extra = bk_plan_extra(&plan, new.rooms, new_guests, new_terms.children);

	runs = lock_stays(d, property_id, &old, &new, !req->dry_run, &nruns);
	if (!mode->overbook && !req->dry_run && units_short(runs, nruns, &old, &new) &&
		bk_expire_dead_holds_but(d, property_id, new.room_type, new.first, new.end, LockWaitSkip,
								 r.reservation_id) > 0)
	{
		/*
		 * Short of units, and holds past their deadline lay on the new
		 * stay: expired, as reserve_range expires them, taking only those
		 * it can lock at once (this call holds its nights), this one left
		 * alone (a hold may be changed past its deadline).  Their units
		 * go to waiting entries first; then the nights are counted again.
		 */
		bk_direct_end(d);
		bk_waitlist_offer_freed(false);
		bk_direct_begin(d, true);
		runs = lock_stays(d, property_id, &old, &new, true, &nruns);
	}
	if (!mode->overbook && req->dry_run && units_short(runs, nruns, &old, &new))
	{
		/* judged as the call would judge it: after expiring the dead holds */
		also_free = palloc0(sizeof(int32) * (new.end - new.first));
		bk_dead_hold_rooms(d, property_id, new.room_type, new.first, new.end, r.reservation_id,
						   also_free);
	}
	check_units(property_id, where.room_type, runs, nruns, &old, &new, mode->overbook, also_free);
	sold = bk_night_prices_of(d, &r, &nsold, NULL);
	prices = palloc(sizeof(Datum) * (new.end - new.first));
	keep_sold = true;
	if ((new_terms.rate_plan == NULL) != (old_terms.rate_plan == NULL) ||
		(new_terms.rate_plan && strcmp(new_terms.rate_plan, old_terms.rate_plan) != 0))
		keep_sold = false;		/* another plan: every night at its price */
	if (mode->prices)
	{
		/* a channel's total: its prices, no extras */
		memcpy(prices, mode->prices, sizeof(Datum) * (new.end - new.first));
		total = mode->total;
		extra = NULL;
	}
	else
		total = price_new_stay(d, property_id, runs, nruns, &old, &new, &plan, extra,
							   keep_sold ? sold : NULL, sold_first, nsold, prices);
	new_sold = (BkSoldPrices) {prices, new.end - new.first, extra};
	if (req->dry_run)
	{
		result = dry_run_result(d, &r, &new, new_guests, &new_terms, total, &new_sold);
		bk_direct_end(d);
		return result;
	}
	move_units(d, runs, nruns, &old, &new, bk_state_is_live_hold(r.state), mode);
	{
		BkColumn	columns[10];
		Datum		values[10];
		bool		nulls[10];
		int			n = changed_columns(&new, new_guests, &new_terms, total, &new_sold,
										columns, values, nulls);

		bk_reservation_update(d, &r, n, columns, values, nulls);
	}
	r.check_in = new.first;
	r.check_out = new.end;
	r.rooms = new.rooms;
	r.room_type = new.room_type;
	bk_event_write_modified(d, &r, &before);
	result = bk_reservation_datum(d, &r);
	bk_direct_end(d);
	bk_waitlist_offer_freed(false); /* a shrink's units to the waitlist */
	*rp = r;
	return result;
}

/*
 * bk_modify_overbooking is a channel's modified revision (channel.c):
 * changes reservation `id` to `stay` through modify_reservation's core in
 * overbook mode, at `prices` (one per night of the stay, making `total`;
 * NULL: priced as modify_reservation prices), and returns the reservation
 * as it is now in *result; *over gets the nights left over their units.
 * Returns false, changing nothing, when the reservation holds nothing any
 * more (cancelled or expired: the caller books anew); one whose stay is
 * over (checked_out, no_show) is BK003.
 */
bool
bk_modify_overbooking(int64 id, const BkStayRequest *stay, const Datum *prices, Numeric total,
					  BkOverbooked *over, Datum *result)
{
	BkDirect	d;
	BkReservation r;
	ChangeRequest req;
	ChangeMode	mode = {true, prices, total, over};

	over->n = 0;
	memset(&req, 0, sizeof(req));
	req.has_check_in = true;
	req.check_in = stay->check_in;
	req.has_check_out = true;
	req.check_out = stay->check_out;
	req.rooms = stay->rooms;
	req.room_type = stay->room_type;
	req.children = -1;

	bk_direct_begin(&d, true);
	bk_lock_reservation(&d, id, NULL, &r);
	if (!bk_state_counts(r.state))
	{
		bk_direct_end(&d);
		return false;
	}
	if (r.state == BK_CHECKED_OUT || r.state == BK_NO_SHOW)
		report_not_changeable(&r);
	if (r.property_id != stay->property_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a channel booking cannot move to another property"),
				 errdetail("Reservation %lld is at property %lld; the revision names property %lld.",
						   (long long) id, (long long) r.property_id, (long long) stay->property_id),
				 errhint("Cancel it and book the other property anew.")));
	*result = modify_locked(&d, &r, r.property_id, &req, &mode);
	return true;
}

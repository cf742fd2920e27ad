/*-------------------------------------------------------------------------
 * modify.c
 *    booking.modify_reservation() (2.0): change the dates, rooms, room
 *    type and guests of a held, payment_pending or confirmed reservation
 *    in one step, all or nothing.
 *
 * The reservation's own units count as free: its old nights and its new
 * ones are locked together, in the one global order (the reservation row,
 * then the nights by (room_type, night)),
 * so two changes and a reserve crossing each other cannot deadlock.  Each
 * night then moves by the difference between what the new stay and the
 * old one hold there; a night short of units fails BK001 and nothing
 * changes.  Nights kept keep the price they were sold at
 * (night_prices.c); nights added take today's.  The state and the hold
 * deadline stay.  One `modified` event carries the reservation before and
 * after, and with them both calendar changes (the new stay taken, the old
 * given back), which the publisher folds: no writer locks the room
 * calendar.
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
} ChangeRequest;

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
	if (req->dry_run && req->key)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a dry run takes no idempotency_key"),
				 errdetail("A dry run changes nothing, so there is nothing to repeat."),
				 errhint("Pass the key with the call that makes the change.")));
}

/*
 * report_not_changeable raises BK003 for a reservation that holds nothing
 * any more (cancelled or expired).
 */
static void
report_not_changeable(const BkReservation *r)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
			 errmsg("reservation %lld cannot be changed: it is %s",
					(long long) r->reservation_id, bk_state_name(r->state)),
			 errdetail("Reservation %lld (property %lld, room type \"%s\", %s to %s) is %s and holds no rooms.",
					   (long long) r->reservation_id, (long long) r->property_id,
					   bk_reservation_room_type(r), bk_date_str(r->check_in),
					   bk_date_str(r->check_out), bk_state_name(r->state)),
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
 * check_rules judges the new stay as reserve_range would: the guests
 * (BK006, max_guests) and, for a stay that has not begun, the room
 * type's stay rules (BK006).
 */
static void
check_rules(int64 property_id, const char *room_type, const Stay *new, int32 guests,
			const BkStayPlace *place, bool begun, DateADT today)
{
	if (guests > 0)
		bk_check_guests(property_id, room_type, new->rooms, guests, place->max_guests);
	if (!begun && place->has_rules)
		bk_require_stay_rules(property_id, room_type, new->first, new->end, today);
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
 * check_units fails BK001 on the first night of the new stay that lacks
 * units, counting the units the old stay holds there as free.
 */
static void
check_units(int64 property_id, const char *room_type_name, BkNightRun *runs, int nruns,
			const Stay *old, const Stay *new)
{
	for (DateADT night = new->first; night < new->end; night++)
	{
		BkNight    *n = find_night(runs, nruns, new->room_type, night);
		int32		free_units;

		if (n == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
					 errmsg("no availability: a night of the new stay is not on sale"),
					 errdetail("Property %lld, room type \"%s\", night %s has no inventory.",
							   (long long) property_id, room_type_name, bk_date_str(night)),
					 errhint("Choose other dates; the reservation was not changed.")));
		free_units = n->units - n->held - n->booked + held_in(old, new->room_type, night);
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
		   bool live_hold)
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
	bk_night_runs_apply(d, runs, nruns);
}

/*
 * price_new_stay fills prices[] (one per night of the new stay): a night
 * the old stay had in the same room type keeps the price it was sold at
 * (from `sold`, which starts at `sold_first`; NULL when the reservation
 * has none, made before 2.0 and not updated), any other night takes its
 * price now.  Returns the total: their sum times rooms.
 */
static Numeric
price_new_stay(BkNightRun *runs, int nruns, const Stay *old, const Stay *new, const Datum *sold, DateADT sold_first, int nsold, Datum *prices)
{
	Datum		sum = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));

	for (DateADT night = new->first; night < new->end; night++)
	{
		int			k = night - new->first;
		int			j = night - sold_first;

		if (sold != NULL && held_in(old, new->room_type, night) > 0 && j >= 0 && j < nsold)
			prices[k] = sold[j];
		else
		{
			BkNight    *n = find_night(runs, nruns, new->room_type, night);

			if (n == NULL || n->price_null)
				elog(ERROR, "booking: night %s of the new stay has no price", bk_date_str(night));
			prices[k] = n->price;
		}
		sum = DirectFunctionCall2(numeric_add, sum, prices[k]);
	}
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, sum,
											   DirectFunctionCall1(int4_numeric, Int32GetDatum(new->rooms))));
}

/*
 * changed_columns fills the reservation columns a change writes (dates,
 * rooms, room type, total_price and, from 2.0, guests: NULL when 0) and
 * returns how many there are.
 */
static int
changed_columns(const Stay *new, int32 guests, Numeric total, BkColumn *columns, Datum *values,
				bool *nulls)
{
	static const BkColumn changed[6] = {BK_RESERVATION_CHECK_IN, BK_RESERVATION_CHECK_OUT,
		BK_RESERVATION_ROOMS, BK_RESERVATION_ROOM_TYPE, BK_RESERVATION_TOTAL_PRICE,
	BK_RESERVATION_GUESTS};

	memcpy(columns, changed, sizeof(changed));
	values[0] = DateADTGetDatum(new->first);
	values[1] = DateADTGetDatum(new->end);
	values[2] = Int32GetDatum(new->rooms);
	values[3] = new->room_type;
	values[4] = NumericGetDatum(total);
	values[5] = Int32GetDatum(guests);
	memset(nulls, 0, sizeof(bool) * 6);
	nulls[5] = guests == 0;
	return bk_has_column(BK_RESERVATION_GUESTS) ? 6 : 5;
}

/*
 * dry_run_result is the reservation as the change would make it, built in
 * memory, not written: what a dry run answers.
 */
static Datum
dry_run_result(BkDirect *d, const BkReservation *r, const Stay *new, int32 guests, Numeric total)
{
	TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
	BkColumn	columns[6];
	int			attnums[6];
	Datum		values[6];
	bool		nulls[6];
	int			n = changed_columns(new, guests, total, columns, values, nulls);

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

/*
 * booking_modify_reservation is modify_reservation(reservation_id,
 * check_in, check_out, rooms, room_type, guests, idempotency_key,
 * guest_id, dry_run); every NULL keeps the reservation's value.  A dry
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
	DateADT		sold_first = 0;
	int			nsold = 0;
	ItemPointerData sold_tid;
	Datum	   *prices;
	Numeric		total;
	Datum		result;
	const char *scope;

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
	if (!bk_state_counts(r.state))
		report_not_changeable(&r);

	before = r;
	old.room_type = r.room_type;
	old.first = r.check_in;
	old.end = r.check_out;
	old.rooms = r.rooms;
	if (bk_has_column(BK_RESERVATION_GUESTS))
	{
		value = heap_getattr(r.tuple, bk_column(BK_RESERVATION_GUESTS),
							 RelationGetDescr(bk_direct_relation(&d, BK_RESERVATION)), &isnull);
		old_guests = isnull ? 0 : DatumGetInt32(value);
	}
	new.room_type = req.room_type ? CStringGetTextDatum(req.room_type) : old.room_type;
	new.first = req.has_check_in ? req.check_in : old.first;
	new.end = req.has_check_out ? req.check_out : old.end;
	new.rooms = req.rooms > 0 ? req.rooms : old.rooms;
	new_guests = req.guests > 0 ? req.guests : old_guests;

	if (new.first == old.first && new.end == old.end && new.rooms == old.rooms &&
		new_guests == old_guests && bk_same_text(new.room_type, old.room_type))
	{
		/* nothing to change: nothing is written */
		result = bk_reservation_datum(&d, &r);
		bk_direct_end(&d);
		record_key(&req, scope, id);
		PG_RETURN_DATUM(result);
	}

	bk_validate_stay(new.first, new.end);
	where.property_id = property_id;
	where.room_type = TextDatumGetCString(new.room_type);
	where.check_in = new.first;
	where.check_out = new.end;
	where.rooms = new.rooms;
	bk_look_up_place(&d, &where, new.room_type, &place);
	today = bk_local_today(place.time_zone);
	check_past(&r, &old, &new, old_guests, new_guests, today);
	check_rules(property_id, where.room_type, &new, new_guests, &place, old.first < today, today);

	runs = lock_stays(&d, property_id, &old, &new, !req.dry_run, &nruns);
	check_units(property_id, where.room_type, runs, nruns, &old, &new);
	if (bk_unit_has_night_prices())
		sold = bk_night_prices_read(&d, id, !req.dry_run, &sold_first, &nsold, &sold_tid);
	prices = palloc(sizeof(Datum) * (new.end - new.first));
	total = price_new_stay(runs, nruns, &old, &new, sold, sold_first, nsold, prices);
	if (req.dry_run)
	{
		result = dry_run_result(&d, &r, &new, new_guests, total);
		bk_direct_end(&d);
		PG_RETURN_DATUM(result);
	}
	move_units(&d, runs, nruns, &old, &new, bk_state_is_live_hold(r.state));
	{
		BkColumn	columns[6];
		Datum		values[6];
		bool		nulls[6];
		int			n = changed_columns(&new, new_guests, total, columns, values, nulls);

		bk_reservation_update(&d, &r, n, columns, values, nulls);
	}
	r.check_in = new.first;
	r.check_out = new.end;
	r.rooms = new.rooms;
	r.room_type = new.room_type;
	if (bk_unit_has_night_prices())
		bk_night_prices_write(&d, id, &sold_tid, sold != NULL, new.first, prices,
							  new.end - new.first, NULL);
	bk_event_write_modified(&d, &r, &before);
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);
	record_key(&req, scope, id);
	PG_RETURN_DATUM(result);
}

/*-------------------------------------------------------------------------
 * group_lifecycle.c
 *    booking.confirm_group() and booking.cancel_group() (2.0): what
 *    happens to a whole group after reserve_group.
 *
 * Both lock every line's reservation row first, in line order (the
 * global order: reservation rows before inventory), then the nights of
 * the lines they change, run after run in (room_type, night) order
 * (night_runs.c), and write each night once.  A line may also be
 * cancelled alone (cancel_reservation) or changed (modify_reservation);
 * the group functions take the lines as they find them.
 *
 * One payment_ref pays a whole group.  Every line it confirms carries it,
 * and the group's first line (whose reservation_id is the group's id)
 * carries it even when that line was cancelled alone before: the unique
 * index reservation_payment_ref_key holds one payment_ref per payer (a
 * lone reservation or a group's first line), so no payment_ref can pay
 * for two payers, concurrently neither.
 *
 * cancel_group calls bk_waitlist_offer_freed (waitlist_offer.c) after
 * its night writes (through answer): freed units go to the waitlist in
 * the same transaction when somebody waits for them (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_confirm_group);
PG_FUNCTION_INFO_V1(booking_cancel_group);

/* A group's lines, locked */
typedef struct LockedGroup
{
	int64		group_id;
	int			n;
	BkReservation *lines;		/* in line order; lines[0] is the first line */
} LockedGroup;

/*
 * report_no_group raises BK005 for a group that does not exist, or, when
 * a guest_id was given, is not that guest's: the same words either way.
 */
static void
report_no_group(int64 group_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("group %lld does not exist", (long long) group_id),
			 errdetail("No group of reservations has this id."),
			 errhint("A group's id is the reservation_id of its first line, as reserve_group returned it (column group_id).")));
}

/*
 * lock_group finds the group's lines and locks them in line order.  With
 * `guest_id`, the group must be that guest's (its first line's guest_id,
 * which every line shares): checked on the snapshot before any lock is
 * asked for, so a caller naming another guest's group neither waits for
 * it nor learns that it exists, and again once locked.
 */
static void
lock_group(BkDirect *d, int64 group_id, const char *guest_id, LockedGroup *group)
{
	int64	   *ids;
	int64		property_id;
	int			n = bk_group_line_ids(d, group_id, &ids);

	if (n == 0 || ids[0] != group_id ||
		(guest_id && !bk_reservation_peek(d, group_id, guest_id, &property_id)))
		report_no_group(group_id);
	group->group_id = group_id;
	group->n = 0;
	group->lines = palloc(sizeof(BkReservation) * n);
	for (int i = 0; i < n; i++)
		if (bk_reservation_lock(d, ids[i], &group->lines[group->n], LockWaitBlock))
			group->n++;
	if (group->n == 0 || group->lines[0].reservation_id != group_id ||
		(guest_id && !bk_guest_matches(bk_reservation_guest_id(d, &group->lines[0]), guest_id)))
		report_no_group(group_id);
}

/*
 * answer returns every line of the group, as it is now.
 */
static Datum
answer(FunctionCallInfo fcinfo, BkDirect *d, const LockedGroup *group)
{
	bk_group_result(fcinfo);
	for (int i = 0; i < group->n; i++)
		bk_group_result_add(fcinfo, &group->lines[i]);
	bk_direct_end(d);
	bk_waitlist_offer_freed(false); /* cancel_group's units to the waitlist */
	return (Datum) 0;
}

/*
 * lock_line_nights locks the nights of the lines marked in `changes`, in
 * the global order; returns the runs.
 */
static BkNightRun *
lock_line_nights(BkDirect *d, const LockedGroup *group, const bool *changes, int *nruns)
{
	BkStaySpan *spans = palloc(sizeof(BkStaySpan) * group->n);
	BkNightRun *runs;
	int			n = 0;

	for (int i = 0; i < group->n; i++)
	{
		if (!changes[i])
			continue;
		spans[n].room_type = group->lines[i].room_type;
		spans[n].first = group->lines[i].check_in;
		spans[n].end = group->lines[i].check_out;
		n++;
	}
	*nruns = bk_night_runs(spans, n, &runs);
	bk_night_runs_lock(d, group->lines[0].property_id, runs, *nruns, true);
	return runs;
}

/*
 * line_nights returns the locked nights of one line (its slice of the
 * runs) and where they start in their run.
 */
static BkNightRun *
line_nights(BkNightRun *runs, int nruns, const BkReservation *r, BkNights *slice, int *offset)
{
	return bk_night_runs_slice(runs, nruns, r->room_type, r->check_in, r->check_out, slice, offset);
}

/*
 * add_line_deltas adds held and booked to the deltas of every night of
 * one line, whose nights must all be locked (bk_nights_require_all).
 */
static void
add_line_deltas(BkNightRun *runs, int nruns, const BkReservation *r, int32 held, int32 booked)
{
	BkNights	nights;
	int			offset;
	BkNightRun *run = line_nights(runs, nruns, r, &nights, &offset);

	bk_nights_require_all(&nights, r->reservation_id, r->property_id,
						  bk_reservation_room_type(r), r->check_in, r->check_out);
	for (int k = 0; k < nights.n; k++)
	{
		run->held_delta[offset + k] += held;
		run->booked_delta[offset + k] += booked;
	}
}

/*
 * report_line_not_confirmable raises BK003 for a line in a state no
 * payment can confirm, naming it.
 */
static void
report_line_not_confirmable(const LockedGroup *group, int i, const char *why)
{
	const BkReservation *r = &group->lines[i];

	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
			 errmsg("group %lld cannot be confirmed: line %d (room type \"%s\") is %s%s",
					(long long) group->group_id, i + 1, bk_reservation_room_type(r),
					bk_state_name(r->state), why),
			 errdetail("Line %d is reservation %lld (%s to %s); no line of the group was changed.",
					   i + 1, (long long) r->reservation_id, bk_date_str(r->check_in),
					   bk_date_str(r->check_out)),
			 errhint("Refund the payment: the group was confirmed with another one, or that line cannot be paid for.")));
}

/*
 * booking_confirm_group is confirm_group(group_id, payment_ref, guest_id).
 *
 * Every held or payment_pending line is confirmed (its units move from
 * held to booked) and every expired line too, if all its nights still
 * have its units (late payment, judged per line, the lines counted
 * together): else BK002 naming the line, and nothing changes.  Cancelled
 * lines stay cancelled.  Lines already confirmed with this payment_ref
 * stay as they are, so a repeat returns the group unchanged; a line
 * confirmed with another payment_ref is BK003, and a group whose lines
 * are all cancelled is BK003 too.
 */
Datum
booking_confirm_group(PG_FUNCTION_ARGS)
{
	int64		group_id;
	char	   *payment_ref;
	char	   *guest_id;
	BkDirect	d;
	LockedGroup group;
	bool	   *changes;
	int			nchanges = 0;
	int			nconfirmed = 0;
	int			nlate = 0;
	BkNightRun *runs;
	int			nruns;
	Oid			confirmed;

	bk_require_arg(fcinfo, 0, "group_id");
	group_id = PG_GETARG_INT64(0);
	payment_ref = bk_text_arg(fcinfo, 1, "payment_ref", BOOKING_MAX_REF_BYTES, true, true);
	guest_id = bk_guest_arg(fcinfo, 2);

	bk_direct_begin(&d, true);
	lock_group(&d, group_id, guest_id, &group);
	changes = palloc0(sizeof(bool) * group.n);
	for (int i = 0; i < group.n; i++)
	{
		BkReservation *r = &group.lines[i];

		if (bk_state_is_booked(r->state))
		{
			/* confirmed, or confirmed and its stay begun: a repeat's line */
			if (r->payment_ref == NULL || strcmp(r->payment_ref, payment_ref) != 0)
				report_line_not_confirmable(&group, i, " with another payment_ref");
			nconfirmed++;
		}
		else if (bk_state_is_live_hold(r->state) || r->state == BK_EXPIRED)
		{
			changes[i] = true;
			nchanges++;
			if (r->state == BK_EXPIRED || !r->has_deadline || r->hold_expires_at <= bk_now())
				nlate++;		/* paid after the deadline, as confirm_booking counts it */
		}
		else if (r->state != BK_CANCELLED)
			report_line_not_confirmable(&group, i, "");
	}
	if (nchanges == 0 && nconfirmed > 0)
		return answer(fcinfo, &d, &group);	/* a repeat */
	if (nchanges == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("group %lld cannot be confirmed: every line is cancelled", (long long) group_id),
				 errdetail("The group's %d line(s) hold no rooms.", group.n),
				 errhint("Refund the payment, or make a new reservation.")));

	bk_payment_ref_unused(&d, payment_ref, group_id);
	runs = lock_line_nights(&d, &group, changes, &nruns);
	for (int i = 0; i < group.n; i++)
	{
		BkReservation *r = &group.lines[i];
		BkNights	nights;
		int			offset;
		BkNightRun *run;

		if (!changes[i])
			continue;
		if (bk_state_is_live_hold(r->state))
		{
			add_line_deltas(runs, nruns, r, -r->rooms, r->rooms);
			continue;
		}
		/* expired: its units must still be free, after the lines before it */
		run = line_nights(runs, nruns, r, &nights, &offset);
		for (DateADT day = r->check_in; day < r->check_out; day++)
		{
			int			k = day - r->check_in;
			BkNight    *night = k < nights.n ? &nights.nights[k] : NULL;
			int32		free_units;

			if (night == NULL || night->night != day)
				free_units = 0;
			else
				free_units = BK_NIGHT_FREE(night) -
					run->held_delta[offset + k] - run->booked_delta[offset + k];
			if (free_units < r->rooms)
				ereport(ERROR,
						(errcode(ERRCODE_BOOKING_HOLD_EXPIRED),
						 errmsg("group %lld: the hold of line %d (room type \"%s\") expired and its rooms are gone",
								(long long) group_id, i + 1, bk_reservation_room_type(r)),
						 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free, %d needed; no line of the group was changed.",
								   (long long) r->property_id, bk_reservation_room_type(r),
								   bk_date_str(day), Max(free_units, 0), r->rooms),
						 errhint("Refund the payment; the group stays as it was.  Reserve again for the rooms still wanted.")));
		}
		add_line_deltas(runs, nruns, r, 0, r->rooms);
	}
	bk_night_runs_apply(&d, runs, nruns);

	confirmed = bk_state_value(bk_state_type(&d), BK_CONFIRMED);
	for (int i = 0; i < group.n; i++)
	{
		BkReservation *r = &group.lines[i];
		BkColumn	columns[3] = {BK_RESERVATION_PAYMENT_REF, BK_RESERVATION_STATE,
		BK_RESERVATION_CONFIRMATION_CODE};
		Datum		values[3];
		bool		late = r->state == BK_EXPIRED;

		values[0] = CStringGetTextDatum(payment_ref);
		values[1] = ObjectIdGetDatum(confirmed);
		values[2] = CStringGetTextDatum(bk_confirmation_code(r->reservation_id));
		if (changes[i])
		{
			if (i == 0)
				bk_update_with_payment_ref(&d, r, payment_ref, 3, columns, values);
			else
				bk_reservation_update(&d, r, 3, columns, values, NULL);
			bk_event_write(&d, "confirmed", r, late ? -r->rooms : 0, NULL);
		}
		else if (i == 0 && r->payment_ref == NULL)
			bk_update_with_payment_ref(&d, r, payment_ref, 1, columns, values);	/* the payer */
	}
	bk_stat_add_on_commit(BK_STAT_CONFIRMS, nchanges);
	bk_stat_add_on_commit(BK_STAT_LATE_CONFIRMS, nlate);
	return answer(fcinfo, &d, &group);
}

/*
 * booking_cancel_group is cancel_group(group_id, reason, guest_id): every
 * line that still holds rooms (held, payment_pending or confirmed) is
 * cancelled and its units given back; lines cancelled or expired before,
 * and lines whose stay began (checked_in, checked_out, no_show), stay as
 * they are, so a repeat returns the group unchanged.  Each line
 * cancelled records its own cancellation_fee and refund_amount, as
 * cancel_reservation does (policy.c).
 */
Datum
booking_cancel_group(PG_FUNCTION_ARGS)
{
	int64		group_id;
	char	   *guest_id;
	BkDirect	d;
	LockedGroup group;
	bool	   *changes;
	int			nchanges = 0;
	BkNightRun *runs;
	int			nruns;
	Oid			cancelled;
	BkCharge   *charges;

	bk_require_arg(fcinfo, 0, "group_id");
	group_id = PG_GETARG_INT64(0);
	(void) bk_text_arg(fcinfo, 1, "reason", BOOKING_MAX_REASON_BYTES, false, false);
	guest_id = bk_guest_arg(fcinfo, 2);

	bk_direct_begin(&d, true);
	lock_group(&d, group_id, guest_id, &group);
	changes = palloc0(sizeof(bool) * group.n);
	/* a line whose stay began (checked in or out, a no-show) stays as it is */
	for (int i = 0; i < group.n; i++)
		if (bk_state_is_live_hold(group.lines[i].state) || group.lines[i].state == BK_CONFIRMED)
		{
			changes[i] = true;
			nchanges++;
		}
	if (nchanges == 0)
		return answer(fcinfo, &d, &group);

	/* each line's fee at now, before any night is locked (policy.c) */
	charges = palloc(sizeof(BkCharge) * group.n);
	for (int i = 0; i < group.n; i++)
		if (changes[i])
			bk_cancel_charge(&d, &group.lines[i], bk_now(), &charges[i]);

	runs = lock_line_nights(&d, &group, changes, &nruns);
	for (int i = 0; i < group.n; i++)
	{
		const BkReservation *r = &group.lines[i];
		bool		live = bk_state_is_live_hold(r->state);

		if (changes[i])
			add_line_deltas(runs, nruns, r, live ? -r->rooms : 0, live ? 0 : -r->rooms);
	}
	bk_night_runs_apply(&d, runs, nruns);

	cancelled = bk_state_value(bk_state_type(&d), BK_CANCELLED);
	for (int i = 0; i < group.n; i++)
	{
		BkReservation *r = &group.lines[i];
		BkColumn	columns[3] = {BK_RESERVATION_STATE, BK_RESERVATION_CANCEL_REASON,
		BK_RESERVATION_CANCELLATION_FEE};
		Datum		values[3];
		bool		nulls[3] = {false, PG_ARGISNULL(1), false};

		if (!changes[i])
			continue;
		values[0] = ObjectIdGetDatum(cancelled);
		values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
		values[2] = NumericGetDatum(charges[i].fee);
		bk_reservation_update(&d, r, bk_has_column(BK_RESERVATION_CANCELLATION_FEE) ? 3 : 2,
							  columns, values, nulls);
		bk_event_write_charged(&d, "cancelled", r, r->rooms, charges[i].refund);
	}
	bk_stat_add_on_commit(BK_STAT_CANCELS, nchanges);
	return answer(fcinfo, &d, &group);
}

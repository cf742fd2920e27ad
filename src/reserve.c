/*-------------------------------------------------------------------------
 * reserve.c
 *    booking.reserve_range(): hold `rooms` units of one room type on every
 *    night of [check_in, check_out), all or nothing, for a limited time.
 *
 * Everything that can be done before the row locks is: argument checks,
 * the idempotency claim, the property and room type lookup, the "today"
 * rule and the stay rules, and writing the reservation row, the prices
 * of its nights (2.0) and its `reserved` event, priced from the nights
 * as they are.  Then the nights
 * are locked in order, counted and changed, so the locks are held as
 * briefly as possible: from the lock to the commit.  On the plain path
 * (no block, every night read with the rooms free and nobody waiting)
 * each night is written from the version read when that is still the
 * newest, its update taking the lock (bk_nights_hold_unlocked, in the
 * same order); a night changed meanwhile is locked and counted as
 * before.  The nights, the reservation
 * and the event are read and written without SPI (direct.c); the
 * idempotency key and the stay rules, which not every call has, use SPI.
 *
 * Dead holds never block: when holds past their deadline lie on the
 * stay's nights they are expired first (waiting for whoever has them
 * locked, in the global lock order), and when a night is short after the
 * nights are locked, holds that died meanwhile are expired if that can be
 * done without waiting, and the nights counted again.
 *
 * The dead-hold path calls bk_waitlist_offer_freed (waitlist_offer.c)
 * after expiring holds: waiting entries get the freed units before this
 * call counts them (2.0); the plain path makes no waitlist lookup.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/nbtree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_reserve_range);


/*
 * bk_validate_key checks the length of an idempotency key, in bytes, read
 * from the argument's header before the key is copied: 1 to 255.
 */
void
bk_validate_key(Size len)
{
	if (len == 0 || len > BOOKING_MAX_KEY_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("idempotency_key must be 1 to %d bytes long", BOOKING_MAX_KEY_BYTES),
				 errdetail("The key given is %zu bytes long.", len),
				 errhint("Use a UUID or a similar short unique string per user action.")));
}

/*
 * bk_look_up_property reads the property's time zone in the unit's
 * snapshot, without SPI (BK005 when there is no such property).
 */
char *
bk_look_up_property(BkDirect *d, int64 property_id)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_PROPERTY, BK_SLOT_FOUND);
	char	   *time_zone = NULL;
	bool		found;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
	scan = bk_direct_scan(d, BK_PROPERTY, BK_PROPERTY_PKEY, &key, 1);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
		time_zone = TextDatumGetCString(bk_direct_get_notnull(slot, bk_column(BK_PROPERTY_TIME_ZONE)));
	index_endscan(scan);
	ExecClearTuple(slot);
	if (!found)
		bk_report_no_property(property_id);
	return time_zone;
}

/*
 * look_up_room_type reads the room type's max_guests and whether it has
 * stay rules, and keeps where its row is in the unit (for the
 * reservation's foreign key, bk_reservation_insert_line).  Returns false
 * when there is no such room type.
 */
static bool
look_up_room_type(BkDirect *d, const BkStayRequest *stay, Datum room_type, BkStayPlace *place)
{
	ScanKeyData keys[2];
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_ROOM_TYPE, BK_SLOT_FOUND);
	bool		found;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(stay->property_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
	scan = bk_direct_scan(d, BK_ROOM_TYPE, BK_ROOM_TYPE_PKEY, keys, 2);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
	{
		bool		isnull = true;
		Datum		has_rules = (Datum) 0;

		if (bk_unit_has_rules_flag())
			has_rules = slot_getattr(slot, bk_column(BK_ROOM_TYPE_HAS_RULES), &isnull);
		place->has_rules = !isnull && DatumGetBool(has_rules);
		place->has_plan_rules = false;
		if (bk_has_column(BK_ROOM_TYPE_HAS_PLAN_RULES))
		{
			Datum		has_plan_rules = slot_getattr(slot, bk_column(BK_ROOM_TYPE_HAS_PLAN_RULES), &isnull);

			place->has_plan_rules = !isnull && DatumGetBool(has_plan_rules);
		}
		place->max_guests = DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_ROOM_TYPE_MAX_GUESTS)));
		d->room_type_property = stay->property_id;
		d->room_type_code = DatumGetTextPP(room_type);
		d->room_type_tid = slot->tts_tid;
	}
	index_endscan(scan);
	ExecClearTuple(slot);
	return found;
}

/*
 * bk_look_up_place reads the property's time zone, and the room type's
 * max_guests and whether it has stay rules (BK005 when either is unknown).
 */
void
bk_look_up_place(BkDirect *d, const BkStayRequest *stay, Datum room_type, BkStayPlace *place)
{
	place->time_zone = bk_look_up_property(d, stay->property_id);
	if (!look_up_room_type(d, stay, room_type, place))
		bk_report_no_room_type(stay->property_id, stay->room_type);
}

/*
 * bk_look_up_place_for_check_in is bk_look_up_place for a caller that
 * needs the time zone only to judge the check-in day
 * (bk_check_day_and_rules): a check-in eight days or more after today in
 * UTC is after today in every time zone PostgreSQL can take (the named
 * ones lie within 14 hours of UTC, a POSIX one such as 'XYZ-100' that a
 * DBA could put in the table by hand within 167 hours), so when the room
 * type has no rules either, the property is not read and time_zone is
 * NULL.  The room type's row says the property
 * exists (its foreign key); when there is none, the property is read to
 * say which of the two is unknown, as bk_look_up_place does.
 */
void
bk_look_up_place_for_check_in(BkDirect *d, const BkStayRequest *stay, Datum room_type,
							  BkStayPlace *place)
{
	TimestampTz now = bk_now();
	DateADT		utc_today = (DateADT) (now / USECS_PER_DAY - (now % USECS_PER_DAY < 0 ? 1 : 0));

	if (!look_up_room_type(d, stay, room_type, place))
	{
		(void) bk_look_up_property(d, stay->property_id);
		bk_report_no_room_type(stay->property_id, stay->room_type);
	}
	if (place->has_rules || place->has_plan_rules || stay->check_in < utc_today + 8)
		place->time_zone = bk_look_up_property(d, stay->property_id);
	else
		place->time_zone = NULL;
}

/*
 * bk_check_day_and_rules refuses a check-in before the property's local today,
 * more guests (adults and children) than the rooms take (BK006, rule
 * max_guests: `guests` 0 when the call did not say) and a stay that breaks
 * the room type's rules or those of the plan it is sold under (BK006).
 */
void
bk_check_day_and_rules(const BkStayRequest *stay, const BkStayPlace *place, int32 guests,
					   int32 children, const char *plan)
{
	/* no time zone: the check-in is after today everywhere, and no rule needs today */
	DateADT		today = place->time_zone ? bk_local_today(place->time_zone) : DATEVAL_NOBEGIN;

	if (stay->check_in < today)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("check_in is in the past"),
				 errdetail("check_in is %s; it is %s at property %lld (time zone %s).",
						   bk_date_str(stay->check_in), bk_date_str(today),
						   (long long) stay->property_id, place->time_zone),
				 errhint("Choose a check-in on or after the property's local today.")));
	if (guests > 0 || children > 0)
		bk_check_guests(stay->property_id, stay->room_type, stay->rooms,
						bk_party_size(guests, children), place->max_guests);
	if (place->has_rules)
		bk_require_stay_rules(stay->property_id, stay->room_type, stay->check_in,
							  stay->check_out, today);
	if (place->has_plan_rules)
		bk_require_plan_rules(stay->property_id, stay->room_type, plan ? plan : BK_BASE_PLAN,
							  stay->check_in, stay->check_out, today);
}

/*
 * report_no_availability raises BK001 for the first night that lacks units.
 */
static void
report_no_availability(const BkStayRequest *stay, const BkShortage *shortage)
{
	bk_stat_add(BK_STAT_RESERVE_CONFLICTS, 1);
	if (shortage->missing)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
				 errmsg("no availability: a night of the stay is not on sale"),
				 errdetail("Property %lld, room type \"%s\", night %s has no inventory.",
						   (long long) stay->property_id, stay->room_type,
						   bk_date_str(shortage->night)),
				 errhint("Open the night with booking.open_inventory, or choose other dates.")));
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
			 errmsg("no availability: %d room(s) requested, %d free on one night of the stay",
					stay->rooms, shortage->available),
			 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free.",
					   (long long) stay->property_id, stay->room_type,
					   bk_date_str(shortage->night), shortage->available),
			 errhint("Search other dates or room types; nothing was held.")));
}

/*
 * bk_hold_deadline returns when a hold made now expires: now + hold (days
 * as 24 hours, bk_now_plus), or now + booking.hold_ttl.
 */
TimestampTz
bk_hold_deadline(Interval *hold)
{
	if (hold)
		return bk_now_plus(hold);
	return bk_now() + (TimestampTz) booking_hold_ttl_s * USECS_PER_SEC;
}

/*
 * bk_price_stay prices the stay's nights (read or locked, every night of the
 * stay in order) under `plan`; 'BASE' without extras costs no more than
 * it did before plans.
 */
void
bk_price_stay(BkDirect *d, const BkStayRequest *stay, Datum room_type, const BkPlan *plan,
			  int32 guests, int32 children, const BkNights *nights, BkStayPrice *price)
{
	price->prices = palloc(sizeof(Datum) * Max(nights->n, 1));
	price->extra = bk_plan_extra(plan, stay->rooms, guests, children);
	if (plan->is_base)
	{
		for (int i = 0; i < nights->n; i++)
			price->prices[i] = nights->nights[i].price;
		price->total = price->extra ? bk_stay_total(price->prices, nights->n, stay->rooms, price->extra)
			: bk_nights_total(nights, stay->rooms);
		return;
	}
	bk_plan_night_prices(d, stay->property_id, room_type, plan, nights, price->prices, NULL);
	price->total = bk_stay_total(price->prices, nights->n, stay->rooms, price->extra);
}

/*
 * booking_reserve_range is reserve_range(property_id, room_type, check_in,
 * check_out, rooms, guest_id, idempotency_key, hold, guests, rate_plan,
 * children, block).
 *
 * With a block (2.0, block.c) the rooms come from the block, not from
 * public sale: the block is checked before any lock, its nights are
 * locked after the inventory's, and on each night blocked -= rooms, held
 * += rooms, picked += rooms; public free units do not change, so the
 * event's calendar change is none.  Without one (the plain path) nothing
 * of this runs: no lookup, no query.
 */
Datum
booking_reserve_range(PG_FUNCTION_ARGS)
{
	BkStayRequest stay;
	char	   *guest_id = NULL;
	char	   *key = NULL;
	Interval   *hold = NULL;
	int32		guests;
	BkSaleTerms terms;
	const char *scope;
	Datum		room_type;
	BkStayPlace place;
	BkPlan		plan;
	BkDirect	d;
	BkNights	priced;
	BkNights	nights;
	BkShortage	shortage;
	BkReservation r;
	BkStayPrice price;
	BkSoldPrices sold;
	ItemPointerData event_tid;
	Datum		result;
	bool		other_nights = false;	/* locked nights beyond the stay's */

	bk_stay_request(fcinfo, &stay);
	guest_id = bk_text_arg(fcinfo, 5, "guest_id", BOOKING_MAX_REF_BYTES, false, false);
	if (!PG_ARGISNULL(6))
	{
		bk_validate_key(toast_raw_datum_size(PG_GETARG_DATUM(6)) - VARHDRSZ);
		key = text_to_cstring(PG_GETARG_TEXT_PP(6));
	}
	if (!PG_ARGISNULL(7))
		hold = PG_GETARG_INTERVAL_P(7);
	if (hold)
		bk_require_interval_within(hold, "hold",
								   "Pass NULL to use booking.hold_ttl, or an interval such as '15 minutes'.");
	guests = bk_guests_arg(fcinfo, 8);
	terms.rate_plan = bk_rate_plan_arg(fcinfo, 9);
	terms.children = bk_children_arg(fcinfo, 10);
	terms.block = PG_NARGS() > 11 ?
		bk_text_arg(fcinfo, 11, "block", BOOKING_MAX_BLOCK_CODE_BYTES, false, true) : NULL;
	scope = guest_id ? guest_id : "";
	room_type = CStringGetTextDatum(stay.room_type);

	bk_stat_add(BK_STAT_RESERVE_ATTEMPTS, 1);
	if (key)
	{
		int64		existing;
		bool		first;

		bk_connect();
		first = bk_claim_key(scope, key,
							 bk_request_digest(stay.property_id, stay.room_type, stay.check_in,
											   stay.check_out, stay.rooms, hold, guests, &terms),
							 stay.property_id, &existing);
		bk_finish();
		if (!first)
		{
			bk_stat_add_on_commit(BK_STAT_IDEMPOTENT_REPLAYS, 1);
			PG_RETURN_DATUM(bk_reservation_fetch(existing));
		}
	}

	if (terms.block)
		bk_block_check_pickup(&stay, terms.block);

	bk_direct_begin(&d, true);
	bk_look_up_place_for_check_in(&d, &stay, room_type, &place);
	bk_plan_look_up(&d, stay.property_id, room_type, terms.rate_plan, &plan);
	bk_check_day_and_rules(&stay, &place, guests, terms.children, plan.code);

	/*
	 * Price the stay from the nights as they are, and write the
	 * reservation and its event now, before any night is locked: the
	 * reservation's foreign key is checked at the end of this unit, and
	 * the nights' locks are then held only for their own update and the
	 * commit.  Nothing of this is seen by anyone before the commit, and a
	 * shortage found under the locks rolls it all back.
	 */
	bk_nights_read_versions(&d, stay.property_id, room_type, stay.check_in, stay.check_out, &priced);
	if (bk_nights_shortage(&priced, stay.check_in, stay.check_out, 0, &shortage))
		report_no_availability(&stay, &shortage);	/* a night not on sale */
	if (!terms.block &&
		bk_nights_shortage(&priced, stay.check_in, stay.check_out, stay.rooms, &shortage) &&
		bk_dead_holds_exist(&d, stay.property_id, room_type, stay.check_in, stay.check_out))
	{
		/*
		 * Short of units, and holds past their deadline lie on the stay:
		 * expire them in a unit of their own, waiting for their locks in
		 * the global order, then start afresh.  (With units enough, the
		 * sweeper expires them; nothing here waits on them.)
		 */
		bk_expire_dead_holds(&d, stay.property_id, room_type, stay.check_in,
							 stay.check_out, LockWaitBlock);
		other_nights = true;	/* the dead holds' nights, and the offers' below */
		bk_direct_end(&d);
		bk_waitlist_offer_freed(false); /* waiting entries first */
		bk_direct_begin(&d, true);
		bk_nights_read_versions(&d, stay.property_id, room_type, stay.check_in, stay.check_out,
								&priced);
		if (bk_nights_shortage(&priced, stay.check_in, stay.check_out, 0, &shortage))
			report_no_availability(&stay, &shortage);
	}
	bk_price_stay(&d, &stay, room_type, &plan, guests, terms.children, &priced, &price);
	sold = (BkSoldPrices) {price.prices, priced.n, price.extra};
	bk_reservation_insert(&d, stay.property_id, room_type, stay.check_in, stay.check_out,
						  stay.rooms, guest_id, guests, bk_hold_deadline(hold),
						  price.total, &sold, &terms, &r);
	bk_event_write(&d, "reserved", &r, terms.block ? 0 : -stay.rooms, &event_tid);
	bk_direct_end(&d);

	bk_direct_begin(&d, true);
	/*
	 * The plain path, every night read with the rooms free and nobody
	 * waiting for them: write each night from the version read if it is
	 * still the newest, the update taking its lock
	 * (bk_nights_hold_unlocked).  Otherwise, or when a night changed
	 * meanwhile so that this cannot be, lock every night, check, write.
	 */
	if (terms.block ||
		bk_nights_shortage(&priced, stay.check_in, stay.check_out, stay.rooms, &shortage) ||
		bk_nights_waited_for(&priced) || !bk_direct_updates_unlocked(&d, BK_INVENTORY) ||
		!bk_nights_hold_unlocked(&d, stay.property_id, room_type, &priced, stay.rooms, &nights))
	{
		bk_nights_lock_read(&d, stay.property_id, room_type, stay.check_in, stay.check_out,
							&priced, &nights);
		if (terms.block)
		{
			/* a pickup: every night on sale, then the block's own rooms */
			if (bk_nights_shortage(&nights, stay.check_in, stay.check_out, 0, &shortage))
				report_no_availability(&stay, &shortage);
			bk_block_take(&stay, terms.block);
		}
		else if (bk_nights_shortage(&nights, stay.check_in, stay.check_out, stay.rooms, &shortage))
		{
			int			expired;

			/* a hold on these nights may have died since the lookup */
			if (shortage.missing)
				report_no_availability(&stay, &shortage);
			bk_direct_end(&d);
			bk_direct_begin(&d, true);
			expired = bk_expire_dead_holds(&d, stay.property_id, room_type, stay.check_in,
										   stay.check_out, LockWaitSkip);
			other_nights = true;
			if (expired == 0)
				report_no_availability(&stay, &shortage);
			bk_direct_end(&d);
			bk_waitlist_offer_freed(false); /* waiting entries first */
			bk_direct_begin(&d, true);
			bk_nights_lock(&d, stay.property_id, room_type, stay.check_in, stay.check_out, &nights);
			if (bk_nights_shortage(&nights, stay.check_in, stay.check_out, stay.rooms, &shortage))
				report_no_availability(&stay, &shortage);
		}
		if (!terms.block && bk_nights_waited_for(&nights))
		{
			/*
			 * Units on public sale that waiting entries want (2.0): a freeing
			 * transaction could not offer them.  The entries first, then count
			 * again.  Nights above the stay may be waited for only when this
			 * call holds nothing but the stay's nights: after a dead-hold path
			 * it also holds the dead holds' nights and nights its offers took
			 * without waiting, wherever they were free (one above a busy one,
			 * say); waiting then for a night below one of those would take
			 * them out of the global order (a deadlock with any transaction
			 * locking them in ascending order).  Then every night is taken
			 * without waiting, as the freeing paths do.
			 */
			bk_direct_end(&d);
			bk_waitlist_offer_range(stay.property_id, stay.room_type, stay.check_in, stay.check_out,
									!other_nights);
			bk_direct_begin(&d, true);
			bk_nights_lock(&d, stay.property_id, room_type, stay.check_in, stay.check_out, &nights);
			if (bk_nights_shortage(&nights, stay.check_in, stay.check_out, stay.rooms, &shortage))
				report_no_availability(&stay, &shortage);
		}
		if (!bk_nights_same_prices(&priced, &nights))
		{
			/* open_inventory repriced a night meanwhile: the locked prices count */
			bk_price_stay(&d, &stay, room_type, &plan, guests, terms.children, &nights, &price);
			sold = (BkSoldPrices) {price.prices, nights.n, price.extra};
			bk_reservation_reprice(&d, &r, price.total, &sold);
			bk_event_rewrite_payload(&d, &event_tid, "reserved", &r);
		}
		if (terms.block)
			bk_block_nights_take(&d, &nights, stay.rooms);
		else
			bk_nights_change(&d, &nights, stay.rooms, 0);
	}
	result = bk_reservation_datum(&d, &r);
	bk_direct_end(&d);

	if (key)
	{
		bk_connect();
		bk_record_key(scope, key, r.reservation_id);
		bk_finish();
	}
	bk_stat_add_on_commit(BK_STAT_RESERVE_SUCCESSES, 1);
	PG_RETURN_DATUM(result);
}

/*-------------------------------------------------------------------------
 * waitlist_offer.c
 *    The waitlist's offers (2.0): whenever units come free on a night, the
 *    transaction that frees them turns the oldest waiting entry of that
 *    property and room type whose stay overlaps the freed nights, that now
 *    fits completely (units on public sale, BK_NIGHT_FREE, >= rooms on every
 *    night of its stay; an overbooked night has none) and that the stay
 *    rules allow, into a `held` reservation (the offer, deadline now() +
 *    booking.waitlist_offer_ttl), marks the entry 'offered' and writes a
 *    `waitlist_offered` event; then the next, while units remain.  Entries
 *    that do not fit, or that the rules refuse, are skipped.
 *
 * What it costs a path that frees units: night_write (inventory.c) notes a
 * freed night only when its `waiting` is above zero (rooms of waiting
 * entries that want the night, kept by join, leave and offer), which it
 * reads from the row it holds anyway; bk_waitlist_offer_freed, which each
 * freeing path calls after its night writes (cancel_reservation, the
 * expiry of holds in expiry.c, reserve_range's dead-hold path,
 * cancel_group, a shrinking modify_reservation, check_out, mark_no_show,
 * apply_channel_booking, and block release), returns at once when nothing
 * was noted.  So a cancel on nights nobody waits for queries nothing.
 * open_inventory calls bk_waitlist_offer_range for the nights it opened
 * or widened (not a hot path: one indexed query).
 *
 * Locking, the hard part.  The global order is reservation rows, then
 * inventory rows in ascending (property_id, room_type, night), and a
 * transaction holding inventory rows never waits for a lower night.  The
 * freeing transaction holds the nights it freed.  An entry that fits may
 * need nights below the highest night it freed: those are taken without
 * waiting (LockWaitSkip); a busy one means the entry is not offered now,
 * and the sweeper's next round offers it (bk_waitlist_sweep: the same
 * routine per room type with waiting entries, one indexed query).  Nights
 * above the highest freed night may be waited for, in ascending order,
 * but only when the caller says it holds nothing above them (may_wait:
 * one stay's nights, one room type, and not the publisher's lock, which
 * the block functions take after their nights); otherwise those are
 * taken without waiting too: a public reserve_range after a dead-hold
 * path (it holds other nights then), and any offer made by a transaction
 * that took the publisher's lock to refresh the calendar (open_inventory,
 * a stay rule's change, a block pickup's give-back, an expiry that
 * refreshed: bk_publisher_lock_held, checked here whatever the caller
 * says).  The entry's row is locked after its nights, never waiting
 * (lock_entry_now, not SQL's SKIP LOCKED, which can wait in PostgreSQL
 * 15): another transaction holding it is offering it (or the guest is
 * leaving).  join and leave lock their entry row before its nights, but
 * no holder of nights ever waits for an entry row, so that cannot cycle.
 * Two cancels freeing one entry's two rooms on the same nights serialise
 * on those nights: the second sees the first's unit and makes the offer.
 *
 * Refusals are not errors: a night short, busy or missing, the rules
 * refusing (bk_check_stay_rules, which returns the reason instead of
 * raising), a check-in already past: the entry is skipped and the
 * freeing transaction goes on.
 *
 * A waiting entry whose check-in has passed is closed ('lapsed') by the
 * sweeper's round, which takes its rooms off `waiting`.
 *
 * 'offered' entries are settled (bk_waitlist_settle) to 'booked' once
 * their reservation is confirmed (or further), or 'lapsed' once it is
 * cancelled or expired, by the next offer routine of any room type, by
 * join and leave, and by the sweeper's round: the freeing paths do not
 * look the waitlist up for that, so the state may trail the reservation
 * by one sweeper round.  The units a lapsed offer frees go to the next
 * entry at once, through `waiting` as for any freed unit.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "booking.h"

/* A night that came free in this transaction while entries wait for it */
typedef struct FreedNight
{
	int64		property_id;
	Datum		room_type;		/* text, in TopTransactionContext */
	DateADT		night;
} FreedNight;

static FreedNight *freed = NULL;
static int	nfreed = 0;
static int	freed_capacity = 0;
static bool callback_registered = false;

/* The sweeper's round is running the offer routine: it holds no night */
static bool sweeping = false;

/* A waiting entry, as the offer routine reads it */
typedef struct Entry
{
	int64		waitlist_id;
	int64		property_id;
	char	   *room_type;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	char	   *guest_id;		/* NULL: none */
} Entry;

/* The waiting entries of one room type whose stay overlaps [$3, $4), oldest first */
static BookingPlan candidates_plan = {
	"SELECT waitlist_id, check_in, check_out, rooms, guest_id FROM booking.waitlist"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND state OPERATOR(pg_catalog.=) 'waiting'"
	"   AND check_in OPERATOR(pg_catalog.<) $4 AND check_out OPERATOR(pg_catalog.>) $3"
	" ORDER BY created_at, waitlist_id",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
};

/* One entry, to offer it */
static BookingPlan entry_plan = {
	"SELECT property_id, room_type, check_in, check_out, rooms, guest_id, state"
	"  FROM booking.waitlist WHERE waitlist_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

/* Where the entry's row is, when it is in state $2 (lock_entry_now locks it) */
static BookingPlan entry_tid_plan = {
	"SELECT ctid FROM booking.waitlist"
	" WHERE waitlist_id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}
};

/* An entry this transaction locked, given its new state $2 */
static BookingPlan set_entry_state_plan = {
	"UPDATE booking.waitlist SET state = $2 WHERE waitlist_id OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, TEXTOID}
};

static BookingPlan mark_offered_plan = {
	"UPDATE booking.waitlist SET state = 'offered', reservation_id = $2,"
	"       offered_at = pg_catalog.now()"
	" WHERE waitlist_id OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, INT8OID}
};

/* The `reserved` event's payload of the offer, plus its waitlist_id */
static BookingPlan offered_payload_plan = {
	"SELECT payload OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('waitlist_id', $2)"
	"  FROM booking.event WHERE ctid OPERATOR(pg_catalog.=) $1",
	2, {TIDOID, INT8OID}
};

/*
 * Offers whose reservation moved on: confirmed and after, booked; gone,
 * lapsed (settle_offers locks and writes them one by one).
 */
static BookingPlan moved_offers_plan = {
	"SELECT w.waitlist_id,"
	"       CASE WHEN r.state OPERATOR(pg_catalog.=) ANY ('{cancelled,expired}'::booking.booking_state[])"
	"            THEN 'lapsed' ELSE 'booked' END"
	"  FROM booking.waitlist w JOIN booking.reservation r"
	"    ON r.reservation_id OPERATOR(pg_catalog.=) w.reservation_id"
	" WHERE w.state OPERATOR(pg_catalog.=) 'offered'"
	"   AND r.state OPERATOR(pg_catalog.<>) ALL (" BK_LIVE_HOLD_STATES ")",
	0, {InvalidOid}
};

/* The room types somebody waits for, and the span of their stays */
static BookingPlan waiting_room_types_plan = {
	"SELECT property_id, room_type, pg_catalog.min(check_in), pg_catalog.max(check_out)"
	"  FROM booking.waitlist WHERE state OPERATOR(pg_catalog.=) 'waiting'"
	" GROUP BY property_id, room_type ORDER BY property_id, room_type",
	0, {InvalidOid}
};

static void waitlist_note_freed(HeapTuple night_tuple, TupleDesc desc, DateADT night);
static void waitlist_offer_freed(bool may_wait);
static void waitlist_offer_range(int64 property_id, const char *room_type, DateADT first,
								 DateADT end, bool may_wait);

/* The hooks the layers below call (booking.h) */
void		(*bk_waitlist_note_freed_hook) (HeapTuple night_tuple, TupleDesc desc, DateADT night) =
waitlist_note_freed;
void		(*bk_waitlist_offer_freed_hook) (bool may_wait) = waitlist_offer_freed;
void		(*bk_waitlist_offer_range_hook) (int64 property_id, const char *room_type, DateADT first,
											 DateADT end, bool may_wait) = waitlist_offer_range;

static void
waitlist_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			freed = NULL;		/* TopTransactionContext goes with it */
			nfreed = 0;
			freed_capacity = 0;
			break;
		default:
			break;
	}
}

/*
 * bk_schema_has_waitlist says whether the schema has booking.waitlist
 * (version 2.0 on).
 */
bool
bk_schema_has_waitlist(void)
{
	Oid			namespace = get_namespace_oid("booking", true);

	return OidIsValid(namespace) && OidIsValid(get_relname_relid("waitlist", namespace));
}

/*
 * bk_waitlist_note_freed notes that units came free on `night` of the
 * inventory row night_tuple (locked and written by this transaction), on
 * which entries wait: night_write calls it, only when waiting > 0.
 */
static void
waitlist_note_freed(HeapTuple night_tuple, TupleDesc desc, DateADT night)
{
	bool		isnull;
	int64		property_id = DatumGetInt64(heap_getattr(night_tuple, bk_column(BK_INVENTORY_PROPERTY_ID),
														 desc, &isnull));
	Datum		room_type = heap_getattr(night_tuple, bk_column(BK_INVENTORY_ROOM_TYPE), desc, &isnull);
	MemoryContext old;

	if (!callback_registered)
	{
		RegisterXactCallback(waitlist_xact_callback, NULL);
		callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	if (nfreed == freed_capacity)
	{
		freed_capacity = Max(8, freed_capacity * 2);
		freed = freed ? repalloc(freed, sizeof(FreedNight) * freed_capacity)
			: palloc(sizeof(FreedNight) * freed_capacity);
	}
	freed[nfreed].property_id = property_id;
	freed[nfreed].room_type = PointerGetDatum(DatumGetTextPCopy(room_type));
	freed[nfreed].night = night;
	nfreed++;
	MemoryContextSwitchTo(old);
}

static int
freed_cmp(const void *a, const void *b)
{
	const FreedNight *x = a;
	const FreedNight *y = b;
	int			c;

	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	c = bk_room_type_cmp(x->room_type, y->room_type);
	if (c != 0)
		return c;
	return x->night < y->night ? -1 : (x->night > y->night ? 1 : 0);
}

/*
 * lock_entry_nights locks the nights [check_in, check_out) of an entry:
 * those below wait_from without waiting (a busy one is left out), those
 * from wait_from on waiting, in ascending order.
 */
static void
lock_entry_nights(BkDirect *d, const Entry *e, Datum room_type, DateADT wait_from, BkNights *nights)
{
	DateADT		split = Min(Max(e->check_in, wait_from), e->check_out);
	BkNights	above;

	bk_nights_lock_wait(d, e->property_id, room_type, e->check_in, split, LockWaitSkip, nights);
	if (split >= e->check_out)
		return;
	bk_nights_lock_wait(d, e->property_id, room_type, split, e->check_out, LockWaitBlock, &above);
	if (above.n == 0)
		return;
	nights->nights = repalloc(nights->nights, sizeof(BkNight) * Max(nights->n + above.n, 1));
	memcpy(nights->nights + nights->n, above.nights, sizeof(BkNight) * above.n);
	nights->n += above.n;
}

/*
 * lock_entry_now locks the row of entry waitlist_id when it is in `state`
 * and no other transaction holds it, never waiting; returns whether it
 * did.  Inside SPI.
 *
 * Not with SQL's FOR UPDATE SKIP LOCKED: the executor asks the table to
 * lock the newer versions of an updated row as well
 * (TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS), and in PostgreSQL 15 that
 * step waits for whoever holds them, whatever SKIP LOCKED says, when the
 * row's updater ends between the look and the lock.  A caller holding
 * nights then waited for a leave_waitlist holding the entry and waiting
 * for those nights (40P01, found by an outside attack).  Here, as the
 * engine locks nights and reservations, the newest version is found and
 * locked without that step at READ COMMITTED; at REPEATABLE READ a row
 * changed since the snapshot is left alone.
 */
static bool
lock_entry_now(int64 waitlist_id, const char *state)
{
	Datum		args[2];
	ItemPointerData tid;
	Relation	rel;
	TupleTableSlot *slot;
	TM_FailureData tmfd;
	TM_Result	result;
	bool		locked = false;

	args[0] = Int64GetDatum(waitlist_id);
	args[1] = CStringGetTextDatum(state);
	bk_exec(&entry_tid_plan, args, NULL, 1);
	if (SPI_processed != 1)
		return false;
	tid = *(ItemPointer) DatumGetPointer(bk_get_notnull(0, 1));

	rel = table_open(get_relname_relid("waitlist", get_namespace_oid("booking", false)),
					 RowShareLock);
	slot = table_slot_create(rel, NULL);
	result = table_tuple_lock(rel, &tid, GetActiveSnapshot(), slot, GetCurrentCommandId(false),
							  LockTupleExclusive, LockWaitSkip,
							  IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
							  &tmfd);
	if (result == TM_Ok)
	{
		bool		isnull;
		Datum		now = slot_getattr(slot, SPI_fnumber(RelationGetDescr(rel), "state"), &isnull);

		/* the newest version may be in another state by now: then not ours */
		locked = !isnull && strcmp(TextDatumGetCString(now), state) == 0;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	return locked;
}

/*
 * set_entry_state gives an entry this transaction locked its new state.
 * Inside SPI.
 */
static void
set_entry_state(int64 waitlist_id, const char *state)
{
	Datum		args[2];

	args[0] = Int64GetDatum(waitlist_id);
	args[1] = CStringGetTextDatum(state);
	bk_exec(&set_entry_state_plan, args, NULL, 0);
}

/*
 * settle_offers records what became of offers whose reservation moved
 * on (moved_offers_plan).  An entry another transaction holds is left
 * for the next settling: a caller may hold nights, and nobody holding
 * nights waits for an entry row (lock_entry_now); nor do two settlings
 * wait for each other.  Inside SPI.
 */
static void
settle_offers(void)
{
	int			n;
	int64	   *ids;
	char	  **states;

	bk_exec(&moved_offers_plan, NULL, NULL, 0);
	n = (int) SPI_processed;
	if (n == 0)
		return;
	ids = palloc(sizeof(int64) * n);
	states = palloc(sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		ids[i] = bk_get_int64(i, 1);
		states[i] = pstrdup(TextDatumGetCString(bk_get_notnull(i, 2)));
	}
	for (int i = 0; i < n; i++)
		if (lock_entry_now(ids[i], "offered"))
			set_entry_state(ids[i], states[i]);
}

/*
 * lapse_past_entry closes a waiting entry whose check-in has passed
 * ('lapsed') and takes its rooms off the nights' waiting counts: the
 * sweeper's, which holds no night and so may wait for them; an entry
 * another transaction holds is left for the next round.
 */
static void
lapse_past_entry(const Entry *e, Datum room_type)
{
	bool		lapsed;
	BkDirect	d;
	BkNights	nights;

	bk_connect();
	lapsed = lock_entry_now(e->waitlist_id, "waiting");
	if (lapsed)
		set_entry_state(e->waitlist_id, "lapsed");
	bk_finish();
	if (!lapsed)
		return;
	bk_direct_begin(&d, true);
	bk_nights_lock(&d, e->property_id, room_type, e->check_in, e->check_out, &nights);
	for (int i = 0; i < nights.n; i++)
		bk_night_change_waiting(&d, &nights.nights[i], 0, -e->rooms);
	bk_direct_end(&d);
}

/*
 * offer_entry makes the offer to entry *e if it fits and the rules allow
 * it; see the header.  Returns whether it did.
 */
static bool
offer_entry(const Entry *e, DateADT wait_from)
{
	BkStayRequest stay;
	BkStayPlace place;
	BkDirect	d;
	BkNights	nights;
	BkShortage	shortage;
	Datum		room_type = CStringGetTextDatum(e->room_type);
	DateADT		today;
	Datum		args[2];
	bool		ok;
	BkPlan		plan;
	BkStayPrice price;
	BkSaleTerms terms = {NULL, 0};
	BkReservation r;
	ItemPointerData event_tid;
	BkSoldPrices sold;
	Datum		payload;

	stay.property_id = e->property_id;
	stay.room_type = e->room_type;
	stay.check_in = e->check_in;
	stay.check_out = e->check_out;
	stay.rooms = e->rooms;

	/*
	 * A look without locks first (a fresh snapshot, which sees this
	 * transaction's own writes): an entry that does not fit costs no lock,
	 * so the sweeper's re-check of entries that wait in vain writes
	 * nothing.  A unit freed by a transaction that commits after this look
	 * is that transaction's to offer.
	 */
	bk_direct_begin(&d, false);
	bk_look_up_place(&d, &stay, room_type, &place);
	bk_nights_read(&d, e->property_id, room_type, e->check_in, e->check_out, &nights);
	ok = !bk_nights_shortage(&nights, e->check_in, e->check_out, e->rooms, &shortage);
	bk_direct_end(&d);
	today = bk_local_today(place.time_zone);
	if (e->check_in < today)
	{
		if (sweeping)
			lapse_past_entry(e, room_type);
		return false;			/* too late for this stay */
	}
	if (!ok)
		return false;

	/* the nights first, then the entry */
	bk_direct_begin(&d, true);
	lock_entry_nights(&d, e, room_type, wait_from, &nights);
	ok = !bk_nights_shortage(&nights, e->check_in, e->check_out, e->rooms, &shortage);
	bk_direct_end(&d);
	if (!ok)
		return false;

	bk_connect();
	ok = lock_entry_now(e->waitlist_id, "waiting");
	if (ok && place.has_rules)
	{
		BkRuleViolation violation;

		ok = bk_check_stay_rules(e->property_id, e->room_type, e->check_in, e->check_out,
								 today, &violation);
	}
	if (ok && place.has_plan_rules)
	{
		BkRuleViolation violation;

		ok = bk_check_plan_rules(e->property_id, e->room_type, BK_BASE_PLAN, e->check_in,
								 e->check_out, today, &violation);
	}
	bk_finish();
	if (!ok)
		return false;

	/* reserve.c's core: the reservation, its night prices, `reserved` */
	bk_direct_begin(&d, true);
	bk_nights_lock(&d, e->property_id, room_type, e->check_in, e->check_out, &nights);
	bk_plan_base(&plan);
	bk_price_stay(&d, &stay, room_type, &plan, 0, 0, &nights, &price);
	sold = (BkSoldPrices) {price.prices, nights.n, price.extra};
	bk_reservation_insert(&d, e->property_id, room_type, e->check_in, e->check_out, e->rooms,
						  e->guest_id, 0,
						  bk_now() + (TimestampTz) booking_waitlist_offer_ttl_s * USECS_PER_SEC,
						  price.total, &sold, &terms, &r);
	bk_event_write(&d, "reserved", &r, -e->rooms, &event_tid);
	for (int i = 0; i < nights.n; i++)
		bk_night_change_waiting(&d, &nights.nights[i], e->rooms, -e->rooms);
	bk_direct_end(&d);

	bk_connect();
	args[0] = Int64GetDatum(e->waitlist_id);
	args[1] = Int64GetDatum(r.reservation_id);
	bk_exec(&mark_offered_plan, args, NULL, 0);
	args[0] = PointerGetDatum(&event_tid);
	args[1] = Int64GetDatum(e->waitlist_id);
	bk_exec(&offered_payload_plan, args, NULL, 1);
	if (SPI_processed != 1)
		elog(ERROR, "the reserved event of waitlist offer %lld is missing",
			 (long long) r.reservation_id);
	payload = bk_copy_result_datum(0, 1);
	bk_finish();

	bk_direct_begin(&d, true);
	bk_event_write_payload(&d, "waitlist_offered", &r, payload);
	bk_direct_end(&d);
	return true;
}

/*
 * offer_room_type offers freed units of one room type to its waiting
 * entries whose stay overlaps [first, end), oldest first; nights from
 * wait_from on may be waited for.  Returns how many offers it made.
 */
static int
offer_room_type(int64 property_id, Datum room_type, DateADT first, DateADT end, DateADT wait_from)
{
	Datum		args[4];
	Entry	   *entries;
	int			n;
	int			offered = 0;
	char	   *room_type_name = TextDatumGetCString(room_type);
	MemoryContext keep = CurrentMemoryContext;

	bk_connect();
	settle_offers();
	args[0] = Int64GetDatum(property_id);
	args[1] = room_type;
	args[2] = DateADTGetDatum(first);
	args[3] = DateADTGetDatum(end);
	bk_exec(&candidates_plan, args, NULL, 0);
	n = (int) SPI_processed;
	entries = MemoryContextAlloc(keep, sizeof(Entry) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		guest;

		entries[i].waitlist_id = bk_get_int64(i, 1);
		entries[i].property_id = property_id;
		entries[i].room_type = room_type_name;
		entries[i].check_in = DatumGetDateADT(bk_get_notnull(i, 2));
		entries[i].check_out = DatumGetDateADT(bk_get_notnull(i, 3));
		entries[i].rooms = bk_get_int32(i, 4);
		guest = bk_get(i, 5, &isnull);
		entries[i].guest_id = isnull ? NULL
			: MemoryContextStrdup(keep, TextDatumGetCString(guest));
	}
	bk_finish();

	for (int i = 0; i < n; i++)
		if (offer_entry(&entries[i], wait_from))
			offered++;
	return offered;
}

/*
 * bk_waitlist_offer_freed offers the units this transaction freed on
 * nights entries wait for (noted by night_write) to those entries; every
 * path that frees units calls it after its night writes, with no unit of
 * direct work open.  may_wait: the caller holds only the nights of one
 * room type's freed stay, so nights above the highest freed one may be
 * waited for (see the header).  Returns at once when nothing was noted.
 */
static void
waitlist_offer_freed(bool may_wait)
{
	FreedNight *todo;
	int			n = nfreed;
	bool		one_room_type;

	if (n == 0)
		return;
	may_wait = may_wait && !bk_publisher_lock_held();	/* see the header */
	todo = palloc(sizeof(FreedNight) * n);
	for (int i = 0; i < n; i++)
	{
		todo[i] = freed[i];
		todo[i].room_type = PointerGetDatum(DatumGetTextPCopy(freed[i].room_type));
	}
	nfreed = 0;					/* an offer frees nothing */
	qsort(todo, n, sizeof(FreedNight), freed_cmp);
	one_room_type = todo[0].property_id == todo[n - 1].property_id &&
		bk_room_type_cmp(todo[0].room_type, todo[n - 1].room_type) == 0;

	for (int i = 0; i < n;)
	{
		int			j = i;

		while (j + 1 < n && todo[j + 1].property_id == todo[i].property_id &&
			   bk_room_type_cmp(todo[j + 1].room_type, todo[i].room_type) == 0)
			j++;
		(void) offer_room_type(todo[i].property_id, todo[i].room_type, todo[i].night,
							   todo[j].night + 1,
							   may_wait && one_room_type ? todo[j].night + 1 : DATEVAL_NOEND);
		i = j + 1;
	}
}

/*
 * bk_waitlist_offer_range offers the nights [first, end) of one room type,
 * which open_inventory has just opened or widened and holds, to the
 * entries waiting for them; nights above them may be waited for only
 * with may_wait (the caller holds no other night), else every night is
 * taken without waiting.
 */
static void
waitlist_offer_range(int64 property_id, const char *room_type, DateADT first, DateADT end,
					 bool may_wait)
{
	if (!bk_schema_has_waitlist())
		return;
	may_wait = may_wait && !bk_publisher_lock_held();	/* see the header */
	(void) offer_room_type(property_id, CStringGetTextDatum(room_type), first, end,
						   may_wait ? end : DATEVAL_NOEND);
}

/*
 * bk_waitlist_try_offer makes the offer to one entry if it still waits
 * and fits now (join_waitlist, for a stay that fits at once); with
 * LockWaitBlock every night may be waited for (the caller holds only that
 * entry's nights).  Returns whether it did.
 */
bool
bk_waitlist_try_offer(int64 waitlist_id, LockWaitPolicy wait)
{
	Entry		e;
	Datum		args[1];
	bool		waiting;
	MemoryContext keep = CurrentMemoryContext;

	bk_connect();
	args[0] = Int64GetDatum(waitlist_id);
	bk_exec(&entry_plan, args, NULL, 1);
	if (SPI_processed != 1)
	{
		bk_finish();
		return false;
	}
	waiting = strcmp(TextDatumGetCString(bk_get_notnull(0, 7)), "waiting") == 0;
	e.waitlist_id = waitlist_id;
	e.property_id = bk_get_int64(0, 1);
	e.room_type = MemoryContextStrdup(keep, TextDatumGetCString(bk_get_notnull(0, 2)));
	e.check_in = DatumGetDateADT(bk_get_notnull(0, 3));
	e.check_out = DatumGetDateADT(bk_get_notnull(0, 4));
	e.rooms = bk_get_int32(0, 5);
	{
		bool		isnull;
		Datum		guest = bk_get(0, 6, &isnull);

		e.guest_id = isnull ? NULL
			: MemoryContextStrdup(keep, TextDatumGetCString(guest));
	}
	bk_finish();
	if (!waiting)
		return false;
	return offer_entry(&e, wait == LockWaitBlock ? DATEVAL_NOBEGIN : DATEVAL_NOEND);
}

/*
 * bk_waitlist_settle records what became of offers: 'booked' once their
 * reservation is confirmed (or further on), 'lapsed' once it was
 * cancelled or expired.  Called inside SPI or not.
 */
void
bk_waitlist_settle(void)
{
	bk_connect();
	settle_offers();
	bk_finish();
}

/*
 * bk_waitlist_sweep is the sweeper's round for the waitlist: settle the
 * offers, then run the offer routine for every room type somebody waits
 * for, taking no night that is busy (entries skipped for a busy night
 * by a freeing transaction are offered here), and close the entries whose
 * check-in has passed.
 */
void
bk_waitlist_sweep(void)
{
	int			n;
	int64	   *property_ids;
	Datum	   *room_types;
	DateADT    *firsts;
	DateADT    *ends;
	MemoryContext keep = CurrentMemoryContext;

	if (!bk_schema_has_waitlist())
		return;
	bk_connect();
	settle_offers();
	bk_exec(&waiting_room_types_plan, NULL, NULL, 0);
	n = (int) SPI_processed;
	property_ids = MemoryContextAlloc(keep, sizeof(int64) * Max(n, 1));
	room_types = MemoryContextAlloc(keep, sizeof(Datum) * Max(n, 1));
	firsts = MemoryContextAlloc(keep, sizeof(DateADT) * Max(n, 1));
	ends = MemoryContextAlloc(keep, sizeof(DateADT) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		MemoryContext old;

		property_ids[i] = bk_get_int64(i, 1);
		old = MemoryContextSwitchTo(keep);
		room_types[i] = PointerGetDatum(DatumGetTextPCopy(bk_get_notnull(i, 2)));
		MemoryContextSwitchTo(old);
		firsts[i] = DatumGetDateADT(bk_get_notnull(i, 3));
		ends[i] = DatumGetDateADT(bk_get_notnull(i, 4));
	}
	bk_finish();
	sweeping = true;
	PG_TRY();
	{
		for (int i = 0; i < n; i++)
			(void) offer_room_type(property_ids[i], room_types[i], firsts[i], ends[i], DATEVAL_NOEND);
	}
	PG_FINALLY();
	{
		sweeping = false;
	}
	PG_END_TRY();
}

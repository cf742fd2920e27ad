/*-------------------------------------------------------------------------
 * inventory.c
 *    The nights of one room type: find them through the inventory's
 *    primary key, lock them in ascending night order, check that every
 *    night has the units, and move units between free, held and booked.
 *    The plain reserve writes its nights from the versions it read when
 *    they are still the newest, each update taking its row's lock in the
 *    same order (bk_nights_hold_unlocked), and takes the locking path
 *    when one is not.
 *    The hot paths do this without SPI (direct.c); open_inventory, which
 *    is not on them, locks its nights with one SQL statement.
 *
 * Lock order, which is what keeps every path deadlock-free:
 *  - reservation rows (confirm, cancel, the sweeper, and reserve_range
 *    when it reclaims dead holds) are locked before any inventory row;
 *  - inventory rows are always locked in ascending (property_id,
 *    room_type, night) order, and a transaction that holds inventory rows
 *    never waits for a reservation row or for a night below its own:
 *    those it can only take without waiting.
 * A night write that frees units on a night whose `waiting` (2.0) is
 * above zero notes it for the waitlist (bk_waitlist_note_freed); the
 * freeing paths then call bk_waitlist_offer_freed (waitlist_offer.c)
 * after their night writes, which offers the units to waiting entries in
 * the same transaction.
 * Nothing else is locked by a writer: the room calendar is kept by the
 * sweeper from the events (calendar.c), so writers on different nights
 * never wait for each other.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/nbtree.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/numeric.h"

#include "booking.h"

/*
 * bk_nights_lock locks the inventory rows of [first, end) of one room type
 * in night order and records them in *nights.  Each row is the newest
 * version (READ COMMITTED) or the snapshot's (40001 if it changed, under
 * REPEATABLE READ and SERIALIZABLE).  A night without a row is simply not
 * recorded: callers compare what they got with what they asked for.
 */
void
bk_nights_lock(BkDirect *d, int64 property_id, Datum room_type,
			   DateADT first, DateADT end, BkNights *nights)
{
	bk_nights_lock_wait(d, property_id, room_type, first, end, LockWaitBlock, nights);
}

/*
 * scan_nights starts a scan of inventory_pkey over the nights [first, end)
 * of one room type, in night order; `keys` (NIGHTS_SCAN_KEYS of them) must
 * live as long as the scan.
 */
#define NIGHTS_SCAN_KEYS 4

static IndexScanDesc
scan_nights(BkDirect *d, int64 property_id, Datum room_type,
			DateADT first, DateADT end, ScanKeyData *keys)
{
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
	ScanKeyInit(&keys[2], 3, BTGreaterEqualStrategyNumber, F_DATE_GE, DateADTGetDatum(first));
	ScanKeyInit(&keys[3], 3, BTLessStrategyNumber, F_DATE_LT, DateADTGetDatum(end));
	return bk_direct_scan(d, BK_INVENTORY, BK_INVENTORY_PKEY, keys, NIGHTS_SCAN_KEYS);
}

/*
 * read_counts fills a night's units, held, booked, overbooked and blocked
 * from the inventory row in `slot` (the 2.0 counts 0 on an older schema).
 */
static void
read_counts(TupleTableSlot *slot, BkNight *night)
{
	night->units = DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_INVENTORY_UNITS)));
	night->held = DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_INVENTORY_HELD)));
	night->booked = DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_INVENTORY_BOOKED)));
	night->overbooked = bk_has_column(BK_INVENTORY_OVERBOOKED) ?
		DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_INVENTORY_OVERBOOKED))) : 0;
	night->blocked = bk_has_column(BK_INVENTORY_BLOCKED) ?
		DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_INVENTORY_BLOCKED))) : 0;
}

/*
 * lock_night locks the inventory row `tid`, found in the unit's snapshot
 * (or, `found_earlier`, by an earlier unit of the call: then `wait` is
 * LockWaitBlock) as night `day` of the room type, and records its newest
 * version in *nights (whose array has room for it).  Returns false,
 * recording nothing, when it was deleted meanwhile (as if it never was),
 * is no longer that night, is busy (LockWaitSkip), or was replaced by
 * this transaction since it was found earlier.
 */
static bool
lock_night(BkDirect *d, ItemPointer tid, int64 property_id, Datum room_type, DateADT day,
		   LockWaitPolicy wait, bool found_earlier, BkNights *nights)
{
	TupleTableSlot *locked = bk_direct_slot(d, BK_INVENTORY, BK_SLOT_LOCKED);
	BkLockTarget what = {0, property_id, room_type};
	BkNight    *night;

	if (found_earlier ? !bk_direct_lock_earlier(d, BK_INVENTORY, tid, locked, &what) :
		!bk_direct_lock(d, BK_INVENTORY, tid, locked, wait, &what))
		return false;

	/* the newest version must still be the night we looked for */
	if (DatumGetInt64(bk_direct_get_notnull(locked, bk_column(BK_INVENTORY_PROPERTY_ID))) != property_id ||
		DatumGetDateADT(bk_direct_get_notnull(locked, bk_column(BK_INVENTORY_NIGHT))) != day ||
		!DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID, room_type,
											  bk_direct_get_notnull(locked, bk_column(BK_INVENTORY_ROOM_TYPE)))))
	{
		ExecClearTuple(locked);
		return false;
	}
	night = &nights->nights[nights->n++];
	night->night = day;
	night->tid = locked->tts_tid;
	night->tuple = ExecCopySlotHeapTuple(locked);
	read_counts(locked, night);
	/* deformed already: blocked comes after it */
	night->waiting = bk_has_column(BK_INVENTORY_WAITING) ?
		DatumGetInt32(bk_direct_get_notnull(locked, bk_column(BK_INVENTORY_WAITING))) : 0;
	night->price = heap_getattr(night->tuple, bk_column(BK_INVENTORY_PRICE),
								RelationGetDescr(bk_direct_relation(d, BK_INVENTORY)),
								&night->price_null);
	ExecClearTuple(locked);
	return true;
}

/*
 * lock_scanned_nights locks, in night order, the nights [first, end) an
 * index scan finds, adding them to *nights, whose array has room for
 * `capacity` nights in all.
 */
static void
lock_scanned_nights(BkDirect *d, int64 property_id, Datum room_type, DateADT first,
					DateADT end, LockWaitPolicy wait, int capacity, BkNights *nights)
{
	ScanKeyData keys[NIGHTS_SCAN_KEYS];
	IndexScanDesc scan;
	TupleTableSlot *found = bk_direct_slot(d, BK_INVENTORY, BK_SLOT_FOUND);

	scan = scan_nights(d, property_id, room_type, first, end, keys);
	while (nights->n < capacity && index_getnext_slot(scan, ForwardScanDirection, found))
	{
		ItemPointerData tid = found->tts_tid;
		DateADT		day = DatumGetDateADT(bk_direct_get_notnull(found, bk_column(BK_INVENTORY_NIGHT)));

		ExecClearTuple(found);
		lock_night(d, &tid, property_id, room_type, day, wait, false, nights);
	}
	index_endscan(scan);
}

/*
 * bk_nights_lock_wait is bk_nights_lock with a wait policy: with
 * LockWaitSkip a night another transaction has locked is left out too,
 * for callers that may not wait (they hold nights above it).
 */
void
bk_nights_lock_wait(BkDirect *d, int64 property_id, Datum room_type,
					DateADT first, DateADT end, LockWaitPolicy wait, BkNights *nights)
{
	int			capacity = Max(end - first, 1);

	nights->n = 0;
	nights->nights = palloc(sizeof(BkNight) * capacity);
	lock_scanned_nights(d, property_id, room_type, first, end, wait, capacity, nights);
}

/*
 * bk_nights_lock_read is bk_nights_lock for nights bk_nights_read read
 * earlier in the same call (`read`): each is locked where the read found
 * it, with no second index scan, following its update chain to the
 * newest version.  Locks are still taken in night order.  From the first
 * night the read did not have, or that is gone, no longer that night or
 * replaced by this transaction since (a trigger of the read's unit),
 * the rest of [first, end) is found by an index scan, as bk_nights_lock
 * would; so the nights recorded are the same.
 *
 * The read's row versions cannot be pruned away in between: the calling
 * statement's snapshot holds the backend's xmin at or below that of the
 * read's snapshot, and a version that snapshot saw was replaced, if at
 * all, by a transaction not older than it.
 */
void
bk_nights_lock_read(BkDirect *d, int64 property_id, Datum room_type,
					DateADT first, DateADT end, const BkNights *read, BkNights *nights)
{
	DateADT		day = first;
	int			capacity = Max(end - first, 1);

	nights->n = 0;
	nights->nights = palloc(sizeof(BkNight) * capacity);
	for (int i = 0; i < read->n && day < end; i++, day++)
	{
		ItemPointerData tid = read->nights[i].tid;

		if (read->nights[i].night != day || !ItemPointerIsValid(&tid) ||
			!lock_night(d, &tid, property_id, room_type, day, LockWaitBlock, true, nights))
			break;
	}
	if (day < end)
		lock_scanned_nights(d, property_id, room_type, day, end, LockWaitBlock, capacity, nights);
}

/*
 * read_nights reads the inventory rows of [first, end) of one room type as
 * the unit's snapshot has them, without locking them: nights in order,
 * with units, held, booked, price and where the version read is; with
 * `keep_versions` also a copy of each version and its `waiting`.
 */
static void
read_nights(BkDirect *d, int64 property_id, Datum room_type, DateADT first, DateADT end,
			bool keep_versions, BkNights *nights)
{
	ScanKeyData keys[NIGHTS_SCAN_KEYS];
	IndexScanDesc scan;
	TupleTableSlot *found = bk_direct_slot(d, BK_INVENTORY, BK_SLOT_FOUND);
	int			capacity = Max(end - first, 1);

	nights->n = 0;
	nights->nights = palloc0(sizeof(BkNight) * capacity);
	scan = scan_nights(d, property_id, room_type, first, end, keys);
	while (nights->n < capacity && index_getnext_slot(scan, ForwardScanDirection, found))
	{
		BkNight    *night = &nights->nights[nights->n++];

		night->night = DatumGetDateADT(bk_direct_get_notnull(found, bk_column(BK_INVENTORY_NIGHT)));
		night->tid = found->tts_tid;
		read_counts(found, night);
		if (!keep_versions)
		{
			night->waiting = 0; /* not read here */
			night->price = datumCopy(bk_direct_get_notnull(found, bk_column(BK_INVENTORY_PRICE)),
									 false, -1);
			continue;
		}
		night->tuple = ExecCopySlotHeapTuple(found);
		night->waiting = bk_has_column(BK_INVENTORY_WAITING) ?
			DatumGetInt32(bk_direct_get_notnull(found, bk_column(BK_INVENTORY_WAITING))) : 0;
		night->price = heap_getattr(night->tuple, bk_column(BK_INVENTORY_PRICE),
									RelationGetDescr(bk_direct_relation(d, BK_INVENTORY)),
									&night->price_null);
	}
	index_endscan(scan);
	ExecClearTuple(found);
}

/*
 * bk_nights_read reads the inventory rows of [first, end) of one room type
 * as the unit's snapshot has them, without locking them (to price a stay
 * before its nights are locked): nights in order, with units, held,
 * booked, price and where the version read is (for bk_nights_lock_read);
 * no tuple.
 */
void
bk_nights_read(BkDirect *d, int64 property_id, Datum room_type,
			   DateADT first, DateADT end, BkNights *nights)
{
	read_nights(d, property_id, room_type, first, end, false, nights);
}

/*
 * bk_nights_read_versions is bk_nights_read that also keeps a copy of
 * each version read and its `waiting`, so that bk_nights_hold_unlocked
 * can write the nights from them.
 */
void
bk_nights_read_versions(BkDirect *d, int64 property_id, Datum room_type,
						DateADT first, DateADT end, BkNights *nights)
{
	read_nights(d, property_id, room_type, first, end, true, nights);
}

/*
 * bk_nights_same_prices says whether two sets of the same nights have the
 * same prices (those read before the lock and those locked).
 */
bool
bk_nights_same_prices(const BkNights *a, const BkNights *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->nights[i].night != b->nights[i].night ||
			!DatumGetBool(DirectFunctionCall2(numeric_eq, a->nights[i].price, b->nights[i].price)))
			return false;
	return true;
}

/*
 * bk_nights_shortage looks at the nights bk_nights_lock recorded for
 * [check_in, check_out) and reports the first that is missing or has
 * fewer than `rooms` units free on public sale (BK_NIGHT_FREE: units set
 * aside for a block are not).  Returns false when every night has them.
 * With `rooms` 0 only a missing night counts (an overbooked night has
 * fewer than 0 free units, 2.0).
 */
bool
bk_nights_shortage(const BkNights *nights, DateADT check_in, DateADT check_out,
				   int32 rooms, BkShortage *shortage)
{
	DateADT		expected = check_in;

	for (int i = 0; i < nights->n; i++, expected++)
	{
		const BkNight *night = &nights->nights[i];
		int32		available = BK_NIGHT_FREE(night);

		if (night->night != expected)
			break;
		if (available < rooms && rooms > 0)
		{
			shortage->night = night->night;
			shortage->available = Max(available, 0);	/* overbooked: none free */
			shortage->missing = false;
			return true;
		}
	}
	if (expected < check_out)
	{
		shortage->night = expected;
		shortage->available = 0;
		shortage->missing = true;
		return true;
	}
	return false;
}

/*
 * bk_nights_total returns rooms times the sum of the nights' prices, in
 * cents while they are whole cents (BkPriceSum, cents.c), with the
 * display scale numeric_add and numeric_mul give.
 */
Numeric
bk_nights_total(const BkNights *nights, int32 rooms)
{
	BkPriceSum	total;
	BkPriceSum	night;

	bk_price_sum_zero(&total);
	for (int i = 0; i < nights->n; i++)
	{
		bk_price_sum_set(&night, nights->nights[i].price);
		bk_price_sum_add(&total, &night);
	}
	bk_price_sum_times(&total, rooms);
	return DatumGetNumeric(bk_price_sum_numeric(&total));
}

/*
 * night_write adds held_delta to held, booked_delta to booked and
 * blocked_delta to blocked (2.0: blocks) on one night locked by this
 * transaction, and sets overbooked (2.0) by the one rule every writer of
 * a night follows, counting the units set aside for blocks as taken:
 *  - the engine's own paths (overbook false) never raise it, and pay it
 *    down first whenever units come free: overbooked := max(0,
 *    min(overbooked, held + booked + blocked - units)), so that an
 *    overbooked night has no free unit until it is back within its units;
 *  - a channel booking (overbook true) raises it to exactly what the
 *    night needs: max(overbooked, held + booked + blocked - units).
 * The CHECK constraints on booking.inventory refuse any result that would
 * oversell (held + booked + blocked > units + overbooked) or go negative.
 * `blocked` is written only when it changes, so the paths without blocks
 * write what they wrote before.  A night is written once per unit: a
 * second change in the same unit would be an update of a row this
 * command already updated.
 *
 * night_write_how is night_write for a night this transaction may not
 * have locked yet when `unlocked` is given (what the write waits for, to
 * name it): the version `night` was read from is written only if it is
 * still the newest (bk_direct_update_columns_if_newest), and the result
 * says whether it was; when it was not, nothing is written and *night is
 * left with the changed counts (callers write a copy).
 */
static TM_Result
night_write_how(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta,
				int32 blocked_delta, bool overbook, int32 waiting_delta,
				const BkLockTarget *unlocked)
{
	ResultRelInfo *rri = bk_direct_target(d, BK_INVENTORY);
	TupleDesc	desc = RelationGetDescr(rri->ri_RelationDesc);
	TupleTableSlot *slot = bk_direct_slot(d, BK_INVENTORY, BK_SLOT_NEW);
	int			columns[5] = {bk_column(BK_INVENTORY_HELD), bk_column(BK_INVENTORY_BOOKED), 0, 0, 0};
	bool		nulls[5] = {false, false, false, false, false};
	Datum		values[5];
	int			ncolumns = 2;
	int32		beyond;
	int32		waiting = 0;
	bool		frees = held_delta + booked_delta + blocked_delta < 0;	/* on public sale */

	/*
	 * Only a channel's push is not bounded by the night's units: bound it
	 * by what the counts (and the CHECK's sums of them) can hold.
	 */
	if (overbook &&
		(int64) night->held + night->booked + night->blocked + held_delta + booked_delta > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a channel booking cannot take that many rooms"),
				 errdetail("Night %s would count %lld rooms held, booked and set aside; at most %d can be counted.",
						   bk_date_str(night->night),
						   (long long) night->held + night->booked + night->blocked + held_delta + booked_delta,
						   PG_INT32_MAX),
				 errhint("Check the booking's rooms.")));
	night->held += held_delta;
	night->booked += booked_delta;
	night->blocked += blocked_delta;
	values[0] = Int32GetDatum(night->held);
	values[1] = Int32GetDatum(night->booked);
	if (bk_has_column(BK_INVENTORY_OVERBOOKED))
	{
		beyond = night->held + night->booked + night->blocked - night->units;
		if (overbook)
			night->overbooked = Max(night->overbooked, beyond);
		else
			night->overbooked = Max(0, Min(night->overbooked, beyond));
		columns[ncolumns] = bk_column(BK_INVENTORY_OVERBOOKED);
		values[ncolumns++] = Int32GetDatum(night->overbooked);
	}
	if (blocked_delta != 0)
	{
		columns[ncolumns] = bk_column(BK_INVENTORY_BLOCKED);
		values[ncolumns++] = Int32GetDatum(night->blocked);
	}
	/*
	 * `waiting` (2.0, the waitlist) is read only by a write that frees
	 * units or changes it, from the locked version: reserve_range's path
	 * reads nothing more.
	 */
	if ((frees || waiting_delta != 0) && bk_has_column(BK_INVENTORY_WAITING))
	{
		bool		isnull;

		waiting = DatumGetInt32(heap_getattr(night->tuple, bk_column(BK_INVENTORY_WAITING), desc, &isnull));
	}
	if (waiting_delta != 0)
	{
		if ((int64) waiting + waiting_delta > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the waitlist cannot take that many rooms"),
					 errdetail("Night %s would count %lld rooms waiting; at most %d can be counted.",
							   bk_date_str(night->night), (long long) waiting + waiting_delta,
							   PG_INT32_MAX),
					 errhint("Check the entry's rooms.")));
		waiting += waiting_delta;
		columns[ncolumns] = bk_column(BK_INVENTORY_WAITING);
		values[ncolumns] = Int32GetDatum(waiting);
		ncolumns++;
	}
	ExecStoreHeapTuple(heap_modify_tuple_by_cols(night->tuple, desc, ncolumns, columns, values, nulls),
					   slot, true);
	if (unlocked)
	{
		TM_Result	result;

		result = bk_direct_update_columns_if_newest(d, BK_INVENTORY, &night->tid,
													HeapTupleHeaderGetXmin(night->tuple->t_data),
													slot, ncolumns, columns, unlocked);
		if (result != TM_Ok)
		{
			ExecClearTuple(slot);
			return result;
		}
	}
	else
		bk_direct_update_columns(d, BK_INVENTORY, &night->tid,
								 HeapTupleHeaderGetXmin(night->tuple->t_data),
								 slot, ncolumns, columns);
	night->tid = slot->tts_tid;
	ExecClearTuple(slot);

	/*
	 * Units came free on a night somebody waits for (2.0, the waitlist):
	 * note it; the freeing path offers them before it commits
	 * (waitlist_offer.c).  A night nobody waits for costs one comparison.
	 */
	if (frees && waiting > 0 && BK_NIGHT_FREE(night) > 0)
		bk_waitlist_note_freed(night->tuple, desc, night->night);
	return TM_Ok;
}

static void
night_write(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta,
			int32 blocked_delta, bool overbook, int32 waiting_delta)
{
	night_write_how(d, night, held_delta, booked_delta, blocked_delta, overbook, waiting_delta,
					NULL);
}

/*
 * bk_nights_waited_for says whether a night of `nights` (locked) has a
 * free unit on public sale while waiting entries want it (2.0, the
 * waitlist): a unit some transaction freed without offering it (a night
 * it could not lock, or two freeing transactions that each saw the
 * other's units taken).  Public reserve_range asks before it takes units,
 * so that the entries get them first; bk_nights_lock read `waiting` from
 * the row it deformed anyway.
 */
bool
bk_nights_waited_for(const BkNights *nights)
{
	for (int i = 0; i < nights->n; i++)
		if (nights->nights[i].waiting > 0 && BK_NIGHT_FREE(&nights->nights[i]) > 0)
			return true;
	return false;
}

/*
 * bk_night_change is night_write on the engine's own paths: never beyond
 * units, paying overbooked down as units come free.
 */
void
bk_night_change(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta)
{
	night_write(d, night, held_delta, booked_delta, 0, false, 0);
}

/*
 * bk_night_change_blocked is bk_night_change that also moves units in or
 * out of what the night sets aside for blocks (block.c): a pickup moves
 * them from blocked to held, a release from blocked to public sale, a
 * cancelled pickup of a live block back to blocked.
 */
void
bk_night_change_blocked(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta,
						int32 blocked_delta)
{
	night_write(d, night, held_delta, booked_delta, blocked_delta, false, 0);
}

/*
 * bk_night_overbook is night_write for a channel booking (channel.c):
 * the night takes the units whether it has them or not, and overbooked
 * rises by what it lacks.  Returns by how many units the night is over
 * its units afterwards (0 when it had them).
 */
int32
bk_night_overbook(BkDirect *d, BkNight *night, int32 held_delta, int32 booked_delta)
{
	night_write(d, night, held_delta, booked_delta, 0, true, 0);
	return night->overbooked;
}

/*
 * bk_night_change_waiting is bk_night_change that also adds waiting_delta
 * to the night's waiting (2.0: the waitlist's join, leave and offer).
 */
void
bk_night_change_waiting(BkDirect *d, BkNight *night, int32 held_delta, int32 waiting_delta)
{
	night_write(d, night, held_delta, 0, 0, false, waiting_delta);
}

/*
 * bk_nights_change applies the same change to every night in *nights.
 */
void
bk_nights_change(BkDirect *d, BkNights *nights, int32 held_delta, int32 booked_delta)
{
	for (int i = 0; i < nights->n; i++)
		bk_night_change(d, &nights->nights[i], held_delta, booked_delta);
}

/*
 * bk_nights_hold_unlocked adds `rooms` to held on every night of `read`
 * (bk_nights_read_versions of one room type's [first, first + read->n),
 * read in an earlier unit of the call, every night with `rooms` free on
 * public sale and no waiting entries), in night order, without locking
 * the nights first: each is written from the version read if that is
 * still the newest, the update taking the row's lock (one lock instead
 * of a lock and then an update, and no lock record in the WAL).  A night
 * another transaction changed since (READ COMMITTED) is locked in its
 * newest version, following the update chain as bk_nights_lock_read
 * does, and written from it if it still has the rooms, the same price and
 * no waiting entries.  Locks are still taken in night order.
 *
 * Returns true, with the nights written in *nights, when every night was
 * written.  Returns false, with nothing of it left, when one could not
 * be: the nights it had written are put back as they were, in a unit of
 * their own (the caller's unit `d` is then a new one), and the caller
 * takes its usual path (lock every night, check them, write them), which
 * finds them as if nothing had been tried.  That is a night gone, changed
 * to fewer free rooms, another price or waiting entries; a version this
 * transaction replaced since the read; any change under REPEATABLE READ
 * and SERIALIZABLE (where the usual path fails 40001).  The CHECK
 * constraints judge every row written.
 */
bool
bk_nights_hold_unlocked(BkDirect *d, int64 property_id, Datum room_type,
						const BkNights *read, int32 rooms, BkNights *nights)
{
	BkLockTarget what = {0, property_id, room_type};
	int			i;

	nights->n = 0;
	nights->nights = palloc(sizeof(BkNight) * Max(read->n, 1));
	for (i = 0; i < read->n; i++)
	{
		const BkNight *version = &read->nights[i];
		BkNight    *night = &nights->nights[nights->n];
		TM_Result	result;

		*night = *version;
		result = night_write_how(d, night, rooms, 0, 0, false, 0, &what);
		if (result == TM_Ok)
		{
			nights->n++;
			continue;
		}
		if (result != TM_Updated || IsolationUsesXactSnapshot())
			break;
		/* another transaction changed it: its newest version, locked */
		{
			ItemPointerData tid = version->tid;

			if (!lock_night(d, &tid, property_id, room_type, version->night, LockWaitBlock, true,
							nights))
				break;
		}
		night = &nights->nights[nights->n - 1];
		if (BK_NIGHT_FREE(night) < rooms || night->waiting > 0 ||
			night->price_null || version->price_null ||
			!DatumGetBool(DirectFunctionCall2(numeric_eq, night->price, version->price)))
		{
			nights->n--;
			break;
		}
		bk_night_change(d, night, rooms, 0);
	}
	if (i == read->n)
		return true;

	/* put back the nights written, in a unit that sees them */
	if (nights->n > 0)
	{
		DateADT		first = nights->nights[0].night;
		DateADT		end = first + nights->n;
		BkNights	mine;

		bk_direct_end(d);
		bk_direct_begin(d, true);
		bk_nights_lock(d, property_id, room_type, first, end, &mine);
		if (mine.n != nights->n)
			elog(ERROR, "booking: %d of the %d nights this transaction wrote could not be locked again",
				 mine.n, nights->n);
		bk_nights_change(d, &mine, -rooms, 0);
		bk_direct_end(d);
		bk_direct_begin(d, true);
	}
	nights->n = 0;
	return false;
}

/*
 * bk_nights_require_all fails, naming the reservation, when a movement of
 * units would change fewer nights than the stay covers: the inventory of
 * a stay that holds or books units must never be missing a night (a
 * partial restore, or rows deleted behind the engine's back).  Nothing is
 * changed: the transaction rolls back.
 */
void
bk_nights_require_all(const BkNights *nights, int64 reservation_id, int64 property_id,
					  const char *room_type, DateADT check_in, DateADT check_out)
{
	BkShortage	missing;

	if (!bk_nights_shortage(nights, check_in, check_out, 0, &missing))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("inventory of room type \"%s\" at property %lld is missing night %s",
					room_type, (long long) property_id, bk_date_str(missing.night)),
			 errdetail("Reservation %lld covers %s to %s; %d of its %d nights have an inventory row.",
					   (long long) reservation_id, bk_date_str(check_in), bk_date_str(check_out),
					   nights->n, (int) (check_out - check_in)),
			 errhint("Inventory rows of reserved nights must not be deleted; restore them, then run booking.repair_inventory().")));
}

/*
 * bk_lock_nights locks the inventory rows of [first, end) in night order
 * with one SQL statement (open_inventory's way, off the hot path) and
 * leaves them in SPI_tuptable as (night, free units, price).
 */
static BookingPlan lock_nights_plan = {
	"SELECT night, units OPERATOR(pg_catalog.-) held OPERATOR(pg_catalog.-) booked, price"
	"  FROM booking.inventory"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4"
	" ORDER BY night FOR UPDATE",
	4, {INT8OID, TEXTOID, DATEOID, DATEOID}
};

void
bk_lock_nights(int64 property_id, const char *room_type, DateADT first, DateADT end)
{
	Datum		args[4];

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(first);
	args[3] = DateADTGetDatum(end);
	bk_exec_locking(&lock_nights_plan, args, NULL, 0,
					psprintf("the nights of room type \"%s\" at property %lld",
							 room_type, (long long) property_id));
}

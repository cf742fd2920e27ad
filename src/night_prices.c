/*-------------------------------------------------------------------------
 * night_prices.c
 *    The price each night of a reservation was sold at (2.0).  They are
 *    kept as one row per reservation, booking.reservation_night_prices
 *    (reservation_id, first_night, prices numeric[]), and read through the
 *    view booking.reservation_night (reservation_id, night, price): one
 *    insert per reservation instead of one per night keeps reserve_range's
 *    cost (docs/performance.md).  total_price is the sum of the prices
 *    times rooms, plus `extra` (a per-person plan's extras for the whole
 *    reservation, the same each night) times the nights;
 *    check_invariants() says where that does not hold.  A
 *    change of the stay keeps the prices of the nights it keeps.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "booking.h"

/*
 * bk_unit_has_night_prices says whether the schema keeps night prices
 * (2.0 on), from the columns of booking.reservation, which the current
 * unit has opened: 2.0 added guests there with the night prices table.
 */
bool
bk_unit_has_night_prices(void)
{
	return bk_has_column(BK_RESERVATION_GUESTS);
}

/*
 * array_of makes a numeric[] of `n` prices.
 */
static Datum
array_of(const Datum *prices, int n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(NUMERICOID, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array((Datum *) prices, n, NUMERICOID, typlen, typbyval, typalign));
}

/*
 * bk_night_prices_of_nights records the prices of `nights` (every night
 * of the stay, in order) as the ones reservation `id` was sold at, as
 * bk_night_prices_write does: reserve_range writes them before it locks
 * the nights and rewrites them (`rewrite`, the row at *tid) when a night
 * was repriced meanwhile, which is sold at its price when locked.
 */
void
bk_night_prices_of_nights(BkDirect *d, int64 id, const BkNights *nights, ItemPointer tid,
						  bool rewrite)
{
	Datum	   *prices = palloc(sizeof(Datum) * Max(nights->n, 1));

	Assert(nights->n > 0);
	for (int i = 0; i < nights->n; i++)
	{
		if (nights->nights[i].price_null)
			elog(ERROR, "booking: night %d of the stay has no price", i);
		prices[i] = nights->nights[i].price;
	}
	bk_night_prices_write(d, id, tid, rewrite, nights->nights[0].night, prices, nights->n, NULL);
}

/*
 * bk_night_prices_read returns the prices reservation `id` was sold at,
 * one per night from *first on (*n of them), copied into the caller's
 * memory, and where their row is (*tid), locked when `lock` (a dry run
 * reads without); NULL when it has none.
 * The caller holds the reservation's lock, under which alone the row
 * changes.
 */
Datum *
bk_night_prices_read(BkDirect *d, int64 id, bool lock, DateADT *first, int *n, ItemPointer tid)
{
	return bk_night_prices_read_extra(d, id, lock, first, n, tid, NULL);
}

/*
 * bk_night_prices_read_extra is bk_night_prices_read, also putting the
 * reservation's extra (per night, for the whole reservation) in *extra
 * when it is given: copied into the caller's memory, NULL when there is
 * no row.
 */
Datum *
bk_night_prices_read_extra(BkDirect *d, int64 id, bool lock, DateADT *first, int *n,
						   ItemPointer tid, Numeric *extra)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *found = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_FOUND);
	TupleTableSlot *locked = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_LOCKED);
	BkLockTarget what = {id, 0, (Datum) 0};
	Datum	   *prices = NULL;
	bool		have = false;

	/*
	 * The unit's snapshot may be older than the reservation's lock (taken
	 * after it, waiting for a change of the same reservation): the row it
	 * finds is locked, which reads its newest version.
	 */
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = bk_direct_scan(d, BK_NIGHT_PRICES, BK_NIGHT_PRICES_PKEY, &key, 1);
	while (!have && index_getnext_slot(scan, ForwardScanDirection, found))
	{
		ItemPointerData found_tid = found->tts_tid;

		if (!lock)
		{
			ExecCopySlot(locked, found);
			have = true;
			break;
		}
		ExecClearTuple(found);
		have = bk_direct_lock(d, BK_NIGHT_PRICES, &found_tid, locked, LockWaitBlock, &what);
	}
	index_endscan(scan);
	ExecClearTuple(found);
	if (have)
	{
		ArrayType  *array = DatumGetArrayTypePCopy(bk_direct_get_notnull(locked, bk_column(BK_NIGHT_PRICES_PRICES)));
		bool	   *nulls;
		int16		typlen;
		bool		typbyval;
		char		typalign;

		*first = DatumGetDateADT(bk_direct_get_notnull(locked, bk_column(BK_NIGHT_PRICES_FIRST_NIGHT)));
		*tid = locked->tts_tid;
		if (extra != NULL)
			*extra = DatumGetNumericCopy(bk_direct_get_notnull(locked, bk_column(BK_NIGHT_PRICES_EXTRA)));
		get_typlenbyvalalign(NUMERICOID, &typlen, &typbyval, &typalign);
		deconstruct_array(array, NUMERICOID, typlen, typbyval, typalign, &prices, &nulls, n);
	}
	ExecClearTuple(locked);
	if (!have && extra != NULL)
		*extra = NULL;
	return prices;
}

/*
 * bk_night_prices_write records `n` prices from `first` on as the ones
 * reservation `id` was sold at: with `rewrite`, in its row at *tid (the
 * caller holds the reservation's lock, or wrote the row itself), else in
 * a new row, whose place is put in *tid.
 */
void
bk_night_prices_write(BkDirect *d, int64 id, ItemPointer tid, bool rewrite, DateADT first,
					  const Datum *prices, int n, Numeric extra)
{
	Datum		extra_datum = extra ? NumericGetDatum(extra) : bk_cents_zero();

	Relation	rel = bk_direct_relation(d, BK_NIGHT_PRICES);
	TupleTableSlot *slot;

	if (!rewrite)
	{
		slot = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_INSERT);
		bk_slot_new_row(slot);
		bk_slot_set(slot, BK_NIGHT_PRICES_RESERVATION_ID, Int64GetDatum(id));
		bk_slot_set(slot, BK_NIGHT_PRICES_FIRST_NIGHT, DateADTGetDatum(first));
		bk_slot_set(slot, BK_NIGHT_PRICES_PRICES, array_of(prices, n));
		bk_slot_set(slot, BK_NIGHT_PRICES_EXTRA, extra_datum);
		ExecStoreVirtualTuple(slot);
		bk_direct_insert(d, BK_NIGHT_PRICES, slot);
		*tid = slot->tts_tid;
	}
	else
	{
		TupleTableSlot *found = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_LOCKED);
		int			columns[3] = {bk_column(BK_NIGHT_PRICES_FIRST_NIGHT), bk_column(BK_NIGHT_PRICES_PRICES),
		bk_column(BK_NIGHT_PRICES_EXTRA)};
		Datum		values[3] = {DateADTGetDatum(first), array_of(prices, n), extra_datum};
		bool		nulls[3] = {false, false, false};

		slot = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_NEW);
		if (!table_tuple_fetch_row_version(rel, tid, SnapshotAny, found))
			elog(ERROR, "booking: the night prices of reservation %lld are gone", (long long) id);
		ExecStoreHeapTuple(heap_modify_tuple_by_cols(ExecFetchSlotHeapTuple(found, false, NULL),
													 RelationGetDescr(rel), 3, columns, values, nulls),
						   slot, true);
		ExecClearTuple(found);
		bk_direct_update(d, BK_NIGHT_PRICES, tid, slot);
	}
	ExecClearTuple(slot);
}

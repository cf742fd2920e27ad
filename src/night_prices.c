/*-------------------------------------------------------------------------
 * night_prices.c
 *    The price each night of a reservation was sold at (2.0).  They are
 *    kept as one row per reservation, booking.reservation_night_prices
 *    (reservation_id, first_night, prices numeric[]), and read through the
 *    view booking.reservation_night (reservation_id, night, price): one
 *    insert per reservation instead of one per night keeps reserve_range's
 *    cost (docs/performance.md).  total_price is the sum of the prices
 *    times rooms; check_invariants() says where that does not hold.  A
 *    change of the stay keeps the prices of the nights it keeps.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/array.h"
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
 * prices_array makes the numeric[] of the nights' prices, in night order.
 */
static Datum
prices_array(const BkNights *nights)
{
	Datum	   *prices = palloc(sizeof(Datum) * Max(nights->n, 1));
	int16		typlen;
	bool		typbyval;
	char		typalign;

	for (int i = 0; i < nights->n; i++)
	{
		if (nights->nights[i].price_null)
			elog(ERROR, "booking: night %d of the stay has no price", i);
		prices[i] = nights->nights[i].price;
	}
	get_typlenbyvalalign(NUMERICOID, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(prices, nights->n, NUMERICOID, typlen, typbyval, typalign));
}

/*
 * bk_night_prices_insert records the prices of `nights` (every night of
 * the stay, in order) as the ones reservation `reservation_id` was sold
 * at; where the row went is put in *tid.
 */
void
bk_night_prices_insert(BkDirect *d, int64 reservation_id, const BkNights *nights, ItemPointer tid)
{
	TupleTableSlot *slot = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_INSERT);

	Assert(nights->n > 0);
	bk_slot_new_row(slot);
	bk_slot_set(slot, BK_NIGHT_PRICES_RESERVATION_ID, Int64GetDatum(reservation_id));
	bk_slot_set(slot, BK_NIGHT_PRICES_FIRST_NIGHT, DateADTGetDatum(nights->nights[0].night));
	bk_slot_set(slot, BK_NIGHT_PRICES_PRICES, prices_array(nights));
	ExecStoreVirtualTuple(slot);
	bk_direct_insert(d, BK_NIGHT_PRICES, slot);
	*tid = slot->tts_tid;
	ExecClearTuple(slot);
}

/*
 * bk_night_prices_rewrite gives the row at `tid`, written by this
 * transaction, the prices of `nights` (reserve_range records the prices
 * before it locks the nights; a night repriced meanwhile is sold at the
 * price it had when locked).
 */
void
bk_night_prices_rewrite(BkDirect *d, ItemPointer tid, const BkNights *nights)
{
	TupleTableSlot *found = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_LOCKED);
	TupleTableSlot *slot = bk_direct_slot(d, BK_NIGHT_PRICES, BK_SLOT_NEW);
	Relation	rel = bk_direct_relation(d, BK_NIGHT_PRICES);
	int			column = bk_column(BK_NIGHT_PRICES_PRICES);
	Datum		prices = prices_array(nights);
	bool		isnull = false;

	if (!table_tuple_fetch_row_version(rel, tid, SnapshotAny, found))
		elog(ERROR, "booking: the night prices this call wrote are gone");
	ExecStoreHeapTuple(heap_modify_tuple_by_cols(ExecFetchSlotHeapTuple(found, false, NULL),
												 RelationGetDescr(rel), 1, &column, &prices, &isnull),
					   slot, true);
	ExecClearTuple(found);
	bk_direct_update(d, BK_NIGHT_PRICES, tid, slot);
	ExecClearTuple(slot);
}

/*-------------------------------------------------------------------------
 * night_prices.c
 *    The price each night of a reservation was sold at (2.0).  They are
 *    kept in the reservation's own row: night_prices numeric[] (one room,
 *    each night from check_in on) and night_extra (a per-person plan's
 *    extras for the whole reservation, the same each night), read through
 *    the view booking.reservation_night (reservation_id, night, price,
 *    extra).  Written with the reservation itself, they cost reserve_range
 *    no row of their own (docs/performance.md).  total_price is the sum of
 *    the prices times rooms, plus night_extra times the nights;
 *    check_invariants() says where that does not hold.  A change of the
 *    stay keeps the prices of the nights it keeps.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "booking.h"

/*
 * bk_unit_has_night_prices says whether the schema keeps night prices
 * (2.0 on), from the columns of booking.reservation, which the current
 * unit has opened.
 */
bool
bk_unit_has_night_prices(void)
{
	return bk_has_column(BK_RESERVATION_NIGHT_PRICES);
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
 * bk_night_prices_columns puts the reservation's columns that record
 * `sold` and their values in columns[], values[] and nulls[] (room for
 * two), for an insert or an update (bk_reservation_update_sold, modify's
 * changed columns), and returns how many:
 * none in a schema before 2.0.  The caller has opened booking.reservation
 * in its unit.
 */
int
bk_night_prices_columns(const BkSoldPrices *sold, BkColumn *columns, Datum *values, bool *nulls)
{
	if (!bk_unit_has_night_prices())
		return 0;
	Assert(sold != NULL && sold->n > 0);
	columns[0] = BK_RESERVATION_NIGHT_PRICES;
	values[0] = array_of(sold->prices, sold->n);
	columns[1] = BK_RESERVATION_NIGHT_EXTRA;
	values[1] = sold->extra ? NumericGetDatum(sold->extra) : bk_cents_zero();
	nulls[0] = nulls[1] = false;
	return 2;
}

/*
 * bk_night_prices_of returns the prices reservation *r was sold at, one
 * per night from its check_in on (*n of them), from its row as the caller
 * read or locked it, copied into the caller's memory, and its extra (per
 * night, for the whole reservation) in *extra when that is given; NULL
 * when it has none (a schema before 2.0, or a reservation restored from a
 * dump taken before 2.0: the caller prices its nights as they are now).
 */
Datum *
bk_night_prices_of(BkDirect *d, const BkReservation *r, int *n, Numeric *extra)
{
	TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));
	Datum		value;
	bool		isnull;
	ArrayType  *array;
	Datum	   *prices;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	*n = 0;
	if (extra != NULL)
		*extra = NULL;
	if (!bk_unit_has_night_prices())
		return NULL;
	value = heap_getattr(r->tuple, bk_column(BK_RESERVATION_NIGHT_PRICES), desc, &isnull);
	if (isnull)
		return NULL;			/* restored from a dump taken before 2.0 */
	array = DatumGetArrayTypePCopy(value);
	if (extra != NULL)
	{
		value = heap_getattr(r->tuple, bk_column(BK_RESERVATION_NIGHT_EXTRA), desc, &isnull);
		*extra = isnull ? NULL : DatumGetNumericCopy(value);
	}
	get_typlenbyvalalign(NUMERICOID, &typlen, &typbyval, &typalign);
	deconstruct_array(array, NUMERICOID, typlen, typbyval, typalign, &prices, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])			/* set so by hand: never summed as a price */
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("reservation %lld has a night without a price",
							(long long) r->reservation_id),
					 errdetail("Night %d of its night_prices is NULL; the engine never writes one.", i + 1),
					 errhint("check_invariants() names it: give the night the price it was sold at.")));
	return prices;
}

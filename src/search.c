/*-------------------------------------------------------------------------
 * search.c
 *    booking.search(): the room types of a city that can take a whole stay,
 *    cheapest first.  It reads booking.room_calendar (calendar.c), at most
 *    two compact rows per room type for a stay of up to a month, plus the
 *    changes of free units not folded into them yet (a few events,
 *    calendar_read.c), and does the arithmetic here: every night open with
 *    enough free units, the sum of the nightly prices, the stay rules of
 *    the room types that have any (rules.c), then the contract's order and
 *    max_results.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_search);

/*
 * The calendar rows of the city's room types that take $4 guests per room
 * (search's guests spread over its rooms, rounded up: so rooms *
 * max_guests >= guests, reserve_range's max_guests rule), for the
 * months the stay [$2, $3) touches, at properties whose local today is not
 * after check-in; grouped by room type (byte order is enough to group, and
 * cheaper than the collation's), months in order.
 */
static BookingPlan search_rows_plan = {
	"SELECT c.property_id, c.property_name, c.room_type, c.month, c.free, c.price,"
	"       c.has_rules, c.time_zone"
	"  FROM booking.room_calendar c"
	" WHERE c.city OPERATOR(pg_catalog.=) $1"
	"   AND c.month OPERATOR(pg_catalog.>=) $5 AND c.month OPERATOR(pg_catalog.<) $3"
	"   AND c.max_guests OPERATOR(pg_catalog.>=) $4"
	"   AND (pg_catalog.statement_timestamp() AT TIME ZONE c.time_zone)::date OPERATOR(pg_catalog.<=) $2"
	" ORDER BY c.property_id, c.room_type COLLATE \"C\", c.month",
	5, {TEXTOID, DATEOID, DATEOID, INT4OID, DATEOID}
};

/* A room type that can take the stay */
typedef struct Offer
{
	int64		property_id;
	Datum		property_name;
	Datum		room_type;
	int32		min_available;
	Datum		total_price;	/* numeric */
	bool		has_rules;
	char	   *time_zone;
} Offer;

/* What one room type's months add up to so far */
typedef struct Tally
{
	int			nights;			/* open nights of the stay seen */
	int32		min_free;
	Datum		price_sum;		/* numeric */
} Tally;

/* The changes of free units not folded into the calendar yet */
typedef struct Pending
{
	BkCalendarDelta *deltas;
	int			n;
} Pending;

/*
 * tally_month adds the stay's days of one calendar row to a tally, with
 * the changes not folded into the row yet.
 */
static void
tally_month(Tally *tally, DateADT month, ArrayType *free, ArrayType *price,
			DateADT check_in, DateADT check_out,
			const Pending *pending, int64 property_id, Datum room_type)
{
	int32	   *days = (int32 *) ARR_DATA_PTR(free);
	int			ndays = ArrayGetNItems(ARR_NDIM(free), ARR_DIMS(free));
	int			first = Max(check_in - month, 0);
	int			last = Min(check_out - month, ndays);	/* exclusive */
	Datum	   *prices;
	int			nprices;

	if (last <= first)
		return;
	deconstruct_array(price, NUMERICOID, -1, false, TYPALIGN_INT, &prices, NULL, &nprices);
	for (int d = first; d < last && d < nprices; d++)
	{
		int32		free_units = days[d];

		if (bk_calendar_off_sale(free_units))
			continue;			/* not on sale: the night is missing */
		if (pending->n > 0)
			free_units += bk_calendar_pending_on(pending->deltas, pending->n, property_id,
												 room_type, month + d);
		tally->nights++;
		tally->min_free = Min(tally->min_free, free_units);
		tally->price_sum = DirectFunctionCall2(numeric_add, tally->price_sum, prices[d]);
	}
}

/*
 * offer_cmp orders offers by total_price, property_id, room_type.
 */
static int
offer_cmp(const void *a, const void *b)
{
	const Offer *x = a;
	const Offer *y = b;
	int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp, x->total_price, y->total_price));

	if (c != 0)
		return c;
	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	return varstr_cmp(VARDATA_ANY(x->room_type), VARSIZE_ANY_EXHDR(x->room_type),
					  VARDATA_ANY(y->room_type), VARSIZE_ANY_EXHDR(y->room_type),
					  DEFAULT_COLLATION_OID);
}

/*
 * guests_per_room is how many guests each of `rooms` rooms must take for
 * `guests` to fit: a room type fits when max_guests is at least that,
 * i.e. when rooms * max_guests >= guests (bk_guests_violation's rule).
 */
static int32
guests_per_room(int32 guests, int32 rooms)
{
	return (int32) (((int64) guests + rooms - 1) / rooms);
}

/*
 * booking_search is search(city, check_in, check_out, guests, rooms,
 * max_results).
 */
Datum
booking_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	DateADT		check_in;
	DateADT		check_out;
	int32		guests;
	int32		rooms;
	int32		max_results;
	int32		nights;
	Datum		args[5];
	Datum		rooms_numeric;
	Offer	   *offers;
	int			noffers = 0;
	int			nresults = 0;
	uint64		nrows;
	uint64		row = 0;
	Pending		pending;

	(void) bk_text_arg(fcinfo, 0, "city", BOOKING_MAX_NAME_BYTES, true, false);
	bk_require_arg(fcinfo, 1, "check_in");
	bk_require_arg(fcinfo, 2, "check_out");
	check_in = PG_GETARG_DATEADT(1);
	check_out = PG_GETARG_DATEADT(2);
	bk_validate_stay(check_in, check_out);
	guests = bk_require_positive(fcinfo, 3, "guests");
	rooms = bk_require_positive(fcinfo, 4, "rooms");
	max_results = bk_require_positive(fcinfo, 5, "max_results");
	nights = check_out - check_in;
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	rooms_numeric = DirectFunctionCall1(int4_numeric, Int32GetDatum(rooms));

	bk_connect_read_only();
	if (!bk_schema_has_calendar())
	{
		bk_compat_search(fcinfo, guests_per_room(guests, rooms), rooms, max_results);
		bk_finish();
		return (Datum) 0;
	}
	pending.deltas = bk_calendar_pending(check_in, check_out, 0, &pending.n);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = DateADTGetDatum(check_in);
	args[2] = DateADTGetDatum(check_out);
	args[3] = Int32GetDatum(guests_per_room(guests, rooms));
	args[4] = DateADTGetDatum(bk_first_of_month(check_in));
	bk_exec(&search_rows_plan, args, NULL, 0);
	nrows = SPI_processed;
	offers = palloc(sizeof(Offer) * Max(nrows, 1));

	/* one pass over the rows, a room type's months together */
	while (row < nrows)
	{
		int64		property_id = bk_get_int64(row, 1);
		Datum		room_type = bk_get_notnull(row, 3);
		Tally		tally = {0, PG_INT32_MAX, DirectFunctionCall1(int4_numeric, Int32GetDatum(0))};
		uint64		first_row = row;

		for (; row < nrows; row++)
		{
			if (row > first_row &&
				(bk_get_int64(row, 1) != property_id ||
				 !bk_same_text(bk_get_notnull(row, 3), room_type)))
				break;
			tally_month(&tally, DatumGetDateADT(bk_get_notnull(row, 4)),
						DatumGetArrayTypeP(bk_get_notnull(row, 5)),
						DatumGetArrayTypeP(bk_get_notnull(row, 6)),
						check_in, check_out, &pending, property_id, room_type);
		}
		if (tally.nights == nights && tally.min_free >= rooms)
		{
			Offer	   *offer = &offers[noffers++];

			offer->property_id = property_id;
			offer->property_name = SPI_datumTransfer(bk_get_notnull(first_row, 2), false, -1);
			offer->room_type = SPI_datumTransfer(room_type, false, -1);
			offer->min_available = tally.min_free;
			offer->total_price = DirectFunctionCall2(numeric_mul, tally.price_sum, rooms_numeric);
			offer->has_rules = DatumGetBool(bk_get_notnull(first_row, 7));
			offer->time_zone = TextDatumGetCString(bk_get_notnull(first_row, 8));
		}
	}

	qsort(offers, noffers, sizeof(Offer), offer_cmp);
	for (int i = 0; i < noffers && nresults < max_results; i++)
	{
		Offer	   *offer = &offers[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		if (offer->has_rules)
		{
			BkRuleViolation violation;
			char	   *room_type = TextDatumGetCString(offer->room_type);

			if (!bk_check_stay_rules(offer->property_id, room_type, check_in, check_out,
									 bk_local_today(offer->time_zone), &violation))
				continue;
		}
		values[0] = Int64GetDatum(offer->property_id);
		values[1] = offer->property_name;
		values[2] = offer->room_type;
		values[3] = Int32GetDatum(offer->min_available);
		values[4] = offer->total_price;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		nresults++;
	}
	bk_finish();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * search.c
 *    booking.search(): the room types of a city that can take a whole stay,
 *    cheapest first.  It reads booking.room_calendar (calendar.c), at most
 *    two compact rows per room type for a stay of up to a month, through
 *    the city's index without SPI (read_city_months), plus the changes of
 *    free units not folded into them yet (a few events, calendar_read.c),
 *    and does the arithmetic here: every night open with
 *    enough free units, the sum of the nightly prices (in int64 cents
 *    while they are whole cents: cents.c), the stay rules of the room
 *    types that have any (rules.c), then the contract's order and
 *    max_results.
 *
 *    Since 2.0 a room type is offered under its cheapest bookable rate
 *    plan ('BASE', the calendar's price, or one of booking.rate_plan),
 *    priced as reserve_range prices it (rate_plan.c), plans closed by
 *    their own rules left out.  The calendar holds BASE prices only: the
 *    plans of the offered room types that have any (or plan rules), with
 *    the set_rates prices of the stay's nights, come in one more query,
 *    run only when one of the offers' properties has such a room type
 *    (properties_with_plans): room types without plans cost nothing.
 *    Called through an older SQL definition (5 columns, 6 arguments) it
 *    answers as before.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/binaryheap.h"
#include "lib/qunique.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_search);

/*
 * The rate plans of the offers' room types ($1: their properties) that
 * have plans or plan rules (2.0), by property_id and room_type bytes (the
 * order find_room_plans searches): a row per plan, or one row
 * with a NULL plan for a room type with plan rules and no plan; for a plan
 * priced by set_rates, its prices of the stay's nights [$2, $3) in night
 * order (fewer than the nights: not for sale on one of them).
 */
static BookingPlan search_plans_plan = {
	"SELECT rt.property_id, rt.code, rt.has_plan_rules, rp.code, rp.parent, rp.adjust_pct,"
	"       rp.adjust_amount, rp.base_occupancy, rp.extra_adult, rp.extra_child,"
	"       CASE WHEN rp.code IS NOT NULL AND rp.parent IS NULL THEN"
	"         (SELECT pg_catalog.array_agg(r.price ORDER BY r.night) FROM booking.rate r"
	"           WHERE r.property_id OPERATOR(pg_catalog.=) rp.property_id"
	"             AND r.room_type OPERATOR(pg_catalog.=) rp.room_type"
	"             AND r.rate_plan OPERATOR(pg_catalog.=) rp.code"
	"             AND r.night OPERATOR(pg_catalog.>=) $2 AND r.night OPERATOR(pg_catalog.<) $3)"
	"       END"
	"  FROM booking.room_type rt"
	"  LEFT JOIN booking.rate_plan rp ON rp.property_id OPERATOR(pg_catalog.=) rt.property_id"
	"                                AND rp.room_type OPERATOR(pg_catalog.=) rt.code"
	" WHERE rt.property_id OPERATOR(pg_catalog.=) ANY ($1) AND (rt.has_rate_plans OR rt.has_plan_rules)"
	" ORDER BY rt.property_id, rt.code COLLATE \"C\"",
	3, {INT8ARRAYOID, DATEOID, DATEOID},
	CURSOR_OPT_CUSTOM_PLAN		/* planned for the ids at hand: a generic
								 * plan made on a small table would stay a
								 * sequential scan (docs/performance.md) */
};

/* A room type that can take the stay */
typedef struct Offer
{
	int64		property_id;
	Datum		property_name;
	Datum		room_type;
	int32		min_available;
	BkPriceSum	total;			/* total_price */
	bool		has_rules;
	const char *time_zone;
	BkPriceSum *night_prices;	/* BASE's price of each night */
	Datum		plan_code;		/* text: the plan offered */
	bool		dropped;		/* no plan of it can be sold */
} Offer;

/* One rate plan of a room type, as search_plans_plan read it */
typedef struct PlanRow
{
	char	   *code;
	char	   *parent;			/* NULL: priced by set_rates */
	Numeric		factor;			/* 1 + adjust_pct / 100 */
	Numeric		amount;			/* adjust_amount */
	BkPlan		person;			/* base_occupancy and extras, for bk_plan_extra */
	Datum	   *rates;			/* set_rates prices of the nights; NULL: one missing */
} PlanRow;

/* The plans of one room type */
typedef struct RoomPlans
{
	int64		property_id;
	Datum		room_type;
	bool		has_plan_rules;
	PlanRow    *plans;
	int			nplans;
} RoomPlans;

/* A plan a room type could be offered under */
typedef struct Candidate
{
	const char *code;
	Datum		total;			/* numeric */
} Candidate;

/* What the stay asks of every plan */
typedef struct PlanAsk
{
	const char *rate_plan;		/* the plan asked for; NULL: any */
	DateADT		check_in;
	DateADT		check_out;
	int32		nights;
	int32		rooms;
	int32		guests;
	int32		children;
} PlanAsk;

/* What one room type's months add up to so far */
typedef struct Tally
{
	int			nights;			/* open nights of the stay seen */
	int32		min_free;
	BkPriceSum	price_sum;
	BkPriceSum *prices;			/* the nights' prices, in order */
	int			prices_room;	/* how many prices[] has room for */
} Tally;

/* The changes of free units not folded into the calendar yet */
typedef struct Pending
{
	BkCalendarDelta *deltas;
	int			n;
} Pending;

/*
 * month_prices puts the prices of days first .. last - 1 (0-based) of a
 * calendar row's price array (numeric[]) into prices[], pointers into the
 * array, and returns how many it found (fewer when the array is shorter).
 * It steps over the days before `first` without taking them apart: a stay
 * needs a few of a month's days, and deconstruct_array took all of them.
 */
static int
month_prices(ArrayType *price, int first, int last, Datum *prices)
{
	int			n = ArrayGetNItems(ARR_NDIM(price), ARR_DIMS(price));
	char	   *element = ARR_DATA_PTR(price);
	int			found = 0;

	if (ARR_ELEMTYPE(price) != NUMERICOID || ARR_HASNULL(price))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a room calendar row's prices are not a numeric[] without NULLs"),
				 errhint("Run booking.rebuild_calendar() to recompute the calendar.")));
	for (int day = 0; day < Min(last, n); day++)
	{
		if (day >= first)
			prices[found++] = PointerGetDatum(element);
		element = att_addlength_pointer(element, -1, element);
		element = (char *) att_align_nominal(element, TYPALIGN_INT);
	}
	return found;
}

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
	Datum		prices[31];		/* a month's days at most */
	int			nprices;

	if (last <= first)
		return;
	nprices = first + month_prices(price, first, Min(last, first + lengthof(prices)), prices);
	for (int d = first; d < last && d < nprices; d++)
	{
		int32		free_units = days[d];
		BkPriceSum	extra = {0};	/* a row longer than its month: summed, not kept */
		BkPriceSum *night;

		if (bk_calendar_off_sale(free_units))
			continue;			/* not on sale: the night is missing */
		if (pending->n > 0)
			free_units += bk_calendar_pending_on(pending->deltas, pending->n, property_id,
												 room_type, month + d);
		night = tally->nights < tally->prices_room ? &tally->prices[tally->nights] : &extra;
		bk_price_sum_set(night, prices[d - first]);
		bk_price_sum_add(&tally->price_sum, night);
		tally->nights++;
		tally->min_free = Min(tally->min_free, free_units);
	}
}

/*
 * text_cmp_c compares two texts byte by byte, as ORDER BY ... COLLATE "C".
 */
static int
text_cmp_c(Datum a, Datum b)
{
	int			la = VARSIZE_ANY_EXHDR(a);
	int			lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	if (c != 0)
		return c;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/*
 * add_tally adds the tally of a room type's next month to the one of its
 * months before.
 */
static void
add_tally(Tally *into, Tally *more, int32 nights)
{
	if (into->prices_room < nights)
	{
		/* a month's share has room for its own nights: the room type's, for all */
		BkPriceSum *all = palloc(sizeof(BkPriceSum) * nights);

		memcpy(all, into->prices, sizeof(BkPriceSum) * Min(into->nights, into->prices_room));
		into->prices = all;
		into->prices_room = nights;
	}
	for (int i = 0; i < more->nights && i < more->prices_room && into->nights + i < nights; i++)
		into->prices[into->nights + i] = more->prices[i];
	into->nights += more->nights;
	into->min_free = Min(into->min_free, more->min_free);
	bk_price_sum_add(&into->price_sum, &more->price_sum);
}

/*
 * One calendar row's share of the stay: its nights of [check_in,
 * check_out), tallied as the row is read (read_city_months).
 */
typedef struct MonthShare
{
	int64		property_id;
	Datum		room_type;		/* text */
	DateADT		month;
	Datum		property_name;	/* text */
	bool		has_rules;
	const char *time_zone;
	Tally		tally;
} MonthShare;

/*
 * The local today of the time zones one call met: a city's properties
 * share a few, and finding a zone by name costs more than the row.
 */
#define KNOWN_ZONES 8
typedef struct KnownZones
{
	int			n;
	text	   *zones[KNOWN_ZONES];
	char	   *names[KNOWN_ZONES];
	DateADT		todays[KNOWN_ZONES];
} KnownZones;

/*
 * zone_today returns the date it is now in time zone `zone` (text), and
 * its name in *name.
 */
static DateADT
zone_today(KnownZones *known, Datum zone, const char **name)
{
	text	   *t = DatumGetTextPP(zone);
	char	   *zone_name;
	DateADT		today;

	for (int i = 0; i < known->n; i++)
		if (VARSIZE_ANY_EXHDR(known->zones[i]) == VARSIZE_ANY_EXHDR(t) &&
			memcmp(VARDATA_ANY(known->zones[i]), VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) == 0)
		{
			*name = known->names[i];
			return known->todays[i];
		}
	zone_name = text_to_cstring(t);
	today = bk_local_today(zone_name);
	if (known->n < KNOWN_ZONES)
	{
		known->zones[known->n] = (text *) PG_DETOAST_DATUM_COPY(zone);
		known->names[known->n] = zone_name;
		known->todays[known->n] = today;
		known->n++;
	}
	*name = zone_name;
	return today;
}

/*
 * month_share_cmp orders month shares by property_id, room_type (byte
 * order: enough to group them), month.
 */
static inline int
month_share_cmp(const MonthShare *x, const MonthShare *y)
{
	int			c;

	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	c = text_cmp_c(x->room_type, y->room_type);
	if (c != 0)
		return c;
	return x->month < y->month ? -1 : (x->month > y->month ? 1 : 0);
}

/* sort_month_shares: a sort of MonthShare pointers with the comparison inlined */
typedef MonthShare *MonthSharePointer;
#define ST_SORT sort_month_shares
#define ST_ELEMENT_TYPE MonthSharePointer
#define ST_COMPARE(a, b) month_share_cmp(*(a), *(b))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * next_city_row puts the next row of a scan of the whole calendar that is
 * of `city` and of a month in [first_month, end) in `row`; false at the
 * end.  read_city_months' way when the city's index cannot be scanned.
 */
static bool
next_city_row(TableScanDesc whole, TupleTableSlot *row, Datum city, DateADT first_month,
			  DateADT end)
{
	while (table_scan_getnextslot(whole, ForwardScanDirection, row))
	{
		DateADT		month = DatumGetDateADT(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_MONTH)));

		if (month >= first_month && month < end &&
			bk_same_text(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_CITY)), city))
			return true;
	}
	return false;
}

/*
 * read_city_months reads the calendar rows of `city`'s room types that
 * take `guests` per room, for the months the stay [check_in, check_out)
 * touches, at properties whose local today is not after check-in, and
 * tallies each row's nights of the stay with the changes not folded into
 * it yet (`pending`).  Without SPI: a walk of room_calendar_city_month_idx
 * in the snapshot of the calling query (the one `pending` was read in),
 * each row tallied where it lies, only its share kept; returns pointers
 * to the shares, *nshares of them, sorted by month_share_cmp when the stay
 * spans months (so that a room type's months come together), in the
 * index's order when it does not.  (Through
 * SPI the rows were copied twice, sorted whole, and every row's time zone
 * looked up by name: three quarters of a search.)  When the index cannot
 * be scanned (bk_direct_scan_if_usable), every calendar row is read.
 */
static MonthShare **
read_city_months(Datum city, DateADT check_in, DateADT check_out, int32 guests,
				 const Pending *pending, int *nshares)
{
	BkDirect	d;
	ScanKeyData keys[3];
	IndexScanDesc scan;
	TableScanDesc whole = NULL;
	TupleTableSlot *row;
	KnownZones	known = {0};
	int			capacity = 256;
	int			n = 0;
	MonthShare *shares = palloc(sizeof(MonthShare) * capacity);
	MonthShare **sorted;

	bk_direct_begin_read(&d);
	row = bk_direct_slot(&d, BK_ROOM_CALENDAR, BK_SLOT_FOUND);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_TEXTEQ, city);
	ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_DATE_GE,
				DateADTGetDatum(bk_first_of_month(check_in)));
	ScanKeyInit(&keys[2], 2, BTLessStrategyNumber, F_DATE_LT, DateADTGetDatum(check_out));
	scan = bk_direct_scan_if_usable(&d, BK_ROOM_CALENDAR, BK_ROOM_CALENDAR_CITY_MONTH_IDX, keys, 3);
	if (scan == NULL)			/* the index is being built or dropped: every row */
		whole = table_beginscan(bk_direct_relation(&d, BK_ROOM_CALENDAR), d.snapshot, 0, NULL);
	while (scan != NULL ? index_getnext_slot(scan, ForwardScanDirection, row) :
		   next_city_row(whole, row, city, bk_first_of_month(check_in), check_out))
	{
		MonthShare *share;
		const char *zone;

		if (DatumGetInt32(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_MAX_GUESTS))) < guests)
			continue;
		if (zone_today(&known, bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_TIME_ZONE)),
					   &zone) > check_in)
			continue;			/* check-in is already past there */
		if (n == capacity)
		{
			capacity *= 2;
			shares = repalloc(shares, sizeof(MonthShare) * capacity);
		}
		share = &shares[n++];
		share->property_id = DatumGetInt64(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_PROPERTY_ID)));
		/* detoasted: compared byte by byte (text_cmp_c) */
		share->room_type = PointerGetDatum(DatumGetTextPCopy(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_ROOM_TYPE))));
		share->month = DatumGetDateADT(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_MONTH)));
		share->property_name = datumCopy(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_PROPERTY_NAME)),
										 false, -1);
		share->has_rules = DatumGetBool(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_HAS_RULES)));
		share->time_zone = zone;
		share->tally.nights = 0;
		share->tally.min_free = PG_INT32_MAX;
		bk_price_sum_zero(&share->tally.price_sum);
		/* room for the stay's nights in this month (31 days at most) */
		share->tally.prices_room = Max(Min(check_out, share->month + 31) -
									   Max(check_in, share->month), 1);
		share->tally.prices = palloc(sizeof(BkPriceSum) * share->tally.prices_room);
		tally_month(&share->tally, share->month,
					DatumGetArrayTypeP(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_FREE))),
					DatumGetArrayTypeP(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_PRICE))),
					check_in, check_out, pending, share->property_id, share->room_type);
	}
	if (scan != NULL)
		index_endscan(scan);
	else
		table_endscan(whole);
	ExecClearTuple(row);
	bk_direct_end(&d);
	sorted = palloc(sizeof(MonthShare *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		sorted[i] = &shares[i];
	/* a stay within one month has one share per room type: nothing to bring together */
	if (bk_first_of_month(check_out - 1) != bk_first_of_month(check_in))
		sort_month_shares(sorted, n);
	*nshares = n;
	return sorted;
}

/*
 * offer_order orders offers by total_price, property_id, room_type: the
 * contract's order.
 */
static int
offer_order(Offer *x, Offer *y)
{
	int			c = bk_price_sum_cmp(&x->total, &y->total);

	if (c != 0)
		return c;
	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	return varstr_cmp(VARDATA_ANY(x->room_type), VARSIZE_ANY_EXHDR(x->room_type),
					  VARDATA_ANY(y->room_type), VARSIZE_ANY_EXHDR(y->room_type),
					  DEFAULT_COLLATION_OID);
}

/* offer_order for qsort over pointers to offers */
static int
offer_cmp(const void *a, const void *b)
{
	return offer_order(*(Offer *const *) a, *(Offer *const *) b);
}

/* offer_order reversed, for binaryheap (which keeps its largest first) */
static int
offer_heap_cmp(Datum a, Datum b, void *arg)
{
	return offer_order((Offer *) DatumGetPointer(b), (Offer *) DatumGetPointer(a));
}

/*
 * The offers cheapest first, as many as the caller takes: all of them
 * sorted when it may take most of them; a heap it pops when max_results
 * is a small part of them (the first 50 of a city's 500 room types: a
 * third of a sort's comparisons).  The caller may take more than
 * max_results: stay rules can turn an offer down.
 */
typedef struct CheapestFirst
{
	Offer	  **sorted;			/* all of them, sorted; or */
	binaryheap *heap;			/* a heap of them (one of the two is set) */
	int			n;				/* sorted: how many, and the next to give */
	int			next;
} CheapestFirst;

static void
cheapest_first_begin(CheapestFirst *it, Offer *offers, int noffers, int32 max_results)
{
	it->n = noffers;
	it->next = 0;
	it->sorted = NULL;
	it->heap = NULL;
	if ((int64) max_results * 8 < noffers)
	{
		it->heap = binaryheap_allocate(noffers, offer_heap_cmp, NULL);
		for (int i = 0; i < noffers; i++)
			binaryheap_add_unordered(it->heap, PointerGetDatum(&offers[i]));
		binaryheap_build(it->heap);
		return;
	}
	it->sorted = palloc(sizeof(Offer *) * Max(noffers, 1));
	for (int i = 0; i < noffers; i++)
		it->sorted[i] = &offers[i];
	qsort(it->sorted, noffers, sizeof(Offer *), offer_cmp);
}

/* cheapest_first_next returns the next offer, NULL after the last */
static Offer *
cheapest_first_next(CheapestFirst *it)
{
	if (it->heap != NULL)
		return binaryheap_empty(it->heap) ? NULL :
			(Offer *) DatumGetPointer(binaryheap_remove_first(it->heap));
	if (it->sorted != NULL && it->next < it->n)
		return it->sorted[it->next++];
	return NULL;
}

/*
 * guests_per_room is how many guests each of `rooms` rooms must take for
 * `guests` to fit: a room type fits when max_guests is at least that,
 * i.e. when rooms * max_guests >= guests (bk_guests_violation's rule).
 */
static int32
guests_per_room(int64 guests, int32 rooms)
{
	return (int32) Min((guests + rooms - 1) / rooms, PG_INT32_MAX);
}

/*
 * numeric_or_zero reads a numeric column of the current row (NULL: 0).
 */
static Numeric
numeric_or_zero(uint64 row, int col)
{
	bool		isnull;
	Datum		value = bk_get(row, col, &isnull);

	return isnull ? DatumGetNumeric(bk_numeric_zero()) : DatumGetNumeric(value);
}

/*
 * read_room_plans reads the rows of search_plans_plan into one RoomPlans
 * per room type, in its order; returns how many.
 */
static int
read_room_plans(int32 nights, RoomPlans **out)
{
	uint64		nrows = SPI_processed;
	RoomPlans  *rooms = palloc(sizeof(RoomPlans) * Max(nrows, 1));
	int			nrooms = 0;

	for (uint64 row = 0; row < nrows; row++)
	{
		int64		property_id = bk_get_int64(row, 1);
		Datum		room_type = bk_get_notnull(row, 2);
		RoomPlans  *room = nrooms > 0 ? &rooms[nrooms - 1] : NULL;
		PlanRow    *plan;
		bool		isnull;
		Datum		value;

		if (room == NULL || room->property_id != property_id ||
			!bk_same_text(room->room_type, room_type))
		{
			room = &rooms[nrooms++];
			room->property_id = property_id;
			room->room_type = room_type;
			room->has_plan_rules = DatumGetBool(bk_get_notnull(row, 3));
			room->plans = NULL;
			room->nplans = 0;
		}
		value = bk_get(row, 4, &isnull);
		if (isnull)
			continue;			/* plan rules, no plan */
		if (room->plans == NULL)
			room->plans = palloc(sizeof(PlanRow) * (nrows - row));
		plan = &room->plans[room->nplans++];
		plan->code = TextDatumGetCString(value);
		value = bk_get(row, 5, &isnull);
		plan->parent = isnull ? NULL : TextDatumGetCString(value);
		plan->factor = bk_plan_step_factor(NumericGetDatum(numeric_or_zero(row, 6)));
		plan->amount = numeric_or_zero(row, 7);
		bk_plan_base(&plan->person);
		value = bk_get(row, 8, &isnull);
		plan->person.base_occupancy = isnull ? 0 : DatumGetInt32(value);
		plan->person.extra_adult = numeric_or_zero(row, 9);
		plan->person.extra_child = numeric_or_zero(row, 10);
		plan->rates = NULL;
		value = bk_get(row, 11, &isnull);
		if (!isnull)
		{
			ArrayType  *rates = DatumGetArrayTypeP(value);
			int			nrates;

			deconstruct_array(rates, NUMERICOID, -1, false, TYPALIGN_INT, &plan->rates, NULL, &nrates);
			if (nrates != nights)
				plan->rates = NULL;
		}
	}
	*out = rooms;
	return nrooms;
}

/*
 * find_plan is the room type's plan `code`, or NULL.
 */
static PlanRow *
find_plan(const RoomPlans *room, const char *code)
{
	for (int i = 0; i < room->nplans; i++)
		if (strcmp(room->plans[i].code, code) == 0)
			return &room->plans[i];
	return NULL;
}

/*
 * plan_total prices the stay under `plan` as reserve_range would
 * (bk_plan_night_prices, bk_plan_extra, bk_stay_total): false when it
 * cannot be sold so (a night without a set_rates price, a broken chain, a
 * negative price, which reserve_range refuses).
 */
static bool
plan_total(const RoomPlans *room, const PlanRow *plan, const Offer *offer, const PlanAsk *ask,
		   Datum *total)
{
	const PlanRow *steps[BK_MAX_PLAN_DEPTH];
	const PlanRow *current = plan;
	const Datum *roots;
	Datum	   *prices;
	int			nsteps = 0;

	/* walk up to the root: 'BASE' or a plan priced by set_rates */
	while (current->parent != NULL)
	{
		if (nsteps >= BK_MAX_PLAN_DEPTH)
			return false;
		steps[nsteps++] = current;
		if (strcmp(current->parent, BK_BASE_PLAN) == 0)
		{
			current = NULL;
			break;
		}
		current = find_plan(room, current->parent);
		if (current == NULL)
			return false;
	}
	if (current != NULL && current->rates == NULL)
		return false;			/* its root has no price for a night */
	if (current != NULL)
		roots = current->rates;
	else
	{
		Datum	   *base = palloc(sizeof(Datum) * ask->nights);

		for (int i = 0; i < ask->nights; i++)
			base[i] = bk_price_sum_numeric(&offer->night_prices[i]);
		roots = base;
	}
	prices = palloc(sizeof(Datum) * ask->nights);
	for (int i = 0; i < ask->nights; i++)
	{
		Numeric		price = DatumGetNumeric(roots[i]);

		/* from the root down, each step rounded, as bk_plan_derive */
		for (int k = nsteps - 1; k >= 0; k--)
			price = bk_plan_step(price, steps[k]->factor, steps[k]->amount);
		if (nsteps > 0 && bk_numeric_sign(price) < 0)
			return false;
		prices[i] = NumericGetDatum(price);
	}
	*total = NumericGetDatum(bk_stay_total(prices, ask->nights, ask->rooms,
										   bk_plan_extra(&plan->person, ask->rooms, ask->guests,
														 ask->children)));
	pfree(prices);
	return true;
}

/*
 * candidate_cmp orders plans by total, then 'BASE', then code (bytes).
 */
static int
candidate_cmp(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;
	int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp, x->total, y->total));
	bool		xbase = strcmp(x->code, BK_BASE_PLAN) == 0;
	bool		ybase = strcmp(y->code, BK_BASE_PLAN) == 0;

	if (c != 0)
		return c;
	if (xbase != ybase)
		return xbase ? -1 : 1;
	return strcmp(x->code, y->code);
}

/*
 * choose_plan sets the offer's plan and total to its cheapest plan that
 * can be sold for the stay (its own rules allowing it), or marks it
 * dropped.  `room` is NULL for a room type with neither plans nor plan
 * rules: 'BASE' only.
 */
static void
choose_plan(Offer *offer, const RoomPlans *room, const PlanAsk *ask)
{
	Candidate  *candidates;
	int			ncandidates = 0;
	bool		want_base = ask->rate_plan == NULL || strcmp(ask->rate_plan, BK_BASE_PLAN) == 0;

	if (room == NULL)
	{
		offer->dropped = !want_base;
		return;
	}
	candidates = palloc(sizeof(Candidate) * (room->nplans + 1));
	if (want_base)
	{
		candidates[ncandidates].code = BK_BASE_PLAN;
		candidates[ncandidates++].total = bk_price_sum_numeric(&offer->total);
	}
	for (int i = 0; i < room->nplans; i++)
	{
		PlanRow    *plan = &room->plans[i];

		if (ask->rate_plan != NULL && strcmp(ask->rate_plan, plan->code) != 0)
			continue;
		if (plan_total(room, plan, offer, ask, &candidates[ncandidates].total))
			candidates[ncandidates++].code = plan->code;
	}
	qsort(candidates, ncandidates, sizeof(Candidate), candidate_cmp);
	offer->dropped = true;
	for (int i = 0; i < ncandidates; i++)
	{
		if (room->has_plan_rules)
		{
			BkRuleViolation violation;

			if (!bk_check_plan_rules(offer->property_id, TextDatumGetCString(offer->room_type),
									 candidates[i].code, ask->check_in, ask->check_out,
									 bk_local_today(offer->time_zone), &violation))
				continue;
		}
		offer->dropped = false;
		bk_price_sum_set(&offer->total, candidates[i].total);
		offer->plan_code = CStringGetTextDatum(candidates[i].code);
		break;
	}
}

/*
 * properties_with_plans keeps of the `n` properties in `ids` (ascending)
 * those that have a room type with plans or plan rules, in order, and
 * returns how many: a walk of room_type_plans_idx, which holds only such
 * room types (few, often none), without SPI.  The plans query is then
 * planned for those alone, or not run: planning it for every property of
 * a city was a quarter of a search.
 */
static int
properties_with_plans(int64 *ids, int n)
{
	BkDirect	d;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *row;
	int			kept = 0;

	bk_direct_begin_read(&d);
	row = bk_direct_slot(&d, BK_ROOM_TYPE, BK_SLOT_FOUND);
	ScanKeyEntryInitialize(&key, SK_SEARCHARRAY, 1, BTEqualStrategyNumber, InvalidOid, InvalidOid,
						   F_INT8EQ, bk_int8_array(ids, n));
	scan = bk_direct_scan_if_usable(&d, BK_ROOM_TYPE, BK_ROOM_TYPE_PLANS_IDX, &key, 1);
	if (scan == NULL)
	{
		/* the index is being built or dropped: the query asks for every property */
		bk_direct_end(&d);
		return n;
	}
	while (index_getnext_slot(scan, ForwardScanDirection, row))
	{
		int64		property_id = DatumGetInt64(bk_direct_get_notnull(row, bk_column(BK_ROOM_TYPE_PROPERTY_ID)));

		/* in property order: each property once */
		if (kept == 0 || ids[kept - 1] != property_id)
			ids[kept++] = property_id;
	}
	index_endscan(scan);
	ExecClearTuple(row);
	bk_direct_end(&d);
	return kept;
}

/*
 * find_room_plans finds the plans of a room type among `rooms` (sorted by
 * property_id and room_type bytes, as search_plans_plan reads them), or
 * returns NULL.
 */
static RoomPlans *
find_room_plans(RoomPlans *rooms, int nrooms, int64 property_id, Datum room_type)
{
	int			low = 0;
	int			high = nrooms - 1;

	while (low <= high)
	{
		int			mid = low + (high - low) / 2;
		int			c = rooms[mid].property_id != property_id ?
			(rooms[mid].property_id < property_id ? -1 : 1) :
			text_cmp_c(rooms[mid].room_type, room_type);

		if (c == 0)
			return &rooms[mid];
		if (c < 0)
			low = mid + 1;
		else
			high = mid - 1;
	}
	return NULL;
}

/*
 * choose_plans reads the plans of the offers' room types (one query, for
 * the offers' properties that have any: properties_with_plans) and gives
 * every offer (in any order) its plan.
 */
static void
choose_plans(Offer *offers, int noffers, const PlanAsk *ask)
{
	Datum		args[3];
	RoomPlans  *rooms = NULL;
	int			nrooms = 0;
	int64	   *property_ids = palloc(sizeof(int64) * Max(noffers, 1));
	int			nproperties = 0;

	/*
	 * the offers' properties, each once, ascending (a property's room types
	 * mostly come one after the other: those repeats go before the sort)
	 */
	for (int i = 0; i < noffers; i++)
		if (nproperties == 0 || property_ids[nproperties - 1] != offers[i].property_id)
			property_ids[nproperties++] = offers[i].property_id;
	qsort(property_ids, nproperties, sizeof(int64), bk_int64_cmp);
	nproperties = (int) qunique(property_ids, nproperties, sizeof(int64), bk_int64_cmp);
	nproperties = properties_with_plans(property_ids, nproperties);
	if (nproperties > 0)
	{
		args[0] = bk_int8_array(property_ids, nproperties);
		args[1] = DateADTGetDatum(ask->check_in);
		args[2] = DateADTGetDatum(ask->check_out);
		bk_exec(&search_plans_plan, args, NULL, 0);
		nrooms = read_room_plans(ask->nights, &rooms);
	}
	for (int i = 0; i < noffers; i++)
	{
		Offer	   *offer = &offers[i];
		RoomPlans  *room = find_room_plans(rooms, nrooms, offer->property_id, offer->room_type);

		if (room != NULL || ask->rate_plan != NULL)
			choose_plan(offer, room, ask);
	}
}

/*
 * booking_search is search(city, check_in, check_out, guests, rooms,
 * max_results, rate_plan, children).
 */
Datum
booking_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	DateADT		check_in;
	DateADT		check_out;
	int32		guests;
	int32		children = 0;
	int32		rooms;
	int32		max_results;
	int32		nights;
	char	   *rate_plan = NULL;
	bool		with_plans;
	Offer	   *offers;
	CheapestFirst cheapest;
	Offer	   *offer;
	MonthShare **shares;
	int			nshares;
	int			share = 0;
	int			noffers = 0;
	int			nresults = 0;
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
	if (PG_NARGS() > 6)
	{
		rate_plan = bk_text_arg(fcinfo, 6, "rate_plan", BOOKING_MAX_CODE_BYTES, false, true);
		children = bk_children_arg(fcinfo, 7);
	}
	nights = check_out - check_in;
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	/* an older SQL definition has no plan_code, and its schema no plans */
	with_plans = rsinfo->setDesc->natts >= 6;

	bk_connect_read_only();
	if (!bk_schema_has_calendar())
	{
		bk_compat_search(fcinfo, guests_per_room(guests, rooms), rooms, max_results);
		bk_finish();
		return (Datum) 0;
	}
	pending.deltas = bk_calendar_pending(check_in, check_out, 0, &pending.n);
	shares = read_city_months(PG_GETARG_DATUM(0), check_in, check_out,
							  guests_per_room((int64) guests + children, rooms), &pending, &nshares);
	offers = palloc(sizeof(Offer) * Max(nshares, 1));

	/* a room type's months come together (read_city_months), in order: add them up */
	while (share < nshares)
	{
		MonthShare *first = shares[share];
		Tally		tally = first->tally;

		for (share++; share < nshares && shares[share]->property_id == first->property_id &&
			 text_cmp_c(shares[share]->room_type, first->room_type) == 0; share++)
			add_tally(&tally, &shares[share]->tally, nights);
		if (tally.nights == nights && tally.min_free >= rooms)
		{
			Offer	   *made = &offers[noffers++];

			made->property_id = first->property_id;
			made->property_name = first->property_name;
			made->room_type = first->room_type;
			made->min_available = tally.min_free;
			made->total = tally.price_sum;
			bk_price_sum_times(&made->total, rooms);
			made->has_rules = first->has_rules;
			made->time_zone = first->time_zone;
			made->night_prices = tally.prices;
			made->plan_code = (Datum) 0;
			made->dropped = false;
		}
	}

	if (with_plans && noffers > 0)
	{
		PlanAsk		ask = {rate_plan, check_in, check_out, nights, rooms, guests, children};
		int			kept = 0;

		choose_plans(offers, noffers, &ask);
		for (int i = 0; i < noffers; i++)
			if (!offers[i].dropped)
				offers[kept++] = offers[i];
		noffers = kept;
	}

	cheapest_first_begin(&cheapest, offers, noffers, max_results);
	while (nresults < max_results && (offer = cheapest_first_next(&cheapest)) != NULL)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

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
		values[4] = bk_price_sum_numeric(&offer->total);
		values[5] = (Datum) 0;	/* plan_code: in the 2.0 definition only */
		if (with_plans)
			values[5] = offer->plan_code != (Datum) 0 ? offer->plan_code : bk_base_plan_text();
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		nresults++;
	}
	bk_finish();
	return (Datum) 0;
}

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
 *
 *    Since 2.0 a room type is offered under its cheapest bookable rate
 *    plan ('BASE', the calendar's price, or one of booking.rate_plan),
 *    priced as reserve_range prices it (rate_plan.c), plans closed by
 *    their own rules left out.  The calendar holds BASE prices only: the
 *    plans of the city's room types that have any (or plan rules), with
 *    the set_rates prices of the stay's nights, come in one more query
 *    per call, and room types without plans cost nothing beyond it.
 *    Called through an older SQL definition (5 columns, 6 arguments) it
 *    answers as before.
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

/*
 * The rate plans of the offers' room types ($1: their properties) that
 * have plans or plan rules (2.0), in the order of search_rows_plan: a
 * row per plan, or one row
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
	Datum		total_price;	/* numeric */
	bool		has_rules;
	char	   *time_zone;
	Datum	   *night_prices;	/* BASE's price of each night (numeric) */
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
	Datum		price_sum;		/* numeric */
	Datum	   *prices;			/* the nights' prices, when nights is complete */
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
		if (tally->nights < check_out - check_in)
			tally->prices[tally->nights] = prices[d];
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
guests_per_room(int64 guests, int32 rooms)
{
	return (int32) Min((guests + rooms - 1) / rooms, PG_INT32_MAX);
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
	roots = current != NULL ? current->rates : offer->night_prices;
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
		candidates[ncandidates++].total = offer->total_price;
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
		offer->total_price = candidates[i].total;
		offer->plan_code = CStringGetTextDatum(candidates[i].code);
		break;
	}
}

/*
 * choose_plans reads the plans of the offers' room types (one query,
 * through room_type_plans_idx for the offers' properties only) and gives
 * every offer (in search_rows_plan's order) its plan.
 */
static void
choose_plans(Offer *offers, int noffers, const PlanAsk *ask)
{
	Datum		args[3];
	RoomPlans  *rooms;
	int			nrooms;
	int			next = 0;
	int64	   *property_ids = palloc(sizeof(int64) * Max(noffers, 1));
	int			nproperties = 0;

	/* the offers' properties, each once (offers come grouped by property) */
	for (int i = 0; i < noffers; i++)
		if (nproperties == 0 || property_ids[nproperties - 1] != offers[i].property_id)
			property_ids[nproperties++] = offers[i].property_id;
	args[0] = bk_int8_array(property_ids, nproperties);
	args[1] = DateADTGetDatum(ask->check_in);
	args[2] = DateADTGetDatum(ask->check_out);
	bk_exec(&search_plans_plan, args, NULL, 0);
	nrooms = read_room_plans(ask->nights, &rooms);
	for (int i = 0; i < noffers; i++)
	{
		Offer	   *offer = &offers[i];
		RoomPlans  *room = NULL;

		/* both in (property_id, room_type bytes) order: merge */
		while (next < nrooms &&
			   (rooms[next].property_id < offer->property_id ||
				(rooms[next].property_id == offer->property_id &&
				 text_cmp_c(rooms[next].room_type, offer->room_type) < 0)))
			next++;
		if (next < nrooms && rooms[next].property_id == offer->property_id &&
			bk_same_text(rooms[next].room_type, offer->room_type))
			room = &rooms[next];
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
	Datum		args[5];
	Datum		rooms_numeric;
	Offer	   *offers;
	Datum	   *night_prices;
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
	args[3] = Int32GetDatum(guests_per_room((int64) guests + children, rooms));
	args[4] = DateADTGetDatum(bk_first_of_month(check_in));
	bk_exec(&search_rows_plan, args, NULL, 0);
	nrows = SPI_processed;
	offers = palloc(sizeof(Offer) * Max(nrows, 1));
	/* the nights' prices of each offer: pointers into the rows read */
	night_prices = palloc(sizeof(Datum) * nights * Max(nrows, 1));

	/* one pass over the rows, a room type's months together */
	while (row < nrows)
	{
		int64		property_id = bk_get_int64(row, 1);
		Datum		room_type = bk_get_notnull(row, 3);
		Tally		tally = {0, PG_INT32_MAX, DirectFunctionCall1(int4_numeric, Int32GetDatum(0)),
		&night_prices[(Size) noffers * nights]};
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
			offer->night_prices = tally.prices;
			offer->plan_code = (Datum) 0;
			offer->dropped = false;
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

	qsort(offers, noffers, sizeof(Offer), offer_cmp);
	for (int i = 0; i < noffers && nresults < max_results; i++)
	{
		Offer	   *offer = &offers[i];
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
		values[4] = offer->total_price;
		values[5] = (Datum) 0;	/* plan_code: in the 2.0 definition only */
		if (with_plans)
			values[5] = offer->plan_code != (Datum) 0 ? offer->plan_code : bk_base_plan_text();
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		nresults++;
	}
	bk_finish();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * rate_plan.c
 *    Rate plans (2.0): booking.add_rate_plan() and booking.set_rates(), and
 *    what a stay costs under a plan.
 *
 *    Every room type has the plan 'BASE', the inventory's own price, which
 *    has no row.  Other plans (booking.rate_plan) are either derived from
 *    a parent plan (price x (1 + adjust_pct / 100) + adjust_amount, every
 *    step rounded half-up to cents) or, with no parent, priced night by
 *    night with set_rates (booking.rate).  Derived prices are computed when
 *    asked for, from the root's prices as they are, so a change of a
 *    parent's price is followed at once and nothing derived is stored.
 *    A plan with base_occupancy is priced per person: extra_adult per
 *    adult beyond base_occupancy x rooms and extra_child per child, per
 *    night, for the whole reservation.
 *
 *    The write path (reserve_range, modify_reservation, reserve_group)
 *    reads a plan's chain without SPI (a primary-key lookup per step) and
 *    prices the nights it has already read; 'BASE' costs nothing more.
 *    The catalog functions use SPI.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/numeric.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_add_rate_plan);
PG_FUNCTION_INFO_V1(booking_set_rates);

/*
 * bk_plan_base fills *plan with 'BASE': the inventory's price, per room,
 * no policy.
 */
void
bk_plan_base(BkPlan *plan)
{
	memset(plan, 0, sizeof(BkPlan));
	plan->code = BK_BASE_PLAN;
	plan->is_base = true;
	plan->root = BK_BASE_PLAN;
	plan->root_is_base = true;
}

/*
 * bk_rate_plan_arg reads a rate_plan argument: NULL and 'BASE' give NULL
 * (the inventory's price), anything else 1 to 32 bytes.
 */
char *
bk_rate_plan_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *code;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	code = bk_text_arg(fcinfo, argno, "rate_plan", BOOKING_MAX_CODE_BYTES, false, true);
	return strcmp(code, BK_BASE_PLAN) == 0 ? NULL : code;
}

/*
 * bk_children_arg reads a children argument: NULL is 0; below 0 is 22023.
 */
int32
bk_children_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		children;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return 0;
	children = PG_GETARG_INT32(argno);
	if (children < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("children must be 0 or more"),
				 errdetail("children is %d.", children)));
	return children;
}

/*
 * bk_plan_step_factor is a derivation's 1 + adjust_pct / 100, computed as
 * (100 + adjust_pct) x 0.01 so that it is exact.
 */
Numeric
bk_plan_step_factor(Datum adjust_pct)
{
	Datum		hundred = NumericGetDatum(int64_to_numeric(100));

	return DatumGetNumeric(DirectFunctionCall2(numeric_mul,
											   DirectFunctionCall2(numeric_add, hundred, adjust_pct),
											   bk_hundredth()));
}

/*
 * bk_plan_step is one derivation applied to a parent's price: price x
 * factor + amount, rounded half-up to cents.
 */
Numeric
bk_plan_step(Numeric price, Numeric factor, Numeric amount)
{
	Datum		derived = DirectFunctionCall2(numeric_mul, NumericGetDatum(price),
											  NumericGetDatum(factor));

	derived = DirectFunctionCall2(numeric_add, derived, NumericGetDatum(amount));
	return bk_round_cents(DatumGetNumeric(derived));
}

/*
 * bk_report_no_plan raises BK005 for a plan the room type does not have.
 */
void
bk_report_no_plan(int64 property_id, const char *room_type, const char *code)
{
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NOT_FOUND),
			 errmsg("rate plan \"%s\" does not exist", code),
			 errdetail("Property %lld, room type \"%s\" has no rate plan \"%s\".",
					   (long long) property_id, room_type, code),
			 errhint("Add it with booking.add_rate_plan; 'BASE' is every room type's inventory price.")));
}

/*
 * bk_plan_look_up reads plan `code` of a room type and the chain of
 * parents its prices come from (BK005 when the room type has no such
 * plan); NULL or 'BASE' is 'BASE'.  One primary-key lookup per plan of
 * the chain, without SPI.
 */
void
bk_plan_look_up(BkDirect *d, int64 property_id, Datum room_type, const char *code, BkPlan *plan)
{
	Numeric		factors[BK_MAX_PLAN_DEPTH];
	Numeric		amounts[BK_MAX_PLAN_DEPTH];
	char	   *current;
	int			depth = 0;

	bk_plan_base(plan);
	if (code == NULL || strcmp(code, BK_BASE_PLAN) == 0)
		return;
	plan->code = pstrdup(code);
	plan->is_base = false;
	current = plan->code;
	for (;;)
	{
		ScanKeyData keys[3];
		IndexScanDesc scan;
		TupleTableSlot *slot = bk_direct_slot(d, BK_RATE_PLAN, BK_SLOT_FOUND);
		bool		found;
		bool		isnull;
		Datum		parent;

		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
		ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(current));
		scan = bk_direct_scan(d, BK_RATE_PLAN, BK_RATE_PLAN_PKEY, keys, 3);
		found = index_getnext_slot(scan, ForwardScanDirection, slot);
		if (found && depth == 0)
		{
			Datum		occupancy = slot_getattr(slot, bk_column(BK_RATE_PLAN_BASE_OCCUPANCY), &isnull);
			Datum		policy;

			plan->base_occupancy = isnull ? 0 : DatumGetInt32(occupancy);
			plan->extra_adult = DatumGetNumericCopy(bk_direct_get_notnull(slot, bk_column(BK_RATE_PLAN_EXTRA_ADULT)));
			plan->extra_child = DatumGetNumericCopy(bk_direct_get_notnull(slot, bk_column(BK_RATE_PLAN_EXTRA_CHILD)));
			policy = slot_getattr(slot, bk_column(BK_RATE_PLAN_POLICY), &isnull);
			plan->policy = isnull ? NULL : TextDatumGetCString(policy);
		}
		if (found)
		{
			parent = slot_getattr(slot, bk_column(BK_RATE_PLAN_PARENT), &isnull);
			if (!isnull)
			{
				if (depth >= BK_MAX_PLAN_DEPTH)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("rate plan \"%s\" is derived through more than %d plans",
									plan->code, BK_MAX_PLAN_DEPTH),
							 errdetail("Property %lld, room type \"%s\".",
									   (long long) property_id, TextDatumGetCString(room_type))));
				factors[depth] = bk_plan_step_factor(bk_direct_get_notnull(slot, bk_column(BK_RATE_PLAN_ADJUST_PCT)));
				amounts[depth] = DatumGetNumericCopy(bk_direct_get_notnull(slot, bk_column(BK_RATE_PLAN_ADJUST_AMOUNT)));
				depth++;
				current = TextDatumGetCString(parent);
			}
		}
		index_endscan(scan);
		ExecClearTuple(slot);
		if (!found)
			bk_report_no_plan(property_id, TextDatumGetCString(room_type), current);
		if (isnull)
			break;				/* `current` is priced by set_rates */
		if (strcmp(current, BK_BASE_PLAN) == 0)
			break;
	}
	plan->root = current;
	plan->root_is_base = strcmp(current, BK_BASE_PLAN) == 0;
	plan->nsteps = depth;
	plan->factor = palloc(sizeof(Numeric) * Max(depth, 1));
	plan->amount = palloc(sizeof(Numeric) * Max(depth, 1));
	for (int i = 0; i < depth; i++)
	{
		/* collected from the plan up; applied from the root down */
		plan->factor[i] = factors[depth - 1 - i];
		plan->amount[i] = amounts[depth - 1 - i];
	}
}

/*
 * bk_plan_derive returns the plan's price of a night whose root price is
 * root_price: each derivation step applied and rounded half-up to cents.
 * A price below 0 or above BOOKING_MAX_PRICE is a configuration error
 * (22023; plan_check.c refuses the changes that would make one).
 */
Numeric
bk_plan_derive(const BkPlan *plan, Datum root_price, int64 property_id, const char *room_type,
			   DateADT night)
{
	Numeric		price = DatumGetNumeric(root_price);

	for (int i = 0; i < plan->nsteps; i++)
		price = bk_plan_step(price, plan->factor[i], plan->amount[i]);
	if (bk_numeric_sign(price) < 0 ||
		DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(price),
										 bk_max_price())))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rate plan \"%s\" derives a price out of range for night %s",
						plan->code, bk_date_str(night)),
				 errdetail("Property %lld, room type \"%s\": the plan's price would be %s.",
						   (long long) property_id, room_type,
						   DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(price)))),
				 errhint("Change the plan's adjustment or the price of its parent.")));
	return price;
}

/*
 * bk_numeric_sign is -1, 0 or 1.
 */
int
bk_numeric_sign(Numeric value)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(value), bk_numeric_zero()));
}

/*
 * read_rates puts the set_rates prices of plan `root` for the nights of
 * `nights` into rates[] (NULL where the night has none).
 */
static void
read_rates(BkDirect *d, int64 property_id, Datum room_type, const char *root,
		   const BkNights *nights, Datum *rates)
{
	ScanKeyData keys[4];
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_RATE, BK_SLOT_FOUND);
	DateADT		first = nights->nights[0].night;

	memset(rates, 0, sizeof(Datum) * nights->n);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(root));
	ScanKeyInit(&keys[3], 4, BTGreaterEqualStrategyNumber, F_DATE_GE, DateADTGetDatum(first));
	scan = bk_direct_scan(d, BK_RATE, BK_RATE_PKEY, keys, 4);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		DateADT		night = DatumGetDateADT(bk_direct_get_notnull(slot, bk_column(BK_RATE_NIGHT)));

		if (night >= first + nights->n)
			break;
		for (int i = 0; i < nights->n; i++)
			if (nights->nights[i].night == night)
				rates[i] = PointerGetDatum(DatumGetNumericCopy(bk_direct_get_notnull(slot, bk_column(BK_RATE_PRICE))));
	}
	index_endscan(scan);
	ExecClearTuple(slot);
}

/*
 * bk_plan_night_prices puts the plan's price of one room for each night
 * of `nights` (read from the inventory, in night order) into prices[].
 * A plan priced by set_rates without a price for one of the nights is not
 * for sale that night: BK006, naming the plan and the night; or, when
 * `unpriced` is given, the first such night's index is put there (-1:
 * none) and its price left (Datum) 0.
 */
void
bk_plan_night_prices(BkDirect *d, int64 property_id, Datum room_type, const BkPlan *plan,
					 const BkNights *nights, Datum *prices, int *unpriced)
{
	Datum	   *roots = prices;
	char	   *room_type_str = NULL;

	if (unpriced != NULL)
		*unpriced = -1;
	if (nights->n == 0)
		return;
	if (!plan->root_is_base)
	{
		roots = palloc(sizeof(Datum) * nights->n);
		read_rates(d, property_id, room_type, plan->root, nights, roots);
	}
	for (int i = 0; i < nights->n; i++)
	{
		Datum		root_price = plan->root_is_base ? nights->nights[i].price : roots[i];

		if (room_type_str == NULL && (plan->nsteps > 0 || root_price == (Datum) 0))
			room_type_str = TextDatumGetCString(room_type);
		if (root_price == (Datum) 0 && unpriced != NULL)
		{
			if (*unpriced < 0)
				*unpriced = i;
			prices[i] = (Datum) 0;
			continue;
		}
		if (root_price == (Datum) 0)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_RESTRICTION_VIOLATION),
					 errmsg("rate plan \"%s\" has no price for night %s",
							plan->code, bk_date_str(nights->nights[i].night)),
					 errdetail("Property %lld, room type \"%s\": plan \"%s\" takes its prices from plan \"%s\", which has none that night.",
							   (long long) property_id, room_type_str, plan->code, plan->root),
					 errhint("Set its prices with booking.set_rates, or choose another plan.")));
		prices[i] = plan->nsteps == 0 ? root_price
			: NumericGetDatum(bk_plan_derive(plan, root_price, property_id, room_type_str,
											 nights->nights[i].night));
	}
}

/*
 * bk_plan_extra is what a per-person plan adds per night for the whole
 * reservation: extra_adult per adult beyond base_occupancy x rooms, plus
 * extra_child per child, rounded half-up to cents; NULL when nothing
 * (priced per room, or nobody beyond).  guests 0: not given, nobody beyond.
 */
Numeric
bk_plan_extra(const BkPlan *plan, int32 rooms, int32 guests, int32 children)
{
	int64		beyond;
	Datum		extra;

	if (plan->base_occupancy == 0)
		return NULL;
	beyond = Max((int64) guests - (int64) plan->base_occupancy * rooms, 0);
	if (beyond == 0 && children == 0)
		return NULL;
	extra = DirectFunctionCall2(numeric_add,
								DirectFunctionCall2(numeric_mul, NumericGetDatum(plan->extra_adult),
													NumericGetDatum(int64_to_numeric(beyond))),
								DirectFunctionCall2(numeric_mul, NumericGetDatum(plan->extra_child),
													NumericGetDatum(int64_to_numeric(children))));
	return bk_round_cents(DatumGetNumeric(extra));
}

/*
 * bk_stay_total is a stay's total_price: the nightly prices times rooms,
 * plus extra (or NULL) times the nights.
 */
Numeric
bk_stay_total(const Datum *prices, int n, int32 rooms, Numeric extra)
{
	Datum		sum = bk_numeric_zero();

	for (int i = 0; i < n; i++)
		sum = DirectFunctionCall2(numeric_add, sum, prices[i]);
	sum = DirectFunctionCall2(numeric_mul, sum, NumericGetDatum(int64_to_numeric(rooms)));
	if (extra != NULL)
		sum = DirectFunctionCall2(numeric_add, sum,
								  DirectFunctionCall2(numeric_mul, NumericGetDatum(extra),
													  NumericGetDatum(int64_to_numeric(n))));
	return DatumGetNumeric(sum);
}

/* ---------------------------------------------------------------------
 * The catalog functions
 * ---------------------------------------------------------------------
 */

static BookingPlan plan_parent_plan = {
	"SELECT parent FROM booking.rate_plan"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND code OPERATOR(pg_catalog.=) $3",
	3, {INT8OID, TEXTOID, TEXTOID}
};

static BookingPlan policy_exists_plan = {
	"SELECT 1 FROM booking.cancel_policy"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}
};

static BookingPlan insert_plan_plan = {
	"INSERT INTO booking.rate_plan (property_id, room_type, code, name, parent, adjust_pct,"
	"       adjust_amount, base_occupancy, extra_adult, extra_child, meal_plan, policy)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	12, {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID, INT4OID,
	NUMERICOID, NUMERICOID, TEXTOID, TEXTOID}
};

static BookingPlan flag_plans_plan = {
	"UPDATE booking.room_type SET has_rate_plans = true"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	"   AND NOT has_rate_plans",
	2, {INT8OID, TEXTOID}
};

/*
 * plan_parent looks up a plan's parent: false when the plan does not
 * exist, else *parent is its parent (NULL: priced by set_rates).
 */
static bool
plan_parent(int64 property_id, const char *room_type, const char *code, char **parent)
{
	Datum		args[3];
	bool		isnull;
	Datum		value;

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = CStringGetTextDatum(code);
	bk_exec(&plan_parent_plan, args, NULL, 1);
	if (SPI_processed == 0)
		return false;
	value = bk_get(0, 1, &isnull);
	*parent = isnull ? NULL : TextDatumGetCString(value);
	return true;
}

/*
 * numeric_arg reads a numeric argument (NULL: 0): a price (0 to
 * BOOKING_MAX_PRICE), or with allow_negative an adjustment (finite, at
 * most BOOKING_MAX_PRICE either way).
 */
static Datum
numeric_arg(FunctionCallInfo fcinfo, int argno, const char *name, bool allow_negative)
{
	Datum		value;

	if (PG_ARGISNULL(argno))
		return bk_numeric_zero();
	value = PG_GETARG_DATUM(argno);
	if (!allow_negative)
		bk_validate_price(value, name);
	else if (numeric_is_nan(DatumGetNumeric(value)) || numeric_is_inf(DatumGetNumeric(value)) ||
			 DatumGetBool(DirectFunctionCall2(numeric_gt,
											  DirectFunctionCall1(numeric_abs, value),
											  bk_max_price())))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a number from -%lld to %lld", name,
						(long long) BOOKING_MAX_PRICE, (long long) BOOKING_MAX_PRICE),
				 errdetail("%s is %s.", name,
						   DatumGetCString(DirectFunctionCall1(numeric_out, value))),
				 errhint("NaN and infinity are not adjustments.")));
	return value;
}

/*
 * booking_add_rate_plan is add_rate_plan(property_id, room_type, code,
 * name, parent, adjust_pct, adjust_amount, base_occupancy, extra_adult,
 * extra_child, meal_plan, policy).
 */
Datum
booking_add_rate_plan(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	char	   *code;
	char	   *name;
	char	   *parent;
	char	   *meal_plan;
	char	   *policy;
	Datum		adjust_pct;
	Datum		adjust_amount;
	Datum		extra_adult;
	Datum		extra_child;
	Datum		args[12];
	char		nulls[12];
	const char *root = NULL;	/* where a derived plan's prices come from */

	bk_require_arg(fcinfo, 0, "property_id");
	property_id = PG_GETARG_INT64(0);
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, true);
	code = bk_text_arg(fcinfo, 2, "code", BOOKING_MAX_CODE_BYTES, true, true);
	name = bk_text_arg(fcinfo, 3, "name", BOOKING_MAX_NAME_BYTES, true, true);
	parent = bk_text_arg(fcinfo, 4, "parent", BOOKING_MAX_CODE_BYTES, false, true);
	adjust_pct = numeric_arg(fcinfo, 5, "adjust_pct", true);
	adjust_amount = numeric_arg(fcinfo, 6, "adjust_amount", true);
	extra_adult = numeric_arg(fcinfo, 8, "extra_adult", false);
	extra_child = numeric_arg(fcinfo, 9, "extra_child", false);
	meal_plan = bk_text_arg(fcinfo, 10, "meal_plan", BOOKING_MAX_NAME_BYTES, false, true);
	policy = bk_text_arg(fcinfo, 11, "policy", BOOKING_MAX_CODE_BYTES, false, true);

	if (strcmp(code, BK_BASE_PLAN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("rate plan \"BASE\" already exists"),
				 errdetail("Every room type has the plan 'BASE': the inventory's own price."),
				 errhint("Choose another code; derive it from 'BASE' with parent => 'BASE'.")));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, adjust_pct,
										  NumericGetDatum(int64_to_numeric(-100)))) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("adjust_pct must be -100 or more"),
				 errdetail("adjust_pct is %s.", DatumGetCString(DirectFunctionCall1(numeric_out, adjust_pct)))));
	if (parent == NULL && (bk_numeric_sign(DatumGetNumeric(adjust_pct)) != 0 ||
						   bk_numeric_sign(DatumGetNumeric(adjust_amount)) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("adjust_pct and adjust_amount need a parent plan"),
				 errdetail("Plan \"%s\" has no parent: its prices are set with booking.set_rates.", code),
				 errhint("Pass parent => 'BASE' (or another plan) to derive its prices.")));
	if (!PG_ARGISNULL(7) && PG_GETARG_INT32(7) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("base_occupancy must be at least 1"),
				 errdetail("base_occupancy is %d.", PG_GETARG_INT32(7)),
				 errhint("Pass NULL for a plan priced per room.")));

	bk_connect();
	bk_require_property(property_id);
	bk_lock_room_type(property_id, room_type);

	/*
	 * A plan cannot be its own parent, nor reach itself through parents;
	 * the walk up from the parent finds the root its prices come from.
	 */
	if (parent != NULL)
	{
		char	   *current = parent;
		int			depth = 0;

		root = BK_BASE_PLAN;
		while (current != NULL && strcmp(current, BK_BASE_PLAN) != 0)
		{
			char	   *next;

			if (strcmp(current, code) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("rate plan \"%s\" would derive from itself", code),
						 errdetail("Property %lld, room type \"%s\": parent \"%s\" %s \"%s\".",
								   (long long) property_id, room_type, parent,
								   current == parent ? "is" : "derives, through its parents, from",
								   code),
						 errhint("Derive it from 'BASE' or from a plan that does not derive from it.")));
			if (!plan_parent(property_id, room_type, current, &next))
			{
				if (current == parent)
					bk_report_no_plan(property_id, room_type, parent);
				break;
			}
			if (next == NULL)
				root = current;	/* priced by set_rates */
			if (++depth >= BK_MAX_PLAN_DEPTH)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("rate plan \"%s\" would be derived through more than %d plans",
								code, BK_MAX_PLAN_DEPTH)));
			current = next;
		}
	}
	if (policy != NULL)
	{
		args[0] = Int64GetDatum(property_id);
		args[1] = CStringGetTextDatum(policy);
		bk_exec(&policy_exists_plan, args, NULL, 1);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NOT_FOUND),
					 errmsg("cancellation policy \"%s\" does not exist", policy),
					 errdetail("Property %lld has no policy \"%s\".", (long long) property_id, policy),
					 errhint("Add it with booking.add_policy.")));
	}
	{
		char	   *existing;

		if (plan_parent(property_id, room_type, code, &existing))
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("rate plan \"%s\" already exists", code),
					 errdetail("Property %lld, room type \"%s\" has a plan \"%s\".",
							   (long long) property_id, room_type, code),
					 errhint("Choose another code.")));
	}

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = CStringGetTextDatum(code);
	args[3] = CStringGetTextDatum(name);
	args[4] = parent ? CStringGetTextDatum(parent) : (Datum) 0;
	nulls[4] = parent ? ' ' : 'n';
	args[5] = adjust_pct;
	args[6] = adjust_amount;
	args[7] = PG_ARGISNULL(7) ? (Datum) 0 : PG_GETARG_DATUM(7);
	nulls[7] = PG_ARGISNULL(7) ? 'n' : ' ';
	args[8] = extra_adult;
	args[9] = extra_child;
	args[10] = meal_plan ? CStringGetTextDatum(meal_plan) : (Datum) 0;
	nulls[10] = meal_plan ? ' ' : 'n';
	args[11] = policy ? CStringGetTextDatum(policy) : (Datum) 0;
	nulls[11] = policy ? ' ' : 'n';
	bk_exec(&insert_plan_plan, args, nulls, 0);
	bk_exec(&flag_plans_plan, args, NULL, 0);
	if (root != NULL)
		bk_plans_check_prices(property_id, room_type, root, bk_local_today("UTC") - 1, 0);
	bk_finish();
	PG_RETURN_VOID();
}

static BookingPlan set_base_prices_plan = {
	"UPDATE booking.inventory SET price = $5"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4",
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, NUMERICOID}
};

static BookingPlan upsert_rates_plan = {
	"INSERT INTO booking.rate AS r (property_id, room_type, rate_plan, night, price)"
	" SELECT $1, $2, $6, $3 OPERATOR(pg_catalog.+) g, $5"
	"   FROM pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g"
	" ON CONFLICT (property_id, room_type, rate_plan, night) DO UPDATE SET price = excluded.price",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, NUMERICOID, TEXTOID}
};

/*
 * booking_set_rates is set_rates(property_id, room_type, rate_plan,
 * first_night, end_night, price): the price of one room on the nights
 * [first_night, end_night) under a plan priced by set_rates, or under
 * 'BASE' (the inventory's price, on the nights that exist).  A derived
 * plan follows its parent: 22023.  Returns the nights priced.
 */
Datum
booking_set_rates(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	char	   *plan;
	DateADT		first_night;
	DateADT		end_night;
	Datum		args[6];
	int			written;

	bk_require_arg(fcinfo, 0, "property_id");
	property_id = PG_GETARG_INT64(0);
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, true);
	plan = bk_text_arg(fcinfo, 2, "rate_plan", BOOKING_MAX_CODE_BYTES, true, true);
	bk_require_arg(fcinfo, 3, "first_night");
	bk_require_arg(fcinfo, 4, "end_night");
	bk_require_arg(fcinfo, 5, "price");
	first_night = PG_GETARG_DATEADT(3);
	end_night = PG_GETARG_DATEADT(4);
	bk_validate_night_range(first_night, end_night, "the nights priced are");
	bk_validate_price(PG_GETARG_DATUM(5), "price");

	bk_connect();
	bk_require_property(property_id);
	bk_lock_room_type(property_id, room_type);
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(first_night);
	args[3] = DateADTGetDatum(end_night);
	args[4] = NumericGetDatum(bk_round_cents(PG_GETARG_NUMERIC(5)));	/* money: cents */
	args[5] = CStringGetTextDatum(plan);
	if (strcmp(plan, BK_BASE_PLAN) == 0)
	{
		bk_lock_nights(property_id, room_type, first_night, end_night);
		bk_exec(&set_base_prices_plan, args, NULL, 0);
		written = (int) SPI_processed;
		bk_calendar_refresh_range(property_id, room_type, first_night, end_night);
		bk_ari_note_range(property_id, room_type, first_night, end_night);
	}
	else
	{
		char	   *parent;

		if (!plan_parent(property_id, room_type, plan, &parent))
			bk_report_no_plan(property_id, room_type, plan);
		if (parent != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rate plan \"%s\" is derived from \"%s\": its prices follow it", plan, parent),
					 errdetail("Property %lld, room type \"%s\".", (long long) property_id, room_type),
					 errhint("Set the prices of \"%s\" instead, or of a plan without a parent.", parent)));
		bk_exec(&upsert_rates_plan, args, NULL, 0);
		written = (int) SPI_processed;
	}
	bk_plans_check_prices(property_id, room_type, plan, first_night, end_night);
	bk_finish();
	PG_RETURN_INT32(written);
}

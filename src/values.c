/*-------------------------------------------------------------------------
 * values.c
 *    Small helpers on Datums and dates that several files need: comparing
 *    two text values byte for byte, building an int8[], ordering int64s,
 *    the first day of a month, money rounded to cents.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "booking.h"

/*
 * bk_same_text says whether two text values are the same string.
 */
bool
bk_same_text(Datum a, Datum b)
{
	text	   *x = DatumGetTextPP(a);
	text	   *y = DatumGetTextPP(b);

	return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}

/*
 * bk_int8_array builds an int8[] Datum from n values.
 */
Datum
bk_int8_array(int64 *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * bk_int64_cmp orders int64s ascending (qsort, qunique).
 */
int
bk_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * bk_first_of_month returns the first day of the month of `day`.
 */
DateADT
bk_first_of_month(DateADT day)
{
	int			year;
	int			month;
	int			mday;

	j2date(day + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	return date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * bk_next_month returns the first day of the month after `first`.
 */
DateADT
bk_next_month(DateADT first)
{
	int			year;
	int			month;
	int			mday;

	j2date(first + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	if (++month > 12)
	{
		month = 1;
		year++;
	}
	return date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * bk_base_plan_text is the text 'BASE', the plan every room type has: the
 * inventory's own price (2.0).
 */
Datum
bk_base_plan_text(void)
{
	static text *base = NULL;

	if (base == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		base = cstring_to_text(BK_BASE_PLAN);
		MemoryContextSwitchTo(old);
	}
	return PointerGetDatum(base);
}

/*
 * made_once returns `value`, a numeric made in the caller's context, as a
 * copy kept in TopMemoryContext at *kept (made on the first call).
 */
static Datum
made_once(Numeric *kept, int64 value)
{
	if (*kept == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		*kept = int64_to_numeric(value);
		MemoryContextSwitchTo(old);
	}
	return NumericGetDatum(*kept);
}

/*
 * bk_numeric_zero is the numeric 0 (made once: the pricing loops compare
 * with it and sum from it every night).
 */
Datum
bk_numeric_zero(void)
{
	static Numeric zero = NULL;

	return made_once(&zero, 0);
}

/*
 * bk_max_price is BOOKING_MAX_PRICE as a numeric (made once: every
 * derived price is compared with it).
 */
Datum
bk_max_price(void)
{
	static Numeric max_price = NULL;

	return made_once(&max_price, BOOKING_MAX_PRICE);
}

/*
 * bk_cents_zero is the amount 0.00 (made once): what an amount that is
 * nothing prints as.
 */
Datum
bk_cents_zero(void)
{
	static Numeric zero = NULL;

	if (zero == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		zero = bk_round_cents(int64_to_numeric(0));
		MemoryContextSwitchTo(old);
	}
	return NumericGetDatum(zero);
}

/*
 * bk_hundredth is the number 0.01 (made once): a percentage times it is
 * a fraction, exactly.
 */
Datum
bk_hundredth(void)
{
	static Numeric hundredth = NULL;

	if (hundredth == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		hundredth = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum("0.01"),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
		MemoryContextSwitchTo(old);
	}
	return NumericGetDatum(hundredth);
}

/*
 * bk_round_cents rounds an amount half-up (away from zero) to cents, the
 * one rounding every price and fee gets, once, where it is computed.
 */
Numeric
bk_round_cents(Numeric amount)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(amount),
											   Int32GetDatum(2)));
}

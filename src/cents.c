/*-------------------------------------------------------------------------
 * cents.c
 *    Prices as whole hundredths (int64) where that is exact: reading a
 *    numeric into cents without numeric arithmetic (bk_numeric_cents),
 *    making the numeric of a sum of cents back (bk_cents_numeric), and the
 *    sums search and reserve_range add prices into (BkPriceSum: in cents
 *    while every term is whole cents, numeric from the first that is not
 *    or from an overflow).
 *
 * Why.  search adds up every night of every room type of a city, and
 * numeric_add (a palloc'd result, the digits aligned by weight) was the
 * largest part of its own work after reading the rows.  A price that is a
 * whole number of cents sums exactly in an int64; a value that is not (a
 * fraction of a cent, NaN, an infinity, 10^16 or more) is left to the
 * numeric path.
 *
 * How.  bk_numeric_cents reads numeric's stored form directly: a uint16
 * header (the short form: sign, display scale and weight packed in it;
 * the long form: sign and display scale, then an int16 weight), then
 * base-10000 digits, the first of weight `weight`.  numeric.c keeps the
 * form private, but it is the on-disk format, unchanged since
 * PostgreSQL 9.1 (pg_upgrade carries numeric columns over as they are),
 * so reading it is as safe as reading any stored row.  The results are
 * compared as text with SQL's sums in the regression suite
 * (test/sql/14_search_oracle.sql: search's totals, and reserve_range's
 * through bk_nights_total) over prices of every scale.  The numeric made
 * back has the display scale numeric_add would have given the sum (the
 * largest of its terms'), so totals print as they did.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/numeric.h"

#include "booking.h"

/* numeric.c's stored form (the parts bk_numeric_cents reads) */
#define STORED_NBASE			10000
#define STORED_SIGN_MASK		0xC000	/* the header's top two bits */
#define STORED_NEG				0x4000	/* long form, negative */
#define STORED_SHORT			0x8000	/* short form */
#define STORED_SPECIAL			0xC000	/* NaN, +Infinity, -Infinity */
#define STORED_DSCALE_MASK		0x3FFF	/* long form */
#define STORED_SHORT_SIGN		0x2000
#define STORED_SHORT_DSCALE_MASK	0x1F80
#define STORED_SHORT_DSCALE_SHIFT	7
#define STORED_SHORT_WEIGHT_SIGN	0x0040
#define STORED_SHORT_WEIGHT_MASK	0x003F

/* The largest weight read: values below 10000^4 = 10^16, so cents < 10^18 */
#define MAX_WEIGHT				3
/* The largest display scale read (a price of 76.2500 is 7625 cents) */
#define MAX_DSCALE				15

/*
 * read_uint16 reads a uint16 at any alignment (an array's element with a
 * one-byte varlena header is not aligned).
 */
static inline uint16
read_uint16(const char *p)
{
	uint16		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * bk_numeric_cents sets *cents to `value` in hundredths and *dscale to its
 * display scale, and returns true, when that is exact: a whole number of
 * cents (76.25, or 76.2500: a price times 1.25 has four decimals, the last
 * two zeros), a magnitude below 10^16, a display scale of at most
 * MAX_DSCALE.  Otherwise (a fraction of a cent, NaN, an infinity, a larger
 * value) it returns false and sets neither.
 */
bool
bk_numeric_cents(Datum value, int64 *cents, int *dscale)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	const char *data;
	int			size;
	uint16		header;
	bool		negative;
	int			scale;
	int			weight;
	int			ndigits;
	const char *digits;
	int64		sum = 0;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		return false;			/* never so inside an array; a caller's Datum may be */
	data = VARDATA_ANY(v);
	size = VARSIZE_ANY_EXHDR(v);
	if (size < (int) sizeof(uint16))
		return false;
	header = read_uint16(data);
	if ((header & STORED_SIGN_MASK) == STORED_SPECIAL)
		return false;
	if ((header & STORED_SIGN_MASK) == STORED_SHORT)
	{
		negative = (header & STORED_SHORT_SIGN) != 0;
		scale = (header & STORED_SHORT_DSCALE_MASK) >> STORED_SHORT_DSCALE_SHIFT;
		weight = (header & STORED_SHORT_WEIGHT_MASK);
		if (header & STORED_SHORT_WEIGHT_SIGN)
			weight |= ~STORED_SHORT_WEIGHT_MASK;
		digits = data + sizeof(uint16);
	}
	else
	{
		if (size < (int) (2 * sizeof(uint16)))
			return false;
		negative = (header & STORED_SIGN_MASK) == STORED_NEG;
		scale = header & STORED_DSCALE_MASK;
		weight = (int16) read_uint16(data + sizeof(uint16));
		digits = data + 2 * sizeof(uint16);
	}
	ndigits = (size - (int) (digits - data)) / (int) sizeof(int16);
	if (scale > MAX_DSCALE || (ndigits > 0 && weight > MAX_WEIGHT))
		return false;
	for (int i = 0; i < ndigits; i++)
	{
		int			digit = (int16) read_uint16(digits + i * sizeof(int16));
		int			exponent = weight - i;	/* the digit counts NBASE^exponent */
		int64		hundredths;

		if (digit < 0 || digit >= STORED_NBASE)
			return false;
		if (exponent >= 0)
		{
			hundredths = digit * INT64CONST(100);
			for (int k = 0; k < exponent; k++)
				hundredths *= STORED_NBASE;
		}
		else if (exponent == -1 && digit % 100 == 0)
			hundredths = digit / 100;
		else if (digit == 0)
			hundredths = 0;
		else
			return false;		/* finer than a cent */
		sum += hundredths;		/* < 10^18 in all: no overflow */
	}
	*cents = negative ? -sum : sum;
	*dscale = scale;
	return true;
}

/*
 * bk_cents_numeric makes the numeric of `cents` hundredths with display
 * scale `dscale` (at most MAX_DSCALE), which must be exact: below 2, no
 * term of the sum had more decimals than that.  Above 2 the digits after
 * the cents are zeros, written as numeric_round writes them.
 */
Datum
bk_cents_numeric(int64 cents, int dscale)
{
	int64		whole = cents;

	Assert(dscale >= 0 && dscale <= MAX_DSCALE);
	if (dscale > 2)
		return DirectFunctionCall2(numeric_round,
								   NumericGetDatum(int64_div_fast_to_numeric(cents, 2)),
								   Int32GetDatum(dscale));
	for (int s = dscale; s < 2; s++)
		whole /= 10;
	return NumericGetDatum(int64_div_fast_to_numeric(whole, dscale));
}

/*
 * bk_price_sum_numeric returns the sum as numeric (made once, when in cents).
 */
Datum
bk_price_sum_numeric(BkPriceSum *sum)
{
	if (sum->numeric == (Datum) 0)
		sum->numeric = bk_cents_numeric(sum->cents, sum->dscale);
	return sum->numeric;
}

/*
 * bk_price_sum_set_numeric makes `sum` the numeric `value`, a copy of it
 * (bk_price_sum_set's path for a price that is not whole cents).
 */
void
bk_price_sum_set_numeric(BkPriceSum *sum, Datum value)
{
	sum->in_cents = false;
	sum->cents = 0;
	sum->dscale = 0;
	sum->numeric = datumCopy(value, false, -1);
}

/*
 * bk_price_sum_add_numeric adds `more` to `into` as numeric
 * (bk_price_sum_add's path once a term is not whole cents, or the cents
 * overflow).
 */
void
bk_price_sum_add_numeric(BkPriceSum *into, BkPriceSum *more)
{
	into->numeric = DirectFunctionCall2(numeric_add, bk_price_sum_numeric(into), bk_price_sum_numeric(more));
	into->in_cents = false;
}

/*
 * bk_price_sum_times multiplies `sum` by `rooms`, as numeric_mul would (the
 * display scale stays).
 */
void
bk_price_sum_times(BkPriceSum *sum, int32 rooms)
{
	int64		product;

	if (rooms == 1)
		return;
	if (sum->in_cents && !pg_mul_s64_overflow(sum->cents, rooms, &product))
	{
		sum->cents = product;
		sum->numeric = (Datum) 0;
		return;
	}
	sum->numeric = DirectFunctionCall2(numeric_mul, bk_price_sum_numeric(sum),
									   DirectFunctionCall1(int4_numeric, Int32GetDatum(rooms)));
	sum->in_cents = false;
}

/*
 * bk_price_sum_cmp compares two sums by value, as numeric_cmp.
 */
int
bk_price_sum_cmp(BkPriceSum *x, BkPriceSum *y)
{
	if (x->in_cents && y->in_cents)
		return (x->cents > y->cents) - (x->cents < y->cents);
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, bk_price_sum_numeric(x), bk_price_sum_numeric(y)));
}

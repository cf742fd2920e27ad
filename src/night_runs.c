/*-------------------------------------------------------------------------
 * night_runs.c
 *    The nights of several stays of one property locked together (2.0's
 *    groups): the stays' nights are merged into runs, one per stretch of
 *    nights of one room type that the stays cover without a gap, and the
 *    runs are locked in the one global order, by (room_type, night), as
 *    inventory_pkey sorts them.  Two stays of one room type that touch or
 *    overlap are one run, so no night is locked twice and no night between
 *    two stays far apart is locked at all.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "booking.h"

/*
 * bk_room_type_cmp orders room types (text) as inventory_pkey sorts
 * them: the one global lock order's first key after the property.
 */
int
bk_room_type_cmp(Datum a, Datum b)
{
	text	   *ta = DatumGetTextPP(a);
	text	   *tb = DatumGetTextPP(b);

	return varstr_cmp(VARDATA_ANY(ta), VARSIZE_ANY_EXHDR(ta),
					  VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(tb), DEFAULT_COLLATION_OID);
}

static int
span_cmp(const void *a, const void *b)
{
	const BkStaySpan *x = a;
	const BkStaySpan *y = b;
	int			c = bk_room_type_cmp(x->room_type, y->room_type);

	if (c != 0)
		return c;
	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * bk_night_runs merges the stays spans[0..n) into runs, in the global
 * lock order; returns how many.  Nothing is locked yet.
 */
int
bk_night_runs(const BkStaySpan *spans, int n, BkNightRun **runs)
{
	BkStaySpan *sorted = palloc(sizeof(BkStaySpan) * Max(n, 1));
	int			nruns = 0;

	memcpy(sorted, spans, sizeof(BkStaySpan) * n);
	qsort(sorted, n, sizeof(BkStaySpan), span_cmp);
	*runs = palloc0(sizeof(BkNightRun) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		BkNightRun *last = nruns > 0 ? &(*runs)[nruns - 1] : NULL;

		if (last && bk_same_text(last->room_type, sorted[i].room_type) &&
			sorted[i].first <= last->end)
		{
			last->end = Max(last->end, sorted[i].end);
			continue;
		}
		(*runs)[nruns].room_type = sorted[i].room_type;
		(*runs)[nruns].first = sorted[i].first;
		(*runs)[nruns].end = sorted[i].end;
		nruns++;
	}
	return nruns;
}

/*
 * bk_night_runs_lock locks the nights of every run, run after run in the
 * global order (or, when `lock` is false, reads them as the unit's
 * snapshot sees them), each night's deltas set to 0.
 */
void
bk_night_runs_lock(BkDirect *d, int64 property_id, BkNightRun *runs, int nruns, bool lock)
{
	for (int i = 0; i < nruns; i++)
	{
		BkNightRun *run = &runs[i];

		if (lock)
			bk_nights_lock(d, property_id, run->room_type, run->first, run->end, &run->nights);
		else
			bk_nights_read(d, property_id, run->room_type, run->first, run->end, &run->nights);
		run->held_delta = palloc0(sizeof(int32) * Max(run->nights.n, 1));
		run->booked_delta = palloc0(sizeof(int32) * Max(run->nights.n, 1));
	}
}

/*
 * bk_night_runs_slice finds the run that holds the nights [first, end) of
 * `room_type` and puts in *slice the nights of it that it has, in order
 * (fewer than asked when some have no inventory row: bk_nights_shortage
 * and bk_nights_require_all tell).  Returns the run; *offset is where
 * the slice starts in it.
 */
BkNightRun *
bk_night_runs_slice(BkNightRun *runs, int nruns, Datum room_type, DateADT first, DateADT end,
					BkNights *slice, int *offset)
{
	for (int i = 0; i < nruns; i++)
	{
		BkNightRun *run = &runs[i];
		int			start = 0;
		int			stop;

		if (run->first > first || run->end < end || !bk_same_text(run->room_type, room_type))
			continue;
		while (start < run->nights.n && run->nights.nights[start].night < first)
			start++;
		stop = start;
		while (stop < run->nights.n && run->nights.nights[stop].night < end)
			stop++;
		slice->nights = run->nights.nights + start;
		slice->n = stop - start;
		*offset = start;
		return run;
	}
	elog(ERROR, "booking: no run of nights holds the stay");
	return NULL;				/* keep the compiler quiet */
}

/*
 * bk_night_runs_apply changes every night of the runs by its deltas (what
 * the stays take or give back there, all together), writing each night
 * once.
 */
void
bk_night_runs_apply(BkDirect *d, BkNightRun *runs, int nruns)
{
	for (int i = 0; i < nruns; i++)
		for (int k = 0; k < runs[i].nights.n; k++)
			if (runs[i].held_delta[k] != 0 || runs[i].booked_delta[k] != 0)
				bk_night_change(d, &runs[i].nights.nights[k], runs[i].held_delta[k],
								runs[i].booked_delta[k]);
}

/*-------------------------------------------------------------------------
 * ari_read.c
 *    Reading the ARI feed (the body of booking.read_ari, ari.c): a
 *    consumer's next changes from booking.ari_change, expanded to their
 *    nights, each night once under its latest change_id, with its values
 *    as they are now.
 *
 * How a read goes.  The changes come from the log through a cursor, in
 * change_id order, only as many as the read takes (as many as have `max`
 * nights in all, at least one, never one split).  Their nights go into a
 * hash keyed by (room type, night), so that a night ten changes touched
 * is one entry, under the latest.  The entries, sorted by room type and
 * night, fall into runs of consecutive nights; each run's inventory rows
 * are read with one index range scan (inventory.c's bk_nights_read, no
 * SQL), and the stop-sells of all the runs with one statement.  The rows
 * go out in (change_id, night) order: a change_id belongs to one room
 * type, so that is the order of (change_id, property, room type, night).
 *
 * Why not one SQL statement (the first version): joining every night to
 * its inventory row made the planner hash the whole inventory table, a
 * sequential scan per read that grows with the hotel's calendar, not with
 * the read (45 ms for a read of 10,000 nights on a 120,000-night
 * calendar, docs/performance.md); and a plan per night lookup would
 * descend the index once per night rather than once per run.
 *
 * Which state the values show.  The changes are read first; the inventory
 * and stop-sells after them, with a snapshot taken after (bk_direct_begin
 * takes a new one under READ COMMITTED), so a value is never older than
 * the change that announced it.  A value newer than its change is fine:
 * a later change of that night is in the log too and sends it again.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"

#include "booking.h"

/* How many changes the cursor fetches at a time */
#define CHANGES_PER_FETCH	256

/* The consumer's changes after $1, in order; at most $2 (each has a night) */
static BookingPlan changes_plan = {
	"SELECT change_id, property_id, room_type, first_night, end_night, xmin"
	"  FROM booking.ari_change WHERE change_id OPERATOR(pg_catalog.>) $1"
	" ORDER BY change_id LIMIT $2",
	2, {INT8OID, INT4OID}, CURSOR_OPT_GENERIC_PLAN | CURSOR_OPT_NO_SCROLL
};

/* The stop-sold nights of the runs: run $1[i] is $2[i]'s nights [$3[i], $4[i]) */
static BookingPlan stop_sells_plan = {
	"SELECT g.run::int, s.night"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
	"                 pg_catalog.unnest($4)) WITH ORDINALITY"
	"       AS g(property_id, room_type, first_night, end_night, run)"
	"  JOIN booking.stay_rule s"
	"    ON s.property_id OPERATOR(pg_catalog.=) g.property_id"
	"   AND s.room_type OPERATOR(pg_catalog.=) g.room_type"
	"   AND s.night OPERATOR(pg_catalog.>=) g.first_night"
	"   AND s.night OPERATOR(pg_catalog.<) g.end_night"
	" WHERE s.stop_sell",
	4, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID, DATEARRAYOID}
};

/* One change of the log */
typedef struct AriChange
{
	int64		change_id;
	int64		property_id;
	Datum		room_type;		/* text */
	DateADT		first;
	DateADT		end;
	int32		room;			/* which (property, room type): see number_rooms */
} AriChange;

/* One night to send: the hash's key and value, then its values now */
typedef struct AriNight
{
	int32		room;			/* key: the (property, room type) */
	DateADT		night;			/* key */
	int64		change_id;		/* the latest change of the night read */
	const AriChange *change;	/* that change (its property and room type) */
	int32		available;
	Datum		price;
	bool		price_null;
	bool		closed;
} AriNight;

/* A run of consecutive nights of one room type, read with one index scan */
typedef struct AriRun
{
	AriNight   *nights;			/* the run's entries, in night order */
	int			n;
} AriRun;

/*
 * fetch_changes reads the changes after `acked` that one read delivers:
 * in order, while their nights add up to at most `max` (the first always,
 * whole).  Returns how many, in *changes.
 *
 * Under REPEATABLE READ or SERIALIZABLE it stops at this transaction's own
 * first change.  A transaction that records a change draws its change_id
 * under the publisher's lock, after every change committed so far, but
 * its snapshot may predate some of those: it would see its own change and
 * not theirs, and a consumer acknowledging its change_id would skip them
 * for good.  What it sees before its own changes is a prefix of the log
 * (they committed in change_id order), so it reads only that; its own
 * changes are read after it commits.
 */
static int
fetch_changes(int64 acked, int32 max, AriChange **changes)
{
	Datum		args[2] = {Int64GetDatum(acked), Int32GetDatum(max)};
	Portal		cursor = bk_cursor_open(&changes_plan, args, NULL);
	int			n = 0;
	int			capacity = CHANGES_PER_FETCH;
	int64		nights = 0;
	bool		full = false;
	bool		snapshot_prefix = IsolationUsesXactSnapshot();

	*changes = palloc(sizeof(AriChange) * capacity);
	while (!full)
	{
		SPI_cursor_fetch(cursor, true, CHANGES_PER_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			AriChange  *change;
			DateADT		first = DatumGetDateADT(bk_get_notnull(row, 4));
			DateADT		end = DatumGetDateADT(bk_get_notnull(row, 5));

			if ((n > 0 && nights + (end - first) > max) ||
				(snapshot_prefix &&
				 TransactionIdIsCurrentTransactionId(DatumGetTransactionId(bk_get_notnull(row, 6)))))
			{
				full = true;
				break;
			}
			if (n == capacity)
			{
				capacity *= 2;
				*changes = repalloc(*changes, sizeof(AriChange) * capacity);
			}
			change = &(*changes)[n++];
			change->change_id = bk_get_int64(row, 1);
			change->property_id = bk_get_int64(row, 2);
			change->room_type = datumCopy(bk_get_notnull(row, 3), false, -1);
			change->first = first;
			change->end = end;
			nights += end - first;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(cursor);
	return n;
}

static int
change_room_cmp(const void *a, const void *b)
{
	const AriChange *x = *(const AriChange *const *) a;
	const AriChange *y = *(const AriChange *const *) b;

	if (x->property_id != y->property_id)
		return x->property_id < y->property_id ? -1 : 1;
	return bk_room_type_cmp(x->room_type, y->room_type);
}

/*
 * number_rooms gives every change the number of its (property, room
 * type), the same for the same pair.
 */
static void
number_rooms(AriChange *changes, int n)
{
	AriChange **sorted = palloc(sizeof(AriChange *) * n);
	int			rooms = 0;

	for (int i = 0; i < n; i++)
		sorted[i] = &changes[i];
	qsort(sorted, n, sizeof(AriChange *), change_room_cmp);
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && change_room_cmp(&sorted[i - 1], &sorted[i]) != 0)
			rooms++;
		sorted[i]->room = rooms;
	}
	pfree(sorted);
}

/*
 * latest_nights puts every night of the changes in a hash once, under the
 * latest change of it (changes come in change_id order, so the last one
 * wins).  Returns the nights, sorted by room and night, in *nights.
 */
static int
latest_nights(const AriChange *changes, int n, AriNight **nights)
{
	HASHCTL		ctl;
	HTAB	   *seen;
	HASH_SEQ_STATUS scan;
	AriNight   *entry;
	long		total = 0;
	int			count = 0;

	for (int i = 0; i < n; i++)
		total += changes[i].end - changes[i].first;
	ctl.keysize = offsetof(AriNight, change_id);
	ctl.entrysize = sizeof(AriNight);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("booking ARI nights", Max(total, 16), &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (int i = 0; i < n; i++)
		for (DateADT night = changes[i].first; night < changes[i].end; night++)
		{
			AriNight	key = {.room = changes[i].room,.night = night};

			entry = hash_search(seen, &key, HASH_ENTER, NULL);
			entry->change_id = changes[i].change_id;
			entry->change = &changes[i];
		}

	*nights = palloc(sizeof(AriNight) * Max(hash_get_num_entries(seen), 1));
	hash_seq_init(&scan, seen);
	while ((entry = hash_seq_search(&scan)) != NULL)
		(*nights)[count++] = *entry;
	hash_destroy(seen);
	return count;
}

static int
night_room_cmp(const void *a, const void *b)
{
	const AriNight *x = a;
	const AriNight *y = b;

	if (x->room != y->room)
		return x->room < y->room ? -1 : 1;
	return x->night < y->night ? -1 : x->night > y->night;
}

static int
night_change_cmp(const void *a, const void *b)
{
	const AriNight *x = a;
	const AriNight *y = b;

	if (x->change_id != y->change_id)
		return x->change_id < y->change_id ? -1 : 1;
	return x->night < y->night ? -1 : x->night > y->night;
}

/*
 * find_runs splits the nights (sorted by room and night) into runs of
 * consecutive nights of one room type; returns how many.
 */
static int
find_runs(AriNight *nights, int n, AriRun **runs)
{
	int			count = 0;

	*runs = palloc(sizeof(AriRun) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		AriRun	   *last = count > 0 ? &(*runs)[count - 1] : NULL;

		if (last && last->nights[last->n - 1].room == nights[i].room &&
			last->nights[last->n - 1].night + 1 == nights[i].night)
		{
			last->n++;
			continue;
		}
		(*runs)[count].nights = &nights[i];
		(*runs)[count].n = 1;
		count++;
	}
	return count;
}

/*
 * read_values fills in each night's availability and price from its
 * inventory row, one index range scan per run.  A night with no row is
 * not on sale: closed, nothing available, no price.
 */
static void
read_values(AriRun *runs, int nruns)
{
	BkDirect	d;

	bk_direct_begin(&d, false);
	for (int r = 0; r < nruns; r++)
	{
		AriRun	   *run = &runs[r];
		const AriChange *change = run->nights[0].change;
		BkNights	rows;
		int			k = 0;

		bk_nights_read(&d, change->property_id, change->room_type, run->nights[0].night,
					   run->nights[run->n - 1].night + 1, &rows);
		for (int i = 0; i < run->n; i++)
		{
			AriNight   *night = &run->nights[i];

			while (k < rows.n && rows.nights[k].night < night->night)
				k++;
			if (k < rows.n && rows.nights[k].night == night->night)
			{
				night->available = Max(0, BK_NIGHT_FREE(&rows.nights[k]));
				night->price = rows.nights[k].price;
				night->price_null = false;
				night->closed = false;
			}
			else
			{
				night->available = 0;
				night->price_null = true;
				night->closed = true;
			}
		}
	}
	bk_direct_end(&d);
}

/*
 * read_stop_sells closes the nights a stay rule stops selling: one
 * statement for every run.
 */
static void
read_stop_sells(AriRun *runs, int nruns)
{
	Datum	   *properties = palloc(sizeof(Datum) * nruns);
	Datum	   *room_types = palloc(sizeof(Datum) * nruns);
	Datum	   *firsts = palloc(sizeof(Datum) * nruns);
	Datum	   *ends = palloc(sizeof(Datum) * nruns);
	Datum		args[4];

	for (int r = 0; r < nruns; r++)
	{
		const AriChange *change = runs[r].nights[0].change;

		properties[r] = Int64GetDatum(change->property_id);
		room_types[r] = change->room_type;
		firsts[r] = DateADTGetDatum(runs[r].nights[0].night);
		ends[r] = DateADTGetDatum(runs[r].nights[runs[r].n - 1].night + 1);
	}
	args[0] = PointerGetDatum(construct_array(properties, nruns, INT8OID, sizeof(int64),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_array(room_types, nruns, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(firsts, nruns, DATEOID, sizeof(DateADT), true,
											  TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(ends, nruns, DATEOID, sizeof(DateADT), true, TYPALIGN_INT));
	bk_exec(&stop_sells_plan, args, NULL, 0);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		AriRun	   *run = &runs[bk_get_int32(row, 1) - 1];
		int			offset = DatumGetDateADT(bk_get_notnull(row, 2)) - run->nights[0].night;

		if (offset < 0 || offset >= run->n)
			elog(ERROR, "booking: a stop-sell outside the run it was read for");
		run->nights[offset].closed = true;
	}
}

/*
 * bk_ari_read puts in the set-returning function's result the nights of
 * the changes after `acked`, at most `max` of them (the first change
 * whole however many), each once with its latest change_id and its
 * values now, in (change_id, night) order.  Inside SPI.
 */
void
bk_ari_read(FunctionCallInfo fcinfo, int64 acked, int32 max)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AriChange  *changes;
	AriNight   *nights;
	AriRun	   *runs;
	int			nchanges;
	int			nnights;
	int			nruns;

	nchanges = fetch_changes(acked, max, &changes);
	if (nchanges == 0)
		return;
	number_rooms(changes, nchanges);
	nnights = latest_nights(changes, nchanges, &nights);
	qsort(nights, nnights, sizeof(AriNight), night_room_cmp);
	nruns = find_runs(nights, nnights, &runs);
	read_values(runs, nruns);
	read_stop_sells(runs, nruns);

	qsort(nights, nnights, sizeof(AriNight), night_change_cmp);
	for (int i = 0; i < nnights; i++)
	{
		AriNight   *night = &nights[i];
		Datum		values[7];
		bool		nulls[7] = {false};

		values[0] = Int64GetDatum(night->change_id);
		values[1] = Int64GetDatum(night->change->property_id);
		values[2] = night->change->room_type;
		values[3] = DateADTGetDatum(night->night);
		values[4] = Int32GetDatum(night->available);
		values[5] = night->price;
		nulls[5] = night->price_null;
		values[6] = BoolGetDatum(night->closed);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*-------------------------------------------------------------------------
 * block_release.c
 *    Releasing block nights at their cutoff (2.0, blocks): the block
 *    nights whose release_due has come (release_at, or 00:00 local time
 *    release_days before the night) and that are not released yet are
 *    released in batches: what they set aside and was not picked up goes
 *    back on public sale.  The sweeper does it each round, a batch of
 *    booking.sweep_batch nights per transaction; booking.release_due_blocks()
 *    does it without the worker, as expire_holds() does for expiry.
 *
 * Lock order: the inventory nights of each room type ascending (the due
 * nights sorted by property, room type, night), then the block_night
 * rows.  The waits are bounded (booking.lock_timeout, the sweeper's
 * booking.sweeper_lock_timeout): a busy batch fails BK007 and is left
 * for the next round.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_release_due_blocks);

/* The due block nights, in the global lock order, at most $1 */
static BookingPlan due_nights_plan = {
	"SELECT property_id, room_type, code, night"
	"  FROM booking.block_night"
	" WHERE NOT released AND release_due OPERATOR(pg_catalog.<=) pg_catalog.now()"
	" ORDER BY property_id, room_type, night, code"
	" LIMIT $1",
	1, {INT8OID}
};

/* Those block nights locked (after the inventory), still not released */
static BookingPlan lock_due_plan = {
	"SELECT b.property_id, b.room_type, b.night, b.rooms OPERATOR(pg_catalog.-) b.picked"
	"  FROM booking.block_night b"
	"  JOIN ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::text[]),"
	"                   pg_catalog.unnest($3::date[])) u(property_id, code, night)"
	"    ON b.property_id OPERATOR(pg_catalog.=) u.property_id AND b.code OPERATOR(pg_catalog.=) u.code"
	"   AND b.night OPERATOR(pg_catalog.=) u.night"
	" WHERE NOT b.released"
	" ORDER BY b.property_id, b.room_type, b.night, b.code"
	"   FOR UPDATE OF b",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}
};

static BookingPlan mark_released_plan = {
	"UPDATE booking.block_night b SET released = true"
	"  FROM ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::text[]),"
	"                   pg_catalog.unnest($3::date[])) u(property_id, code, night)"
	" WHERE b.property_id OPERATOR(pg_catalog.=) u.property_id AND b.code OPERATOR(pg_catalog.=) u.code"
	"   AND b.night OPERATOR(pg_catalog.=) u.night AND NOT b.released",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}
};

/* A block whose every night is released is released */
static BookingPlan mark_heads_plan = {
	"UPDATE booking.room_block h SET released_at = pg_catalog.now()"
	"  FROM (SELECT DISTINCT property_id, code"
	"          FROM ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::text[])) u(property_id, code)) u"
	" WHERE h.property_id OPERATOR(pg_catalog.=) u.property_id AND h.code OPERATOR(pg_catalog.=) u.code"
	"   AND h.released_at IS NULL"
	"   AND NOT EXISTS (SELECT 1 FROM booking.block_night b"
	"                    WHERE b.property_id OPERATOR(pg_catalog.=) h.property_id"
	"                      AND b.code OPERATOR(pg_catalog.=) h.code AND NOT b.released)",
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/* One due night of one room type: what its block nights give back */
typedef struct DueNight
{
	int64		property_id;
	char	   *room_type;
	DateADT		night;
	int32		unpicked;
} DueNight;

static Datum
array_of(Datum *values, int n, Oid type)
{
	int16		len;
	bool		byval;
	char		align;

	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_array(values, n, type, len, byval, align));
}

/*
 * release_due releases at most `max` due block nights (inside SPI) and
 * returns how many it released.
 */
static int
release_due(int64 max)
{
	Datum		arg = Int64GetDatum(max);
	int			n;
	Datum	   *pids;
	Datum	   *codes;
	Datum	   *days;
	DueNight   *due;
	int			ndue = 0;
	Datum		args[3];
	BkDirect	d;
	int			g;

	if (!bk_schema_has_blocks())
		return 0;
	bk_exec(&due_nights_plan, &arg, NULL, 0);
	n = (int) SPI_processed;
	if (n == 0)
		return 0;
	pids = palloc(sizeof(Datum) * n);
	codes = palloc(sizeof(Datum) * n);
	days = palloc(sizeof(Datum) * n);
	due = palloc(sizeof(DueNight) * n);
	for (int i = 0; i < n; i++)
	{
		int64		pid = bk_get_int64(i, 1);
		char	   *room_type = TextDatumGetCString(bk_get_notnull(i, 2));
		DateADT		night = DatumGetDateADT(bk_get_notnull(i, 4));

		pids[i] = Int64GetDatum(pid);
		codes[i] = PointerGetDatum(DatumGetTextPCopy(bk_get_notnull(i, 3)));
		days[i] = DateADTGetDatum(night);
		/* one entry per (property, room type, night): the list is in that order */
		if (ndue == 0 || due[ndue - 1].property_id != pid ||
			strcmp(due[ndue - 1].room_type, room_type) != 0 || due[ndue - 1].night != night)
		{
			due[ndue].property_id = pid;
			due[ndue].room_type = room_type;
			due[ndue].night = night;
			due[ndue].unpicked = 0;
			ndue++;
		}
	}

	/* the inventory nights, each room type's in night order, then the block nights */
	bk_direct_begin(&d, true);
	{
		BkNights   *locked = palloc(sizeof(BkNights) * ndue);
		int		   *run_start = palloc(sizeof(int) * ndue);	/* each run's first due night */
		int			nlocked = 0;

		for (int i = 0; i < ndue;)
		{
			int			j = i + 1;

			while (j < ndue && due[j].property_id == due[i].property_id &&
				   strcmp(due[j].room_type, due[i].room_type) == 0 &&
				   due[j].night == due[j - 1].night + 1)
				j++;
			run_start[nlocked] = i;
			bk_nights_lock(&d, due[i].property_id, CStringGetTextDatum(due[i].room_type),
						   due[i].night, due[j - 1].night + 1, &locked[nlocked++]);
			i = j;
		}

		args[0] = array_of(pids, n, INT8OID);
		args[1] = array_of(codes, n, TEXTOID);
		args[2] = array_of(days, n, DATEOID);
		bk_exec_locking(&lock_due_plan, args, NULL, 0, "due block nights");
		g = 0;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			int64		pid = bk_get_int64(r, 1);
			char	   *room_type = TextDatumGetCString(bk_get_notnull(r, 2));
			DateADT		night = DatumGetDateADT(bk_get_notnull(r, 3));

			while (g < ndue && !(due[g].property_id == pid && due[g].night == night &&
								 strcmp(due[g].room_type, room_type) == 0))
				g++;
			if (g == ndue)
				elog(ERROR, "block night %lld/%s/%s not among the due nights", (long long) pid,
					 room_type, bk_date_str(night));
			due[g].unpicked += bk_get_int32(r, 4);
		}

		/*
		 * Each night written once, with what all its due block nights give
		 * back: a run's due nights are consecutive, from run_start on (a
		 * night missing from the inventory is simply not locked).
		 */
		for (int k = 0; k < nlocked; k++)
			for (int x = 0; x < locked[k].n; x++)
			{
				BkNight    *night = &locked[k].nights[x];
				int			at = run_start[k] + (night->night - due[run_start[k]].night);

				if (due[at].unpicked > 0)	/* freed on public sale */
					bk_night_change_blocked(&d, night, 0, 0, -due[at].unpicked);
			}
	}
	bk_direct_end(&d);

	bk_exec(&mark_released_plan, args, NULL, 0);
	bk_exec(&mark_heads_plan, args, NULL, 0);

	/* the calendar of each room type follows, in one refresh, and the ARI feed */
	{
		int64	   *rpids = palloc(sizeof(int64) * ndue);
		char	  **rtypes = palloc(sizeof(char *) * ndue);
		DateADT    *rfirst = palloc(sizeof(DateADT) * ndue);
		DateADT    *rend = palloc(sizeof(DateADT) * ndue);
		int			nr = 0;

		for (int i = 0; i < ndue;)
		{
			int			j = i + 1;
			DateADT		last = due[i].night;

			while (j < ndue && due[j].property_id == due[i].property_id &&
				   strcmp(due[j].room_type, due[i].room_type) == 0)
			{
				last = due[j].night;
				j++;
			}
			rpids[nr] = due[i].property_id;
			rtypes[nr] = due[i].room_type;
			rfirst[nr] = due[i].night;
			rend[nr] = last + 1;
			nr++;
			i = j;
		}
		bk_calendar_refresh_ranges(nr, rpids, rtypes, rfirst, rend);
		for (int r = 0; r < nr; r++)	/* the ARI feed (ari.c) */
			bk_ari_note_range(rpids[r], rtypes[r], rfirst[r], rend[r]);
	}
	bk_waitlist_offer_freed(false); /* the freed units to the waitlist */
	return n;
}

/*
 * bk_release_due_blocks releases at most `max` due block nights in the
 * current transaction: the sweeper's batch.
 */
int
bk_release_due_blocks(int max)
{
	int			released;

	bk_connect();
	released = release_due(max);
	bk_finish();
	return released;
}

/*
 * booking_release_due_blocks is release_due_blocks(max): releases the due
 * block nights, at most max (NULL: all of them), and returns how many
 * block nights it released.
 */
Datum
booking_release_due_blocks(PG_FUNCTION_ARGS)
{
	int64		max = PG_ARGISNULL(0) ? PG_INT64_MAX : (int64) PG_GETARG_INT32(0);
	int			released;

	if (max < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must be at least 0"),
				 errdetail("max is %lld.", (long long) max)));
	bk_connect();
	released = release_due(max);
	bk_finish();
	PG_RETURN_INT32(released);
}

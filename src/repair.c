/*-------------------------------------------------------------------------
 * repair.c
 *    booking.repair_inventory(): the DBA's repair for nights whose held
 *    or booked count has drifted from the reservations (a restore raced
 *    by a sweeper before version 1.2, rows edited by hand).
 *
 * It recounts every night from the reservations that cover it, exactly
 * as check_invariants() does (held and payment_pending count as held,
 * confirmed as booked), locks the nights that disagree in the global
 * order (property_id, room_type, night), recounts them again under the
 * lock, writes the recount, refreshes the room calendar of what it
 * changed, and returns one row per night that disagreed.  A night whose
 * recount does not fit its units is reported and left as it is (the CHECK
 * would refuse it); so is a night that reservations cover but that has no
 * inventory row.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_repair_inventory);

/*
 * The nights that disagree, locked in the global order; from 2.0 also
 * those overbooked by more than they need (every unit coming free pays
 * overbooked down first, so such a night is corrupt).
 */
#define LOCK_DRIFTED_SQL(overbooked_drift) \
	"WITH" BK_RECOUNT_CTE \
	" SELECT pg_catalog.array_agg(property_id), pg_catalog.array_agg(room_type)," \
	"        pg_catalog.array_agg(night)" \
	"   FROM (SELECT i.property_id, i.room_type, i.night" \
	"           FROM booking.inventory i" \
	"           LEFT JOIN expected e" \
	"             ON e.property_id OPERATOR(pg_catalog.=) i.property_id" \
	"            AND e.room_type OPERATOR(pg_catalog.=) i.room_type" \
	"            AND e.night OPERATOR(pg_catalog.=) i.night" \
	"          WHERE i.held OPERATOR(pg_catalog.<>) COALESCE(e.held, 0)" \
	"             OR i.booked OPERATOR(pg_catalog.<>) COALESCE(e.booked, 0)" \
	overbooked_drift \
	"          ORDER BY i.property_id, i.room_type, i.night" \
	"            FOR UPDATE OF i) d"

#define OVERBOOKED_DRIFT(row, held, booked) \
	" OR " row ".overbooked OPERATOR(pg_catalog.>) GREATEST(0, (" held " OPERATOR(pg_catalog.+) " booked ")" \
	"                                                OPERATOR(pg_catalog.-) " row ".units)"

static BookingPlan lock_drifted_plan = {LOCK_DRIFTED_SQL(""), 0, {InvalidOid}};
static BookingPlan lock_drifted_2_0_plan = {
	LOCK_DRIFTED_SQL(OVERBOOKED_DRIFT("i", "i.held OPERATOR(pg_catalog.+) i.blocked", "i.booked")), 0, {InvalidOid}
};

/*
 * The locked nights $1/$2/$3, recounted under the lock; those that still
 * disagree and fit their units are fixed.  One row per night that still
 * disagrees, fixed or not.  From 2.0 a night fits units + overbooked,
 * and its overbooked is paid down to what the recount needs (never
 * raised: only a channel booking raises it); the units set aside for
 * blocks (blocked, 2.0) count as taken.  blocked itself is not recounted
 * here: check_invariants() reports a drift of it.
 */
#define FIX_SQL(overbooked_column, overbooked_drift, capacity, set_overbooked) \
	"WITH k AS (" \
	"  SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3))" \
	"    AS k(property_id, room_type, night))," \
	" c AS (" \
	"  SELECT i.property_id, i.room_type, i.night, i.units" overbooked_column "," \
	"         i.held AS held_before, i.booked AS booked_before," \
	"         COALESCE(pg_catalog.sum(r.rooms) FILTER (" \
	"           WHERE r.state OPERATOR(pg_catalog.=) ANY (" BK_LIVE_HOLD_STATES ")), 0)::int AS held_after," \
	"         COALESCE(pg_catalog.sum(r.rooms) FILTER (" \
	"           WHERE " BK_BOOKED_STATE("r.state") "), 0)::int AS booked_after" \
	"    FROM k" \
	"    JOIN booking.inventory i" \
	"      ON i.property_id OPERATOR(pg_catalog.=) k.property_id" \
	"     AND i.room_type OPERATOR(pg_catalog.=) k.room_type" \
	"     AND i.night OPERATOR(pg_catalog.=) k.night" \
	"    LEFT JOIN booking.reservation r" \
	"      ON r.property_id OPERATOR(pg_catalog.=) i.property_id" \
	"     AND r.room_type OPERATOR(pg_catalog.=) i.room_type" \
	"     AND r.check_in OPERATOR(pg_catalog.<=) i.night" \
	"     AND r.check_out OPERATOR(pg_catalog.>) i.night" \
	"     AND " BK_COUNTED_STATE("r.state") \
	"   GROUP BY i.property_id, i.room_type, i.night, i.units" overbooked_column ", i.held, i.booked)," \
	" d AS (" \
	"  SELECT * FROM c" \
	"   WHERE c.held_before OPERATOR(pg_catalog.<>) c.held_after" \
	"      OR c.booked_before OPERATOR(pg_catalog.<>) c.booked_after" overbooked_drift ")," \
	" u AS (" \
	"  UPDATE booking.inventory i SET held = d.held_after, booked = d.booked_after" set_overbooked \
	"    FROM d" \
	"   WHERE i.property_id OPERATOR(pg_catalog.=) d.property_id" \
	"     AND i.room_type OPERATOR(pg_catalog.=) d.room_type" \
	"     AND i.night OPERATOR(pg_catalog.=) d.night" \
	"     AND d.held_after OPERATOR(pg_catalog.+) d.booked_after OPERATOR(pg_catalog.<=) " capacity \
	"  RETURNING i.property_id, i.room_type, i.night)" \
	" SELECT d.property_id, d.room_type, d.night, d.held_before, d.held_after," \
	"        d.booked_before, d.booked_after, u.night IS NOT NULL AS fixed," \
	"        CASE WHEN u.night IS NULL THEN pg_catalog.format(" \
	"          'not fixed: the reservations hold %s and book %s units but the night has only %s;" \
	" raise its units (open_inventory) or cancel a reservation, then repair again'," \
	"          d.held_after, d.booked_after, d.units) END AS reason" \
	"   FROM d LEFT JOIN u" \
	"     ON u.property_id OPERATOR(pg_catalog.=) d.property_id" \
	"    AND u.room_type OPERATOR(pg_catalog.=) d.room_type" \
	"    AND u.night OPERATOR(pg_catalog.=) d.night" \
	"  ORDER BY d.property_id, d.room_type, d.night"

static BookingPlan fix_plan = {
	FIX_SQL("", "", "d.units", ""),
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}
};

static BookingPlan fix_2_0_plan = {
	FIX_SQL(", i.overbooked, i.blocked",
			OVERBOOKED_DRIFT("c", "c.held_after OPERATOR(pg_catalog.+) c.blocked", "c.booked_after"),
			"((d.units OPERATOR(pg_catalog.+) d.overbooked) OPERATOR(pg_catalog.-) d.blocked)",
			", overbooked = GREATEST(0, LEAST(d.overbooked,"
			" ((d.held_after OPERATOR(pg_catalog.+) d.booked_after) OPERATOR(pg_catalog.+) d.blocked)"
			" OPERATOR(pg_catalog.-) d.units))"),
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}
};

/* Nights the reservations cover that have no inventory row at all. */
static BookingPlan missing_plan = {
	"WITH" BK_RECOUNT_CTE
	" SELECT e.property_id, e.room_type, e.night, NULL::int, e.held, NULL::int, e.booked, false,"
	"        'not fixed: the reservations cover this night but it has no inventory row;"
	" open it (open_inventory), then repair again'"
	"   FROM expected e"
	"  WHERE NOT EXISTS (SELECT 1 FROM booking.inventory i"
	"                     WHERE i.property_id OPERATOR(pg_catalog.=) e.property_id"
	"                       AND i.room_type OPERATOR(pg_catalog.=) e.room_type"
	"                       AND i.night OPERATOR(pg_catalog.=) e.night)"
	"  ORDER BY 1, 2, 3",
	0, {InvalidOid}
};

/*
 * refresh_calendar refreshes the room calendar of the nights fixed in the
 * current result (ordered by property, room type, night): one refresh
 * per room type, over the span of its fixed nights.
 */
static void
refresh_calendar(void)
{
	uint64		n = SPI_processed;
	int64	   *props = palloc(sizeof(int64) * Max(n, 1));
	char	  **types = palloc(sizeof(char *) * Max(n, 1));
	DateADT    *firsts = palloc(sizeof(DateADT) * Max(n, 1));
	DateADT    *lasts = palloc(sizeof(DateADT) * Max(n, 1));
	int			spans = 0;

	for (uint64 row = 0; row < n; row++)
	{
		int64		prop;
		char	   *type;
		DateADT		night;

		if (!DatumGetBool(bk_get_notnull(row, 8)))
			continue;
		prop = bk_get_int64(row, 1);
		type = TextDatumGetCString(bk_get_notnull(row, 2));
		night = DatumGetDateADT(bk_get_notnull(row, 3));
		if (spans > 0 && props[spans - 1] == prop && strcmp(types[spans - 1], type) == 0)
			lasts[spans - 1] = night;
		else
		{
			props[spans] = prop;
			types[spans] = type;
			firsts[spans] = lasts[spans] = night;
			spans++;
		}
	}
	for (int i = 0; i < spans; i++)
	{
		bk_calendar_refresh_range(props[i], types[i], firsts[i], lasts[i] + 1);
		bk_ari_note_range(props[i], types[i], firsts[i], lasts[i] + 1);
	}
}

/*
 * booking_repair_inventory is repair_inventory(): fixes every night whose
 * held or booked disagrees with its reservations and returns
 * (property_id, room_type, night, held_before, held_after, booked_before,
 * booked_after, fixed, reason) for each night that disagreed.
 */
Datum
booking_repair_inventory(PG_FUNCTION_ARGS)
{
	Datum		keys[3];
	bool		isnull;
	bool		overbooked;

	InitMaterializedSRF(fcinfo, 0);
	bk_connect();
	overbooked = bk_schema_has_overbooked();
	bk_exec_locking(overbooked ? &lock_drifted_2_0_plan : &lock_drifted_plan, NULL, NULL, 1, "the inventory nights to repair");
	keys[0] = bk_get(0, 1, &isnull);
	if (!isnull)
	{
		keys[0] = bk_copy_result_datum(0, 1);
		keys[1] = bk_copy_result_datum(0, 2);
		keys[2] = bk_copy_result_datum(0, 3);
		bk_exec(overbooked ? &fix_2_0_plan : &fix_plan, keys, NULL, 0);
		bk_return_rows(fcinfo);
		refresh_calendar();
	}
	bk_exec(&missing_plan, NULL, NULL, 0);
	bk_return_rows(fcinfo);
	bk_finish();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * invariants.c
 *    booking.check_invariants(): recounts every night's held and booked
 *    units from the reservations that cover it and reports each night
 *    where the inventory disagrees or is oversold, or where the room
 *    calendar (calendar.c) does not show what the inventory holds, and
 *    (2.0) each reservation whose night prices do not make its
 *    total_price, and each line of a group that does not agree with its
 *    group.  No rows means sound.  (2.0) Each night's `waiting` is
 *    recounted from the waiting entries of the waitlist.  (2.0) A night a channel overbooked is
 *    reported as such ('overbooked: ...'), one overbooked by more than it
 *    needs as corrupt.  (2.0) Each block night's picked and each night's
 *    blocked against the block's pickups and live blocks.  (2.0) Each
 *    published event's position against its publishing pass.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_check_invariants);

/*
 * The nightly counts against the reservations (BK_RECOUNT_CTE), at
 * every version.  Every operator is pg_catalog's, written out
 * (test/lint/sql-operators).  `oversold` is the check of a night's
 * capacity and `overbooked` more problems: from 2.0 (channels) a night
 * may hold and book up to units + overbooked; a night overbooked is its
 * own problem, and one overbooked by more than it needs is corrupt
 * (every unit coming free pays overbooked down first).
 */
#define COUNTS_OVERSOLD_SQL \
	"    (CASE WHEN (i.held OPERATOR(pg_catalog.+) i.booked) OPERATOR(pg_catalog.>) i.units THEN" \
	"       pg_catalog.format('oversold: held %s + booked %s > units %s', i.held, i.booked, i.units) END),"

#define HBB(a) "((" a ".held OPERATOR(pg_catalog.+) " a ".booked) OPERATOR(pg_catalog.+) " a ".blocked)"
#define COUNTS_OVERSOLD_2_0_SQL \
	"    (CASE WHEN " HBB("i") " OPERATOR(pg_catalog.>) (i.units OPERATOR(pg_catalog.+) i.overbooked) THEN" \
	"       pg_catalog.format('oversold: held %s + booked %s > units %s + overbooked %s', i.held OPERATOR(pg_catalog.+) i.blocked, i.booked, i.units, i.overbooked) END)," \
	"    (CASE WHEN i.overbooked OPERATOR(pg_catalog.>) 0" \
	"           AND i.overbooked OPERATOR(pg_catalog.=) (" HBB("i") " OPERATOR(pg_catalog.-) i.units) THEN" \
	"       pg_catalog.format('overbooked: %s unit(s) over: held %s + booked %s > units %s', i.overbooked, i.held OPERATOR(pg_catalog.+) i.blocked, i.booked, i.units) END)," \
	"    (CASE WHEN i.overbooked OPERATOR(pg_catalog.>) GREATEST(0, " HBB("i") " OPERATOR(pg_catalog.-) i.units) THEN" \
	"       pg_catalog.format('overbooked is %s but the night needs %s (held %s + booked %s, units %s)', i.overbooked," \
	"                         GREATEST(0, " HBB("i") " OPERATOR(pg_catalog.-) i.units)," \
	"                         i.held OPERATOR(pg_catalog.+) i.blocked, i.booked, i.units) END),"

/*
 * (The units set aside for blocks show with held in these messages.)
 * Blocks (2.0): each block night's `picked` against the rooms its live
 * pickups hold and book on it, and each night's `blocked` against what
 * its unreleased block nights set aside and have not picked up.
 */
#define BLOCKS_SQL \
	" UNION ALL" \
	" SELECT b.property_id, b.room_type, b.night," \
	"        pg_catalog.format('block %s: picked is %s but its pickups hold or book %s', b.code, b.picked, COALESCE(x.rooms, 0))" \
	"   FROM booking.block_night b" \
	"   LEFT JOIN (SELECT r.property_id, r.block, r.check_in OPERATOR(pg_catalog.+) g AS night," \
	"                     pg_catalog.sum(r.rooms)::int AS rooms" \
	"                FROM booking.reservation r," \
	"                     pg_catalog.generate_series(0, (r.check_out OPERATOR(pg_catalog.-) r.check_in)" \
	"                                                   OPERATOR(pg_catalog.-) 1) g" \
	"               WHERE r.block IS NOT NULL AND " BK_COUNTED_STATE("r.state") \
	"               GROUP BY 1, 2, 3) x" \
	"     ON x.property_id OPERATOR(pg_catalog.=) b.property_id AND x.block OPERATOR(pg_catalog.=) b.code" \
	"    AND x.night OPERATOR(pg_catalog.=) b.night" \
	"  WHERE b.picked OPERATOR(pg_catalog.<>) COALESCE(x.rooms, 0)" \
	" UNION ALL" \
	" SELECT i.property_id, i.room_type, i.night," \
	"        pg_catalog.format('blocked is %s but its live blocks set aside %s not picked up', i.blocked, COALESCE(s.blocked, 0))" \
	"   FROM booking.inventory i" \
	"   LEFT JOIN (SELECT property_id, room_type, night," \
	"                     pg_catalog.sum(rooms OPERATOR(pg_catalog.-) picked)::int AS blocked" \
	"                FROM booking.block_night WHERE NOT released GROUP BY 1, 2, 3) s" \
	"     ON s.property_id OPERATOR(pg_catalog.=) i.property_id AND s.room_type OPERATOR(pg_catalog.=) i.room_type" \
	"    AND s.night OPERATOR(pg_catalog.=) i.night" \
	"  WHERE i.blocked OPERATOR(pg_catalog.<>) COALESCE(s.blocked, 0)"

#define COUNTS_SQL COUNTS_SQL_OF(COUNTS_OVERSOLD_SQL)
#define COUNTS_SQL_OF(oversold) \
	BK_RECOUNT_CTE \
	" SELECT COALESCE(i.property_id, e.property_id), COALESCE(i.room_type, e.room_type)," \
	"        COALESCE(i.night, e.night), p.problem" \
	"   FROM booking.inventory i" \
	"   FULL JOIN expected e" \
	"     ON e.property_id OPERATOR(pg_catalog.=) i.property_id" \
	"    AND e.room_type OPERATOR(pg_catalog.=) i.room_type AND e.night OPERATOR(pg_catalog.=) i.night" \
	"  CROSS JOIN LATERAL (VALUES" \
	"    (CASE WHEN i.night IS NULL THEN" \
	"       pg_catalog.format('reservations hold %s and book %s units of a night with no inventory row', e.held, e.booked) END)," \
	oversold \
	"    (CASE WHEN i.held OPERATOR(pg_catalog.<) 0 OR i.booked OPERATOR(pg_catalog.<) 0 THEN" \
	"       pg_catalog.format('negative count: held %s, booked %s', i.held, i.booked) END)," \
	"    (CASE WHEN i.night IS NOT NULL AND i.held OPERATOR(pg_catalog.<>) COALESCE(e.held, 0) THEN" \
	"       pg_catalog.format('held is %s but live holds cover %s', i.held, COALESCE(e.held, 0)) END)," \
	"    (CASE WHEN i.night IS NOT NULL AND i.booked OPERATOR(pg_catalog.<>) COALESCE(e.booked, 0) THEN" \
	"       pg_catalog.format('booked is %s but confirmed reservations cover %s', i.booked, COALESCE(e.booked, 0)) END)" \
	"  ) AS p(problem)" \
	"  WHERE p.problem IS NOT NULL"

/*
 * The room calendar against the inventory (1.1 on): each day's free units
 * plus what the events not published yet add to it (`pending`, 1.2 on)
 * must be the inventory's; a day `not_on_sale` counts as `marker`, and a
 * night without inventory must be one (-1 at 1.1, -2147483648 from 1.2).
 * The problem shows either as -1 free, as 1.1 did.  The free and price a day should show are
 * never NULL, and the catalog columns compared are all NOT NULL, so
 * "(a = b) IS NOT TRUE" and "NOT (a = b AND ...)" say what IS DISTINCT
 * FROM would, without looking = up by name.
 */
#define CALENDAR_FREE_SQL(free, pending_join, pending, not_on_sale, marker) \
	" UNION ALL" \
	" SELECT c.property_id, c.room_type, (c.month OPERATOR(pg_catalog.+) d.i) OPERATOR(pg_catalog.-) 1," \
	"        pg_catalog.format('calendar says %s free at %s, inventory has %s free at %s'," \
	"                          CASE WHEN " not_on_sale " THEN -1" \
	"                               ELSE c.free[d.i] OPERATOR(pg_catalog.+) " pending " END, c.price[d.i]," \
	"                          COALESCE(" free ", -1)," \
	"                          COALESCE(i.price, 0))" \
	"   FROM booking.room_calendar c" \
	"  CROSS JOIN LATERAL pg_catalog.generate_subscripts(c.free, 1) d(i)" \
	"   LEFT JOIN booking.inventory i" \
	"     ON i.property_id OPERATOR(pg_catalog.=) c.property_id" \
	"    AND i.room_type OPERATOR(pg_catalog.=) c.room_type" \
	"    AND i.night OPERATOR(pg_catalog.=) ((c.month OPERATOR(pg_catalog.+) d.i) OPERATOR(pg_catalog.-) 1)" \
	pending_join \
	"  WHERE ((CASE WHEN " not_on_sale " THEN " marker \
	"               ELSE c.free[d.i] OPERATOR(pg_catalog.+) " pending " END) OPERATOR(pg_catalog.=)" \
	"         COALESCE(" free ", " marker ")) IS NOT TRUE" \
	"     OR (c.price[d.i] OPERATOR(pg_catalog.=) COALESCE(i.price, 0)) IS NOT TRUE"

/*
 * What the events not published yet add to each night (1.2 on): the
 * calendar is the inventory minus those.  Summed per night once, then
 * joined by hash: a few rows, whatever the size of the calendar.
 */
#define PENDING_CTE \
	" pending AS (" \
	"  SELECT e.property_id, e.room_type, e.first_night OPERATOR(pg_catalog.+) g AS night," \
	"         pg_catalog.sum(e.free_delta)::int AS delta" \
	"    FROM (SELECT property_id, room_type, first_night, end_night, free_delta FROM booking.event" \
	"           WHERE position IS NULL AND free_delta IS NOT NULL" \
	"          UNION ALL" \
	"          SELECT " BK_MODIFIED_BEFORE_COLUMNS("m") \
	"            FROM booking.event m WHERE m.position IS NULL AND " BK_MODIFIED_EVENT("m") ") e," \
	"         pg_catalog.generate_series(0, (e.end_night OPERATOR(pg_catalog.-) e.first_night)" \
	"                                       OPERATOR(pg_catalog.-) 1) g" \
	"   GROUP BY 1, 2, 3),"

#define PENDING_JOIN \
	"   LEFT JOIN pending pd" \
	"     ON pd.property_id OPERATOR(pg_catalog.=) c.property_id" \
	"    AND pd.room_type OPERATOR(pg_catalog.=) c.room_type" \
	"    AND pd.night OPERATOR(pg_catalog.=) ((c.month OPERATOR(pg_catalog.+) d.i) OPERATOR(pg_catalog.-) 1)"

#define CALENDAR_REST_SQL \
	" UNION ALL" \
	" SELECT c.property_id, c.room_type, c.month," \
	"        'room calendar row has stale property or room type details (run booking.rebuild_calendar())'" \
	"   FROM booking.room_calendar c" \
	"   JOIN booking.property p ON p.property_id OPERATOR(pg_catalog.=) c.property_id" \
	"   JOIN booking.room_type rt ON rt.property_id OPERATOR(pg_catalog.=) c.property_id" \
	"                            AND rt.code OPERATOR(pg_catalog.=) c.room_type" \
	"  WHERE NOT (c.property_name OPERATOR(pg_catalog.=) p.name AND c.city OPERATOR(pg_catalog.=) p.city" \
	"             AND c.time_zone OPERATOR(pg_catalog.=) p.time_zone" \
	"             AND c.max_guests OPERATOR(pg_catalog.=) rt.max_guests" \
	"             AND c.has_rules OPERATOR(pg_catalog.=) rt.has_rules)" \
	" UNION ALL" \
	" SELECT i.property_id, i.room_type, i.night, 'night is missing from the room calendar'" \
	"   FROM booking.inventory i" \
	"  WHERE NOT EXISTS (SELECT 1 FROM booking.room_calendar c" \
	"                     WHERE c.property_id OPERATOR(pg_catalog.=) i.property_id" \
	"                       AND c.room_type OPERATOR(pg_catalog.=) i.room_type" \
	"                       AND c.month OPERATOR(pg_catalog.=) pg_catalog.date_trunc('month', i.night::timestamp)::date" \
	"                       AND pg_catalog.array_length(c.free, 1) OPERATOR(pg_catalog.>=)" \
	"                           ((i.night OPERATOR(pg_catalog.-) c.month) OPERATOR(pg_catalog.+) 1))"

/*
 * Each reservation's night prices against it (2.0 on): one price per
 * night of its stay, adding up, times rooms, to its total_price.  The
 * problem is shown on its first night.
 */
#define NIGHT_PRICES_SQL \
	" UNION ALL" \
	" SELECT r.property_id, r.room_type, r.check_in," \
	"        CASE WHEN r.night_prices IS NULL" \
	"             THEN pg_catalog.format('reservation %s has no night prices', r.reservation_id)" \
	"             WHEN pg_catalog.cardinality(r.night_prices) OPERATOR(pg_catalog.<>) (r.check_out OPERATOR(pg_catalog.-) r.check_in)" \
	"             THEN pg_catalog.format('reservation %s has night prices for %s nights, its stay is %s nights from %s'," \
	"                                    r.reservation_id, pg_catalog.cardinality(r.night_prices)," \
	"                                    r.check_out OPERATOR(pg_catalog.-) r.check_in," \
	"                                    pg_catalog.to_char(r.check_in, 'YYYY-MM-DD'))" \
	"             WHEN t.nulls OPERATOR(pg_catalog.>) 0" \
	"             THEN pg_catalog.format('reservation %s has %s night(s) without a price', r.reservation_id, t.nulls)" \
	"             WHEN r.night_extra OPERATOR(pg_catalog.=) 0" \
	"             THEN pg_catalog.format('reservation %s: its night prices add up to %s x %s room(s), its total_price is %s'," \
	"                                    r.reservation_id, t.sum, r.rooms, r.total_price)" \
	"             ELSE pg_catalog.format('reservation %s: its night prices add up to %s x %s room(s) + %s x %s night(s) of extras, its total_price is %s'," \
	"                                    r.reservation_id, t.sum, r.rooms, r.night_extra, pg_catalog.cardinality(r.night_prices), r.total_price) END" \
	"   FROM booking.reservation r" \
	"  CROSS JOIN LATERAL (SELECT pg_catalog.sum(x) AS sum, pg_catalog.count(*) FILTER (WHERE x IS NULL) AS nulls" \
	"                        FROM pg_catalog.unnest(r.night_prices) x) t" \
	"  WHERE r.night_prices IS NULL" \
	"     OR pg_catalog.cardinality(r.night_prices) OPERATOR(pg_catalog.<>) (r.check_out OPERATOR(pg_catalog.-) r.check_in)" \
	"     OR t.nulls OPERATOR(pg_catalog.>) 0" \
	"     OR ((t.sum OPERATOR(pg_catalog.*) r.rooms) OPERATOR(pg_catalog.+)" \
	"         (r.night_extra OPERATOR(pg_catalog.*) pg_catalog.cardinality(r.night_prices))) OPERATOR(pg_catalog.<>) r.total_price"

/*
 * Each line of a group against its group (2.0 on): the group's id is its
 * first line's reservation_id, at the same property, and every confirmed
 * line carries the payment_ref its first line holds for the group (the
 * unique index holds it there once).  No payment_ref is shown.
 */
#define GROUPS_SQL \
	" UNION ALL" \
	" SELECT r.property_id, r.room_type, r.check_in," \
	"        CASE WHEN f.reservation_id IS NULL" \
	"             THEN pg_catalog.format('reservation %s is a line of group %s, which has no first line', r.reservation_id, r.group_id)" \
	"             WHEN (f.group_id OPERATOR(pg_catalog.=) f.reservation_id) IS NOT TRUE" \
	"               OR f.property_id OPERATOR(pg_catalog.<>) r.property_id" \
	"             THEN pg_catalog.format('reservation %s is a line of group %s, whose first line %s is not that group''s at that property', r.reservation_id, r.group_id, f.reservation_id)" \
	"             ELSE pg_catalog.format('reservation %s is a confirmed line of group %s without the payment_ref of its first line', r.reservation_id, r.group_id) END" \
	"   FROM booking.reservation r" \
	"   LEFT JOIN booking.reservation f ON f.reservation_id OPERATOR(pg_catalog.=) r.group_id" \
	"  WHERE r.group_id IS NOT NULL" \
	"    AND (f.reservation_id IS NULL" \
	"      OR (f.group_id OPERATOR(pg_catalog.=) f.reservation_id) IS NOT TRUE" \
	"      OR f.property_id OPERATOR(pg_catalog.<>) r.property_id" \
	"      OR (" BK_BOOKED_STATE("r.state") \
	"          AND (r.payment_ref OPERATOR(pg_catalog.=) f.payment_ref) IS NOT TRUE))"

/*
 * The waitlist's counts (2.0): each night's `waiting` must be the rooms of
 * the waiting entries whose stay covers it.
 */
#define WAITING_SQL \
	" UNION ALL" \
	" SELECT i.property_id, i.room_type, i.night," \
	"        pg_catalog.format('waiting is %s but waiting entries want %s', i.waiting, COALESCE(w.rooms, 0))" \
	"   FROM booking.inventory i" \
	"   LEFT JOIN (SELECT e.property_id, e.room_type, e.check_in OPERATOR(pg_catalog.+) g AS night," \
	"                     pg_catalog.sum(e.rooms)::int AS rooms" \
	"                FROM booking.waitlist e," \
	"                     pg_catalog.generate_series(0, (e.check_out OPERATOR(pg_catalog.-) e.check_in)" \
	"                                                   OPERATOR(pg_catalog.-) 1) g" \
	"               WHERE e.state OPERATOR(pg_catalog.=) 'waiting'" \
	"               GROUP BY 1, 2, 3) w" \
	"     ON w.property_id OPERATOR(pg_catalog.=) i.property_id" \
	"    AND w.room_type OPERATOR(pg_catalog.=) i.room_type AND w.night OPERATOR(pg_catalog.=) i.night" \
	"  WHERE i.waiting OPERATOR(pg_catalog.<>) COALESCE(w.rooms, 0)"

/*
 * The publishing passes against the events' positions (2.0): every
 * published event's position is the one its pass gives it (no index on
 * position checks them any more: event_pass.c), no pass gives a position
 * to an event without one, and no two passes overlap.  An event a pass
 * holds that is gone was purged.  Shown with the event's property and
 * room type (an overlap: neither), no night.
 */
#define EVENT_PASS_SQL \
	" UNION ALL" \
	" SELECT e.property_id, e.room_type, NULL::date," \
	"        CASE WHEN x.position IS NULL" \
	"             THEN pg_catalog.format('event %s has position %s, which no publishing pass gives it', e.event_id, e.position)" \
	"             WHEN e.position IS NULL" \
	"             THEN pg_catalog.format('event %s has no position, but the publishing pass at %s gives it %s', e.event_id, x.first_position, x.position)" \
	"             ELSE pg_catalog.format('event %s has position %s, but the publishing pass at %s gives it %s', e.event_id, e.position, x.first_position, x.position) END" \
	"   FROM booking.event e" \
	"   LEFT JOIN (SELECT p.first_position, u.event_id," \
	"                     (p.first_position OPERATOR(pg_catalog.+) u.nth) OPERATOR(pg_catalog.-) 1 AS position" \
	"                FROM booking.event_pass p," \
	"                     pg_catalog.unnest(p.event_ids) WITH ORDINALITY AS u(event_id, nth)) x" \
	"     ON x.event_id OPERATOR(pg_catalog.=) e.event_id" \
	"  WHERE (e.position IS NOT NULL OR x.event_id IS NOT NULL)" \
	"    AND (x.position OPERATOR(pg_catalog.=) e.position) IS NOT TRUE" \
	" UNION ALL" \
	" SELECT NULL::bigint, NULL::text, NULL::date," \
	"        pg_catalog.format('the publishing pass at %s gives positions up to %s, and the next starts at %s', p.first_position, p.past OPERATOR(pg_catalog.-) 1, p.next_first)" \
	"   FROM (SELECT first_position," \
	"                first_position OPERATOR(pg_catalog.+) pg_catalog.cardinality(event_ids) AS past," \
	"                pg_catalog.lead(first_position) OVER (ORDER BY first_position) AS next_first" \
	"           FROM booking.event_pass) p" \
	"  WHERE p.next_first OPERATOR(pg_catalog.<) p.past"

/* 2.0: channels' overbooking, the night prices, groups, blocks, the waitlist, the passes */
static BookingPlan check_plan_2_0 = {
	"WITH" PENDING_CTE COUNTS_SQL_OF(COUNTS_OVERSOLD_2_0_SQL) CALENDAR_FREE_SQL(BK_FREE_2_0_SQL("i"), PENDING_JOIN, "COALESCE(pd.delta, 0)",
												  "c.free[d.i] OPERATOR(pg_catalog.=) " BK_NOT_ON_SALE_SQL,
												  BK_NOT_ON_SALE_SQL)
	CALENDAR_REST_SQL NIGHT_PRICES_SQL GROUPS_SQL BLOCKS_SQL WAITING_SQL EVENT_PASS_SQL "  ORDER BY 1, 2, 3, 4",
	0, {InvalidOid}
};

static BookingPlan check_plan = {
	"WITH" PENDING_CTE COUNTS_SQL CALENDAR_FREE_SQL(BK_FREE_SQL("i"), PENDING_JOIN, "COALESCE(pd.delta, 0)",
												  "c.free[d.i] OPERATOR(pg_catalog.=) " BK_NOT_ON_SALE_SQL,
												  BK_NOT_ON_SALE_SQL)
	CALENDAR_REST_SQL "  ORDER BY 1, 2, 3, 4",
	0, {InvalidOid}
};

/* For a database at 1.1, whose events carry no calendar changes. */
static BookingPlan check_plan_1_1 = {
	"WITH" COUNTS_SQL CALENDAR_FREE_SQL(BK_FREE_SQL("i"), "", "0", "c.free[d.i] OPERATOR(pg_catalog.<) 0", "-1") CALENDAR_REST_SQL "  ORDER BY 1, 2, 3, 4",
	0, {InvalidOid}
};

/* For a database still at 1.0, which has no room calendar. */
static BookingPlan check_plan_1_0 = {
	"WITH" COUNTS_SQL "  ORDER BY 1, 2, 3, 4",
	0, {InvalidOid}
};

/*
 * booking_check_invariants returns (property_id, room_type, night, problem)
 * for every inconsistency found; none when all is well.
 */
Datum
booking_check_invariants(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	bk_connect_read_only();
	bk_exec(!bk_schema_has_calendar() ? &check_plan_1_0 :
			!bk_schema_has_event_deltas() ? &check_plan_1_1 :
			bk_schema_has_overbooked() ? &check_plan_2_0 : &check_plan, NULL, NULL, 0);
	bk_return_rows(fcinfo);
	bk_finish();
	return (Datum) 0;
}

-- search against a plain SQL oracle over random data, and search and
-- quote against what reserve_range actually does.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT setseed(0.2026);
CREATE TEMP TABLE props AS
SELECT booking.add_property('Oracle ' || i, 'Oracle City', CASE WHEN i % 3 = 0 THEN 'Pacific/Kiritimati' ELSE 'UTC' END) AS p, i
  FROM generate_series(1, 12) i;
SELECT count(*) FROM (
    SELECT booking.add_room_type(p, code, code, 1 + (random() * 3)::int, g, (50 + random() * 100)::int)
      FROM props, (VALUES ('A', 1), ('B', 2), ('C', 4)) rt(code, g)) s;
SELECT sum(booking.open_inventory(p, code, current_date + 1, current_date + 1 + (20 + random() * 40)::int,
                                  NULL, NULL)) > 0 AS opened
  FROM props, (VALUES ('A'), ('B'), ('C')) rt(code);
UPDATE booking.inventory SET price = price + (random() * 30)::int
 WHERE property_id IN (SELECT p FROM props);
SELECT booking.rebuild_calendar() > 0 AS rebuilt;
-- holds and stop-sells sprinkled around
CREATE TEMP TABLE attempts AS
SELECT p, code, a, a + 1 + (random() * 4)::int AS b, 1 + (random() * 2)::int AS r
  FROM (SELECT p, code, 1 + (random() * 40)::int AS a
          FROM props, (VALUES ('A'), ('B'), ('C')) rt(code), generate_series(1, 12) k) x;
SELECT split_part(t.try(format('SELECT booking.reserve_range(%s, %L, current_date + %s, current_date + %s, %s)',
                               p, code, a, b, r)), ':', 1) AS outcome, count(*) > 0 AS some
  FROM attempts GROUP BY 1 ORDER BY 1;
SELECT count(*) > 0 AS rules_set FROM (
    SELECT booking.set_rules(p, 'B', current_date + 10 + n, current_date + 11 + n, stop_sell => true)
      FROM (SELECT p, (random() * 30)::int AS n FROM props, generate_series(1, 3) j) x
     WHERE n % 2 = 0) s;
SELECT count(*) = 0 AS consistent FROM booking.check_invariants();

-- the oracle: every night open and free enough, the guests fit the rooms
-- (rooms * max_guests, reserve_range's max_guests rule since 2.0), no
-- stop-sell, check-in not before local today; ordered and cut like search
CREATE FUNCTION t.oracle(ci date, co date, guests int, rooms int, lim int)
RETURNS TABLE(property_id bigint, room_type text, min_available int, total_price numeric)
LANGUAGE sql AS $$
    SELECT rt.property_id, rt.code, min(i.units - i.held - i.booked), sum(i.price) * rooms
      FROM booking.property p
      JOIN booking.room_type rt ON rt.property_id = p.property_id
      JOIN booking.inventory i ON i.property_id = rt.property_id AND i.room_type = rt.code
                              AND i.night >= ci AND i.night < co
     WHERE p.city = 'Oracle City' AND rt.max_guests * rooms >= guests
       AND (now() AT TIME ZONE p.time_zone)::date <= ci
       AND NOT EXISTS (SELECT 1 FROM booking.stay_rule s
                        WHERE s.property_id = rt.property_id AND s.room_type = rt.code
                          AND s.stop_sell AND s.night >= ci AND s.night < co)
     GROUP BY rt.property_id, rt.code
    HAVING count(*) = co - ci AND min(i.units - i.held - i.booked) >= rooms
     ORDER BY 4, 1, 2
     LIMIT lim
$$;
CREATE TEMP TABLE cases AS
SELECT k, current_date + a AS ci, current_date + a + n AS co, g, r, lim
  FROM (SELECT k, (random() * 55)::int AS a, 1 + (random() * 9)::int AS n,
               1 + (random() * 4)::int AS g, 1 + (random() * 2)::int AS r,
               CASE WHEN random() < 0.3 THEN 3 ELSE 100 END AS lim
          FROM generate_series(1, 150) k) x;
SELECT count(DISTINCT (ci, co, g, r, lim)) > 100 AS varied FROM cases;
-- every case: search and the oracle give the same rows in the same order
SELECT count(*) AS cases,
       count(*) FILTER (WHERE same) AS agree,
       sum(n) > 200 AS many_offers_compared
  FROM (SELECT c.k,
               (SELECT array_agg(ROW(s.property_id, s.room_type, s.min_available, s.total_price)::text)
                  FROM booking.search('Oracle City', c.ci, c.co, c.g, c.r, c.lim) s)
               IS NOT DISTINCT FROM
               (SELECT array_agg(ROW(o.property_id, o.room_type, o.min_available, o.total_price)::text)
                  FROM t.oracle(c.ci, c.co, c.g, c.r, c.lim) o) AS same,
               (SELECT count(*) FROM t.oracle(c.ci, c.co, c.g, c.r, c.lim)) AS n
          FROM cases c) x;
-- a few results of many (max_results 1 or 2 of up to 36 room types: the
-- cheapest are taken from a heap, not a sort of them all): the same rows
SELECT count(*) AS cases, count(*) FILTER (WHERE same) AS agree,
       count(*) FILTER (WHERE offers > 8 * lim) > 50 AS many_from_a_heap
  FROM (SELECT c.k, l.lim,
               (SELECT array_agg(ROW(s.property_id, s.room_type, s.min_available, s.total_price)::text)
                  FROM booking.search('Oracle City', c.ci, c.co, 1, 1, l.lim) s)
               IS NOT DISTINCT FROM
               (SELECT array_agg(ROW(o.property_id, o.room_type, o.min_available, o.total_price)::text)
                  FROM t.oracle(c.ci, c.co, 1, 1, l.lim) o) AS same,
               (SELECT count(*) FROM t.oracle(c.ci, c.co, 1, 1, 1000)) AS offers
          FROM cases c, (VALUES (1), (2)) l(lim)) x;

-- what search offers, reserve_range takes; what quote calls sold out,
-- reserve_range refuses with BK001 (each tried in a rolled-back subtransaction)
CREATE FUNCTION t.agree(ci date, co date, r int) RETURNS TABLE(offered int, reserved int, sold_out int, refused_bk001 int)
LANGUAGE plpgsql AS $$
DECLARE
    o record;
    q record;
BEGIN
    offered := 0; reserved := 0; sold_out := 0; refused_bk001 := 0;
    FOR o IN SELECT * FROM booking.search('Oracle City', ci, co, 1, r, 1000) LOOP
        offered := offered + 1;
        BEGIN
            PERFORM booking.reserve_range(o.property_id, o.room_type, ci, co, r);
            reserved := reserved + 1;
            RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
        EXCEPTION WHEN raise_exception THEN NULL;
        END;
    END LOOP;
    FOR q IN SELECT rt.property_id, rt.code FROM booking.room_type rt JOIN props ON props.p = rt.property_id LOOP
        IF EXISTS (SELECT 1 FROM booking.quote(q.property_id, q.code, ci, co, r)
                    WHERE NOT bookable AND reason LIKE 'sold out%') THEN
            sold_out := sold_out + 1;
            BEGIN
                PERFORM booking.reserve_range(q.property_id, q.code, ci, co, r);
            EXCEPTION WHEN SQLSTATE 'BK001' THEN
                refused_bk001 := refused_bk001 + 1;
            END;
        END IF;
    END LOOP;
    RETURN NEXT;
END
$$;
SELECT sum(offered) > 0 AS some_offers, sum(offered) = sum(reserved) AS every_offer_reserves,
       sum(sold_out) > 0 AS some_sold_out, sum(sold_out) = sum(refused_bk001) AS every_sold_out_refused
  FROM cases c, LATERAL t.agree(c.ci, c.co, c.r)
 WHERE c.k <= 40;
SELECT count(*) = 0 AS consistent FROM booking.check_invariants();

-- Rate plans (2.0): every room type is offered under its cheapest bookable
-- plan.  Plans on the same properties:
--   B (max 2) at even i: NR = BASE - 12.5 % (half cents round up), NR2 = NR
--     - 5 % + 3 (a 2-step chain); NR2 stop-sold by a plan rule on three
--     nights, NR closed to arrival on two and min_stay 3 on one;
--   C (max 4) at i % 3 = 1: SR priced by set_rates (30 + i) with one night
--     missing (20 + i), and SRD = SR + 10 %, which inherits the gap;
--   C at i % 3 = 2: PP = BASE - 30 %, per person: base_occupancy 1,
--     extra_adult 25, extra_child 15.5 per night;
--   A at i = 1 and 2: no plans, but BASE itself stop-sold by a plan rule on
--     nights 5 to 9 (the room type drops out there);
--   ties: EQ = BASE + 0 on B at i = 5 (BASE wins), PZ = PP's twin on C at
--     i % 3 = 2 (PP wins: by code).
SELECT count(*) FROM (
    SELECT booking.add_rate_plan(p, 'B', 'NR', 'Non refundable', parent => 'BASE', adjust_pct => -12.5),
           booking.add_rate_plan(p, 'B', 'NR2', 'Non refundable, member', parent => 'NR',
                                 adjust_pct => -5, adjust_amount => 3)
      FROM props WHERE i % 2 = 0) s;
SELECT count(*) FROM (
    SELECT booking.add_rate_plan(p, 'C', 'SR', 'Special rate'),
           booking.set_rates(p, 'C', 'SR', current_date + 1, current_date + 20 + i, 30 + i),
           booking.set_rates(p, 'C', 'SR', current_date + 21 + i, current_date + 70, 30 + i),
           booking.add_rate_plan(p, 'C', 'SRD', 'Special rate, breakfast', parent => 'SR', adjust_pct => 10)
      FROM props WHERE i % 3 = 1) s;
SELECT count(*) FROM (
    SELECT booking.add_rate_plan(p, 'C', 'PP', 'Per person', parent => 'BASE', adjust_pct => -30,
                                 base_occupancy => 1, extra_adult => 25, extra_child => 15.5)
      FROM props WHERE i % 3 = 2) s;
SELECT count(*) FROM (
    SELECT booking.add_rate_plan(p, 'B', 'EQ', 'Same as BASE', parent => 'BASE')
      FROM props WHERE i = 5
    UNION ALL
    SELECT booking.add_rate_plan(p, 'C', 'PZ', 'Per person, twin', parent => 'BASE', adjust_pct => -30,
                                 base_occupancy => 1, extra_adult => 25, extra_child => 15.5)
      FROM props WHERE i % 3 = 2) s;
SELECT count(*) FROM (
    SELECT booking.set_rules(p, 'B', current_date + 10 + i, current_date + 13 + i, stop_sell => true, rate_plan => 'NR2'),
           booking.set_rules(p, 'B', current_date + 4 + i, current_date + 6 + i, closed_to_arrival => true, rate_plan => 'NR'),
           booking.set_rules(p, 'B', current_date + 15, current_date + 16, min_stay => 3, rate_plan => 'NR')
      FROM props WHERE i % 2 = 0) s;
SELECT count(*) FROM (
    SELECT booking.set_rules(p, 'A', current_date + 5, current_date + 10, stop_sell => true, rate_plan => 'BASE')
      FROM props WHERE i IN (1, 2)) s;
SELECT count(*) AS room_types, count(*) FILTER (WHERE has_rate_plans) AS with_plans,
       count(*) FILTER (WHERE has_plan_rules) AS with_plan_rules
  FROM booking.room_type WHERE property_id IN (SELECT p FROM props);

-- the oracle: the nightly price of every plan, derived step by step from
-- the inventory (BASE) or set_rates, each step rounded; the plans with a
-- price every night and no plan rule against the stay (stop_sell, closed
-- to arrival or departure, min_stay: the kinds set above); the per-person
-- extras; the cheapest per room type ('BASE' first on ties, then by code)
CREATE FUNCTION t.plan_oracle(ci date, co date, g int, r int, lim int, want text, kids int)
RETURNS TABLE(property_id bigint, room_type text, min_available int, total_price numeric, plan_code text)
LANGUAGE sql AS $$
    WITH RECURSIVE
    rts AS (
        SELECT rt.property_id, rt.code, min(i.units - i.held - i.booked) AS free
          FROM booking.property p
          JOIN booking.room_type rt ON rt.property_id = p.property_id
          JOIN booking.inventory i ON i.property_id = rt.property_id AND i.room_type = rt.code
                                  AND i.night >= ci AND i.night < co
         WHERE p.city = 'Oracle City' AND rt.max_guests * r >= g + kids
           AND (now() AT TIME ZONE p.time_zone)::date <= ci
           AND NOT EXISTS (SELECT 1 FROM booking.stay_rule s
                            WHERE s.property_id = rt.property_id AND s.room_type = rt.code
                              AND s.stop_sell AND s.night >= ci AND s.night < co)
         GROUP BY rt.property_id, rt.code
        HAVING count(*) = co - ci AND min(i.units - i.held - i.booked) >= r),
    priced(property_id, room_type, plan, night, price, depth) AS (
        SELECT i.property_id, i.room_type, 'BASE'::text, i.night, i.price, 0
          FROM rts JOIN booking.inventory i ON i.property_id = rts.property_id AND i.room_type = rts.code
                                           AND i.night >= ci AND i.night < co
        UNION ALL
        SELECT x.property_id, x.room_type, x.rate_plan, x.night, x.price, 0
          FROM rts JOIN booking.rate x ON x.property_id = rts.property_id AND x.room_type = rts.code
                                      AND x.night >= ci AND x.night < co
        UNION ALL
        SELECT d.property_id, d.room_type, rp.code, d.night,
               round(d.price * (1 + rp.adjust_pct / 100) + rp.adjust_amount, 2), d.depth + 1
          FROM priced d
          JOIN booking.rate_plan rp ON rp.property_id = d.property_id AND rp.room_type = d.room_type
                                   AND rp.parent = d.plan
         WHERE d.depth < 16),
    totals AS (
        SELECT pr.property_id, pr.room_type, pr.plan,
               sum(pr.price) * r
               + (co - ci) * CASE WHEN rp.base_occupancy IS NULL THEN 0
                                  ELSE round(rp.extra_adult * greatest(0, g - rp.base_occupancy * r)
                                             + rp.extra_child * kids, 2) END AS total
          FROM priced pr
          LEFT JOIN booking.rate_plan rp ON rp.property_id = pr.property_id AND rp.room_type = pr.room_type
                                        AND rp.code = pr.plan
         WHERE want IS NULL OR pr.plan = want
         GROUP BY pr.property_id, pr.room_type, pr.plan, rp.base_occupancy, rp.extra_adult, rp.extra_child
        HAVING count(*) = co - ci AND min(pr.price) >= 0),
    bookable AS (
        SELECT * FROM totals x
         WHERE NOT EXISTS (SELECT 1 FROM booking.plan_rule q
                            WHERE q.property_id = x.property_id AND q.room_type = x.room_type
                              AND q.rate_plan = x.plan
                              AND ((q.stop_sell AND q.night >= ci AND q.night < co)
                                   OR (q.night = ci AND (q.closed_to_arrival OR co - ci < q.min_stay))
                                   OR (q.night = co AND q.closed_to_departure)))),
    cheapest AS (
        SELECT DISTINCT ON (b.property_id, b.room_type) b.*
          FROM bookable b
         ORDER BY b.property_id, b.room_type, b.total, b.plan <> 'BASE', b.plan COLLATE "C")
    SELECT c.property_id, c.room_type, rts.free::int, c.total, c.plan
      FROM cheapest c JOIN rts ON rts.property_id = c.property_id AND rts.code = c.room_type
     ORDER BY c.total, c.property_id, c.room_type
     LIMIT lim
$$;
CREATE TEMP TABLE plan_cases AS
SELECT k, current_date + a AS ci, current_date + a + n AS co, g, r, lim, want, kids
  FROM (SELECT k, (random() * 45)::int AS a, 1 + (random() * 7)::int AS n,
               1 + (random() * 3)::int AS g, 1 + (random() * 1.2)::int AS r,
               CASE WHEN random() < 0.2 THEN 3 ELSE 1000 END AS lim,
               CASE WHEN random() < 0.7 THEN NULL
                    ELSE (ARRAY['BASE', 'NR', 'NR2', 'SR', 'SRD', 'PP', 'EQ', 'NOPE'])[1 + (random() * 7)::int] END AS want,
               (random() * 2.4)::int AS kids
          FROM generate_series(1, 200) k) x;
-- every case: search and the oracle give the same rows (both ways) and in the same order
CREATE TEMP TABLE plan_compared AS
SELECT c.k,
       (SELECT count(*) FROM (SELECT s.property_id, s.room_type, s.min_available, s.total_price, s.plan_code
                                FROM booking.search('Oracle City', c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) s
                              EXCEPT
                              SELECT * FROM t.plan_oracle(c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids)) x) AS only_search,
       (SELECT count(*) FROM (SELECT * FROM t.plan_oracle(c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids)
                              EXCEPT
                              SELECT s.property_id, s.room_type, s.min_available, s.total_price, s.plan_code
                                FROM booking.search('Oracle City', c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) s) x) AS only_oracle,
       (SELECT array_agg(ROW(s.property_id, s.room_type, s.total_price, s.plan_code)::text)
          FROM booking.search('Oracle City', c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) s)
       IS NOT DISTINCT FROM
       (SELECT array_agg(ROW(o.property_id, o.room_type, o.total_price, o.plan_code)::text)
          FROM t.plan_oracle(c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) o) AS same_order
  FROM plan_cases c;
SELECT count(*) AS cases, sum(only_search) AS only_in_search, sum(only_oracle) AS only_in_oracle,
       count(*) FILTER (WHERE same_order) AS same_order
  FROM plan_compared;
-- the cases reach what they should: every plan wins somewhere, the gap of
-- SR and the plan rules turn offers to other plans, children are counted
CREATE TEMP TABLE plan_offers AS
SELECT c.*, o.*
  FROM plan_cases c, LATERAL t.plan_oracle(c.ci, c.co, c.g, c.r, 1000, c.want, c.kids) o;
SELECT plan_code, count(*) > 0 AS offered FROM plan_offers GROUP BY 1 ORDER BY 1;
SELECT count(*) > 0 AS sr_gap_gives_another_plan
  FROM plan_offers o JOIN props ON props.p = o.property_id
 WHERE o.room_type = 'C' AND props.i % 3 = 1 AND o.want IS NULL
   AND current_date + 20 + props.i >= o.ci AND current_date + 20 + props.i < o.co;
SELECT count(*) > 0 AS nr2_closed_gives_another_plan
  FROM plan_offers o JOIN props ON props.p = o.property_id
 WHERE o.room_type = 'B' AND props.i % 2 = 0 AND o.want IS NULL AND o.plan_code <> 'NR2'
   AND o.ci < current_date + 13 + props.i AND o.co > current_date + 10 + props.i;
SELECT count(*) > 0 AS base_closed_drops_room_type
  FROM plan_cases c, props
 WHERE props.i IN (1, 2) AND c.ci < current_date + 10 AND c.co > current_date + 5 AND c.g + c.kids <= c.r
   AND NOT EXISTS (SELECT 1 FROM booking.search('Oracle City', c.ci, c.co, c.g, c.r, 1000, c.want, c.kids) s
                    WHERE s.property_id = props.p AND s.room_type = 'A')
   AND EXISTS (SELECT 1 FROM booking.inventory i
                WHERE i.property_id = props.p AND i.room_type = 'A' AND i.night >= c.ci AND i.night < c.co
               HAVING count(*) = c.co - c.ci AND min(i.units - i.held - i.booked) >= c.r);
SELECT count(*) FILTER (WHERE kids > 0 AND plan_code = 'PP') > 0 AS pp_with_children,
       count(*) FILTER (WHERE want IS NULL AND plan_code IN ('EQ', 'PZ')) = 0 AS ties_to_base_then_code,
       count(*) FILTER (WHERE want IS NULL AND property_id = (SELECT p FROM props WHERE i = 5)
                          AND room_type = 'B' AND plan_code = 'BASE') > 0 AS base_beats_its_twin,
       count(*) FILTER (WHERE want = 'NOPE') = 0 AS unknown_plan_offers_nothing,
       count(*) FILTER (WHERE want IS NOT NULL AND plan_code <> want) = 0 AS only_the_plan_asked
  FROM plan_offers;

-- what search offers under a plan, reserve_range sells at that price
CREATE FUNCTION t.plan_agree(ci date, co date, g int, r int, want text, kids int)
RETURNS TABLE(offered int, same_price int) LANGUAGE plpgsql AS $$
DECLARE
    o record;
    res booking.reservation;
BEGIN
    offered := 0; same_price := 0;
    FOR o IN SELECT * FROM booking.search('Oracle City', ci, co, g, r, 1000, want, kids) LOOP
        offered := offered + 1;
        BEGIN
            res := booking.reserve_range(o.property_id, o.room_type, ci, co, r, guests => g,
                                         rate_plan => o.plan_code, children => kids);
            IF res.total_price = o.total_price AND res.rate_plan = o.plan_code THEN
                same_price := same_price + 1;
            ELSE
                RAISE WARNING 'search % %: % under %, reserve_range % under %', o.property_id, o.room_type,
                    o.total_price, o.plan_code, res.total_price, res.rate_plan;
            END IF;
            RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
        EXCEPTION WHEN raise_exception THEN NULL;
        END;
    END LOOP;
    RETURN NEXT;
END
$$;
SELECT sum(offered) > 100 AS many_offers, sum(offered) = sum(same_price) AS every_offer_sells_at_its_price
  FROM plan_cases c, LATERAL t.plan_agree(c.ci, c.co, c.g, c.r, c.want, c.kids)
 WHERE c.k <= 60;
SELECT count(*) = 0 AS consistent FROM booking.check_invariants();

-- Prices of every scale: search adds prices of at most two decimals in
-- whole cents and the others as numeric (src/cents.c); either way its
-- totals must be the oracle's, display scale included (compared as text).
-- One decimal; four, the last two zeros (whole cents: 80.0500); a
-- fraction of a cent on every other night and none on the others (a stay
-- mixes the two ways); four, not whole cents; two, near the highest price.
UPDATE booking.inventory i
   SET price = CASE props.i % 5
                 WHEN 0 THEN round(i.price) + 0.5
                 WHEN 1 THEN (i.price + 0.05) * 1.00
                 WHEN 2 THEN CASE WHEN (i.night - current_date) % 2 = 0 THEN i.price + 0.125 ELSE round(i.price) END
                 WHEN 3 THEN i.price + 0.0001
                 ELSE 999999000 + i.price END
  FROM props WHERE i.property_id = props.p;
SELECT booking.rebuild_calendar() > 0 AS rebuilt;
SELECT count(DISTINCT scale(price)) AS price_scales FROM booking.inventory WHERE property_id IN (SELECT p FROM props);
CREATE TEMP TABLE scale_compared AS
SELECT c.k,
       (SELECT array_agg(ROW(s.property_id, s.room_type, s.min_available, s.total_price, s.plan_code)::text)
          FROM booking.search('Oracle City', c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) s)
       IS NOT DISTINCT FROM
       (SELECT array_agg(ROW(o.property_id, o.room_type, o.min_available, o.total_price, o.plan_code)::text)
          FROM t.plan_oracle(c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) o) AS same,
       (SELECT count(*) FROM t.plan_oracle(c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids)) AS n,
       (SELECT count(DISTINCT scale(o.total_price)) FROM t.plan_oracle(c.ci, c.co, c.g, c.r, c.lim, c.want, c.kids) o) AS scales
  FROM plan_cases c;
SELECT count(*) AS cases, count(*) FILTER (WHERE same) AS agree, sum(n) > 500 AS many_offers_compared,
       max(scales) >= 4 AS totals_of_several_scales
  FROM scale_compared;
SELECT sum(offered) > 100 AS many_offers, sum(offered) = sum(same_price) AS every_offer_sells_at_its_price
  FROM plan_cases c, LATERAL t.plan_agree(c.ci, c.co, c.g, c.r, c.want, c.kids)
 WHERE c.k <= 30;
SELECT count(*) = 0 AS consistent FROM booking.check_invariants();

-- reserve_range's total, display scale included, against SQL's sum of
-- the nights' prices times the rooms, over the prices of every scale
-- above: whole cents add up in int64, the rest as numeric
-- (nights_total_cents in src/inventory.c).  Room type Z's prices near
-- 10^16 (past what the API takes, set by hand as a DBA could) take the
-- int64 sum past its range, in the sum of 11 nights and in the product
-- of 6 nights by 2 rooms: both fall back to numeric.
CREATE FUNCTION t.total_agrees(p bigint, code text, ci date, co date, r int)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    res booking.reservation;
    want numeric;
BEGIN
    SELECT sum(i.price) * r INTO want FROM booking.inventory i
     WHERE i.property_id = p AND i.room_type = code AND i.night >= ci AND i.night < co;
    BEGIN
        res := booking.reserve_range(p, code, ci, co, r);
        IF res.total_price::text IS DISTINCT FROM want::text THEN
            RAISE WARNING 'reserve_range(%, %, %, %, %): total %, SQL %', p, code, ci, co, r, res.total_price, want;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'P0001',
            MESSAGE = CASE WHEN res.total_price::text IS DISTINCT FROM want::text THEN 'differs' ELSE 'same' END;
    EXCEPTION
        WHEN raise_exception THEN RETURN SQLERRM;
        WHEN SQLSTATE 'BK001' OR SQLSTATE 'BK006' OR SQLSTATE '22023' THEN RETURN 'refused';
    END;
END $$;
SELECT outcome, count(*) > 50 AS many
  FROM (SELECT t.total_agrees(props.p, rt.code, current_date + 2 + s, current_date + 3 + s + n, 1) AS outcome
          FROM props, (VALUES ('A'), ('B'), ('C')) rt(code), generate_series(0, 6) n, generate_series(0, 9) s) x
 WHERE outcome <> 'refused'
 GROUP BY 1 ORDER BY 1;
SELECT booking.add_room_type(p, 'Z', 'Z', 2, 2, 100) FROM props WHERE i = 1;
SELECT booking.open_inventory(p, 'Z', current_date + 2, current_date + 14, NULL, NULL) FROM props WHERE i = 1;
UPDATE booking.inventory SET price = 9000000000000000.05
 WHERE property_id = (SELECT p FROM props WHERE i = 1) AND room_type = 'Z';
SELECT booking.rebuild_calendar() > 0 AS rebuilt;
SELECT t.total_agrees(p, 'Z', current_date + 2, current_date + 13, 1) AS eleven_nights,
       t.total_agrees(p, 'Z', current_date + 2, current_date + 8, 2) AS six_nights_two_rooms,
       t.total_agrees(p, 'Z', current_date + 2, current_date + 4, 2) AS two_nights_two_rooms
  FROM props WHERE i = 1;
SELECT count(*) = 0 AS consistent FROM booking.check_invariants();

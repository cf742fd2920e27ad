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

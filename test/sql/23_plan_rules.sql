-- Rules per rate plan (2.0): set_rules and clear_rules with rate_plan write
-- booking.plan_rule; a plan's rule restricts that plan only (BK006 naming
-- the plan and the night) while the room type's rules bind every plan;
-- room_type.has_plan_rules follows whether any plan rule is left.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SET timezone = 'UTC';
SELECT booking.add_property('Plan Rules Inn', 'Planville', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 5, 2, 100);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 60);
SELECT booking.add_rate_plan(:p, 'DBL', 'NR', 'Non refundable', parent => 'BASE', adjust_pct => -10);
SELECT booking.add_rate_plan(:p, 'DBL', 'BB', 'Bed and breakfast', parent => 'BASE', adjust_amount => 15);

-- t.sell tries a stay under a plan and says 'ok' (rolled back) or the error
CREATE FUNCTION t.sell(p bigint, plan text, a int, b int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    r booking.reservation;
BEGIN
    r := booking.reserve_range(p, 'DBL', current_date + a, current_date + b, rate_plan => plan);
    RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001', DETAIL = r.rate_plan || ' ' || r.total_price;
EXCEPTION
    WHEN raise_exception THEN
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        RETURN 'ok ' || detail;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        RETURN SQLSTATE || ': ' || t.rel(SQLERRM) || ' | ' || t.rel(detail);
END
$$;
CREATE FUNCTION t.flags(p bigint) RETURNS TABLE(has_rules boolean, has_plan_rules boolean) LANGUAGE sql AS $$
    SELECT has_rules, has_plan_rules FROM booking.room_type WHERE property_id = p AND code = 'DBL'
$$;
CREATE FUNCTION t.plan_rules(p bigint) RETURNS TABLE(rate_plan text, d int, min_stay int, stop_sell boolean,
                                                   closed_to_arrival boolean, max_advance int)
LANGUAGE sql AS $$
    SELECT rate_plan, night - current_date, min_stay, stop_sell, closed_to_arrival, max_advance
      FROM booking.plan_rule WHERE property_id = p ORDER BY rate_plan, night
$$;
SELECT * FROM t.flags(:p);

-- stop-sell NR on night 20: NR refused on a stay through it, BASE and BB still sell
-- (BASE 100 x 2 nights = 200; BB (100 + 15) x 2 = 230; NR 90 x 2 = 180 outside the rule)
SELECT booking.set_rules(:p, 'DBL', current_date + 20, current_date + 21, stop_sell => true, rate_plan => 'NR');
SELECT * FROM t.flags(:p);
SELECT * FROM t.plan_rules(:p);
-- nothing went to the room type's rules
SELECT count(*) AS stay_rules FROM booking.stay_rule WHERE property_id = :p;
SELECT t.sell(:p, 'NR', 19, 21);
SELECT t.sell(:p, 'NR', 20, 21);
SELECT t.sell(:p, NULL, 19, 21);
SELECT t.sell(:p, 'BASE', 19, 21);
SELECT t.sell(:p, 'BB', 19, 21);
-- leaving on night 20 does not stay it: NR sells (90 x 2 = 180)
SELECT t.sell(:p, 'NR', 18, 20);

-- min_stay 3 for BB arriving on 30; NR and BASE are not bound by it
-- (BB 115 x 3 = 345; NR 90 x 2 = 180; BASE 100 x 2 = 200)
SELECT booking.set_rules(:p, 'DBL', current_date + 30, current_date + 31, min_stay => 3, rate_plan => 'BB');
SELECT t.sell(:p, 'BB', 30, 32);
SELECT t.sell(:p, 'BB', 30, 33);
SELECT t.sell(:p, 'NR', 30, 32);
SELECT t.sell(:p, 'BASE', 30, 32);

-- rules of 'BASE' itself: closed to arrival on 40 for BASE; NR, derived from it, still sells
SELECT booking.set_rules(:p, 'DBL', current_date + 40, current_date + 41, closed_to_arrival => true, rate_plan => 'BASE');
SELECT t.sell(:p, 'BASE', 40, 42);
SELECT t.sell(:p, NULL, 40, 42);
SELECT t.sell(:p, 'NR', 40, 42);
-- max_advance 5 for NR from night 0 on: a stay arriving on 10 is 10 days ahead (NR on 5: 90)
SELECT booking.set_rules(:p, 'DBL', current_date, current_date + 15, max_advance => 5, rate_plan => 'NR');
SELECT t.sell(:p, 'NR', 10, 11);
SELECT t.sell(:p, 'NR', 5, 6);
SELECT * FROM t.plan_rules(:p) WHERE d NOT BETWEEN 1 AND 14;

-- the room type's rules still bind every plan: stop-sell the room type on 50
SELECT booking.set_rules(:p, 'DBL', current_date + 50, current_date + 51, stop_sell => true);
SELECT * FROM t.flags(:p);
SELECT t.sell(:p, 'NR', 50, 51);
SELECT t.sell(:p, 'BB', 50, 51);
SELECT t.sell(:p, 'BASE', 50, 51);

-- unknown plans: BK005 as add_rate_plan's parent, for set_rules and clear_rules; nothing written
SELECT t.try(format('SELECT booking.set_rules(%s, %L, current_date + 1, current_date + 2, stop_sell => true, rate_plan => %L)',
                    :p, 'DBL', 'NOPE'));
SELECT t.try(format('SELECT booking.clear_rules(%s, %L, current_date + 1, current_date + 2, rate_plan => %L)',
                    :p, 'DBL', 'NOPE'));
-- a plan of another room type is not this one's
SELECT booking.add_room_type(:p, 'SGL', 'Single', 2, 1, 60);
SELECT booking.add_rate_plan(:p, 'SGL', 'SOLO', 'Solo', parent => 'BASE');
SELECT t.try(format('SELECT booking.set_rules(%s, %L, current_date + 1, current_date + 2, stop_sell => true, rate_plan => %L)',
                    :p, 'DBL', 'SOLO'));
SELECT t.try(format('SELECT booking.set_rules(%s, %L, current_date + 1, current_date + 2, stop_sell => true, rate_plan => %L)',
                    :p, 'DBL', ''));
-- 18 rows: NR max_advance on 0..14 (15) and stop_sell on 20, BB on 30, BASE on 40
SELECT count(*) AS plan_rule_rows FROM booking.plan_rule WHERE property_id = :p;
-- contradicting bounds within a plan: 22023, as for the room type's rules
SELECT t.try(format('SELECT booking.set_rules(%s, %L, current_date + 30, current_date + 31, max_stay => 2, rate_plan => %L)',
                    :p, 'DBL', 'BB'));

-- clearing: a plan's rules only; has_plan_rules stays true while any is left
-- (NR had 16 nights with rules: 0..14 and 20)
SELECT booking.clear_rules(:p, 'DBL', current_date, current_date + 60, rate_plan => 'NR');
SELECT * FROM t.flags(:p);
SELECT t.sell(:p, 'NR', 19, 21);
SELECT t.sell(:p, 'NR', 10, 11);
SELECT booking.clear_rules(:p, 'DBL', current_date + 30, current_date + 31, rate_plan => 'BB');
SELECT * FROM t.flags(:p);
-- clearing rules a plan has none of changes nothing
SELECT booking.clear_rules(:p, 'DBL', current_date, current_date + 60, rate_plan => 'BB');
SELECT * FROM t.flags(:p);
-- the last plan rule (BASE's on 40) cleared: has_plan_rules goes off, BASE sells on 40 again
SELECT booking.clear_rules(:p, 'DBL', current_date + 40, current_date + 41, rate_plan => 'BASE');
SELECT * FROM t.flags(:p);
-- setting only "no rule" values (0 clears) leaves no row and no flag
SELECT booking.set_rules(:p, 'DBL', current_date + 5, current_date + 7, min_stay => 0, rate_plan => 'NR');
SELECT * FROM t.flags(:p);
SELECT count(*) AS plan_rule_rows FROM booking.plan_rule WHERE property_id = :p;
SELECT t.sell(:p, 'BASE', 40, 42);
-- the room type's rules were never touched by the plans'
SELECT night - current_date AS d, stop_sell FROM booking.stay_rule WHERE property_id = :p;
SELECT count(*) = 0 AS consistent FROM booking.check_invariants();

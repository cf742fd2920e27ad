-- Stay rules at their boundaries: reserve_range (BK006), quote and search
-- all judge the same way.
-- The lead-time rules count days from the property's local today (UTC here):
-- make current_date that same day.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SET timezone = 'UTC';
SELECT booking.add_property('Rule Resort', 'Nazare', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'R', 'Room', 5, 2, 100);
SELECT booking.add_room_type(:p, 'FREE', 'No rules', 5, 2, 100);
SELECT booking.open_inventory(:p, 'R', current_date, current_date + 90);
SELECT booking.open_inventory(:p, 'FREE', current_date, current_date + 90);

-- t.book tries a stay and says held or the SQLSTATE and the rule
CREATE FUNCTION t.book(p bigint, rt text, a int, b int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r booking.reservation;
BEGIN
    r := booking.reserve_range(p, rt, current_date + a, current_date + b);
    PERFORM booking.cancel_reservation(r.reservation_id);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
-- t.quoted says what quote answers for a stay
CREATE FUNCTION t.quoted(p bigint, rt text, a int, b int) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN bool_and(bookable) THEN 'bookable' ELSE t.rel(min(reason)) END
      FROM booking.quote(p, rt, current_date + a, current_date + b)
$$;
-- t.offered says whether search offers the room type for a stay
CREATE FUNCTION t.offered(p bigint, rt text, a int, b int) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM booking.search('Nazare', current_date + a, current_date + b, 1, 1, 100) s
                    WHERE s.property_id = p AND s.room_type = rt)
$$;
CREATE FUNCTION t.judge(p bigint, a int, b int) RETURNS TABLE(stay text, reserve text, quote text, search boolean)
LANGUAGE sql AS $$
    SELECT format('[%s, %s)', a, b), t.book(p, 'R', a, b), t.quoted(p, 'R', a, b), t.offered(p, 'R', a, b)
$$;

-- min_stay 3 on arrival night 10: 2 nights refused, 3 exactly accepted
SELECT booking.set_rules(:p, 'R', current_date + 10, current_date + 11, min_stay => 3);
SELECT * FROM t.judge(:p, 10, 12);
SELECT * FROM t.judge(:p, 10, 13);
-- counted from the arrival night only: a stay through night 10 is not bound by it
SELECT * FROM t.judge(:p, 9, 11);
-- max_stay 2 on night 20
SELECT booking.set_rules(:p, 'R', current_date + 20, current_date + 21, max_stay => 2);
SELECT * FROM t.judge(:p, 20, 22);
SELECT * FROM t.judge(:p, 20, 23);
-- closed to arrival on 30, open to staying through it
SELECT booking.set_rules(:p, 'R', current_date + 30, current_date + 31, closed_to_arrival => true);
SELECT * FROM t.judge(:p, 30, 32);
SELECT * FROM t.judge(:p, 29, 32);
-- closed to departure on 40: leaving on 40 refused, staying the night of 40 fine
SELECT booking.set_rules(:p, 'R', current_date + 40, current_date + 41, closed_to_departure => true);
SELECT * FROM t.judge(:p, 38, 40);
SELECT * FROM t.judge(:p, 38, 41);
-- stop-sell on 50, the last night of a stay, and the night after a stay
SELECT booking.set_rules(:p, 'R', current_date + 50, current_date + 51, stop_sell => true);
SELECT * FROM t.judge(:p, 48, 51);
SELECT * FROM t.judge(:p, 48, 50);
SELECT * FROM t.judge(:p, 51, 53);
-- lead time: min_advance 5 and max_advance 7 on nights 5..9
SELECT booking.set_rules(:p, 'R', current_date + 4, current_date + 9, min_advance => 5, max_advance => 7);
SELECT * FROM t.judge(:p, 4, 5);
SELECT * FROM t.judge(:p, 5, 6);
SELECT * FROM t.judge(:p, 7, 8);
SELECT * FROM t.judge(:p, 8, 9);
-- rules that change inside a stay: only the arrival night's stay rules bind
SELECT booking.set_rules(:p, 'R', current_date + 60, current_date + 61, min_stay => 1);
SELECT booking.set_rules(:p, 'R', current_date + 61, current_date + 65, min_stay => 4);
SELECT * FROM t.judge(:p, 60, 62);
SELECT * FROM t.judge(:p, 61, 63);
-- NULL leaves a rule as it is; 0 clears min_stay
SELECT booking.set_rules(:p, 'R', current_date + 10, current_date + 11, closed_to_departure => false);
SELECT min_stay, closed_to_arrival FROM booking.stay_rule WHERE property_id = :p AND night = current_date + 10;
SELECT booking.set_rules(:p, 'R', current_date + 10, current_date + 11, min_stay => 0);
SELECT count(*) AS rule_rows_left FROM booking.stay_rule WHERE property_id = :p AND night = current_date + 10;
SELECT * FROM t.judge(:p, 10, 12);
-- clear_rules removes every rule of a range; has_rules follows
SELECT has_rules FROM booking.room_type WHERE property_id = :p AND code = 'R';
SELECT booking.clear_rules(:p, 'R', current_date, current_date + 90) AS cleared;
SELECT has_rules FROM booking.room_type WHERE property_id = :p AND code = 'R';
SELECT * FROM t.judge(:p, 48, 51);
-- a room type without rules is never judged by another's
SELECT t.book(:p, 'FREE', 50, 51);
-- the BK006 detail names the rule and the night
SELECT booking.set_rules(:p, 'R', current_date + 70, current_date + 71, min_stay => 2);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'R', current_date + 70, current_date + 71)$$, :p));

-- bad input
SELECT t.try(format($$SELECT booking.set_rules(%s, 'R', current_date + 5, current_date + 5, min_stay => 2)$$, :p));
SELECT t.try(format($$SELECT booking.set_rules(%s, 'R', current_date, current_date + 1, min_stay => -1)$$, :p));
SELECT t.try(format($$SELECT booking.set_rules(%s, 'R', current_date, current_date + 1, min_stay => 5, max_stay => 2)$$, :p));
SELECT t.try(format($$SELECT booking.set_rules(%s, 'NOPE', current_date, current_date + 1, stop_sell => true)$$, :p));
SELECT t.try(format($$SELECT booking.set_rules(%s, 'R', NULL, current_date + 1)$$, :p));
SELECT t.try(format($$SELECT booking.clear_rules(%s, 'R', current_date + 3, current_date + 1)$$, :p));

SELECT * FROM booking.check_invariants();

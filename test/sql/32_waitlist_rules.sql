-- A waitlist entry whose stay a stay rule kept from fitting is offered the
-- units as soon as the rule is lifted (set_rules or clear_rules), before
-- any public reserve_range can take them: public reserve_range never takes
-- units a waiting entry fits into first (docs/waitlist.md).
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Rule Inn', 'Lisbon', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'ONE', 'One room', 1, 2, 100);
SELECT booking.open_inventory(:p, 'ONE', current_date + 1, current_date + 30);

-- 1. stop-sold nights 10..11; Ana waits for them (the one room is free but not on sale)
SELECT booking.set_rules(:p, 'ONE', current_date + 10, current_date + 12, stop_sell => true);  -- 2 nights
SELECT booking.join_waitlist(:p, 'ONE', current_date + 10, current_date + 12, 1, 'ana') > 0 AS ana;
SELECT guest_id, state FROM booking.waitlist WHERE property_id = :p;  -- ana waiting: not on sale
-- the stop-sell is cleared: Ana gets the room in that transaction
SELECT booking.clear_rules(:p, 'ONE', current_date + 10, current_date + 12);  -- 2 nights had rules
SELECT w.guest_id, w.state, r.state AS offer, r.check_in - current_date AS ci, r.check_out - current_date AS co
  FROM booking.waitlist w LEFT JOIN booking.reservation r USING (reservation_id)
 WHERE w.property_id = :p;  -- ana offered, a hold of nights 10..11
-- so the public finds nothing left
SELECT t.try(format('SELECT booking.reserve_range(%s, %L, current_date + 10, current_date + 12, 1, guest_id => %L)',
                    :p, 'ONE', 'public'));  -- BK001
SELECT d, units, held, booked FROM t.inv(:p, 'ONE', 10, 12);  -- held 1 on both nights

-- 2. set_rules lifting a stop-sell (stop_sell => false) does the same
SELECT booking.set_rules(:p, 'ONE', current_date + 20, current_date + 21, stop_sell => true);  -- 1 night
SELECT booking.join_waitlist(:p, 'ONE', current_date + 20, current_date + 21, 1, 'bea') > 0 AS bea;
SELECT booking.set_rules(:p, 'ONE', current_date + 20, current_date + 21, stop_sell => false);  -- 1 night
SELECT guest_id, state FROM booking.waitlist WHERE property_id = :p ORDER BY guest_id;  -- ana, bea offered

-- 3. a min_stay lowered lets Cid's one-night stay fit
SELECT booking.set_rules(:p, 'ONE', current_date + 25, current_date + 26, min_stay => 2);  -- 1 night
SELECT booking.join_waitlist(:p, 'ONE', current_date + 25, current_date + 26, 1, 'cid') > 0 AS cid;
SELECT guest_id, state FROM booking.waitlist WHERE property_id = :p AND guest_id = 'cid';  -- waiting: min_stay 2
SELECT booking.set_rules(:p, 'ONE', current_date + 25, current_date + 26, min_stay => 0);  -- 1 night
SELECT guest_id, state FROM booking.waitlist WHERE property_id = :p AND guest_id = 'cid';  -- offered

SELECT d, units, held, booked FROM t.inv(:p, 'ONE', 20, 21) UNION ALL
SELECT d, units, held, booked FROM t.inv(:p, 'ONE', 25, 26) ORDER BY d;  -- held 1 on 20 and 25
SELECT count(*) AS problems FROM booking.check_invariants();  -- 0

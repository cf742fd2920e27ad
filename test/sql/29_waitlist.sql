-- The waitlist (2.0): join_waitlist and leave_waitlist, and the offers
-- that every path freeing units makes in the same transaction: the oldest
-- waiting entry whose whole stay now fits (and that the stay rules allow)
-- becomes a `held` reservation with booking.waitlist_offer_ttl, the entry
-- 'offered', and a `waitlist_offered` event is written.  inventory.waiting
-- counts the rooms of waiting entries per night.
\set ECHO none
\i test/sql/setup.psql
-- t.wl_inv: a room type's nights with held, booked and waiting
CREATE OR REPLACE FUNCTION t.wl_inv(p bigint, rt text, first int, last int)
RETURNS TABLE(d int, units int, held int, booked int, waiting int) LANGUAGE sql AS
$$ SELECT night - current_date, units, held, booked, waiting FROM booking.inventory
    WHERE property_id = p AND room_type = rt
      AND night >= current_date + first AND night < current_date + last
    ORDER BY night $$;
-- t.wl: an entry as the tests show it, with its offer
CREATE OR REPLACE FUNCTION t.wl(id bigint) RETURNS text LANGUAGE sql AS
$$ SELECT format('%s D+%s..D+%s x%s %s offer=%s', w.guest_id, w.check_in - current_date,
                 w.check_out - current_date, w.rooms, w.state,
                 CASE WHEN r.reservation_id IS NULL THEN '-'
                      ELSE format('%s D+%s..D+%s x%s %s', r.state, r.check_in - current_date,
                                  r.check_out - current_date, r.rooms, r.total_price) END)
     FROM booking.waitlist w LEFT JOIN booking.reservation r USING (reservation_id)
    WHERE w.waitlist_id = id $$;
-- t.offer_of: the reservation an entry was offered
CREATE OR REPLACE FUNCTION t.offer_of(id bigint) RETURNS bigint LANGUAGE sql AS
$$ SELECT reservation_id FROM booking.waitlist WHERE waitlist_id = id $$;
-- t.expire: a hold's deadline passed
CREATE OR REPLACE FUNCTION t.expire(id bigint) RETURNS void LANGUAGE sql AS
$$ UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second'
    WHERE reservation_id = id $$;
\set ECHO all
SELECT booking.add_property('Waitlist Inn', 'Porto', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'A', 'Room A', 2, 2, 100);
SELECT booking.add_room_type(:p, 'B', 'Room B', 1, 2, 100);
SELECT booking.add_room_type(:p, 'C', 'Room C', 1, 2, 100);
SELECT booking.add_room_type(:p, 'D', 'Room D', 1, 2, 100);
SELECT booking.add_room_type(:p, 'E', 'Room E', 1, 2, 100);
SELECT booking.add_room_type(:p, 'F', 'Room F', 1, 2, 100);
SELECT booking.add_room_type(:p, 'G', 'Room G', 1, 2, 100);
SELECT booking.open_inventory(:p, rt, current_date, current_date + 20)
  FROM unnest('{A,B,C,D,E,F,G}'::text[]) rt;

-- errors: every code
SELECT t.try($$SELECT booking.join_waitlist(-1, 'A', current_date + 1, current_date + 2)$$);
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'ZZ', current_date + 1, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'A', current_date + 19, current_date + 21)$$, :p));
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'A', current_date - 1, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'A', current_date + 2, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'A', current_date + 1, current_date + 2, 0)$$, :p));
SELECT t.try($$SELECT booking.join_waitlist(NULL, 'A', current_date + 1, current_date + 2)$$);
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'A', current_date + 1, current_date + 2, idempotency_key => '')$$, :p));
SELECT t.try($$SELECT booking.leave_waitlist(NULL)$$);
SELECT t.try($$SELECT booking.leave_waitlist(-1)$$);
SELECT count(*) AS entries_after_errors FROM booking.waitlist;   -- 0: nothing written

-- a stay that fits now is offered at once: A has 2 free on D+14 (1 x 100.00)
SELECT booking.join_waitlist(:p, 'A', current_date + 14, current_date + 15, guest_id => 'g0') AS w0 \gset
SELECT t.wl(:w0);
SELECT * FROM t.wl_inv(:p, 'A', 14, 15);   -- held 1 (the offer), waiting 0
-- its waitlist_offered event: the reservation plus waitlist_id
SELECT kind, (payload ->> 'waitlist_id')::bigint = :w0 AS names_entry, payload ->> 'state' AS state,
       payload ->> 'guest_id' AS guest
  FROM booking.event WHERE reservation_id = t.offer_of(:w0) ORDER BY event_id;
-- the offer's deadline: booking.waitlist_offer_ttl (24 h by default)
SELECT r.hold_expires_at - w.offered_at AS ttl
  FROM booking.waitlist w JOIN booking.reservation r USING (reservation_id) WHERE w.waitlist_id = :w0;

-- A sold out on D+10..D+12 by two holds of one room each
SELECT (booking.reserve_range(:p, 'A', current_date + 10, current_date + 13, 1, 'pa1')).reservation_id AS a1 \gset
SELECT (booking.reserve_range(:p, 'A', current_date + 10, current_date + 13, 1, 'pa2')).reservation_id AS a2 \gset
-- three entries wait, oldest first: w1 2 rooms D+10..D+12, w2 1 room D+11, w3 1 room D+10
SELECT booking.join_waitlist(:p, 'A', current_date + 10, current_date + 13, 2, 'g1') AS w1 \gset
SELECT booking.join_waitlist(:p, 'A', current_date + 11, current_date + 12, 1, 'g2') AS w2 \gset
SELECT booking.join_waitlist(:p, 'A', current_date + 10, current_date + 11, 1, 'g3') AS w3 \gset
SELECT t.wl(:w1) AS w1, t.wl(:w2) AS w2, t.wl(:w3) AS w3;
-- waiting: D+10 2+1 = 3, D+11 2+1 = 3, D+12 2
SELECT * FROM t.wl_inv(:p, 'A', 10, 13);

-- idempotent join: the same key and arguments, the same entry; others BK004
SELECT booking.join_waitlist(:p, 'A', current_date + 12, current_date + 13, 1, 'g4', 'k1') AS w4 \gset
SELECT booking.join_waitlist(:p, 'A', current_date + 12, current_date + 13, 1, 'g4', 'k1') = :w4 AS same_entry;
SELECT t.try(format($$SELECT booking.join_waitlist(%s, 'A', current_date + 12, current_date + 13, 2, 'g4', 'k1')$$, :p));
-- the same key of another guest is another entry
SELECT booking.join_waitlist(:p, 'A', current_date + 12, current_date + 13, 1, 'g5', 'k1') <> :w4 AS other_entry;
SELECT count(*) AS g4_entries FROM booking.waitlist WHERE guest_id = 'g4';   -- 1
-- leave: a waiting entry leaves (true), again false; D+12 waiting 2 + 1 (g5) = 3
SELECT booking.leave_waitlist(:w4) AS left_once, booking.leave_waitlist(:w4) AS left_again;
SELECT booking.leave_waitlist(waitlist_id) AS g5_left FROM booking.waitlist WHERE guest_id = 'g5';
SELECT * FROM t.wl_inv(:p, 'A', 10, 13);   -- back to 3, 3, 2

-- cancel a1 (1 room free on D+10..D+12): w1 (2 rooms) does not fit and is
-- skipped; w2 (D+11) fits and is offered; w3 (D+10) still fits and is offered
SELECT (booking.cancel_reservation(:a1)).state;
SELECT t.wl(:w1) AS w1, t.wl(:w2) AS w2, t.wl(:w3) AS w3;
-- held: D+10 a2 + w3 = 2, D+11 a2 + w2 = 2, D+12 a2 = 1; waiting 2 (w1) on each
SELECT * FROM t.wl_inv(:p, 'A', 10, 13);
-- a public reserve finds nothing on D+10 (the entries took the units first)
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'A', current_date + 10, current_date + 11)$$, :p));
-- an offer made stays a reservation: leave_waitlist of an offered entry is false
SELECT booking.leave_waitlist(:w2) AS left_offered;

-- cancel a2: D+10 and D+11 still have 1 free only (the offers), w1 waits
SELECT (booking.cancel_reservation(:a2)).state;
SELECT t.wl(:w1) AS w1;
-- the guest of w3 cancels the offer: it lapses; w1 still lacks D+11
SELECT (booking.cancel_reservation(t.offer_of(:w3))).state;
SELECT t.wl(:w1) AS w1;
-- w2's offer is cancelled too: now w1 fits on D+10..D+12 and is offered (2 x 3 x 100.00 = 600.00)
SELECT (booking.cancel_reservation(t.offer_of(:w2))).state;
SELECT t.wl(:w1) AS w1, t.wl(:w2) AS w2, t.wl(:w3) AS w3;
SELECT * FROM t.wl_inv(:p, 'A', 10, 13);   -- held 2, waiting 0
-- confirming an offer: the entry is booked (recorded by the next waitlist call or sweeper round)
SELECT (booking.confirm_booking(t.offer_of(:w1), 'pay-w1')).state;
SELECT booking.leave_waitlist(:w1) AS left_booked;
SELECT t.wl(:w1) AS w1;

-- expiry (expire_holds): B (1 unit) held by b1 on D+10..D+12
SET booking.waitlist_offer_ttl = '2h';
SELECT (booking.reserve_range(:p, 'B', current_date + 10, current_date + 12, 1, 'pb1')).reservation_id AS b1 \gset
SELECT booking.join_waitlist(:p, 'B', current_date + 10, current_date + 12, 1, 'gb1') AS wb1 \gset
SELECT booking.join_waitlist(:p, 'B', current_date + 11, current_date + 12, 1, 'gb2') AS wb2 \gset
SELECT t.expire(:b1);
SELECT booking.expire_holds(10);   -- 1
SELECT t.wl(:wb1) AS wb1, t.wl(:wb2) AS wb2;   -- wb1 offered (200.00), wb2 waits
SELECT r.hold_expires_at - w.offered_at AS ttl
  FROM booking.waitlist w JOIN booking.reservation r USING (reservation_id) WHERE w.waitlist_id = :wb1;
-- the offer expires: wb1 lapses and its unit passes to wb2 (100.00)
SELECT t.expire(t.offer_of(:wb1));
SELECT booking.expire_holds(10);   -- 1
SELECT t.wl(:wb1) AS wb1, t.wl(:wb2) AS wb2;
SELECT * FROM t.wl_inv(:p, 'B', 10, 12);   -- D+10 free, D+11 held 1, waiting 0
RESET booking.waitlist_offer_ttl;

-- check_out early: C's guest stays D+0..D+3 and leaves today; D+0..D+2 free
SELECT (booking.reserve_range(:p, 'C', current_date, current_date + 3, 1, 'pc1')).reservation_id AS c1 \gset
SELECT (booking.confirm_booking(:c1, 'pay-c1')).state;
SELECT (booking.check_in(:c1)).state;
SELECT booking.join_waitlist(:p, 'C', current_date + 1, current_date + 3, 1, 'gc1') AS wc1 \gset
SELECT t.wl(:wc1) AS wc1;   -- waits
SELECT (booking.check_out(:c1)).state;
SELECT t.wl(:wc1) AS wc1;   -- offered: 2 x 100.00

-- mark_no_show: G's guest D+0..D+3 never came; the nights after the first come free
SELECT (booking.reserve_range(:p, 'G', current_date, current_date + 3, 1, 'pg1')).reservation_id AS g1 \gset
SELECT (booking.confirm_booking(:g1, 'pay-g1')).state;
SELECT booking.join_waitlist(:p, 'G', current_date + 1, current_date + 3, 1, 'gg1') AS wg1 \gset
SELECT t.wl(:wg1) AS wg1;   -- waits
SELECT (booking.mark_no_show(:g1)).state;
SELECT t.wl(:wg1) AS wg1;   -- offered: 2 x 100.00

-- a shrinking modify: D's d1 D+10..D+14 shortened to D+10..D+12
SELECT (booking.reserve_range(:p, 'D', current_date + 10, current_date + 14, 1, 'pd1')).reservation_id AS d1 \gset
SELECT booking.join_waitlist(:p, 'D', current_date + 12, current_date + 14, 1, 'gd1') AS wd1 \gset
SELECT (booking.modify_reservation(:d1, check_out => current_date + 12)).check_out - current_date AS d1_out;
SELECT t.wl(:wd1) AS wd1;   -- offered: 2 x 100.00

-- open_inventory adding a unit to E
SELECT (booking.reserve_range(:p, 'E', current_date + 10, current_date + 12, 1, 'pe1')).reservation_id AS e1 \gset
SELECT booking.join_waitlist(:p, 'E', current_date + 10, current_date + 12, 1, 'ge1') AS we1 \gset
SELECT t.wl(:we1) AS we1;   -- waits
SELECT booking.open_inventory(:p, 'E', current_date + 10, current_date + 12, 2);
SELECT t.wl(:we1) AS we1;   -- offered
SELECT * FROM t.wl_inv(:p, 'E', 10, 12);   -- units 2, held 2, waiting 0

-- the stay rules refuse an entry: it is skipped, the next one is offered
SELECT (booking.reserve_range(:p, 'F', current_date + 10, current_date + 12, 1, 'pf1')).reservation_id AS f1 \gset
SELECT booking.join_waitlist(:p, 'F', current_date + 10, current_date + 11, 1, 'gf1') AS wf1 \gset
SELECT booking.join_waitlist(:p, 'F', current_date + 10, current_date + 12, 1, 'gf2') AS wf2 \gset
SELECT booking.set_rules(:p, 'F', current_date + 10, current_date + 12, min_stay => 2);
SELECT (booking.cancel_reservation(:f1)).state;
SELECT t.wl(:wf1) AS wf1, t.wl(:wf2) AS wf2;   -- wf1 (1 night) waits, wf2 offered

-- states seen, and every night's counts sound
SELECT state, count(*) FROM booking.waitlist WHERE property_id = :p GROUP BY state ORDER BY state;
SELECT * FROM booking.check_invariants();

-- entries wanting more rooms than a night can count: 22023, nothing applied
SELECT booking.add_property('Wait Huge', 'Lyon', 'Europe/Paris') AS ph \gset
SELECT booking.add_room_type(:ph, 'R', 'Room', 2147483647);
SELECT booking.open_inventory(:ph, 'R', current_date + 1, current_date + 2);
SELECT booking.join_waitlist(:ph, 'R', current_date + 1, current_date + 2, 2147483647) > 0 AS offered;
SELECT booking.join_waitlist(:ph, 'R', current_date + 1, current_date + 2, 2147483647) > 0 AS waiting;
SELECT t.try(format('SELECT booking.join_waitlist(%s, %L, current_date + 1, current_date + 2, 1)', :ph, 'R'));
SELECT count(*) AS entries FROM booking.waitlist WHERE property_id = :ph;
SELECT * FROM booking.check_invariants() WHERE property_id = :ph;
-- left and cancelled: nothing left over for the tests after this one
SELECT bool_and(booking.leave_waitlist(waitlist_id)) AS left_waitlist
  FROM booking.waitlist WHERE property_id = :ph AND state = 'waiting';
SELECT (booking.cancel_reservation(reservation_id, 'test done')).state
  FROM booking.waitlist WHERE property_id = :ph AND state = 'offered';
SELECT * FROM booking.check_invariants() WHERE property_id = :ph;

-- The stay (2.0): check_in, check_out and mark_no_show.  A confirmed
-- reservation checks in from its local arrival day until the day before
-- its check-out and then checks out, or is marked a no-show from its
-- arrival day on.  An early departure or a no-show gives the nights left
-- back: check_out moves, the night prices and total_price follow.
--
-- The clock cannot move, so "today" moves with the property's time zone.
-- This file runs with TimeZone = 'Pacific/Kiritimati' (UTC+14, no DST),
-- so current_date is the local today of a property there.  A property in
-- Pacific/Honolulu (UTC-10, no DST) is exactly 24 hours behind, so its
-- local today is current_date - 1 at every instant; moving it to
-- Pacific/Kiritimati later makes its today one day later.
\set ECHO none
\i test/sql/setup.psql
-- t.sd: a date as D+n / D-n from current_date
CREATE OR REPLACE FUNCTION t.sd(d date) RETURNS text LANGUAGE sql AS
$$ SELECT 'D' || CASE WHEN d >= current_date THEN '+' ELSE '' END || (d - current_date) $$;
-- t.st: a reservation as the tests show it
CREATE OR REPLACE FUNCTION t.st(r booking.reservation) RETURNS text LANGUAGE sql AS
$$ SELECT format('%s %s..%s x%s total=%s fee=%s', r.state, t.sd(r.check_in), t.sd(r.check_out),
                 r.rooms, r.total_price, coalesce(r.cancellation_fee::text, '-')) $$;
-- t.nights: the prices a reservation's nights were sold at
CREATE OR REPLACE FUNCTION t.nights(id bigint) RETURNS TABLE(night text, price numeric, extra numeric)
LANGUAGE sql AS
$$ SELECT t.sd(n.night), n.price, n.extra FROM booking.reservation_night n
    WHERE n.reservation_id = id ORDER BY n.night $$;
-- t.ev: a reservation's events of the stay, with their calendar change
CREATE OR REPLACE FUNCTION t.ev(id bigint)
RETURNS TABLE(kind text, free_delta int, first_night text, end_night text, state text,
              check_out text, total_price numeric, cancellation_fee numeric, refund_amount numeric)
LANGUAGE sql AS
$$ SELECT e.kind, e.free_delta, t.sd(e.first_night), t.sd(e.end_night), e.payload->>'state',
          t.sd((e.payload->>'check_out')::date), (e.payload->>'total_price')::numeric,
          (e.payload->>'cancellation_fee')::numeric, (e.payload->>'refund_amount')::numeric
     FROM booking.event e
    WHERE e.reservation_id = id AND e.kind IN ('checked_in', 'checked_out', 'no_show')
    ORDER BY e.event_id $$;
\set ECHO all
SET TimeZone = 'Pacific/Kiritimati';
SELECT booking.add_property('Atoll Inn', 'Kiritimati', 'Pacific/Kiritimati') AS k \gset
SELECT booking.add_room_type(:k, 'DBL', 'Double', 10, 2, 100);
SELECT booking.open_inventory(:k, 'DBL', current_date, current_date + 10);
SELECT booking.open_inventory(:k, 'DBL', current_date + 1, current_date + 3, NULL, 120);
SELECT booking.add_property('Lagoon Lodge', 'Honolulu', 'Pacific/Honolulu') AS h \gset
SELECT booking.add_room_type(:h, 'DBL', 'Double', 5, 2, 80);
SELECT booking.open_inventory(:h, 'DBL', current_date - 1, current_date + 10);
-- the two local todays: Kiritimati's is current_date, Honolulu's the day before
SELECT (now() AT TIME ZONE 'Pacific/Kiritimati')::date - current_date AS kiritimati,
       (now() AT TIME ZONE 'Pacific/Honolulu')::date - current_date AS honolulu;

-- ---------------------------------------------------------------------
-- check_in: only a confirmed reservation, from its local arrival day
-- ---------------------------------------------------------------------
-- a hold, then a payment under way: BK003, it must be confirmed first
SELECT reservation_id AS r1 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 2) \gset
SELECT t.try(format('SELECT booking.check_in(%s)', :r1)) AS held;
SELECT state FROM booking.begin_payment(:r1, 'pi-stay-1');
SELECT t.try(format('SELECT booking.check_in(%s)', :r1)) AS payment_pending;
-- cancelled: BK003
SELECT state FROM booking.cancel_reservation(:r1);
SELECT t.try(format('SELECT booking.check_in(%s)', :r1)) AS cancelled;
-- before the arrival day: BK003 naming both days and the time zone
SELECT reservation_id AS r2 FROM booking.reserve_range(:k, 'DBL', current_date + 1, current_date + 3) \gset
SELECT state FROM booking.confirm_booking(:r2, 'pay-stay-2');
SELECT t.try(format('SELECT booking.check_in(%s)', :r2)) AS before_arrival;
-- the LOCAL day: the same arrival date D+0 has come at Kiritimati and not
-- yet at Honolulu (where it is D-1)
SELECT reservation_id AS r3 FROM booking.reserve_range(:h, 'DBL', current_date, current_date + 2) \gset
SELECT state FROM booking.confirm_booking(:r3, 'pay-stay-3');
SELECT t.try(format('SELECT booking.check_in(%s)', :r3)) AS not_yet_in_honolulu;
-- 2 rooms, D+0..D+3 at 100, 120, 120: total (100 + 120 + 120) x 2 = 680
SELECT reservation_id AS r4 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 3, 2) \gset
SELECT state FROM booking.confirm_booking(:r4, 'pay-stay-4');
SELECT t.st(r) AS arrived_at_kiritimati FROM booking.check_in(:r4) r;
-- a repeat: the row unchanged, no second event
SELECT t.st(r) AS repeat FROM booking.check_in(:r4) r;
SELECT * FROM t.ev(:r4);
-- nothing moved in the inventory: checking in changes no night
SELECT * FROM t.inv(:k, 'DBL', 0, 4);
-- unknown reservation: BK005; NULL: 22023
SELECT t.try('SELECT booking.check_in(999999999)') AS unknown;
SELECT t.try('SELECT booking.check_in(NULL)') AS null_id;

-- ---------------------------------------------------------------------
-- check_out: only a checked_in stay; an early departure gives nights back
-- ---------------------------------------------------------------------
-- a confirmed reservation, a hold: BK003
SELECT t.try(format('SELECT booking.check_out(%s)', :r2)) AS confirmed;
SELECT reservation_id AS r9 FROM booking.reserve_range(:k, 'DBL', current_date + 5, current_date + 6) \gset
SELECT t.try(format('SELECT booking.check_out(%s)', :r9)) AS held;
-- r4 leaves today, D+0, the day it came: the departure is clamped to its
-- second day, D+1 (the first night is always kept), so the nights D+1 and
-- D+2 go back, 2 rooms each
SELECT * FROM t.nights(:r4);
SELECT * FROM t.inv(:k, 'DBL', 0, 4);
SELECT t.st(r) AS early_departure FROM booking.check_out(:r4) r;
-- kept: D+0 at 100 x 2 rooms = 200
SELECT * FROM t.nights(:r4);
SELECT * FROM t.inv(:k, 'DBL', 0, 4);
-- the event gives the nights [D+1, D+3) back: free_delta +2
SELECT * FROM t.ev(:r4);
SELECT * FROM booking.check_invariants();
-- a repeat: unchanged, no second event
SELECT t.st(r) AS repeat FROM booking.check_out(:r4) r;
SELECT count(*) AS checked_out_events FROM booking.event WHERE reservation_id = :r4 AND kind = 'checked_out';
-- the nights it gave back are for sale again: 10 units on D+1, r2 books 1,
-- so 9 are free; before the check-out only 7 were
SELECT t.st(r) AS resold FROM booking.reserve_range(:k, 'DBL', current_date + 1, current_date + 2, 9) r;
SELECT (booking.cancel_reservation(reservation_id)).state AS resale
  FROM booking.reservation WHERE property_id = :k AND state = 'held' AND rooms = 9;
-- a checked_out stay goes nowhere else: BK003
SELECT t.try(format('SELECT booking.check_in(%s)', :r4)) AS check_in_again;
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r4)) AS no_show_after_stay;
SELECT t.try(format('SELECT booking.cancel_reservation(%s)', :r4)) AS cancel_after_stay;

-- a one-night stay checked out on its arrival day leaves on its check-out:
-- nothing is given back
SELECT reservation_id AS r10 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 1) \gset
SELECT state FROM booking.confirm_booking(:r10, 'pay-stay-10');
SELECT state FROM booking.check_in(:r10);
SELECT t.st(r) AS one_night FROM booking.check_out(:r10) r;
SELECT * FROM t.ev(:r10);

-- ---------------------------------------------------------------------
-- mark_no_show: only confirmed, from the local arrival day on
-- ---------------------------------------------------------------------
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r9)) AS held;
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r1)) AS cancelled;
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r2)) AS before_arrival;
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r3)) AS not_yet_in_honolulu;
SELECT reservation_id AS r11 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 2) \gset
SELECT state FROM booking.confirm_booking(:r11, 'pay-stay-11');
SELECT state FROM booking.check_in(:r11);
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r11)) AS checked_in;
-- 1 room, D+0..D+4 at 100, 120, 120, 100: total 440; the first night stays
-- booked (check_out D+1, total 100), D+1..D+3 go back; the plan is BASE,
-- which has no policy: fee 0, refund the whole 440
SELECT reservation_id AS r8 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 4) \gset
SELECT state FROM booking.confirm_booking(:r8, 'pay-stay-8');
SELECT * FROM t.nights(:r8);
SELECT * FROM t.inv(:k, 'DBL', 0, 5);
SELECT t.st(r) AS no_show FROM booking.mark_no_show(:r8) r;
SELECT * FROM t.nights(:r8);
SELECT * FROM t.inv(:k, 'DBL', 0, 5);
SELECT * FROM t.ev(:r8);
SELECT * FROM booking.check_invariants();
-- a no-show goes nowhere else, not even a second no-show: BK003
SELECT t.try(format('SELECT booking.mark_no_show(%s)', :r8)) AS again;
SELECT t.try(format('SELECT booking.check_in(%s)', :r8)) AS check_in;
SELECT t.try(format('SELECT booking.check_out(%s)', :r8)) AS check_out;
SELECT t.try(format('SELECT booking.cancel_reservation(%s)', :r8)) AS cancel;

-- the no-show charge comes from the plan's policy, computed on the
-- reservation before the trim: its no_show charge, else its last tier's
SELECT booking.add_policy(:k, 'NR', '[{"until": "0", "charge_pct": 100}]', '{"charge_nights": 1}');
SELECT booking.add_policy(:k, 'FLEX', '[{"until": "2 days", "charge_pct": 0}, {"until": "0", "charge_pct": 50}]');
SELECT booking.add_rate_plan(:k, 'DBL', 'NR', 'Non-refundable', 'BASE', policy => 'NR');
SELECT booking.add_rate_plan(:k, 'DBL', 'FLEXPP', 'Flexible, per person', 'BASE', base_occupancy => 1,
                             extra_adult => 15, policy => 'FLEX');
-- n1: NR, 2 rooms D+0..D+3 at 100, 120, 120: total 340 x 2 = 680; the
-- no_show charge is 1 night: 100 x 2 = 200, refund 480; kept D+0: 200
SELECT reservation_id AS n1 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 3, 2,
                                                      rate_plan => 'NR') \gset
SELECT state FROM booking.confirm_booking(:n1, 'pay-stay-n1');
SELECT t.st(r) AS before FROM booking.reservation r WHERE reservation_id = :n1;
SELECT t.st(r) AS no_show_nr FROM booking.mark_no_show(:n1) r;
SELECT * FROM t.ev(:n1);
-- n2: FLEXPP, 1 room, 2 guests, D+0..D+2 at 100, 120, extra 15 x (2 - 1)
-- = 15 a night: total 220 + 2 x 15 = 250; no no_show charge, so the last
-- tier: 50 % of 250 = 125, refund 125; kept D+0: 100 + 15 = 115 (the fee,
-- made on the stay as it was, is more than what is left of it)
SELECT reservation_id AS n2 FROM booking.reserve_range(:k, 'DBL', current_date, current_date + 2, 1,
                                                      guests => 2, rate_plan => 'FLEXPP') \gset
SELECT state FROM booking.confirm_booking(:n2, 'pay-stay-n2');
SELECT t.st(r) AS before FROM booking.reservation r WHERE reservation_id = :n2;
SELECT * FROM t.nights(:n2);
SELECT t.st(r) AS no_show_flex FROM booking.mark_no_show(:n2) r;
SELECT * FROM t.nights(:n2);
SELECT * FROM t.ev(:n2);
SELECT * FROM t.inv(:k, 'DBL', 0, 4);
SELECT * FROM booking.check_invariants();

-- ---------------------------------------------------------------------
-- Stays that began yesterday: at Honolulu it is D-1
-- ---------------------------------------------------------------------
-- r5: D-1..D+0, confirmed, never checked in
SELECT reservation_id AS r5 FROM booking.reserve_range(:h, 'DBL', current_date - 1, current_date) \gset
SELECT state FROM booking.confirm_booking(:r5, 'pay-stay-5');
-- r6: 2 rooms D-1..D+3 at 80, checked in on D-1
SELECT reservation_id AS r6 FROM booking.reserve_range(:h, 'DBL', current_date - 1, current_date + 3, 2) \gset
SELECT state FROM booking.confirm_booking(:r6, 'pay-stay-6');
SELECT t.st(r) AS arrived_at_honolulu FROM booking.check_in(:r6) r;
-- r7: 1 room D-1..D+0, checked in on D-1
SELECT reservation_id AS r7 FROM booking.reserve_range(:h, 'DBL', current_date - 1, current_date) \gset
SELECT state FROM booking.confirm_booking(:r7, 'pay-stay-7');
SELECT state FROM booking.check_in(:r7);
-- r6 carries per-night extras of 12.50 for the whole reservation (as a
-- per-person plan would give it): total 4 x 80 x 2 + 4 x 12.50 = 690
UPDATE booking.reservation SET night_extra = 12.50 WHERE reservation_id = :r6;
UPDATE booking.reservation SET total_price = total_price + 4 * 12.50 WHERE reservation_id = :r6;
SELECT t.st(r) FROM booking.reservation r WHERE reservation_id = :r6;
SELECT * FROM booking.check_invariants();

-- a day passes at Lagoon Lodge: it is D+0 there now
UPDATE booking.property SET time_zone = 'Pacific/Kiritimati' WHERE property_id = :h;
SELECT booking.rebuild_calendar() > 0 AS calendar_follows_direct_write;
-- r3's arrival day has come
SELECT t.st(r) AS arrival_day_came FROM booking.check_in(:r3) r;
-- r5's stay is over: too late to check in, but a no-show; nothing to give
-- back (its only night is its first), total 80 stays, fee 0, refund 80
SELECT t.try(format('SELECT booking.check_in(%s)', :r5)) AS stay_over;
SELECT t.st(r) AS no_show_after_the_stay FROM booking.mark_no_show(:r5) r;
SELECT * FROM t.ev(:r5);
-- r6 leaves on D+0, after one night: D+0, D+1, D+2 go back, 2 rooms each;
-- kept D-1: 80 x 2 + 12.50 = 172.50
SELECT * FROM t.inv(:h, 'DBL', -1, 4);
SELECT t.st(r) AS early_departure FROM booking.check_out(:r6) r;
SELECT * FROM t.nights(:r6);
SELECT * FROM t.inv(:h, 'DBL', -1, 4);
SELECT * FROM t.ev(:r6);
-- r7 leaves on its check-out day: nothing goes back, total 80 stays
SELECT t.st(r) AS last_day FROM booking.check_out(:r7) r;
SELECT * FROM t.nights(:r7);
SELECT * FROM t.ev(:r7);
SELECT * FROM t.inv(:h, 'DBL', -1, 4);

SELECT * FROM booking.check_invariants();

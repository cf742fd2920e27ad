-- Rate plans (2.0): derived chains (each step rounded half-up to cents),
-- plans priced by set_rates, per-person plans (adults beyond the base
-- occupancy, children), the plan recorded on the reservation and its
-- nights, prices that follow the parent, modify and group lines under a
-- plan, idempotency keys that tell plans apart, and the errors.  Every
-- expected price is worked out by hand in the comment above its query.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SET timezone = 'UTC';
SELECT booking.add_property('Rate Plan Hotel', 'Rateville', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 5, 4, 100);
-- nights D+1..D+29 at 100; D+12 and D+13 at 120
SELECT booking.open_inventory(:p, 'DBL', current_date + 1, current_date + 30);
SELECT booking.set_rates(:p, 'DBL', 'BASE', current_date + 12, current_date + 14, 120);

-- NR: BASE - 10 %.  NRBB: NR + 15.555 (a chain of two).  FAM: BASE + 5 %,
-- two guests included, 20 per extra adult and 12.50 per child, per night.
-- PROMO: priced by set_rates, 77.77 on D+5..D+7 only.  PROMO3: PROMO - 33.3 %.
SELECT booking.add_rate_plan(:p, 'DBL', 'NR', 'Non-refundable', parent => 'BASE', adjust_pct => -10);
SELECT booking.add_rate_plan(:p, 'DBL', 'NRBB', 'NR with breakfast', parent => 'NR',
                             adjust_amount => 15.555, meal_plan => 'BB');
SELECT booking.add_rate_plan(:p, 'DBL', 'FAM', 'Family', parent => 'BASE', adjust_pct => 5,
                             base_occupancy => 2, extra_adult => 20, extra_child => 12.5);
SELECT booking.add_rate_plan(:p, 'DBL', 'PROMO', 'Promotion');
SELECT booking.set_rates(:p, 'DBL', 'PROMO', current_date + 5, current_date + 8, 77.77);
SELECT booking.add_rate_plan(:p, 'DBL', 'PROMO3', 'Promotion, a third off', parent => 'PROMO',
                             adjust_pct => -33.3);
SELECT code, parent, adjust_pct, adjust_amount, base_occupancy, extra_adult, extra_child, meal_plan
  FROM booking.rate_plan WHERE property_id = :p ORDER BY code;
SELECT has_rate_plans FROM booking.room_type WHERE property_id = :p;

-- The chain rounds at each step: on a 100 night NR = 90.00, NRBB = 90 +
-- 15.555 = 105.555 -> 105.56; on a 120 night NR = 108.00, NRBB = 123.555
-- -> 123.56.  Stay D+11..D+14: 105.56 + 123.56 + 123.56 = 352.68.
SELECT night - current_date AS d, price, total_price, extra, bookable
  FROM booking.quote(:p, 'DBL', current_date + 11, current_date + 14, rate_plan => 'NRBB');

-- PROMO3 on 77.77: 77.77 x 0.667 = 51.87259 -> 51.87.  Two nights, 2 rooms:
-- 51.87 x 2 x 2 = 207.48.
SELECT night - current_date AS d, price, total_price, bookable
  FROM booking.quote(:p, 'DBL', current_date + 5, current_date + 7, 2, rate_plan => 'PROMO3');

-- PROMO has no price on D+8: not bookable there (quote's reason), BK006 from reserve_range
SELECT DISTINCT bookable, t.rel(reason) AS reason
  FROM booking.quote(:p, 'DBL', current_date + 6, current_date + 9, rate_plan => 'PROMO');
SELECT t.try($$SELECT booking.reserve_range($$ || :p || $$, 'DBL', current_date + 6, current_date + 9,
                                           rate_plan => 'PROMO')$$);

-- FAM, 2 rooms, 5 adults and 2 children on D+11..D+13: the rooms include
-- 2 x 2 = 4 guests, so 1 extra adult (20) and 2 children (2 x 12.50):
-- extra 45.00 a night.  Prices 100 x 1.05 = 105.00, 120 x 1.05 = 126.00.
-- Total (105 + 126) x 2 + 45 x 2 = 462 + 90 = 552.00.
SELECT night - current_date AS d, price, extra, total_price
  FROM booking.quote(:p, 'DBL', current_date + 11, current_date + 13, 2, 5, 'FAM', 2);
SELECT reservation_id AS fam, total_price, rate_plan, guests, children
  FROM booking.reserve_range(:p, 'DBL', current_date + 11, current_date + 13, 2, 'fam-guest',
                             guests => 5, rate_plan => 'FAM', children => 2) \gset
SELECT :'total_price' AS total_price, :'rate_plan' AS rate_plan, :guests AS guests, :children AS children;
SELECT night - current_date AS d, price, extra FROM booking.reservation_night
 WHERE reservation_id = :fam ORDER BY night;
-- the reserved event names the plan and the children
SELECT payload->>'rate_plan' AS rate_plan, payload->'children' AS children, payload->'total_price' AS total
  FROM booking.event WHERE reservation_id = :fam AND kind = 'reserved';

-- guests + children must fit rooms x max_guests (4): 3 adults + 2 children in one room
SELECT t.try($$SELECT booking.reserve_range($$ || :p || $$, 'DBL', current_date + 3, current_date + 4,
                                           guests => 3, children => 2, rate_plan => 'FAM')$$);
-- BASE stays the inventory price; NULL and 'BASE' are the same plan.
-- D+3..D+5 at 100: 200.00
SELECT total_price, rate_plan, children
  FROM booking.reserve_range(:p, 'DBL', current_date + 3, current_date + 5, rate_plan => 'BASE');

-- The parent's price changes: derived plans follow at once (nothing
-- derived is stored).  D+20 to 150: NR 135.00, NRBB 135 + 15.555 = 150.555 -> 150.56.
SELECT booking.set_rates(:p, 'DBL', 'BASE', current_date + 20, current_date + 21, 150);
SELECT price FROM booking.quote(:p, 'DBL', current_date + 20, current_date + 21, rate_plan => 'NRBB');

-- A change of plan prices every night anew; a change of the stay under the
-- same plan keeps the nights kept at the price they were sold at.
-- The family drops the children and stays a night more (D+11..D+14): 1
-- extra adult (20) a night; D+11, D+12 kept at 105.00 and 126.00, D+13
-- added at 126.00: (105 + 126 + 126) x 2 + 20 x 3 = 714 + 60 = 774.00.
SELECT total_price, rate_plan, children
  FROM booking.modify_reservation(:fam, check_out => current_date + 14, children => 0);
-- to NR: every night at NR's price now: 90 + 108 + 108 = 306 x 2 = 612.00, no extras
SELECT total_price, rate_plan, children
  FROM booking.modify_reservation(:fam, rate_plan => 'NR');
SELECT night - current_date AS d, price, extra FROM booking.reservation_night
 WHERE reservation_id = :fam ORDER BY night;

-- Group lines take rate_plan and children.  NR at D+22..D+24: 90 x 2 =
-- 180.00.  FAM, 3 adults and a child in one room: 105 x 2 + (20 + 12.50)
-- x 2 = 210 + 65 = 275.00.
SELECT rate_plan, guests, children, total_price
  FROM booking.reserve_group(:p, jsonb_build_array(
         jsonb_build_object('room_type', 'DBL', 'check_in', to_char(current_date + 22, 'YYYY-MM-DD'),
                            'check_out', to_char(current_date + 24, 'YYYY-MM-DD'), 'rate_plan', 'NR'),
         jsonb_build_object('room_type', 'DBL', 'check_in', to_char(current_date + 22, 'YYYY-MM-DD'),
                            'check_out', to_char(current_date + 24, 'YYYY-MM-DD'), 'rate_plan', 'FAM',
                            'guests', 3, 'children', 1)));
SELECT t.try($$SELECT * FROM booking.reserve_group($$ || :p || $$, jsonb_build_array(jsonb_build_object(
                 'room_type', 'DBL', 'check_in', to_char(current_date + 22, 'YYYY-MM-DD'),
                 'check_out', to_char(current_date + 24, 'YYYY-MM-DD'), 'children', 1.5)))$$);

-- One key, one plan: the same key with another plan or other children is BK004
SELECT total_price FROM booking.reserve_range(:p, 'DBL', current_date + 25, current_date + 26,
                                              guest_id => 'k', idempotency_key => 'plan-key',
                                              rate_plan => 'NR');
SELECT total_price FROM booking.reserve_range(:p, 'DBL', current_date + 25, current_date + 26,
                                              guest_id => 'k', idempotency_key => 'plan-key',
                                              rate_plan => 'NR');
SELECT t.try($$SELECT booking.reserve_range($$ || :p || $$, 'DBL', current_date + 25, current_date + 26,
                                           guest_id => 'k', idempotency_key => 'plan-key')$$);
SELECT t.try($$SELECT booking.reserve_range($$ || :p || $$, 'DBL', current_date + 25, current_date + 26,
                                           guest_id => 'k', idempotency_key => 'plan-key',
                                           rate_plan => 'NR', children => 1)$$);

-- Errors: cycles (22023, before the parent's existence), an unknown
-- parent or plan (BK005), 'BASE' or a code taken (23505), adjustments
-- without a parent or below -100 % (22023), a negative derived price
-- (22023, also when a later price change would make one), set_rates on a
-- derived plan (22023), an unknown policy (BK005)
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'X', 'x', parent => 'X')$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'NR', 'x', parent => 'NRBB')$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'Y', 'x', parent => 'NOPE')$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'BASE', 'x')$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'NR', 'x', parent => 'BASE')$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'Z', 'x', adjust_pct => 5)$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'Z', 'x', parent => 'BASE', adjust_pct => -101)$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'Z', 'x', parent => 'BASE', adjust_pct => 'NaN')$$);
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'Z', 'x', parent => 'BASE', policy => 'NOPE')$$);
-- NR - 95 on a 100 night: 90 - 95 = -5.00
SELECT t.try($$SELECT booking.add_rate_plan($$ || :p || $$, 'DBL', 'NEG', 'x', parent => 'NR', adjust_amount => -95)$$);
-- a plan 80 off BASE holds today; BASE at 50 would make it -30.00
SELECT booking.add_rate_plan(:p, 'DBL', 'DEEP', 'Deep discount', parent => 'BASE', adjust_amount => -80);
SELECT t.try($$SELECT booking.set_rates($$ || :p || $$, 'DBL', 'BASE', current_date + 1, current_date + 2, 50)$$);
SELECT t.try($$SELECT booking.open_inventory($$ || :p || $$, 'DBL', current_date + 1, current_date + 2, price => 50)$$);
SELECT t.try($$SELECT booking.set_rates($$ || :p || $$, 'DBL', 'NR', current_date + 1, current_date + 2, 50)$$);
SELECT t.try($$SELECT booking.set_rates($$ || :p || $$, 'DBL', 'NOPE', current_date + 1, current_date + 2, 50)$$);
SELECT t.try($$SELECT booking.reserve_range($$ || :p || $$, 'DBL', current_date + 1, current_date + 2, rate_plan => 'NOPE')$$);
SELECT t.try($$SELECT booking.reserve_range($$ || :p || $$, 'DBL', current_date + 1, current_date + 2, children => -1)$$);

-- prices are kept in cents: 10.005 is stored 10.01 (half-up)
SELECT booking.set_rates(:p, 'DBL', 'PROMO', current_date + 9, current_date + 10, 10.005);
SELECT price FROM booking.rate WHERE property_id = :p AND rate_plan = 'PROMO' AND night = current_date + 9;

SELECT * FROM booking.check_invariants();

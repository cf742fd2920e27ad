-- Cancellation policies (2.0): add_policy checks the tiers, cancel_quote
-- prices a cancellation at a time (tiers by time before 00:00 local
-- check-in, `until` subtracted in the property's zone, so '1 day' is a
-- calendar day across DST), cancel_reservation and cancel_group record
-- the fee and the cancelled event carries it and the refund.
\set ECHO none
\i test/sql/setup.psql
-- t.q: a cancel_quote row as text
CREATE OR REPLACE FUNCTION t.q(r bigint, at timestamptz) RETURNS text LANGUAGE sql AS
$$ SELECT format('fee=%s refund=%s policy=%s tier=%s', q.fee, q.refund,
                 coalesce(q.policy, '-'), coalesce(q.tier::text, '-'))
     FROM booking.cancel_quote(r, at) q $$;
-- t.err: t.try with ids written N
CREATE OR REPLACE FUNCTION t.err(sql text) RETURNS text LANGUAGE sql AS
$$ SELECT regexp_replace(t.try(sql), 'id -?\d+', 'id N', 'g') $$;
\set ECHO all
SELECT booking.add_property('Policy Hotel', 'Policyville', 'Europe/Berlin') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 5, 2, 100);

-- ---------------------------------------------------------------------
-- add_policy refuses, each with 22023 naming what is wrong
-- ---------------------------------------------------------------------
SELECT t.try('SELECT booking.add_policy(NULL, ''X'', ''[{"until": "0", "charge_pct": 100}]'')') AS no_property_id;
SELECT t.try(format('SELECT booking.add_policy(%s, NULL, ''[{"until": "0", "charge_pct": 100}]'')', :p)) AS no_code;
SELECT t.try(format('SELECT booking.add_policy(%s, '''', ''[{"until": "0", "charge_pct": 100}]'')', :p)) AS empty_code;
SELECT t.try(format('SELECT booking.add_policy(%s, %L, ''[{"until": "0", "charge_pct": 100}]'')', :p, repeat('c', 33))) AS long_code;
SELECT t.try(format('SELECT booking.add_policy(%s, ''X'', NULL)', :p)) AS no_tiers;
SELECT t.try(format('SELECT booking.add_policy(%s, ''X'', %L)', :p, tiers)) AS refused, tiers
  FROM (VALUES
    ('{"until": "0", "charge_pct": 100}'),                                  -- an object, not an array
    ('"0"'),                                                                -- a scalar
    ('null'),
    ('[]'),                                                                 -- no tier
    ('[1]'),                                                                -- a tier that is no object
    ('[{"until": "0", "charge_pct": 10, "fee": 1}]'),                       -- unknown key
    ('[{"charge_pct": 10}]'),                                               -- until missing
    ('[{"until": 0, "charge_pct": 10}]'),                                   -- until not a string
    ('[{"until": "soon", "charge_pct": 10}]'),                              -- until not an interval
    ('[{"until": "-1 day", "charge_pct": 10}]'),                            -- negative
    ('[{"until": "1 day -25 hours", "charge_pct": 10}]'),                   -- negative as a whole
    ('[{"until": "1 mon -29 days", "charge_pct": 10}]'),                   -- a negative part: after check-in on the calendar
    ('[{"until": "1 day -1 hour", "charge_pct": 10}]'),
    ('[{"until": "11 years", "charge_pct": 10}]'),                           -- beyond 3660 days
    ('[{"until": "0"}]'),                                                   -- no charge
    ('[{"until": "0", "charge_pct": 10, "charge_amount": 5}]'),             -- two charges
    ('[{"until": "0", "charge_pct": 100.01}]'),
    ('[{"until": "0", "charge_pct": -1}]'),
    ('[{"until": "0", "charge_pct": "10"}]'),
    ('[{"until": "0", "charge_nights": 1.5}]'),
    ('[{"until": "0", "charge_nights": -1}]'),
    ('[{"until": "0", "charge_nights": 3000000000}]'),
    ('[{"until": "0", "charge_amount": -0.01}]'),
    ('[{"until": "0", "charge_amount": null}]'),
    ('[{"until": "2 days", "charge_pct": 0}, {"until": "1 day", "charge_pct": 10, "x": 1}]'),  -- tier 2 named
    ('[{"until": "1 day", "charge_pct": 0}, {"until": "2 days", "charge_pct": 10}]'),          -- out of order
    ('[{"until": "24 hours", "charge_pct": 0}, {"until": "1 day", "charge_pct": 10}]'),       -- not strictly less
    ('[{"until": "1 mon", "charge_pct": 0}, {"until": "29 days", "charge_pct": 10}]'),        -- 29 days before 1 March is before 1 February
    ('[{"until": "1 day", "charge_pct": 0}, {"until": "23 hours", "charge_pct": 10}]'),       -- the day before a 23-hour day
    ('[{"until": "1 day", "charge_pct": 0}, {"until": "22 hours 30 minutes", "charge_pct": 10}]'), -- a 22-hour day (Antarctica/Troll)
    ('[{"until": "3660 days", "charge_pct": 0}, {"until": "120 mons 10 days", "charge_pct": 10}]')
  ) v(tiers);
-- ... and the orders that hold on every calendar (a property of their own)
SELECT booking.add_property('Order Hotel', 'Orderville', 'Europe/Berlin') AS po \gset
SELECT t.try(format('SELECT booking.add_policy(%s, %L, %L)', :po, 'ORD' || n, tiers)) AS accepted, tiers
  FROM (VALUES (1, '[{"until": "30 days", "charge_pct": 0}, {"until": "29 days", "charge_pct": 10}]'),
               (2, '[{"until": "1 mon", "charge_pct": 0}, {"until": "27 days", "charge_pct": 10}]'),
               (3, '[{"until": "36 hours", "charge_pct": 0}, {"until": "1 day", "charge_pct": 10}, {"until": "12 hours", "charge_pct": 50}]')) v(n, tiers)
 ORDER BY n;
SELECT t.try(format('SELECT booking.add_policy(%s, ''X'', %L)', :p,
                    (SELECT jsonb_agg(jsonb_build_object('until', (30 - i) || ' days', 'charge_pct', i))
                       FROM generate_series(1, 21) i))) AS tiers_21;
SELECT t.try(format('SELECT booking.add_policy(%s, ''X'', ''[{"until": "0", "charge_pct": 100}]'', %L)', :p, no_show)) AS refused, no_show
  FROM (VALUES ('[]'), ('null'), ('{}'), ('{"until": "0", "charge_pct": 5}'),
               ('{"charge_pct": 5, "charge_nights": 1}'), ('{"charge_nights": 0.5}')) v(no_show);
-- an unknown property: BK005 (the tiers are good)
SELECT t.try('SELECT booking.add_policy(-1, ''X'', ''[{"until": "0", "charge_pct": 100}]'')') AS unknown_property;
-- nothing was stored but the three accepted orders
SELECT count(*) FROM booking.cancel_policy WHERE property_id <> :po;

-- ---------------------------------------------------------------------
-- Three policies; 20 tiers is the most
-- ---------------------------------------------------------------------
SELECT booking.add_policy(:p, 'FLEX',
    '[{"until": "7 days", "charge_pct": 0}, {"until": "3 days", "charge_pct": 12.5},
      {"until": "1 day", "charge_nights": 2}, {"until": "0", "charge_pct": 100}]');
SELECT booking.add_policy(:p, 'NONREF', '[{"until": "0", "charge_pct": 100}]', '{"charge_nights": 1}');
SELECT booking.add_policy(:p, 'CAP',
    '[{"until": "10 days", "charge_nights": 9}, {"until": "2 days", "charge_amount": 50},
      {"until": "0", "charge_amount": 100000}]');
SELECT booking.add_policy(:p, 'MANY', (SELECT jsonb_agg(jsonb_build_object('until', (30 - i) || ' days', 'charge_pct', i))
                                         FROM generate_series(1, 20) i));
-- stored as given
SELECT code, tiers, no_show FROM booking.cancel_policy WHERE property_id = :p ORDER BY code;
-- the same code again: 23505
SELECT t.try(format('SELECT booking.add_policy(%s, ''FLEX'', ''[{"until": "0", "charge_pct": 100}]'')', :p)) AS duplicate;

-- plans naming them, derived from 'BASE' at the same price (FLEXPP per
-- person: 15 per adult beyond 1 per room, 10 per child, each night)
SELECT booking.add_rate_plan(:p, 'DBL', 'FLEX', 'Flexible', 'BASE', policy => 'FLEX');
SELECT booking.add_rate_plan(:p, 'DBL', 'FLEXPP', 'Flexible, per person', 'BASE', base_occupancy => 1,
                             extra_adult => 15, extra_child => 10, policy => 'FLEX');
SELECT booking.add_rate_plan(:p, 'DBL', 'NR', 'Non-refundable', 'BASE', policy => 'NONREF');
SELECT booking.add_rate_plan(:p, 'DBL', 'CAPPED', 'Capped', 'BASE', policy => 'CAP');
SELECT booking.add_rate_plan(:p, 'DBL', 'NOPOL', 'No policy', 'BASE');

-- ---------------------------------------------------------------------
-- Tier boundaries across the end of daylight saving time: check-in on the
-- Monday after the last Sunday of October (the next one at least 10 days
-- away), 00:00 CET (UTC+1).  The Sunday before has 25 hours, so
--   tier 1 "7 days" deadline: Monday a week before, 00:00 CEST = C - 169 h
--   tier 2 "3 days": Friday before, 00:00 CEST                 = C - 73 h
--   tier 3 "1 day":  Sunday before, 00:00 CEST                 = C - 25 h
--   tier 4 "0":      C
-- ---------------------------------------------------------------------
SELECT min(s) + 1 AS oct
  FROM (SELECT make_date(y, 10, 31) - extract(dow FROM make_date(y, 10, 31))::int AS s
          FROM generate_series(extract(year FROM current_date)::int,
                               extract(year FROM current_date)::int + 1) y) x
 WHERE s + 1 > current_date + 10 \gset
SELECT extract(dow FROM :'oct'::date) AS monday;
SELECT (:'oct'::timestamp AT TIME ZONE 'Europe/Berlin') AS c_oct \gset
-- nights priced 100, 120 and 80.10; 2 rooms, 3 adults and 1 child under
-- FLEXPP: extra per night 15 x (3 - 1 x 2) + 10 x 1 = 25;
-- total (100 + 120 + 80.10) x 2 + 25 x 3 = 600.20 + 75 = 675.20
SELECT booking.open_inventory(:p, 'DBL', :'oct', :'oct'::date + 1, 10, 100);
SELECT booking.open_inventory(:p, 'DBL', :'oct'::date + 1, :'oct'::date + 2, 5, 120);
SELECT booking.open_inventory(:p, 'DBL', :'oct'::date + 2, :'oct'::date + 3, 5, 80.10);
SELECT reservation_id AS r1 FROM booking.reserve_range(:p, 'DBL', :'oct', :'oct'::date + 3, 2, 'ann',
                                                      guests => 3, rate_plan => 'FLEXPP', children => 1) \gset
SELECT night - :'oct'::date AS night, price, extra FROM booking.reservation_night WHERE reservation_id = :r1 ORDER BY night;
-- a hold paid nothing: fee 0, refund 0, the plan's policy, no tier
SELECT t.q(:r1, NULL) AS held;
SELECT state, total_price FROM booking.confirm_booking(:r1, 'pay-r1');
-- the fee of each tier, hand-computed on total 675.20:
--   tier 1: 0 %                       -> fee 0.00, refund 675.20
--   tier 2: 12.5 % of 675.20 = 84.40  -> fee 84.40, refund 590.80
--   tier 3: the first 2 nights        -> (100 + 120) x 2 rooms + 25 x 2 = 490.00, refund 185.20
--   tier 4: 100 %                     -> fee 675.20, refund 0.00
-- one second before each deadline, at it, and one second after
SELECT o.what, t.q(:r1, :'c_oct'::timestamptz - o.before) AS quote
  FROM (VALUES ('C - 169 h - 1 s (tier 1)', interval '169 hours 1 second'),
               ('C - 169 h = "7 days" deadline (tier 1)', interval '169 hours'),
               ('C - 169 h + 1 s (tier 2)', interval '168 hours 59 minutes 59 seconds'),
               ('C - 168 h: 7 x 24 h is not 7 days here (tier 2)', interval '168 hours'),
               ('C - 73 h - 1 s (tier 2)', interval '73 hours 1 second'),
               ('C - 73 h = "3 days" deadline (tier 2)', interval '73 hours'),
               ('C - 73 h + 1 s (tier 3)', interval '72 hours 59 minutes 59 seconds'),
               ('C - 25 h - 1 s (tier 3)', interval '25 hours 1 second'),
               ('C - 25 h = "1 day" deadline (tier 3)', interval '25 hours'),
               ('C - 25 h + 1 s (tier 4)', interval '24 hours 59 minutes 59 seconds'),
               ('C - 24 h: the 25-hour Sunday is one day (tier 4)', interval '24 hours'),
               ('C - 1 s (tier 4)', interval '1 second'),
               ('C = "0" deadline (tier 4)', interval '0'),
               ('C + 1 s: after check-in, the last tier', interval '-1 second'),
               ('C + 3 days: the last tier', interval '-72 hours')) o(what, before)
 ORDER BY o.before DESC;

-- The start of daylight saving time: check-in on the Monday after the last
-- Sunday of March, 00:00 CEST (UTC+2); the Sunday before has 23 hours, so
-- "1 day" is C - 23 h and "7 days" C - 167 h.  One night at 100, 1 room:
--   tier 3: min(2, 1) nights = 100.00, refund 0.00; tier 4: 100.00, refund 0.00
--   tier 2: 12.5 % of 100 = 12.50, refund 87.50
SELECT min(s) + 1 AS mar
  FROM (SELECT make_date(y, 3, 31) - extract(dow FROM make_date(y, 3, 31))::int AS s
          FROM generate_series(extract(year FROM current_date)::int,
                               extract(year FROM current_date)::int + 1) y) x
 WHERE s + 1 > current_date + 10 \gset
SELECT extract(dow FROM :'mar'::date) AS monday;
SELECT (:'mar'::timestamp AT TIME ZONE 'Europe/Berlin') AS c_mar \gset
SELECT booking.open_inventory(:p, 'DBL', :'mar', :'mar'::date + 1, 5, 100);
SELECT reservation_id AS r2 FROM booking.reserve_range(:p, 'DBL', :'mar', :'mar'::date + 1, 1, 'bob', rate_plan => 'FLEX') \gset
SELECT state FROM booking.confirm_booking(:r2, 'pay-r2');
SELECT o.what, t.q(:r2, :'c_mar'::timestamptz - o.before) AS quote
  FROM (VALUES ('C - 167 h = "7 days" deadline (tier 1)', interval '167 hours'),
               ('C - 167 h + 1 s (tier 2)', interval '166 hours 59 minutes 59 seconds'),
               ('C - 24 h: 24 h is more than the 23-hour day (tier 3)', interval '24 hours'),
               ('C - 23 h = "1 day" deadline (tier 3)', interval '23 hours'),
               ('C - 23 h + 1 s (tier 4)', interval '22 hours 59 minutes 59 seconds')) o(what, before)
 ORDER BY o.before DESC;

-- ---------------------------------------------------------------------
-- Non-refundable, a capped amount, a plan without policy, 'BASE'
-- ---------------------------------------------------------------------
-- NONREF, 1 night at 100 on the October check-in: 100 % at any time
--   -> fee 100.00, refund 0.00, tier 1 (before C: its deadline; after: the last)
SELECT reservation_id AS r3 FROM booking.reserve_range(:p, 'DBL', :'oct', :'oct'::date + 1, 1, 'cat', rate_plan => 'NR') \gset
SELECT state FROM booking.confirm_booking(:r3, 'pay-r3');
SELECT t.q(:r3, :'c_oct'::timestamptz - interval '300 days') AS long_before,
       t.q(:r3, :'c_oct'::timestamptz + interval '1 hour') AS after_check_in;
-- CAP on the same stay (total 100):
--   C - 11 days: tier 1, charge_nights 9 of 1 night -> 100.00, refund 0.00
--   C - 3 days:  tier 2, charge_amount 50 -> 50.00, refund 50.00
--   C - 1 hour:  tier 3, charge_amount 100000 capped at the total -> 100.00, refund 0.00
SELECT reservation_id AS r4 FROM booking.reserve_range(:p, 'DBL', :'oct', :'oct'::date + 1, 1, 'dan', rate_plan => 'CAPPED') \gset
SELECT state FROM booking.confirm_booking(:r4, 'pay-r4');
SELECT t.q(:r4, :'c_oct'::timestamptz - interval '264 hours') AS eleven_days,
       t.q(:r4, :'c_oct'::timestamptz - interval '72 hours') AS three_days,
       t.q(:r4, :'c_oct'::timestamptz - interval '1 hour') AS one_hour;
-- a plan without a policy, and 'BASE': fee 0.00, refund the total (100.00; 100.10), no policy, no tier
SELECT reservation_id AS r5 FROM booking.reserve_range(:p, 'DBL', :'oct', :'oct'::date + 1, 1, 'eve', rate_plan => 'NOPOL') \gset
SELECT state FROM booking.confirm_booking(:r5, 'pay-r5');
SELECT t.q(:r5, :'c_oct'::timestamptz + interval '1 hour') AS no_policy;
-- 'BASE': 1 night at 100.10 on D+5 (the nights D+5 and D+6 priced 100.10 here)
SELECT booking.open_inventory(:p, 'DBL', current_date + 5, current_date + 7, 5, 100.10);
SELECT reservation_id AS r6 FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 6, 1, 'fay') \gset
SELECT rate_plan, state FROM booking.confirm_booking(:r6, 'pay-r6');
SELECT t.q(:r6, now() + interval '10 days') AS base;
-- cancel_quote wrote nothing
SELECT count(*) AS charged FROM booking.reservation WHERE property_id = :p AND cancellation_fee IS NOT NULL;

-- ---------------------------------------------------------------------
-- Ownership and states
-- ---------------------------------------------------------------------
-- the guest's own: a row; another guest's: BK005 word for word as a missing one
SELECT fee, refund, policy, tier FROM booking.cancel_quote(:r1, :'c_oct'::timestamptz + interval '1 hour', 'ann');  -- tier 4: 675.20
SELECT t.err(format('SELECT booking.cancel_quote(%s, NULL, ''bob'')', :r1)) AS other_guest;
SELECT t.err('SELECT booking.cancel_quote(999999999)') AS missing;
SELECT t.try('SELECT booking.cancel_quote(NULL)') AS null_id;
-- a stay begun cannot be cancelled: BK003 naming its state
UPDATE booking.reservation SET state = 'checked_in' WHERE reservation_id = :r6;
SELECT t.try(format('SELECT booking.cancel_quote(%s)', :r6)) AS checked_in;

-- ---------------------------------------------------------------------
-- cancel_reservation records the fee at now; the event carries it and the refund
-- ---------------------------------------------------------------------
-- FLEX, check-in D+5, 2 nights at 100.10, 1 room: total 200.20.  Now is
-- 87 to 112 hours before 00:00 Berlin time of D+5 (wherever the day is),
-- between "7 days" and "3 days": tier 2, 12.5 % of 200.20 = 25.025
--   -> cancellation_fee 25.03 (half-up), refund_amount 175.17
SELECT reservation_id AS r7 FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 7, 1, 'gus', rate_plan => 'FLEX') \gset
SELECT state FROM booking.confirm_booking(:r7, 'pay-r7');
SELECT t.q(:r7, NULL) AS quoted_now;
SELECT state, total_price, cancellation_fee FROM booking.cancel_reservation(:r7, 'plans changed', 'gus');
SELECT payload->'refund' AS refund, payload->'cancellation_fee' AS cancellation_fee,
       payload->'refund_amount' AS refund_amount, payload->>'rate_plan' AS rate_plan, free_delta
  FROM booking.event WHERE reservation_id = :r7 AND kind = 'cancelled';
-- a repeat changes nothing and writes no event
SELECT state, cancellation_fee FROM booking.cancel_reservation(:r7);
SELECT count(*) AS cancelled_events FROM booking.event WHERE reservation_id = :r7 AND kind = 'cancelled';
-- a cancelled reservation cannot be quoted: BK003
SELECT t.try(format('SELECT booking.cancel_quote(%s)', :r7)) AS cancelled;
-- a FLEX hold: fee 0.00, refund_amount 0.00 (nothing paid; no policy read)
SELECT reservation_id AS r8 FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 7, 1, 'hal', rate_plan => 'FLEX') \gset
SELECT state, cancellation_fee FROM booking.cancel_reservation(:r8);
SELECT payload->'refund' AS refund, payload->'cancellation_fee' AS cancellation_fee,
       payload->'refund_amount' AS refund_amount
  FROM booking.event WHERE reservation_id = :r8 AND kind = 'cancelled';
-- NONREF confirmed: 100 % -> fee 100.00, refund_amount 0.00
SELECT state, cancellation_fee FROM booking.cancel_reservation(:r3);
SELECT payload->'cancellation_fee' AS cancellation_fee, payload->'refund_amount' AS refund_amount
  FROM booking.event WHERE reservation_id = :r3 AND kind = 'cancelled';
-- 'BASE' confirmed, 2 nights at 100.10: fee 0.00, refund_amount the total 200.20
SELECT reservation_id AS r9 FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 7, 1, 'ida') \gset
SELECT state FROM booking.confirm_booking(:r9, 'pay-r9');
SELECT state, total_price, cancellation_fee FROM booking.cancel_reservation(:r9);
SELECT payload->'refund' AS refund, payload->'cancellation_fee' AS cancellation_fee,
       payload->'refund_amount' AS refund_amount
  FROM booking.event WHERE reservation_id = :r9 AND kind = 'cancelled';

-- ---------------------------------------------------------------------
-- cancel_group: each line its own fee
-- ---------------------------------------------------------------------
-- line 1 FLEX (D+5..D+7, 200.20: tier 2 as above, fee 25.03, refund 175.17),
-- line 2 'BASE' (D+5..D+6, 100.10: fee 0.00, refund 100.10)
SELECT reservation_id AS g FROM booking.reserve_group(:p,
    jsonb_build_array(jsonb_build_object('room_type', 'DBL', 'check_in', current_date + 5, 'check_out', current_date + 7,
                                         'rate_plan', 'FLEX'),
                      jsonb_build_object('room_type', 'DBL', 'check_in', current_date + 5, 'check_out', current_date + 6)),
    'jo') LIMIT 1 \gset
SELECT count(*) FROM booking.confirm_group(:g, 'pay-g');
SELECT reservation_id = :g AS first_line, rate_plan, state, total_price, cancellation_fee
  FROM booking.cancel_group(:g, 'trip off');
SELECT e.reservation_id = :g AS first_line, e.payload->'cancellation_fee' AS cancellation_fee,
       e.payload->'refund_amount' AS refund_amount
  FROM booking.event e JOIN booking.reservation r USING (reservation_id)
 WHERE r.group_id = :g AND e.kind = 'cancelled' ORDER BY e.reservation_id;

SELECT * FROM booking.check_invariants();

-- A tier's until in hours counts time elapsed, as timestamptz - interval
-- does (days count on the local calendar, above): check-in on the Monday
-- after the end of daylight saving time, whose Sunday has 25 hours;
-- "36 hours" is C - 36 h (on the local clock it is Saturday 13:00, not
-- 12:00, which a subtraction on the clock gave: C - 37 h)
SELECT booking.add_room_type(:p, 'SGL', 'Single', 1, 1, 100);
SELECT booking.open_inventory(:p, 'SGL', :'oct', :'oct'::date + 1, 1, 100);
SELECT booking.add_policy(:p, 'HOURS', '[{"until": "36 hours", "charge_pct": 0}, {"until": "0", "charge_pct": 100}]');
SELECT booking.add_rate_plan(:p, 'SGL', 'H36', '36 hours', 'BASE', policy => 'HOURS');
SELECT reservation_id AS rh FROM booking.reserve_range(:p, 'SGL', :'oct', :'oct'::date + 1, 1, 'hal',
                                                      rate_plan => 'H36') \gset
SELECT state FROM booking.confirm_booking(:rh, 'pay-rh');
SELECT o.what, t.q(:rh, :'c_oct'::timestamptz - o.before) AS quote
  FROM (VALUES ('C - 36 h 30 min (tier 1)', interval '36 hours 30 minutes'),
               ('C - 36 h = "36 hours" deadline (tier 1)', interval '36 hours'),
               ('C - 36 h + 1 s (tier 2)', interval '35 hours 59 minutes 59 seconds')) o(what, before)
 ORDER BY o.before DESC;
SELECT count(*) AS problems FROM booking.check_invariants();

-- Check-in is the start of the arrival day: the first instant of that
-- date in the property's zone.  Where the clocks go back across midnight
-- (Havana, the Azores), 00:00 comes twice and the day begins at the first
-- one, when check_in and mark_no_show accept the stay; AT TIME ZONE reads
-- 00:00 as the second, an hour later, which gave a free cancel in the
-- first hour of the arrival day.  Where the clocks go forward at
-- midnight, the day begins when they jump (01:00).  The next such days
-- at least 10 days away are found in the zone data; only what they show
-- is printed.  Policy: "30 minutes" 0 %, then 100 %.
SELECT z AS amb_zone, d AS amb_day
  FROM unnest(ARRAY['America/Havana', 'Atlantic/Azores']) z,
       generate_series(current_date + 10, current_date + 800, interval '1 day') g, LATERAL (SELECT g::date AS d) x
 WHERE ((d::timestamp AT TIME ZONE z) - interval '1 hour') AT TIME ZONE z = d::timestamp
 ORDER BY d, z LIMIT 1 \gset
SELECT z AS gap_zone, d AS gap_day
  FROM unnest(ARRAY['America/Havana', 'Asia/Beirut', 'America/Santiago']) z,
       generate_series(current_date + 10, current_date + 800, interval '1 day') g, LATERAL (SELECT g::date AS d) x
 WHERE (d::timestamp AT TIME ZONE z) AT TIME ZONE z <> d::timestamp
 ORDER BY d, z LIMIT 1 \gset
-- the first 00:00 of the ambiguous day, and when the skipped one begins
SELECT (:'amb_day'::timestamp AT TIME ZONE :'amb_zone') - interval '1 hour' AS amb_start,
       (:'gap_day'::timestamp AT TIME ZONE :'gap_zone') AS gap_start \gset
SELECT (:'amb_start'::timestamptz AT TIME ZONE :'amb_zone') = :'amb_day'::timestamp AS amb_first_midnight,
       (:'amb_start'::timestamptz - interval '1 second') AT TIME ZONE :'amb_zone' < :'amb_day'::timestamp AS amb_day_before,
       (:'gap_start'::timestamptz AT TIME ZONE :'gap_zone')::time AS gap_begins_at,
       (:'gap_start'::timestamptz - interval '1 second') AT TIME ZONE :'gap_zone' < :'gap_day'::timestamp AS gap_day_before;
SELECT booking.add_property('Midnight Inn', 'Midnightville', :'amb_zone') AS pa \gset
SELECT booking.add_property('Jump Inn', 'Midnightville', :'gap_zone') AS pg \gset
SELECT booking.add_room_type(x, 'STD', 'Standard', 2, 2, 100) FROM unnest(ARRAY[:pa, :pg]) x;
SELECT booking.open_inventory(:pa, 'STD', :'amb_day', :'amb_day'::date + 1);
SELECT booking.open_inventory(:pg, 'STD', :'gap_day', :'gap_day'::date + 1);
SELECT booking.add_policy(x, 'LATE', '[{"until": "30 minutes", "charge_pct": 0}, {"until": "0", "charge_pct": 100}]') FROM unnest(ARRAY[:pa, :pg]) x;
SELECT booking.add_rate_plan(x, 'STD', 'LATE', 'Late', 'BASE', policy => 'LATE') FROM unnest(ARRAY[:pa, :pg]) x;
SELECT reservation_id AS ra FROM booking.reserve_range(:pa, 'STD', :'amb_day', :'amb_day'::date + 1, 1, 'amy', rate_plan => 'LATE') \gset
SELECT reservation_id AS rg FROM booking.reserve_range(:pg, 'STD', :'gap_day', :'gap_day'::date + 1, 1, 'gus', rate_plan => 'LATE') \gset
SELECT state FROM booking.confirm_booking(:ra, 'pay-ra');
SELECT state FROM booking.confirm_booking(:rg, 'pay-rg');
SELECT o.what, t.q(:ra, :'amb_start'::timestamptz + o.after) AS ambiguous, t.q(:rg, :'gap_start'::timestamptz + o.after) AS skipped
  FROM (VALUES ('start - 31 min (tier 1)', interval '-31 minutes'),
               ('start - 30 min = "30 minutes" deadline (tier 1)', interval '-30 minutes'),
               ('start - 29 min (tier 2)', interval '-29 minutes'),
               ('start: the arrival day began (tier 2)', interval '0'),
               ('start + 15 min, the first 00:15 (tier 2)', interval '15 minutes'),
               ('start + 1 h 15 min (tier 2)', interval '75 minutes')) o(what, after)
 ORDER BY o.after;
SELECT count(*) AS problems FROM booking.check_invariants();

-- A zone that is also an abbreviation ('CET', 'EET', 'MET', 'WET') is
-- read from its zone file, with its summer time: AT TIME ZONE 'CET' is
-- +01:00 all year, so check-in on a summer day was an hour late.
-- Policy: "1 microsecond" 0 %, then 100 %; check-in the next 1 July at
-- least 10 days away, whose day begins at 00:00 CEST (22:00 UTC before).
SELECT make_date(y, 7, 1) AS july FROM (SELECT extract(year FROM current_date + 10)::int
       + CASE WHEN current_date + 10 > make_date(extract(year FROM current_date + 10)::int, 7, 1) THEN 1 ELSE 0 END AS y) x \gset
SELECT (:'july'::timestamp AT TIME ZONE 'Europe/Paris') AS july_start \gset
SELECT booking.add_property('Hotel CET', 'Cetville', 'CET') AS pc \gset
SELECT booking.add_room_type(:pc, 'STD', 'Standard', 2, 2, 100);
SELECT booking.open_inventory(:pc, 'STD', :'july', :'july'::date + 1);
SELECT booking.add_policy(:pc, 'EDGE', '[{"until": "1 microsecond", "charge_pct": 0}, {"until": "0", "charge_pct": 100}]');
SELECT booking.add_rate_plan(:pc, 'STD', 'EDGE', 'Edge', 'BASE', policy => 'EDGE');
SELECT reservation_id AS rc FROM booking.reserve_range(:pc, 'STD', :'july', :'july'::date + 1, 1, 'cem', rate_plan => 'EDGE') \gset
SELECT state FROM booking.confirm_booking(:rc, 'pay-rc');
SELECT o.what, t.q(:rc, :'july_start'::timestamptz + o.after) AS quote
  FROM (VALUES ('00:00 CEST - 2 us (tier 1)', interval '-2 microseconds'),
               ('00:00 CEST: the arrival day began (tier 2)', interval '0'),
               ('00:30 CEST (tier 2)', interval '30 minutes')) o(what, after)
 ORDER BY o.after;
-- a block released 3 days before the night is due at the start of that
-- day in CET's summer time too (00:00 CEST)
SELECT booking.create_block(:pc, 'STD', 'WEDDING', :'july', :'july'::date + 1, 1, release_days => 3);
SELECT release_due = (:'july'::date - 3)::timestamp AT TIME ZONE 'Europe/Paris' AS released_at_cest_midnight
  FROM booking.block_night WHERE property_id = :pc AND code = 'WEDDING';
-- cancel_quote refuses an infinite at (22023)
SELECT t.try(format('SELECT tier FROM booking.cancel_quote(%s, %L)', :rc, 'infinity')) AS infinite_at;
SELECT t.try(format('SELECT tier FROM booking.cancel_quote(%s, %L)', :rc, '-infinity')) AS minus_infinite_at;
SELECT count(*) AS problems FROM booking.check_invariants();

-- Night prices (2.0): the price each night of a reservation was sold at,
-- read through booking.reservation_night; total_price is their sum times
-- rooms, and check_invariants() says where that does not hold.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Price Inn', 'Priceville', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 3, 2, 100);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 30);
SELECT booking.open_inventory(:p, 'DBL', current_date + 5, current_date + 6, price => 130);
SELECT booking.open_inventory(:p, 'DBL', current_date + 6, current_date + 7, price => 99.5);

-- a stay over three prices: one row per night, in order
SELECT reservation_id AS r, total_price FROM booking.reserve_range(:p, 'DBL', current_date + 4, current_date + 7, 2) \gset
SELECT :total_price AS total_price;
SELECT night - current_date AS d, price FROM booking.reservation_night WHERE reservation_id = :r ORDER BY night;
SELECT sum(price) * 2 = :total_price AS adds_up FROM booking.reservation_night WHERE reservation_id = :r;
-- the prices sold stay when the inventory is repriced later
SELECT booking.open_inventory(:p, 'DBL', current_date + 4, current_date + 7, price => 500);
SELECT night - current_date AS d, price FROM booking.reservation_night WHERE reservation_id = :r ORDER BY night;
-- and whatever becomes of the reservation
SELECT state FROM booking.confirm_booking(:r, 'np-pay');
SELECT state FROM booking.cancel_reservation(:r);
SELECT count(*) AS nights_kept FROM booking.reservation_night WHERE reservation_id = :r;
SELECT count(*) AS problems FROM booking.check_invariants();

-- check_invariants() finds night prices that do not make the total
-- (changed behind the engine's back, here by the owner)
UPDATE booking.reservation SET night_prices[2] = night_prices[2] + 1 WHERE reservation_id = :r;
SELECT night - current_date AS d, t.rel(problem) AS problem FROM booking.check_invariants();
UPDATE booking.reservation SET night_prices = night_prices[1:2] WHERE reservation_id = :r;
SELECT t.rel(problem) AS problem FROM booking.check_invariants();
UPDATE booking.reservation SET night_prices = ARRAY[100, NULL, 99.5] WHERE reservation_id = :r;
SELECT t.rel(problem) AS problem FROM booking.check_invariants();
-- none at all (a reservation restored from a dump taken before 2.0)
UPDATE booking.reservation SET night_prices = NULL WHERE reservation_id = :r;
SELECT t.rel(problem) AS problem FROM booking.check_invariants();
UPDATE booking.reservation SET night_prices = ARRAY[100, 130, 99.5] WHERE reservation_id = :r;
SELECT count(*) AS problems FROM booking.check_invariants();
-- a change of the stay keeps the prices sold: a night without one (set so
-- by hand) is refused, not taken as a price; a cancellation charge counts
-- such a stay's nights as when no prices are kept (a share of the total)
SELECT reservation_id AS r2 FROM booking.reserve_range(:p, 'DBL', current_date + 10, current_date + 12) \gset
UPDATE booking.reservation SET night_prices[1] = NULL WHERE reservation_id = :r2;
SELECT regexp_replace(t.try(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 13)$$, :r2)),
                      'reservation \d+', 'reservation N') AS unpriced_night;
SELECT fee, refund FROM booking.cancel_quote(:r2);
-- under a policy charging the first night: the night's price as sold, or,
-- with a night without a price, one night's share of the total
SELECT booking.add_policy(:p, 'ONE', '[{"until": "0", "charge_nights": 1}]');
SELECT booking.add_rate_plan(:p, 'DBL', 'FIRM', 'First night due', parent => 'BASE', policy => 'ONE');
SELECT reservation_id AS r3, total_price FROM booking.reserve_range(:p, 'DBL', current_date + 20, current_date + 22,
                                                                   rate_plan => 'FIRM') \gset
SELECT state FROM booking.confirm_booking(:r3, 'np-firm');
UPDATE booking.reservation SET night_prices = ARRAY[150, 50] WHERE reservation_id = :r3;
SELECT :total_price AS total_price, fee FROM booking.cancel_quote(:r3);
UPDATE booking.reservation SET night_prices[1] = NULL WHERE reservation_id = :r3;
SELECT fee FROM booking.cancel_quote(:r3);
UPDATE booking.reservation SET night_prices = ARRAY[100, 100] WHERE reservation_id = :r3;
SELECT state, cancellation_fee FROM booking.cancel_reservation(:r3);
-- (the plan and policy removed again: 21_policies counts every policy)
DELETE FROM booking.rate_plan WHERE property_id = :p AND code = 'FIRM';
UPDATE booking.room_type SET has_rate_plans = false WHERE property_id = :p AND code = 'DBL';
DELETE FROM booking.cancel_policy WHERE property_id = :p AND code = 'ONE';
-- (the prices sold, here 500 as if set so, are kept; the night added at today's)
UPDATE booking.reservation SET night_prices = ARRAY[500, 500], total_price = 1000 WHERE reservation_id = :r2;
SELECT total_price FROM booking.modify_reservation(:r2, check_out => current_date + 13);
SELECT night - current_date AS d, price FROM booking.reservation_night WHERE reservation_id = :r2 ORDER BY night;
SELECT state FROM booking.cancel_reservation(:r2);
SELECT count(*) AS problems FROM booking.check_invariants();

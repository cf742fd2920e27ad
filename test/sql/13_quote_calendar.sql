-- quote: per-night price and availability, the total, bookable and why;
-- calendar: a grid a person can read.
-- quote compares check-in with the property's local today (UTC here).
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SET timezone = 'UTC';
SELECT booking.add_property('Quote Quinta', 'Obidos', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'Q', 'Room', 2, 2, 100);
SELECT booking.open_inventory(:p, 'Q', current_date, current_date + 40);
SELECT booking.open_inventory(:p, 'Q', current_date + 3, current_date + 4, NULL, 150);

SELECT night - current_date AS d, available, price, total_price, bookable, reason
  FROM booking.quote(:p, 'Q', current_date + 2, current_date + 5);
SELECT DISTINCT total_price FROM booking.quote(:p, 'Q', current_date + 2, current_date + 5, 2);
-- the total is what reserve_range fixes
SELECT total_price FROM booking.reserve_range(:p, 'Q', current_date + 2, current_date + 5, 2) \gset
SELECT :total_price = 700 AS quote_equals_reservation;
-- sold out, not on sale, in the past, a rule
SELECT night - current_date AS d, available, bookable, t.rel(reason) AS reason
  FROM booking.quote(:p, 'Q', current_date + 3, current_date + 4);
SELECT DISTINCT bookable, t.rel(reason) AS reason FROM booking.quote(:p, 'Q', current_date + 38, current_date + 42);
SELECT night - current_date AS d, available, price FROM booking.quote(:p, 'Q', current_date + 39, current_date + 41);
SELECT DISTINCT bookable, t.rel(reason) AS reason FROM booking.quote(:p, 'Q', current_date - 3, current_date - 1);
SELECT booking.set_rules(:p, 'Q', current_date + 20, current_date + 21, stop_sell => true);
SELECT DISTINCT bookable, t.rel(reason) AS reason FROM booking.quote(:p, 'Q', current_date + 19, current_date + 22);
-- the price of the stay after a price change (a reservation keeps its own)
SELECT booking.open_inventory(:p, 'Q', current_date + 2, current_date + 5, NULL, 80);
SELECT DISTINCT total_price FROM booking.quote(:p, 'Q', current_date + 2, current_date + 5, 2);
SELECT total_price FROM booking.reservation WHERE property_id = :p;
-- bad input
SELECT t.try(format($$SELECT * FROM booking.quote(%s, 'Q', current_date + 5, current_date + 5)$$, :p));
SELECT t.try(format($$SELECT * FROM booking.quote(%s, 'Q', current_date + 5, current_date + 6, 0)$$, :p));
SELECT t.try(format($$SELECT * FROM booking.quote(%s, 'NOPE', current_date + 5, current_date + 6)$$, :p));
SELECT t.try($$SELECT * FROM booking.quote(999999, 'Q', current_date + 5, current_date + 6)$$);

-- calendar of a fixed shape: a property whose nights open mid-month
SELECT booking.add_property('Grid House', 'Obidos', 'UTC') AS g \gset
SELECT booking.add_room_type(:g, 'A', 'Alpha', 3, 2, 10);
SELECT booking.add_room_type(:g, 'B', 'Beta', 1, 2, 10);
SELECT (date_trunc('month', current_date) + interval '2 months')::date AS m \gset
SELECT booking.open_inventory(:g, 'A', :'m'::date + 4, :'m'::date + 10);
SELECT booking.open_inventory(:g, 'B', :'m'::date, :'m'::date + 3);
SELECT state FROM booking.reserve_range(:g, 'A', :'m'::date + 5, :'m'::date + 7, 3);
SELECT state FROM booking.reserve_range(:g, 'A', :'m'::date + 7, :'m'::date + 8, 1);
SELECT booking.set_rules(:g, 'A', :'m'::date + 8, :'m'::date + 9, stop_sell => true);
SELECT room_type = to_char(:'m'::date, 'YYYY-MM-DD') AS header, substr(days, 1, 36) AS first_12_days
  FROM booking.calendar(:g, :'m'::date + 17);
SELECT t.try(format($$SELECT * FROM booking.calendar(%s, NULL)$$, :g));
SELECT split_part(t.try(format($$SELECT * FROM booking.calendar(%s, '5874897-12-01')$$, :g)), ' | ', 1) AS outcome;
SELECT split_part(t.try(format($$SELECT booking.open_inventory(%s, 'A', '5874897-12-01', '5874897-12-02')$$, :g)), ' | ', 1) AS outcome;
SELECT t.try($$SELECT * FROM booking.calendar(999999, current_date)$$);
SELECT * FROM booking.check_invariants();

-- a hold past its deadline does not make quote say sold out: reserve_range
-- would reclaim it
SELECT booking.add_property('Dead Hold Inn', 'Obidos', 'UTC') AS d \gset
SELECT booking.add_room_type(:d, 'A', 'Alpha', 1, 2, 10);
SELECT booking.open_inventory(:d, 'A', current_date, current_date + 5);
SELECT reservation_id AS dead FROM booking.reserve_range(:d, 'A', current_date + 2, current_date + 3) \gset
SELECT DISTINCT available, bookable FROM booking.quote(:d, 'A', current_date + 2, current_date + 3);
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :dead;
SELECT DISTINCT available, bookable FROM booking.quote(:d, 'A', current_date + 2, current_date + 3);
SELECT state FROM booking.reserve_range(:d, 'A', current_date + 2, current_date + 3);

-- rebuild_calendar refreshes what the calendar copies from the catalog
UPDATE booking.property SET city = 'Peniche' WHERE property_id = :d;
SELECT DISTINCT problem FROM booking.check_invariants() WHERE property_id = :d;
SELECT booking.rebuild_calendar() > 0 AS rebuilt;
SELECT count(*) AS found_in_new_city FROM booking.search('Peniche', current_date + 3, current_date + 4);
SELECT count(*) AS problems FROM booking.check_invariants();

-- a day on sale may dip below zero while the publisher folds its batches
-- out of order (a hold before the expiry that freed its unit): it stays
-- on sale (availability shows no unit below zero: 0) and the next fold
-- brings it back; a night without inventory
-- keeps the "not on sale" marker through any fold
SELECT booking.add_property('Fold Order Inn', 'Tomar', 'UTC') AS f \gset
SELECT booking.add_room_type(:f, 'A', 'Alpha', 1, 2, 10);
SELECT booking.open_inventory(:f, 'A', date_trunc('month', current_date + 60)::date,
                              date_trunc('month', current_date + 60)::date + 3);
SELECT date_trunc('month', current_date + 60)::date AS fm \gset
SELECT count(*) AS published FROM booking.read_events('fold-order-test', 1);
SELECT free[1:4] FROM booking.room_calendar WHERE property_id = :f;
UPDATE booking.room_calendar SET free = booking.calendar_apply(free, '{-2,0,0,0}') WHERE property_id = :f;
SELECT free[1:4] FROM booking.room_calendar WHERE property_id = :f;
SELECT night - :'fm'::date AS day, available FROM booking.availability(:f, :'fm'::date, :'fm'::date + 4);
UPDATE booking.room_calendar SET free = booking.calendar_apply(free, '{2,0,0,5}') WHERE property_id = :f;
SELECT free[1:4] FROM booking.room_calendar WHERE property_id = :f;
SELECT count(*) AS problems FROM booking.check_invariants() WHERE property_id = :f;
SELECT booking.calendar_apply('{3,-2147483648,0,2}', '{-1,-1,-1,0}');

-- a hold leaves the calendar row alone; availability adds the change not
-- folded yet; publishing (read_events as a transaction of its own) folds it
SELECT state FROM booking.reserve_range(:f, 'A', :'fm'::date + 1, :'fm'::date + 3);
SELECT free[1:4] AS unfolded FROM booking.room_calendar WHERE property_id = :f;
SELECT night - :'fm'::date AS day, available FROM booking.availability(:f, :'fm'::date, :'fm'::date + 4);
SELECT count(*) >= 0 AS read FROM booking.read_events('fold-order-test', 100);
SELECT free[1:4] AS folded FROM booking.room_calendar WHERE property_id = :f;
SELECT count(*) AS problems FROM booking.check_invariants() WHERE property_id = :f;

-- The hardening of 1.2: bad input reaching internals, and drops past
-- the guard.
-- Every text argument has a documented maximum length (22023 beyond, never
-- 54000 from an index); prices are finite, at least 0 and at most
-- 1000000000 (never 22003 in quote); dates lie from 4713-01-01 BC to
-- 294276-11-22 (never 22008 inside the engine); a time zone is a name
-- pg_timezone_names lists (not a POSIX specification such as 'UTC+14');
-- an interval is judged by how far it moves a timestamp ('12 mons 6 days'
-- is more than a year); DROP SCHEMA booking and DROP OWNED BY the
-- extension's owner are refused while reservations are live, like DROP
-- EXTENSION booking.  Texts of many kilobytes are made of md5 digests so
-- that they do not compress below the btree limit.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
CREATE FUNCTION t.long_text(n int) RETURNS text LANGUAGE sql AS $$
    SELECT left(string_agg(md5(i::text), ''), n) FROM generate_series(1, n / 32 + 1) i
$$;

SELECT booking.add_property('Hardening Inn', 'Hardtown', 'UTC') AS hp \gset
SELECT booking.add_room_type(:hp, 'STD', 'Standard', 3, 2, 100);
SELECT booking.open_inventory(:hp, 'STD', current_date, current_date + 30);

-- ---------------------------------------------------------------------
-- Texts: at the limit accepted, one byte over refused (bytes, not
-- characters: 'é' is 2 bytes), kilobytes refused with 22023.
-- ---------------------------------------------------------------------
SELECT t.try(format($$SELECT booking.add_property(%L, 'Hardtown', 'UTC')$$, repeat('n', 200))) AS name_200;
SELECT t.try(format($$SELECT booking.add_property(%L, 'Hardtown', 'UTC')$$, repeat('n', 201))) AS name_201;
SELECT t.try(format($$SELECT booking.add_property('Inn', %L, 'UTC')$$, repeat('é', 100))) AS city_200_bytes;
SELECT t.try(format($$SELECT booking.add_property('Inn', %L, 'UTC')$$, repeat('é', 100) || 'x')) AS city_201_bytes;
SELECT t.try(format($$SELECT booking.add_property('Inn', %L, 'UTC')$$, t.long_text(2800))) AS city_2800;
SELECT t.try(format($$SELECT booking.add_property(%L, 'Hardtown', 'UTC')$$, t.long_text(2800))) AS name_2800;
SELECT t.try(format($$SELECT booking.add_property('Inn', 'Hardtown', %L)$$, t.long_text(2800))) AS time_zone_2800;
SELECT t.try(format($$SELECT booking.add_room_type(%s, %L, 'Long', 1)$$, :hp, repeat('C', 32))) AS code_32;
SELECT t.try(format($$SELECT booking.add_room_type(%s, %L, 'Long', 1)$$, :hp, repeat('C', 33))) AS code_33;
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'LN', %L, 1)$$, :hp, t.long_text(2800))) AS room_name_2800;
SELECT t.try(format($$SELECT booking.open_inventory(%s, %L, current_date, current_date + 1)$$, :hp, t.long_text(2800))) AS open_room_type_2800;
SELECT t.try(format($$SELECT booking.set_rules(%s, %L, current_date, current_date + 1, min_stay => 2)$$, :hp, t.long_text(2800))) AS rules_room_type_2800;
SELECT t.try(format($$SELECT booking.clear_rules(%s, %L, current_date, current_date + 1)$$, :hp, t.long_text(2800))) AS clear_room_type_2800;
SELECT t.try(format($$SELECT * FROM booking.quote(%s, %L, current_date + 1, current_date + 2)$$, :hp, t.long_text(2800))) AS quote_room_type_2800;
SELECT t.try(format($$SELECT * FROM booking.reserve_range(%s, %L, current_date + 1, current_date + 2)$$, :hp, t.long_text(2800))) AS reserve_room_type_2800;
-- A guest_id with an idempotency key is indexed with the key: capped.
SELECT t.try(format($$SELECT * FROM booking.reserve_range(%s, 'STD', current_date + 1, current_date + 2, guest_id => %L, idempotency_key => 'k-long-guest')$$,
                    :hp, t.long_text(2800))) AS guest_id_2800_with_key;
SELECT t.try(format($$SELECT * FROM booking.reserve_range(%s, 'STD', current_date + 1, current_date + 2, guest_id => %L, idempotency_key => 'k-guest-200')$$,
                    :hp, repeat('g', 200))) AS guest_id_200_with_key;
SELECT count(*) AS kept_properties FROM booking.property WHERE name IN (repeat('n', 200), 'Inn');
SELECT count(*) AS kept_room_types FROM booking.room_type WHERE property_id = :hp AND code = repeat('C', 32);

-- ---------------------------------------------------------------------
-- Prices: NaN, infinities, negatives and anything over 1000000000 are
-- refused (a number of 131072 digits is shown by its start and size);
-- 1000000000 itself is a price.
-- ---------------------------------------------------------------------
SELECT p AS price, t.try(format($$SELECT booking.add_room_type(%s, 'P', 'Priced', 1, 2, %s)$$, :hp, p)) AS add_room_type
  FROM unnest(ARRAY['''NaN''', '''Infinity''', '''-Infinity''', '-0.01', '1000000000.01', '9.99e131071']) p;
SELECT p AS price, t.try(format($$SELECT booking.open_inventory(%s, 'STD', current_date, current_date + 1, price => %s)$$, :hp, p)) AS open_inventory
  FROM unnest(ARRAY['''NaN''', '''Infinity''', '-1', '1e10']) p;
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'TOP', 'Top', 2, 2, 1000000000)$$, :hp)) AS top_price;
SELECT booking.open_inventory(:hp, 'TOP', current_date, current_date + 366);
-- the highest price, 366 nights, every room: quote adds it up
SELECT DISTINCT total_price, bookable FROM booking.quote(:hp, 'TOP', current_date, current_date + 365, 2);

-- ---------------------------------------------------------------------
-- Dates: the first month of the date type (4714-11-24 BC on) is refused
-- with 22023 everywhere, and so is anything before 4713-01-01 BC or after
-- 294276-11-22; the edges themselves work without any error inside.
-- ---------------------------------------------------------------------
-- (the message only: t.rel would show these dates relative to today)
SELECT split_part(t.try(format(s, :hp)), ' | ', 1) AS outcome, s AS statement
  FROM unnest(ARRAY[
    $$SELECT booking.open_inventory(%s, 'STD', '4714-11-24 BC', '4714-11-30 BC')$$,
    $$SELECT booking.open_inventory(%s, 'STD', '4714-12-31 BC', '4713-01-02 BC')$$,
    $$SELECT booking.set_rules(%s, 'STD', '4714-11-24 BC', '4714-11-26 BC', min_stay => 1)$$,
    $$SELECT booking.clear_rules(%s, 'STD', '4714-11-24 BC', '4714-11-26 BC')$$,
    $$SELECT * FROM booking.quote(%s, 'STD', '4714-11-24 BC', '4714-11-26 BC')$$,
    $$SELECT * FROM booking.reserve_range(%s, 'STD', '4714-11-24 BC', '4714-11-26 BC')$$,
    $$SELECT booking.open_inventory(%s, 'STD', '294276-11-22', '294276-11-23')$$]) s;
-- the detail and hint name the dates as they are written, BC included
CREATE FUNCTION t.detail_and_hint(sql text) RETURNS TABLE(detail text, hint text) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN NEXT;
END
$$;
SELECT * FROM t.detail_and_hint(format($$SELECT booking.open_inventory(%s, 'STD', '4714-11-24 BC', '4714-11-30 BC')$$, :hp));
SELECT booking.open_inventory(:hp, 'STD', '4713-01-01 BC', '4713-01-03 BC') AS open_lowest;
SELECT booking.set_rules(:hp, 'STD', '4713-01-01 BC', '4713-01-02 BC', min_stay => 2) AS rules_lowest;
SELECT DISTINCT bookable, reason LIKE 'check_in 4713-01-01 BC is before the property''s local today (%)' AS past_check_in
  FROM booking.quote(:hp, 'STD', '4713-01-01 BC', '4713-01-03 BC');
SELECT booking.open_inventory(:hp, 'STD', '294276-11-20', '294276-11-22') AS open_highest;
SELECT booking.clear_rules(:hp, 'STD', '4713-01-01 BC', '4713-01-02 BC') AS cleared_lowest;

-- ---------------------------------------------------------------------
-- Time zones: names pg_timezone_names lists, in any case; no POSIX
-- specifications, no made-up names.
-- ---------------------------------------------------------------------
SELECT z AS time_zone, t.try(format($$SELECT booking.add_property('Zoned', 'Zonetown', %L)$$, z)) AS add_property
  FROM unnest(ARRAY['UTC', 'utc', 'Europe/Lisbon', 'europe/LISBON', 'EST5EDT', 'cst6cdt', 'Etc/GMT-14', 'GMT+0',
                    'UTC+14', 'utc+14', 'XXX-99', '<+0330>-3:30', 'right/UTC', 'Mars/Olympus_Mons', '']) z;
SELECT count(*) AS zoned_properties FROM booking.property WHERE city = 'Zonetown';
-- the rule is pg_timezone_names: each name above is accepted exactly when
-- that view lists it (matched without regard to case)
SELECT z AS time_zone, EXISTS (SELECT 1 FROM pg_timezone_names WHERE lower(name) = lower(z)) AS listed,
       EXISTS (SELECT 1 FROM booking.property WHERE city = 'Zonetown' AND time_zone = z) AS accepted
  FROM unnest(ARRAY['UTC', 'utc', 'Europe/Lisbon', 'europe/LISBON', 'EST5EDT', 'cst6cdt', 'Etc/GMT-14', 'GMT+0',
                    'UTC+14', 'utc+14', 'XXX-99', '<+0330>-3:30', 'right/UTC', 'Mars/Olympus_Mons']) z
 WHERE EXISTS (SELECT 1 FROM pg_timezone_names WHERE lower(name) = lower(z))
       IS DISTINCT FROM EXISTS (SELECT 1 FROM booking.property WHERE city = 'Zonetown' AND time_zone = z);

-- ---------------------------------------------------------------------
-- Intervals are judged by how far they move a deadline: '12 mons 6 days'
-- (371 or 372 days from now) is over a year although it reads as 366
-- days at 30 days a month; '1 year' and '366 days' are not.
-- ---------------------------------------------------------------------
SELECT h AS hold, t.try(format($$SELECT * FROM booking.reserve_range(%s, 'STD', current_date + 3, current_date + 4, hold => %L)$$, :hp, h)) AS reserve_range
  FROM unnest(ARRAY['12 mons 6 days', '13 mons', '367 days', '1 year', '366 days', '1 mon -1 day', '0']) h;
SELECT reservation_id AS pay_id FROM booking.reserve_range(:hp, 'STD', current_date + 5, current_date + 6) \gset
SELECT e AS extend, t.try(format($$SELECT * FROM booking.begin_payment(%s, 'pi-hardening', extend => %L)$$, :pay_id, e)) AS begin_payment
  FROM unnest(ARRAY['12 mons 6 days', '1 year']) e;

-- ---------------------------------------------------------------------
-- The guard: DROP SCHEMA booking, with or without CASCADE, alone or with
-- other schemas, is refused while reservations are live; other schemas
-- drop as before.
-- ---------------------------------------------------------------------
CREATE SCHEMA scratch;
SELECT count(*) > 0 AS live_bookings_exist FROM booking.reservation
 WHERE state IN ('held', 'payment_pending', 'confirmed');
SELECT regexp_replace(t.try(s), '\d+ reservations', 'N reservations') AS outcome
  FROM unnest(ARRAY['DROP SCHEMA booking', 'DROP SCHEMA booking CASCADE',
                    'DROP SCHEMA IF EXISTS scratch, booking CASCADE']) s;
SELECT nspname FROM pg_namespace WHERE nspname IN ('booking', 'scratch') ORDER BY 1;
SELECT t.try('DROP SCHEMA scratch') AS other_schema;
SELECT t.try('DROP SCHEMA IF EXISTS no_such_schema') AS missing_schema;
-- with no live reservation left, DROP SCHEMA booking CASCADE drops it
-- (rolled back here)
BEGIN;
UPDATE booking.reservation SET state = 'cancelled' WHERE state IN ('held', 'payment_pending', 'confirmed');
DROP SCHEMA booking CASCADE;
SELECT count(*) AS booking_installed FROM pg_extension WHERE extname = 'booking';
ROLLBACK;
SELECT extname FROM pg_extension WHERE extname = 'booking';

-- DROP EXTENSION booking CASCADE is the one deliberate way: it drops the
-- extension with its live bookings (rolled back here).
BEGIN;
SELECT count(*) > 0 AS live_bookings_exist FROM booking.reservation
 WHERE state IN ('held', 'payment_pending', 'confirmed');
DROP EXTENSION booking CASCADE;
SELECT count(*) AS booking_installed FROM pg_extension WHERE extname = 'booking';
ROLLBACK;

-- DROP OWNED BY the extension's owner would drop the extension: refused
-- while reservations are live (CASCADE or not).  In a database of its
-- own, where a role other than the bootstrap superuser owns booking.
\set regress_db :DBNAME
CREATE ROLE regress_booking_owner SUPERUSER NOLOGIN;
CREATE ROLE regress_booking_bystander NOLOGIN;
CREATE DATABASE regress_booking_owned;
\c regress_booking_owned
SET client_min_messages = warning;
SET ROLE regress_booking_owner;
CREATE EXTENSION booking;
CREATE SCHEMA owned_by_bystander AUTHORIZATION regress_booking_bystander;
RESET ROLE;
SELECT booking.add_property('Owned Inn', 'Ownertown', 'UTC') AS op \gset
SELECT booking.add_room_type(:op, 'STD', 'Standard', 1);
SELECT booking.open_inventory(:op, 'STD', current_date, current_date + 3);
SELECT state FROM booking.reserve_range(:op, 'STD', current_date + 1, current_date + 2);
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '\d+ reservations', 'N reservations');
END
$$;
SELECT s AS statement, pg_temp.try(s) AS outcome
  FROM unnest(ARRAY['DROP OWNED BY regress_booking_owner',
                    'DROP OWNED BY regress_booking_bystander, regress_booking_owner CASCADE',
                    'DROP OWNED BY regress_booking_bystander']) s;
SELECT extname FROM pg_extension WHERE extname = 'booking';
SELECT count(*) AS bystander_schema FROM pg_namespace WHERE nspname = 'owned_by_bystander';
BEGIN;
UPDATE booking.reservation SET state = 'cancelled';
DROP OWNED BY regress_booking_owner;
SELECT count(*) AS booking_installed FROM pg_extension WHERE extname = 'booking';
ROLLBACK;
\c :regress_db
DROP DATABASE regress_booking_owned;
DROP ROLE regress_booking_owner;
DROP ROLE regress_booking_bystander;

SELECT count(*) AS problems FROM booking.check_invariants();

-- a column a DBA adds to an engine table gets its DEFAULT (an identity
-- too) on the rows the engine inserts, as an INSERT would give it
SELECT booking.add_property('Extra Column Inn', 'Elvas', 'UTC') AS x \gset
SELECT booking.add_room_type(:x, 'A', 'Alpha', 3, 2, 10);
SELECT booking.open_inventory(:x, 'A', current_date + 1, current_date + 5);
ALTER TABLE booking.reservation ADD COLUMN sales_channel text NOT NULL DEFAULT 'direct';
ALTER TABLE booking.event ADD COLUMN audit_no bigint GENERATED ALWAYS AS IDENTITY;
SELECT reservation_id AS xr FROM booking.reserve_range(:x, 'A', current_date + 1, current_date + 3) \gset
SELECT sales_channel FROM booking.reservation WHERE reservation_id = :xr;
SELECT count(*) AS numbered FROM booking.event WHERE reservation_id = :xr AND audit_no IS NOT NULL;
ALTER TABLE booking.reservation DROP COLUMN sales_channel;
ALTER TABLE booking.event DROP COLUMN audit_no;

-- a statement-level trigger, or one with transition tables, would never
-- see the engine's row-by-row writes: the engine refuses to write rather
-- than skip it silently; a row trigger fires
CREATE FUNCTION t.count_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% % on %', TG_WHEN, TG_OP, TG_TABLE_NAME;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_statement AFTER INSERT ON booking.reservation
    FOR EACH STATEMENT EXECUTE FUNCTION t.count_writes();
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'A', current_date + 2, current_date + 3)$$, :x));
DROP TRIGGER audit_statement ON booking.reservation;
CREATE TRIGGER audit_transition AFTER UPDATE ON booking.reservation
    REFERENCING NEW TABLE AS changed FOR EACH ROW EXECUTE FUNCTION t.count_writes();
SELECT t.try(format($$SELECT booking.cancel_reservation(%s)$$, :xr));
DROP TRIGGER audit_transition ON booking.reservation;
-- nor would a trigger on UPDATE OF a column list: the engine's updates
-- carry no statement naming the columns they set
CREATE TRIGGER audit_columns AFTER UPDATE OF held ON booking.inventory
    FOR EACH ROW EXECUTE FUNCTION t.count_writes();
SELECT t.try(format($$SELECT booking.cancel_reservation(%s)$$, :xr));
DROP TRIGGER audit_columns ON booking.inventory;
CREATE TRIGGER audit_row AFTER UPDATE ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION t.count_writes();
SELECT state FROM booking.cancel_reservation(:xr);
DROP TRIGGER audit_row ON booking.reservation;
DROP FUNCTION t.count_writes();
SELECT count(*) AS problems FROM booking.check_invariants();

-- foreign keys (2.0, direct.c): the engine checks the reservation's key to
-- its room type itself (the room type locked FOR KEY SHARE: see the
-- isolation spec reserve_room_type_key), and leaves out the RI update
-- check of a key whose columns its update does not set.  The constraints
-- stay on the tables: an INSERT by hand is checked by PostgreSQL.  (t.key
-- hides the property's id in the messages.)
CREATE FUNCTION t.key(message text) RETURNS text LANGUAGE sql AS
    $$ SELECT regexp_replace(message, '=\(\d+, ', '=(<property>, ') $$;
SELECT t.key(t.try(format($$INSERT INTO booking.reservation (reservation_id, property_id, room_type,
       check_in, check_out, rooms, total_price, night_prices)
       VALUES (7, %s, 'NOPE', current_date + 1, current_date + 2, 1, 0, ARRAY[0])$$, :x))) AS insert_by_hand;
-- a DBA's foreign key on a column the engine sets is checked on every write
-- (NOT VALID: the reservations of the earlier files are not checked)
CREATE TABLE t.payment (ref text PRIMARY KEY);
INSERT INTO t.payment VALUES ('pay-known');
ALTER TABLE booking.reservation ADD CONSTRAINT reservation_payment_known
    FOREIGN KEY (payment_ref) REFERENCES t.payment NOT VALID;
SELECT reservation_id AS fr FROM booking.reserve_range(:x, 'A', current_date + 1, current_date + 2) \gset
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-unknown')$$, :fr)) AS unknown_payment;
SELECT state FROM booking.confirm_booking(:fr, 'pay-known');
ALTER TABLE booking.reservation DROP CONSTRAINT reservation_payment_known;
-- a DBA's BEFORE UPDATE trigger could change a key column the engine does
-- not set: then no RI check is left out (here the room type it moves the
-- reservation to does not exist)
CREATE FUNCTION t.move_room_type() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.room_type := 'NOPE';
    RETURN NEW;
END
$$;
CREATE TRIGGER move_room_type BEFORE UPDATE ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION t.move_room_type();
SELECT t.key(t.try(format($$SELECT booking.cancel_reservation(%s)$$, :fr))) AS moved_reservation;
DROP TRIGGER move_room_type ON booking.reservation;
CREATE TRIGGER move_room_type BEFORE UPDATE ON booking.inventory
    FOR EACH ROW EXECUTE FUNCTION t.move_room_type();
SELECT t.key(t.try(format($$SELECT booking.cancel_reservation(%s)$$, :fr))) AS moved_night;
DROP TRIGGER move_room_type ON booking.inventory;
DROP FUNCTION t.move_room_type();
SELECT state FROM booking.cancel_reservation(:fr);
DROP TABLE t.payment;
DROP FUNCTION t.key(text);
SELECT count(*) AS problems FROM booking.check_invariants();
-- a DBA's table that follows the nights' counts through ON UPDATE CASCADE:
-- the cascade's relation is closed with the engine's unit (it used to be
-- left to the end of the transaction: WARNING relcache reference leak)
ALTER TABLE booking.inventory ADD CONSTRAINT inventory_held_key
    UNIQUE (property_id, room_type, night, held);
CREATE TABLE t.held_mirror (property_id bigint, room_type text, night date, held int,
    FOREIGN KEY (property_id, room_type, night, held)
        REFERENCES booking.inventory (property_id, room_type, night, held) ON UPDATE CASCADE);
INSERT INTO t.held_mirror
SELECT property_id, room_type, night, held FROM booking.inventory
 WHERE property_id = :x AND room_type = 'A' AND night >= current_date + 1 AND night < current_date + 3;
SELECT reservation_id AS fr FROM booking.reserve_range(:x, 'A', current_date + 1, current_date + 3) \gset
SELECT night - current_date AS d, m.held AS mirrored, i.held
  FROM t.held_mirror m JOIN booking.inventory i USING (property_id, room_type, night) ORDER BY night;
SELECT state FROM booking.cancel_reservation(:fr);
SELECT night - current_date AS d, held AS mirrored FROM t.held_mirror ORDER BY night;
DROP TABLE t.held_mirror;
ALTER TABLE booking.inventory DROP CONSTRAINT inventory_held_key;
SELECT count(*) AS problems FROM booking.check_invariants();

-- reserve_range locks its nights where its first read found them (2.0,
-- bk_nights_lock_read); a DBA's AFTER INSERT trigger on the reservation,
-- which fires in between, may have changed those nights itself: they are
-- found again, and the reserve holds them as usual
ALTER TABLE booking.inventory ADD COLUMN last_reserved date;
CREATE FUNCTION t.touch_nights() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE booking.inventory SET last_reserved = current_date
     WHERE property_id = NEW.property_id AND room_type = NEW.room_type
       AND night >= NEW.check_in AND night < NEW.check_out;
    RETURN NULL;
END
$$;
CREATE TRIGGER touch_nights AFTER INSERT ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION t.touch_nights();
SELECT state, rooms FROM booking.reserve_range(:x, 'A', current_date + 2, current_date + 4, guest_id => 'touched') AS r;
SELECT night - current_date AS d, held, last_reserved = current_date AS touched
  FROM booking.inventory WHERE property_id = :x AND night BETWEEN current_date + 2 AND current_date + 3
 ORDER BY night;
DROP TRIGGER touch_nights ON booking.reservation;
DROP FUNCTION t.touch_nights();
SELECT count(booking.cancel_reservation(reservation_id)) AS cancelled
  FROM booking.reservation WHERE property_id = :x AND guest_id = 'touched';
ALTER TABLE booking.inventory DROP COLUMN last_reserved;

-- a DBA's row triggers on the nights fire on every path: an AFTER UPDATE
-- trigger for the nights a plain reserve writes without locking them
-- first (bk_nights_hold_unlocked) and for those a cancel writes (the RI
-- check the engine leaves out is then not the only AFTER ROW trigger); a
-- BEFORE UPDATE trigger turns the unlocked writes off (it would run for a
-- version that may turn out not to be the newest) and runs once a night
CREATE TABLE t.night_audit (n serial, night date, held int, fired text);
CREATE FUNCTION t.audit_night() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO t.night_audit (night, held, fired) VALUES (NEW.night, NEW.held, TG_WHEN);
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_night_after AFTER UPDATE ON booking.inventory
    FOR EACH ROW EXECUTE FUNCTION t.audit_night();
SELECT reservation_id AS ar FROM booking.reserve_range(:x, 'A', current_date + 2, current_date + 4,
                                                       guest_id => 'audited') \gset
SELECT state FROM booking.cancel_reservation(:ar);
CREATE TRIGGER audit_night_before BEFORE UPDATE ON booking.inventory
    FOR EACH ROW EXECUTE FUNCTION t.audit_night();
SELECT reservation_id AS ar FROM booking.reserve_range(:x, 'A', current_date + 2, current_date + 4,
                                                       guest_id => 'audited') \gset
SELECT night - current_date AS d, held, fired FROM t.night_audit ORDER BY n;
DROP TRIGGER audit_night_after ON booking.inventory;
DROP TRIGGER audit_night_before ON booking.inventory;
SELECT state FROM booking.cancel_reservation(:ar);
DROP TABLE t.night_audit;
DROP FUNCTION t.audit_night();

-- a trigger that calls the engine while the engine writes (a unit inside
-- a unit), after an ANALYZE whose invalidation makes the inner call build
-- the table's kept state again: the outer write still uses the state it
-- began with (kept until no unit is left), and both succeed
SELECT reservation_id AS nr FROM booking.reserve_range(:x, 'A', current_date + 4, current_date + 5,
                                                       guest_id => 'nested', idempotency_key => 'nested-1') \gset
CREATE FUNCTION t.nested_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.guest_id = 'outer' THEN
        ANALYZE booking.reservation;
        PERFORM booking.reserve_range(NEW.property_id, NEW.room_type, current_date + 4, current_date + 5,
                                      guest_id => 'nested', idempotency_key => 'nested-1');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER nested_call BEFORE INSERT ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION t.nested_call();
SELECT state, rooms FROM booking.reserve_range(:x, 'A', current_date + 4, current_date + 5, guest_id => 'outer');
DROP TRIGGER nested_call ON booking.reservation;
DROP FUNCTION t.nested_call();
SELECT count(booking.cancel_reservation(reservation_id)) AS cancelled
  FROM booking.reservation WHERE property_id = :x AND guest_id IN ('nested', 'outer') AND state = 'held';

-- indexes (2.0, direct.c): a row the engine writes opens only the indexes
-- it puts an entry in (a hold has no payment reference: the unique index
-- on it is not even opened).  A DBA's BEFORE trigger could set such a
-- column after the engine looked: then every index is opened, and the
-- unique index still refuses a second hold with the same reference.
CREATE FUNCTION t.stamp_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payment_ref := 'stamped';
    RETURN NEW;
END
$$;
CREATE TRIGGER stamp_payment BEFORE INSERT ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION t.stamp_payment();
SELECT reservation_id AS sr FROM booking.reserve_range(:x, 'A', current_date + 3, current_date + 4) \gset
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'A', current_date + 3, current_date + 4)$$, :x)) AS second_stamped;
DROP TRIGGER stamp_payment ON booking.reservation;
DROP FUNCTION t.stamp_payment();
SELECT state FROM booking.cancel_reservation(:sr);
-- so is a stored generated column, computed after the engine looked: a
-- partial index on it gets the confirmed reservation's entry
ALTER TABLE booking.reservation ADD COLUMN paid boolean
    GENERATED ALWAYS AS (payment_ref IS NOT NULL) STORED;
CREATE INDEX reservation_paid_idx ON booking.reservation (guest_id) WHERE paid;
SELECT reservation_id AS gr FROM booking.reserve_range(:x, 'A', current_date + 3, current_date + 4,
                                                       guest_id => 'generated-guest') \gset
SELECT state FROM booking.confirm_booking(:gr, 'pay-generated');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT reservation_id FROM booking.reservation
 WHERE paid AND guest_id = 'generated-guest';
SELECT reservation_id = :gr AS paid_through_index FROM booking.reservation
 WHERE paid AND guest_id = 'generated-guest';
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT state FROM booking.cancel_reservation(:gr);
ALTER TABLE booking.reservation DROP COLUMN paid;
SELECT count(*) AS problems FROM booking.check_invariants();
-- search and availability read the calendar through its indexes without
-- SPI; an index the planner would skip (left invalid by a failed CREATE
-- INDEX CONCURRENTLY, being built or dropped) must not be read: search
-- answers the same through the whole table, and asks for every
-- property's plans when room_type_plans_idx cannot say which have any
SELECT count(booking.add_property('Index Inn ' || i, 'Index City', 'UTC')) AS inns FROM generate_series(1, 3) i;
SELECT p AS ip1 FROM (SELECT property_id AS p FROM booking.property WHERE city = 'Index City' ORDER BY 1 LIMIT 1) s \gset
SELECT count(*) AS room_types FROM (
    SELECT booking.add_room_type(p, code, code, 3, 2, 80 + row_number() OVER () * 7)
      FROM (SELECT property_id AS p FROM booking.property WHERE city = 'Index City') s,
           (VALUES ('A'), ('B')) rt(code)) x;
SELECT sum(booking.open_inventory(property_id, code, current_date + 1, current_date + 60)) > 0 AS opened
  FROM booking.room_type WHERE property_id IN (SELECT property_id FROM booking.property WHERE city = 'Index City');
SELECT booking.add_rate_plan(:ip1, 'A', 'IDX', 'Index rate', parent => 'BASE', adjust_pct => -40) IS NOT NULL AS plan_added;
CREATE TEMP TABLE index_search AS
SELECT * FROM booking.search('Index City', current_date + 25, current_date + 40, 2, 1, 50);
CREATE TEMP TABLE index_availability AS
SELECT * FROM booking.availability(:ip1, current_date + 25, current_date + 40);
SELECT count(*) AS offers, count(*) FILTER (WHERE plan_code = 'IDX') AS under_the_plan FROM index_search;
-- the rows search answers now and did not then, and the other way round
CREATE FUNCTION t.search_differences() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM (
        (SELECT * FROM booking.search('Index City', current_date + 25, current_date + 40, 2, 1, 50)
         EXCEPT ALL SELECT * FROM index_search)
        UNION ALL
        (SELECT * FROM index_search
         EXCEPT ALL SELECT * FROM booking.search('Index City', current_date + 25, current_date + 40, 2, 1, 50))) d
$$;
DROP INDEX booking.room_calendar_city_month_idx;
DROP INDEX booking.room_type_plans_idx;
-- a unique index cannot be built over these rows: both are left INVALID
\set VERBOSITY terse
CREATE UNIQUE INDEX CONCURRENTLY room_calendar_city_month_idx ON booking.room_calendar (property_name);
CREATE UNIQUE INDEX CONCURRENTLY room_type_plans_idx ON booking.room_type (max_guests);
\set VERBOSITY default
SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relname IN ('room_calendar_city_month_idx', 'room_type_plans_idx') ORDER BY 1;
SELECT t.search_differences() AS differences;
SELECT count(*) AS differences FROM (
    (SELECT * FROM booking.availability(:ip1, current_date + 25, current_date + 40)
     EXCEPT ALL SELECT * FROM index_availability)
    UNION ALL
    (SELECT * FROM index_availability
     EXCEPT ALL SELECT * FROM booking.availability(:ip1, current_date + 25, current_date + 40))) d;
-- gone altogether: the same
DROP INDEX booking.room_calendar_city_month_idx;
DROP INDEX booking.room_type_plans_idx;
SELECT t.search_differences() AS differences;
-- there again, valid, but on other columns than the scans are built for: the same
CREATE INDEX room_calendar_city_month_idx ON booking.room_calendar (month, city);
CREATE INDEX room_type_plans_idx ON booking.room_type (code);
SELECT t.search_differences() AS differences;
DROP INDEX booking.room_calendar_city_month_idx;
DROP INDEX booking.room_type_plans_idx;
CREATE INDEX room_calendar_city_month_idx ON booking.room_calendar (city, month);
CREATE INDEX room_type_plans_idx ON booking.room_type (property_id)
    WHERE has_rate_plans OR has_plan_rules;
SELECT count(*) AS offers, count(*) FILTER (WHERE plan_code = 'IDX') AS under_the_plan
  FROM booking.search('Index City', current_date + 25, current_date + 40, 2, 1, 50);
SELECT count(*) AS problems FROM booking.check_invariants();

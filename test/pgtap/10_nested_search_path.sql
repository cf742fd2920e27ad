-- 10_nested_search_path.sql: code a DBA hangs on the booking tables (a
-- trigger, a column DEFAULT) that runs a function with its own SET
-- search_path resolves its names along that path inside the engine's
-- calls too, and a search_path such code sets for the rest of its
-- transaction does not outlive the engine's call.
--
-- Why: pinning the engine's path by PostgreSQL's override search path
-- instead of a SET in the declaration (tried in 35d16c9 for the three
-- hottest functions, reverted) makes every lookup inside the call ignore
-- the search_path any nested function sets (the mechanism of
-- CVE-2023-2454).  A caller's temporary table named like the DBA's then
-- captured the DBA's SECURITY DEFINER trigger function: an outside
-- attack made a booking_app login superuser through it.  Here the
-- caller plants a temporary table of the DBA's table's name, with a
-- trigger of its own that records that it ran; the DBA's rows must land
-- in the DBA's table and the planted trigger must never run.
BEGIN;
SELECT plan(11);

SELECT booking.add_property('TAP Nested Inn', 'Tap Nested City', 'UTC') AS pid \gset
SELECT booking.add_room_type(:pid, 'DBL', 'Double', 2, 3, 100) AS added \gset
SELECT booking.open_inventory(:pid, 'DBL', current_date + 7, current_date + 21) AS opened \gset

-- The DBA's audit trigger: SECURITY DEFINER, its own path, an unqualified name.
CREATE SCHEMA nested_audit;
CREATE TABLE nested_audit.reservation_log (reservation_id bigint, state text);
CREATE FUNCTION nested_audit.log_reservation() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = nested_audit, pg_temp AS $$
BEGIN
    INSERT INTO reservation_log VALUES (NEW.reservation_id, NEW.state::text);
    RETURN NEW;
END $$;
CREATE TRIGGER zz_nested_audit BEFORE INSERT OR UPDATE ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION nested_audit.log_reservation();

-- The DBA's own column, whose DEFAULT calls a function with its own path.
CREATE TABLE nested_audit.settings (name text PRIMARY KEY, value text NOT NULL);
INSERT INTO nested_audit.settings VALUES ('channel', 'direct');
CREATE FUNCTION nested_audit.default_channel() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = nested_audit, pg_temp AS
    $$SELECT value FROM settings WHERE name = 'channel'$$;
ALTER TABLE booking.reservation ADD COLUMN sales_channel text DEFAULT nested_audit.default_channel();

-- The caller's plants, in its temporary schema.
CREATE TEMP TABLE planted_calls (what text);
CREATE TEMP TABLE reservation_log (reservation_id bigint, state text);
CREATE FUNCTION pg_temp.planted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.planted_calls VALUES ('trigger on the planted reservation_log');
    RETURN NEW;
END $$;
CREATE TRIGGER planted BEFORE INSERT ON pg_temp.reservation_log
    FOR EACH ROW EXECUTE FUNCTION pg_temp.planted();
CREATE TEMP VIEW settings AS SELECT 'channel'::text AS name, 'planted'::text AS value;

SET LOCAL search_path = pg_temp, public, pg_catalog;
SELECT reservation_id AS rid, sales_channel AS channel
  FROM booking.reserve_range(:pid, 'DBL', current_date + 8, current_date + 10,
                             guest_id => 'tap-nested') \gset
SELECT state AS confirmed FROM booking.confirm_booking(:rid, 'tap-nested-pay') \gset
SELECT state AS cancelled FROM booking.cancel_reservation(:rid, 'tap nested') \gset
SELECT pg_catalog.current_schemas(true)::text[] AS caller_path_after \gset
RESET search_path;

SELECT is(:'confirmed'::text, 'confirmed', 'confirm_booking confirmed it');
SELECT is(:'cancelled'::text, 'cancelled', 'cancel_reservation cancelled it');
SELECT results_eq(
    format($$SELECT state FROM nested_audit.reservation_log WHERE reservation_id = %s ORDER BY state$$, :rid),
    $$VALUES ('cancelled'), ('confirmed'), ('held')$$,
    'the DBA''s trigger, under its own search_path, logged the hold, the confirmation and the cancellation in its own table');
SELECT is_empty('SELECT * FROM pg_temp.reservation_log',
                'nothing went to the caller''s table of the same name');
SELECT is_empty('SELECT * FROM pg_temp.planted_calls', 'the caller''s planted trigger never ran');
SELECT is(:'channel'::text, 'direct',
          'the DBA''s DEFAULT, under its own search_path, read its own settings, not the caller''s view');
SELECT ok(:'caller_path_after'::text[] OPERATOR(pg_catalog.@>) ARRAY['public'],
          'the caller is on its own path after the calls');

-- A search_path set by the DBA's code for the rest of its transaction
-- (set_config(..., true)) ends with the engine's call: the caller's
-- path is what it was.
CREATE FUNCTION nested_audit.wander() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'nested_audit', true);
    RETURN NEW;
END $$;
CREATE TRIGGER zz_wander BEFORE INSERT OR UPDATE ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION nested_audit.wander();
SET LOCAL search_path = public, pg_catalog;
SELECT reservation_id AS rid2
  FROM booking.reserve_range(:pid, 'DBL', current_date + 12, current_date + 13) \gset
SELECT pg_catalog.current_setting('search_path') AS after_reserve \gset
SELECT state AS c2 FROM booking.confirm_booking(:rid2, 'tap-nested-pay-2') \gset
SELECT pg_catalog.current_setting('search_path') AS after_confirm \gset
SELECT state AS x2 FROM booking.cancel_reservation(:rid2) \gset
SELECT pg_catalog.current_setting('search_path') AS after_cancel \gset
RESET search_path;

SELECT is(:'after_reserve'::text, 'public, pg_catalog',
          'a search_path set inside reserve_range by a trigger ends with the call');
SELECT is(:'after_confirm'::text, 'public, pg_catalog',
          'a search_path set inside confirm_booking by a trigger ends with the call');
SELECT is(:'after_cancel'::text, 'public, pg_catalog',
          'a search_path set inside cancel_reservation by a trigger ends with the call');
SELECT is((SELECT pg_catalog.count(*)::int FROM nested_audit.reservation_log WHERE reservation_id = :rid2), 3,
          'the DBA''s trigger logged the second stay''s three writes too');

SELECT * FROM finish();
ROLLBACK;

-- 10_pinned_search_path.sql: reserve_range, confirm_booking and
-- cancel_reservation pin their search path in C (src/search_path.c)
-- instead of by a SET in their declaration.  What they run sees the path
-- SET search_path = pg_catalog, pg_temp would give (pg_catalog, then this
-- session's temporary schema), whatever the caller's path; the caller is
-- back on its own path after each call, whether the call returned or
-- failed and the failure was caught.
--
-- A BEFORE trigger on booking.reservation records the path it runs
-- under (current_schemas(true): every schema a name is looked up in);
-- BEFORE row triggers run inside the engine's own write, so they see
-- what the engine's SQL and its direct writes see.  The control: the
-- same trigger fired by an UPDATE the caller types records the caller's
-- path, so the trigger does tell the two apart.
BEGIN;
SELECT plan(17);

SELECT booking.add_property('TAP Pinned Inn', 'Tap Pinned City', 'UTC') AS pid \gset
SELECT booking.add_room_type(:pid, 'DBL', 'Double', 2, 3, 100) AS added \gset
SELECT booking.open_inventory(:pid, 'DBL', current_date + 7, current_date + 21) AS opened \gset

-- The temporary schema exists from here on: the pinned path names it last.
CREATE TEMP TABLE seen_paths (n serial, called_by text, path text[]);
CREATE SCHEMA pinned_probe;
CREATE FUNCTION pinned_probe.record_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.seen_paths (called_by, path)
    VALUES (pg_catalog.current_setting('pinned_probe.called_by', true),
            pg_catalog.current_schemas(true)::text[]);
    RETURN NEW;
END $$;
CREATE TRIGGER zz_record_path BEFORE INSERT OR UPDATE ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION pinned_probe.record_path();

SELECT ARRAY['pg_catalog', pg_catalog.pg_my_temp_schema()::regnamespace::text] AS pinned_path \gset
SELECT pg_catalog.set_config('pinned_probe.pid', :'pid', true) AS s0 \gset

-- The caller's path: pinned_probe and public before pg_catalog.
SET LOCAL search_path = pinned_probe, public, pg_catalog;
SELECT pg_catalog.current_schemas(true)::text[] AS caller_path \gset

SELECT pg_catalog.set_config('pinned_probe.called_by', 'reserve_range', true) AS s1 \gset
SELECT reservation_id AS rid
  FROM booking.reserve_range(:pid, 'DBL', current_date + 8, current_date + 10,
                             guest_id => 'tap-pinned') \gset
SELECT pg_catalog.current_schemas(true)::text[] AS after_reserve \gset
SELECT pg_catalog.set_config('pinned_probe.called_by', 'confirm_booking', true) AS s2 \gset
SELECT state AS confirmed FROM booking.confirm_booking(:rid, 'tap-pinned-pay') \gset
SELECT pg_catalog.current_schemas(true)::text[] AS after_confirm \gset
SELECT pg_catalog.set_config('pinned_probe.called_by', 'cancel_reservation', true) AS s3 \gset
SELECT state AS cancelled FROM booking.cancel_reservation(:rid, 'tap pinned') \gset
SELECT pg_catalog.current_schemas(true)::text[] AS after_cancel \gset

-- A call that fails after the pin (no such night on sale), caught in the
-- caller's own subtransaction: the caller is back on its path.
DO $$
BEGIN
    PERFORM booking.reserve_range(pg_catalog.current_setting('pinned_probe.pid')::bigint,
                                  'DBL', current_date + 30, current_date + 31);
    RAISE EXCEPTION 'the reserve was expected to fail';
EXCEPTION WHEN OTHERS THEN
    PERFORM pg_catalog.set_config('pinned_probe.error', SQLSTATE, true);
    PERFORM pg_catalog.set_config('pinned_probe.after_error',
                                  pg_catalog.current_schemas(true)::text, true);
END $$;
SELECT pg_catalog.current_setting('pinned_probe.after_error', true) AS after_error,
       pg_catalog.current_setting('pinned_probe.error', true) AS error_state \gset

-- The control: an UPDATE typed under the caller's path.
SELECT pg_catalog.set_config('pinned_probe.called_by', 'caller', true) AS s4 \gset
UPDATE booking.reservation SET guest_id = guest_id WHERE reservation_id = :rid;
RESET search_path;

SELECT isnt(:'caller_path'::text[], :'pinned_path'::text[],
            'the caller''s path differs from the pinned one');
SELECT is((SELECT pg_catalog.count(*)::int FROM pg_temp.seen_paths WHERE called_by = 'reserve_range'), 1,
          'reserve_range wrote its reservation once, through the trigger');
SELECT is(ARRAY(SELECT DISTINCT path::text FROM pg_temp.seen_paths WHERE called_by = 'reserve_range'),
          ARRAY[:'pinned_path'::text[]::text],
          'reserve_range writes under pg_catalog, pg_temp, not the caller''s path');
SELECT is(:'confirmed'::text, 'confirmed', 'confirm_booking confirmed it');
SELECT is(ARRAY(SELECT DISTINCT path::text FROM pg_temp.seen_paths WHERE called_by = 'confirm_booking'),
          ARRAY[:'pinned_path'::text[]::text],
          'confirm_booking writes under pg_catalog, pg_temp, not the caller''s path');
SELECT is(:'cancelled'::text, 'cancelled', 'cancel_reservation cancelled it');
SELECT is(ARRAY(SELECT DISTINCT path::text FROM pg_temp.seen_paths WHERE called_by = 'cancel_reservation'),
          ARRAY[:'pinned_path'::text[]::text],
          'cancel_reservation writes under pg_catalog, pg_temp, not the caller''s path');
SELECT is(ARRAY(SELECT DISTINCT path::text FROM pg_temp.seen_paths WHERE called_by = 'caller'),
          ARRAY[:'caller_path'::text[]::text],
          'control: the same trigger under an UPDATE the caller types sees the caller''s path');
SELECT is(:'after_reserve'::text[], :'caller_path'::text[], 'the caller is on its own path after reserve_range');
SELECT is(:'after_confirm'::text[], :'caller_path'::text[], 'the caller is on its own path after confirm_booking');
SELECT is(:'after_cancel'::text[], :'caller_path'::text[], 'the caller is on its own path after cancel_reservation');
SELECT is(:'error_state'::text, 'BK001', 'a reserve_range of nights not on sale failed with BK001');
SELECT is(:'after_error'::text[], :'caller_path'::text[],
          'the caller is on its own path after a reserve_range that failed and was caught');

-- How they are declared: SECURITY DEFINER with no SET (the pin is in C),
-- and every other function of the extension keeps its SET (02_functions).
SELECT is_definer('booking', 'reserve_range',
                  ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval', 'integer', 'text', 'integer', 'text'],
                  'reserve_range is SECURITY DEFINER');
SELECT results_eq(
    $$SELECT p.oid::regprocedure::text COLLATE "default", p.prosrc COLLATE "default", p.proconfig IS NULL
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('reserve_range', 'confirm_booking', 'cancel_reservation')
       ORDER BY 1$$,
    $$VALUES ('booking.cancel_reservation(bigint,text,text)', 'booking_cancel_reservation', true),
             ('booking.confirm_booking(bigint,text,text)', 'booking_confirm_booking', true),
             ('booking.reserve_range(bigint,text,date,date,integer,text,text,interval,integer,text,integer,text)',
              'booking_reserve_range', true)$$,
    'the three pinned functions carry no SET: their C entry points pin the path');
SELECT is(:'pinned_path'::text[], ARRAY['pg_catalog', pg_catalog.pg_my_temp_schema()::regnamespace::text],
          'the pinned path is pg_catalog, then this session''s temporary schema');
SELECT is((SELECT pg_catalog.count(*)::int FROM pg_temp.seen_paths), 4,
          'the trigger fired for the reserve, the confirm, the cancel and the control, and no more');

SELECT * FROM finish();
ROLLBACK;

-- 02_functions.sql: the public functions, their exact signatures (names,
-- argument names, defaults, result columns) and how they run: SECURITY
-- DEFINER with a pinned search_path.  Contract: ../../shared/API.md
-- ("Functions", "Privileges").
BEGIN;
SELECT plan(62);

-- ---------------------------------------------------------------------
-- Each function exists with the API's argument types ...
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'node_of', ARRAY['bigint'], 'booking.node_of(bigint) exists');
SELECT has_function('booking', 'add_property', ARRAY['text', 'text', 'text'],
                    'booking.add_property(text, text, text) exists');
SELECT has_function('booking', 'add_room_type',
                    ARRAY['bigint', 'text', 'text', 'integer', 'integer', 'numeric'],
                    'booking.add_room_type(bigint, text, text, int, int, numeric) exists');
SELECT has_function('booking', 'open_inventory',
                    ARRAY['bigint', 'text', 'date', 'date', 'integer', 'numeric'],
                    'booking.open_inventory(bigint, text, date, date, int, numeric) exists');
SELECT has_function('booking', 'availability', ARRAY['bigint', 'date', 'date'],
                    'booking.availability(bigint, date, date) exists');
SELECT has_function('booking', 'search',
                    ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer'],
                    'booking.search(text, date, date, int, int, int) exists');
SELECT has_function('booking', 'reserve_range',
                    ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval'],
                    'booking.reserve_range(bigint, text, date, date, int, text, text, interval) exists');
SELECT has_function('booking', 'confirm_booking', ARRAY['bigint', 'text'],
                    'booking.confirm_booking(bigint, text) exists');
SELECT has_function('booking', 'cancel_reservation', ARRAY['bigint', 'text'],
                    'booking.cancel_reservation(bigint, text) exists');
SELECT has_function('booking', 'expire_holds', ARRAY['integer'],
                    'booking.expire_holds(int) exists');
SELECT has_function('booking', 'check_invariants', ARRAY[]::name[],
                    'booking.check_invariants() exists');

-- ---------------------------------------------------------------------
-- ... returns the API's type ...
-- ---------------------------------------------------------------------
SELECT function_returns('booking', 'node_of', ARRAY['bigint'], 'integer',
                        'node_of returns int');
SELECT function_returns('booking', 'add_property', ARRAY['text', 'text', 'text'], 'bigint',
                        'add_property returns bigint');
SELECT function_returns('booking', 'add_room_type',
                        ARRAY['bigint', 'text', 'text', 'integer', 'integer', 'numeric'], 'void',
                        'add_room_type returns void');
SELECT function_returns('booking', 'open_inventory',
                        ARRAY['bigint', 'text', 'date', 'date', 'integer', 'numeric'], 'integer',
                        'open_inventory returns int');
SELECT function_returns('booking', 'availability', ARRAY['bigint', 'date', 'date'],
                        'setof record', 'availability returns a table');
SELECT function_returns('booking', 'search',
                        ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer'],
                        'setof record', 'search returns a table');
SELECT function_returns('booking', 'reserve_range',
                        ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval'],
                        'booking.reservation', 'reserve_range returns booking.reservation');
SELECT function_returns('booking', 'confirm_booking', ARRAY['bigint', 'text'],
                        'booking.reservation', 'confirm_booking returns booking.reservation');
SELECT function_returns('booking', 'cancel_reservation', ARRAY['bigint', 'text'],
                        'booking.reservation', 'cancel_reservation returns booking.reservation');
SELECT function_returns('booking', 'expire_holds', ARRAY['integer'], 'integer',
                        'expire_holds returns int');
SELECT function_returns('booking', 'check_invariants', ARRAY[]::name[], 'setof record',
                        'check_invariants returns a table');

-- ---------------------------------------------------------------------
-- ... with the API's argument names and defaults (callers use named
-- notation: reserve_range(..., idempotency_key => 'k')) and result columns.
-- ---------------------------------------------------------------------
SELECT is(pg_get_function_arguments('booking.add_property(text,text,text)'::regprocedure),
          'name text, city text, time_zone text DEFAULT ''UTC''::text',
          'add_property(name, city, time_zone DEFAULT ''UTC'')');
SELECT is(pg_get_function_arguments('booking.add_room_type(bigint,text,text,int,int,numeric)'::regprocedure),
          'property_id bigint, code text, name text, units integer, max_guests integer DEFAULT 2, base_price numeric DEFAULT 0',
          'add_room_type(property_id, code, name, units, max_guests DEFAULT 2, base_price DEFAULT 0)');
SELECT is(pg_get_function_arguments('booking.open_inventory(bigint,text,date,date,int,numeric)'::regprocedure),
          'property_id bigint, room_type text, first_night date, end_night date, units integer DEFAULT NULL::integer, price numeric DEFAULT NULL::numeric',
          'open_inventory(property_id, room_type, first_night, end_night, units DEFAULT NULL, price DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.availability(bigint,date,date)'::regprocedure),
          'property_id bigint, check_in date, check_out date',
          'availability(property_id, check_in, check_out)');
SELECT is(pg_get_function_result('booking.availability(bigint,date,date)'::regprocedure),
          'TABLE(room_type text, night date, available integer, price numeric)',
          'availability returns TABLE(room_type, night, available, price)');
SELECT is(pg_get_function_arguments('booking.search(text,date,date,int,int,int)'::regprocedure),
          'city text, check_in date, check_out date, guests integer DEFAULT 1, rooms integer DEFAULT 1, max_results integer DEFAULT 50',
          'search(city, check_in, check_out, guests DEFAULT 1, rooms DEFAULT 1, max_results DEFAULT 50)');
SELECT is(pg_get_function_result('booking.search(text,date,date,int,int,int)'::regprocedure),
          'TABLE(property_id bigint, property_name text, room_type text, min_available integer, total_price numeric)',
          'search returns TABLE(property_id, property_name, room_type, min_available, total_price)');
SELECT is(pg_get_function_arguments('booking.reserve_range(bigint,text,date,date,int,text,text,interval)'::regprocedure),
          'property_id bigint, room_type text, check_in date, check_out date, rooms integer DEFAULT 1, guest_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text, hold interval DEFAULT NULL::interval',
          'reserve_range(property_id, room_type, check_in, check_out, rooms DEFAULT 1, guest_id DEFAULT NULL, idempotency_key DEFAULT NULL, hold DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.confirm_booking(bigint,text)'::regprocedure),
          'reservation_id bigint, payment_ref text',
          'confirm_booking(reservation_id, payment_ref)');
SELECT is(pg_get_function_arguments('booking.cancel_reservation(bigint,text)'::regprocedure),
          'reservation_id bigint, reason text DEFAULT NULL::text',
          'cancel_reservation(reservation_id, reason DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.expire_holds(int)'::regprocedure),
          'max_rows integer DEFAULT 1000',
          'expire_holds(max_rows DEFAULT 1000)');
SELECT is(pg_get_function_result('booking.check_invariants()'::regprocedure),
          'TABLE(property_id bigint, room_type text, night date, problem text)',
          'check_invariants returns TABLE(property_id, room_type, night, problem)');
SELECT is(pg_get_function_arguments('booking.node_of(bigint)'::regprocedure),
          'id bigint', 'node_of(id)');

-- ---------------------------------------------------------------------
-- SECURITY DEFINER with a pinned search_path: the tables are written by
-- the owner only, and no caller's search_path can redirect a name.
-- ---------------------------------------------------------------------
SELECT is_definer('booking', 'add_property', ARRAY['text', 'text', 'text'],
                  'add_property is SECURITY DEFINER');
SELECT is_definer('booking', 'add_room_type',
                  ARRAY['bigint', 'text', 'text', 'integer', 'integer', 'numeric'],
                  'add_room_type is SECURITY DEFINER');
SELECT is_definer('booking', 'open_inventory',
                  ARRAY['bigint', 'text', 'date', 'date', 'integer', 'numeric'],
                  'open_inventory is SECURITY DEFINER');
SELECT is_definer('booking', 'availability', ARRAY['bigint', 'date', 'date'],
                  'availability is SECURITY DEFINER');
SELECT is_definer('booking', 'search',
                  ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer'],
                  'search is SECURITY DEFINER');
SELECT is_definer('booking', 'reserve_range',
                  ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval'],
                  'reserve_range is SECURITY DEFINER');
SELECT is_definer('booking', 'confirm_booking', ARRAY['bigint', 'text'],
                  'confirm_booking is SECURITY DEFINER');
SELECT is_definer('booking', 'cancel_reservation', ARRAY['bigint', 'text'],
                  'cancel_reservation is SECURITY DEFINER');
SELECT is_definer('booking', 'expire_holds', ARRAY['integer'],
                  'expire_holds is SECURITY DEFINER');
SELECT is_definer('booking', 'check_invariants', ARRAY[]::name[],
                  'check_invariants is SECURITY DEFINER');
SELECT isnt_definer('booking', 'node_of', ARRAY['bigint'],
                    'node_of (pure arithmetic, reads nothing) is not SECURITY DEFINER');

SELECT results_eq(
    $$SELECT p.oid::regprocedure::text, p.proconfig::text[] COLLATE "default"
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('add_property', 'add_room_type', 'availability', 'cancel_reservation',
                           'check_invariants', 'confirm_booking', 'expire_holds',
                           'open_inventory', 'reserve_range', 'search')
       ORDER BY 1$$,
    $$SELECT f, ARRAY['search_path=pg_catalog, pg_temp']
        FROM unnest(ARRAY[
            'booking.add_property(text,text,text)',
            'booking.add_room_type(bigint,text,text,integer,integer,numeric)',
            'booking.availability(bigint,date,date)',
            'booking.cancel_reservation(bigint,text)',
            'booking.check_invariants()',
            'booking.confirm_booking(bigint,text)',
            'booking.expire_holds(integer)',
            'booking.open_inventory(bigint,text,date,date,integer,numeric)',
            'booking.reserve_range(bigint,text,date,date,integer,text,text,interval)',
            'booking.search(text,date,date,integer,integer,integer)']) AS f
       ORDER BY 1$$,
    'the ten API functions run with search_path = pg_catalog, pg_temp');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace AND p.prosecdef
         AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
    'no SECURITY DEFINER function in schema booking runs with the caller''s search_path');
SELECT is((SELECT pg_get_userbyid(proowner) FROM pg_proc
            WHERE oid = 'booking.reserve_range(bigint,text,date,date,int,text,text,interval)'::regprocedure),
          (SELECT pg_get_userbyid(relowner) FROM pg_class
            WHERE oid = 'booking.inventory'::regclass),
          'reserve_range runs as the owner of the tables');
SELECT is((SELECT count(*)::int FROM pg_class
            WHERE relnamespace = 'booking'::regnamespace AND relkind IN ('r', 'S')
              AND relowner <> (SELECT proowner FROM pg_proc
                                WHERE oid = 'booking.reserve_range(bigint,text,date,date,int,text,text,interval)'::regprocedure)),
          0, 'every table and sequence belongs to the functions'' owner');

-- ---------------------------------------------------------------------
-- Volatility: the readers are STABLE, the writers VOLATILE.
-- ---------------------------------------------------------------------
SELECT volatility_is('booking', 'availability', ARRAY['bigint', 'date', 'date'], 'stable',
                     'availability is STABLE');
SELECT volatility_is('booking', 'search',
                     ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer'], 'stable',
                     'search is STABLE');
SELECT volatility_is('booking', 'check_invariants', ARRAY[]::name[], 'stable',
                     'check_invariants is STABLE');
SELECT volatility_is('booking', 'reserve_range',
                     ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval'],
                     'volatile', 'reserve_range is VOLATILE');
SELECT volatility_is('booking', 'confirm_booking', ARRAY['bigint', 'text'], 'volatile',
                     'confirm_booking is VOLATILE');
SELECT volatility_is('booking', 'cancel_reservation', ARRAY['bigint', 'text'], 'volatile',
                     'cancel_reservation is VOLATILE');
SELECT volatility_is('booking', 'expire_holds', ARRAY['integer'], 'volatile',
                     'expire_holds is VOLATILE');
SELECT volatility_is('booking', 'add_property', ARRAY['text', 'text', 'text'], 'volatile',
                     'add_property is VOLATILE');
SELECT volatility_is('booking', 'open_inventory',
                     ARRAY['bigint', 'text', 'date', 'date', 'integer', 'numeric'], 'volatile',
                     'open_inventory is VOLATILE');
SELECT volatility_is('booking', 'node_of', ARRAY['bigint'], 'immutable',
                     'node_of is IMMUTABLE');
SELECT is((SELECT proisstrict FROM pg_proc WHERE oid = 'booking.node_of(bigint)'::regprocedure),
          true, 'node_of is STRICT');
SELECT ok(NOT (SELECT proisstrict FROM pg_proc
                WHERE oid = 'booking.reserve_range(bigint,text,date,date,int,text,text,interval)'::regprocedure),
          'reserve_range is not STRICT (it answers NULL arguments with 22023, not NULL)');

SELECT * FROM finish();
ROLLBACK;

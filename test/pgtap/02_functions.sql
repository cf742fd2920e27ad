-- 02_functions.sql: the public functions, their exact signatures (names,
-- argument names, defaults, result columns) and how they run: SECURITY
-- DEFINER with a pinned search_path.  Contract: README.md ("Functions",
-- "Privileges") and docs/reference.md (one entry per function); 1.0's
-- payment step, event outbox and counters for begin_payment, read_events,
-- ack_events, stats and stats_reset; version 1.1 for set_rules,
-- clear_rules, quote, calendar, rebuild_calendar, purge and the internal
-- calendar_add; 2.0 for the look-ups, modify_reservation, the groups
-- (reserve_group, confirm_group, cancel_group), and rate plans, policies
-- and the stay (add_rate_plan, set_rates, add_policy, cancel_quote,
-- check_in, check_out, mark_no_show; rate_plan and children on
-- reserve_range, quote, search and modify_reservation, rate_plan on
-- set_rules and clear_rules); 2.0's channels: apply_channel_booking, read_ari,
-- ack_ari, ical_export and ical_import; 2.0's waitlist: join_waitlist and
-- leave_waitlist.
BEGIN;
SELECT plan(244);

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
                    ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer', 'text', 'integer'],
                    'booking.search(text, date, date, int, int, int, text, int) exists');
SELECT has_function('booking', 'reserve_range',
                    ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval', 'integer', 'text', 'integer', 'text'],
                    'booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text) exists');
SELECT has_function('booking', 'confirm_booking', ARRAY['bigint', 'text', 'text'],
                    'booking.confirm_booking(bigint, text, text) exists');
SELECT has_function('booking', 'cancel_reservation', ARRAY['bigint', 'text', 'text'],
                    'booking.cancel_reservation(bigint, text, text) exists');
SELECT has_function('booking', 'expire_holds', ARRAY['integer'],
                    'booking.expire_holds(int) exists');
SELECT has_function('booking', 'check_invariants', ARRAY[]::name[],
                    'booking.check_invariants() exists');
SELECT has_function('booking', 'begin_payment', ARRAY['bigint', 'text', 'interval', 'text'],
                    'booking.begin_payment(bigint, text, interval, text) exists');
SELECT has_function('booking', 'read_events', ARRAY['text', 'integer'],
                    'booking.read_events(text, int) exists');
SELECT has_function('booking', 'ack_events', ARRAY['text', 'bigint'],
                    'booking.ack_events(text, bigint) exists');
SELECT has_function('booking', 'stats', ARRAY[]::name[], 'booking.stats() exists');
SELECT has_function('booking', 'stats_reset', ARRAY[]::name[], 'booking.stats_reset() exists');

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
                        ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer', 'text', 'integer'],
                        'setof record', 'search returns a table');
SELECT function_returns('booking', 'reserve_range',
                        ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval', 'integer', 'text', 'integer', 'text'],
                        'booking.reservation', 'reserve_range returns booking.reservation');
SELECT function_returns('booking', 'confirm_booking', ARRAY['bigint', 'text', 'text'],
                        'booking.reservation', 'confirm_booking returns booking.reservation');
SELECT function_returns('booking', 'cancel_reservation', ARRAY['bigint', 'text', 'text'],
                        'booking.reservation', 'cancel_reservation returns booking.reservation');
SELECT function_returns('booking', 'expire_holds', ARRAY['integer'], 'integer',
                        'expire_holds returns int');
SELECT function_returns('booking', 'check_invariants', ARRAY[]::name[], 'setof record',
                        'check_invariants returns a table');
SELECT function_returns('booking', 'begin_payment', ARRAY['bigint', 'text', 'interval', 'text'],
                        'booking.reservation', 'begin_payment returns booking.reservation');
SELECT function_returns('booking', 'read_events', ARRAY['text', 'integer'], 'setof record',
                        'read_events returns a table');
SELECT function_returns('booking', 'ack_events', ARRAY['text', 'bigint'], 'integer',
                        'ack_events returns int');
SELECT function_returns('booking', 'stats', ARRAY[]::name[], 'setof record',
                        'stats returns a table');
SELECT function_returns('booking', 'stats_reset', ARRAY[]::name[], 'void',
                        'stats_reset returns void');

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
SELECT is(pg_get_function_arguments('booking.search(text,date,date,int,int,int,text,int)'::regprocedure),
          'city text, check_in date, check_out date, guests integer DEFAULT 1, rooms integer DEFAULT 1, max_results integer DEFAULT 50, rate_plan text DEFAULT NULL::text, children integer DEFAULT 0',
          'search(city, check_in, check_out, guests DEFAULT 1, rooms DEFAULT 1, max_results DEFAULT 50, rate_plan DEFAULT NULL, children DEFAULT 0)');
SELECT is(pg_get_function_result('booking.search(text,date,date,int,int,int,text,int)'::regprocedure),
          'TABLE(property_id bigint, property_name text, room_type text, min_available integer, total_price numeric, plan_code text)',
          'search returns TABLE(property_id, property_name, room_type, min_available, total_price, plan_code)');
SELECT is(pg_get_function_arguments('booking.reserve_range(bigint,text,date,date,int,text,text,interval,int,text,int,text)'::regprocedure),
          'property_id bigint, room_type text, check_in date, check_out date, rooms integer DEFAULT 1, guest_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text, hold interval DEFAULT NULL::interval, guests integer DEFAULT NULL::integer, rate_plan text DEFAULT NULL::text, children integer DEFAULT 0, block text DEFAULT NULL::text',
          'reserve_range(property_id, room_type, check_in, check_out, rooms DEFAULT 1, guest_id DEFAULT NULL, idempotency_key DEFAULT NULL, hold DEFAULT NULL, guests DEFAULT NULL, rate_plan DEFAULT NULL, children DEFAULT 0, block DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.confirm_booking(bigint,text,text)'::regprocedure),
          'reservation_id bigint, payment_ref text, guest_id text DEFAULT NULL::text',
          'confirm_booking(reservation_id, payment_ref, guest_id DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.cancel_reservation(bigint,text,text)'::regprocedure),
          'reservation_id bigint, reason text DEFAULT NULL::text, guest_id text DEFAULT NULL::text',
          'cancel_reservation(reservation_id, reason DEFAULT NULL, guest_id DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.expire_holds(int)'::regprocedure),
          'max_rows integer DEFAULT 1000',
          'expire_holds(max_rows DEFAULT 1000)');
SELECT is(pg_get_function_result('booking.check_invariants()'::regprocedure),
          'TABLE(property_id bigint, room_type text, night date, problem text)',
          'check_invariants returns TABLE(property_id, room_type, night, problem)');
SELECT is(pg_get_function_arguments('booking.node_of(bigint)'::regprocedure),
          'id bigint', 'node_of(id)');
SELECT is(pg_get_function_arguments('booking.begin_payment(bigint,text,interval,text)'::regprocedure),
          'reservation_id bigint, payment_intent text, extend interval DEFAULT NULL::interval, guest_id text DEFAULT NULL::text',
          'begin_payment(reservation_id, payment_intent, extend DEFAULT NULL, guest_id DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.read_events(text,int)'::regprocedure),
          'consumer text, max integer DEFAULT 100',
          'read_events(consumer, max DEFAULT 100)');
SELECT is(pg_get_function_result('booking.read_events(text,int)'::regprocedure),
          'TABLE(event_id bigint, occurred_at timestamp with time zone, kind text, reservation_id bigint, property_id bigint, payload jsonb)',
          'read_events returns TABLE(event_id, occurred_at, kind, reservation_id, property_id, payload)');
SELECT is(pg_get_function_arguments('booking.ack_events(text,bigint)'::regprocedure),
          'consumer text, upto bigint',
          'ack_events(consumer, upto)');
SELECT is(pg_get_function_result('booking.stats()'::regprocedure),
          'TABLE(preloaded boolean, reserve_attempts bigint, reserve_successes bigint, reserve_conflicts bigint, idempotent_replays bigint, payments_begun bigint, confirms bigint, late_confirms bigint, cancels bigint, expirations bigint, lock_timeouts bigint, sweeper_runs bigint, last_sweep_at timestamp with time zone, stats_reset_at timestamp with time zone, sweeper_errors bigint, expiry_failures bigint, expiry_helpers bigint, sweeper_paused boolean)',
          'stats returns TABLE(preloaded, the eleven counters, last_sweep_at, stats_reset_at, then (1.2) sweeper_errors, expiry_failures, expiry_helpers, sweeper_paused)');
SELECT is(pg_get_function_result('booking.repair_inventory()'::regprocedure),
          'TABLE(property_id bigint, room_type text, night date, held_before integer, held_after integer, booked_before integer, booked_after integer, fixed boolean, reason text)',
          'repair_inventory returns one row per night: its key, held and booked before and after, fixed, and why not');
SELECT is_definer('booking', 'repair_inventory', ARRAY[]::name[], 'repair_inventory is SECURITY DEFINER');
SELECT volatility_is('booking', 'repair_inventory', ARRAY[]::name[], 'volatile', 'repair_inventory is VOLATILE');
SELECT is(pg_get_function_result('booking.repair_event_passes()'::regprocedure), 'integer',
          'repair_event_passes (2.0) returns how many publishing passes it made');
SELECT is_definer('booking', 'repair_event_passes', ARRAY[]::name[], 'repair_event_passes is SECURITY DEFINER');
SELECT volatility_is('booking', 'repair_event_passes', ARRAY[]::name[], 'volatile', 'repair_event_passes is VOLATILE');
SELECT is((SELECT pg_get_viewdef('booking.stats'::regclass) ~ 'FROM booking\.stats\(\)'),
          true, 'the view booking.stats reads booking.stats()');

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
                  ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer', 'text', 'integer'],
                  'search is SECURITY DEFINER');
SELECT is_definer('booking', 'reserve_range',
                  ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval', 'integer', 'text', 'integer', 'text'],
                  'reserve_range is SECURITY DEFINER');
SELECT is_definer('booking', 'confirm_booking', ARRAY['bigint', 'text', 'text'],
                  'confirm_booking is SECURITY DEFINER');
SELECT is_definer('booking', 'cancel_reservation', ARRAY['bigint', 'text', 'text'],
                  'cancel_reservation is SECURITY DEFINER');
SELECT is_definer('booking', 'expire_holds', ARRAY['integer'],
                  'expire_holds is SECURITY DEFINER');
SELECT is_definer('booking', 'check_invariants', ARRAY[]::name[],
                  'check_invariants is SECURITY DEFINER');
SELECT is_definer('booking', 'begin_payment', ARRAY['bigint', 'text', 'interval', 'text'],
                  'begin_payment is SECURITY DEFINER');
SELECT is_definer('booking', 'read_events', ARRAY['text', 'integer'],
                  'read_events is SECURITY DEFINER');
SELECT is_definer('booking', 'ack_events', ARRAY['text', 'bigint'],
                  'ack_events is SECURITY DEFINER');
SELECT is_definer('booking', 'stats', ARRAY[]::name[], 'stats is SECURITY DEFINER');
SELECT is_definer('booking', 'stats_reset', ARRAY[]::name[], 'stats_reset is SECURITY DEFINER');
SELECT isnt_definer('booking', 'node_of', ARRAY['bigint'],
                    'node_of (pure arithmetic, reads nothing) is not SECURITY DEFINER');

SELECT results_eq(
    $$SELECT p.oid::regprocedure::text,
             ARRAY(SELECT c FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')::text[] COLLATE "default"
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
            'booking.cancel_reservation(bigint,text,text)',
            'booking.check_invariants()',
            'booking.confirm_booking(bigint,text,text)',
            'booking.expire_holds(integer)',
            'booking.open_inventory(bigint,text,date,date,integer,numeric)',
            'booking.reserve_range(bigint,text,date,date,integer,text,text,interval,integer,text,integer,text)',
            'booking.search(text,date,date,integer,integer,integer,text,integer)']) AS f
       ORDER BY 1$$,
    'the ten API functions run with search_path = pg_catalog, pg_temp');
SELECT results_eq(
    $$SELECT p.oid::regprocedure::text, p.proconfig::text[] COLLATE "default"
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('begin_payment', 'read_events', 'ack_events', 'stats', 'stats_reset')
       ORDER BY 1$$,
    $$SELECT f, ARRAY['search_path=pg_catalog, pg_temp']
        FROM unnest(ARRAY[
            'booking.ack_events(text,bigint)',
            'booking.begin_payment(bigint,text,interval,text)',
            'booking.read_events(text,integer)',
            'booking.stats()',
            'booking.stats_reset()']) AS f
       ORDER BY 1$$,
    'begin_payment, read_events, ack_events, stats and stats_reset run with search_path = pg_catalog, pg_temp');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace AND p.prosecdef
         AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
    'no SECURITY DEFINER function in schema booking runs with the caller''s search_path');
-- 1.2: every function of the extension, the trigger and event trigger
-- functions and the pure ones included: the DROP guard runs as whoever
-- types DROP EXTENSION, and must resolve nothing along that role's path.
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'booking'
       WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
    'every function of the extension (guard_drop_extension and enforce_state_transition too) runs with search_path = pg_catalog, pg_temp');
SELECT is((SELECT pg_get_userbyid(proowner) FROM pg_proc
            WHERE oid = 'booking.reserve_range(bigint,text,date,date,int,text,text,interval,int,text,int,text)'::regprocedure),
          (SELECT pg_get_userbyid(relowner) FROM pg_class
            WHERE oid = 'booking.inventory'::regclass),
          'reserve_range runs as the owner of the tables');
SELECT is((SELECT count(*)::int FROM pg_class
            WHERE relnamespace = 'booking'::regnamespace AND relkind IN ('r', 'S')
              AND relowner <> (SELECT proowner FROM pg_proc
                                WHERE oid = 'booking.reserve_range(bigint,text,date,date,int,text,text,interval,int,text,int,text)'::regprocedure)),
          0, 'every table and sequence belongs to the functions'' owner');

-- ---------------------------------------------------------------------
-- Volatility: the readers are STABLE, the writers VOLATILE.
-- ---------------------------------------------------------------------
SELECT volatility_is('booking', 'availability', ARRAY['bigint', 'date', 'date'], 'stable',
                     'availability is STABLE');
SELECT volatility_is('booking', 'search',
                     ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer', 'text', 'integer'], 'stable',
                     'search is STABLE');
SELECT volatility_is('booking', 'check_invariants', ARRAY[]::name[], 'stable',
                     'check_invariants is STABLE');
SELECT volatility_is('booking', 'reserve_range',
                     ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval', 'integer', 'text', 'integer', 'text'],
                     'volatile', 'reserve_range is VOLATILE');
SELECT volatility_is('booking', 'confirm_booking', ARRAY['bigint', 'text', 'text'], 'volatile',
                     'confirm_booking is VOLATILE');
SELECT volatility_is('booking', 'cancel_reservation', ARRAY['bigint', 'text', 'text'], 'volatile',
                     'cancel_reservation is VOLATILE');
SELECT volatility_is('booking', 'expire_holds', ARRAY['integer'], 'volatile',
                     'expire_holds is VOLATILE');
SELECT volatility_is('booking', 'add_property', ARRAY['text', 'text', 'text'], 'volatile',
                     'add_property is VOLATILE');
SELECT volatility_is('booking', 'open_inventory',
                     ARRAY['bigint', 'text', 'date', 'date', 'integer', 'numeric'], 'volatile',
                     'open_inventory is VOLATILE');
SELECT volatility_is('booking', 'begin_payment', ARRAY['bigint', 'text', 'interval', 'text'], 'volatile',
                     'begin_payment is VOLATILE');
SELECT volatility_is('booking', 'read_events', ARRAY['text', 'integer'], 'volatile',
                     'read_events is VOLATILE (it registers the consumer and publishes events)');
SELECT volatility_is('booking', 'ack_events', ARRAY['text', 'bigint'], 'volatile',
                     'ack_events is VOLATILE');
SELECT volatility_is('booking', 'stats', ARRAY[]::name[], 'volatile',
                     'stats is VOLATILE (the counters move within a statement)');
SELECT volatility_is('booking', 'node_of', ARRAY['bigint'], 'immutable',
                     'node_of is IMMUTABLE');
SELECT is((SELECT proisstrict FROM pg_proc WHERE oid = 'booking.node_of(bigint)'::regprocedure),
          true, 'node_of is STRICT');
SELECT ok(NOT (SELECT proisstrict FROM pg_proc
                WHERE oid = 'booking.reserve_range(bigint,text,date,date,int,text,text,interval,int,text,int,text)'::regprocedure),
          'reserve_range is not STRICT (it answers NULL arguments with 22023, not NULL)');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.oid IN ('booking.begin_payment(bigint,text,interval,text)'::regprocedure,
                       'booking.read_events(text,int)'::regprocedure,
                       'booking.ack_events(text,bigint)'::regprocedure)
         AND p.proisstrict$$,
    'begin_payment, read_events and ack_events are not STRICT (NULL arguments get 22023)');
SELECT throws_ok($$SELECT booking.begin_payment(1, NULL)$$, '22023',
                 'payment_intent must not be NULL', 'begin_payment with a NULL payment_intent: 22023');
SELECT throws_ok($$SELECT booking.read_events(NULL)$$, '22023',
                 'consumer must not be NULL', 'read_events with a NULL consumer: 22023');
SELECT throws_ok($$SELECT booking.ack_events('tap', NULL)$$, '22023',
                 'upto must not be NULL', 'ack_events with a NULL upto: 22023');

-- ---------------------------------------------------------------------
-- Version 1.1: stay rules, quote, the calendar grid, rebuild_calendar,
-- purge, and the internal helper calendar_add.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'set_rules',
                    ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'boolean',
                          'boolean', 'boolean', 'integer', 'integer', 'text'],
                    'booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text) exists');
SELECT has_function('booking', 'clear_rules', ARRAY['bigint', 'text', 'date', 'date', 'text'],
                    'booking.clear_rules(bigint, text, date, date, text) exists');
SELECT has_function('booking', 'quote', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'text', 'integer'],
                    'booking.quote(bigint, text, date, date, int, int, text, int) exists');
SELECT has_function('booking', 'calendar', ARRAY['bigint', 'date'],
                    'booking.calendar(bigint, date) exists');
SELECT has_function('booking', 'rebuild_calendar', ARRAY[]::name[],
                    'booking.rebuild_calendar() exists');
SELECT has_function('booking', 'purge', ARRAY['integer'], 'booking.purge(int) exists');
SELECT has_function('booking', 'calendar_add', ARRAY['integer[]', 'integer', 'integer', 'integer'],
                    'booking.calendar_add(int[], int, int, int) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace
              AND proname IN ('set_rules', 'clear_rules', 'quote', 'calendar',
                              'rebuild_calendar', 'purge', 'calendar_add')),
          7, 'each 1.1 function has exactly one signature (no overloads)');

SELECT is(pg_get_function_arguments('booking.set_rules(bigint,text,date,date,int,int,bool,bool,bool,int,int,text)'::regprocedure),
          'property_id bigint, room_type text, first_night date, end_night date, min_stay integer DEFAULT NULL::integer, max_stay integer DEFAULT NULL::integer, closed_to_arrival boolean DEFAULT NULL::boolean, closed_to_departure boolean DEFAULT NULL::boolean, stop_sell boolean DEFAULT NULL::boolean, min_advance integer DEFAULT NULL::integer, max_advance integer DEFAULT NULL::integer, rate_plan text DEFAULT NULL::text',
          'set_rules(property_id, room_type, first_night, end_night, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell, min_advance, max_advance, rate_plan), every rule and rate_plan DEFAULT NULL');
SELECT function_returns('booking', 'set_rules',
                        ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'boolean',
                              'boolean', 'boolean', 'integer', 'integer', 'text'],
                        'integer', 'set_rules returns int (nights written)');
SELECT is(pg_get_function_arguments('booking.clear_rules(bigint,text,date,date,text)'::regprocedure),
          'property_id bigint, room_type text, first_night date, end_night date, rate_plan text DEFAULT NULL::text',
          'clear_rules(property_id, room_type, first_night, end_night, rate_plan DEFAULT NULL)');
SELECT function_returns('booking', 'clear_rules', ARRAY['bigint', 'text', 'date', 'date', 'text'], 'integer',
                        'clear_rules returns int (nights cleared)');
SELECT is(pg_get_function_arguments('booking.quote(bigint,text,date,date,int,int,text,int)'::regprocedure),
          'property_id bigint, room_type text, check_in date, check_out date, rooms integer DEFAULT 1, guests integer DEFAULT NULL::integer, rate_plan text DEFAULT NULL::text, children integer DEFAULT 0',
          'quote(property_id, room_type, check_in, check_out, rooms DEFAULT 1, guests DEFAULT NULL, rate_plan DEFAULT NULL, children DEFAULT 0)');
SELECT is(pg_get_function_result('booking.quote(bigint,text,date,date,int,int,text,int)'::regprocedure),
          'TABLE(night date, available integer, price numeric, total_price numeric, bookable boolean, reason text, extra numeric)',
          'quote returns TABLE(night, available, price, total_price, bookable, reason, extra)');
SELECT is(pg_get_function_arguments('booking.calendar(bigint,date)'::regprocedure),
          'property_id bigint, month date', 'calendar(property_id, month)');
SELECT is(pg_get_function_result('booking.calendar(bigint,date)'::regprocedure),
          'TABLE(room_type text, days text)', 'calendar returns TABLE(room_type text, days text)');
SELECT is(pg_get_function_result('booking.rebuild_calendar()'::regprocedure), 'integer',
          'rebuild_calendar() returns int (month rows)');
SELECT is(pg_get_function_arguments('booking.purge(int)'::regprocedure),
          'max_rows integer DEFAULT 1000', 'purge(max_rows DEFAULT 1000)');
SELECT function_returns('booking', 'purge', ARRAY['integer'], 'integer', 'purge returns int');
SELECT function_returns('booking', 'calendar_add', ARRAY['integer[]', 'integer', 'integer', 'integer'],
                        'integer[]', 'calendar_add returns int[]');

SELECT is_definer('booking', 'set_rules',
                  ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'boolean',
                        'boolean', 'boolean', 'integer', 'integer', 'text'],
                  'set_rules is SECURITY DEFINER');
SELECT is_definer('booking', 'clear_rules', ARRAY['bigint', 'text', 'date', 'date', 'text'],
                  'clear_rules is SECURITY DEFINER');
SELECT is_definer('booking', 'quote', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'text', 'integer'],
                  'quote is SECURITY DEFINER');
SELECT is_definer('booking', 'calendar', ARRAY['bigint', 'date'], 'calendar is SECURITY DEFINER');
SELECT is_definer('booking', 'rebuild_calendar', ARRAY[]::name[], 'rebuild_calendar is SECURITY DEFINER');
SELECT is_definer('booking', 'purge', ARRAY['integer'], 'purge is SECURITY DEFINER');
SELECT isnt_definer('booking', 'calendar_add', ARRAY['integer[]', 'integer', 'integer', 'integer'],
                    'calendar_add (array arithmetic, reads nothing) is not SECURITY DEFINER');
SELECT results_eq(
    $$SELECT p.oid::regprocedure::text, p.proconfig::text[] COLLATE "default"
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('set_rules', 'clear_rules', 'quote', 'calendar', 'rebuild_calendar', 'purge')
       ORDER BY 1$$,
    $$SELECT f, ARRAY['search_path=pg_catalog, pg_temp']
        FROM unnest(ARRAY[
            'booking.calendar(bigint,date)',
            'booking.clear_rules(bigint,text,date,date,text)',
            'booking.purge(integer)',
            'booking.quote(bigint,text,date,date,integer,integer,text,integer)',
            'booking.rebuild_calendar()',
            'booking.set_rules(bigint,text,date,date,integer,integer,boolean,boolean,boolean,integer,integer,text)']) AS f
       ORDER BY 1$$,
    'set_rules, clear_rules, quote, calendar, rebuild_calendar and purge run with search_path = pg_catalog, pg_temp');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.provolatile::text COLLATE "default"
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('set_rules', 'clear_rules', 'quote', 'calendar', 'rebuild_calendar',
                           'purge', 'calendar_add')
       ORDER BY 1$$,
    $$VALUES ('calendar', 's'), ('calendar_add', 'i'), ('clear_rules', 'v'), ('purge', 'v'),
             ('quote', 's'), ('rebuild_calendar', 'v'), ('set_rules', 'v')$$,
    'quote and calendar are STABLE, calendar_add IMMUTABLE, the writers VOLATILE');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('set_rules', 'clear_rules', 'quote', 'calendar', 'purge')
         AND p.proisstrict$$,
    'set_rules, clear_rules, quote, calendar and purge are not STRICT (NULL arguments get 22023)');
SELECT throws_ok($$SELECT * FROM booking.quote(1, 'X', NULL, current_date + 1)$$, '22023',
                 'check_in must not be NULL', 'quote with a NULL check_in: 22023');
SELECT throws_ok($$SELECT booking.set_rules(1, NULL, current_date, current_date + 1, stop_sell => true)$$,
                 '22023', 'room_type must not be NULL', 'set_rules with a NULL room_type: 22023');
SELECT throws_ok($$SELECT booking.clear_rules(1, 'X', current_date, NULL)$$, '22023',
                 'end_night must not be NULL', 'clear_rules with a NULL end_night: 22023');
SELECT throws_ok($$SELECT booking.purge(NULL)$$, '22023', 'max_rows must not be NULL',
                 'purge(NULL): 22023');
SELECT throws_ok($$SELECT booking.purge(0)$$, '22023', 'max_rows must be at least 1',
                 'purge(0): 22023');
SELECT is(booking.calendar_add('{3,-1,1,5,2}', 2, 4, -1), '{3,-1,0,4,2}'::int[],
          'calendar_add adds to days lo..hi and leaves -1 (not on sale) alone');

-- ---------------------------------------------------------------------
-- 2.0: the look-ups
-- ---------------------------------------------------------------------
SELECT is(pg_get_function_arguments('booking.get_reservation(bigint,text)'::regprocedure),
          'reservation_id bigint, guest_id text DEFAULT NULL::text',
          'get_reservation(reservation_id, guest_id DEFAULT NULL)');
SELECT is(pg_get_function_result('booking.get_reservation(bigint,text)'::regprocedure),
          'booking.reservation', 'get_reservation returns booking.reservation');
SELECT is(pg_get_function_arguments('booking.find_reservation(text,text,text)'::regprocedure),
          'confirmation_code text DEFAULT NULL::text, payment_intent text DEFAULT NULL::text, payment_ref text DEFAULT NULL::text',
          'find_reservation(confirmation_code DEFAULT NULL, payment_intent DEFAULT NULL, payment_ref DEFAULT NULL)');
SELECT is(pg_get_function_result('booking.find_reservation(text,text,text)'::regprocedure),
          'booking.reservation', 'find_reservation returns booking.reservation');
SELECT is_definer('booking', 'get_reservation', ARRAY['bigint', 'text'],
                  'get_reservation is SECURITY DEFINER');
SELECT is_definer('booking', 'find_reservation', ARRAY['text', 'text', 'text'],
                  'find_reservation is SECURITY DEFINER');
SELECT volatility_is('booking', 'get_reservation', ARRAY['bigint', 'text'], 'stable',
                     'get_reservation is STABLE (it reads in the calling query''s snapshot)');
SELECT volatility_is('booking', 'find_reservation', ARRAY['text', 'text', 'text'], 'stable',
                     'find_reservation is STABLE');
SELECT is(pg_get_function_arguments('booking.modify_reservation(bigint,date,date,int,text,int,text,text,boolean,text,int)'::regprocedure),
          'reservation_id bigint, check_in date DEFAULT NULL::date, check_out date DEFAULT NULL::date, rooms integer DEFAULT NULL::integer, room_type text DEFAULT NULL::text, guests integer DEFAULT NULL::integer, idempotency_key text DEFAULT NULL::text, guest_id text DEFAULT NULL::text, dry_run boolean DEFAULT false, rate_plan text DEFAULT NULL::text, children integer DEFAULT NULL::integer',
          'modify_reservation(reservation_id, check_in, check_out, rooms, room_type, guests, idempotency_key, guest_id (DEFAULT NULL), dry_run DEFAULT false, rate_plan, children (DEFAULT NULL))');
SELECT is(pg_get_function_result('booking.modify_reservation(bigint,date,date,int,text,int,text,text,boolean,text,int)'::regprocedure),
          'booking.reservation', 'modify_reservation returns booking.reservation');
SELECT is_definer('booking', 'modify_reservation',
                  ARRAY['bigint', 'date', 'date', 'integer', 'text', 'integer', 'text', 'text', 'boolean', 'text', 'integer'],
                  'modify_reservation is SECURITY DEFINER');

-- ---------------------------------------------------------------------
-- 2.0: groups.  reserve_group, confirm_group and cancel_group answer one
-- booking.reservation per line (SETOF), run as the owner with the pinned
-- search_path, write (VOLATILE) and answer NULL arguments with 22023.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'reserve_group', ARRAY['bigint', 'jsonb', 'text', 'text', 'interval'],
                    'booking.reserve_group(bigint, jsonb, text, text, interval) exists');
SELECT has_function('booking', 'confirm_group', ARRAY['bigint', 'text', 'text'],
                    'booking.confirm_group(bigint, text, text) exists');
SELECT has_function('booking', 'cancel_group', ARRAY['bigint', 'text', 'text'],
                    'booking.cancel_group(bigint, text, text) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace
              AND proname IN ('reserve_group', 'confirm_group', 'cancel_group')),
          3, 'each group function has exactly one signature (no overloads)');
SELECT is(pg_get_function_arguments('booking.reserve_group(bigint,jsonb,text,text,interval)'::regprocedure),
          'property_id bigint, lines jsonb, guest_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text, hold interval DEFAULT NULL::interval',
          'reserve_group(property_id, lines, guest_id DEFAULT NULL, idempotency_key DEFAULT NULL, hold DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.confirm_group(bigint,text,text)'::regprocedure),
          'group_id bigint, payment_ref text, guest_id text DEFAULT NULL::text',
          'confirm_group(group_id, payment_ref, guest_id DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.cancel_group(bigint,text,text)'::regprocedure),
          'group_id bigint, reason text DEFAULT NULL::text, guest_id text DEFAULT NULL::text',
          'cancel_group(group_id, reason DEFAULT NULL, guest_id DEFAULT NULL)');
SELECT function_returns('booking', 'reserve_group', ARRAY['bigint', 'jsonb', 'text', 'text', 'interval'],
                        'setof booking.reservation', 'reserve_group returns setof booking.reservation');
SELECT function_returns('booking', 'confirm_group', ARRAY['bigint', 'text', 'text'],
                        'setof booking.reservation', 'confirm_group returns setof booking.reservation');
SELECT function_returns('booking', 'cancel_group', ARRAY['bigint', 'text', 'text'],
                        'setof booking.reservation', 'cancel_group returns setof booking.reservation');
SELECT results_eq(
    $$SELECT p.oid::regprocedure::text, pg_get_function_result(p.oid)
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('reserve_group', 'confirm_group', 'cancel_group')
       ORDER BY 1$$,
    $$VALUES ('booking.cancel_group(bigint,text,text)', 'SETOF booking.reservation'),
             ('booking.confirm_group(bigint,text,text)', 'SETOF booking.reservation'),
             ('booking.reserve_group(bigint,jsonb,text,text,interval)', 'SETOF booking.reservation')$$,
    'the three group functions return SETOF booking.reservation (one row per line)');
SELECT is_definer('booking', 'reserve_group', ARRAY['bigint', 'jsonb', 'text', 'text', 'interval'],
                  'reserve_group is SECURITY DEFINER');
SELECT is_definer('booking', 'confirm_group', ARRAY['bigint', 'text', 'text'],
                  'confirm_group is SECURITY DEFINER');
SELECT is_definer('booking', 'cancel_group', ARRAY['bigint', 'text', 'text'],
                  'cancel_group is SECURITY DEFINER');
SELECT results_eq(
    $$SELECT p.oid::regprocedure::text, p.proconfig::text[] COLLATE "default"
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('reserve_group', 'confirm_group', 'cancel_group')
       ORDER BY 1$$,
    $$SELECT f, ARRAY['search_path=pg_catalog, pg_temp']
        FROM unnest(ARRAY[
            'booking.cancel_group(bigint,text,text)',
            'booking.confirm_group(bigint,text,text)',
            'booking.reserve_group(bigint,jsonb,text,text,interval)']) AS f
       ORDER BY 1$$,
    'reserve_group, confirm_group and cancel_group run with search_path = pg_catalog, pg_temp (and no other setting)');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.provolatile::text COLLATE "default",
             p.proisstrict, l.lanname::text COLLATE "default"
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('reserve_group', 'confirm_group', 'cancel_group')
       ORDER BY 1$$,
    $$VALUES ('cancel_group', 'v', false, 'c'), ('confirm_group', 'v', false, 'c'),
             ('reserve_group', 'v', false, 'c')$$,
    'the group functions are VOLATILE, not STRICT, LANGUAGE c');
SELECT throws_ok($$SELECT * FROM booking.reserve_group(NULL, '[]')$$, '22023',
                 'property_id must not be NULL', 'reserve_group with a NULL property_id: 22023');
SELECT throws_ok($$SELECT * FROM booking.reserve_group(1, NULL)$$, '22023',
                 'lines must not be NULL', 'reserve_group with NULL lines: 22023');
SELECT throws_ok($$SELECT * FROM booking.confirm_group(NULL, 'x')$$, '22023',
                 'group_id must not be NULL', 'confirm_group with a NULL group_id: 22023');
SELECT throws_ok($$SELECT * FROM booking.confirm_group(1, NULL)$$, '22023',
                 'payment_ref must not be NULL', 'confirm_group with a NULL payment_ref: 22023');
SELECT throws_ok($$SELECT * FROM booking.cancel_group(NULL)$$, '22023',
                 'group_id must not be NULL', 'cancel_group with a NULL group_id: 22023');

-- ---------------------------------------------------------------------
-- 2.0: rate plans, policies and the stay.  One signature each, the
-- API's argument names and defaults, SECURITY DEFINER with the pinned
-- search_path, LANGUAGE c, not STRICT; cancel_quote STABLE (it writes
-- nothing), the others VOLATILE.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'add_rate_plan',
                    ARRAY['bigint', 'text', 'text', 'text', 'text', 'numeric', 'numeric', 'integer',
                          'numeric', 'numeric', 'text', 'text'],
                    'booking.add_rate_plan(bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text) exists');
SELECT has_function('booking', 'set_rates', ARRAY['bigint', 'text', 'text', 'date', 'date', 'numeric'],
                    'booking.set_rates(bigint, text, text, date, date, numeric) exists');
SELECT has_function('booking', 'add_policy', ARRAY['bigint', 'text', 'jsonb', 'jsonb'],
                    'booking.add_policy(bigint, text, jsonb, jsonb) exists');
SELECT has_function('booking', 'cancel_quote', ARRAY['bigint', 'timestamp with time zone', 'text'],
                    'booking.cancel_quote(bigint, timestamptz, text) exists');
SELECT has_function('booking', 'check_in', ARRAY['bigint'], 'booking.check_in(bigint) exists');
SELECT has_function('booking', 'check_out', ARRAY['bigint'], 'booking.check_out(bigint) exists');
SELECT has_function('booking', 'mark_no_show', ARRAY['bigint'], 'booking.mark_no_show(bigint) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace
              AND proname IN ('add_rate_plan', 'set_rates', 'add_policy', 'cancel_quote',
                              'check_in', 'check_out', 'mark_no_show',
                              'reserve_range', 'quote', 'search', 'modify_reservation',
                              'set_rules', 'clear_rules')),
          13, 'each new or changed 2.0 function has exactly one signature (no overloads left behind)');
SELECT is(pg_get_function_arguments('booking.add_rate_plan(bigint,text,text,text,text,numeric,numeric,int,numeric,numeric,text,text)'::regprocedure),
          'property_id bigint, room_type text, code text, name text, parent text DEFAULT NULL::text, adjust_pct numeric DEFAULT 0, adjust_amount numeric DEFAULT 0, base_occupancy integer DEFAULT NULL::integer, extra_adult numeric DEFAULT 0, extra_child numeric DEFAULT 0, meal_plan text DEFAULT NULL::text, policy text DEFAULT NULL::text',
          'add_rate_plan(property_id, room_type, code, name, parent DEFAULT NULL, adjust_pct DEFAULT 0, adjust_amount DEFAULT 0, base_occupancy DEFAULT NULL, extra_adult DEFAULT 0, extra_child DEFAULT 0, meal_plan DEFAULT NULL, policy DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.set_rates(bigint,text,text,date,date,numeric)'::regprocedure),
          'property_id bigint, room_type text, rate_plan text, first_night date, end_night date, price numeric',
          'set_rates(property_id, room_type, rate_plan, first_night, end_night, price)');
SELECT is(pg_get_function_arguments('booking.add_policy(bigint,text,jsonb,jsonb)'::regprocedure),
          'property_id bigint, code text, tiers jsonb, no_show jsonb DEFAULT NULL::jsonb',
          'add_policy(property_id, code, tiers, no_show DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.cancel_quote(bigint,timestamptz,text)'::regprocedure),
          'reservation_id bigint, at timestamp with time zone DEFAULT NULL::timestamp with time zone, guest_id text DEFAULT NULL::text',
          'cancel_quote(reservation_id, at DEFAULT NULL, guest_id DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.check_in(bigint)'::regprocedure),
          'reservation_id bigint', 'check_in(reservation_id)');
SELECT is(pg_get_function_arguments('booking.check_out(bigint)'::regprocedure),
          'reservation_id bigint', 'check_out(reservation_id)');
SELECT is(pg_get_function_arguments('booking.mark_no_show(bigint)'::regprocedure),
          'reservation_id bigint', 'mark_no_show(reservation_id)');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_function_result(p.oid)
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('add_rate_plan', 'set_rates', 'add_policy', 'cancel_quote',
                           'check_in', 'check_out', 'mark_no_show')
       ORDER BY 1$$,
    $$VALUES ('add_policy', 'void'), ('add_rate_plan', 'void'),
             ('cancel_quote', 'TABLE(fee numeric, refund numeric, policy text, tier integer)'),
             ('check_in', 'booking.reservation'), ('check_out', 'booking.reservation'),
             ('mark_no_show', 'booking.reservation'), ('set_rates', 'integer')$$,
    'add_rate_plan and add_policy return void, set_rates int (nights priced), cancel_quote TABLE(fee, refund, policy, tier), the stay booking.reservation');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.proconfig::text[] COLLATE "default"
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('add_rate_plan', 'set_rates', 'add_policy', 'cancel_quote',
                           'check_in', 'check_out', 'mark_no_show')
       ORDER BY 1$$,
    $$SELECT f, ARRAY['search_path=pg_catalog, pg_temp']
        FROM unnest(ARRAY['add_policy', 'add_rate_plan', 'cancel_quote', 'check_in', 'check_out',
                          'mark_no_show', 'set_rates']) AS f
       ORDER BY 1$$,
    'the seven run with search_path = pg_catalog, pg_temp (and no other setting)');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.provolatile::text COLLATE "default",
             p.proisstrict, l.lanname::text COLLATE "default"
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('add_rate_plan', 'set_rates', 'add_policy', 'cancel_quote',
                           'check_in', 'check_out', 'mark_no_show')
       ORDER BY 1$$,
    $$VALUES ('add_policy', 'v', false, 'c'), ('add_rate_plan', 'v', false, 'c'),
             ('cancel_quote', 's', false, 'c'), ('check_in', 'v', false, 'c'),
             ('check_out', 'v', false, 'c'), ('mark_no_show', 'v', false, 'c'),
             ('set_rates', 'v', false, 'c')$$,
    'cancel_quote is STABLE, the other six VOLATILE; none STRICT; all LANGUAGE c');
SELECT is_definer('booking', 'add_rate_plan',
                  ARRAY['bigint', 'text', 'text', 'text', 'text', 'numeric', 'numeric', 'integer',
                        'numeric', 'numeric', 'text', 'text'],
                  'add_rate_plan is SECURITY DEFINER');
SELECT is_definer('booking', 'set_rates', ARRAY['bigint', 'text', 'text', 'date', 'date', 'numeric'],
                  'set_rates is SECURITY DEFINER');
SELECT is_definer('booking', 'add_policy', ARRAY['bigint', 'text', 'jsonb', 'jsonb'],
                  'add_policy is SECURITY DEFINER');
SELECT is_definer('booking', 'cancel_quote', ARRAY['bigint', 'timestamp with time zone', 'text'],
                  'cancel_quote is SECURITY DEFINER');
SELECT is_definer('booking', 'check_in', ARRAY['bigint'], 'check_in is SECURITY DEFINER');
SELECT is_definer('booking', 'check_out', ARRAY['bigint'], 'check_out is SECURITY DEFINER');
SELECT is_definer('booking', 'mark_no_show', ARRAY['bigint'], 'mark_no_show is SECURITY DEFINER');

-- ---------------------------------------------------------------------
-- 2.0: channels.  apply_channel_booking: one signature, the API's
-- argument names and defaults, returns booking.reservation, SECURITY
-- DEFINER with the pinned search_path, VOLATILE, not STRICT, LANGUAGE c;
-- a required argument NULL or a status it does not know: 22023.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'apply_channel_booking',
                    ARRAY['text', 'text', 'bigint', 'text', 'bigint', 'text', 'date', 'date', 'integer',
                          'numeric', 'text'],
                    'booking.apply_channel_booking(text, text, bigint, text, bigint, text, date, date, int, numeric, text) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace AND proname = 'apply_channel_booking'),
          1, 'apply_channel_booking has exactly one signature');
SELECT is(pg_get_function_arguments('booking.apply_channel_booking(text,text,bigint,text,bigint,text,date,date,int,numeric,text)'::regprocedure),
          'channel text, external_id text, revision bigint, status text, property_id bigint, room_type text, check_in date, check_out date, rooms integer DEFAULT 1, total_price numeric DEFAULT NULL::numeric, guest_id text DEFAULT NULL::text',
          'apply_channel_booking(channel, external_id, revision, status, property_id, room_type, check_in, check_out, rooms DEFAULT 1, total_price DEFAULT NULL, guest_id DEFAULT NULL)');
SELECT function_returns('booking', 'apply_channel_booking',
                        ARRAY['text', 'text', 'bigint', 'text', 'bigint', 'text', 'date', 'date', 'integer',
                              'numeric', 'text'],
                        'booking.reservation', 'apply_channel_booking returns booking.reservation (one row)');
SELECT results_eq(
    $$SELECT p.proconfig::text[] COLLATE "default", p.provolatile::text COLLATE "default",
             p.proisstrict, p.proretset, l.lanname::text COLLATE "default"
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'booking'::regnamespace AND p.proname = 'apply_channel_booking'$$,
    $$VALUES (ARRAY['search_path=pg_catalog, pg_temp'], 'v', false, false, 'c')$$,
    'apply_channel_booking runs with search_path = pg_catalog, pg_temp (and no other setting), VOLATILE, not STRICT, not a set, LANGUAGE c');
SELECT is_definer('booking', 'apply_channel_booking',
                  ARRAY['text', 'text', 'bigint', 'text', 'bigint', 'text', 'date', 'date', 'integer',
                        'numeric', 'text'],
                  'apply_channel_booking is SECURITY DEFINER');
SELECT throws_ok($$SELECT * FROM booking.apply_channel_booking(NULL, 'x', 1, 'new', 1, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', 'channel must not be NULL', 'apply_channel_booking with a NULL channel: 22023');
SELECT throws_ok($$SELECT * FROM booking.apply_channel_booking('ota', NULL, 1, 'new', 1, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', 'external_id must not be NULL', 'apply_channel_booking with a NULL external_id: 22023');
SELECT throws_ok($$SELECT * FROM booking.apply_channel_booking('ota', 'x', NULL, 'new', 1, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', 'revision must not be NULL', 'apply_channel_booking with a NULL revision: 22023');
SELECT throws_ok($$SELECT * FROM booking.apply_channel_booking('ota', 'x', 1, NULL, 1, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', 'status must not be NULL', 'apply_channel_booking with a NULL status: 22023');
SELECT throws_ok($$SELECT * FROM booking.apply_channel_booking('ota', 'x', 1, 'confirmed', 1, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', NULL, 'apply_channel_booking with a status other than new, modified, cancelled: 22023');
SELECT throws_ok($$SELECT * FROM booking.apply_channel_booking('ota', 'x', -1, 'new', 1, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', NULL, 'apply_channel_booking with a negative revision: 22023');

-- ---------------------------------------------------------------------
-- 2.0: the ARI feed.  read_ari(consumer, max DEFAULT 1000) returns
-- (change_id, property_id, room_type, night, available, price, closed);
-- ack_ari(consumer, upto) returns int; both SECURITY DEFINER with the
-- pinned search_path, VOLATILE (read_ari creates its consumer), not
-- STRICT, LANGUAGE c.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'read_ari', ARRAY['text', 'integer'], 'booking.read_ari(text, int) exists');
SELECT has_function('booking', 'ack_ari', ARRAY['text', 'bigint'], 'booking.ack_ari(text, bigint) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace AND proname IN ('read_ari', 'ack_ari')),
          2, 'read_ari and ack_ari have exactly one signature each');
SELECT is(pg_get_function_arguments('booking.read_ari(text,int)'::regprocedure),
          'consumer text, max integer DEFAULT 1000', 'read_ari(consumer, max DEFAULT 1000)');
SELECT is(pg_get_function_result('booking.read_ari(text,int)'::regprocedure),
          'TABLE(change_id bigint, property_id bigint, room_type text, night date, available integer, price numeric, closed boolean)',
          'read_ari returns (change_id, property_id, room_type, night, available, price, closed)');
SELECT is(pg_get_function_arguments('booking.ack_ari(text,bigint)'::regprocedure),
          'consumer text, upto bigint', 'ack_ari(consumer, upto)');
SELECT function_returns('booking', 'ack_ari', ARRAY['text', 'bigint'], 'integer', 'ack_ari returns int');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.proconfig::text[] COLLATE "default",
             p.provolatile::text COLLATE "default", p.proisstrict, p.prosecdef, l.lanname::text COLLATE "default"
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'booking'::regnamespace AND p.proname IN ('read_ari', 'ack_ari')
       ORDER BY p.proname$$,
    $$VALUES ('ack_ari', ARRAY['search_path=pg_catalog, pg_temp'], 'v', false, true, 'c'),
             ('read_ari', ARRAY['search_path=pg_catalog, pg_temp'], 'v', false, true, 'c')$$,
    'read_ari and ack_ari: SECURITY DEFINER, search_path = pg_catalog, pg_temp, VOLATILE, not STRICT, LANGUAGE c');
SELECT throws_ok($$SELECT * FROM booking.read_ari(NULL)$$,
                 '22023', 'consumer must not be NULL', 'read_ari with a NULL consumer: 22023');
SELECT throws_ok($$SELECT booking.ack_ari('nobody-at-all', 1)$$,
                 'BK005', 'ARI consumer "nobody-at-all" does not exist', 'ack_ari of an unknown consumer: BK005');

-- ---------------------------------------------------------------------
-- 2.0: iCal.  ical_export and ical_import: one signature each, the API's
-- argument names and result, SECURITY DEFINER with the pinned
-- search_path, not STRICT, LANGUAGE c; export STABLE, import VOLATILE
-- and a set; a required argument NULL: 22023.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'ical_export', ARRAY['bigint', 'text'],
                    'booking.ical_export(bigint, text) exists');
SELECT has_function('booking', 'ical_import', ARRAY['bigint', 'text', 'text', 'text'],
                    'booking.ical_import(bigint, text, text, text) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace AND proname IN ('ical_export', 'ical_import')),
          2, 'ical_export and ical_import have exactly one signature each');
SELECT is(pg_get_function_arguments('booking.ical_export(bigint,text)'::regprocedure),
          'property_id bigint, room_type text', 'ical_export(property_id, room_type)');
SELECT function_returns('booking', 'ical_export', ARRAY['bigint', 'text'], 'text',
                        'ical_export returns text');
SELECT is(pg_get_function_arguments('booking.ical_import(bigint,text,text,text)'::regprocedure),
          'property_id bigint, room_type text, source text, ics text',
          'ical_import(property_id, room_type, source, ics)');
SELECT is(pg_get_function_result('booking.ical_import(bigint,text,text,text)'::regprocedure),
          'TABLE(uid text, action text, reservation_id bigint)',
          'ical_import returns TABLE(uid text, action text, reservation_id bigint)');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.proconfig::text[] COLLATE "default",
             p.provolatile::text COLLATE "default", p.proisstrict, p.proretset, p.prosecdef,
             l.lanname::text COLLATE "default"
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'booking'::regnamespace AND p.proname IN ('ical_export', 'ical_import')
       ORDER BY p.proname$$,
    $$VALUES ('ical_export', ARRAY['search_path=pg_catalog, pg_temp'], 's', false, false, true, 'c'),
             ('ical_import', ARRAY['search_path=pg_catalog, pg_temp'], 'v', false, true, true, 'c')$$,
    'ical_export (STABLE) and ical_import (VOLATILE, a set): SECURITY DEFINER, search_path = pg_catalog, pg_temp, not STRICT, LANGUAGE c');
SELECT throws_ok($$SELECT booking.ical_export(NULL, 'DBL')$$,
                 '22023', 'property_id must not be NULL', 'ical_export with a NULL property_id: 22023');
SELECT throws_ok($$SELECT * FROM booking.ical_import(1, 'DBL', NULL, 'BEGIN:VCALENDAR')$$,
                 '22023', 'source must not be NULL', 'ical_import with a NULL source: 22023');
SELECT throws_ok($$SELECT * FROM booking.ical_import(1, 'DBL', 'air', NULL)$$,
                 '22023', 'ics must not be NULL', 'ical_import with a NULL ics: 22023');

-- ---------------------------------------------------------------------
-- 2.0: the waitlist.  join_waitlist and leave_waitlist: one signature
-- each, the API's argument names and defaults and result types, SECURITY
-- DEFINER with the pinned search_path, VOLATILE, not STRICT, LANGUAGE c;
-- a required argument NULL: 22023.
-- ---------------------------------------------------------------------
SELECT has_function('booking', 'join_waitlist',
                    ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text'],
                    'booking.join_waitlist(bigint, text, date, date, int, text, text) exists');
SELECT has_function('booking', 'leave_waitlist', ARRAY['bigint'],
                    'booking.leave_waitlist(bigint) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace AND proname = 'join_waitlist'),
          1, 'join_waitlist has exactly one signature');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'booking'::regnamespace AND proname = 'leave_waitlist'),
          1, 'leave_waitlist has exactly one signature');
SELECT is(pg_get_function_arguments('booking.join_waitlist(bigint,text,date,date,int,text,text)'::regprocedure),
          'property_id bigint, room_type text, check_in date, check_out date, rooms integer DEFAULT 1, guest_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text',
          'join_waitlist(property_id, room_type, check_in, check_out, rooms DEFAULT 1, guest_id DEFAULT NULL, idempotency_key DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.leave_waitlist(bigint)'::regprocedure),
          'waitlist_id bigint', 'leave_waitlist(waitlist_id)');
SELECT function_returns('booking', 'join_waitlist',
                        ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text'],
                        'bigint', 'join_waitlist returns bigint (the waitlist_id)');
SELECT function_returns('booking', 'leave_waitlist', ARRAY['bigint'], 'boolean',
                        'leave_waitlist returns boolean');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.proconfig::text[] COLLATE "default",
             p.provolatile::text COLLATE "default", p.proisstrict, p.proretset,
             l.lanname::text COLLATE "default"
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'booking'::regnamespace AND p.proname IN ('join_waitlist', 'leave_waitlist')
       ORDER BY p.proname$$,
    $$VALUES ('join_waitlist', ARRAY['search_path=pg_catalog, pg_temp'], 'v', false, false, 'c'),
             ('leave_waitlist', ARRAY['search_path=pg_catalog, pg_temp'], 'v', false, false, 'c')$$,
    'join_waitlist and leave_waitlist run with search_path = pg_catalog, pg_temp, VOLATILE, not STRICT, not a set, LANGUAGE c');
SELECT is_definer('booking', 'join_waitlist',
                  ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text'],
                  'join_waitlist is SECURITY DEFINER');
SELECT is_definer('booking', 'leave_waitlist', ARRAY['bigint'], 'leave_waitlist is SECURITY DEFINER');
SELECT throws_ok($$SELECT booking.join_waitlist(NULL, 'DBL', current_date + 1, current_date + 2)$$,
                 '22023', 'property_id must not be NULL', 'join_waitlist with a NULL property_id: 22023');
SELECT throws_ok($$SELECT booking.join_waitlist(1, NULL, current_date + 1, current_date + 2)$$,
                 '22023', 'room_type must not be NULL', 'join_waitlist with a NULL room_type: 22023');
SELECT throws_ok($$SELECT booking.join_waitlist(1, 'DBL', current_date + 1, current_date + 2, 0)$$,
                 '22023', 'rooms must be at least 1', 'join_waitlist with 0 rooms: 22023');
SELECT throws_ok($$SELECT booking.leave_waitlist(NULL)$$,
                 '22023', 'waitlist_id must not be NULL', 'leave_waitlist with a NULL waitlist_id: 22023');

-- ---------------------------------------------------------------------
-- 2.0 blocks: create_block, release_block, release_due_blocks
-- ---------------------------------------------------------------------
SELECT is(pg_get_function_arguments('booking.create_block(bigint,text,text,date,date,int,int,timestamptz)'::regprocedure),
          'property_id bigint, room_type text, code text, first_night date, end_night date, rooms integer, release_days integer DEFAULT NULL::integer, release_at timestamp with time zone DEFAULT NULL::timestamp with time zone',
          'create_block(property_id, room_type, code, first_night, end_night, rooms, release_days DEFAULT NULL, release_at DEFAULT NULL)');
SELECT is(pg_get_function_arguments('booking.release_block(bigint,text)'::regprocedure),
          'property_id bigint, code text', 'release_block(property_id, code)');
SELECT is(pg_get_function_arguments('booking.release_due_blocks(int)'::regprocedure),
          'max integer DEFAULT NULL::integer', 'release_due_blocks(max DEFAULT NULL)');
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_function_result(p.oid), p.provolatile::text COLLATE "default",
             p.prosecdef, p.proisstrict
        FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND p.proname IN ('create_block', 'release_block', 'release_due_blocks')
       ORDER BY 1$$,
    $$VALUES ('create_block', 'void', 'v', true, false), ('release_block', 'integer', 'v', true, false),
             ('release_due_blocks', 'integer', 'v', true, false)$$,
    'create_block returns void, release_block and release_due_blocks int; VOLATILE, SECURITY DEFINER, not STRICT');
SELECT * FROM finish();
ROLLBACK;

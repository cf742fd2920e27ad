-- 01_schema.sql: the objects the extension installs and the CHECK
-- constraints that make oversell impossible even for a buggy code path;
-- the payment_pending state, the event outbox tables and the monitoring
-- views (all in 1.0); version 1.1's stay rules and room calendar; 2.0's
-- rate plans, rates, cancellation policies, plan rules and the stay's
-- states and columns; 2.0's channels: inventory.overbooked (the CHECK
-- becomes held + booked <= units + overbooked) and booking.channel_booking;
-- 2.0's waitlist: inventory.waiting and booking.waitlist; 2.0's event
-- trigger that hears of loads into booking.event; 2.0's publishing passes.
-- Contract: docs/reference.md ("The reservation", "Tables and views") and
-- the promise at the top of README.md (no room-night is ever sold twice);
-- schema: sql/booking--1.0.sql, then sql/booking--1.0--1.1.sql and
-- sql/booking--1.1--1.2.sql.
BEGIN;
SELECT plan(187);

-- ---------------------------------------------------------------------
-- The extension itself
-- ---------------------------------------------------------------------
SELECT has_extension('booking', 'booking', 'extension booking is installed in schema booking');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'booking'), false,
          'the extension is not relocatable');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'booking'), '2.0',
          'the installed version is 2.0');
SELECT is((SELECT default_version FROM pg_available_extensions WHERE name = 'booking'), '2.0',
          'the default version is 2.0');
SELECT results_eq(
    $$SELECT path FROM pg_extension_update_paths('booking') WHERE source = '1.0' AND target = '1.1'$$,
    $$VALUES ('1.0--1.1')$$,
    'ALTER EXTENSION booking UPDATE goes from 1.0 to 1.1 in one script (booking--1.0--1.1.sql)');
SELECT results_eq(
    $$SELECT path FROM pg_extension_update_paths('booking') WHERE source = '1.1' AND target = '1.2'$$,
    $$VALUES ('1.1--1.2')$$,
    'and from 1.1 to 1.2 in one script (booking--1.1--1.2.sql)');
SELECT results_eq(
    $$SELECT path FROM pg_extension_update_paths('booking') WHERE source = '1.2' AND target = '2.0'$$,
    $$VALUES ('1.2--2.0')$$,
    'and from 1.2 to 2.0 in one script (booking--1.2--2.0.sql)');
SELECT has_schema('booking', 'schema booking exists');

-- ---------------------------------------------------------------------
-- Tables and sequences
-- ---------------------------------------------------------------------
SELECT has_table('booking', 'property', 'table booking.property exists');
SELECT has_table('booking', 'room_type', 'table booking.room_type exists');
SELECT has_table('booking', 'inventory', 'table booking.inventory exists');
SELECT has_table('booking', 'reservation', 'table booking.reservation exists');
SELECT has_table('booking', 'idempotency_key', 'table booking.idempotency_key exists');
SELECT has_sequence('booking', 'property_id_seq', 'sequence booking.property_id_seq exists');
SELECT has_sequence('booking', 'reservation_id_seq', 'sequence booking.reservation_id_seq exists');
SELECT has_table('booking', 'event', 'table booking.event (the outbox) exists');
SELECT has_table('booking', 'event_consumer', 'table booking.event_consumer exists');
SELECT has_sequence('booking', 'event_id_seq', 'sequence booking.event_id_seq exists');
SELECT has_sequence('booking', 'event_position_seq', 'sequence booking.event_position_seq exists');
SELECT has_view('booking', 'stats', 'view booking.stats exists');
SELECT has_view('booking', 'hold_ages', 'view booking.hold_ages exists');

-- Columns the API names, in the order it names them, with their types.
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.reservation'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum LIMIT 14$$,
    $$VALUES ('reservation_id', 'bigint'), ('property_id', 'bigint'),
             ('room_type', 'text'), ('check_in', 'date'), ('check_out', 'date'),
             ('rooms', 'integer'), ('guest_id', 'text'),
             ('state', 'booking.booking_state'),
             ('hold_expires_at', 'timestamp with time zone'),
             ('total_price', 'numeric'), ('payment_ref', 'text'),
             ('confirmation_code', 'text'),
             ('created_at', 'timestamp with time zone'),
             ('updated_at', 'timestamp with time zone')$$,
    'booking.reservation starts with the API''s 14 columns, in order, with their types');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.property'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum LIMIT 4$$,
    $$VALUES ('property_id', 'bigint'), ('name', 'text'), ('city', 'text'),
             ('time_zone', 'text')$$,
    'booking.property starts with (property_id, name, city, time_zone)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.room_type'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum LIMIT 6$$,
    $$VALUES ('property_id', 'bigint'), ('code', 'text'), ('name', 'text'),
             ('units', 'integer'), ('max_guests', 'integer'), ('base_price', 'numeric')$$,
    'booking.room_type starts with (property_id, code, name, units, max_guests, base_price)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.inventory'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum LIMIT 7$$,
    $$VALUES ('property_id', 'bigint'), ('room_type', 'text'), ('night', 'date'),
             ('units', 'integer'), ('held', 'integer'), ('booked', 'integer'),
             ('price', 'numeric')$$,
    'booking.inventory starts with (property_id, room_type, night, units, held, booked, price)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.idempotency_key'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum LIMIT 6$$,
    $$VALUES ('scope', 'text'), ('key', 'text'), ('request_digest', 'bytea'),
             ('property_id', 'bigint'), ('reservation_id', 'bigint'),
             ('created_at', 'timestamp with time zone')$$,
    'booking.idempotency_key starts with the columns of the 1.0 schema');

-- The columns added after the API's 14: why a reservation was cancelled,
-- and the payment intent begin_payment recorded.
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.reservation'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum OFFSET 14 LIMIT 2$$,
    $$VALUES ('cancel_reason', 'text'), ('payment_intent', 'text')$$,
    'booking.reservation goes on with cancel_reason, then payment_intent (text)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull
        FROM pg_attribute
       WHERE attrelid = 'booking.event'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('event_id', 'bigint', true), ('occurred_at', 'timestamp with time zone', true),
             ('kind', 'text', true), ('reservation_id', 'bigint', true),
             ('property_id', 'bigint', true), ('payload', 'jsonb', true),
             ('writer_xid', 'xid8', true), ('position', 'bigint', false),
             ('room_type', 'text', false), ('first_night', 'date', false),
             ('end_night', 'date', false), ('free_delta', 'integer', false)$$,
    'booking.event is (event_id, occurred_at, kind, reservation_id, property_id, payload, writer_xid, position, room_type, first_night, end_night, free_delta)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull
        FROM pg_attribute
       WHERE attrelid = 'booking.event_consumer'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('consumer', 'text', true), ('acked_position', 'bigint', true),
             ('acked_event_id', 'bigint', false), ('updated_at', 'timestamp with time zone', true)$$,
    'booking.event_consumer is (consumer, acked_position, acked_event_id, updated_at)');
SELECT col_default_is('booking', 'event', 'event_id',
                      $$nextval('booking.event_id_seq'::regclass)$$,
                      'event ids come from booking.event_id_seq');
SELECT col_default_is('booking', 'event', 'writer_xid', 'pg_current_xact_id()',
                      'an event records the transaction that wrote it');
SELECT col_default_is('booking', 'event_consumer', 'acked_position', '0',
                      'a new consumer has acknowledged nothing (position 0)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.hold_ages'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('holds', 'bigint'), ('p50_age', 'interval'), ('p95_age', 'interval'),
             ('max_age', 'interval'), ('past_deadline', 'bigint')$$,
    'booking.hold_ages is (holds, p50_age, p95_age, max_age, past_deadline)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.stats'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('preloaded', 'boolean'), ('reserve_attempts', 'bigint'),
             ('reserve_successes', 'bigint'), ('reserve_conflicts', 'bigint'),
             ('idempotent_replays', 'bigint'), ('payments_begun', 'bigint'),
             ('confirms', 'bigint'), ('late_confirms', 'bigint'), ('cancels', 'bigint'),
             ('expirations', 'bigint'), ('lock_timeouts', 'bigint'),
             ('sweeper_runs', 'bigint'), ('last_sweep_at', 'timestamp with time zone'),
             ('stats_reset_at', 'timestamp with time zone'),
             ('sweeper_errors', 'bigint'), ('expiry_failures', 'bigint'),
             ('expiry_helpers', 'bigint'), ('sweeper_paused', 'boolean')$$,
    'booking.stats has the columns of booking.stats(), in order (1.2: sweeper_errors, expiry_failures, expiry_helpers, sweeper_paused at the end)');

-- Every table carries property_id, NOT NULL (sharding by property).
SELECT col_not_null('booking', 'property', 'property_id', 'property.property_id is NOT NULL');
SELECT col_not_null('booking', 'room_type', 'property_id', 'room_type.property_id is NOT NULL');
SELECT col_not_null('booking', 'inventory', 'property_id', 'inventory.property_id is NOT NULL');
SELECT col_not_null('booking', 'reservation', 'property_id', 'reservation.property_id is NOT NULL');
SELECT col_not_null('booking', 'idempotency_key', 'property_id', 'idempotency_key.property_id is NOT NULL');
SELECT col_not_null('booking', 'inventory', 'held', 'inventory.held is NOT NULL');
SELECT col_not_null('booking', 'inventory', 'booked', 'inventory.booked is NOT NULL');
SELECT col_not_null('booking', 'reservation', 'state', 'reservation.state is NOT NULL');
SELECT col_not_null('booking', 'event', 'property_id', 'event.property_id is NOT NULL');

-- ---------------------------------------------------------------------
-- Keys
-- ---------------------------------------------------------------------
SELECT col_is_pk('booking', 'property', ARRAY['property_id'], 'property is keyed by property_id');
SELECT col_is_pk('booking', 'room_type', ARRAY['property_id', 'code'],
                 'room_type is keyed by (property_id, code)');
SELECT col_is_pk('booking', 'inventory', ARRAY['property_id', 'room_type', 'night'],
                 'inventory is keyed by (property_id, room_type, night): starts with property_id');
-- 2.0: the reservation's new columns come last, in the API's order
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'booking.reservation'::regclass AND attnum > 14 AND NOT attisdropped),
          ARRAY['cancel_reason', 'payment_intent', 'group_id', 'guests', 'rate_plan', 'children',
                'cancellation_fee', 'night_prices', 'night_extra', 'block'],
          'reservation ends with cancel_reason, payment_intent, then 2.0''s group_id, guests, rate_plan, children, cancellation_fee, night_prices, night_extra, block');
SELECT col_type_is('booking', 'reservation', 'rate_plan', 'text', 'reservation.rate_plan is text');
SELECT col_default_is('booking', 'reservation', 'rate_plan', 'BASE',
                      'reservation.rate_plan defaults to BASE (the inventory''s price)');
SELECT col_type_is('booking', 'reservation', 'cancellation_fee', 'numeric',
                   'reservation.cancellation_fee is numeric (NULL until cancelled or marked a no-show)');
SELECT col_type_is('booking', 'reservation', 'guests', 'integer', 'reservation.guests is int (NULL: not given)');
SELECT col_type_is('booking', 'reservation', 'group_id', 'bigint', 'reservation.group_id is bigint (NULL: a lone reservation)');
SELECT col_has_check('booking', 'reservation', 'guests',
                     'reservation.guests has a CHECK (reservation_guests_positive: at least 1)');
SELECT col_type_is('booking', 'reservation', 'night_prices', 'numeric[]',
                   'reservation.night_prices (2.0) keeps the price each night was sold at, in the reservation''s row');
SELECT col_is_null('booking', 'reservation', 'night_prices',
                   'night_prices may be NULL: a reservation restored from a dump taken before 2.0 (check_invariants() names it)');
SELECT col_default_is('booking', 'reservation', 'night_extra', '0.00',
                      'reservation.night_extra (a per-person plan''s extras per night) defaults to 0.00');
SELECT has_view('booking', 'reservation_night', 'view booking.reservation_night (2.0) exists');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'booking.reservation_night'::regclass AND attnum > 0),
          ARRAY['reservation_id', 'night', 'price', 'extra'],
          'reservation_night is (reservation_id, night, price, extra): extra is the per-person plan''s extras of the night');
SELECT col_is_pk('booking', 'reservation', ARRAY['reservation_id'],
                 'reservation is keyed by reservation_id');
SELECT col_is_pk('booking', 'idempotency_key', ARRAY['scope', 'key'],
                 'idempotency_key is keyed by (scope, key)');
SELECT fk_ok('booking', 'room_type', ARRAY['property_id'],
             'booking', 'property', ARRAY['property_id'],
             'room_type references property');
SELECT fk_ok('booking', 'inventory', ARRAY['property_id', 'room_type'],
             'booking', 'room_type', ARRAY['property_id', 'code'],
             'inventory references room_type');
SELECT fk_ok('booking', 'reservation', ARRAY['property_id', 'room_type'],
             'booking', 'room_type', ARRAY['property_id', 'code'],
             'reservation references room_type');
SELECT has_index('booking', 'reservation', 'reservation_payment_ref_key', ARRAY['payment_ref'],
                 'reservation has an index on payment_ref');
SELECT index_is_unique('booking', 'reservation', 'reservation_payment_ref_key',
                       'a payment_ref confirms at most one reservation (unique index)');
SELECT index_is_unique('booking', 'reservation', 'reservation_confirmation_code_key',
                       'confirmation codes are unique');
SELECT has_index('booking', 'reservation', 'reservation_payment_intent_key', ARRAY['payment_intent'],
                 'reservation has an index on payment_intent');
SELECT index_is_unique('booking', 'reservation', 'reservation_payment_intent_key',
                       'a payment_intent belongs to at most one reservation (unique index)');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index
            WHERE indexrelid = 'booking.reservation_payment_intent_key'::regclass),
          '(payment_intent IS NOT NULL)',
          'the payment_intent index covers only reservations that have one');
SELECT is_empty(
    $$SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relname IN ('reservation_live_holds_idx', 'reservation_hold_deadline_idx')
         AND pg_get_expr(i.indpred, i.indrelid) !~ 'payment_pending'
      UNION ALL
      SELECT n FROM unnest(ARRAY['reservation_live_holds_idx', 'reservation_hold_deadline_idx']) AS n
       WHERE to_regclass('booking.' || n) IS NULL$$,
    'both live-hold indexes exist and cover payment_pending as well as held');
SELECT col_is_pk('booking', 'event', ARRAY['event_id'], 'event is keyed by event_id');
SELECT col_is_pk('booking', 'event_consumer', ARRAY['consumer'], 'event_consumer is keyed by consumer');
SELECT hasnt_index('booking', 'event', 'event_position_key',
                   'no index on an event''s position (2.0: the publisher''s update of it is HOT; consumers read through booking.event_pass)');
SELECT is_empty(
    $$SELECT i.indexrelid::regclass FROM pg_index i
       WHERE i.indrelid = 'booking.event'::regclass
         AND ((SELECT attnum FROM pg_attribute WHERE attrelid = i.indrelid AND attname = 'position')
                = ANY (i.indkey::int2[])
              OR pg_get_expr(i.indpred, i.indrelid) ~ 'position'
              OR pg_get_expr(i.indexprs, i.indrelid) ~ 'position')$$,
    'no index of booking.event reads position, in its key, its INCLUDE, an expression or a predicate (any would make the publisher''s update not HOT)');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'booking.event'::regclass),
          ARRAY['fillfactor=50'],
          'a writer fills an event page to half: the publisher''s new version of each event fits beside the old one');
SELECT has_index('booking', 'event', 'event_unpublished_xid_idx', ARRAY['writer_xid', 'property_id'],
                 'event has an index by writer, where the events still waiting for a position are found from scan_from');
SELECT ok((SELECT i.indpred IS NULL FROM pg_index i
             WHERE i.indexrelid = 'booking.event_unpublished_xid_idx'::regclass),
          'it has no predicate (on position, it would make the publisher''s update not HOT)');
SELECT is((SELECT ARRAY[i.indnkeyatts::int, i.indnatts::int] FROM pg_index i
            WHERE i.indexrelid = 'booking.event_unpublished_xid_idx'::regclass),
          ARRAY[1, 2],
          'its key is writer_xid alone; property_id is carried (INCLUDE: availability skips other properties'' entries without reading their rows, 2.0)');
SELECT hasnt_index('booking', 'event', 'event_unpublished_idx',
                   '1.1''s index of unpublished events by event_id is gone');
SELECT hasnt_index('booking', 'event', 'event_reservation_idx',
                   '1.0''s index of events by reservation_id is gone (2.0: nothing read it, every event and every position paid an entry)');
SELECT col_not_null('booking', 'event_publisher', 'scan_from',
                    'the publisher row says where unpublished events start (scan_from)');

-- ---------------------------------------------------------------------
-- The state enum and its trigger
-- ---------------------------------------------------------------------
SELECT has_enum('booking', 'booking_state', 'enum booking.booking_state exists');
SELECT results_eq(
    $$SELECT enumlabel::text COLLATE "default" FROM pg_enum
       WHERE enumtypid = 'booking.booking_state'::regtype
       ORDER BY enumsortorder LIMIT 4$$,
    $$VALUES ('held'), ('confirmed'), ('cancelled'), ('expired')$$,
    'booking_state starts with held, confirmed, cancelled, expired, in that order');
SELECT enum_has_labels('booking', 'booking_state',
                       ARRAY['held', 'confirmed', 'cancelled', 'expired', 'payment_pending',
                             'checked_in', 'checked_out', 'no_show'],
                       'booking_state is exactly held, confirmed, cancelled, expired, payment_pending, then 2.0''s checked_in, checked_out, no_show (appended last)');
SELECT is(booking.state_names(), enum_range(NULL::booking.booking_state)::text[],
          'the C side knows exactly the labels of booking_state, in the enum''s order (state_names())');
SELECT has_trigger('booking', 'reservation', 'reservation_state_machine',
                   'reservation has the state machine trigger');
SELECT trigger_is('booking', 'reservation', 'reservation_state_machine',
                  'booking', 'enforce_state_transition',
                  'the state machine trigger calls booking.enforce_state_transition()');
SELECT trigger_is('booking', 'event', 'event_local_writer',
                  'booking', 'event_local_writer',
                  'booking.event has the trigger that gives a row put in by other means this transaction''s writer_xid');
SELECT ok((SELECT tgtype::int & 2 = 2 AND tgtype::int & 1 = 1 AND tgtype::int & 4 = 4   -- BEFORE ROW INSERT
                  AND tgenabled = 'A' AND tgqual IS NOT NULL
             FROM pg_trigger
            WHERE tgrelid = 'booking.event'::regclass AND tgname = 'event_local_writer'),
          'event_local_writer fires BEFORE INSERT FOR EACH ROW, ALWAYS (replica sessions too), WHEN writer_xid is not the transaction''s');
SELECT ok((SELECT tgtype::int & 2 = 2 AND tgtype::int & 1 = 1   -- BEFORE, FOR EACH ROW
                  AND tgtype::int & 16 = 16                         -- UPDATE
             FROM pg_trigger
            WHERE tgrelid = 'booking.reservation'::regclass
              AND tgname = 'reservation_state_machine'),
          'the state machine trigger fires BEFORE UPDATE, FOR EACH ROW');
SELECT is((SELECT tgenabled FROM pg_trigger
            WHERE tgrelid = 'booking.reservation'::regclass
              AND tgname = 'reservation_state_machine'), 'O',
          'the state machine trigger is enabled');
SELECT results_eq(
    $$SELECT evtevent::text COLLATE "default", evtfoid::regproc::text COLLATE "default",
             evttags::text[] COLLATE "default", evtenabled::text COLLATE "default"
        FROM pg_event_trigger WHERE evtname = 'booking_guard_drop'$$,
    $$VALUES ('ddl_command_start', 'booking.guard_drop_extension',
              ARRAY['DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED'], 'O')$$,
    'the event trigger booking_guard_drop watches DROP EXTENSION, DROP SCHEMA and DROP OWNED (ddl_command_start), enabled');
SELECT results_eq(
    $$SELECT evtevent::text COLLATE "default", evtfoid::regproc::text COLLATE "default",
             evttags::text[] COLLATE "default", evtenabled::text COLLATE "default"
        FROM pg_event_trigger WHERE evtname = 'booking_event_table_altered'$$,
    $$VALUES ('ddl_command_end', 'booking.event_table_altered', ARRAY['ALTER TABLE', 'CREATE TRIGGER'], 'A')$$,
    'the event trigger booking_event_table_altered (2.0) watches ALTER TABLE and CREATE TRIGGER (ddl_command_end), enabled ALWAYS (replica sessions too)');
SELECT has_table('booking', 'event_load_signal',
                 'table booking.event_load_signal exists (2.0: a load into booking.event with its trigger off says so)');

-- The edges of payment_pending, written directly by the owner (the trigger
-- checks the machine whoever writes): held -> payment_pending ->
-- confirmed | cancelled | expired, and nothing back to held.
INSERT INTO booking.property (property_id, name, city, time_zone)
VALUES (1022 * 1024, 'TAP State Inn', 'Tapville', 'UTC');
INSERT INTO booking.room_type (property_id, code, name, units, max_guests, base_price)
VALUES (1022 * 1024, 'DBL', 'Double', 9, 2, 100);
INSERT INTO booking.reservation (reservation_id, property_id, room_type, check_in, check_out,
                                 rooms, state, total_price, night_prices)
SELECT 1022 * 1024 + i, 1022 * 1024, 'DBL', current_date + 30, current_date + 31, 1,
       'held', 100, ARRAY[100]
  FROM generate_series(1, 4) AS i;
SELECT lives_ok(
    $$UPDATE booking.reservation SET state = 'payment_pending', payment_intent = 'tap-pi-' || reservation_id
       WHERE property_id = 1022 * 1024$$,
    'held -> payment_pending is allowed');
SELECT throws_ok(
    $$UPDATE booking.reservation SET state = 'held' WHERE reservation_id = 1022 * 1024 + 1$$,
    'BK003', 'a reservation cannot go from payment_pending to held',
    'payment_pending -> held fails BK003');
SELECT lives_ok(
    $$UPDATE booking.reservation SET state = 'confirmed', payment_ref = 'tap-ref'
       WHERE reservation_id = 1022 * 1024 + 1$$,
    'payment_pending -> confirmed is allowed');
SELECT lives_ok(
    $$UPDATE booking.reservation SET state = 'cancelled' WHERE reservation_id = 1022 * 1024 + 2$$,
    'payment_pending -> cancelled is allowed');
SELECT lives_ok(
    $$UPDATE booking.reservation SET state = 'expired' WHERE reservation_id = 1022 * 1024 + 3$$,
    'payment_pending -> expired is allowed');
SELECT throws_ok(
    $$UPDATE booking.reservation SET state = 'payment_pending' WHERE reservation_id = 1022 * 1024 + 1$$,
    'BK003', 'a reservation cannot go from confirmed to payment_pending',
    'confirmed -> payment_pending fails BK003');
SELECT throws_ok(
    $$UPDATE booking.reservation SET state = 'payment_pending' WHERE reservation_id = 1022 * 1024 + 2$$,
    'BK003', 'a reservation cannot go from cancelled to payment_pending',
    'cancelled -> payment_pending fails BK003');
SELECT throws_ok(
    $$UPDATE booking.reservation SET state = 'payment_pending' WHERE reservation_id = 1022 * 1024 + 3$$,
    'BK003', 'a reservation cannot go from expired to payment_pending',
    'expired -> payment_pending fails BK003');
SELECT throws_ok(
    $$UPDATE booking.reservation SET payment_intent = 'tap-pi-' || (1022 * 1024 + 1)
       WHERE reservation_id = 1022 * 1024 + 4$$,
    '23505', NULL,
    'a payment_intent already used by another reservation fails 23505 (unique index)');
SELECT throws_ok(
    $$INSERT INTO booking.event_consumer (consumer) VALUES ('')$$,
    '23514', NULL,
    'an event consumer needs a name (CHECK consumer <> '''')');

-- ---------------------------------------------------------------------
-- The CHECK constraints on inventory are the last line of defence:
-- even the superuser cannot commit an oversold night.
-- ---------------------------------------------------------------------
SELECT has_check('booking', 'inventory', 'inventory has CHECK constraints');
SELECT results_eq(
    $$SELECT conname::text COLLATE "default", pg_get_constraintdef(oid)
        FROM pg_constraint
       WHERE conrelid = 'booking.inventory'::regclass AND contype = 'c'
       ORDER BY conname$$,
    $$VALUES ('inventory_booked_nonnegative', 'CHECK ((booked >= 0))'),
             ('inventory_counts_nonnegative', 'CHECK (((overbooked >= 0) AND (waiting >= 0) AND (blocked >= 0)))'),
             ('inventory_held_nonnegative', 'CHECK ((held >= 0))'),
             ('inventory_no_oversell', 'CHECK ((((held + booked) + blocked) <= (units + overbooked)))'),
             ('inventory_price_nonnegative', 'CHECK ((price >= (0)::numeric))'),
             ('inventory_units_nonnegative', 'CHECK ((units >= 0))')$$,
    'inventory CHECKs: held >= 0, booked >= 0, held + booked + blocked <= units + overbooked (2.0), overbooked, waiting and blocked >= 0 (2.0, one constraint), units >= 0, price >= 0');
SELECT ok((SELECT bool_and(convalidated) FROM pg_constraint
            WHERE conrelid = 'booking.inventory'::regclass AND contype = 'c'),
          'every inventory CHECK is validated');

-- A night with 2 units, written directly as the superuser.
INSERT INTO booking.property (property_id, name, city, time_zone)
VALUES (1023 * 1024, 'TAP Check Inn', 'Tapville', 'UTC');
INSERT INTO booking.room_type (property_id, code, name, units, max_guests, base_price)
VALUES (1023 * 1024, 'DBL', 'Double', 2, 2, 100);
INSERT INTO booking.inventory (property_id, room_type, night, units, held, booked, price)
VALUES (1023 * 1024, 'DBL', current_date + 30, 2, 1, 1, 100);

SELECT throws_ok(
    $$UPDATE booking.inventory SET booked = booked + 1
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_no_oversell"',
    'booking one more unit of a full night fails 23514 (inventory_no_oversell)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET held = held + 1
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_no_oversell"',
    'holding one more unit of a full night fails 23514 (inventory_no_oversell)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET units = 1
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_no_oversell"',
    'lowering units below held + booked fails 23514 (inventory_no_oversell)');
SELECT throws_ok(
    $$INSERT INTO booking.inventory (property_id, room_type, night, units, held, booked, price)
      VALUES (1023 * 1024, 'DBL', current_date + 31, 2, 2, 1, 100)$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_no_oversell"',
    'inserting an oversold night fails 23514 (inventory_no_oversell)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET held = -1, booked = 0
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_held_nonnegative"',
    'a negative held fails 23514 (inventory_held_nonnegative)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET booked = -1, held = 0
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_booked_nonnegative"',
    'a negative booked fails 23514 (inventory_booked_nonnegative)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET price = -0.01
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_price_nonnegative"',
    'a negative price fails 23514 (inventory_price_nonnegative)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET units = -1, held = 0, booked = 0
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514', NULL,
    'negative units fail 23514');
SELECT lives_ok(
    $$UPDATE booking.inventory SET held = 0, booked = 2
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    'a night exactly full (held + booked = units) is allowed');
-- 2.0: overbooked widens the CHECK by exactly its own amount, and only
-- apply_channel_booking writes it; as the superuser, directly:
SELECT lives_ok(
    $$UPDATE booking.inventory SET held = 1, booked = 2, overbooked = 1
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    'a night one unit over with overbooked = 1 (held + booked = units + overbooked) is allowed');
SELECT throws_ok(
    $$UPDATE booking.inventory SET booked = booked + 1
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_no_oversell"',
    'one more unit than units + overbooked fails 23514 (inventory_no_oversell)');
SELECT throws_ok(
    $$UPDATE booking.inventory SET overbooked = -1, held = 0, booked = 0
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    '23514',
    'new row for relation "inventory" violates check constraint "inventory_counts_nonnegative"',
    'a negative overbooked fails 23514 (inventory_counts_nonnegative)');
SELECT lives_ok(
    $$UPDATE booking.inventory SET held = 0, booked = 2, overbooked = 0
       WHERE property_id = 1023 * 1024 AND room_type = 'DBL' AND night = current_date + 30$$,
    'the night back to exactly full, overbooked 0');
SELECT throws_ok(
    $$INSERT INTO booking.inventory (property_id, room_type, night, units, price)
      VALUES (1023 * 1024, 'NOPE', current_date + 30, 2, 100)$$,
    '23503', NULL,
    'inventory of an unknown room type fails 23503 (foreign key)');

-- Other tables' CHECKs.
SELECT throws_ok(
    $$INSERT INTO booking.room_type (property_id, code, name, units, max_guests, base_price)
      VALUES (1023 * 1024, 'NEG', 'Negative', -1, 2, 100)$$,
    '23514', NULL,
    'a room type with negative units fails 23514');
SELECT throws_ok(
    $$INSERT INTO booking.room_type (property_id, code, name, units, max_guests, base_price)
      VALUES (1023 * 1024, '', 'Empty code', 1, 2, 100)$$,
    '23514', NULL,
    'a room type with an empty code fails 23514');
SELECT has_check('booking', 'reservation', 'reservation has CHECK constraints');
SELECT results_eq(
    $$SELECT pg_get_constraintdef(oid) FROM pg_constraint
       WHERE conrelid = 'booking.reservation'::regclass
         AND conname = 'reservation_range_valid'$$,
    $$VALUES ('CHECK ((check_out > check_in))')$$,
    'reservation_range_valid is CHECK (check_out > check_in)');

-- ---------------------------------------------------------------------
-- Version 1.1: stay rules per room type and night, and the room calendar
-- (a per room type and month summary that search reads).
-- ---------------------------------------------------------------------
SELECT has_table('booking', 'stay_rule', 'table booking.stay_rule exists');
SELECT has_table('booking', 'room_calendar', 'table booking.room_calendar exists');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull
        FROM pg_attribute
       WHERE attrelid = 'booking.stay_rule'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('property_id', 'bigint', true), ('room_type', 'text', true), ('night', 'date', true),
             ('min_stay', 'integer', false), ('max_stay', 'integer', false),
             ('closed_to_arrival', 'boolean', true), ('closed_to_departure', 'boolean', true),
             ('stop_sell', 'boolean', true),
             ('min_advance', 'integer', false), ('max_advance', 'integer', false)$$,
    'booking.stay_rule is (property_id, room_type, night, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell, min_advance, max_advance)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", pg_get_expr(d.adbin, d.adrelid) COLLATE "default"
        FROM pg_attribute a
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = 'booking.stay_rule'::regclass
         AND a.attname IN ('closed_to_arrival', 'closed_to_departure', 'stop_sell')
       ORDER BY a.attnum$$,
    $$VALUES ('closed_to_arrival', 'false'), ('closed_to_departure', 'false'), ('stop_sell', 'false')$$,
    'the three yes/no rules default to false');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull
        FROM pg_attribute
       WHERE attrelid = 'booking.room_calendar'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('property_id', 'bigint', true), ('room_type', 'text', true), ('month', 'date', true),
             ('property_name', 'text', true), ('city', 'text', true), ('time_zone', 'text', true),
             ('max_guests', 'integer', true), ('has_rules', 'boolean', true),
             ('free', 'integer[]', true), ('price', 'numeric[]', true)$$,
    'booking.room_calendar is (property_id, room_type, month, property_name, city, time_zone, max_guests, has_rules, free int[], price numeric[]), all NOT NULL');
SELECT results_eq(
    $$SELECT attnum > 6, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid) COLLATE "default"
        FROM pg_attribute a
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = 'booking.room_type'::regclass AND a.attname = 'has_rules'$$,
    $$VALUES (true, 'boolean', true, 'false')$$,
    'booking.room_type gains has_rules boolean NOT NULL DEFAULT false, after the 1.0 columns');
SELECT col_is_pk('booking', 'stay_rule', ARRAY['property_id', 'room_type', 'night'],
                 'stay_rule is keyed by (property_id, room_type, night): one row per night with a rule');
SELECT col_is_pk('booking', 'room_calendar', ARRAY['property_id', 'room_type', 'month'],
                 'room_calendar is keyed by (property_id, room_type, month)');
SELECT fk_ok('booking', 'stay_rule', ARRAY['property_id', 'room_type'],
             'booking', 'room_type', ARRAY['property_id', 'code'],
             'stay_rule references room_type');
SELECT fk_ok('booking', 'room_calendar', ARRAY['property_id', 'room_type'],
             'booking', 'room_type', ARRAY['property_id', 'code'],
             'room_calendar references room_type');
SELECT has_index('booking', 'room_calendar', 'room_calendar_city_month_idx', ARRAY['city', 'month'],
                 'room_calendar has the index search reads: (city, month)');
SELECT results_eq(
    $$SELECT conname::text COLLATE "default", pg_get_constraintdef(oid)
        FROM pg_constraint
       WHERE conrelid = 'booking.stay_rule'::regclass AND contype = 'c'
       ORDER BY conname$$,
    $$VALUES ('stay_rule_advance_bounds', 'CHECK (((min_advance IS NULL) OR (max_advance IS NULL) OR (min_advance <= max_advance)))'),
             ('stay_rule_max_advance_check', 'CHECK ((max_advance >= 0))'),
             ('stay_rule_max_stay_check', 'CHECK ((max_stay >= 1))'),
             ('stay_rule_min_advance_check', 'CHECK ((min_advance >= 0))'),
             ('stay_rule_min_stay_check', 'CHECK ((min_stay >= 1))'),
             ('stay_rule_stay_bounds', 'CHECK (((min_stay IS NULL) OR (max_stay IS NULL) OR (min_stay <= max_stay)))')$$,
    'stay_rule CHECKs: stays >= 1, lead times >= 0, min_stay <= max_stay, min_advance <= max_advance');
SELECT results_eq(
    $$SELECT pg_get_constraintdef(oid) FROM pg_constraint
       WHERE conrelid = 'booking.room_calendar'::regclass AND contype = 'c'$$,
    $$VALUES ('CHECK ((date_part(''day''::text, month) = (1)::double precision))')$$,
    'room_calendar has one CHECK: month is the first day of a month');

-- The CHECKs at work, written directly as the superuser (set_rules turns
-- them into 22023 for callers; here the table itself refuses).
SELECT lives_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, min_stay, max_stay, min_advance, max_advance)
      VALUES (1023 * 1024, 'DBL', current_date + 40, 2, 2, 0, 0)$$,
    'a rule row with min_stay = max_stay and min_advance = max_advance = 0 is allowed');
SELECT is((SELECT ROW(closed_to_arrival, closed_to_departure, stop_sell)::text FROM booking.stay_rule
            WHERE property_id = 1023 * 1024 AND night = current_date + 40),
          '(f,f,f)', 'a rule row written without the yes/no rules has them all false');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, min_stay)
      VALUES (1023 * 1024, 'DBL', current_date + 41, 0)$$,
    '23514', NULL, 'min_stay 0 in the table fails 23514 (no rule is NULL, not 0)');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, max_stay)
      VALUES (1023 * 1024, 'DBL', current_date + 41, 0)$$,
    '23514', NULL, 'max_stay 0 in the table fails 23514');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, min_stay, max_stay)
      VALUES (1023 * 1024, 'DBL', current_date + 41, 3, 2)$$,
    '23514', 'new row for relation "stay_rule" violates check constraint "stay_rule_stay_bounds"',
    'min_stay above max_stay fails 23514 (stay_rule_stay_bounds)');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, min_advance, max_advance)
      VALUES (1023 * 1024, 'DBL', current_date + 41, 5, 4)$$,
    '23514', 'new row for relation "stay_rule" violates check constraint "stay_rule_advance_bounds"',
    'min_advance above max_advance fails 23514 (stay_rule_advance_bounds)');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, max_advance)
      VALUES (1023 * 1024, 'DBL', current_date + 41, -1)$$,
    '23514', NULL, 'a negative max_advance fails 23514');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, stop_sell)
      VALUES (1023 * 1024, 'NOPE', current_date + 41, true)$$,
    '23503', NULL, 'a rule for an unknown room type fails 23503 (foreign key)');
SELECT throws_ok(
    $$INSERT INTO booking.stay_rule (property_id, room_type, night, stop_sell)
      VALUES (1023 * 1024, 'DBL', current_date + 40, true)$$,
    '23505', NULL, 'a second rule row for the same night fails 23505 (primary key)');
SELECT throws_ok(
    $$INSERT INTO booking.room_calendar (property_id, room_type, month, property_name, city, time_zone,
                                         max_guests, has_rules, free, price)
      VALUES (1023 * 1024, 'DBL', date_trunc('month', current_date)::date + 1, 'TAP Check Inn', 'Tapville', 'UTC',
              2, false, '{}', '{}')$$,
    '23514', NULL, 'a room_calendar row whose month is not a first of the month fails 23514');
SELECT throws_ok(
    $$INSERT INTO booking.room_calendar (property_id, room_type, month, property_name, city, time_zone,
                                         max_guests, has_rules, free, price)
      VALUES (1023 * 1024, 'NOPE', date_trunc('month', current_date)::date, 'TAP Check Inn', 'Tapville', 'UTC',
              2, false, '{}', '{}')$$,
    '23503', NULL, 'a room_calendar row for an unknown room type fails 23503 (foreign key)');

-- ---------------------------------------------------------------------
-- pg_dump carries every table and every sequence
-- ---------------------------------------------------------------------
SELECT is_empty(
    $$VALUES ('booking.property'), ('booking.room_type'), ('booking.inventory'),
             ('booking.reservation'), ('booking.idempotency_key'),
             ('booking.property_id_seq'), ('booking.reservation_id_seq')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers the five tables and both sequences');
SELECT is_empty(
    $$VALUES ('booking.event'), ('booking.event_consumer'),
             ('booking.event_id_seq'), ('booking.event_position_seq')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers event, event_consumer, event_id_seq and event_position_seq');
SELECT is_empty(
    $$VALUES ('booking.stay_rule'), ('booking.room_calendar')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers stay_rule and room_calendar (1.1)');
SELECT is_empty(
    $$SELECT c.oid::regclass::text
        FROM pg_class c, pg_extension e
       WHERE e.extname = 'booking'
         AND c.relnamespace = 'booking'::regnamespace
         AND c.relkind IN ('r', 'p', 'S')
         AND NOT (c.oid = ANY (e.extconfig))
         AND c.oid NOT IN ('booking.event_publisher'::regclass, 'booking.event_load_signal'::regclass)$$,
    'no table or sequence in schema booking is left out of pg_dump (but the publisher''s lock row, which CREATE EXTENSION writes, and the load signals, which a restore writes itself)');
SELECT is((SELECT count(*) FROM booking.event_publisher), 1::bigint,
          'booking.event_publisher has its one row (the publisher''s lock)');
SELECT is_empty(
    $$SELECT unnest(extcondition) FROM pg_extension
       WHERE extname = 'booking' AND extcondition IS NOT NULL
      EXCEPT SELECT ''$$,
    'pg_dump carries every row (no WHERE filter in extcondition)');

-- ---------------------------------------------------------------------
-- Ids: n * 1024 + node, and node_of gives the node back
-- ---------------------------------------------------------------------
SELECT is(booking.node_of(5 * 1024 + 7), 7, 'node_of(5 * 1024 + 7) = 7');
SELECT is(booking.node_of(1023 * 1024), 0, 'node_of(1023 * 1024) = 0');
SELECT is(booking.node_of(1023), 1023, 'node_of(1023) = 1023');

-- ---------------------------------------------------------------------
-- 2.0: rate plans, rates, cancellation policies and plan rules
-- ---------------------------------------------------------------------
SELECT has_table('booking', 'rate_plan', 'table booking.rate_plan exists');
SELECT col_is_pk('booking', 'rate_plan', ARRAY['property_id', 'room_type', 'code'],
                 'rate_plan is keyed by (property_id, room_type, code)');
SELECT has_table('booking', 'rate', 'table booking.rate exists');
SELECT col_is_pk('booking', 'rate', ARRAY['property_id', 'room_type', 'rate_plan', 'night'],
                 'rate is keyed by (property_id, room_type, rate_plan, night): one price per plan and night');
SELECT has_table('booking', 'cancel_policy', 'table booking.cancel_policy exists');
SELECT col_is_pk('booking', 'cancel_policy', ARRAY['property_id', 'code'],
                 'cancel_policy is keyed by (property_id, code)');
SELECT has_table('booking', 'plan_rule', 'table booking.plan_rule exists');
SELECT col_is_pk('booking', 'plan_rule', ARRAY['property_id', 'room_type', 'rate_plan', 'night'],
                 'plan_rule is keyed by (property_id, room_type, rate_plan, night)');
SELECT is((SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
            WHERE attrelid = 'booking.room_type'::regclass AND attname IN ('has_rate_plans', 'has_plan_rules')
              AND atttypid = 'boolean'::regtype AND attnotnull),
          ARRAY['has_plan_rules', 'has_rate_plans'],
          'room_type has the booleans has_rate_plans and has_plan_rules (NOT NULL)');

-- ---------------------------------------------------------------------
-- 2.0: channels.  inventory.overbooked (at the end, NOT NULL DEFAULT 0)
-- and booking.channel_booking, the latest revision applied of each
-- (channel, external_id)
-- ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull,
             pg_get_expr(d.adbin, d.adrelid) COLLATE "default"
        FROM pg_attribute a
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = 'booking.inventory'::regclass AND a.attnum > 0 AND NOT a.attisdropped
         AND a.attnum > (SELECT attnum FROM pg_attribute
                          WHERE attrelid = 'booking.inventory'::regclass AND attname = 'price')$$,
    $$VALUES ('overbooked', 'integer', true, '0'), ('waiting', 'integer', true, '0'), ('blocked', 'integer', true, '0')$$,
    'booking.inventory gains overbooked, then (the waitlist) waiting, then (blocks) blocked, int NOT NULL DEFAULT 0, after price');
SELECT has_table('booking', 'channel_booking', 'table booking.channel_booking exists');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.channel_booking'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum LIMIT 7$$,
    $$VALUES ('channel', 'text'), ('external_id', 'text'), ('revision', 'bigint'),
             ('status', 'text'), ('reservation_id', 'bigint'), ('digest', 'bytea'),
             ('applied_at', 'timestamp with time zone')$$,
    'booking.channel_booking is (channel, external_id, revision, status, reservation_id, digest, applied_at)');
SELECT col_is_pk('booking', 'channel_booking', ARRAY['channel', 'external_id'],
                 'channel_booking is keyed by (channel, external_id): one row per booking of a channel');
SELECT col_not_null('booking', 'channel_booking', 'revision', 'channel_booking.revision is NOT NULL');
SELECT col_not_null('booking', 'channel_booking', 'status', 'channel_booking.status is NOT NULL');
SELECT is_empty(
    $$VALUES ('booking.channel_booking')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers channel_booking (2.0)');

-- 2.0: the waitlist, booking.waitlist
SELECT has_table('booking', 'waitlist', 'table booking.waitlist exists');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull
        FROM pg_attribute
       WHERE attrelid = 'booking.waitlist'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('waitlist_id', 'bigint', true), ('property_id', 'bigint', true), ('room_type', 'text', true),
             ('check_in', 'date', true), ('check_out', 'date', true), ('rooms', 'integer', true),
             ('guest_id', 'text', false), ('state', 'text', true), ('reservation_id', 'bigint', false),
             ('created_at', 'timestamp with time zone', true), ('offered_at', 'timestamp with time zone', false)$$,
    'booking.waitlist is (waitlist_id, property_id, room_type, check_in, check_out, rooms, guest_id, state, reservation_id, created_at, offered_at)');
SELECT col_is_pk('booking', 'waitlist', ARRAY['waitlist_id'], 'waitlist is keyed by waitlist_id');
SELECT is_empty(
    $$VALUES ('booking.waitlist'), ('booking.waitlist_id_seq')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers waitlist and waitlist_id_seq (2.0)');

-- ---------------------------------------------------------------------
-- 2.0: blocks.  booking.room_block (one row per block) and
-- booking.block_night (one per night), readable by booking_admin only
-- ---------------------------------------------------------------------
SELECT col_is_pk('booking', 'room_block', ARRAY['property_id', 'code'],
                 'room_block is keyed by (property_id, code)');
SELECT col_is_pk('booking', 'block_night', ARRAY['property_id', 'code', 'night'],
                 'block_night is keyed by (property_id, code, night)');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod)
        FROM pg_attribute
       WHERE attrelid = 'booking.block_night'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('property_id', 'bigint'), ('code', 'text'), ('night', 'date'), ('room_type', 'text'),
             ('rooms', 'integer'), ('picked', 'integer'), ('release_due', 'timestamp with time zone'),
             ('released', 'boolean')$$,
    'booking.block_night is (property_id, code, night, room_type, rooms, picked, release_due, released)');
SELECT has_index('booking', 'block_night', 'block_night_release_due_idx', ARRAY['release_due'],
                 'block_night is indexed by release_due (the sweeper''s due nights)');
SELECT col_type_is('booking', 'reservation', 'block', 'text', 'reservation.block is text (NULL: public)');

-- 2.0: the publishing passes, through which consumers read by position
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod), attnotnull
        FROM pg_attribute
       WHERE attrelid = 'booking.event_pass'::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum$$,
    $$VALUES ('first_position', 'bigint', true), ('event_ids', 'bigint[]', true)$$,
    'booking.event_pass is (first_position, event_ids)');
SELECT col_is_pk('booking', 'event_pass', ARRAY['first_position'], 'event_pass is keyed by first_position');
SELECT is_empty(
    $$VALUES ('booking.event_pass')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers event_pass (2.0)');
SELECT ok(NOT has_table_privilege('public', 'booking.event_pass', 'SELECT')
          AND has_table_privilege('booking_admin', 'booking.event_pass', 'SELECT')
          AND NOT has_table_privilege('booking_admin', 'booking.event_pass', 'INSERT'),
          'booking.event_pass: booking_admin reads it, as it reads the events; nobody but the owner writes it');
SELECT * FROM finish();
ROLLBACK;

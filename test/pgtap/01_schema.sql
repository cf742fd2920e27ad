-- 01_schema.sql: the objects the extension installs and the CHECK
-- constraints that make oversell impossible even for a buggy code path.
-- Contract: ../../shared/API.md ("Model", "Data safety"); schema:
-- sql/booking--1.0.sql.
BEGIN;
SELECT plan(64);

-- ---------------------------------------------------------------------
-- The extension itself
-- ---------------------------------------------------------------------
SELECT has_extension('booking', 'booking', 'extension booking is installed in schema booking');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'booking'), false,
          'the extension is not relocatable');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'booking'), '1.0',
          'the installed version is 1.0');
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

-- Every table carries property_id, NOT NULL (sharding by property).
SELECT col_not_null('booking', 'property', 'property_id', 'property.property_id is NOT NULL');
SELECT col_not_null('booking', 'room_type', 'property_id', 'room_type.property_id is NOT NULL');
SELECT col_not_null('booking', 'inventory', 'property_id', 'inventory.property_id is NOT NULL');
SELECT col_not_null('booking', 'reservation', 'property_id', 'reservation.property_id is NOT NULL');
SELECT col_not_null('booking', 'idempotency_key', 'property_id', 'idempotency_key.property_id is NOT NULL');
SELECT col_not_null('booking', 'inventory', 'held', 'inventory.held is NOT NULL');
SELECT col_not_null('booking', 'inventory', 'booked', 'inventory.booked is NOT NULL');
SELECT col_not_null('booking', 'reservation', 'state', 'reservation.state is NOT NULL');

-- ---------------------------------------------------------------------
-- Keys
-- ---------------------------------------------------------------------
SELECT col_is_pk('booking', 'property', ARRAY['property_id'], 'property is keyed by property_id');
SELECT col_is_pk('booking', 'room_type', ARRAY['property_id', 'code'],
                 'room_type is keyed by (property_id, code)');
SELECT col_is_pk('booking', 'inventory', ARRAY['property_id', 'room_type', 'night'],
                 'inventory is keyed by (property_id, room_type, night): starts with property_id');
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
SELECT has_trigger('booking', 'reservation', 'reservation_state_machine',
                   'reservation has the state machine trigger');
SELECT trigger_is('booking', 'reservation', 'reservation_state_machine',
                  'booking', 'enforce_state_transition',
                  'the state machine trigger calls booking.enforce_state_transition()');
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
             ('inventory_held_nonnegative', 'CHECK ((held >= 0))'),
             ('inventory_no_oversell', 'CHECK (((held + booked) <= units))'),
             ('inventory_price_nonnegative', 'CHECK ((price >= (0)::numeric))'),
             ('inventory_units_nonnegative', 'CHECK ((units >= 0))')$$,
    'inventory CHECKs: held >= 0, booked >= 0, held + booked <= units, units >= 0, price >= 0');
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
-- pg_dump carries every table and both sequences
-- ---------------------------------------------------------------------
SELECT is_empty(
    $$VALUES ('booking.property'), ('booking.room_type'), ('booking.inventory'),
             ('booking.reservation'), ('booking.idempotency_key'),
             ('booking.property_id_seq'), ('booking.reservation_id_seq')
      EXCEPT
      SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'booking'$$,
    'pg_extension_config_dump registers the five tables and both sequences');
SELECT is_empty(
    $$SELECT c.oid::regclass::text
        FROM pg_class c, pg_extension e
       WHERE e.extname = 'booking'
         AND c.relnamespace = 'booking'::regnamespace
         AND c.relkind IN ('r', 'p', 'S')
         AND NOT (c.oid = ANY (e.extconfig))$$,
    'no table or sequence in schema booking is left out of pg_dump');
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

SELECT * FROM finish();
ROLLBACK;

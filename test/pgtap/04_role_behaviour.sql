-- 04_role_behaviour.sql: the privileges of 03 seen from the inside.  As
-- booking_app a direct write to a table fails 42501 while the functions
-- work; booking_reader can only look; booking_admin runs the catalog but
-- still cannot write a table.  Contract: ../../shared/API.md ("Privileges").
BEGIN;
SELECT plan(47);

-- ---------------------------------------------------------------------
-- Set-up, as the superuser: a hotel with 2 doubles open for 7 nights.
-- ---------------------------------------------------------------------
SELECT booking.add_property('TAP Roles Hotel', 'Tap Roles City', 'UTC') AS pid \gset
SELECT current_date + 7 AS d_in, current_date + 10 AS d_out \gset
SELECT is(booking.node_of(:pid), 0, 'the new property id says node 0');
SELECT lives_ok(format($$SELECT booking.add_room_type(%s, 'DBL', 'Double', 2, 2, 100)$$, :pid),
                'superuser adds a room type');
SELECT is(booking.open_inventory(:pid, 'DBL', current_date + 7, current_date + 14), 7,
          'superuser opens 7 nights');

-- ---------------------------------------------------------------------
-- booking_app: no direct writes ...
-- ---------------------------------------------------------------------
SET LOCAL ROLE booking_app;
SELECT is(current_user::text, 'booking_app', 'now running as booking_app');
SELECT throws_ok(
    format($$INSERT INTO booking.inventory (property_id, room_type, night, units, price)
             VALUES (%s, 'DBL', current_date + 20, 5, 1)$$, :pid),
    '42501', NULL, 'booking_app cannot INSERT into booking.inventory (42501)');
SELECT throws_ok(
    format($$UPDATE booking.inventory SET held = 0, booked = 0 WHERE property_id = %s$$, :pid),
    '42501', NULL, 'booking_app cannot UPDATE booking.inventory (42501)');
SELECT throws_ok(
    format($$DELETE FROM booking.inventory WHERE property_id = %s$$, :pid),
    '42501', NULL, 'booking_app cannot DELETE from booking.inventory (42501)');
SELECT throws_ok('TRUNCATE booking.inventory', '42501', NULL,
                 'booking_app cannot TRUNCATE booking.inventory (42501)');
SELECT throws_ok(
    format($$INSERT INTO booking.property (property_id, name, city, time_zone)
             VALUES (%s + 1024, 'Rogue', 'Nowhere', 'UTC')$$, :pid),
    '42501', NULL, 'booking_app cannot INSERT into booking.property (42501)');
SELECT throws_ok(
    format($$INSERT INTO booking.reservation (reservation_id, property_id, room_type, check_in,
                                              check_out, rooms, total_price)
             VALUES (1, %s, 'DBL', current_date + 7, current_date + 8, 1, 0)$$, :pid),
    '42501', NULL, 'booking_app cannot INSERT into booking.reservation (42501)');
SELECT throws_ok($$UPDATE booking.reservation SET state = 'confirmed'$$, '42501', NULL,
                 'booking_app cannot UPDATE booking.reservation (42501)');
SELECT throws_ok($$DELETE FROM booking.idempotency_key$$, '42501', NULL,
                 'booking_app cannot DELETE from booking.idempotency_key (42501)');
SELECT throws_ok($$SELECT nextval('booking.reservation_id_seq')$$, '42501', NULL,
                 'booking_app cannot draw ids from booking.reservation_id_seq (42501)');
SELECT throws_ok($$SELECT count(*) FROM booking.reservation$$, '42501', NULL,
                 'booking_app cannot read booking.reservation directly (42501)');
SELECT lives_ok(format($$SELECT * FROM booking.inventory WHERE property_id = %s$$, :pid),
                'booking_app can read booking.inventory (a catalog table)');

-- ... no catalog or maintenance functions ...
SELECT throws_ok($$SELECT booking.add_property('Rogue Inn', 'Nowhere')$$, '42501', NULL,
                 'booking_app cannot call add_property (42501)');
SELECT throws_ok(
    format($$SELECT booking.open_inventory(%s, 'DBL', current_date + 7, current_date + 14, 99)$$, :pid),
    '42501', NULL, 'booking_app cannot call open_inventory (42501)');
SELECT throws_ok($$SELECT booking.expire_holds()$$, '42501', NULL,
                 'booking_app cannot call expire_holds (42501)');
SELECT throws_ok($$SELECT * FROM booking.check_invariants()$$, '42501', NULL,
                 'booking_app cannot call check_invariants (42501)');

-- ... but the functions are the way in.
SELECT * FROM booking.reserve_range(:pid, 'DBL', :'d_in', :'d_out', rooms => 2,
                                    guest_id => 'tap-guest', idempotency_key => 'tap-roles-1') \gset r_
SELECT is(:'r_state'::text, 'held', 'booking_app reserves 2 rooms through reserve_range: a hold');
SELECT is(:'r_rooms'::int, 2, 'the hold is for 2 rooms');
SELECT is(:'r_guest_id'::text, 'tap-guest', 'the hold is for the guest asked');
SELECT is(:'r_total_price'::numeric, 600::numeric, 'the hold costs 3 nights x 2 rooms x 100');
SELECT ok(:'r_hold_expires_at'::timestamptz > now(), 'the hold has a deadline in the future');
SELECT results_eq(
    format($$SELECT night, available FROM booking.availability(%s, %L, %L)$$, :pid, :'d_in', :'d_out'),
    format($$SELECT d::date, 0 FROM generate_series(%L::date, %L::date - 1, '1 day') AS d$$, :'d_in', :'d_out'),
    'booking_app sees the 3 nights sold out through availability');
SELECT is((booking.reserve_range(:pid, 'DBL', :'d_in', :'d_out', rooms => 2,
                                 guest_id => 'tap-guest', idempotency_key => 'tap-roles-1')).reservation_id,
          :r_reservation_id::bigint, 'booking_app replays the same key and gets the same reservation');
SELECT throws_ok(
    format($$SELECT booking.reserve_range(%s, 'DBL', %L, %L, guest_id => 'tap-other')$$,
           :pid, :'d_in', :'d_out'),
    'BK001', NULL, 'a third room for the same nights fails BK001 (not a privilege error)');
SELECT is((booking.confirm_booking(:r_reservation_id, 'tap-pay-1')).state, 'confirmed',
          'booking_app confirms through confirm_booking');
SELECT is((booking.cancel_reservation(:r_reservation_id, 'changed plans')).state, 'cancelled',
          'booking_app cancels through cancel_reservation');

-- ---------------------------------------------------------------------
-- booking_reader: looks, never touches
-- ---------------------------------------------------------------------
RESET ROLE;
SET LOCAL ROLE booking_reader;
SELECT is(current_user::text, 'booking_reader', 'now running as booking_reader');
SELECT results_eq(
    format($$SELECT count(*)::int, min(available) FROM booking.availability(%s, %L, %L)$$,
           :pid, :'d_in', :'d_out'),
    $$VALUES (3, 2)$$,
    'booking_reader sees the 3 nights free again after the cancel');
SELECT results_eq(
    format($$SELECT property_id, room_type, min_available FROM booking.search('Tap Roles City', %L, %L)$$,
           :'d_in', :'d_out'),
    format($$VALUES (%s::bigint, 'DBL', 2)$$, :pid),
    'booking_reader can search');
SELECT throws_ok(
    format($$SELECT booking.reserve_range(%s, 'DBL', %L, %L)$$, :pid, :'d_in', :'d_out'),
    '42501', NULL, 'booking_reader cannot call reserve_range (42501)');
SELECT throws_ok(format($$SELECT booking.confirm_booking(%s, 'x')$$, :r_reservation_id),
                 '42501', NULL, 'booking_reader cannot call confirm_booking (42501)');
SELECT throws_ok(format($$SELECT booking.cancel_reservation(%s)$$, :r_reservation_id),
                 '42501', NULL, 'booking_reader cannot call cancel_reservation (42501)');
SELECT throws_ok(
    format($$UPDATE booking.inventory SET units = 100 WHERE property_id = %s$$, :pid),
    '42501', NULL, 'booking_reader cannot UPDATE booking.inventory (42501)');

-- ---------------------------------------------------------------------
-- booking_admin: runs the catalog and maintenance, still no direct writes
-- ---------------------------------------------------------------------
RESET ROLE;
SET LOCAL ROLE booking_admin;
SELECT is(current_user::text, 'booking_admin', 'now running as booking_admin');
SELECT lives_ok($$SELECT booking.add_property('TAP Admin Inn', 'Tap Roles City')$$,
                'booking_admin can call add_property');
SELECT is(booking.open_inventory(:pid, 'DBL', current_date + 14, current_date + 16), 2,
          'booking_admin can call open_inventory');
SELECT lives_ok($$SELECT booking.expire_holds()$$, 'booking_admin can call expire_holds');
SELECT is_empty(
    format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
    'booking_admin can call check_invariants, which finds nothing wrong');
SELECT throws_ok(
    format($$UPDATE booking.inventory SET held = 0, booked = 0 WHERE property_id = %s$$, :pid),
    '42501', NULL, 'booking_admin cannot UPDATE booking.inventory (42501)');
SELECT throws_ok(
    format($$UPDATE booking.reservation SET state = 'held' WHERE reservation_id = %s$$, :r_reservation_id),
    '42501', NULL, 'booking_admin cannot UPDATE booking.reservation (42501)');
RESET ROLE;

-- ---------------------------------------------------------------------
-- Even the owner, writing directly, meets the state machine trigger.
-- ---------------------------------------------------------------------
SELECT throws_ok(
    format($$UPDATE booking.reservation SET state = 'held' WHERE reservation_id = %s$$, :r_reservation_id),
    'BK003', NULL, 'a direct UPDATE cancelled -> held fails BK003 (trigger)');
SELECT throws_ok(
    format($$UPDATE booking.reservation SET state = 'confirmed' WHERE reservation_id = %s$$, :r_reservation_id),
    'BK003', NULL, 'a direct UPDATE cancelled -> confirmed fails BK003 (trigger)');
SELECT lives_ok(
    format($$UPDATE booking.reservation SET state = 'cancelled' WHERE reservation_id = %s$$, :r_reservation_id),
    'setting a reservation to the state it already has is allowed');
SELECT is_empty(
    format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
    'the invariants still hold at the end');

SELECT * FROM finish();
ROLLBACK;

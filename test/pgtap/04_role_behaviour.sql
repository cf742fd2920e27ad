-- 04_role_behaviour.sql: the privileges of 03 seen from the inside.  As
-- booking_app a direct write to a table fails 42501 while the functions
-- work; booking_reader can only look; booking_admin runs the catalog but
-- still cannot write a table.  Contract: README.md ("Privileges");
-- 1.0's payment step, outbox and counters: booking_app begins payments
-- but cannot read the event outbox or the stats; booking_admin can, and
-- the outbox and the counters record what booking_app did.
-- 1.1: booking_reader quotes and reads the calendar but cannot set
-- rules; booking_admin sets and clears them, rebuilds the calendar and
-- purges; nobody calls calendar_add; a rule booking_admin sets makes
-- booking_app's reserve_range fail BK006.
BEGIN;
SELECT plan(111);

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

-- The counters before booking_app starts (shared memory, cluster-wide;
-- NULL when the library is not preloaded).
SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])booking($|[ ,])' AS preloaded \gset
SELECT * FROM booking.stats() \gset s0_

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
SELECT * FROM booking.begin_payment(:r_reservation_id, 'tap-pi-1', extend => '1 hour') \gset p_
SELECT is(:'p_state'::text, 'payment_pending', 'booking_app begins the payment through begin_payment: payment_pending');
SELECT is(:'p_payment_intent'::text, 'tap-pi-1', 'the reservation records the payment_intent');
SELECT ok(:'p_hold_expires_at'::timestamptz BETWEEN now() + interval '1 hour'
                                                AND statement_timestamp() + interval '1 hour',
          'the deadline is pushed to an hour from the call (extend => ''1 hour'')');
SELECT results_eq(
    format($$SELECT state::text, payment_intent, hold_expires_at
               FROM booking.begin_payment(%s, 'tap-pi-1')$$, :r_reservation_id),
    format($$VALUES ('payment_pending', 'tap-pi-1', %L::timestamptz)$$, :'p_hold_expires_at'),
    'begin_payment again with the same payment_intent returns it unchanged (same deadline)');
SELECT throws_ok(format($$SELECT booking.begin_payment(%s, 'tap-pi-2')$$, :r_reservation_id),
                 'BK003', NULL, 'begin_payment with another payment_intent fails BK003');
SELECT results_eq(
    format($$SELECT night, available FROM booking.availability(%s, %L, %L)$$, :pid, :'d_in', :'d_out'),
    format($$SELECT d::date, 0 FROM generate_series(%L::date, %L::date - 1, '1 day') AS d$$, :'d_in', :'d_out'),
    'a payment_pending reservation still holds its rooms');

-- ... but neither the outbox nor the stats.
SELECT throws_ok($$SELECT * FROM booking.read_events('tap-app')$$, '42501', NULL,
                 'booking_app cannot call read_events (42501)');
SELECT throws_ok($$SELECT booking.ack_events('tap-app', 1)$$, '42501', NULL,
                 'booking_app cannot call ack_events (42501)');
SELECT throws_ok($$SELECT count(*) FROM booking.event$$, '42501', NULL,
                 'booking_app cannot read booking.event (42501)');
SELECT throws_ok($$SELECT * FROM booking.stats()$$, '42501', NULL,
                 'booking_app cannot call stats() (42501)');
SELECT throws_ok($$SELECT * FROM booking.stats$$, '42501', NULL,
                 'booking_app cannot read the booking.stats view (42501)');
SELECT throws_ok($$SELECT booking.stats_reset()$$, '42501', NULL,
                 'booking_app cannot call stats_reset (42501)');
SELECT throws_ok($$SELECT * FROM booking.hold_ages$$, '42501', NULL,
                 'booking_app cannot read booking.hold_ages (42501)');

SELECT is((booking.confirm_booking(:r_reservation_id, 'tap-pay-1')).state, 'confirmed',
          'booking_app confirms the payment_pending reservation through confirm_booking');
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
SELECT throws_ok(format($$SELECT booking.begin_payment(%s, 'x')$$, :r_reservation_id),
                 '42501', NULL, 'booking_reader cannot call begin_payment (42501)');
SELECT throws_ok($$SELECT * FROM booking.read_events('tap-reader')$$, '42501', NULL,
                 'booking_reader cannot call read_events (42501)');
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

-- The outbox, as booking_admin: one event per state change booking_app
-- made (the replay and the refused reserve made none), in the same
-- transaction as the change.
SELECT results_eq(
    format($$SELECT kind, payload->>'state', property_id FROM booking.event
              WHERE reservation_id = %s ORDER BY event_id$$, :r_reservation_id),
    format($$VALUES ('reserved', 'held', %1$s::bigint), ('payment_pending', 'payment_pending', %1$s),
                    ('confirmed', 'confirmed', %1$s), ('cancelled', 'cancelled', %1$s)$$, :pid),
    'booking_admin reads booking.event: reserved, payment_pending, confirmed, cancelled');
SELECT results_eq(
    format($$SELECT payload->>'payment_intent', payload->>'payment_ref',
                    (payload->>'refund')::bool, (payload->>'void_authorization')::bool
               FROM booking.event WHERE reservation_id = %s AND kind = 'cancelled'$$,
           :r_reservation_id),
    $$VALUES ('tap-pi-1', 'tap-pay-1', true, false)$$,
    'the cancelled event tells a consumer to refund (it was paid), not to void an authorization');
SELECT is_empty(
    format($$SELECT * FROM booking.read_events('tap-admin', 100) WHERE reservation_id = %s$$,
           :r_reservation_id),
    'booking_admin can call read_events, which delivers no event of a transaction still open');
SELECT results_eq(
    $$SELECT consumer, acked_position, acked_event_id FROM booking.event_consumer
       WHERE consumer = 'tap-admin'$$,
    $$VALUES ('tap-admin'::text, 0::bigint, NULL::bigint)$$,
    'read_events registered consumer tap-admin, which has acknowledged nothing yet');
SELECT throws_ok(
    format($$SELECT booking.ack_events('tap-admin', %s)$$,
           (SELECT min(event_id) FROM booking.event WHERE reservation_id = :r_reservation_id)),
    'BK005', NULL, 'ack_events of an event not yet delivered fails BK005');
SELECT throws_ok($$SELECT booking.ack_events('tap-never-read', 1)$$, 'BK005',
                 'event consumer "tap-never-read" does not exist',
                 'ack_events by a consumer that never read fails BK005');
SELECT throws_ok($$SELECT * FROM booking.read_events('tap-admin', 0)$$, '22023', NULL,
                 'read_events with max 0 fails 22023');
SELECT throws_ok($$SELECT * FROM booking.read_events('')$$, '22023', NULL,
                 'read_events with an empty consumer name fails 22023');

-- hold_ages counts live holds, payment_pending ones too.
SELECT reservation_id AS h1 FROM booking.reserve_range(:pid, 'DBL', current_date + 12, current_date + 13) \gset
SELECT reservation_id AS h2 FROM booking.reserve_range(:pid, 'DBL', current_date + 12, current_date + 13) \gset
SELECT state AS h2_state FROM booking.begin_payment(:h2, 'tap-pi-admin') \gset
SELECT results_eq(
    $$SELECT holds FROM booking.hold_ages$$,
    $$SELECT count(*) FROM booking.reservation WHERE state IN ('held', 'payment_pending')$$,
    'booking_admin reads booking.hold_ages: it counts every held and payment_pending reservation');
SELECT ok((SELECT count(*) FROM booking.reservation
            WHERE reservation_id IN (:h1, :h2) AND state IN ('held', 'payment_pending')) = 2
          AND :'h2_state' = 'payment_pending',
          'among them one held and one payment_pending hold made here');

-- The counters, as booking_admin.  Attempts and conflicts count at once:
-- booking_app's reserve, replay and refused reserve, and the two holds
-- above.  What a transaction achieves (holds made, replays, payments
-- begun, confirms, cancels) counts only when it commits, and this one
-- never does: so far none of those has moved.
SELECT * FROM booking.stats \gset s1_
\if :preloaded
SELECT is(:'s1_preloaded'::bool, true, 'booking.stats says preloaded (booking is in shared_preload_libraries)');
SELECT results_eq(
    format($$VALUES (%s::bigint - %s, %s::bigint - %s, %s::bigint - %s, %s::bigint - %s,
                     %s::bigint - %s, %s::bigint - %s, %s::bigint - %s, %s::bigint - %s)$$,
           :s1_reserve_attempts, :s0_reserve_attempts, :s1_reserve_successes, :s0_reserve_successes,
           :s1_reserve_conflicts, :s0_reserve_conflicts, :s1_idempotent_replays, :s0_idempotent_replays,
           :s1_payments_begun, :s0_payments_begun, :s1_confirms, :s0_confirms,
           :s1_late_confirms, :s0_late_confirms, :s1_cancels, :s0_cancels),
    $$VALUES (5::bigint, 0::bigint, 1::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
    'stats moved by 5 reserve attempts and 1 conflict; successes, replays, payments, confirms, cancels wait for the commit');
SELECT lives_ok($$SELECT booking.stats_reset()$$, 'booking_admin can call stats_reset');
SELECT results_eq(
    $$SELECT reserve_attempts, reserve_conflicts, stats_reset_at >= now() FROM booking.stats$$,
    $$VALUES (0::bigint, 0::bigint, true)$$,
    'after stats_reset the counters are back to 0 and stats_reset_at is now');
\else
SELECT is(:'s1_preloaded'::bool, false, 'booking.stats says not preloaded (booking is not in shared_preload_libraries)');
SELECT ok((SELECT reserve_attempts IS NULL AND confirms IS NULL AND sweeper_runs IS NULL
              FROM booking.stats),
          'without the preload the counters are NULL');
SELECT throws_ok($$SELECT booking.stats_reset()$$, '55000', NULL,
                 'without the preload stats_reset fails 55000');
SELECT pass('(stats_reset_at is checked only when preloaded)');
\endif
RESET ROLE;

-- ---------------------------------------------------------------------
-- Version 1.1: stay rules, quote and the calendar, role by role.  The
-- nights from today + 7 are free again except today + 12, which the two
-- holds above fill.
-- ---------------------------------------------------------------------
SELECT current_date + 8 AS d_rule \gset
SELECT extract(day FROM current_date + 8)::int AS d_rule_day \gset
SET LOCAL ROLE booking_reader;
SELECT results_eq(
    format($$SELECT night, available, price, total_price, bookable, reason
               FROM booking.quote(%s, 'DBL', current_date + 7, current_date + 10)$$, :pid),
    $$SELECT current_date + i, 2, 100::numeric, 300::numeric, true, NULL::text
        FROM generate_series(7, 9) AS i$$,
    'booking_reader quotes 3 nights: 2 free at 100 each, 300 in all, bookable');
SELECT results_eq(
    format($$SELECT DISTINCT bookable, reason FROM booking.quote(%s, 'DBL', current_date + 12, current_date + 13)$$, :pid),
    format($$VALUES (false, 'sold out: 0 of 1 room(s) free on %s')$$, current_date + 12),
    'quote says why a sold-out night cannot be booked');
SELECT results_eq(
    format($$SELECT room_type, length(days) FROM booking.calendar(%s, current_date + 8)$$, :pid),
    $$VALUES (to_char(date_trunc('month', current_date + 8), 'YYYY-MM-DD'),
              3 * extract(day FROM date_trunc('month', current_date + 8) + interval '1 month - 1 day')::int),
             ('DBL', 3 * extract(day FROM date_trunc('month', current_date + 8) + interval '1 month - 1 day')::int)$$,
    'booking_reader reads the calendar: a header row (the month) and a row for DBL, 3 characters a day');
SELECT lives_ok($$SELECT count(*) FROM booking.stay_rule$$, 'booking_reader can read booking.stay_rule');
SELECT lives_ok($$SELECT count(*) FROM booking.room_calendar$$, 'booking_reader can read booking.room_calendar');
SELECT throws_ok(
    format($$SELECT booking.set_rules(%s, 'DBL', current_date + 7, current_date + 8, min_stay => 2)$$, :pid),
    '42501', NULL, 'booking_reader cannot call set_rules (42501)');
SELECT throws_ok(
    format($$SELECT booking.clear_rules(%s, 'DBL', current_date + 7, current_date + 8)$$, :pid),
    '42501', NULL, 'booking_reader cannot call clear_rules (42501)');
SELECT throws_ok($$SELECT booking.rebuild_calendar()$$, '42501', NULL,
                 'booking_reader cannot call rebuild_calendar (42501)');
SELECT throws_ok($$SELECT booking.purge()$$, '42501', NULL, 'booking_reader cannot call purge (42501)');
SELECT throws_ok($$SELECT booking.calendar_add('{1}', 1, 1, 1)$$, '42501', NULL,
                 'booking_reader cannot call calendar_add (42501)');
SELECT throws_ok(
    format($$INSERT INTO booking.stay_rule (property_id, room_type, night, stop_sell)
             VALUES (%s, 'DBL', current_date + 7, true)$$, :pid),
    '42501', NULL, 'booking_reader cannot INSERT into booking.stay_rule (42501)');
RESET ROLE;

SET LOCAL ROLE booking_app;
SELECT throws_ok(
    format($$SELECT booking.set_rules(%s, 'DBL', current_date + 7, current_date + 8, stop_sell => true)$$, :pid),
    '42501', NULL, 'booking_app cannot call set_rules (42501)');
SELECT throws_ok($$SELECT booking.calendar_add('{1}', 1, 1, 1)$$, '42501', NULL,
                 'booking_app cannot call calendar_add (42501)');
SELECT is((SELECT count(*)::int FROM booking.quote(:pid, 'DBL', current_date + 7, current_date + 9)), 2,
          'booking_app can quote (it has booking_reader''s privileges)');
RESET ROLE;

SET LOCAL ROLE booking_admin;
SELECT is(booking.set_rules(:pid, 'DBL', current_date + 7, current_date + 8, min_stay => 3), 1,
          'booking_admin sets min_stay 3 on arrival night today + 7 (1 night written)');
SELECT is(booking.set_rules(:pid, 'DBL', :'d_rule', :'d_rule'::date + 1, stop_sell => true), 1,
          'booking_admin sets a stop-sell on today + 8');
SELECT results_eq(
    format($$SELECT night - current_date, min_stay, stop_sell FROM booking.stay_rule
              WHERE property_id = %s ORDER BY night$$, :pid),
    $$VALUES (7, 3, false), (8, NULL, true)$$,
    'booking_admin reads the two rule rows it wrote');
SELECT is((SELECT has_rules FROM booking.room_type WHERE property_id = :pid AND code = 'DBL'), true,
          'the room type now has_rules');
SELECT is((SELECT bool_and(has_rules) FROM booking.room_calendar WHERE property_id = :pid AND room_type = 'DBL'),
          true, 'and so do its room calendar rows');
SELECT is(substr(days, 3 * :d_rule_day - 2, 3), '  -',
          'the calendar shows - (stop-sell) on today + 8')
  FROM booking.calendar(:pid, :'d_rule') WHERE room_type = 'DBL';
SELECT throws_ok($$SELECT booking.calendar_add('{1}', 1, 1, 1)$$, '42501', NULL,
                 'booking_admin cannot call calendar_add either (42501)');
SELECT throws_ok(
    format($$UPDATE booking.room_calendar SET free = '{}' WHERE property_id = %s$$, :pid),
    '42501', NULL, 'booking_admin cannot UPDATE booking.room_calendar (42501)');
SELECT throws_ok(
    format($$DELETE FROM booking.stay_rule WHERE property_id = %s$$, :pid),
    '42501', NULL, 'booking_admin cannot DELETE from booking.stay_rule (42501)');
RESET ROLE;

-- booking_app meets the rules booking_admin set: BK006, and nothing held.
SET LOCAL ROLE booking_app;
SELECT throws_ok(
    format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 7, current_date + 9)$$, :pid),
    'BK006', 'the stay breaks the min_stay rule',
    'booking_app: 2 nights arriving on a min_stay 3 night fails BK006');
SELECT throws_ok(
    format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 7, current_date + 10)$$, :pid),
    'BK006', 'the stay breaks the stop_sell rule',
    'booking_app: 3 nights through the stop-sell night fails BK006');
SELECT results_eq(
    format($$SELECT DISTINCT bookable, reason FROM booking.quote(%s, 'DBL', current_date + 7, current_date + 10)$$, :pid),
    format($$VALUES (false, 'stop_sell: night %s is closed for sale')$$, :'d_rule'),
    'quote gives the same reason reserve_range refused with');
SELECT is_empty(
    format($$SELECT 1 FROM booking.search('Tap Roles City', current_date + 7, current_date + 10)
              WHERE property_id = %s$$, :pid),
    'search leaves out the stay the rules forbid');
SELECT results_eq(
    format($$SELECT min(available) FROM booking.availability(%s, current_date + 7, current_date + 10)$$, :pid),
    $$VALUES (2)$$, 'the refused reserves held nothing');
SELECT is((booking.reserve_range(:pid, 'DBL', current_date + 9, current_date + 11)).state, 'held',
          'a stay clear of the rules is held');
RESET ROLE;

SET LOCAL ROLE booking_admin;
SELECT is(booking.clear_rules(:pid, 'DBL', current_date, current_date + 30), 2,
          'booking_admin clears the rules: 2 nights had one');
SELECT is((SELECT has_rules FROM booking.room_type WHERE property_id = :pid AND code = 'DBL'), false,
          'the room type no longer has_rules');
SELECT results_eq(
    format($$SELECT DISTINCT bookable FROM booking.quote(%s, 'DBL', current_date + 7, current_date + 9)$$, :pid),
    $$VALUES (true)$$, 'the stay refused before is bookable again');
SELECT ok(booking.rebuild_calendar() > 0, 'booking_admin can call rebuild_calendar (it counts month rows)');
SELECT ok(booking.purge(10) >= 0, 'booking_admin can call purge');
SELECT is_empty(
    format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
    'inventory, reservations and the room calendar agree');
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

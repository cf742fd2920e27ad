-- 06_gucs.sql: the booking.* settings the README documents, their
-- defaults, units and who may change them; booking.node_id,
-- booking.hold_ttl, booking.max_nights and booking.payment_extension at
-- work.  The sweeper's settings (1.0) are read from the server's
-- configuration (SIGHUP); booking.database (1.2: SIGHUP, a reload moves
-- the sweeper) and booking.sweeper_lock_timeout exist whether or not the
-- library is preloaded, so that no session warns about them.
-- booking.notify_events, off by default, superuser only.  2.0:
-- booking.ical_max_events, superuser only.  1.2: the room
-- calendar is folded from the events, off the writers' path, and never
-- answers stale.
BEGIN;
SELECT plan(35);

-- Calling any function loads the library (and defines the GUCs) even
-- when booking is not in shared_preload_libraries.
SELECT booking.node_of(0) AS loaded \gset

-- 2.0: booking.ical_max_events, superuser only, 10000 (1..INT_MAX)
SELECT results_eq(
    $$SELECT setting COLLATE "default", context COLLATE "default", vartype COLLATE "default",
             min_val COLLATE "default", max_val COLLATE "default"
        FROM pg_settings WHERE name = 'booking.ical_max_events'$$,
    $$VALUES ('10000', 'superuser', 'integer', '1', '2147483647')$$,
    'booking.ical_max_events: 10000 by default, 1..2147483647, superuser only');

SELECT results_eq(
    $$SELECT name COLLATE "default", setting COLLATE "default", coalesce(unit, '') COLLATE "default",
             context COLLATE "default", vartype COLLATE "default"
        FROM pg_settings
       WHERE name IN ('booking.hold_ttl', 'booking.max_nights', 'booking.lock_timeout',
                      'booking.node_id', 'booking.idempotency_retention')
       ORDER BY name$$,
    $$VALUES ('booking.hold_ttl', '900', 's', 'user', 'integer'),
             ('booking.idempotency_retention', '86400', 's', 'superuser', 'integer'),
             ('booking.lock_timeout', '0', 'ms', 'user', 'integer'),
             ('booking.max_nights', '365', '', 'user', 'integer'),
             ('booking.node_id', '0', '', 'superuser', 'integer')$$,
    'the five booking.* GUCs exist with their documented defaults, units and contexts');
SELECT results_eq(
    $$SELECT name COLLATE "default", boot_val COLLATE "default", coalesce(unit, '') COLLATE "default",
             context COLLATE "default", vartype COLLATE "default",
             min_val COLLATE "default", max_val COLLATE "default"
        FROM pg_settings
       WHERE name IN ('booking.payment_extension', 'booking.sweep_interval',
                      'booking.sweep_batch', 'booking.event_retention')
       ORDER BY name$$,
    $$VALUES ('booking.event_retention', '604800', 's', 'sighup', 'integer', '0', '2147483647'),
             ('booking.payment_extension', '600', 's', 'user', 'integer', '1', '604800'),
             ('booking.sweep_batch', '500', '', 'sighup', 'integer', '1', '100000'),
             ('booking.sweep_interval', '1000', 'ms', 'sighup', 'integer', '10', '3600000')$$,
    'booking.payment_extension (10 min, per session) and the sighup settings sweep_interval (1000 ms), sweep_batch (500), event_retention (7 days): defaults, units, ranges');
SELECT throws_ok($$SET LOCAL booking.sweep_interval = 10$$, '55P02', NULL,
                 'booking.sweep_interval cannot be SET in a session (SIGHUP: postgresql.conf and reload)');
SELECT throws_ok($$SET LOCAL booking.sweep_batch = 10$$, '55P02', NULL,
                 'booking.sweep_batch cannot be SET in a session');
SELECT throws_ok($$SET LOCAL booking.event_retention = '1h'$$, '55P02', NULL,
                 'booking.event_retention cannot be SET in a session');
SELECT results_eq(
    $$SELECT name COLLATE "default", boot_val COLLATE "default", coalesce(unit, '') COLLATE "default",
             context COLLATE "default", vartype COLLATE "default",
             coalesce(min_val, '') COLLATE "default", coalesce(max_val, '') COLLATE "default"
        FROM pg_settings WHERE name IN ('booking.database', 'booking.sweeper_lock_timeout')
       ORDER BY name$$,
    $$VALUES ('booking.database', 'postgres', '', 'sighup', 'string', '', ''),
             ('booking.sweeper_lock_timeout', '200', 'ms', 'sighup', 'integer', '1', '60000')$$,
    'booking.database (postgres) and booking.sweeper_lock_timeout (200 ms) are sighup settings, preloaded or not');
SELECT throws_ok($$SET LOCAL booking.database = 'elsewhere'$$, '55P02', NULL,
                 'booking.database cannot be changed in a session (postgresql.conf or ALTER SYSTEM, and reload)');
SELECT is(current_setting('booking.hold_ttl'), '15min', 'booking.hold_ttl defaults to 15min');
SELECT is(current_setting('booking.idempotency_retention'), '1d',
          'booking.idempotency_retention defaults to 24 hours');
SELECT results_eq(
    $$SELECT min_val COLLATE "default", max_val COLLATE "default" FROM pg_settings
       WHERE name = 'booking.node_id'$$,
    $$VALUES ('0', '1023')$$,
    'booking.node_id ranges over 0..1023');
SELECT throws_ok($$SET LOCAL booking.node_id = 1024$$, '22023', NULL,
                 'booking.node_id = 1024 is refused');
SELECT throws_ok($$SET LOCAL booking.no_such_setting = 1$$, '42602', NULL,
                 'the booking.* prefix is reserved: an unknown booking.x is refused');

-- node_id shapes the ids: n * 1024 + node_id.
SET LOCAL booking.node_id = 7;
SELECT booking.add_property('TAP Node Seven', 'Tap Node City', 'UTC') AS pid \gset
SELECT is(booking.node_of(:pid), 7, 'with booking.node_id = 7, a new property id says node 7');
SELECT is(:pid::bigint % 1024, 7::bigint, 'the property id is n * 1024 + 7');
SELECT lives_ok(format($$SELECT booking.add_room_type(%s, 'home', 'Whole flat', 1, 4, 80)$$, :pid),
                'a listing with one unit');
SELECT is(booking.open_inventory(:pid, 'home', current_date + 7, current_date + 10), 3,
          'three nights open');
SELECT is(booking.node_of((booking.reserve_range(:pid, 'home', current_date + 7, current_date + 9)).reservation_id),
          7, 'a reservation made on node 7 says node 7');

-- hold_ttl is what a hold gets when reserve_range is not given one.
SET LOCAL booking.hold_ttl = '2min';
SELECT ok((SELECT hold_expires_at - statement_timestamp() BETWEEN interval '1 minute 50 seconds' AND interval '2 minutes'
             FROM booking.reserve_range(:pid, 'home', current_date + 9, current_date + 10)),
          'with booking.hold_ttl = 2min a hold lasts 2 minutes');

-- payment_extension is how long begin_payment keeps a hold alive when it
-- is not given an interval: the deadline becomes at least now + it.
SET LOCAL booking.payment_extension = '3min';
SELECT booking.open_inventory(:pid, 'home', current_date + 10, current_date + 11) AS opened \gset
SELECT reservation_id AS pay_id
  FROM booking.reserve_range(:pid, 'home', current_date + 10, current_date + 11, hold => '1 minute') \gset
SELECT ok((SELECT hold_expires_at BETWEEN now() + interval '3 minutes'
                                      AND statement_timestamp() + interval '3 minutes'
             FROM booking.begin_payment(:pay_id, 'tap-guc-pi')),
          'with booking.payment_extension = 3min begin_payment pushes a 1-minute hold to 3 minutes');

-- max_nights bounds the stay.
SET LOCAL booking.max_nights = 2;
SELECT throws_ok(
    format($$SELECT booking.reserve_range(%s, 'home', current_date + 7, current_date + 10)$$, :pid),
    '22023', NULL, 'with booking.max_nights = 2 a 3-night stay fails 22023');

-- booking.notify_events: off by default (a NOTIFY per transaction makes
-- PostgreSQL commit them one at a time), superuser only.
SELECT results_eq(
    $$SELECT boot_val COLLATE "default", context COLLATE "default", vartype COLLATE "default"
        FROM pg_settings WHERE name = 'booking.notify_events'$$,
    $$VALUES ('off', 'superuser', 'bool')$$,
    'booking.notify_events is a bool, off by default, superuser only');
SET LOCAL ROLE booking_admin;
SELECT throws_ok($$SET LOCAL booking.notify_events = on$$, '42501', NULL,
                 'booking_admin cannot turn booking.notify_events on (42501)');
RESET ROLE;

-- The room calendar is kept off the writers' path: a hold does not touch
-- booking.room_calendar, yet availability answers from the calendar plus
-- the changes not folded into it yet, so it is never stale; publishing
-- (the sweeper, read_events or purge() as a transaction of its own: see
-- 13_quote_calendar in the regression suite) folds them in, and
-- check_invariants agrees with every step.  purge() inside a transaction
-- block, as here, does not publish: it would hold the publisher's lock
-- until the block ends.
SELECT lives_ok(format($$SELECT booking.add_room_type(%s, 'twin', 'Twin room', 3, 2, 70)$$, :pid),
                'a twin room type with 3 units');
SELECT is(booking.open_inventory(:pid, 'twin', current_date + 20, current_date + 22), 2, 'two nights open');
SELECT is((booking.reserve_range(:pid, 'twin', current_date + 20, current_date + 22)).state, 'held',
          'a hold is made');
SELECT results_eq(
    format($$SELECT night - current_date, held FROM booking.inventory
              WHERE property_id = %s AND room_type = 'twin' ORDER BY night$$, :pid),
    $$VALUES (20, 1), (21, 1)$$,
    'the inventory records the hold');
SELECT results_eq(
    format($$SELECT c.free[d - c.month + 1]
               FROM booking.room_calendar c, unnest(ARRAY[current_date + 20, current_date + 21]) d
              WHERE c.property_id = %s AND c.room_type = 'twin'
                AND c.month = date_trunc('month', d)::date ORDER BY d$$, :pid),
    $$VALUES (3), (3)$$,
    'the room calendar row is untouched by the writer');
SELECT results_eq(
    format($$SELECT night - current_date, available FROM booking.availability(%s, current_date + 20, current_date + 22)
              WHERE room_type = 'twin'$$, :pid),
    $$VALUES (20, 2), (21, 2)$$,
    'availability already says 2 free (the calendar plus the change not folded yet)');
SELECT is_empty(format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
                'check_invariants agrees before the fold');
SELECT lives_ok($$SELECT booking.purge(1000)$$, 'purge() runs inside a transaction block');
SELECT ok((SELECT bool_and(position IS NULL) FROM booking.event WHERE property_id = :pid AND free_delta IS NOT NULL),
          'purge() inside a transaction block leaves the event unpublished');
SELECT results_eq(
    format($$SELECT c.free[d - c.month + 1]
               FROM booking.room_calendar c, unnest(ARRAY[current_date + 20, current_date + 21]) d
              WHERE c.property_id = %s AND c.room_type = 'twin'
                AND c.month = date_trunc('month', d)::date ORDER BY d$$, :pid),
    $$VALUES (3), (3)$$,
    'the room calendar row still says 3 free: nothing was folded');
SELECT is_empty(format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
                'check_invariants still agrees');

-- booking.lock_timeout bounds lock waits, not the work of a statement that
-- locks: writing ten years of nights with nobody else about takes far
-- longer than 1 ms and must not fail BK007 (it did while the engine's
-- timer covered the whole statement).
SET booking.lock_timeout = '1ms';
SELECT lives_ok(format($$SELECT booking.open_inventory(%s, 'twin', current_date + 1, current_date + 3601, price => 99)$$, :pid),
                'with booking.lock_timeout = 1ms and no other session, open_inventory over 3,600 nights succeeds');
RESET booking.lock_timeout;

SELECT * FROM finish();
ROLLBACK;

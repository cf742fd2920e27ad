-- 08_consumer.sql: booking_consumer at work (the outbox consumer role
-- added in 1.2): an outbox consumer's login role, granted
-- booking_consumer, reads and acknowledges events and can do nothing
-- else: no reserve, no search, no table, no stats.  (03_privileges checks
-- the grants themselves.)
--
-- The consumer logs in for real: a LOGIN role granted booking_consumer,
-- created and dropped through a dblink session FX (committed: another
-- session cannot log in as a role this file's transaction has not
-- committed), and a dblink session CONS connected as that role.  The
-- events come from a reservation FX makes and confirms in a property of
-- its own, deleted at the end.  read_events in CONS is a transaction of
-- its own, so it publishes the committed events itself (no sweeper serves
-- this database).
BEGIN;
SELECT plan(27);

\ir sessions.psql

-- cleanup_sql deletes the fixture: the property and everything of it, the
-- consumer's place in the stream and the login role.
CREATE FUNCTION pg_temp.cleanup_sql() RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.delete_property_sql('TAP Consumer Hotel')
           || $c$; DELETE FROM booking.event_consumer WHERE consumer = 'tap-consumer'$c$
           || '; DROP ROLE IF EXISTS booking_tap_consumer_login'
$$;

-- events: what CONS reads now, as (kind, reservation_id, event_id), for
-- the fixture's reservation only.
CREATE FUNCTION pg_temp.events(rid bigint) RETURNS TABLE(kind text, reservation_id bigint, event_id bigint)
LANGUAGE sql AS $$
    SELECT t.kind, t.reservation_id, t.event_id
      FROM dblink('cons', $q$SELECT kind, reservation_id, event_id FROM booking.read_events('tap-consumer', 10000)$q$)
           AS t(kind text, reservation_id bigint, event_id bigint)
     WHERE t.reservation_id = rid
     ORDER BY t.event_id
$$;

-- ---------------------------------------------------------------------
-- The fixture, committed through FX
-- ---------------------------------------------------------------------
SELECT is(dblink_connect('fx', pg_temp.conninfo()), 'OK', 'session FX (fixture) connects back to this database');
SELECT dblink_exec('fx', pg_temp.cleanup_sql()) AS ignored \gset
SELECT dblink_exec('fx', 'CREATE ROLE booking_tap_consumer_login LOGIN IN ROLE booking_consumer') AS ignored \gset
SELECT pg_temp.remote('fx', $$SELECT booking.add_property('TAP Consumer Hotel', 'Tap Consumer City', 'UTC')$$)::bigint
       AS pid \gset
SELECT dblink_exec('fx', format($f$DO $do$ BEGIN
    PERFORM booking.add_room_type(%1$s, 'DBL', 'Double', 2);
    PERFORM booking.open_inventory(%1$s, 'DBL', current_date + 10, current_date + 14);
END $do$$f$, :pid)) AS ignored \gset
SELECT pg_temp.remote('fx', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'DBL',
           current_date + 10, current_date + 12, guest_id => 'tap-consumer-guest')$$, :pid))::bigint AS rid \gset
SELECT is(pg_temp.remote('fx', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-consumer-pay')$$,
                                      :rid)),
          'confirmed', 'FX reserves and confirms: two committed events');

-- ---------------------------------------------------------------------
-- The consumer logs in and reads, acknowledges, reads again
-- ---------------------------------------------------------------------
SELECT is(dblink_connect('cons', pg_temp.conninfo('booking_tap_consumer_login')), 'OK',
          'a LOGIN role granted booking_consumer connects');
SELECT is(pg_temp.remote('cons', 'SELECT current_user'), 'booking_tap_consumer_login',
          'session CONS runs as that role');
SELECT is(pg_temp.remote('cons', $$SELECT pg_has_role('booking_consumer', 'USAGE')::text$$), 'true',
          'it has booking_consumer''s privileges');
SELECT results_eq(format('SELECT kind, reservation_id FROM pg_temp.events(%s)', :rid),
                  format($$VALUES ('reserved'::text, %1$s::bigint), ('confirmed', %1$s)$$, :rid),
                  'read_events gives it the reservation''s events, in order');
SELECT results_eq(format('SELECT kind FROM pg_temp.events(%s)', :rid),
                  $$VALUES ('reserved'::text), ('confirmed')$$,
                  'read_events acknowledges nothing: read again, the same events come back');
SELECT (SELECT max(t.event_id)
          FROM dblink('cons', $$SELECT event_id FROM booking.read_events('tap-consumer', 10000)$$)
               AS t(event_id bigint)) AS last_event,
       (SELECT count(*)
          FROM dblink('cons', $$SELECT event_id FROM booking.read_events('tap-consumer', 10000)$$)
               AS t(event_id bigint)) AS unread \gset
SELECT is(pg_temp.remote('cons', format($$SELECT booking.ack_events('tap-consumer', %s)$$, :last_event))::int,
          :unread::int, 'ack_events up to the last event read acknowledges every event read');
SELECT is_empty(format('SELECT * FROM pg_temp.events(%s)', :rid),
                'after the acknowledgement read_events no longer gives them');
SELECT is(pg_temp.remote('cons', format($$SELECT booking.ack_events('tap-consumer', %s)$$, :last_event)), '0',
          'acknowledging again changes nothing');
SELECT results_eq($$SELECT acked_event_id FROM booking.event_consumer WHERE consumer = 'tap-consumer'$$,
                  format('VALUES (%s::bigint)', :last_event),
                  'the consumer''s place in the stream is the last event it acknowledged');
SELECT lives_ok($$SELECT dblink_exec('cons', 'LISTEN booking_events')$$,
                'it may LISTEN booking_events (LISTEN needs no privilege)');

-- ---------------------------------------------------------------------
-- ... and nothing else
-- ---------------------------------------------------------------------
SELECT throws_ok(format($$SELECT pg_temp.remote('cons', 'SELECT reservation_id FROM booking.reserve_range(%s, ''DBL'',
                              current_date + 12, current_date + 13)')$$, :pid),
                 '42501', NULL, 'it cannot reserve (42501)');
SELECT throws_ok(format($$SELECT pg_temp.remote('cons', 'SELECT state FROM booking.confirm_booking(%s, ''x'')')$$, :rid),
                 '42501', NULL, 'it cannot confirm (42501)');
SELECT throws_ok(format($$SELECT pg_temp.remote('cons', 'SELECT state FROM booking.cancel_reservation(%s)')$$, :rid),
                 '42501', NULL, 'it cannot cancel (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT count(*) FROM booking.search(''Tap Consumer City'',
                       current_date + 10, current_date + 11)')$$,
                 '42501', NULL, 'it cannot search (42501)');
SELECT throws_ok(format($$SELECT pg_temp.remote('cons', 'SELECT count(*) FROM booking.availability(%s,
                              current_date + 10, current_date + 11)')$$, :pid),
                 '42501', NULL, 'it cannot call availability (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT booking.expire_holds()')$$,
                 '42501', NULL, 'it cannot call expire_holds (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT preloaded FROM booking.stats()')$$,
                 '42501', NULL, 'it cannot call stats() (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT count(*) FROM booking.event')$$,
                 '42501', NULL, 'it cannot read booking.event directly (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT count(*) FROM booking.event_consumer')$$,
                 '42501', NULL, 'it cannot read booking.event_consumer (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT count(*) FROM booking.reservation')$$,
                 '42501', NULL, 'it cannot read booking.reservation (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'SELECT count(*) FROM booking.inventory')$$,
                 '42501', NULL, 'it cannot read booking.inventory (42501)');
SELECT throws_ok($$SELECT pg_temp.remote('cons', 'DELETE FROM booking.event_consumer WHERE consumer = ''tap-consumer''')$$,
                 '42501', NULL, 'it cannot move its place in the stream by hand (42501)');

-- ---------------------------------------------------------------------
-- The fixture goes away
-- ---------------------------------------------------------------------
SELECT is(dblink_disconnect('cons'), 'OK', 'session CONS disconnects');
SELECT dblink_exec('fx', pg_temp.cleanup_sql()) AS ignored \gset
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'booking_tap_consumer_login')
          AND NOT EXISTS (SELECT 1 FROM booking.property WHERE name = 'TAP Consumer Hotel')
          AND NOT EXISTS (SELECT 1 FROM booking.event_consumer WHERE consumer = 'tap-consumer'),
          'the login role, the property and the consumer are gone');
SELECT is(dblink_disconnect('fx'), 'OK', 'session FX disconnects');

SELECT * FROM finish();
ROLLBACK;

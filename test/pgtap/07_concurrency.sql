-- 07_concurrency.sql: races between sessions, asserted with pgTAP.
-- Added in 1.2 (CHANGELOG.md: pgTAP tests that race sessions through
-- dblink).  The isolation specs (test/specs) play the same races
-- step by step; here they are assertions a pgTAP run reports one by one:
--   - the last unit raced by two sessions (the loser fails BK001 and holds
--     nothing; when the winner rolls back instead, the waiter gets it);
--   - a confirm racing an expiry (expiry first: the late payment takes the
--     free unit again; confirm first: expire_holds skips the hold being
--     confirmed; the unit taken by a newcomer meanwhile: BK002);
--   - one idempotency key sent from two sessions (the second gets the
--     first's reservation; other arguments: BK004; the first rolls back:
--     the second makes its own);
--   - a blocked reserve that times out with BK007, naming the setting that
--     fired (booking.lock_timeout or the session's lock_timeout).
--
-- How: dblink opens sessions A, B, C (and FX for the fixture) back to this
-- database.  A pgTAP file runs in a transaction that is rolled back, and
-- other sessions cannot see its uncommitted rows, so the fixture is
-- created through FX (committed) in a property of its own, and deleted at
-- the end (and at the start, in case an earlier run stopped half-way).
-- A session that must block is started with dblink_send_query; the test
-- waits until pg_blocking_pids() shows it waiting for the session that
-- holds the lock (a bound of about a minute only stops a broken run; no
-- timing decides a result), lets the holder commit or roll back, and
-- reads the waiter's outcome with dblink_get_result.  This session reads
-- the committed rows with plain queries (READ COMMITTED: each statement
-- sees the latest commits).  Dates are relative to current_date.
BEGIN;
SELECT plan(54);

-- ---------------------------------------------------------------------
-- Helpers (temporary, gone with the rollback)
-- ---------------------------------------------------------------------

\ir sessions.psql

-- inventory: (night - current_date, held, booked) of a room type of the fixture.
CREATE FUNCTION pg_temp.inventory(rt text) RETURNS TABLE(night int, held int, booked int)
LANGUAGE sql AS $$
    SELECT i.night - current_date, i.held, i.booked
      FROM booking.inventory i JOIN booking.property p USING (property_id)
     WHERE p.name = 'TAP Concurrency Hotel' AND i.room_type = rt
     ORDER BY i.night
$$;

-- ---------------------------------------------------------------------
-- Sessions and the fixture (committed through FX): one room type per race.
-- ---------------------------------------------------------------------
SELECT is(dblink_connect('fx', pg_temp.conninfo()), 'OK', 'session FX (fixture) connects back to this database');
SELECT is(dblink_connect('a', pg_temp.conninfo()), 'OK', 'session A connects');
SELECT is(dblink_connect('b', pg_temp.conninfo()), 'OK', 'session B connects');
SELECT is(dblink_connect('c', pg_temp.conninfo()), 'OK', 'session C connects');
-- A bound, not a timing: a call that would wait for ever fails instead.
SELECT count(dblink_exec(s, $$SET statement_timeout = '60s'$$)) AS ignored FROM unnest(ARRAY['a', 'b', 'c']) AS s \gset
SELECT pg_temp.remote('a', 'SELECT pg_backend_pid()')::int AS a_pid,
       pg_temp.remote('b', 'SELECT pg_backend_pid()')::int AS b_pid \gset

SELECT dblink_exec('fx', pg_temp.delete_property_sql('TAP Concurrency Hotel')) AS ignored \gset
SELECT pg_temp.remote('fx', $$SELECT booking.add_property('TAP Concurrency Hotel', 'Tap Concurrency City', 'UTC')$$)::bigint
       AS pid \gset
SELECT dblink_exec('fx', format($f$DO $do$ BEGIN
    PERFORM booking.add_room_type(%1$s, 'ONE', 'Last unit', 1);
    PERFORM booking.add_room_type(%1$s, 'LATE', 'Late payment', 1);
    PERFORM booking.add_room_type(%1$s, 'KEY', 'Idempotency', 2);
    PERFORM booking.add_room_type(%1$s, 'BUSY', 'Lock timeout', 1);
    PERFORM booking.open_inventory(%1$s, rt, current_date + 10, current_date + 16)
       FROM unnest(ARRAY['ONE', 'LATE', 'KEY', 'BUSY']) AS rt;
END $do$$f$, :pid)) AS ignored \gset
SELECT results_eq(
    format($$SELECT room_type, count(*)::int FROM booking.inventory WHERE property_id = %s
              GROUP BY room_type ORDER BY room_type$$, :pid),
    $$VALUES ('BUSY'::text, 6), ('KEY', 6), ('LATE', 6), ('ONE', 6)$$,
    'the fixture, committed by FX, is visible here: four room types, nights +10..+15');

-- ---------------------------------------------------------------------
-- The last unit, raced by two sessions
-- ---------------------------------------------------------------------
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.reserve_range(%s, 'ONE',
              current_date + 10, current_date + 12, guest_id => 'tap-alice')$$, :pid)),
          'held', 'A holds the last ONE unit of nights +10 and +11 (not committed yet)');
SELECT is(dblink_send_query('b', format($$SELECT state::text FROM booking.reserve_range(%s, 'ONE',
              current_date + 11, current_date + 13, guest_id => 'tap-bob')$$, :pid)),
          1, 'B asks for nights +11 and +12 of the same room type');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s lock on night +11');
SELECT is(dblink_is_busy('b'), 1, 'B has no answer while A''s transaction is open');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT throws_ok($$SELECT pg_temp.result('b')$$, 'BK001', NULL,
                 'A commits: B fails BK001, night +11 has no unit left');
SELECT results_eq($$SELECT * FROM pg_temp.inventory('ONE') WHERE night < 14$$,
                  $$VALUES (10, 1, 0), (11, 1, 0), (12, 0, 0), (13, 0, 0)$$,
                  'only A''s hold counts: B held nothing, not even night +12 which was free');
SELECT is((SELECT count(*)::int FROM booking.reservation WHERE guest_id = 'tap-bob'), 0,
          'B made no reservation');

-- The holder rolls back instead: the waiter gets the unit.
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.reserve_range(%s, 'ONE',
              current_date + 12, current_date + 14, guest_id => 'tap-carol')$$, :pid)),
          'held', 'A holds the last ONE unit of nights +12 and +13 (not committed yet)');
SELECT is(dblink_send_query('b', format($$SELECT state::text FROM booking.reserve_range(%s, 'ONE',
              current_date + 13, current_date + 14, guest_id => 'tap-dave')$$, :pid)),
          1, 'B asks for night +13');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s lock on night +13');
SELECT dblink_exec('a', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.result('b'), 'held', 'A rolls back: B holds night +13');
SELECT results_eq($$SELECT * FROM pg_temp.inventory('ONE') WHERE night BETWEEN 12 AND 13$$,
                  $$VALUES (12, 0, 0), (13, 1, 0)$$,
                  'night +12 is free again, night +13 is held once (by B)');

-- ---------------------------------------------------------------------
-- A confirm racing an expiry.  Each hold's deadline is put a minute in the
-- past by FX (as the owner may: the state does not change), so it is dead
-- but not yet expired; no sweeper serves this database.
-- ---------------------------------------------------------------------
-- Expiry first: the late payment finds the unit free and takes it again.
SELECT pg_temp.remote('fx', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'LATE',
           current_date + 10, current_date + 12, guest_id => 'tap-late-1')$$, :pid))::bigint AS late1 \gset
SELECT dblink_exec('fx', format($$UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute'
                                   WHERE reservation_id = %s$$, :late1)) AS ignored \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', 'SELECT booking.expire_holds()'), '1',
          'A expires the dead hold (not committed yet)');
SELECT is(dblink_send_query('b', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-pay-late-1')$$,
                                        :late1)),
          1, 'B confirms the same hold: its payment came in late');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s lock on the reservation');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is(pg_temp.result('b'), 'confirmed',
          'A commits the expiry: B confirms the expired hold, whose unit was still free (late payment honoured)');
SELECT results_eq($$SELECT * FROM pg_temp.inventory('LATE') WHERE night < 12$$,
                  $$VALUES (10, 0, 1), (11, 0, 1)$$,
                  'the unit was given back once and taken again once: booked 1, held 0');

-- Confirm first: expire_holds skips the hold being confirmed, without waiting.
SELECT pg_temp.remote('fx', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'LATE',
           current_date + 12, current_date + 14, guest_id => 'tap-late-2')$$, :pid))::bigint AS late2 \gset
SELECT dblink_exec('fx', format($$UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute'
                                   WHERE reservation_id = %s$$, :late2)) AS ignored \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-pay-late-2')$$,
                                     :late2)),
          'confirmed', 'A confirms the dead hold (not committed yet)');
SELECT is(pg_temp.remote('b', 'SELECT booking.expire_holds()'), '0',
          'B''s expire_holds answers at once and leaves the hold A is confirming alone');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is(pg_temp.remote('b', 'SELECT booking.expire_holds()'), '0',
          'after A commits there is nothing to expire: the hold is confirmed');
SELECT results_eq($$SELECT * FROM pg_temp.inventory('LATE') WHERE night BETWEEN 12 AND 13$$,
                  $$VALUES (12, 0, 1), (13, 0, 1)$$,
                  'the confirmed hold counts once, as booked');

-- The unit is gone by the time the payment comes: BK002.
SELECT pg_temp.remote('fx', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'LATE',
           current_date + 14, current_date + 16, guest_id => 'tap-late-3')$$, :pid))::bigint AS late3 \gset
SELECT dblink_exec('fx', format($$UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute'
                                   WHERE reservation_id = %s$$, :late3)) AS ignored \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.reserve_range(%s, 'LATE',
              current_date + 14, current_date + 16, guest_id => 'tap-newcomer')$$, :pid)),
          'held', 'A''s newcomer expires the dead hold and takes its unit (not committed yet)');
SELECT is(dblink_send_query('b', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-pay-late-3')$$,
                                        :late3)),
          1, 'B confirms the dead hold: its payment came in late');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s lock on the reservation');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT throws_ok($$SELECT pg_temp.result('b')$$, 'BK002', NULL,
                 'A commits: B fails BK002, the unit is the newcomer''s (the application refunds)');
SELECT results_eq(format($$SELECT guest_id, state::text FROM booking.reservation
                            WHERE property_id = %s AND room_type = 'LATE' AND check_in = current_date + 14
                            ORDER BY guest_id$$, :pid),
                  $$VALUES ('tap-late-3'::text, 'expired'::text), ('tap-newcomer', 'held')$$,
                  'the late hold stays expired, the newcomer holds the unit');

-- ---------------------------------------------------------------------
-- One idempotency key from two sessions
-- ---------------------------------------------------------------------
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT pg_temp.remote('a', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'KEY',
           current_date + 10, current_date + 12, guest_id => 'tap-kim', idempotency_key => 'tap-key-1')$$,
           :pid))::bigint AS key1 \gset
SELECT is(dblink_send_query('b', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'KEY',
              current_date + 10, current_date + 12, guest_id => 'tap-kim', idempotency_key => 'tap-key-1')$$,
              :pid)),
          1, 'B sends the same request with the same key while A''s is not committed');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s claim on the key');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is(pg_temp.result('b')::bigint, :key1::bigint,
          'A commits: B gets A''s reservation (the same reservation_id)');
SELECT results_eq($$SELECT * FROM pg_temp.inventory('KEY') WHERE night < 12$$,
                  $$VALUES (10, 1, 0), (11, 1, 0)$$,
                  'one unit is held on each night, not two');
SELECT is((SELECT count(*)::int FROM booking.reservation WHERE guest_id = 'tap-kim'), 1,
          'the key made one reservation');
SELECT throws_ok(format($$SELECT pg_temp.remote('b', 'SELECT reservation_id FROM booking.reserve_range(%s, ''KEY'',
                         current_date + 10, current_date + 12, rooms => 2, guest_id => ''tap-kim'',
                         idempotency_key => ''tap-key-1'')')$$, :pid),
                 'BK004', NULL, 'the same key with other arguments (2 rooms) fails BK004');

-- The first rolls back: the second makes its own reservation with the key.
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT pg_temp.remote('a', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'KEY',
           current_date + 12, current_date + 14, guest_id => 'tap-lee', idempotency_key => 'tap-key-2')$$,
           :pid))::bigint AS key2a \gset
SELECT is(dblink_send_query('b', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'KEY',
              current_date + 12, current_date + 14, guest_id => 'tap-lee', idempotency_key => 'tap-key-2')$$,
              :pid)),
          1, 'B sends the same request with the same key (tap-key-2) while A''s is not committed');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s claim on the key');
SELECT dblink_exec('a', 'ROLLBACK') AS ignored \gset
SELECT isnt(pg_temp.result('b')::bigint, :key2a::bigint,
            'A rolls back: B makes a reservation of its own');
SELECT results_eq($$SELECT r.state::text, k.reservation_id = r.reservation_id
                      FROM booking.reservation r, booking.idempotency_key k
                     WHERE r.guest_id = 'tap-lee' AND k.key = 'tap-key-2'$$,
                  $$VALUES ('held'::text, true)$$,
                  'the key now names B''s reservation, the only one for that guest');
SELECT results_eq($$SELECT * FROM pg_temp.inventory('KEY') WHERE night BETWEEN 12 AND 13$$,
                  $$VALUES (12, 1, 0), (13, 1, 0)$$,
                  'one unit is held on each night (A''s rolled-back hold left nothing)');

-- ---------------------------------------------------------------------
-- A blocked reserve that times out: BK007
-- ---------------------------------------------------------------------
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.reserve_range(%s, 'BUSY',
              current_date + 10, current_date + 12, guest_id => 'tap-busy-a')$$, :pid)),
          'held', 'A holds the BUSY unit of nights +10 and +11 (not committed yet)');
SELECT dblink_exec('c', $$SET booking.lock_timeout = '100ms'$$) AS ignored \gset
CREATE TEMP TABLE busy AS
SELECT 'booking.lock_timeout'::text AS setting,
       pg_temp.error_of(format($$SELECT pg_temp.remote('c', 'SELECT state::text FROM booking.reserve_range(%s, ''BUSY'',
                                     current_date + 11, current_date + 12, guest_id => ''tap-busy-c'')')$$, :pid))
       AS e;
SELECT dblink_exec('c', $$SET booking.lock_timeout = 0; SET lock_timeout = '100ms'$$) AS ignored \gset
INSERT INTO busy
SELECT 'lock_timeout',
       pg_temp.error_of(format($$SELECT pg_temp.remote('c', 'SELECT state::text FROM booking.reserve_range(%s, ''BUSY'',
                                     current_date + 11, current_date + 12, guest_id => ''tap-busy-c'')')$$, :pid));
SELECT results_eq($$SELECT setting, e[1], e[2] ~ '^booking is busy' FROM busy ORDER BY setting$$,
                  $$VALUES ('booking.lock_timeout'::text, 'BK007'::text, true), ('lock_timeout', 'BK007', true)$$,
                  'C, blocked by A, fails BK007 (booking is busy) under booking.lock_timeout and under the session''s lock_timeout');
SELECT matches((SELECT e[3] FROM busy WHERE setting = 'booking.lock_timeout'),
               'longer than booking\.lock_timeout \(100 ms\) allows',
               'the errdetail names booking.lock_timeout and its value when that one fired');
SELECT matches((SELECT e[3] FROM busy WHERE setting = 'lock_timeout'),
               'longer than the session''s lock_timeout \(100 ms\) allows',
               'the errdetail names the session''s lock_timeout and its value when that one fired');
SELECT is((SELECT count(*)::int FROM booking.reservation WHERE guest_id = 'tap-busy-c'), 0,
          'C''s timed-out calls made nothing');
SELECT dblink_exec('a', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.remote('c', format($$SELECT state::text FROM booking.reserve_range(%s, 'BUSY',
              current_date + 11, current_date + 12, guest_id => 'tap-busy-c')$$, :pid)),
          'held', 'once A rolls back, C''s same call holds the unit');

-- ---------------------------------------------------------------------
-- The books balance, and the fixture goes away
-- ---------------------------------------------------------------------
SELECT is_empty(format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
                'check_invariants() finds nothing wrong with the fixture after the races');
SELECT dblink_exec('fx', pg_temp.delete_property_sql('TAP Concurrency Hotel')) AS ignored \gset
SELECT is((SELECT count(*)::int FROM booking.property WHERE name = 'TAP Concurrency Hotel'), 0,
          'the fixture is deleted');
SELECT is(dblink_disconnect(s), 'OK', format('session %s disconnects', s))
  FROM unnest(ARRAY['a', 'b', 'c', 'fx']) AS s;

SELECT * FROM finish();
ROLLBACK;

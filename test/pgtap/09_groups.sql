-- 09_groups.sql: the 2.0 groups (reserve_group, confirm_group,
-- cancel_group) as pgTAP assertions, beside test/sql/20_groups.sql (the
-- worked examples) and 02/03 (signatures and grants).
--
-- 1. Ownership, in this file's transaction, the calls made as booking_app:
--    confirm_group and cancel_group with a guest_id that is not the
--    group's (another guest's, another case, a group made without one, a
--    line's id instead of the group's) fail BK005 with the very sqlstate,
--    message, detail and hint of a group that does not exist (the id
--    aside), change nothing and write no event; the group's own guest_id
--    works, and the group stays its first line's guest's after that line
--    is cancelled alone.
-- 2. Sessions (dblink, as in 07_concurrency; the helpers are
--    sessions.psql's): the fixture is committed through FX in a property
--    of its own and deleted at the end.
--    - one payment_ref for two payers at once: a confirm_group waiting for
--      another group's (or a lone reservation's) confirm with the same
--      payment_ref fails BK004 once that one commits, and confirms once it
--      rolls back; a lone reservation waiting for a group's: BK004 too;
--    - REPEATABLE READ: the same race with the waiter at REPEATABLE READ,
--      and a snapshot older than a committed use of the payment_ref: BK004,
--      never 23505 nor 40001; a line changed after the snapshot: 40001; a
--      group of other nights than the concurrent writes: no 40001; a whole
--      group's life (reserve, confirm, cancel) in one REPEATABLE READ
--      transaction;
--    - the lines' nights are locked in the global (room_type, night)
--      order, whatever the line order: two groups crossing X and Y in
--      opposite line orders do not deadlock, the second holding nothing
--      while it waits for the first;
--    - a guest_id that is not the group's fails BK005 at once while the
--      group is locked by another transaction (it neither waits nor tells
--      that the group exists); the owner's call waits (BK007 here);
--    - one idempotency key from two sessions: the second gets the first's
--      lines;
--    - a line cancelled alone while confirm_group waits for it: the rest of
--      the group is confirmed, the line stays cancelled.
-- Dates are relative to current_date.
BEGIN;
SELECT plan(91);

\ir sessions.psql

-- error_of4: {sqlstate, message, detail, hint} of a statement's error
-- (NULL when it succeeds).
CREATE FUNCTION pg_temp.error_of4(q text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
    det text;
    hnt text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN ARRAY[st, msg, det, hnt];
END
$$;

-- words: that error with the id written N, to compare two refusals word
-- for word.
CREATE FUNCTION pg_temp.words(q text, id bigint) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(replace(e, id::text, 'N') ORDER BY o)
      FROM unnest(pg_temp.error_of4(q)) WITH ORDINALITY AS u(e, o)
$$;

-- l: one line of reserve_group's lines.
CREATE FUNCTION pg_temp.l(rt text, ci int, co int, rooms int DEFAULT NULL, guests int DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('room_type', rt, 'check_in', current_date + ci,
                                                'check_out', current_date + co, 'rooms', rooms,
                                                'guests', guests))
$$;

-- ---------------------------------------------------------------------
-- The sessions and their fixture (committed through FX), first: the
-- fixture's open_inventory waits for the publisher's lock, which this
-- transaction's own open_inventory (section 1) keeps until it ends.
-- ---------------------------------------------------------------------
-- inv: (night - current_date, held, booked) of a room type of the fixture.
CREATE FUNCTION pg_temp.inv(rt text) RETURNS TABLE(night int, held int, booked int)
LANGUAGE sql AS $$
    SELECT i.night - current_date, i.held, i.booked
      FROM booking.inventory i JOIN booking.property p USING (property_id)
     WHERE p.name = 'TAP Groups Race Hotel' AND i.room_type = rt
     ORDER BY i.night
$$;
-- lines: a group's lines as committed, in line order: "state payment_ref".
CREATE FUNCTION pg_temp.lines(g bigint) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(state::text || ' ' || coalesce(payment_ref, '-'), ', ' ORDER BY reservation_id)
      FROM booking.reservation WHERE group_id = g
$$;
-- grp: a group FX reserves (committed); its id.
CREATE FUNCTION pg_temp.grp(pid bigint, lines jsonb, guest text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    SELECT pg_temp.remote('fx', format('SELECT min(reservation_id) FROM booking.reserve_group(%s, %L, %L)',
                                       pid, lines, guest))::bigint
$$;
-- confirm_q, cancel_q: the calls as a session sends them (their lines' states).
CREATE FUNCTION pg_temp.confirm_q(g bigint, ref text, guest text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT string_agg(state::text, ',' ORDER BY reservation_id)
                       FROM booking.confirm_group(%s, %L, %L)$q$, g, ref, guest)
$$;
CREATE FUNCTION pg_temp.cancel_q(g bigint, guest text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT string_agg(state::text, ',' ORDER BY reservation_id)
                       FROM booking.cancel_group(%s, NULL, %L)$q$, g, guest)
$$;
-- in_session: error_of of a call made on a session (NULL when it succeeds).
CREATE FUNCTION pg_temp.in_session(conn text, q text) RETURNS text[] LANGUAGE sql AS $$
    SELECT pg_temp.error_of(format('SELECT pg_temp.remote(%L, %L)', conn, q))
$$;

SELECT is(ARRAY[dblink_connect('fx', pg_temp.conninfo()), dblink_connect('a', pg_temp.conninfo()),
                dblink_connect('b', pg_temp.conninfo()), dblink_connect('c', pg_temp.conninfo())],
          ARRAY['OK', 'OK', 'OK', 'OK'], 'sessions FX (fixture), A, B and C connect back to this database');
-- A bound, not a timing: a call that would wait for ever fails instead.
SELECT count(dblink_exec(s, $$SET statement_timeout = '60s'$$)) AS ignored FROM unnest(ARRAY['a', 'b', 'c']) AS s \gset
SELECT pg_temp.remote('a', 'SELECT pg_backend_pid()')::int AS a_pid,
       pg_temp.remote('b', 'SELECT pg_backend_pid()')::int AS b_pid,
       pg_temp.remote('c', 'SELECT pg_backend_pid()')::int AS c_pid \gset

SELECT dblink_exec('fx', pg_temp.delete_property_sql('TAP Groups Race Hotel')) AS ignored \gset
SELECT pg_temp.remote('fx', $$SELECT booking.add_property('TAP Groups Race Hotel', 'Tap Groups City', 'UTC')$$)::bigint
       AS pid \gset
SELECT dblink_exec('fx', format($f$DO $do$ BEGIN
    PERFORM booking.add_room_type(%1$s, rt, rt, u)
       FROM (VALUES ('PA', 8), ('PB', 8), ('RR', 4), ('RS', 4), ('X', 2), ('Y', 2), ('OWN', 2),
                    ('KEY', 2), ('LN', 2)) AS t(rt, u);
    PERFORM booking.open_inventory(%1$s, rt, current_date + 10, current_date + 20)
       FROM unnest(ARRAY['PA', 'PB', 'RR', 'RS', 'X', 'Y', 'OWN', 'KEY', 'LN']) AS rt;
END $do$$f$, :pid)) AS ignored \gset
SELECT is((SELECT count(*)::int FROM booking.inventory WHERE property_id = :pid), 90,
          'the fixture, committed by FX, is visible here: nine room types, nights +10..+19');

-- ---------------------------------------------------------------------
-- 1. Ownership (this transaction; the calls as booking_app)
-- ---------------------------------------------------------------------
SELECT booking.add_property('TAP Groups Own Hotel', 'Tap Groups City', 'UTC') AS own \gset
SELECT booking.add_room_type(:own, 'DBL', 'Double', 2, 2, 100) AS ignored \gset
SELECT booking.add_room_type(:own, 'SGL', 'Single', 1, 1, 60) AS ignored \gset
SELECT sum(booking.open_inventory(:own, rt, current_date + 5, current_date + 15)) AS ignored
  FROM unnest(ARRAY['DBL', 'SGL']) AS rt \gset
-- an id no reservation has: a million reservations ahead of the sequence
-- (a reservation_id is n * 1024 + the node)
SELECT (last_value + 1000000) * 1024 AS missing FROM booking.reservation_id_seq \gset

-- own_state: everything of the property that a refused call could change,
-- one text per row (read as the owner: booking_app cannot read them).
CREATE FUNCTION pg_temp.own_state(pid bigint) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT format('reservation %s group %s guest %s %s ref %s code %s reason %s until %s rooms %s',
                  reservation_id, group_id, guest_id, state, payment_ref, confirmation_code,
                  cancel_reason, hold_expires_at, rooms)
      FROM booking.reservation WHERE property_id = pid
    UNION ALL
    SELECT format('inventory %s %s held %s booked %s', room_type, night, held, booked)
      FROM booking.inventory WHERE property_id = pid
    UNION ALL
    SELECT format('events %s', count(*)) FROM booking.event WHERE property_id = pid
$$;

SET LOCAL ROLE booking_app;
SELECT min(reservation_id) AS g, max(reservation_id) AS g2, count(*) AS g_n,
       bool_and(guest_id = 'tap-kim') AS g_guest, count(DISTINCT group_id) AS g_groups
  FROM booking.reserve_group(:own, jsonb_build_array(pg_temp.l('DBL', 5, 7, 1, 2), pg_temp.l('SGL', 5, 6)),
                             'tap-kim') \gset
SELECT is(format('%s lines, guest tap-kim %s, %s group', :g_n, :'g_guest', :g_groups),
          '2 lines, guest tap-kim t, 1 group',
          'booking_app: reserve_group holds tap-kim''s 2 lines in one group');
SELECT is((booking.get_reservation(:g2, 'tap-kim')).group_id, :g::bigint,
          'the group''s id is its first line''s reservation_id');
SELECT min(reservation_id) AS anon FROM booking.reserve_group(:own, jsonb_build_array(pg_temp.l('SGL', 8, 9))) \gset
RESET ROLE;
CREATE TEMP TABLE own_before AS SELECT * FROM pg_temp.own_state(:own) AS s;

SET LOCAL ROLE booking_app;
SELECT is(pg_temp.error_of4(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own')$$, :missing)),
          ARRAY['BK005', format('group %s does not exist', :missing), 'No group of reservations has this id.',
                'A group''s id is the reservation_id of its first line, as reserve_group returned it (column group_id).'],
          'confirm_group of a group that does not exist: BK005 "group N does not exist"');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-eve')$$, :g), :g),
          pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-eve')$$, :missing), :missing),
          'confirm_group of tap-kim''s group with guest_id tap-eve: BK005, sqlstate, message, detail and hint those of a missing group');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-eve')$$, :g), :g),
          pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own')$$, :missing), :missing),
          '... and those of a missing group asked for without a guest_id');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s, 'not mine', 'tap-eve')$$, :g), :g),
          pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s, 'not mine', 'tap-eve')$$, :missing), :missing),
          'cancel_group of tap-kim''s group with guest_id tap-eve: BK005 word for word as a missing group');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'TAP-KIM')$$, :g), :g),
          pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own')$$, :missing), :missing),
          'a guest_id is matched byte for byte: TAP-KIM is not tap-kim (BK005 as a missing group)');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-kim')$$, :anon), :anon),
          pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own')$$, :missing), :missing),
          'a group made without a guest_id is nobody''s: confirm_group with a guest_id fails BK005 as a missing group');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s, NULL, 'tap-kim')$$, :anon), :anon),
          pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s)$$, :missing), :missing),
          '... and so does cancel_group');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-kim')$$, :g2), :g2),
          pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own')$$, :missing), :missing),
          'the second line''s id is no group''s id, even for its guest: confirm_group fails BK005 as a missing group');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s, NULL, 'tap-kim')$$, :g2), :g2),
          pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s)$$, :missing), :missing),
          '... and cancel_group too');
RESET ROLE;
SELECT set_eq(format('SELECT * FROM pg_temp.own_state(%s)', :own), 'SELECT s FROM own_before',
              'the refused calls changed no line, no night and wrote no event');

SET LOCAL ROLE booking_app;
SELECT results_eq(
    format($$SELECT reservation_id, state::text, payment_ref, confirmation_code IS NOT NULL
               FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-kim')$$, :g),
    format($$VALUES (%s::bigint, 'confirmed', 'tap-pay-own', true), (%s, 'confirmed', 'tap-pay-own', true)$$, :g, :g2),
    'with its own guest_id, confirm_group confirms tap-kim''s 2 lines, in line order');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-eve')$$, :g), :g),
          pg_temp.words(format($$SELECT * FROM booking.confirm_group(%s, 'tap-pay-own')$$, :missing), :missing),
          'a repeat by another guest learns nothing either (BK005, not the unchanged group)');
SELECT results_eq(
    format($$SELECT reservation_id, state::text FROM booking.confirm_group(%s, 'tap-pay-own', 'tap-kim')$$, :g),
    format($$VALUES (%s::bigint, 'confirmed'), (%s, 'confirmed')$$, :g, :g2),
    'a repeat by tap-kim returns the group unchanged');
SELECT is((booking.cancel_reservation(:g, 'double not needed', 'tap-kim')).state::text, 'cancelled',
          'tap-kim cancels the first line alone');
SELECT is(pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s, 'not mine', 'tap-eve')$$, :g), :g),
          pg_temp.words(format($$SELECT * FROM booking.cancel_group(%s)$$, :missing), :missing),
          'the group stays its first line''s guest''s once that line is cancelled: tap-eve still gets BK005');
SELECT results_eq(
    format($$SELECT reservation_id, state::text, cancel_reason FROM booking.cancel_group(%s, 'plans changed', 'tap-kim')$$, :g),
    format($$VALUES (%s::bigint, 'cancelled', 'double not needed'), (%s, 'cancelled', 'plans changed')$$, :g, :g2),
    'with its own guest_id, cancel_group cancels the line still confirmed and leaves the first as it was');
SELECT is((SELECT string_agg(state::text, ',') FROM booking.cancel_group(:anon)), 'cancelled',
          'without a guest_id nothing is checked: cancel_group cancels the group made without one');
RESET ROLE;
SELECT results_eq(
    format($$SELECT reservation_id, string_agg(kind, ',' ORDER BY event_id) FROM booking.event
              WHERE property_id = %s GROUP BY reservation_id ORDER BY reservation_id$$, :own),
    format($$VALUES (%s::bigint, 'reserved,confirmed,cancelled'), (%s, 'reserved,confirmed,cancelled'),
                    (%s, 'reserved,cancelled')$$, :g, :g2, :anon),
    'the events are those of the calls that succeeded, one per line each');
SELECT is_empty(format($$SELECT 1 FROM booking.inventory WHERE property_id = %s AND held + booked > 0$$, :own),
                'every unit is free again');
SELECT is_empty(format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :own),
                'check_invariants() finds nothing wrong with the groups of this transaction');

-- ---------------------------------------------------------------------
-- 2. Sessions.  One payment_ref, two payers at once
-- ---------------------------------------------------------------------
SELECT pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('PA', 10, 11), pg_temp.l('PB', 10, 11)), 'tap-p1') AS p1,
       pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('PA', 11, 12), pg_temp.l('PB', 11, 12)), 'tap-p2') AS p2,
       pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('PA', 12, 13), pg_temp.l('PB', 12, 13)), 'tap-p3') AS p3 \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', pg_temp.confirm_q(:p1, 'tap-ref-1')), 'confirmed,confirmed',
          'A confirms group P1 with payment_ref tap-ref-1 (not committed yet)');
SELECT is(dblink_send_query('b', pg_temp.confirm_q(:p2, 'tap-ref-1')), 1,
          'B confirms group P2 with the same payment_ref');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A (the payment_ref''s unique index)');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is(pg_temp.error_of($$SELECT pg_temp.result('b')$$),
          ARRAY['BK004', 'payment_ref "tap-ref-1" already belongs to another reservation',
                format('Another reservation or group has this payment_ref; group %s was not changed.', :p2)],
          'A commits: B fails BK004 (one payment_ref pays one payer)');
SELECT is(pg_temp.lines(:p1) || ' / ' || pg_temp.lines(:p2),
          'confirmed tap-ref-1, confirmed tap-ref-1 / held -, held -',
          'P1''s lines are confirmed with tap-ref-1, P2''s still held, without a payment_ref');
SELECT results_eq($$SELECT * FROM pg_temp.inv('PA') WHERE night < 13$$,
                  $$VALUES (10, 0, 1), (11, 1, 0), (12, 1, 0)$$,
                  'PA: P1''s night booked, P2''s and P3''s still held (B''s change rolled back)');
SELECT is_empty(format($$SELECT 1 FROM booking.event e JOIN booking.reservation r USING (reservation_id)
                          WHERE r.group_id = %s AND e.kind = 'confirmed'$$, :p2),
                'B wrote no confirmed event');

-- The holder rolls back instead: the waiter confirms.
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', pg_temp.confirm_q(:p2, 'tap-ref-2')), 'confirmed,confirmed',
          'A confirms group P2 with tap-ref-2 (not committed yet)');
SELECT is(dblink_send_query('b', pg_temp.confirm_q(:p3, 'tap-ref-2')), 1,
          'B confirms group P3 with the same payment_ref');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A');
SELECT dblink_exec('a', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.result('b'), 'confirmed,confirmed', 'A rolls back: B confirms P3');
SELECT is(pg_temp.lines(:p2) || ' / ' || pg_temp.lines(:p3),
          'held -, held - / confirmed tap-ref-2, confirmed tap-ref-2',
          'P2 is still held, P3 confirmed with tap-ref-2');

-- A lone reservation and a group.
SELECT pg_temp.remote('fx', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'PA',
           current_date + 14, current_date + 15, guest_id => 'tap-lone-1')$$, :pid))::bigint AS lone1,
       pg_temp.remote('fx', format($$SELECT reservation_id FROM booking.reserve_range(%s, 'PA',
           current_date + 15, current_date + 16, guest_id => 'tap-lone-2')$$, :pid))::bigint AS lone2 \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-ref-3')$$, :lone1)),
          'confirmed', 'A confirms a lone reservation with tap-ref-3 (not committed yet)');
SELECT is(dblink_send_query('b', pg_temp.confirm_q(:p2, 'tap-ref-3')), 1,
          'B confirms group P2 with the same payment_ref');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is((pg_temp.error_of($$SELECT pg_temp.result('b')$$))[1:2],
          ARRAY['BK004', 'payment_ref "tap-ref-3" already belongs to another reservation'],
          'A commits: B''s confirm_group fails BK004');
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', pg_temp.confirm_q(:p2, 'tap-ref-4')), 'confirmed,confirmed',
          'A confirms group P2 with tap-ref-4 (not committed yet)');
SELECT is(dblink_send_query('b', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-ref-4')$$, :lone2)),
          1, 'B confirms a lone reservation with the same payment_ref');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is((pg_temp.error_of($$SELECT pg_temp.result('b')$$))[1:2],
          ARRAY['BK004', 'payment_ref "tap-ref-4" already belongs to another reservation'],
          'A commits: B''s confirm_booking fails BK004');
SELECT results_eq(format($$SELECT state::text, payment_ref FROM booking.reservation
                            WHERE reservation_id IN (%s, %s) ORDER BY reservation_id$$, :lone1, :lone2),
                  $$VALUES ('confirmed'::text, 'tap-ref-3'::text), ('held', NULL)$$,
                  'the first lone reservation is confirmed, the second still held');

-- ---------------------------------------------------------------------
-- REPEATABLE READ
-- ---------------------------------------------------------------------
-- The payment_ref race, the waiter at REPEATABLE READ: BK004, never 23505.
SELECT pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('PA', 16, 17), pg_temp.l('PB', 16, 17))) AS p4,
       pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('PA', 17, 18), pg_temp.l('PB', 17, 18))) AS p5 \gset
SELECT dblink_exec('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ') AS ignored \gset
SELECT pg_temp.remote('b', 'SELECT count(*) FROM booking.inventory') AS ignored \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', pg_temp.confirm_q(:p4, 'tap-ref-rr')), 'confirmed,confirmed',
          'A confirms group P4 with tap-ref-rr (not committed yet); B''s REPEATABLE READ snapshot is older');
SELECT is(dblink_send_query('b', pg_temp.confirm_q(:p5, 'tap-ref-rr')), 1,
          'B, at REPEATABLE READ, confirms group P5 with the same payment_ref');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is((pg_temp.error_of($$SELECT pg_temp.result('b')$$))[1:2],
          ARRAY['BK004', 'payment_ref "tap-ref-rr" already belongs to another reservation'],
          'A commits: B fails BK004 (not 23505, not 40001) although its snapshot cannot see A''s confirm');
SELECT dblink_exec('b', 'ROLLBACK') AS ignored \gset
-- A committed use the snapshot cannot see, without a wait.
SELECT dblink_exec('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ') AS ignored \gset
SELECT pg_temp.remote('b', 'SELECT count(*) FROM booking.inventory') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.confirm_booking(%s, 'tap-ref-rr2')$$, :lone2)),
          'confirmed', 'A confirms a lone reservation with tap-ref-rr2 and commits, after B''s snapshot');
SELECT is((pg_temp.in_session('b', pg_temp.confirm_q(:p5, 'tap-ref-rr2')))[1:2],
          ARRAY['BK004', 'payment_ref "tap-ref-rr2" already belongs to another reservation'],
          'B, at REPEATABLE READ, confirms P5 with that payment_ref: BK004 (not 23505)');
SELECT dblink_exec('b', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.lines(:p5), 'held -, held -', 'P5 is still held');

-- A line changed after the snapshot: 40001.
SELECT pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('RR', 10, 11), pg_temp.l('RS', 10, 12))) AS r1 \gset
SELECT dblink_exec('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ') AS ignored \gset
SELECT pg_temp.remote('b', 'SELECT count(*) FROM booking.inventory') AS ignored \gset
SELECT is(pg_temp.remote('c', format('SELECT state::text FROM booking.cancel_reservation(%s)', :r1 + 1024)),
          'cancelled', 'C cancels R1''s second line alone and commits, after B''s REPEATABLE READ snapshot');
SELECT is((pg_temp.in_session('b', pg_temp.confirm_q(:r1, 'tap-ref-r1')))[1], '40001',
          'B confirms group R1: 40001 (a line changed after its snapshot)');
SELECT dblink_exec('b', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.remote('b', pg_temp.confirm_q(:r1, 'tap-ref-r1')), 'confirmed,cancelled',
          'retried at READ COMMITTED: the first line is confirmed, the line cancelled alone stays cancelled');

-- Concurrent writes to other nights: no 40001; to the same nights: 40001.
SELECT pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('RR', 12, 13), pg_temp.l('RS', 13, 14))) AS r2,
       pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('RR', 14, 15), pg_temp.l('RS', 14, 15))) AS r3 \gset
SELECT dblink_exec('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ') AS ignored \gset
SELECT pg_temp.remote('b', 'SELECT count(*) FROM booking.inventory') AS ignored \gset
SELECT is(pg_temp.remote('c', format($$SELECT string_agg(state::text, ',') FROM (
              SELECT state FROM booking.reserve_range(%1$s, 'RR', current_date + 13, current_date + 14)
              UNION ALL
              SELECT state FROM booking.reserve_range(%1$s, 'RS', current_date + 14, current_date + 15)) s$$, :pid)),
          'held,held', 'C holds RR night +13 and RS night +14 and commits, after B''s REPEATABLE READ snapshot');
SELECT is(pg_temp.in_session('b', pg_temp.confirm_q(:r2, 'tap-ref-r2')), NULL,
          'B confirms group R2 (RR +12, RS +13, nights C did not touch): no 40001');
SELECT is(pg_temp.in_session('b', pg_temp.cancel_q(:r2)), NULL,
          'B cancels R2 in the same transaction: no 40001');
SELECT is((pg_temp.in_session('b', pg_temp.cancel_q(:r3)))[1], '40001',
          'B cancels group R3, whose RS night +14 C changed after the snapshot: 40001');
SELECT dblink_exec('b', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.lines(:r2) || ' / ' || pg_temp.lines(:r3), 'held -, held - / held -, held -',
          'B rolled back: R2 and R3 are held as before');

-- A whole group's life in one REPEATABLE READ transaction.
SELECT dblink_exec('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ') AS ignored \gset
SELECT pg_temp.remote('b', 'SELECT count(*) FROM booking.inventory') AS ignored \gset
SELECT pg_temp.remote('b', format('SELECT min(reservation_id) FROM booking.reserve_group(%s, %L, %L)', :pid,
           jsonb_build_array(pg_temp.l('RR', 16, 18), pg_temp.l('RS', 16, 17, 2)), 'tap-rr'))::bigint AS r4 \gset
SELECT is(pg_temp.remote('b', pg_temp.confirm_q(:r4, 'tap-ref-r4', 'tap-rr')), 'confirmed,confirmed',
          'at REPEATABLE READ, B reserves group R4 and confirms it in the same transaction');
SELECT is(pg_temp.remote('b', pg_temp.cancel_q(:r4, 'tap-rr')), 'cancelled,cancelled',
          '... and cancels it');
SELECT dblink_exec('b', 'COMMIT') AS ignored \gset
SELECT results_eq(format($$SELECT e.reservation_id, string_agg(e.kind, ',' ORDER BY e.event_id)
                            FROM booking.event e JOIN booking.reservation r USING (reservation_id)
                           WHERE r.group_id = %1$s GROUP BY 1 ORDER BY 1$$, :r4),
                  format($$VALUES (%s::bigint, 'reserved,confirmed,cancelled'), (%s, 'reserved,confirmed,cancelled')$$,
                         :r4, :r4 + 1024),
                  'B commits: three events per line');
SELECT results_eq($$SELECT night, held, booked FROM pg_temp.inv('RS') WHERE night IN (16, 17)$$,
                  $$VALUES (16, 0, 0), (17, 0, 0)$$, 'R4''s units are free again');

-- ---------------------------------------------------------------------
-- The lines' nights are locked in the global order (room_type, night).
-- A holds X +10 and waits for C on Y +11; B's lines are Y +12, X +10: in
-- line order B would hold Y +12 while waiting for A's X +10, and A, once C
-- is gone, would wait for B's Y +12: a deadlock.  In the global order B
-- asks for X +10 first and holds nothing while it waits.
-- ---------------------------------------------------------------------
-- locked: whether a night of the fixture is locked now (FX tries it without waiting).
CREATE FUNCTION pg_temp.locked(pid bigint, rt text, n int) RETURNS boolean LANGUAGE sql AS $$
    SELECT pg_temp.error_of(format('SELECT pg_temp.remote(''fx'', %L)',
        format('SELECT held FROM booking.inventory WHERE property_id = %s AND room_type = %L
                   AND night = current_date + %s FOR UPDATE NOWAIT', pid, rt, n))) IS NOT NULL
$$;
SELECT is(pg_temp.remote('fx', format($$SELECT state::text FROM booking.reserve_range(%s, 'X',
              current_date + 10, current_date + 11)$$, :pid)),
          'held', 'FX holds one of the two X units of night +10 (committed)');
SELECT dblink_exec('c', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('c', format($$SELECT state::text FROM booking.reserve_range(%s, 'Y',
              current_date + 11, current_date + 12)$$, :pid)),
          'held', 'C holds a Y unit of night +11 (not committed yet)');
SELECT is(dblink_send_query('a', format($$SELECT string_agg(state::text, ',' ORDER BY reservation_id)
                                            FROM booking.reserve_group(%s, %L, 'tap-xy')$$,
                                        :pid, jsonb_build_array(pg_temp.l('X', 10, 11), pg_temp.l('Y', 11, 13)))),
          1, 'A asks for lines X +10, Y +11..+12');
SELECT ok(pg_temp.waits_for(:a_pid, :c_pid), 'A waits for C''s lock on Y +11');
SELECT is(ARRAY[pg_temp.locked(:pid, 'X', 10), pg_temp.locked(:pid, 'Y', 12)], ARRAY[true, false],
          'meanwhile A holds X +10 and not yet Y +12');
SELECT is(dblink_send_query('b', format($$SELECT string_agg(state::text, ',' ORDER BY reservation_id)
                                            FROM booking.reserve_group(%s, %L, 'tap-yx')$$,
                                        :pid, jsonb_build_array(pg_temp.l('Y', 12, 13), pg_temp.l('X', 10, 11)))),
          1, 'B asks for lines Y +12, X +10 (its first line''s room type comes last in the global order)');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A (on X +10)');
SELECT ok(NOT pg_temp.locked(:pid, 'Y', 12),
          'B holds nothing of its first line: Y +12 is not locked (B went for X +10 first)');
SELECT dblink_exec('c', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.error_of($$SELECT pg_temp.result('a')$$), NULL, 'C rolls back: A''s reserve_group ends without an error (no deadlock)');
SELECT is((pg_temp.error_of($$SELECT pg_temp.result('b')$$))[1:2],
          ARRAY['BK001', 'line 2 (room type "X"): no availability: 1 room(s) requested, 0 free on one night of the stay'],
          'then B fails BK001 on its line 2 (X), the last X unit being A''s');
SELECT results_eq($$SELECT room_type::text, night - current_date, held, booked FROM booking.inventory
                     WHERE property_id = (SELECT property_id FROM booking.property WHERE name = 'TAP Groups Race Hotel')
                       AND (room_type, night - current_date) IN (('X', 10), ('Y', 11), ('Y', 12)) ORDER BY 1, 2$$,
                  $$VALUES ('X'::text, 10, 2, 0), ('Y', 11, 1, 0), ('Y', 12, 1, 0)$$,
                  'X +10: FX''s and A''s holds; Y +11 and +12: A''s only');

-- ---------------------------------------------------------------------
-- Another guest's group is refused without a wait
-- ---------------------------------------------------------------------
SELECT pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('OWN', 10, 11), pg_temp.l('OWN', 11, 12)), 'tap-own') AS o1 \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.cancel_reservation(%s)$$, :o1)),
          'cancelled', 'A cancels group O1''s first line alone (not committed yet: the line is locked)');
SELECT dblink_exec('c', $$SET booking.lock_timeout = '300ms'$$) AS ignored \gset
SELECT is(ARRAY[pg_temp.in_session('c', pg_temp.confirm_q(:o1, 'tap-ref-o1', 'tap-eve')),
                pg_temp.in_session('c', pg_temp.cancel_q(:o1, 'tap-eve'))],
          ARRAY[ARRAY['BK005', format('group %s does not exist', :o1), 'No group of reservations has this id.'],
                ARRAY['BK005', format('group %s does not exist', :o1), 'No group of reservations has this id.']],
          'C (booking.lock_timeout 300ms) with guest_id tap-eve: confirm_group and cancel_group fail BK005 at once, no wait');
SELECT is((pg_temp.in_session('c', pg_temp.confirm_q(:o1, 'tap-ref-o1', 'tap-own')))[1], 'BK007',
          'with the owner''s guest_id C waits for A''s lock on the line (and times out: BK007)');
SELECT dblink_exec('c', 'RESET booking.lock_timeout') AS ignored \gset
SELECT dblink_exec('a', 'ROLLBACK') AS ignored \gset
SELECT is(pg_temp.lines(:o1), 'held -, held -', 'O1 is held as before');

-- ---------------------------------------------------------------------
-- One idempotency key from two sessions
-- ---------------------------------------------------------------------
SELECT format($$SELECT string_agg(reservation_id::text, ',' ORDER BY reservation_id)
                  FROM booking.reserve_group(%s, %L, 'tap-key', 'tap-group-key-1')$$,
              :pid, jsonb_build_array(pg_temp.l('KEY', 10, 12), pg_temp.l('KEY', 11, 13))) AS key_q \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT pg_temp.remote('a', :'key_q') AS key_ids \gset
SELECT is(dblink_send_query('b', :'key_q'), 1,
          'B sends the same group with the same key while A''s is not committed');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s claim on the key');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is(pg_temp.result('b'), :'key_ids', 'A commits: B gets A''s lines (the same reservation_ids)');
SELECT results_eq($$SELECT * FROM pg_temp.inv('KEY') WHERE night < 14$$,
                  $$VALUES (10, 1, 0), (11, 2, 0), (12, 1, 0), (13, 0, 0)$$,
                  'the key held the group once');

-- ---------------------------------------------------------------------
-- A line cancelled alone while confirm_group waits for it
-- ---------------------------------------------------------------------
SELECT pg_temp.grp(:pid, jsonb_build_array(pg_temp.l('LN', 10, 11), pg_temp.l('LN', 12, 13)), 'tap-ln') AS n1 \gset
SELECT dblink_exec('a', 'BEGIN') AS ignored \gset
SELECT is(pg_temp.remote('a', format($$SELECT state::text FROM booking.cancel_reservation(%s, 'one room is enough')$$,
                                     :n1 + 1024)),
          'cancelled', 'A cancels group N1''s second line alone (not committed yet)');
SELECT is(dblink_send_query('b', pg_temp.confirm_q(:n1, 'tap-ref-n1', 'tap-ln')), 1, 'B confirms group N1');
SELECT ok(pg_temp.waits_for(:b_pid, :a_pid), 'B waits for A''s lock on the second line');
SELECT dblink_exec('a', 'COMMIT') AS ignored \gset
SELECT is(pg_temp.result('b'), 'confirmed,cancelled',
          'A commits: B confirms the first line, the second stays cancelled');
SELECT results_eq($$SELECT * FROM pg_temp.inv('LN') WHERE night < 14$$,
                  $$VALUES (10, 0, 1), (11, 0, 0), (12, 0, 0), (13, 0, 0)$$,
                  'LN: the first line''s night booked, the cancelled line''s free');

-- ---------------------------------------------------------------------
-- The books balance, and the fixture goes away
-- ---------------------------------------------------------------------
SELECT is_empty(format($$SELECT * FROM booking.check_invariants() WHERE property_id = %s$$, :pid),
                'check_invariants() finds nothing wrong with the fixture after the races');
SELECT dblink_exec('fx', pg_temp.delete_property_sql('TAP Groups Race Hotel')) AS ignored \gset
SELECT is((SELECT count(*)::int FROM booking.property WHERE name = 'TAP Groups Race Hotel'), 0,
          'the fixture is deleted');
SELECT is(ARRAY[dblink_disconnect('a'), dblink_disconnect('b'), dblink_disconnect('c'), dblink_disconnect('fx')],
          ARRAY['OK', 'OK', 'OK', 'OK'], 'the sessions disconnect');

SELECT * FROM finish();
ROLLBACK;

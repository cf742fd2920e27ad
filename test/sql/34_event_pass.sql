-- The publishing passes (2.0): each pass that gives positions leaves one
-- row in booking.event_pass, its events in position order; read_events,
-- ack_events and purge() find events by position through them, and
-- check_invariants() compares them with the events' positions.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
-- Start from a clean slate: everything published, every event purged
-- (the files before this one left events and consumers behind).
SELECT booking.purge(1) >= 0 AS published;
DELETE FROM booking.event_consumer;
UPDATE booking.event SET occurred_at = now() - interval '400 days';
SELECT booking.purge(100000) >= 0 AS purged;
SELECT count(*) AS events_left, (SELECT count(*) FROM booking.event_pass) AS passes_left
  FROM booking.event;

SELECT booking.add_property('Pass House', 'Viseu', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'P', 'Room', 20, 2, 10);
SELECT booking.open_inventory(:p, 'P', current_date, current_date + 40);

-- three events in one transaction, published by one pass: one row,
-- their ids in event_id order from the first position given
SELECT pg_stat_force_next_flush();
SELECT n_tup_upd AS upd_before, n_tup_hot_upd AS hot_before
  FROM pg_stat_user_tables WHERE relid = 'booking.event'::regclass \gset
BEGIN;
SELECT count(*) AS held FROM generate_series(1, 3) i,
       booking.reserve_range(:p, 'P', current_date + i, current_date + i + 1);
COMMIT;
SELECT booking.purge(1) >= 0 AS published;
SELECT pg_stat_force_next_flush();
SELECT cardinality(event_ids) AS events,
       event_ids = (SELECT array_agg(event_id ORDER BY event_id) FROM booking.event) AS in_id_order,
       first_position = (SELECT min(position) FROM booking.event) AS from_the_first_position
  FROM booking.event_pass;
-- the pass wrote the three positions as HOT updates (no index of the
-- table reads position, and a writer leaves half of each page to them):
-- no new index entries, the new versions beside the old ones
SELECT n_tup_upd - :upd_before AS positions_written, n_tup_hot_upd - :hot_before AS hot
  FROM pg_stat_user_tables WHERE relid = 'booking.event'::regclass;
-- two more passes of two events each
SELECT count(*) AS held FROM generate_series(4, 5) i,
       booking.reserve_range(:p, 'P', current_date + i, current_date + i + 1);
SELECT booking.purge(1) >= 0 AS published;
BEGIN;
SELECT count(*) AS held FROM generate_series(6, 7) i,
       booking.reserve_range(:p, 'P', current_date + i, current_date + i + 1);
COMMIT;
SELECT booking.purge(1) >= 0 AS published;
SELECT count(*) AS passes, sum(cardinality(event_ids)) AS events FROM booking.event_pass;
SELECT count(*) AS problems FROM booking.check_invariants();

-- a read of 2 stops inside the first pass; the next goes on from there,
-- across passes, in position order
SELECT array_agg(event_id) = (SELECT array_agg(event_id ORDER BY position) FROM
                               (SELECT event_id, position FROM booking.event ORDER BY position LIMIT 2) f)
       AS first_two
  FROM booking.read_events('pass-reader', 2);
SELECT (SELECT event_id FROM booking.event ORDER BY position OFFSET 1 LIMIT 1) AS second \gset
SELECT booking.ack_events('pass-reader', :second) AS acked;
SELECT array_agg(event_id) = (SELECT array_agg(event_id ORDER BY position) FROM
                               (SELECT event_id, position FROM booking.event ORDER BY position OFFSET 2 LIMIT 4) f)
       AS next_four
  FROM booking.read_events('pass-reader', 4);
-- acknowledging from inside one pass to inside another counts the positions between
SELECT (SELECT event_id FROM booking.event ORDER BY position OFFSET 5 LIMIT 1) AS sixth \gset
SELECT booking.ack_events('pass-reader', :sixth) AS acked;
SELECT booking.ack_events('pass-reader', :sixth) AS acked_again;
SELECT count(*) AS left_to_read FROM booking.read_events('pass-reader', 100);

-- events deleted by hand leave their ids in their passes: a read goes on
-- past them and still returns as many as it may
SELECT (SELECT event_id FROM booking.event ORDER BY position LIMIT 1) AS first_event \gset
DELETE FROM booking.event WHERE event_id IN
    (SELECT event_id FROM booking.event ORDER BY position OFFSET 1 LIMIT 4);
SELECT array_agg(event_id) = (SELECT array_agg(event_id ORDER BY position) FROM
                               (SELECT event_id, position FROM booking.event ORDER BY position LIMIT 2) f)
       AS past_the_gone
  FROM booking.read_events('late-reader', 2);
SELECT count(*) AS problems FROM booking.check_invariants();
-- and an acknowledgement counts the events delivered, not the positions
-- of the ones deleted by hand: the first and the sixth
SELECT booking.ack_events('late-reader', (SELECT event_id FROM booking.event ORDER BY position OFFSET 1 LIMIT 1))
       AS acked_past_the_gone;

-- purge(): from the first position on, while every consumer has
-- acknowledged and the event is old enough; the first that is not stops
-- it.  The passes it empties go; the one it empties in part starts after
-- what it deleted.
SELECT booking.ack_events('late-reader', (SELECT event_id FROM booking.event ORDER BY position DESC LIMIT 1)) >= 0 AS acked;
UPDATE booking.event SET occurred_at = now() - interval '400 days';
UPDATE booking.event SET occurred_at = now()
 WHERE event_id = (SELECT event_id FROM booking.event ORDER BY position OFFSET 2 LIMIT 1);
SELECT booking.purge(100) AS purged;   -- the first, then 4 gone by hand, then one more: 2 deleted
SELECT count(*) AS events_left FROM booking.event;
SELECT first_position = (SELECT min(position) FROM booking.event) AS starts_at_the_young_one,
       cardinality(event_ids) AS events
  FROM booking.event_pass ORDER BY first_position LIMIT 1;
SELECT count(*) AS problems FROM booking.check_invariants();
-- pass-reader has acknowledged up to the sixth position only
UPDATE booking.event SET occurred_at = now() - interval '400 days';
SELECT booking.purge(100) AS purged;
SELECT count(*) AS events_left,
       (SELECT min(position) FROM booking.event) = (SELECT acked_position FROM booking.event_consumer
                                                     WHERE consumer = 'pass-reader') + 1 AS from_the_unacknowledged
  FROM booking.event;
-- max_rows bounds it, inside a pass too
SELECT booking.ack_events('pass-reader', (SELECT event_id FROM booking.event ORDER BY position DESC LIMIT 1)) AS acked;
SELECT booking.purge(1) AS purged;
SELECT count(*) AS events_left, (SELECT sum(cardinality(event_ids)) FROM booking.event_pass) AS in_passes
  FROM booking.event;
SELECT booking.purge(100) AS purged;
SELECT count(*) AS events_left, (SELECT count(*) FROM booking.event_pass) AS passes_left FROM booking.event;
SELECT count(*) AS problems FROM booking.check_invariants();

-- check_invariants() is the judge of the passes: a position no pass
-- gives, one a pass disagrees with, a position for an event without one,
-- passes that overlap
SELECT count(*) AS held FROM generate_series(10, 12) i,
       booking.reserve_range(:p, 'P', current_date + i, current_date + i + 1);
SELECT booking.purge(1) >= 0 AS published;
SELECT min(event_id) AS e1, max(event_id) AS e3 FROM booking.event \gset
BEGIN;
UPDATE booking.event SET position = position + 100 WHERE event_id = :e1;
SELECT regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM booking.check_invariants()
 WHERE night IS NULL;
ROLLBACK;
BEGIN;
UPDATE booking.event SET position = NULL WHERE event_id = :e3;
SELECT regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM booking.check_invariants()
 WHERE night IS NULL;
ROLLBACK;
BEGIN;
DELETE FROM booking.event_pass;
SELECT count(*) AS positions_no_pass_gives FROM booking.check_invariants()
 WHERE problem LIKE '%which no publishing pass gives it';
ROLLBACK;
BEGIN;
INSERT INTO booking.event_pass
SELECT first_position + 2, ARRAY[-1] FROM booking.event_pass;
SELECT regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM booking.check_invariants()
 WHERE night IS NULL;
ROLLBACK;
SELECT count(*) AS problems FROM booking.check_invariants();

-- a pass holds 1 to 10,000 events, as a one-dimensional array from 1
SELECT split_part(t.try(sql), ' |', 1) AS refused
  FROM unnest(ARRAY[$$INSERT INTO booking.event_pass VALUES (-100, '{}')$$,
                    $$INSERT INTO booking.event_pass SELECT -100, array_agg(i) FROM generate_series(1, 10001) i$$,
                    $$INSERT INTO booking.event_pass VALUES (-100, '[0:1]={1,2}')$$,
                    $$INSERT INTO booking.event_pass VALUES (-100, '{{1},{2}}')$$]) AS sql;
SELECT count(*) AS taken FROM booking.event_pass WHERE first_position = -100;
SELECT booking.ack_events('pass-reader', :e3) AS acked;

-- purge() looks at a few events first, then twice as many each time all
-- were old enough: 150 more events in one pass, the 100th event in
-- position order young, no consumer: the 99 before it go, across its
-- looks of 64 and 128
DELETE FROM booking.event_consumer;
BEGIN;
SELECT count(*) AS held FROM generate_series(0, 149) i,
       booking.reserve_range(:p, 'P', current_date + 1 + i % 30, current_date + 2 + i % 30);
COMMIT;
SELECT booking.purge(1) >= 0 AS published;
UPDATE booking.event SET occurred_at = now() - interval '400 days';
UPDATE booking.event SET occurred_at = now()
 WHERE event_id = (SELECT event_id FROM booking.event ORDER BY position OFFSET 99 LIMIT 1);
SELECT booking.purge(1000) AS purged;
SELECT count(*) AS events_left,
       (SELECT min(first_position) FROM booking.event_pass) = min(position) AS pass_starts_at_the_young_one
  FROM booking.event;
SELECT count(*) AS problems FROM booking.check_invariants();

-- Events with positions and no pass (a dump taken before 2.0 restored
-- into 2.0): a read stops at them, never skips them, and warns; purge()
-- keeps them; repair_event_passes() makes their passes.  A consumer is
-- up to date; three events are published in one pass, two in another.
SELECT count(*) > 0 AS read_all FROM booking.read_events('restored-reader', 1000);
SELECT booking.ack_events('restored-reader', (SELECT event_id FROM booking.event ORDER BY position DESC LIMIT 1)) > 0 AS acked;
SELECT count(*) AS nothing_to_read FROM booking.read_events('restored-reader', 100);
BEGIN;
SELECT count(*) AS held FROM generate_series(31, 33) i,
       booking.reserve_range(:p, 'P', current_date + i, current_date + i + 1);
COMMIT;
SELECT booking.purge(1) >= 0 AS published;
SELECT count(*) AS held FROM generate_series(34, 35) i,
       booking.reserve_range(:p, 'P', current_date + i, current_date + i + 1);
SELECT booking.purge(1) >= 0 AS published;
SELECT array_agg(first_position ORDER BY first_position) AS passes_before FROM booking.event_pass \gset
SELECT array_agg(event_id ORDER BY position) AS five FROM
       (SELECT event_id, position FROM booking.event ORDER BY position DESC LIMIT 5) f \gset
SELECT (SELECT first_position FROM booking.event_pass ORDER BY first_position DESC OFFSET 1 LIMIT 1) AS three_pass \gset
-- in a transaction block nothing is published or mended
\set VERBOSITY terse
BEGIN;
DELETE FROM booking.event_pass WHERE first_position = :three_pass;
SELECT count(*) AS held_back FROM booking.read_events('restored-reader', 100);
SELECT count(*) AS positions_no_pass_gives FROM booking.check_invariants()
 WHERE problem LIKE '%which no publishing pass gives it';
SELECT booking.repair_event_passes() AS made;
SELECT array_agg(event_id) = :'five' AS read_in_order FROM booking.read_events('restored-reader', 100);
SELECT count(*) AS problems FROM booking.check_invariants();
ROLLBACK;
-- purge() deletes only what every consumer acknowledged: the events
-- before them, not them
BEGIN;
UPDATE booking.event SET occurred_at = now() - interval '400 days';
DELETE FROM booking.event_pass WHERE first_position = :three_pass;
SELECT booking.purge(1000) > 0 AS purged_the_acknowledged;
SELECT count(*) AS events_left, count(*) FILTER (WHERE event_id = ANY (:'five')) AS the_five_kept
  FROM booking.event;
ROLLBACK;
-- where no sweeper serves the database, read_events makes the passes
-- of the events after the last pass by itself, before it publishes (as
-- a restore of a dump taken before 2.0 leaves them: no pass at all, the
-- position sequence restored past them); a run of consecutive positions
-- becomes one pass.  Not in a session that has loaded rows into a
-- booking table (this one inserted passes above): that is a restore in
-- progress (restore_fence.c), so a new one, once this one is gone (psql
-- connects the new session before it closes the old).
DELETE FROM booking.event_pass;
SELECT count(*) AS not_yet FROM booking.read_events('restored-reader', 100);
SELECT pg_backend_pid() AS loader_pid \gset
\c
SET client_min_messages = error;
SELECT count(*) >= 0 AS old_session_gone
  FROM (SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE pid = :loader_pid) t;
SET client_min_messages = warning;
\set VERBOSITY terse
SELECT array_agg(event_id) = :'five' AS read_in_order FROM booking.read_events('restored-reader', 100);
SELECT count(*) AS passes, sum(cardinality(event_ids)) = (SELECT count(*) FROM booking.event) AS every_event
  FROM booking.event_pass;
-- and so does purge(): the events after the last pass (one more event
-- first, in a pass of its own after the one just made).  A backend looks
-- once, then again only when a load began since (restore_fence.c): a
-- new one.
SELECT count(*) AS held FROM booking.reserve_range(:p, 'P', current_date + 38, current_date + 39);
SELECT booking.purge(1) >= 0 AS published;
DELETE FROM booking.event_pass WHERE first_position = (SELECT max(first_position) FROM booking.event_pass);
SELECT booking.purge(1) >= 0 AS purged;
SELECT count(*) AS passes, sum(cardinality(event_ids)) = (SELECT count(*) FROM booking.event) AS every_event
  FROM booking.event_pass;
SELECT pg_backend_pid() AS loader_pid \gset
\c
SET client_min_messages = error;
SELECT count(*) >= 0 AS old_session_gone
  FROM (SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE pid = :loader_pid) t;
SET client_min_messages = warning;
\set VERBOSITY terse
SELECT booking.purge(1) >= 0 AS purged;
SELECT count(*) AS passes, sum(cardinality(event_ids)) = (SELECT count(*) FROM booking.event) AS every_event
  FROM booking.event_pass;
SELECT booking.repair_event_passes() AS nothing_to_make;
SELECT count(*) AS problems FROM booking.check_invariants();
-- booking_admin may run it; booking_app may not
SELECT has_function_privilege('booking_admin', 'booking.repair_event_passes()', 'EXECUTE') AS admin_may,
       has_function_privilege('booking_app', 'booking.repair_event_passes()', 'EXECUTE') AS app_may;
-- at REPEATABLE READ it refuses
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT split_part(t.try('SELECT booking.repair_event_passes()'), ' |', 1) AS refused;
ROLLBACK;
\set VERBOSITY default

-- A pass of more than 240 events is written as rows of at most 240 (a
-- row stays under the TOAST threshold, so a trim rewrites under 2 kB):
-- 500 events in one pass give rows of 240, 240 and 20, each starting
-- where the one before ends, the events holding the positions their
-- rows give.
DELETE FROM booking.event_consumer;
UPDATE booking.event SET occurred_at = now() - interval '400 days';
SELECT booking.purge(100000) >= 0 AS purged;
SELECT count(*) AS events_left FROM booking.event;
SELECT booking.add_room_type(:p, 'W', 'Wide', 100, 2, 10);
SELECT booking.open_inventory(:p, 'W', current_date, current_date + 40);
BEGIN;
SELECT count(*) AS held FROM generate_series(0, 499) i,
       booking.reserve_range(:p, 'W', current_date + 1 + i % 39, current_date + 2 + i % 39);
COMMIT;
SELECT booking.purge(1) >= 0 AS published;
SELECT array_agg(cardinality(event_ids) ORDER BY first_position) AS row_sizes,
       bool_and(next_first IS NULL OR next_first = first_position + cardinality(event_ids)) AS consecutive
  FROM (SELECT first_position, event_ids,
               lead(first_position) OVER (ORDER BY first_position) AS next_first
          FROM booking.event_pass) r;
SELECT count(*) AS events, count(*) FILTER (WHERE e.position = r.first_position + u.nth - 1) AS where_their_rows_say
  FROM booking.event_pass r, unnest(r.event_ids) WITH ORDINALITY AS u(event_id, nth)
  JOIN booking.event e USING (event_id);
-- a read goes across the rows in position order
SELECT array_agg(event_id) = (SELECT array_agg(event_id ORDER BY position) FROM
                               (SELECT event_id, position FROM booking.event ORDER BY position LIMIT 300) f)
       AS across_rows
  FROM booking.read_events('wide-reader', 300);
SELECT booking.ack_events('wide-reader', (SELECT event_id FROM booking.event ORDER BY position OFFSET 299 LIMIT 1))
       AS acked;
-- purge(1) trims the first row by one: it starts one later, 239 ids long
UPDATE booking.event SET occurred_at = now() - interval '400 days';
SELECT booking.purge(1) AS purged;
SELECT array_agg(cardinality(event_ids) ORDER BY first_position) AS row_sizes,
       min(first_position) = (SELECT min(position) FROM booking.event) AS starts_at_the_first_left
  FROM booking.event_pass;
SELECT count(*) AS problems FROM booking.check_invariants();
-- Events deleted by hand leave their ids in their rows, and every read
-- looked them up again; repair_event_passes() drops the rows none of
-- whose events are left: the last row's 20 here.  The read goes on as
-- before, past positions no row gives and no event holds.
DELETE FROM booking.event WHERE event_id IN
    (SELECT unnest(event_ids) FROM booking.event_pass
      WHERE first_position = (SELECT max(first_position) FROM booking.event_pass));
SELECT booking.repair_event_passes() AS made;
SELECT array_agg(cardinality(event_ids) ORDER BY first_position) AS row_sizes FROM booking.event_pass;
SELECT count(*) AS read_after_the_acknowledged FROM booking.read_events('wide-reader', 1000);
SELECT count(*) AS problems FROM booking.check_invariants();
-- A read that passes over 1,000 events or more that are gone says so,
-- naming the remedy: 1,100 events in one pass (rows of 240 and the rest
-- of 140), the first 1,050 of them deleted by hand.
BEGIN;
SELECT count(*) AS held FROM generate_series(0, 1099) i,
       booking.reserve_range(:p, 'W', current_date + 1 + i % 39, current_date + 2 + i % 39);
COMMIT;
SELECT booking.purge(1) >= 0 AS published;
DELETE FROM booking.event WHERE event_id IN
    (SELECT event_id FROM booking.event ORDER BY position DESC OFFSET 50 LIMIT 1050);
SET client_min_messages = notice;
SELECT count(*) AS read_past_the_gone FROM booking.read_events('wide-reader', 1000);
SELECT booking.repair_event_passes() AS made;
SELECT count(*) AS read_again FROM booking.read_events('wide-reader', 1000);
SET client_min_messages = warning;
SELECT count(*) AS problems FROM booking.check_invariants();

-- no index keeps two events from sharing a position, so a pass checks
-- that the sequence is past every pass: set back (by hand, or by a
-- restore that left it out), publishing stops with an error until it is
-- set past them again
SELECT last_value AS seq_at FROM booking.event_position_seq \gset
SELECT setval('booking.event_position_seq', 1) AS set_back;
SELECT count(*) AS held FROM booking.reserve_range(:p, 'W', current_date + 1, current_date + 2);
\set VERBOSITY terse
SELECT booking.purge(1) >= 0 AS published;
\set VERBOSITY default
SELECT count(*) AS waiting FROM booking.event WHERE position IS NULL;
SELECT setval('booking.event_position_seq', :seq_at) = :seq_at AS set_past;
SELECT booking.purge(1) >= 0 AS published;
SELECT count(*) AS waiting FROM booking.event WHERE position IS NULL;
SELECT count(*) AS problems FROM booking.check_invariants();

-- A calendar refresh (rebuild_calendar() here; open_inventory, set_rates
-- and the others the same way) counts the events not published yet from
-- scan_from on, through the index on writer_xid.  Rows a load brought
-- with another cluster's xids lie below it, and the load says so (the
-- ALTER TABLE that enables the trigger again leaves a signal): with a
-- signal the refresh reads from the start.  One such row, put in with
-- event_local_writer disabled, its change in no inventory row: the
-- calendar the refresh writes leaves room for it (check_invariants()
-- counts it as pending), and once it is folded the calendar is the
-- inventory's again.
SELECT booking.purge(1) >= 0 AS published;
ALTER TABLE booking.event DISABLE TRIGGER event_local_writer;
INSERT INTO booking.event (kind, reservation_id, property_id, payload, writer_xid,
                           room_type, first_night, end_night, free_delta)
SELECT kind, reservation_id, property_id, payload, '1'::xid8,
       'P', current_date + 3, current_date + 4, -1
  FROM booking.event WHERE property_id = :p ORDER BY event_id DESC LIMIT 1;
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;
SELECT writer_xid < (SELECT scan_from FROM booking.event_publisher) AS below_scan_from
  FROM booking.event WHERE writer_xid = '1'::xid8;
SELECT booking.rebuild_calendar() > 0 AS rebuilt;
SELECT count(*) AS problems FROM booking.check_invariants();
SELECT booking.purge(1) >= 0 AS published;
SELECT count(*) AS waiting FROM booking.event WHERE position IS NULL;
SELECT count(*) AS problems FROM booking.check_invariants();

-- Rows that come with positions no pass gives and the sequence has not
-- reached (a restore that left the sequence out, a copy of another
-- database's outbox): event_local_writer leaves a load signal for them,
-- and the next pass makes their pass and moves the sequence past them
-- before it gives any position, so no new event takes theirs.
SELECT last_value + 100 AS far FROM booking.event_position_seq \gset
INSERT INTO booking.event (kind, reservation_id, property_id, payload, position)
SELECT kind, reservation_id, property_id, payload, :far
  FROM booking.event WHERE property_id = :p ORDER BY event_id DESC LIMIT 1;
SELECT count(*) > 0 AS signalled FROM booking.event_load_signal;
SELECT count(*) AS held FROM booking.reserve_range(:p, 'W', current_date + 2, current_date + 3);
SELECT booking.purge(1) >= 0 AS published;
SELECT position > :far AS the_new_event_after_the_loaded
  FROM booking.event ORDER BY event_id DESC LIMIT 1;
SELECT count(*) AS passes_giving_the_loaded FROM booking.event_pass
 WHERE :far BETWEEN first_position AND first_position + cardinality(event_ids) - 1;
SELECT count(*) AS signals_left FROM booking.event_load_signal;
SELECT count(*) AS problems FROM booking.check_invariants();

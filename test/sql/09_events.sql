-- The event outbox: one event per state change, in the same transaction;
-- each named consumer sees every event once, in order, until it acks.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
-- Start from a clean slate: acknowledge whatever the files run before this
-- one in the same database produced (nothing when it runs alone).
SELECT count(*) >= 0 AS read_them FROM booking.read_events('mailer', 10000);
SELECT CASE WHEN max(event_id) IS NULL THEN true
            ELSE booking.ack_events('mailer', max(event_id)) >= 0 END AS acked
  FROM booking.event;
SELECT count(*) AS left_over FROM booking.read_events('mailer', 10000);

SELECT booking.add_property('Event Hall', 'Aveiro', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'E', 'Room', 3, 2, 10);
SELECT booking.open_inventory(:p, 'E', current_date, current_date + 10);

SELECT reservation_id AS r1 FROM booking.reserve_range(:p, 'E', current_date + 1, current_date + 3, 2, 'g1') \gset
SELECT state FROM booking.begin_payment(:r1, 'pi_ev');
SELECT state FROM booking.confirm_booking(:r1, 'ch_ev');
SELECT state FROM booking.cancel_reservation(:r1, 'plans changed');
SELECT reservation_id AS r2 FROM booking.reserve_range(:p, 'E', current_date + 4, current_date + 5) \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :r2;
SELECT booking.expire_holds() AS expired;
-- repeats write no event
SELECT state FROM booking.cancel_reservation(:r1);
SELECT state FROM booking.reserve_range(:p, 'E', current_date + 1, current_date + 3, 2, 'g1', 'ev-key');
SELECT state FROM booking.reserve_range(:p, 'E', current_date + 1, current_date + 3, 2, 'g1', 'ev-key');
-- a failed call writes none
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'E', current_date + 1, current_date + 3, 9)$$, :p));

SELECT kind, reservation_id = :r1 AS is_r1, payload->>'state' AS state, payload->>'rooms' AS rooms,
       payload->>'payment_intent' AS intent, payload->>'payment_ref' AS ref,
       payload->>'cancel_reason' AS reason, payload->>'void_authorization' AS void, payload->>'refund' AS refund
  FROM booking.read_events('mailer', 100);
-- reading does not acknowledge: a consumer that crashed reads them again
SELECT count(*) AS again FROM booking.read_events('mailer', 100);
-- a partial ack: the rest come back, and nothing before
SELECT event_id AS third FROM booking.read_events('mailer', 3) ORDER BY event_id DESC LIMIT 1 \gset
SELECT booking.ack_events('mailer', :third) AS acked;
SELECT kind FROM booking.read_events('mailer', 100);
-- acking again, or an older event, changes nothing
SELECT booking.ack_events('mailer', :third) AS acked;
-- max limits a read
SELECT count(*) FROM booking.read_events('mailer', 2);
-- consumers are independent: a new one starts from the oldest event kept
SELECT count(*) >= 7 AS sees_all FROM booking.read_events('indexer', 10000);
SELECT booking.ack_events('indexer', (SELECT max(event_id) FROM booking.event)) >= 7 AS acked;
SELECT count(*) FROM booking.read_events('indexer', 10);

-- an event payload for a payment that expired asks to void the authorization
SELECT reservation_id AS r3 FROM booking.reserve_range(:p, 'E', current_date + 6, current_date + 7) \gset
SELECT state FROM booking.begin_payment(:r3, 'pi_void', '1 minute');
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :r3;
SELECT booking.expire_holds() AS expired;
SELECT kind, payload->>'payment_intent' AS intent, payload->>'void_authorization' AS void
  FROM booking.read_events('indexer', 10);

-- positions follow commit order, and the published ones only grow
SELECT count(*) AS unpublished FROM booking.event WHERE position IS NULL;
SELECT bool_and(position > 0) AS positioned,
       count(DISTINCT position) = count(*) AS unique_positions
  FROM booking.event;

-- an acknowledged event that purge() has deleted, acknowledged again (a
-- retry after a lost reply), newly acknowledges nothing; an id past the
-- last acknowledged one is still not delivered
SELECT max(event_id) AS last FROM booking.read_events('indexer', 10000) \gset
SELECT booking.ack_events('indexer', :last) >= 1 AS acked;
SELECT booking.ack_events('mailer', :last) >= 1 AS acked;
UPDATE booking.event SET occurred_at = occurred_at - interval '8 days' WHERE event_id <= :last;
SELECT booking.purge() > 0 AS purged;
SELECT count(*) AS kept FROM booking.event WHERE event_id = :last;
SELECT booking.ack_events('indexer', :last) AS acked_again;
SELECT replace(t.try(format('SELECT booking.ack_events(%L, %s)', 'indexer', :last + 1000)),
               (:last + 1000)::text, ':last + 1000') AS never_delivered;

-- purge() inside a transaction block does not publish (the publisher's
-- lock would be held until the block ends): this transaction's own event
-- stays unpublished
BEGIN;
SELECT reservation_id AS r4 FROM booking.reserve_range(:p, 'E', current_date + 8, current_date + 9) \gset
SELECT booking.purge() >= 0 AS purged;
SELECT position IS NULL AS unpublished FROM booking.event WHERE reservation_id = :r4;
ROLLBACK;

-- bad input
SELECT t.try($$SELECT * FROM booking.read_events(NULL, 1)$$);
SELECT t.try($$SELECT * FROM booking.read_events('', 1)$$);
SELECT t.try($$SELECT * FROM booking.read_events('mailer', 0)$$);
SELECT t.try($$SELECT booking.ack_events('nobody', 1)$$);
SELECT t.try($$SELECT booking.ack_events('mailer', -5)$$);
SELECT t.try($$SELECT booking.ack_events('mailer', NULL)$$);

-- Publishing looks only at events written from the publisher row's
-- scan_from on: every transaction older than it had ended when the last
-- pass began, so its events were published then
SELECT booking.purge() >= 0 AS purged;
SELECT scan_from > '0' AND scan_from <= pg_snapshot_xmin(pg_current_snapshot()) AS scan_from_moved_on
  FROM booking.event_publisher;
-- So writer_xid must be the inserting transaction's: a row put in by
-- other means, carrying another cluster's xid (a restore's COPY), gets
-- this transaction's from the trigger event_local_writer, and the readers
-- count its change at once (event_ids below zero: the sequence never
-- hands them out)
SELECT available AS free_before FROM booking.availability(:p, current_date + 6, current_date + 7) \gset
BEGIN;
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload, writer_xid,
                           room_type, first_night, end_night, free_delta)
VALUES (-1, 'restored', 0, :p, '{}', '3', 'E', current_date + 6, current_date + 7, -1);
SELECT writer_xid = pg_current_xact_id() AS this_transactions FROM booking.event WHERE event_id = -1;
COMMIT;
SELECT :free_before - available AS counted_by_readers FROM booking.availability(:p, current_date + 6, current_date + 7);
DELETE FROM booking.event WHERE event_id = -1;
SELECT available = :free_before AS back FROM booking.availability(:p, current_date + 6, current_date + 7);
-- availability counts its own property's pending changes and no other's
-- (2.0 reads the property from the index entries: the rows of other
-- properties' events are not even read); both written in this
-- transaction, so neither is published yet
BEGIN;
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload,
                           room_type, first_night, end_night, free_delta)
VALUES (-5, 'restored', 0, :p + 1024, '{}', 'E', current_date + 6, current_date + 7, -1),
       (-6, 'restored', 0, :p, '{}', 'E', current_date + 6, current_date + 7, -1);
SELECT :free_before - available AS counted_own_property_only
  FROM booking.availability(:p, current_date + 6, current_date + 7);
ROLLBACK;
-- a modified event put in by hand without its old stay: the readers say
-- which event and what it lacks (not "function returned NULL")
BEGIN;
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload,
                           room_type, first_night, end_night, free_delta)
VALUES (-7, 'modified', 0, :p, '{"before": {}}', 'E', current_date + 6, current_date + 7, -1);
SELECT t.try(format($$SELECT count(*) FROM booking.availability(%s, current_date + 6, current_date + 7)$$, :p));
ROLLBACK;
-- the same through a prepared statement, and after a rolled-back savepoint
PREPARE put(bigint) AS INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload, writer_xid)
VALUES ($1, 'restored', 0, 0, '{}', '3');
BEGIN;
SAVEPOINT s;
EXECUTE put(-2);
ROLLBACK TO SAVEPOINT s;
EXECUTE put(-3);
SELECT writer_xid = pg_current_xact_id() AS this_transactions FROM booking.event WHERE event_id = -3;
COMMIT;
DEALLOCATE put;
-- a row that still comes in with an older writer_xid (the trigger
-- disabled, as pg_restore --disable-triggers does, and the publisher's
-- scan_from past it, as after a pass that ran meanwhile): while
-- event_local_writer is not enabled ALWAYS, purge() and the sweeper's
-- rounds look from the start, as up to 1.2, and publish it
SELECT booking.purge() >= 0 AS purged;
SELECT count(*) AS signals FROM booking.event_load_signal;
ALTER TABLE booking.event DISABLE TRIGGER event_local_writer;
UPDATE booking.event_publisher SET scan_from = pg_current_xact_id();
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload, writer_xid)
VALUES (-4, 'restored', 0, 0, '{}', '3');
SELECT booking.purge() >= 1 AS purged;
SELECT position IS NOT NULL AS published FROM booking.event WHERE event_id = -4;
-- enabling it again (ALWAYS) is an ALTER TABLE of booking.event: it
-- leaves a signal
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;
SELECT count(*) AS signals FROM booking.event_load_signal;
SELECT booking.purge() >= 0 AS purged;
SELECT count(*) AS signals FROM booking.event_load_signal;
-- with the trigger enabled ALWAYS no pass looks from the start on its
-- own (2.0): an event put below scan_from by no signalling statement
-- (here its writer_xid rewritten by the owner) waits until a signal,
-- then the next pass walks from the start and publishes it
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload)
VALUES (-7, 'restored', 0, 0, '{}');
UPDATE booking.event SET writer_xid = '3' WHERE event_id = -7;
UPDATE booking.event_publisher SET scan_from = pg_current_xact_id();
SELECT booking.purge() >= 0 AS purged;
SELECT position IS NULL AS waits FROM booking.event WHERE event_id = -7;
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;
SELECT count(*) AS signals FROM booking.event_load_signal;
SELECT booking.purge() >= 1 AS purged;
SELECT position IS NOT NULL AS published FROM booking.event WHERE event_id = -7;
SELECT count(*) AS signals FROM booking.event_load_signal;
-- pg_restore --disable-triggers ends with ENABLE TRIGGER ALL, which
-- enables event_local_writer for origin sessions only: a row a replica
-- session then inserts keeps its writer_xid and signals nothing, so the
-- rounds and purge() look from the start until it is enabled ALWAYS again
ALTER TABLE booking.event DISABLE TRIGGER ALL;
ALTER TABLE booking.event ENABLE TRIGGER ALL;
SELECT tgenabled FROM pg_trigger
 WHERE tgrelid = 'booking.event'::regclass AND tgname = 'event_local_writer';
SELECT booking.purge() >= 0 AS purged;
UPDATE booking.event_publisher SET scan_from = pg_current_xact_id();
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload, writer_xid)
VALUES (-6, 'restored', 0, 0, '{}', '3');
COMMIT;
SELECT count(*) AS signals FROM booking.event_load_signal;
SELECT booking.purge() >= 1 AS purged;
SELECT position IS NOT NULL AS published FROM booking.event WHERE event_id = -6;
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;
SELECT booking.purge() >= 0 AS purged;
-- the same with the trigger dropped and created again, in a replica
-- session (event triggers and event_local_writer fire ALWAYS), at
-- REPEATABLE READ: the signal takes no lock on the publisher's row and
-- cannot fail to serialize
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL session_replication_role = replica;
DROP TRIGGER event_local_writer ON booking.event;
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload, writer_xid)
VALUES (-5, 'restored', 0, 0, '{}', '3');
CREATE TRIGGER event_local_writer
    BEFORE INSERT ON booking.event
    FOR EACH ROW
    WHEN (NEW.writer_xid OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id()
          OR NEW.position IS NOT NULL)
    EXECUTE FUNCTION booking.event_local_writer();
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;
SELECT count(*) AS signals FROM booking.event_load_signal;
COMMIT;
SELECT booking.purge() >= 1 AS purged;
SELECT position IS NOT NULL AS published FROM booking.event WHERE event_id = -5;
SELECT count(*) AS signals FROM booking.event_load_signal;
DELETE FROM booking.event WHERE event_id < 0;
-- events deleted by hand leave their ids in their publishing passes:
-- the repair drops the rows none of whose events are left, as the
-- documentation says to after such a DELETE (else every new consumer's
-- read looks them up again, and says so)
SELECT booking.repair_event_passes() AS made;
-- a load of more events than a pass publishes (10,000): the pass from the
-- start publishes the 10,000 smallest event ids and leaves the last one,
-- whose writer_xid is below scan_from; it moves scan_from back to it, so
-- the next pass (no signal left) publishes it
ALTER TABLE booking.event DISABLE TRIGGER event_local_writer;
UPDATE booking.event_publisher SET scan_from = pg_current_xact_id();
INSERT INTO booking.event (event_id, kind, reservation_id, property_id, payload, writer_xid)
SELECT -20001 + i, 'restored', 0, 0, '{}', CASE WHEN i = 10001 THEN '2' ELSE '3' END::xid8
  FROM generate_series(1, 10001) AS i;
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;
SELECT booking.purge() >= 10000 AS purged;
SELECT count(*) AS left_for_later, min(event_id) AS left_event FROM booking.event
 WHERE event_id < 0 AND position IS NULL;
SELECT count(*) AS signals FROM booking.event_load_signal;
SELECT scan_from <= '2' AS back_to_it FROM booking.event_publisher;
SELECT booking.purge() >= 1 AS purged;
SELECT count(*) AS unpublished FROM booking.event WHERE event_id < 0 AND position IS NULL;
DELETE FROM booking.event WHERE event_id < 0;
SELECT booking.repair_event_passes() AS made;
-- the event trigger runs at the end of every ALTER TABLE and CREATE
-- TRIGGER in the database: a role with no right on schema booking alters
-- its own tables as before, and leaves no signal
CREATE ROLE t_events_outsider;
CREATE SCHEMA t_events_outsider AUTHORIZATION t_events_outsider;
SET ROLE t_events_outsider;
CREATE TABLE t_events_outsider.notes (note text);
ALTER TABLE t_events_outsider.notes ADD COLUMN written_at timestamptz;
ALTER TABLE t_events_outsider.notes DISABLE TRIGGER ALL;
CREATE FUNCTION t_events_outsider.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER noop BEFORE INSERT ON t_events_outsider.notes FOR EACH ROW EXECUTE FUNCTION t_events_outsider.noop();
RESET ROLE;
SELECT count(*) AS signals FROM booking.event_load_signal;
DROP SCHEMA t_events_outsider CASCADE;
DROP ROLE t_events_outsider;

-- read_events makes the published events durable before it returns them
-- (the sweeper publishes asynchronously): it flushes the WAL inserted so
-- far.  When the last record ended at a page boundary, the insert position
-- is past the next page's header, which nothing has written: flushing to
-- it failed ("xlog flush request ... is not satisfied"), as a CI run
-- showed.  Pad the WAL to a page boundary, then read.
SELECT count(*) >= 0 AS registered FROM booking.read_events('page-walker', 1);
SELECT state FROM booking.cancel_reservation(
    (booking.reserve_range(:p, 'E', current_date + 8, current_date + 9)).reservation_id);
SELECT booking.purge(100000) >= 2 AS all_published;
CREATE FUNCTION t.read_at_page_boundary() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    before pg_lsn;
    after pg_lsn;
    overhead int;
    remaining int;
    got int;
BEGIN
    FOR attempt IN 1..50 LOOP
        -- a probe of the size class of the pad (payloads from 256 bytes
        -- have a longer record header) measures the header; records are
        -- 8-byte aligned, so a pad ending in the last 8 bytes of the page
        -- ends the record at the boundary
        before := pg_current_wal_insert_lsn();
        PERFORM pg_logical_emit_message(false, 'pad', repeat('x', 1000));
        after := pg_current_wal_insert_lsn();
        overhead := (after - before)::int - 1000;
        remaining := 8192 - ((after - '0/0'::pg_lsn)::bigint % 8192)::int;
        -- (a probe that crossed into a new page also counted its header)
        IF (before - '0/0'::pg_lsn)::bigint / 8192 = (after - '0/0'::pg_lsn)::bigint / 8192
           AND remaining - overhead >= 256 THEN
            PERFORM pg_logical_emit_message(false, 'pad', repeat('x', remaining - overhead));
            IF ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint % 8192) IN (24, 40) THEN
                SELECT count(*) INTO got FROM booking.read_events('page-walker', 5);
                RETURN CASE WHEN got > 0 THEN 'events read with the WAL insert position just past a page header'
                            ELSE 'no event to read' END;
            END IF;
        END IF;
    END LOOP;
    RETURN 'the page boundary was not reached';
END
$$;
SELECT t.read_at_page_boundary();
DROP FUNCTION t.read_at_page_boundary();

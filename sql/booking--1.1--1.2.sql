/*-------------------------------------------------------------------------
 * booking--1.1--1.2.sql
 *    Version 1.2: the security fixes (pinned search_path everywhere, a
 *    publish lock nobody else can take, restores the sweeper cannot
 *    corrupt, an inventory repair for the DBA) and the new write path
 *    (the room calendar folded from the event outbox by the sweeper,
 *    writers no longer queue on it).
 *
 * Sections are independent; each says what it changes and why.
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking UPDATE TO '1.2'" to load this file. \quit

/* ---------------------------------------------------------------------
 * Search path: every function, the event trigger's included, runs with
 * search_path = pg_catalog, pg_temp.
 *
 * The DROP guard runs as whoever types DROP EXTENSION, usually a
 * superuser; without a pinned search_path its SQL resolved operators
 * along that superuser's path, where a planted operator could run as the
 * superuser.  The state machine trigger, node_of and calendar_add run no
 * SQL, but no function of the extension is left to the caller's path:
 * the rule is "every function", and it is checked (test/pgtap).  The
 * SQL in the C code also writes every operator OPERATOR(pg_catalog.x)
 * (test/lint/sql-operators).
 *
 * The guard also watches DROP SCHEMA (DROP SCHEMA booking CASCADE drops
 * the extension and every booking with it) and DROP OWNED (DROP OWNED BY
 * the extension's owner does the same); an event trigger's tags cannot be
 * altered, so it is created again.
 * ---------------------------------------------------------------------
 */
ALTER FUNCTION booking.guard_drop_extension() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION booking.enforce_state_transition() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION booking.node_of(bigint) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION booking.calendar_add(int[], int, int, int) SET search_path = pg_catalog, pg_temp;

DROP EVENT TRIGGER booking_guard_drop;
CREATE EVENT TRIGGER booking_guard_drop
    ON ddl_command_start WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION booking.guard_drop_extension();

/* ---------------------------------------------------------------------
 * The sweeper: its health in booking.stats, restores and repairs.
 * ---------------------------------------------------------------------
 */

/*
 * booking.stats gains, at the end: sweeper_errors (rounds in which a step
 * failed; such a round no longer advances sweeper_runs nor last_sweep_at),
 * expiry_failures (holds the sweeper could not expire and set aside),
 * expiry_helpers (workers it started to expire a backlog beside it) and
 * sweeper_paused (it is waiting for a backend that loads data, a restore,
 * to disconnect).  A view's columns cannot be added to in place: the view
 * and the function are dropped, recreated and granted as 1.0 did.
 */
DROP VIEW booking.stats;
DROP FUNCTION booking.stats();

CREATE FUNCTION booking.stats()
    RETURNS TABLE(preloaded bool, reserve_attempts bigint, reserve_successes bigint,
                  reserve_conflicts bigint, idempotent_replays bigint,
                  payments_begun bigint, confirms bigint, late_confirms bigint,
                  cancels bigint, expirations bigint, lock_timeouts bigint,
                  sweeper_runs bigint, last_sweep_at timestamptz, stats_reset_at timestamptz,
                  sweeper_errors bigint, expiry_failures bigint, expiry_helpers bigint,
                  sweeper_paused bool)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_stats';

CREATE VIEW booking.stats AS SELECT * FROM booking.stats();

REVOKE ALL ON FUNCTION booking.stats() FROM PUBLIC;
REVOKE ALL ON booking.stats FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.stats() TO booking_admin;
GRANT SELECT ON booking.stats TO booking_admin;

/*
 * repair_inventory(): recounts every night's held and booked from the
 * reservations, fixes the nights that disagree (locked in the global
 * order), refreshes their room calendar, and returns one row per night
 * that disagreed: fixed, or not (its recount exceeds its units, or it has
 * no inventory row) with the reason.  For the DBA: booking_admin only.
 */
CREATE FUNCTION booking.repair_inventory()
    RETURNS TABLE(property_id bigint, room_type text, night date,
                  held_before int, held_after int, booked_before int, booked_after int,
                  fixed bool, reason text)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_repair_inventory';

REVOKE ALL ON FUNCTION booking.repair_inventory() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.repair_inventory() TO booking_admin;

/* ---------------------------------------------------------------------
 * The event outbox and the room calendar.
 * ---------------------------------------------------------------------
 */

/*
 * Every event records the change it made to the free units of its room
 * type: free_delta on each night of [first_night, end_night), NULL when
 * it moved no units.  The publisher folds these into the room calendar,
 * and readers add those of the events not published yet, so writers
 * never touch the calendar (src/events.c, src/calendar.c).
 */
ALTER TABLE booking.event
    ADD COLUMN room_type text,
    ADD COLUMN first_night date,
    ADD COLUMN end_night date,
    ADD COLUMN free_delta int;

/*
 * The publisher's lock is a row lock on the one row of this table.
 * Locking a row needs UPDATE on its table, which nobody but the
 * extension's owner has, so no other role can hold publishing up (an
 * advisory lock, as in 1.1, any role could take).  Not dumped: the row
 * comes with every CREATE EXTENSION.
 */
CREATE TABLE booking.event_publisher (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- every event not published yet has writer_xid >= scan_from (events.c)
    scan_from xid8 NOT NULL DEFAULT '0'
);
INSERT INTO booking.event_publisher DEFAULT VALUES;
REVOKE ALL ON booking.event_publisher FROM PUBLIC;

/*
 * The events not published yet, by the transaction that wrote them.  The
 * publisher and the calendar's readers look only at writer_xid >=
 * event_publisher.scan_from: every transaction older than that had ended
 * when a pass began, so its events were published then.  (1.1 walked an
 * index on event_id from its first entry: the entries of every event
 * published since the last VACUUM, on every pass and every search.)
 */
DROP INDEX booking.event_unpublished_idx;
CREATE INDEX event_unpublished_xid_idx ON booking.event (writer_xid) WHERE position IS NULL;

/*
 * That rule holds only if writer_xid is the xid of the transaction that
 * inserted the row.  The engine writes it so; a row put in by other means
 * (a restore's COPY, which carries another cluster's xids, an INSERT by
 * the owner) gets it here.  ENABLE ALWAYS: it fires under
 * session_replication_role = replica too.  A restore with
 * --disable-triggers bypasses it: the sweeper's rounds and purge() look
 * at every unpublished event, whatever its writer_xid, and publish those.
 */
CREATE FUNCTION booking.event_local_writer() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_event_local_writer';
REVOKE ALL ON FUNCTION booking.event_local_writer() FROM PUBLIC;
CREATE TRIGGER event_local_writer
    BEFORE INSERT ON booking.event
    FOR EACH ROW
    WHEN (NEW.writer_xid OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id())
    EXECUTE FUNCTION booking.event_local_writer();
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;

/*
 * From 1.2 on the calendar's writer is the publisher, which folds events
 * in batches: a day on sale may be below zero until its next pass, so a
 * day not on sale says -2147483648 instead of -1.
 */
UPDATE booking.room_calendar SET free = pg_catalog.array_replace(free, -1, -2147483648)
 WHERE -1 OPERATOR(pg_catalog.=) ANY (free);

/* calendar_apply adds deltas[d] to free[d], leaving days not on sale alone. */
CREATE FUNCTION booking.calendar_apply(free int[], deltas int[]) RETURNS int[]
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_calendar_apply';
REVOKE ALL ON FUNCTION booking.calendar_apply(int[], int[]) FROM PUBLIC;

/* The state labels the C side knows, in its order: a test compares them with the enum. */
CREATE FUNCTION booking.state_names() RETURNS text[]
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_state_names';
REVOKE ALL ON FUNCTION booking.state_names() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.state_names() TO booking_admin;

/*
 * check_invariants() recounts everything in one statement whose estimated
 * cost crosses JIT's thresholds; compiling it costs a second and saves
 * nothing on an OLTP server.
 */
ALTER FUNCTION booking.check_invariants() SET jit = off;

/*
 * Expiry takes the oldest dead holds first, ties broken by id: with the
 * id in the index, a batch reads its holds in order instead of sorting
 * every hold that shares a deadline.  The index holds live holds only.
 */
DROP INDEX booking.reservation_hold_deadline_idx;
CREATE INDEX reservation_hold_deadline_idx
    ON booking.reservation (hold_expires_at, reservation_id)
    WHERE state OPERATOR(pg_catalog.=) ANY ('{held,payment_pending}'::booking.booking_state[]);

/* ---------------------------------------------------------------------
 * booking_consumer: the role of an event outbox consumer (new in 1.2).
 *
 * Until 1.1 a consumer needed booking_admin, which also runs the catalog,
 * reads every reservation and resets the stats.  booking_consumer may
 * read and acknowledge events and nothing else: EXECUTE on read_events
 * and ack_events (SECURITY DEFINER, so no table privilege is needed) and
 * USAGE on the schema to reach them.  Created like the other roles, only
 * when missing (roles are cluster-wide).  booking_admin is a member, so
 * admins keep the outbox they had.
 * ---------------------------------------------------------------------
 */
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) 'booking_consumer') THEN
        CREATE ROLE booking_consumer NOLOGIN;
    END IF;
END
$roles$;

GRANT USAGE ON SCHEMA booking TO booking_consumer;
GRANT EXECUTE ON FUNCTION
    booking.read_events(text, int),
    booking.ack_events(text, bigint)
    TO booking_consumer;
GRANT booking_consumer TO booking_admin;

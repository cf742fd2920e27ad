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

/* ---------------------------------------------------------------------
 * The event outbox and the room calendar.
 * ---------------------------------------------------------------------
 */

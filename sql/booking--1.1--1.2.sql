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
 * ---------------------------------------------------------------------
 */

/* ---------------------------------------------------------------------
 * The sweeper: its health in booking.stats, restores and repairs.
 * ---------------------------------------------------------------------
 */

/*
 * booking.stats gains, at the end: sweeper_errors (rounds in which a step
 * failed; such a round no longer advances sweeper_runs nor last_sweep_at),
 * expiry_failures (holds the sweeper could not expire and set aside) and
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
                  sweeper_errors bigint, expiry_failures bigint, sweeper_paused bool)
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

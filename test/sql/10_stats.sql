-- Stats: shared-memory counters move as operations happen; hold_ages
-- describes live holds.  The counters need booking in
-- shared_preload_libraries (test/run-all's cluster has it): on a server
-- without it, booking.stats says so with NULL counters, stats_reset
-- refuses, and the rest of this file is skipped (its output is then
-- expected/10_stats_1.out).
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT preloaded FROM booking.stats \gset
\if :preloaded
\else
SELECT preloaded, num_nulls(reserve_attempts, confirms, sweeper_runs, stats_reset_at, sweeper_paused) AS null_counters
  FROM booking.stats;
SELECT t.try('SELECT booking.stats_reset()') AS reset;
\echo 'skipped: booking is not in shared_preload_libraries, so there are no counters to test'
\q
\endif
SELECT preloaded FROM booking.stats;
CREATE TEMP TABLE before AS SELECT * FROM booking.stats();

SELECT booking.add_property('Stats Inn', 'Leiria', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'S', 'Room', 1, 2, 10);
SELECT booking.open_inventory(:p, 'S', current_date, current_date + 10);
SELECT reservation_id AS r FROM booking.reserve_range(:p, 'S', current_date + 1, current_date + 2, 1, 'g', 'stats-key') \gset
SELECT state FROM booking.reserve_range(:p, 'S', current_date + 1, current_date + 2, 1, 'g', 'stats-key');
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'S', current_date + 1, current_date + 2)$$, :p));
SELECT state FROM booking.begin_payment(:r, 'pi_stats');
SELECT state FROM booking.confirm_booking(:r, 'ch_stats');
SELECT state FROM booking.cancel_reservation(:r);
SELECT reservation_id AS r2 FROM booking.reserve_range(:p, 'S', current_date + 3, current_date + 4) \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :r2;
SELECT booking.expire_holds() AS expired;
SELECT state FROM booking.confirm_booking(:r2, 'ch_late');

SELECT a.reserve_attempts - b.reserve_attempts AS attempts,
       a.reserve_successes - b.reserve_successes AS successes,
       a.reserve_conflicts - b.reserve_conflicts AS conflicts,
       a.idempotent_replays - b.idempotent_replays AS replays,
       a.payments_begun - b.payments_begun AS payments,
       a.confirms - b.confirms AS confirms,
       a.late_confirms - b.late_confirms AS late_confirms,
       a.cancels - b.cancels AS cancels,
       a.expirations - b.expirations >= 1 AS expirations
  FROM booking.stats() a, before b;
-- The sweeper's health (1.2).  It works in database postgres, not here, so
-- only what holds wherever it is: a round counts in sweeper_runs (and
-- advances last_sweep_at, which stats_reset() keeps: a reset zeroes the
-- counts, not when the sweeper last swept) or, if a step failed, in
-- sweeper_errors; nothing loads postgres now, so it is not paused.
-- test/worker/run checks the counts move as they should.
SELECT sweeper_errors >= 0 AS errors_counted, expiry_failures >= 0 AS failures_counted,
       expiry_helpers >= 0 AS helpers_counted,
       (sweeper_runs = 0 OR last_sweep_at IS NOT NULL) AS runs_have_last_sweep,
       NOT sweeper_paused AS not_paused
  FROM booking.stats;

-- hold_ages: live holds only, by age
SELECT reservation_id AS h1 FROM booking.reserve_range(:p, 'S', current_date + 5, current_date + 6) \gset
UPDATE booking.reservation SET created_at = now() - interval '10 minutes' WHERE reservation_id = :h1;
SELECT holds >= 1 AS has_holds, max_age >= interval '10 minutes' AS oldest_seen FROM booking.hold_ages;

-- reset
SELECT booking.stats_reset();
SELECT reserve_attempts, confirms, stats_reset_at > now() - interval '1 minute' AS just_reset FROM booking.stats;

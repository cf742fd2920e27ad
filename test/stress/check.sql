-- test/stress/check.sql: the assertions after the concurrent run.  Each
-- query prints one line per violation, prefixed with FAIL; a clean run
-- prints none.  test/stress/run runs it twice: right after pgbench (with
-- -v outcomes=1), and again after every hold has been expired and every
-- booking cancelled.

\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on

-- 1. The engine's own check.
SELECT 'FAIL check_invariants: ' || c::text
  FROM booking.check_invariants() c;

-- 2. An independent recount: every live hold (held, or payment_pending:
-- the guest is paying) counts `rooms` held on each night of [check_in,
-- check_out), every confirmed reservation `rooms` booked.
WITH expect AS (
    SELECT r.property_id, r.room_type, n::date AS night,
           coalesce(sum(r.rooms) FILTER (WHERE r.state IN ('held', 'payment_pending')), 0) AS held,
           coalesce(sum(r.rooms) FILTER (WHERE r.state = 'confirmed'), 0) AS booked
      FROM booking.reservation r,
           generate_series(r.check_in, r.check_out - 1, interval '1 day') n
     WHERE r.state IN ('held', 'payment_pending', 'confirmed')
     GROUP BY 1, 2, 3
)
SELECT format('FAIL recount: %s %s night %s: inventory held=%s booked=%s, reservations say held=%s booked=%s',
              coalesce(i.property_id, e.property_id), coalesce(i.room_type, e.room_type),
              coalesce(i.night, e.night), i.held, i.booked,
              coalesce(e.held, 0), coalesce(e.booked, 0))
  FROM booking.inventory i
  FULL JOIN expect e USING (property_id, room_type, night)
 WHERE i.night IS NULL
    OR i.held <> coalesce(e.held, 0)
    OR i.booked <> coalesce(e.booked, 0);

-- 3. No oversell, nothing negative.
SELECT format('FAIL oversell: %s %s night %s: units=%s held=%s booked=%s',
              property_id, room_type, night, units, held, booked)
  FROM booking.inventory
 WHERE held < 0 OR booked < 0 OR held + booked > units;

-- 4. Unexpected outcomes of the concurrent run (any SQLSTATE the contract
-- does not document for the call, deadlocks included), with a sample
-- message; only on the first pass (psql -v outcomes=1).
\if :{?outcomes}
SELECT format('FAIL unexpected outcome: %s %s x%s: %s',
              op, code, count(*), min(message))
  FROM stress.outcome
 WHERE NOT expected
 GROUP BY op, code;
\endif

-- 5. Each idempotency key stands for exactly one reservation, and a
-- payment_ref confirms at most one.
SELECT format('FAIL idempotency: key %s has %s rows', key, count(*))
  FROM booking.idempotency_key
 GROUP BY scope, key
HAVING count(*) > 1;
-- (A payer is a lone reservation or a group: every confirmed line of a
-- group carries the group's payment_ref.)
SELECT format('FAIL payment_ref %s on %s payers', payment_ref, count(DISTINCT coalesce(group_id, reservation_id)))
  FROM booking.reservation
 WHERE payment_ref IS NOT NULL
 GROUP BY payment_ref
HAVING count(DISTINCT coalesce(group_id, reservation_id)) > 1;
SELECT format('FAIL confirmed reservation %s has no payment_ref', reservation_id)
  FROM booking.reservation
 WHERE state = 'confirmed' AND payment_ref IS NULL;
SELECT format('FAIL payment_intent %s on %s reservations', payment_intent, count(*))
  FROM booking.reservation
 WHERE payment_intent IS NOT NULL
 GROUP BY payment_intent
HAVING count(*) > 1;

-- 6. Groups (2.0): a group's id is its first line's reservation_id, its
-- lines share one property and one guest, and they were paid with one
-- payment_ref, which its first line carries.
SELECT format('FAIL group %s: lowest line %s, %s properties, %s guests, %s payment_refs, first line''s ref %s',
              group_id, min(reservation_id), count(DISTINCT property_id),
              count(DISTINCT coalesce(guest_id, '')), count(DISTINCT payment_ref),
              min(payment_ref) FILTER (WHERE reservation_id = group_id))
  FROM booking.reservation
 WHERE group_id IS NOT NULL
 GROUP BY group_id
HAVING min(reservation_id) <> group_id
    OR count(DISTINCT property_id) > 1
    OR count(DISTINCT coalesce(guest_id, '')) > 1
    OR count(DISTINCT payment_ref) > 1
    OR (count(payment_ref) > 0
        AND min(payment_ref) FILTER (WHERE reservation_id = group_id) IS NULL);

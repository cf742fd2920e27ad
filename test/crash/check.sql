-- test/crash/check.sql: after a crash and restart, every line printed is a
-- failure.  ck.* hold what the clients acknowledged in every round so far.

-- 1. The engine's own invariant check.
SELECT format('check_invariants: %s %s %s: %s', property_id, room_type, night, problem)
  FROM booking.check_invariants();

-- 2. An independent recount of every night from the reservations:
--    held + payment_pending count as held, confirmed as booked.
WITH nights AS (
    SELECT r.property_id, r.room_type, d::date AS night,
           sum(r.rooms) FILTER (WHERE r.state IN ('held', 'payment_pending')) AS held,
           sum(r.rooms) FILTER (WHERE r.state = 'confirmed') AS booked
      FROM booking.reservation r,
           generate_series(r.check_in, r.check_out - 1, interval '1 day') d
     GROUP BY 1, 2, 3)
SELECT format('recount: %s %s %s: inventory held=%s booked=%s units=%s, reservations say held=%s booked=%s',
              i.property_id, i.room_type, i.night, i.held, i.booked, i.units,
              coalesce(n.held, 0), coalesce(n.booked, 0))
  FROM booking.inventory i
  FULL JOIN nights n USING (property_id, room_type, night)
 WHERE i.night IS NULL
    OR i.held <> coalesce(n.held, 0) OR i.booked <> coalesce(n.booked, 0)
    OR i.held + i.booked > i.units;

-- 3. Every acknowledged reservation still exists, as the same stay.
SELECT format('lost reservation: %s (client %s round %s op %s acknowledged it %s)',
              a.reservation_id, a.client, a.round, a.seq, a.state)
  FROM ck.reserve a LEFT JOIN booking.reservation r USING (reservation_id)
 WHERE r.reservation_id IS NULL
    OR (r.room_type, r.check_in, r.check_out, r.rooms) IS DISTINCT FROM (a.room_type, a.check_in, a.check_out, a.rooms);
SELECT format('lost change: %s of reservation %s (client %s round %s op %s)',
              c.kind, c.reservation_id, c.client, c.round, c.seq)
  FROM ck.change c LEFT JOIN booking.reservation r USING (reservation_id)
 WHERE r.reservation_id IS NULL;

-- 4. Every acknowledged confirm is still confirmed with its payment_ref,
--    unless this client's own cancel of confirmed bookings (X, reason
--    'cc client round seq') took it: acknowledged, or the call that was in
--    flight when the server went down.
WITH last_done AS (SELECT client, round, max(seq) AS seq FROM ck.done GROUP BY 1, 2)
SELECT format('confirm lost: reservation %s acknowledged confirmed with %s (client %s round %s op %s) is now %s, payment_ref %s, cancel_reason %s',
              c.reservation_id, c.payment_ref, c.client, c.round, c.seq, r.state, r.payment_ref,
              coalesce(r.cancel_reason, '-'))
  FROM ck.change c JOIN booking.reservation r USING (reservation_id)
 WHERE c.kind = 'C'
   AND NOT (r.state = 'confirmed' AND r.payment_ref = c.payment_ref)
   AND NOT (r.state = 'cancelled' AND r.payment_ref = c.payment_ref AND EXISTS (
            SELECT 1
              FROM regexp_split_to_array(r.cancel_reason, ' ') w
              LEFT JOIN last_done l ON l.client = w[2]::int AND l.round = w[3]::int
             WHERE w[1] = 'cc'
               AND (EXISTS (SELECT 1 FROM ck.change x
                             WHERE x.kind = 'X' AND x.reservation_id = c.reservation_id
                               AND (x.client, x.round, x.seq) = (w[2]::int, w[3]::int, w[4]::int))
                    OR w[4]::int = coalesce(l.seq, 0) + 1)));

-- 5. An acknowledged cancel stays cancelled (cancelled is terminal).
SELECT format('cancel lost: reservation %s acknowledged cancelled (client %s round %s op %s) is now %s',
              c.reservation_id, c.client, c.round, c.seq, r.state)
  FROM ck.change c JOIN booking.reservation r USING (reservation_id)
 WHERE c.kind IN ('H', 'X') AND c.state = 'cancelled' AND r.state <> 'cancelled';

-- 6. Every acknowledgement of one (guest, key) named the same reservation.
SELECT format('key %s of %s was answered with reservations %s', key, guest,
              string_agg(DISTINCT reservation_id::text, ', '))
  FROM ck.reserve WHERE key IS NOT NULL
 GROUP BY guest, key HAVING count(DISTINCT reservation_id) > 1;

-- test/load/check.sql: after the run; every line printed is a failure.
SELECT format('check_invariants: %s %s %s: %s', property_id, room_type, night, problem)
  FROM booking.check_invariants();
SELECT format('oversold: %s %s held=%s booked=%s units=%s', room_type, night, held, booked, units)
  FROM booking.inventory WHERE held + booked > units OR held < 0 OR booked < 0;
WITH nights AS (
    SELECT r.room_type, d::date AS night,
           sum(r.rooms) FILTER (WHERE r.state IN ('held', 'payment_pending')) AS held,
           sum(r.rooms) FILTER (WHERE r.state = 'confirmed') AS booked
      FROM booking.reservation r, generate_series(r.check_in, r.check_out - 1, interval '1 day') d
     GROUP BY 1, 2)
SELECT format('recount: %s %s inventory held=%s booked=%s, reservations say %s/%s',
              i.room_type, i.night, i.held, i.booked, coalesce(n.held, 0), coalesce(n.booked, 0))
  FROM booking.inventory i FULL JOIN nights n USING (room_type, night)
 WHERE i.night IS NULL OR i.held <> coalesce(n.held, 0) OR i.booked <> coalesce(n.booked, 0);
SELECT format('key %s answered %s different reservations', key, count(DISTINCT reservation_id))
  FROM ld.outcome WHERE key IS NOT NULL AND code = 'ok'
 GROUP BY key HAVING count(DISTINCT reservation_id) > 1;
SELECT format('undocumented outcome: %s %s x%s: %s (context: %s)', op, code, count(*), min(message),
              replace(min(context), E'\n', ' / '))
  FROM ld.outcome WHERE NOT allowed GROUP BY op, code;

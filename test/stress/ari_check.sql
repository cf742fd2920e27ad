-- test/stress/ari_check.sql: the snapshot plus the feed equals the live
-- state (run after the feed is drained).  One FAIL line per night that
-- differs.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
SELECT format('FAIL ari: %s night %s: feed says available=%s price=%s closed=%s, live available=%s price=%s',
              coalesce(m.room_type, l.room_type), coalesce(m.night, l.night),
              m.available, m.price, m.closed, l.available, l.price)
  FROM stress.ari_mirror m
  FULL JOIN booking.availability((SELECT property_id FROM stress.fixture),
                                 current_date, current_date + 60) l
    USING (room_type, night)
 WHERE m.night IS NULL OR l.night IS NULL
    OR m.available IS DISTINCT FROM l.available OR m.price IS DISTINCT FROM l.price OR m.closed;
SELECT 'FAIL ari: the snapshot was never taken' WHERE NOT EXISTS (SELECT FROM stress.ari_state);
SELECT 'FAIL ari: the feed delivered nothing during the run'
  FROM stress.ari_state WHERE rows_applied = 0;

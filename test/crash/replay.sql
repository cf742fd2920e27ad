-- test/crash/replay.sql: replays every acknowledged idempotency key with
-- its arguments.  Each replay must answer the reservation first
-- acknowledged and create nothing (the count of reservations must not
-- move; the sweeper may expire holds meanwhile, so held is not compared).
-- Prints failures, then "REPLAYED n".
CREATE TEMP TABLE counts_before AS SELECT count(*) AS reservations FROM booking.reservation;
CREATE TEMP TABLE replayed AS
SELECT DISTINCT ON (a.guest, a.key) a.guest, a.key, a.reservation_id AS acknowledged,
       (booking.reserve_range((SELECT property_id FROM booking.property WHERE name = 'Crash Hotel'),
                              a.room_type, a.check_in, a.check_out, a.rooms, a.guest, a.key,
                              a.hold)).reservation_id AS answered
  FROM ck.reserve a
 WHERE a.key IS NOT NULL
 ORDER BY a.guest, a.key, a.round, a.seq;
SELECT format('replay of key %s (%s) answered %s, acknowledged %s', key, guest, answered, acknowledged)
  FROM replayed WHERE answered IS DISTINCT FROM acknowledged;
SELECT format('replays created reservations: %s before, %s after', b.reservations, a.n)
  FROM counts_before b, (SELECT count(*) AS n FROM booking.reservation) a
 WHERE a.n <> b.reservations;
SELECT 'REPLAYED ' || count(*) FROM replayed;

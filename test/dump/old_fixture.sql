-- test/dump/old_fixture.sql: a database at 1.2 whose events were
-- published (positions given, no publishing passes: those came in 2.0)
-- and a consumer that read and acknowledged some of them.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION booking VERSION '1.2';
SELECT booking.add_property('Old House', 'Porto', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'R', 'Room', 10, 2, 100);
SELECT booking.open_inventory(:p, 'R', current_date + 1, current_date + 60);
SELECT count(booking.confirm_booking(r.reservation_id, 'old-pay-' || g))
  FROM generate_series(1, 6) g,
       LATERAL booking.reserve_range(:p, 'R', current_date + 2 * g, current_date + 2 * g + 2) r;
SELECT booking.purge(1) >= 0 AS published;
SELECT count(*) FROM booking.read_events('old-reader', 5);
SELECT booking.ack_events('old-reader', (SELECT event_id FROM booking.event ORDER BY position OFFSET 4 LIMIT 1));

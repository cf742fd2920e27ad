-- test/dump/swept_fixture.sql: a database for restoring under a sweeper:
-- 20 room types x 400 nights, confirmed bookings, and 30 holds that are
-- alive when dumped (3-second deadlines) and dead by the time they are
-- restored.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION booking;
SELECT booking.add_property('Swept Hotel', 'Restoreville') AS p \gset
SELECT count(booking.add_room_type(:p, 'T' || g, 'Type ' || g, 4, 2, 100 + g))
  FROM generate_series(1, 20) g;
SELECT sum(booking.open_inventory(:p, 'T' || g, current_date + 1, current_date + 401))
  FROM generate_series(1, 20) g;
SELECT count(booking.confirm_booking(r.reservation_id, 'pay-' || r.reservation_id))
  FROM generate_series(1, 20) g,
       LATERAL booking.reserve_range(:p, 'T' || g, current_date + 10 + g, current_date + 13 + g) r;
SELECT count(*)
  FROM generate_series(1, 30) g,
       LATERAL booking.reserve_range(:p, 'T' || (1 + g % 20), current_date + 100 + 7 * g,
                                     current_date + 102 + 7 * g, hold => '3 seconds') r;

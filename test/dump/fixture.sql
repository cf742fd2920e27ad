-- test/dump/fixture.sql: a database with something in every table of the
-- extension: two properties, room types, nights, stay rules (the room
-- calendar follows), reservations in every state, idempotency keys, events
-- read and acknowledged by a consumer.  fx.keyed remembers the arguments of
-- every keyed reserve so that it can be replayed after the restore.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION booking;
CREATE SCHEMA fx;
CREATE TABLE fx.keyed (guest text, key text, property_id bigint, room_type text, check_in date,
                       check_out date, rooms int, hold interval, reservation_id bigint);

SELECT booking.add_property('Dump Hotel', 'Backupville', 'Europe/Lisbon') AS p1 \gset
SELECT booking.add_property('Restore Flat', 'Backupville', 'America/New_York') AS p2 \gset
SELECT booking.add_room_type(:p1, 'DBL', 'Double', 6, 2, 120);
SELECT booking.add_room_type(:p1, 'STE', 'Suite', 2, 4, 400);
SELECT booking.add_room_type(:p2, 'home', 'The flat', 1, 5, 90);
SELECT booking.open_inventory(:p1, 'DBL', current_date + 1, current_date + 90);
SELECT booking.open_inventory(:p1, 'STE', current_date + 1, current_date + 90, 2, 410.50);
SELECT booking.open_inventory(:p2, 'home', current_date + 1, current_date + 120);
SELECT booking.set_rules(:p1, 'STE', current_date + 30, current_date + 40, min_stay => 2);

-- Keyed reserves, in every state afterwards.
CREATE FUNCTION fx.reserve(g text, k text, p bigint, rt text, ci int, co int, n int, h interval)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    SELECT reservation_id INTO id
      FROM booking.reserve_range(p, rt, current_date + ci, current_date + co, n, g, k, h);
    INSERT INTO fx.keyed VALUES (g, k, p, rt, current_date + ci, current_date + co, n, h, id);
    RETURN id;
END
$$;
SELECT fx.reserve('ana', 'k-held', :p1, 'DBL', 5, 8, 1, NULL) AS held \gset
SELECT fx.reserve('ana', 'k-pending', :p1, 'DBL', 6, 9, 2, '1 hour') AS pending \gset
SELECT fx.reserve('bo', 'k-confirmed', :p1, 'STE', 10, 12, 1, NULL) AS confirmed \gset
SELECT fx.reserve('bo', 'k-cancelled', :p2, 'home', 3, 10, 1, NULL) AS cancelled \gset
SELECT fx.reserve('cy', 'k-expired', :p1, 'DBL', 20, 21, 3, '1 millisecond') AS expired \gset
SELECT fx.reserve('cy', 'k-late', :p2, 'home', 30, 33, 1, '1 millisecond') AS late \gset
SELECT fx.reserve(NULL, 'k-noguest', :p1, 'DBL', 2, 3, 1, NULL) AS noguest \gset
SELECT count(*) FROM booking.begin_payment(:pending, 'intent-1');
SELECT count(*) FROM booking.confirm_booking(:confirmed, 'pay-1');
SELECT count(*) FROM booking.cancel_reservation(:cancelled, 'changed plans');
SELECT pg_sleep(0.01);
SELECT booking.expire_holds();
SELECT count(*) FROM booking.confirm_booking(:late, 'pay-late');
-- Some without keys, some confirmed then cancelled.
SELECT count(booking.confirm_booking(r.reservation_id, 'pay-x' || r.reservation_id))
  FROM generate_series(1, 5) g, LATERAL booking.reserve_range(:p1, 'DBL', current_date + 40 + g, current_date + 42 + g) r;
SELECT count(booking.cancel_reservation(reservation_id))
  FROM booking.reservation WHERE payment_ref = 'pay-x' || reservation_id AND check_in > current_date + 44;
-- The outbox: one consumer reads and acknowledges some events.
SELECT event_id AS upto FROM booking.read_events('mailer', 4) ORDER BY event_id DESC LIMIT 1 \gset
SELECT booking.ack_events('mailer', :upto);
SELECT count(*) FROM booking.read_events('indexer', 2);

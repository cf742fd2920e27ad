-- DROP EXTENSION booking without CASCADE refuses while bookings are live.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
-- a live hold of this file's own (the files before it leave more)
SELECT booking.add_property('Guard House', 'Viseu', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'G', 'Room', 1, 2, 10);
SELECT booking.open_inventory(:p, 'G', current_date, current_date + 5);
SELECT state FROM booking.reserve_range(:p, 'G', current_date + 1, current_date + 2);
SELECT count(*) > 0 AS live_bookings_exist FROM booking.reservation
 WHERE state IN ('held', 'payment_pending', 'confirmed');
SELECT regexp_replace(t.try('DROP EXTENSION booking'), '\d+ reservations', 'N reservations') AS outcome;
SELECT extname FROM pg_extension WHERE extname = 'booking';
-- dropping another extension is not affected
CREATE EXTENSION IF NOT EXISTS plpgsql;
SELECT t.try('DROP EXTENSION IF EXISTS no_such_extension');
-- with no live reservation left the drop goes through (rolled back here)
BEGIN;
UPDATE booking.reservation SET state = 'cancelled' WHERE state IN ('held', 'payment_pending', 'confirmed');
DROP EXTENSION booking;
SELECT count(*) AS booking_installed FROM pg_extension WHERE extname = 'booking';
ROLLBACK;
SELECT extname FROM pg_extension WHERE extname = 'booking';

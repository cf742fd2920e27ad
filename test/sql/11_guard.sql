-- DROP EXTENSION booking without CASCADE refuses while bookings are live.
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

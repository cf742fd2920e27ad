-- pgbench: a confirm inside a transaction that then does 50 ms of other
-- work while it holds the nights' locks, so that others wait on hot rows
-- and some give up after booking.lock_timeout (BK007).
BEGIN;
SELECT ld.try('slow_confirm', format('SELECT reservation_id FROM booking.confirm_booking(%s, %L)', coalesce(ld.pick('held,payment_pending')::text, 'NULL'), 'slow-' || txid_current()), '{BK002,BK003,22023}');
SELECT pg_sleep(0.05);
COMMIT;

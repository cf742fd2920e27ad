-- pgbench: cancel a random live or confirmed reservation.
SELECT ld.try('cancel', format('SELECT reservation_id FROM booking.cancel_reservation(%s, %L)', coalesce(ld.pick('held,payment_pending,confirmed')::text, 'NULL'), 'load'), '{22023}');

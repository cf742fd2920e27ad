-- pgbench: begin_payment, then confirm, of random live holds.
SELECT ld.try('begin_payment', format('SELECT reservation_id FROM booking.begin_payment(%s, %L)', coalesce(ld.pick('held')::text, 'NULL'), 'pi-' || txid_current()), '{BK002,BK003,22023}');
SELECT ld.try('confirm', format('SELECT reservation_id FROM booking.confirm_booking(%s, %L)', coalesce(ld.pick('held,payment_pending,expired')::text, 'NULL'), 'pay-' || txid_current()), '{BK002,BK003,22023}');

-- pgbench: a longer stay on the warm room type.
\set ci random(1, 20)
\set n random(2, 10)
SELECT ld.try('reserve_warm', format('SELECT reservation_id FROM booking.reserve_range(%s, %L, current_date + %s, current_date + least(%s + %s, 31))', :pid, 'WARM', :ci, :ci, :n), '{BK001}');

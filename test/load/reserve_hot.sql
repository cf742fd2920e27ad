-- pgbench: 1..3 nights of the hot room type (3 units), short or default holds.
\set ci random(1, 6)
\set n random(1, 3)
\set rooms random(1, 2)
\set hold random(0, 3)
SELECT ld.try('reserve_hot', format('SELECT reservation_id FROM booking.reserve_range(%s, %L, current_date + %s, current_date + least(%s + %s, 7), %s, NULL, NULL, %L)', :pid, 'HOT', :ci, :ci, :n, :rooms, CASE WHEN :hold = 0 THEN NULL ELSE :hold || ' seconds' END), '{BK001}');

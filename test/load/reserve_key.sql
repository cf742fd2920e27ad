-- pgbench: a keyed reserve on the warm room type; keys are drawn from a
-- small space, so the same request arrives again and again (retries).
\set k random(1, 400)
\set ci random(1, 25)
SELECT ld.try('reserve_key', format('SELECT reservation_id FROM booking.reserve_range(%s, %L, current_date + %s, current_date + %s + 1 + %s %% 4, 1, %L, %L)', :pid, 'WARM', :k % 25 + 1, :k % 25 + 1, :k, 'guest-' || (:k % 7), 'key-' || :k), '{BK001}', 'guest-' || (:k % 7) || '/key-' || :k);

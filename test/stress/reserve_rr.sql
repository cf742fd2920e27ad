-- pgbench script: reserve_range called inside a REPEATABLE READ transaction
-- (40001 is then an expected outcome; BK001 or a hold otherwise).
\set ci random(10, 29)
\set nights random(1, 4)
\set rooms random(1, 2)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT stress.try_reserve(:pid, :ci, :nights, :rooms, 1500);
COMMIT;

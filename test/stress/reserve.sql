-- pgbench script: a random range of 1..5 nights, 1..3 rooms; a fifth of the
-- holds take the default TTL (15 min), the rest die after 1 ms..2 s.
\set ci random(10, 29)
\set nights random(1, 5)
\set rooms random(1, 3)
\set hold random(-500, 2000)
SELECT stress.try_reserve(:pid, :ci, :nights, :rooms, greatest(:hold, 0));

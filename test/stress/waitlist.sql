-- pgbench script (2.0): join the waitlist for a random stay of 1..4
-- nights and 1..3 rooms, or (a third of the time) leave a random entry.
\set ci random(10, 29)
\set nights random(1, 4)
\set rooms random(1, 3)
\set leave random(0, 2)
SELECT stress.try_waitlist(:pid, :ci, :nights, :rooms, :leave = 0);

-- pgbench script: a group (2.0) of 2..3 random lines of STD and DBL, a
-- fifth of them under one of 150 idempotency keys; then, in a transaction
-- of its own, confirm_group or cancel_group of it or of a recent group
-- (stress.try_group_next, group_setup.sql).
\set keyed random(1, 100)
\set k random(1, 150)
SELECT CASE WHEN :keyed <= 20 THEN stress.try_group_key(:pid, :k) ELSE stress.try_group(:pid) END AS gid \gset
SELECT stress.try_group_next(:gid);

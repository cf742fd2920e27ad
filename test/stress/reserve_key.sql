-- pgbench script: an idempotency-keyed reserve.  400 keys for 32 clients, so
-- the same key is often in flight in two sessions at once and is replayed
-- many times after its first answer.
\set k random(1, 400)
SELECT stress.try_reserve_key(:pid, :k);

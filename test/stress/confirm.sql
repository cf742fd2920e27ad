-- pgbench script: confirm a random reservation (late payments included).
SELECT stress.try_confirm();

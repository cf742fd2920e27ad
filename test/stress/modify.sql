-- pgbench script: move and resize a random reservation (2.0).
SELECT stress.try_modify();

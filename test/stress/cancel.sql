-- pgbench script: cancel a random reservation.
SELECT stress.try_cancel();

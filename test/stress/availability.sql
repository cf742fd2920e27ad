-- pgbench script: read the calendar while it changes.
SELECT stress.try_availability(:pid);

-- pgbench script: one batch of expire_holds, racing the sweeper, confirms
-- and reserve_range's own reclaim of dead holds.
SELECT stress.try_expire();

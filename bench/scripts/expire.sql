-- expire: one batch of :batch dead holds.
\if :engine = 0
SELECT booking.expire_holds(:batch);
\elif :engine = 1
SELECT baseline.lean_expire_holds(:batch);
\elif :engine = 2
SELECT baseline.feq_expire_holds(:batch);
\else
SELECT baseline.floor_expire_holds(:batch);
\endif

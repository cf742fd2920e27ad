-- pgbench script: start paying for a random reservation (payment_pending,
-- with a deadline pushed 0.5..2.5 s ahead).
SELECT stress.try_begin_payment();

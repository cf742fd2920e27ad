-- confirm_booking and cancel_reservation, and their idempotency.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Life Hotel', 'Porto', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'TWN', 'Twin', 2, 2, 50);
SELECT booking.open_inventory(:p, 'TWN', current_date, current_date + 30);

SELECT reservation_id AS r1 FROM booking.reserve_range(:p, 'TWN', current_date + 2, current_date + 4, 1, 'ann') \gset
SELECT reservation_id AS r2 FROM booking.reserve_range(:p, 'TWN', current_date + 3, current_date + 5, 1, 'bob') \gset

-- Confirm: held units become booked, payment_ref and a confirmation code are set
SELECT state, payment_ref, confirmation_code ~ '^[0-9A-Z]+-[0-9A-Z]{4}$' AS code_ok, updated_at >= created_at AS touched
  FROM booking.confirm_booking(:r1, 'pay-ann-1');
SELECT * FROM t.inv(:p, 'TWN', 1, 6);
-- again with the same payment_ref: unchanged, no units moved
SELECT confirmation_code AS code FROM booking.reservation WHERE reservation_id = :r1 \gset
SELECT state, confirmation_code = :'code' AS same_code FROM booking.confirm_booking(:r1, 'pay-ann-1');
SELECT * FROM t.inv(:p, 'TWN', 1, 6);
-- another payment_ref for a confirmed reservation: BK003
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-ann-2')$$, :r1));
-- a payment_ref confirms at most one reservation: BK004
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-ann-1')$$, :r2));
SELECT state FROM booking.reservation WHERE reservation_id = :r2;

-- Cancel a hold: held units released; again: unchanged
SELECT state, cancel_reason FROM booking.cancel_reservation(:r2, 'guest changed plans');
SELECT * FROM t.inv(:p, 'TWN', 1, 6);
SELECT state, cancel_reason FROM booking.cancel_reservation(:r2);
SELECT * FROM t.inv(:p, 'TWN', 1, 6);
-- a cancelled reservation cannot be confirmed
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-bob')$$, :r2));

-- Cancel a confirmed booking: booked units released, exactly once
SELECT state FROM booking.cancel_reservation(:r1);
SELECT state FROM booking.cancel_reservation(:r1);
SELECT * FROM t.inv(:p, 'TWN', 1, 6);
-- a payment_ref of a cancelled booking still belongs to it
SELECT reservation_id AS r3 FROM booking.reserve_range(:p, 'TWN', current_date + 2, current_date + 3) \gset
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-ann-1')$$, :r3));

-- Cancelling an expired reservation returns it unchanged
SELECT reservation_id AS r4 FROM booking.reserve_range(:p, 'TWN', current_date + 7, current_date + 8) \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute' WHERE reservation_id = :r4;
SELECT booking.expire_holds() AS expired;
SELECT state FROM booking.cancel_reservation(:r4);
SELECT state FROM booking.reservation WHERE reservation_id = :r4;
SELECT * FROM t.inv(:p, 'TWN', 7, 8);

-- Bad input
SELECT t.try($$SELECT booking.confirm_booking(NULL, 'x')$$);
SELECT t.try(format($$SELECT booking.confirm_booking(%s, NULL)$$, :r3));
SELECT t.try(format($$SELECT booking.confirm_booking(%s, '')$$, :r3));
SELECT t.try($$SELECT booking.confirm_booking(424242, 'x')$$);
SELECT t.try($$SELECT booking.cancel_reservation(NULL)$$);
SELECT t.try($$SELECT booking.cancel_reservation(424242)$$);

SELECT * FROM booking.check_invariants();

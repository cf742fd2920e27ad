-- begin_payment: a guest who is paying keeps the room past the hold's
-- first deadline; payment_pending counts as held.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Pay Palace', 'Coimbra', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'P', 'Room', 1, 2, 80);
SELECT booking.add_room_type(:p, 'Q', 'Room', 5, 2, 80);
SELECT booking.open_inventory(:p, 'P', current_date, current_date + 20);
SELECT booking.open_inventory(:p, 'Q', current_date, current_date + 20);

SELECT reservation_id AS r FROM booking.reserve_range(:p, 'P', current_date + 2, current_date + 4, hold => '1 minute') \gset
SELECT state, payment_intent, hold_expires_at - now() AS pushed_to, hold_expires_at AS deadline_1
  FROM booking.begin_payment(:r, 'pi_1', '30 minutes') \gset
SELECT :'state' AS state, :'payment_intent' AS payment_intent, :'pushed_to' AS pushed_to;
SELECT * FROM t.inv(:p, 'P', 2, 4);
-- idempotent by payment_intent: same intent, unchanged (the deadline too)
SELECT state, hold_expires_at = :'deadline_1' AS same_deadline FROM booking.begin_payment(:r, 'pi_1', '2 hours');
-- another intent for a reservation already in payment: BK003
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'pi_2')$$, :r));
-- the deadline never moves backwards: a short extension keeps the later deadline
SELECT reservation_id AS r2 FROM booking.reserve_range(:p, 'Q', current_date + 2, current_date + 3, hold => '1 hour') \gset
SELECT hold_expires_at AS deadline FROM booking.reservation WHERE reservation_id = :r2 \gset before_
SELECT hold_expires_at = :'before_deadline' AS kept_later_deadline FROM booking.begin_payment(:r2, 'pi_r2', '1 minute');
-- the default extension is booking.payment_extension
SELECT reservation_id AS r3 FROM booking.reserve_range(:p, 'Q', current_date + 3, current_date + 4, hold => '1 minute') \gset
SET booking.payment_extension = '7min';
SELECT hold_expires_at - now() AS deadline FROM booking.begin_payment(:r3, 'pi_r3');
RESET booking.payment_extension;
-- an intent belongs to one reservation: BK004
SELECT reservation_id AS r4 FROM booking.reserve_range(:p, 'Q', current_date + 5, current_date + 6) \gset
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'pi_1')$$, :r4));

-- past the first deadline the paying guest's hold is still alive
UPDATE booking.reservation SET created_at = now() - interval '20 minutes' WHERE reservation_id = :r;
SELECT booking.expire_holds() AS expired;
SELECT state FROM booking.reservation WHERE reservation_id = :r;
-- and nobody else can take the room meanwhile
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'P', current_date + 3, current_date + 4)$$, :p));
-- confirm: payment_pending -> confirmed, held units become booked
SELECT state, payment_intent, payment_ref FROM booking.confirm_booking(:r, 'ch_1');
SELECT * FROM t.inv(:p, 'P', 2, 4);
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'pi_1')$$, :r));

-- cancel from payment_pending releases the held units
SELECT state FROM booking.cancel_reservation(:r2, 'card declined');
SELECT * FROM t.inv(:p, 'Q', 2, 3);

-- past the extended deadline, payment_pending expires like a hold
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :r3;
SELECT booking.expire_holds() AS expired;
SELECT state FROM booking.reservation WHERE reservation_id = :r3;
SELECT * FROM t.inv(:p, 'Q', 3, 4);
-- payment cannot begin on an expired hold: BK002; the late capture still confirms
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'pi_r3b')$$, :r3));
SELECT state FROM booking.confirm_booking(:r3, 'ch_r3');

-- a dead payment_pending hold does not block a newcomer either
SELECT reservation_id AS r5 FROM booking.reserve_range(:p, 'P', current_date + 10, current_date + 11) \gset
SELECT state FROM booking.begin_payment(:r5, 'pi_r5', '1 minute');
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :r5;
SELECT state FROM booking.reserve_range(:p, 'P', current_date + 10, current_date + 11);
SELECT state FROM booking.reservation WHERE reservation_id = :r5;

-- bad input
SELECT t.try($$SELECT booking.begin_payment(NULL, 'x')$$);
SELECT t.try(format($$SELECT booking.begin_payment(%s, NULL)$$, :r4));
SELECT t.try(format($$SELECT booking.begin_payment(%s, '')$$, :r4));
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'x', '-1 minute')$$, :r4));
SELECT t.try($$SELECT booking.begin_payment(424242, 'x')$$);

SELECT * FROM booking.check_invariants();

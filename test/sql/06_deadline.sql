-- A hold's deadline: dead holds never block; late payments are honoured
-- while the units can be had; expire_holds works in batches.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Deadline Hotel', 'Sintra', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'ONE', 'The only room', 1, 2, 200);
SELECT booking.add_room_type(:p, 'TWO', 'Two rooms', 2, 2, 100);
SELECT booking.open_inventory(:p, 'ONE', current_date, current_date + 30);
SELECT booking.open_inventory(:p, 'TWO', current_date, current_date + 30);

-- t.kill_hold puts a hold's deadline in the past, as time would
CREATE FUNCTION t.kill_hold(r bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = r
$$;

-- 1. Dead holds never block: a newcomer gets the room of a dead hold
SELECT reservation_id AS dead FROM booking.reserve_range(:p, 'ONE', current_date + 2, current_date + 4) \gset
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'ONE', current_date + 3, current_date + 5)$$, :p));
SELECT t.kill_hold(:dead);
SELECT reservation_id AS newcomer FROM booking.reserve_range(:p, 'ONE', current_date + 3, current_date + 5) \gset
SELECT state FROM booking.reservation WHERE reservation_id = :dead;
SELECT * FROM t.inv(:p, 'ONE', 1, 6);
-- ... and the late payment of the dead hold finds its units gone: BK002
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'late-pay-1')$$, :dead));
SELECT state, payment_ref FROM booking.reservation WHERE reservation_id = :dead;
SELECT state FROM booking.cancel_reservation(:newcomer);

-- 2. A dead hold that reaches outside the newcomer's nights is expired whole
SELECT reservation_id AS wide FROM booking.reserve_range(:p, 'ONE', current_date + 8, current_date + 14) \gset
SELECT t.kill_hold(:wide);
SELECT state FROM booking.reserve_range(:p, 'ONE', current_date + 10, current_date + 11);
SELECT state FROM booking.reservation WHERE reservation_id = :wide;
SELECT * FROM t.inv(:p, 'ONE', 7, 15);

-- 3. Late payment, hold past its deadline but not yet expired: confirmed
SELECT reservation_id AS late FROM booking.reserve_range(:p, 'TWO', current_date + 2, current_date + 3) \gset
SELECT t.kill_hold(:late);
SELECT state FROM booking.confirm_booking(:late, 'late-pay-2');
SELECT * FROM t.inv(:p, 'TWO', 2, 3);

-- 4. Late payment after expiry, units still free: re-acquired and confirmed
SELECT reservation_id AS swept FROM booking.reserve_range(:p, 'TWO', current_date + 5, current_date + 7) \gset
SELECT t.kill_hold(:swept);
SELECT booking.expire_holds() AS expired;
SELECT state FROM booking.reservation WHERE reservation_id = :swept;
SELECT * FROM t.inv(:p, 'TWO', 5, 7);
SELECT state, payment_ref FROM booking.confirm_booking(:swept, 'late-pay-3');
SELECT * FROM t.inv(:p, 'TWO', 5, 7);
-- its replay is idempotent like any confirm
SELECT state FROM booking.confirm_booking(:swept, 'late-pay-3');

-- 5. Late payment after expiry, another guest took one night: BK002, nothing changes
SELECT reservation_id AS gone FROM booking.reserve_range(:p, 'ONE', current_date + 20, current_date + 23) \gset
SELECT t.kill_hold(:gone);
SELECT booking.expire_holds() AS expired;
SELECT state FROM booking.reserve_range(:p, 'ONE', current_date + 22, current_date + 23);
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'late-pay-4')$$, :gone));
SELECT state FROM booking.reservation WHERE reservation_id = :gone;
SELECT * FROM t.inv(:p, 'ONE', 20, 23);
-- an expired reservation cannot be cancelled by a direct update either
SELECT t.try(format($$UPDATE booking.reservation SET state = 'cancelled' WHERE reservation_id = %s$$, :gone));

-- 6. expire_holds: oldest first, in batches of max_rows, live holds untouched
SELECT reservation_id AS h1 FROM booking.reserve_range(:p, 'TWO', current_date + 25, current_date + 26) \gset
SELECT reservation_id AS h2 FROM booking.reserve_range(:p, 'TWO', current_date + 26, current_date + 27) \gset
SELECT reservation_id AS h3 FROM booking.reserve_range(:p, 'TWO', current_date + 27, current_date + 28) \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '3 minutes' WHERE reservation_id = :h2;
UPDATE booking.reservation SET hold_expires_at = now() - interval '2 minutes' WHERE reservation_id = :h3;
SELECT booking.expire_holds(1) AS expired;
SELECT reservation_id = :h2 AS oldest_first FROM booking.reservation WHERE state = 'expired' AND reservation_id IN (:h1, :h2, :h3);
SELECT booking.expire_holds(10) AS expired;
SELECT booking.expire_holds(10) AS expired;
SELECT reservation_id = :h1 AS only_live_left FROM booking.reservation WHERE state = 'held' AND reservation_id IN (:h1, :h2, :h3);
SELECT * FROM t.inv(:p, 'TWO', 25, 28);
SELECT t.try($$SELECT booking.expire_holds(0)$$);
SELECT t.try($$SELECT booking.expire_holds(NULL)$$);

-- 7. A real clock: a 1 ms hold is dead a moment later
SELECT reservation_id AS quick FROM booking.reserve_range(:p, 'ONE', current_date + 27, current_date + 28, hold => '1 millisecond') \gset
SELECT pg_sleep(0.05);
SELECT state FROM booking.reserve_range(:p, 'ONE', current_date + 27, current_date + 28);
SELECT state FROM booking.reservation WHERE reservation_id = :quick;

-- 8. A hold's length does not depend on the client's TimeZone: its days
-- are 24 hours (its months months of the UTC calendar), for hold and for
-- begin_payment's extend.  The session runs in a zone (a POSIX rule)
-- whose clocks go forward at its next local midnight, so that there
-- timestamptz + '1 day' is 23 hours (shown first: the check can fail).
-- The zone's offset puts its local time near noon whatever the hour the
-- test runs: one day later is then well past the hour the clocks skip
-- (at a local time just after midnight, it would fall in that hour, which
-- PostgreSQL reads as standard time: 24 hours).
SELECT format('XST%sXDT,%s/0,%s/0', std, jump_day, (jump_day + 180) % 365) AS jump_zone
  FROM (SELECT std, extract(doy FROM (now() AT TIME ZONE 'UTC' - make_interval(hours => std))::date + 1)::int - 1 AS jump_day
          FROM (SELECT extract(hour FROM now() AT TIME ZONE 'UTC')::int - 12 AS std) h) x \gset
SET TimeZone = :'jump_zone';
SELECT extract(epoch FROM (now() + interval '1 day') - now()) / 3600 AS session_day_hours;
SELECT extract(epoch FROM hold_expires_at - now()) / 3600 AS hold_hours
  FROM booking.reserve_range(:p, 'TWO', current_date + 20, current_date + 21, hold => '1 day');
SELECT reservation_id AS paying FROM booking.reserve_range(:p, 'TWO', current_date + 21, current_date + 22, hold => '10 minutes') \gset
SELECT extract(epoch FROM hold_expires_at - now()) / 3600 AS extend_hours
  FROM booking.begin_payment(:paying, 'pi-tz', '1 day');
RESET TimeZone;

SELECT * FROM booking.check_invariants();

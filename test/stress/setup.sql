-- test/stress/setup.sql: the stress database's fixture and the wrapper
-- functions the pgbench scripts call.  Run by test/stress/run in the fresh
-- database booking_stress with ON_ERROR_STOP.
--
-- Each wrapper makes one call of the public API, catches its error if any
-- and records the outcome in stress.outcome: 'ok', or the SQLSTATE.  The
-- SQLSTATEs the contract documents for that call are expected outcomes;
-- any other (40P01 deadlock, 23505, XX000, 40001 under READ COMMITTED,
-- ...) is recorded too, with its message, and fails the run at the end.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION booking;

CREATE SCHEMA stress;

-- One row per call.  Unlogged and insert-only, so recording an outcome
-- never makes two clients wait for each other.
CREATE UNLOGGED TABLE stress.outcome (
    op       text NOT NULL,
    code     text NOT NULL,            -- 'ok' or a SQLSTATE
    expected boolean NOT NULL,
    message  text
);

-- The first reservation_id each idempotency key answered; every later
-- answer for the key must be the same id.
CREATE UNLOGGED TABLE stress.key_result (
    key            text PRIMARY KEY,
    reservation_id bigint NOT NULL
);

-- The property under test: 10 units over 20 nights starting in 10 days.
CREATE TABLE stress.fixture AS
SELECT booking.add_property('stress hotel', 'Stressville') AS property_id;
SELECT booking.add_room_type((SELECT property_id FROM stress.fixture),
                             'STD', 'Standard', 10, 4, 100);
SELECT booking.open_inventory((SELECT property_id FROM stress.fixture), 'STD',
                              current_date + 10, current_date + 30);

-- record stores one outcome; `allowed` lists the SQLSTATEs the contract
-- documents for the call.
CREATE FUNCTION stress.record(op text, code text, allowed text[], message text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stress.outcome VALUES
        (op, code, code = 'ok' OR code = ANY (allowed), message);
    RETURN code;
END
$$;

-- allowed_conflicts: the SQLSTATEs every call may meet on top of its own:
-- BK007 (lock wait over booking.lock_timeout) and, only when the caller
-- runs at REPEATABLE READ or SERIALIZABLE, 40001.
CREATE FUNCTION stress.allowed_conflicts(own text[]) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT own || ARRAY['BK007'] ||
           CASE WHEN current_setting('transaction_isolation') = 'read committed'
                THEN ARRAY[]::text[] ELSE ARRAY['40001'] END
$$;

-- try_reserve holds `rooms` rooms from check-in day `ci` (days from today)
-- for `nights` nights, clipped to the open inventory.  hold_ms 0 takes the
-- default hold (booking.hold_ttl); otherwise the hold dies after hold_ms,
-- which feeds the dead-hold paths (reserve_range's reclaim, expire_holds,
-- late confirms).
CREATE FUNCTION stress.try_reserve(pid bigint, ci int, nights int, rooms int, hold_ms int)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001']);
    r booking.reservation;
BEGIN
    BEGIN
        r := booking.reserve_range(pid, 'STD', current_date + ci,
                                   current_date + least(ci + nights, 30), rooms,
                                   guest_id => 'g' || (random() * 100)::int,
                                   hold => CASE WHEN hold_ms > 0
                                                THEN make_interval(secs => hold_ms / 1000.0)
                                           END);
        IF r.state IS DISTINCT FROM 'held' OR r.rooms <> rooms THEN
            RETURN stress.record('reserve', 'WRONG_RESULT', allowed,
                                 format('new reservation is %s with %s rooms', r.state, r.rooms));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('reserve', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('reserve', 'ok', allowed);
END
$$;

-- try_reserve_key replays idempotency key number k.  Every argument is a
-- function of k, so two calls with the same key are the same request: the
-- first decides and every later one (concurrent or not) must answer the
-- same reservation_id, whatever its state now, or BK001 while no call for
-- the key has succeeded yet.
CREATE FUNCTION stress.try_reserve_key(pid bigint, k int)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001']);
    ci int := 10 + k % 19;
    r booking.reservation;
    first_id bigint;
BEGIN
    BEGIN
        r := booking.reserve_range(pid, 'STD', current_date + ci,
                                   current_date + least(ci + 1 + k % 3, 30),
                                   1 + (k / 19) % 2,
                                   guest_id => 'kg' || k % 25,
                                   idempotency_key => 'key-' || k,
                                   hold => make_interval(secs => 0.5 + (k % 4) * 0.5));
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('reserve_key', SQLSTATE, allowed, SQLERRM);
    END;
    INSERT INTO stress.key_result VALUES ('key-' || k, r.reservation_id)
        ON CONFLICT (key) DO NOTHING;
    SELECT reservation_id INTO first_id FROM stress.key_result WHERE key = 'key-' || k;
    IF first_id IS DISTINCT FROM r.reservation_id THEN
        RETURN stress.record('reserve_key', 'IDEMPOTENCY_BROKEN', allowed,
                             format('key-%s answered %s, earlier %s', k, r.reservation_id, first_id));
    END IF;
    RETURN stress.record('reserve_key', 'ok', allowed);
END
$$;

-- pick_reservation returns an existing reservation, or NULL when there is
-- none yet.  With probability p_live one of the 8 newest live holds (held
-- or payment_pending), so that confirms, cancels, begin_payment,
-- expire_holds and reclaims often meet on the same hold; else, with
-- probability p_confirmed, one of the 8 newest confirmed reservations (so
-- that cancels keep bookings from filling the calendar for good); else one
-- of the last 200 issued, whatever its state.
CREATE FUNCTION stress.pick_reservation(p_live float8, p_confirmed float8 DEFAULT 0)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    dice float8 := random();
    hi bigint;
    id bigint;
BEGIN
    IF dice < p_live THEN
        SELECT reservation_id INTO id FROM booking.reservation
         WHERE state IN ('held', 'payment_pending')
         ORDER BY reservation_id DESC OFFSET (random() * 8)::int LIMIT 1;
    ELSIF dice < p_live + p_confirmed THEN
        SELECT reservation_id INTO id FROM booking.reservation
         WHERE state = 'confirmed'
         ORDER BY reservation_id DESC OFFSET (random() * 8)::int LIMIT 1;
    END IF;
    IF id IS NOT NULL THEN
        RETURN id;
    END IF;
    SELECT max(reservation_id) INTO hi FROM booking.reservation;
    SELECT reservation_id INTO id FROM booking.reservation
     WHERE reservation_id >= hi - (random() * 200)::bigint * 1024
     ORDER BY reservation_id LIMIT 1;
    RETURN id;
END
$$;

-- try_confirm confirms a random reservation with its own payment_ref
-- (so repeats are idempotent), or now and then with the payment_ref of
-- the reservation issued just before it, to race two reservations for one
-- payment (BK004 for the loser).
CREATE FUNCTION stress.try_confirm()
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK002', 'BK003', 'BK004']);
    id bigint := stress.pick_reservation(0.25);
    ref text;
    r booking.reservation;
BEGIN
    IF id IS NULL THEN
        RETURN 'none';
    END IF;
    ref := 'pay-' || CASE WHEN random() < 0.05 THEN id - 1024 ELSE id END;
    BEGIN
        r := booking.confirm_booking(id, ref);
        IF r.state IS DISTINCT FROM 'confirmed' OR r.payment_ref IS DISTINCT FROM ref THEN
            RETURN stress.record('confirm', 'WRONG_RESULT', allowed,
                                 format('confirm of %s answered %s with %s', id, r.state, r.payment_ref));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('confirm', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('confirm', 'ok', allowed);
END
$$;

-- try_begin_payment starts paying for a random reservation with its own
-- payment_intent (repeats are idempotent), now and then with the intent of
-- the reservation issued just before it (BK004 when that one has it).  A
-- held reservation becomes payment_pending with a later deadline; an
-- expired one is BK002; confirmed or cancelled ones BK003.
CREATE FUNCTION stress.try_begin_payment()
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK002', 'BK003', 'BK004']);
    id bigint := stress.pick_reservation(0.3);
    intent text;
    r booking.reservation;
BEGIN
    IF id IS NULL THEN
        RETURN 'none';
    END IF;
    intent := 'intent-' || CASE WHEN random() < 0.05 THEN id - 1024 ELSE id END;
    BEGIN
        r := booking.begin_payment(id, intent, make_interval(secs => 0.5 + random() * 2));
        IF r.state IS DISTINCT FROM 'payment_pending' OR r.payment_intent IS DISTINCT FROM intent THEN
            RETURN stress.record('begin_payment', 'WRONG_RESULT', allowed,
                                 format('begin_payment of %s answered %s with %s', id, r.state, r.payment_intent));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('begin_payment', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('begin_payment', 'ok', allowed);
END
$$;

-- try_modify moves a random reservation (live or confirmed) by -2..+2
-- nights and gives it 1..3 nights and 1..2 rooms (2.0's
-- modify_reservation): BK001 when the new nights lack units (its own
-- count as free), BK003 when it is cancelled or expired, 22023 when the
-- move would start before today.  The answer must be the stay asked for.
CREATE FUNCTION stress.try_modify()
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001', 'BK003', '22023', '0A000']);  -- 0A000: a block's pickup (2.0)
    id bigint := stress.pick_reservation(0.4, 0.3);
    shift int := (random() * 4)::int - 2;
    nights int := 1 + (random() * 2)::int;
    rooms int := 1 + (random() * 1)::int;
    ci date;
    r booking.reservation;
BEGIN
    IF id IS NULL THEN
        RETURN 'none';
    END IF;
    SELECT check_in + shift INTO ci FROM booking.reservation WHERE reservation_id = id;
    BEGIN
        r := booking.modify_reservation(id, ci, ci + nights, rooms);
        IF r.check_in IS DISTINCT FROM ci OR r.check_out IS DISTINCT FROM ci + nights
           OR r.rooms IS DISTINCT FROM rooms THEN
            RETURN stress.record('modify', 'WRONG_RESULT', allowed,
                                 format('modify of %s answered %s..%s x%s', id, r.check_in, r.check_out, r.rooms));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('modify', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('modify', 'ok', allowed);
END
$$;

-- try_cancel cancels a random reservation.  Cancel never fails on state:
-- held, payment_pending and confirmed go to cancelled, cancelled and
-- expired come back unchanged.
CREATE FUNCTION stress.try_cancel()
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY[]::text[]);
    id bigint := stress.pick_reservation(0.1, 0.4);
    r booking.reservation;
BEGIN
    IF id IS NULL THEN
        RETURN 'none';
    END IF;
    BEGIN
        r := booking.cancel_reservation(id, 'stress');
        IF r.state NOT IN ('cancelled', 'expired') THEN
            RETURN stress.record('cancel', 'WRONG_RESULT', allowed,
                                 format('cancel of %s answered %s', id, r.state));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('cancel', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('cancel', 'ok', allowed);
END
$$;

-- try_waitlist (2.0) joins the waitlist for a random stay (half of the
-- joins keyed by their arguments, so a repeat is the same request and must
-- answer the same entry) or leaves a random entry: leave answers true for
-- a waiting entry, false for any other, never an error on state.  The
-- offers themselves are made by the cancels, expiries and modifies.
CREATE FUNCTION stress.try_waitlist(pid bigint, ci int, nights int, rooms int, leave boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY[]::text[]);
    id bigint;
    again bigint;
    k text := CASE WHEN random() < 0.5 THEN format('wl-%s-%s-%s', ci, nights, rooms) END;
BEGIN
    IF leave THEN
        SELECT waitlist_id INTO id FROM booking.waitlist ORDER BY random() LIMIT 1;
        IF id IS NULL THEN
            RETURN 'none';
        END IF;
        BEGIN
            PERFORM booking.leave_waitlist(id);
        EXCEPTION WHEN OTHERS THEN
            RETURN stress.record('leave_waitlist', SQLSTATE, allowed, SQLERRM);
        END;
        RETURN stress.record('leave_waitlist', 'ok', allowed);
    END IF;
    BEGIN
        id := booking.join_waitlist(pid, 'STD', current_date + ci, current_date + least(ci + nights, 30),
                                    rooms, idempotency_key => k);
        IF k IS NOT NULL THEN
            again := booking.join_waitlist(pid, 'STD', current_date + ci, current_date + least(ci + nights, 30),
                                           rooms, idempotency_key => k);
            IF again <> id THEN
                RETURN stress.record('join_waitlist', 'WRONG_RESULT', allowed,
                                     format('key %s answered %s, then %s', k, id, again));
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('join_waitlist', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('join_waitlist', 'ok', allowed);
END
$$;

-- try_expire runs one small batch of expire_holds.
CREATE FUNCTION stress.try_expire()
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY[]::text[]);
BEGIN
    BEGIN
        PERFORM booking.expire_holds(50);
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('expire', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('expire', 'ok', allowed);
END
$$;

-- try_availability reads the calendar and checks each night is sane.
CREATE FUNCTION stress.try_availability(pid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY[]::text[]);
    bad int;
BEGIN
    BEGIN
        SELECT count(*) INTO bad
          FROM booking.availability(pid, current_date + 10, current_date + 30) a
         WHERE a.available < 0 OR a.available > 10;
        IF bad > 0 THEN
            RETURN stress.record('availability', 'WRONG_RESULT', allowed,
                                 format('%s nights outside 0..10 available', bad));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('availability', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('availability', 'ok', allowed);
END
$$;

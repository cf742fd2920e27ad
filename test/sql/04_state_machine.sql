-- The state machine trigger: every edge of booking_state, allowed or not.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('State House', 'Braga', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'S', 'Single', 50, 1, 10);
SELECT booking.open_inventory(:p, 'S', current_date, current_date + 10);

-- Try every (from, to) pair on a fresh reservation put in state `from`
-- directly (the trigger checks the machine, not the units), then undone.
CREATE FUNCTION t.edge(p bigint, from_state text, to_state text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
    result text;
BEGIN
    BEGIN
        SELECT reservation_id INTO r
          FROM booking.reserve_range(p, 'S', current_date + 1, current_date + 2);
        ALTER TABLE booking.reservation DISABLE TRIGGER reservation_state_machine;
        UPDATE booking.reservation SET state = from_state::booking.booking_state,
               payment_ref = 'ref-' || r
         WHERE reservation_id = r;
        ALTER TABLE booking.reservation ENABLE TRIGGER reservation_state_machine;
        result := t.try(format('UPDATE booking.reservation SET state = %L WHERE reservation_id = %s',
                               to_state, r));
        RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN result;
END
$$;

SELECT f.s AS from_state, t2.s AS to_state, regexp_replace(t.edge(:p, f.s, t2.s), 'Reservation \d+', 'Reservation N') AS outcome
  FROM unnest(enum_range(NULL::booking.booking_state)::text[]) f(s),
       unnest(enum_range(NULL::booking.booking_state)::text[]) t2(s)
 ORDER BY f.s, t2.s;

-- Updates that keep the state pass through the trigger untouched
SELECT reservation_id AS r FROM booking.reserve_range(:p, 'S', current_date + 1, current_date + 2, 1, 'x') \gset
UPDATE booking.reservation SET guest_id = 'y' WHERE reservation_id = :r;
UPDATE booking.reservation SET state = 'held' WHERE reservation_id = :r;
SELECT state, guest_id FROM booking.reservation WHERE reservation_id = :r;
SELECT state FROM booking.cancel_reservation(:r);
SELECT * FROM booking.check_invariants();

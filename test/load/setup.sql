-- test/load/setup.sql: the load suite's fixture and wrappers (database
-- booking_load).  One property with a hot room type (HOT: 3 units on 6
-- nights, which every client fights over) and a warm one (WARM: 20 units
-- on 30 nights).  ld.try runs one call of the API, catches its error and
-- records the outcome: 'ok' or the SQLSTATE, and whether the contract
-- allows it for that call.  Every call also allows BK007 (the lock wait
-- was longer than booking.lock_timeout, set for the whole database).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION booking;
CREATE SCHEMA ld;
CREATE UNLOGGED TABLE ld.outcome (op text, code text, allowed boolean, reservation_id bigint,
                                  key text, message text, context text);
CREATE TABLE ld.fixture AS SELECT booking.add_property('Load Hotel', 'Loadville', 'UTC') AS pid;
SELECT booking.add_room_type(pid, 'HOT', 'Hot room', 3, 2, 200) FROM ld.fixture;
SELECT booking.add_room_type(pid, 'WARM', 'Warm room', 20, 2, 100) FROM ld.fixture;
SELECT booking.open_inventory(pid, 'HOT', current_date + 1, current_date + 7) FROM ld.fixture;
SELECT booking.open_inventory(pid, 'WARM', current_date + 1, current_date + 31) FROM ld.fixture;

-- ld.try(op, sql, allowed): runs sql (which returns one reservation_id or
-- NULL), records the outcome, never raises.
CREATE FUNCTION ld.try(op text, sql text, allowed text[], key text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
    context text;
BEGIN
    BEGIN
        EXECUTE sql INTO id;
        INSERT INTO ld.outcome VALUES (op, 'ok', true, id, key, NULL);
        RETURN 'ok';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS context = PG_EXCEPTION_CONTEXT;
        INSERT INTO ld.outcome VALUES (op, SQLSTATE, SQLSTATE = ANY (allowed || '{BK007}'::text[]),
                                       NULL, key, SQLERRM, context);
        RETURN SQLSTATE;
    END;
END
$$;

-- ld.pick(states): a random reservation in one of the states (NULL when none).
CREATE FUNCTION ld.pick(states text) RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT reservation_id FROM booking.reservation
     WHERE state::text = ANY (string_to_array(states, ','))
       AND reservation_id >= (SELECT coalesce(max(reservation_id), 0) FROM booking.reservation) - (random() * 200000)::bigint
     ORDER BY reservation_id LIMIT 1
$$;

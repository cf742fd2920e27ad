-- test/stress/block_setup.sql: what blocks (2.0) add to the stress
-- fixture, run by test/stress/run after group_setup.sql.
--
-- Four blocks of STD rooms over overlapping nights, released at a fixed
-- time a few seconds into the run, and the wrappers block.sql calls:
-- new blocks (random code, 1..3 rooms, released 0..15 s after creation),
-- pickups from a random block (1..2 rooms), resizes, release_block and
-- release_due_blocks batches (what the sweeper does).  Each records its
-- outcome in stress.outcome like the wrappers of setup.sql, with the
-- SQLSTATEs the contract documents for the call as expected ones.  The
-- single-reservation wrappers meet pickups too: cancel_reservation and
-- expire_holds give their rooms back to the block (or to public sale once
-- released), a late confirm of an expired pickup is BK002 and
-- modify_reservation of one is 0A000.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

SELECT booking.create_block(f.property_id, 'STD', b.code, current_date + b.first, current_date + b.last, 2,
                            release_at => now() + make_interval(secs => b.secs))
  FROM stress.fixture f,
       (VALUES ('B1', 10, 20, 8), ('B2', 15, 25, 12), ('B3', 20, 30, 60), ('B4', 12, 28, 5))
       AS b(code, first, last, secs);

-- try_block_new creates a block of 1..3 STD rooms on a random run of nights
CREATE FUNCTION stress.try_block_new(pid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001']);
    first int := 10 + (random() * 15)::int;
BEGIN
    BEGIN
        PERFORM booking.create_block(pid, 'STD', 'N' || (random() * 1e9)::bigint, current_date + first,
                                     current_date + least(first + 1 + (random() * 4)::int, 30),
                                     1 + (random() * 2)::int,
                                     release_at => now() + make_interval(secs => random() * 15));
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('block_new', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('block_new', 'ok', allowed);
END
$$;

-- try_block_pickup picks 1..2 rooms up from a random block, on a run of
-- its nights
CREATE FUNCTION stress.try_block_pickup(pid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001', 'BK003']);
    b booking.room_block;
    ci date;
    r booking.reservation;
BEGIN
    SELECT * INTO b FROM booking.room_block WHERE property_id = pid ORDER BY random() LIMIT 1;
    IF b.code IS NULL THEN
        RETURN 'none';
    END IF;
    ci := b.first_night + (random() * (b.end_night - b.first_night - 1))::int;
    BEGIN
        r := booking.reserve_range(pid, 'STD', ci, least(ci + 1 + (random() * 2)::int, b.end_night),
                                   1 + (random() * 1)::int, guest_id => 'p' || (random() * 100)::int,
                                   hold => make_interval(secs => random() * 3), block => b.code);
        IF r.state IS DISTINCT FROM 'held' OR r.block IS DISTINCT FROM b.code THEN
            RETURN stress.record('block_pickup', 'WRONG_RESULT', allowed,
                                 format('pickup is %s from block %s', r.state, r.block));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('block_pickup', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('block_pickup', 'ok', allowed);
END
$$;

-- try_block_resize sets a random block to 1..3 rooms (BK003 below what is
-- picked up, or once released; BK001 without the public units)
CREATE FUNCTION stress.try_block_resize(pid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001', 'BK003']);
    b booking.room_block;
BEGIN
    SELECT * INTO b FROM booking.room_block WHERE property_id = pid ORDER BY random() LIMIT 1;
    IF b.code IS NULL THEN
        RETURN 'none';
    END IF;
    BEGIN
        PERFORM booking.create_block(pid, 'STD', b.code, b.first_night, b.end_night, 1 + (random() * 2)::int);
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('block_resize', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('block_resize', 'ok', allowed);
END
$$;

-- try_block_release releases a random block by hand, or runs a batch of
-- release_due_blocks as the sweeper does
CREATE FUNCTION stress.try_block_release(pid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY[]::text[]);
    c text;
BEGIN
    SELECT code INTO c FROM booking.room_block WHERE property_id = pid AND released_at IS NULL
     ORDER BY random() LIMIT 1;
    BEGIN
        IF c IS NULL OR random() < 0.9 THEN
            PERFORM booking.release_due_blocks(20);
        ELSE
            PERFORM booking.release_block(pid, c);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('block_release', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('block_release', 'ok', allowed);
END
$$;

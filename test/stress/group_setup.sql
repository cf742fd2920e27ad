-- test/stress/group_setup.sql: what the groups (2.0) add to the stress
-- fixture, run by test/stress/run after setup.sql.
--
-- A second room type, DBL (6 units over the same 20 nights), so that a
-- group's lines cross room types, and the wrappers group.sql calls:
-- reserve_group of 2..3 random lines (STD and DBL, overlapping nights,
-- so lines are often counted together), sometimes under an idempotency
-- key; then confirm_group or cancel_group of that group or of a recent
-- one.  Each records its outcome in stress.outcome like the wrappers of
-- setup.sql, with the SQLSTATEs the contract documents for the call as
-- expected ones.  The single-reservation wrappers meet group lines too
-- (pick_reservation picks them): confirm_booking of a line is BK003,
-- cancel_reservation, modify_reservation and begin_payment take them.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

SELECT booking.add_room_type((SELECT property_id FROM stress.fixture),
                             'DBL', 'Double', 6, 2, 150);
SELECT booking.open_inventory((SELECT property_id FROM stress.fixture), 'DBL',
                              current_date + 10, current_date + 30);

-- The first group id each group idempotency key answered.
CREATE UNLOGGED TABLE stress.group_key_result (
    key      text PRIMARY KEY,
    group_id bigint NOT NULL
);

-- check_group_lines checks the rows reserve_group answered against the
-- lines asked for: one row per line, in line order, each held with the
-- line's stay, all in one group whose id is the first line's.  NULL when
-- right, else what is wrong.
CREATE FUNCTION stress.check_group_lines(lines jsonb, got booking.reservation[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    l jsonb;
    r booking.reservation;
BEGIN
    IF coalesce(array_length(got, 1), 0) <> jsonb_array_length(lines) THEN
        RETURN format('%s lines asked, %s answered', jsonb_array_length(lines),
                      coalesce(array_length(got, 1), 0));
    END IF;
    FOR i IN 1 .. jsonb_array_length(lines) LOOP
        l := lines -> (i - 1);
        r := got[i];
        IF r.group_id IS DISTINCT FROM got[1].reservation_id
           OR (i > 1 AND r.reservation_id <= got[i - 1].reservation_id)
           OR r.room_type IS DISTINCT FROM l ->> 'room_type'
           OR r.check_in IS DISTINCT FROM (l ->> 'check_in')::date
           OR r.check_out IS DISTINCT FROM (l ->> 'check_out')::date
           OR r.rooms IS DISTINCT FROM (l ->> 'rooms')::int THEN
            RETURN format('line %s answered %s %s..%s x%s group %s (id %s), asked %s',
                          i, r.room_type, r.check_in, r.check_out, r.rooms, r.group_id,
                          r.reservation_id, l);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- try_group holds 2..3 random lines at the stress property: each STD or
-- DBL, 1..3 nights from +10..+28 (clipped to +30), 1..2 rooms; a tenth
-- of the groups take the default hold (booking.hold_ttl), the rest die
-- after 0.5..3 s.  Returns the group's id, or 0 when it was refused
-- (pgbench's \gset cannot carry a NULL).
CREATE FUNCTION stress.try_group(pid bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001']);
    n int := 2 + (random() * 1)::int;
    lines jsonb := '[]';
    ci int;
    got booking.reservation[];
    wrong text;
BEGIN
    FOR i IN 1 .. n LOOP
        ci := 10 + (random() * 18)::int;
        lines := lines || jsonb_build_object(
            'room_type', CASE WHEN random() < 0.5 THEN 'STD' ELSE 'DBL' END,
            'check_in', current_date + ci,
            'check_out', current_date + least(ci + 1 + (random() * 2)::int, 30),
            'rooms', 1 + (random() * 1)::int);
    END LOOP;
    BEGIN
        SELECT array_agg(r ORDER BY r.reservation_id) INTO got
          FROM booking.reserve_group(pid, lines, guest_id => 'gg' || (random() * 100)::int,
                                     hold => CASE WHEN random() < 0.1 THEN NULL
                                                  ELSE make_interval(secs => 0.5 + random() * 2.5) END) r;
        wrong := stress.check_group_lines(lines, got);
        IF wrong IS NOT NULL OR EXISTS (SELECT FROM unnest(got) r WHERE r.state <> 'held') THEN
            PERFORM stress.record('group_reserve', 'WRONG_RESULT', allowed,
                                  coalesce(wrong, 'a new line is not held'));
            RETURN 0;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        PERFORM stress.record('group_reserve', SQLSTATE, allowed, SQLERRM);
        RETURN 0;
    END;
    PERFORM stress.record('group_reserve', 'ok', allowed);
    RETURN got[1].reservation_id;
END
$$;

-- try_group_key replays group idempotency key number k (150 keys).  Every
-- argument is a function of k, so every call with the key is the same
-- request: the first that succeeds decides, and every later one must
-- answer the same group (its lines as they are now: one row per line,
-- the first the group's id), or BK001 while none has succeeded yet.
-- Returns the group's id, or 0.
CREATE FUNCTION stress.try_group_key(pid bigint, k int)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK001']);
    n int := 2 + k % 2;
    lines jsonb := '[]';
    ci int;
    got booking.reservation[];
    first_id bigint;
BEGIN
    FOR i IN 1 .. n LOOP
        ci := 10 + (k * 7 + i * 3) % 19;
        lines := lines || jsonb_build_object(
            'room_type', CASE (k + i) % 2 WHEN 0 THEN 'STD' ELSE 'DBL' END,
            'check_in', current_date + ci,
            'check_out', current_date + least(ci + 1 + (k + i) % 3, 30),
            'rooms', 1);
    END LOOP;
    BEGIN
        SELECT array_agg(r ORDER BY r.reservation_id) INTO got
          FROM booking.reserve_group(pid, lines, guest_id => 'gk' || k % 20,
                                     idempotency_key => 'gkey-' || k,
                                     hold => make_interval(secs => 1 + k % 3)) r;
    EXCEPTION WHEN OTHERS THEN
        PERFORM stress.record('group_reserve_key', SQLSTATE, allowed, SQLERRM);
        RETURN 0;
    END;
    IF coalesce(array_length(got, 1), 0) <> n OR got[1].group_id IS DISTINCT FROM got[1].reservation_id THEN
        PERFORM stress.record('group_reserve_key', 'WRONG_RESULT', allowed,
                              format('gkey-%s answered %s rows, first %s of group %s', k,
                                     coalesce(array_length(got, 1), 0), got[1].reservation_id, got[1].group_id));
        RETURN 0;
    END IF;
    INSERT INTO stress.group_key_result VALUES ('gkey-' || k, got[1].reservation_id)
        ON CONFLICT (key) DO NOTHING;
    SELECT group_id INTO first_id FROM stress.group_key_result WHERE key = 'gkey-' || k;
    IF first_id IS DISTINCT FROM got[1].reservation_id THEN
        PERFORM stress.record('group_reserve_key', 'IDEMPOTENCY_BROKEN', allowed,
                              format('gkey-%s answered group %s, earlier %s', k, got[1].reservation_id, first_id));
        RETURN 0;
    END IF;
    PERFORM stress.record('group_reserve_key', 'ok', allowed);
    RETURN got[1].reservation_id;
END
$$;

-- pick_group returns a recent group, or NULL: half the time one of the 8
-- newest with a line still held, payment_pending or expired (so that
-- payments meet live and dead holds), else one of the 8 newest with a
-- confirmed line (repeats, other payment_refs), else one of the 10 newest.
CREATE FUNCTION stress.pick_group()
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    dice float8 := random();
    id bigint;
BEGIN
    IF dice < 0.5 THEN
        SELECT group_id INTO id FROM booking.reservation
         WHERE group_id IS NOT NULL AND state IN ('held', 'payment_pending', 'expired')
         ORDER BY reservation_id DESC OFFSET (random() * 8)::int LIMIT 1;
    ELSIF dice < 0.8 THEN
        SELECT group_id INTO id FROM booking.reservation
         WHERE group_id IS NOT NULL AND state = 'confirmed'
         ORDER BY reservation_id DESC OFFSET (random() * 8)::int LIMIT 1;
    END IF;
    IF id IS NULL THEN
        SELECT group_id INTO id FROM booking.reservation
         WHERE group_id IS NOT NULL AND group_id = reservation_id
         ORDER BY reservation_id DESC OFFSET (random() * 10)::int LIMIT 1;
    END IF;
    RETURN id;
END
$$;

-- try_confirm_group pays for group gid with its own payment_ref, 'gpay-'
-- and its id (repeats are idempotent), or now and then with the
-- payment_ref of the group before it or of a lone reservation's
-- 'pay-<id>' (BK004 when that payer has it; a group paid with one ref and
-- then with another: BK003).  BK002 when an expired line's rooms are
-- gone, BK003 when every line is cancelled.  On success every line is
-- confirmed with the payment_ref or cancelled, and the first line carries
-- the payment_ref.
CREATE FUNCTION stress.try_confirm_group(gid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY['BK002', 'BK003', 'BK004']);
    dice float8 := random();
    ref text;
    nlines int;
    nwrong int;
    first_ref text;
BEGIN
    IF gid IS NULL THEN
        RETURN 'none';
    END IF;
    IF dice < 0.05 THEN
        ref := 'gpay-' || coalesce((SELECT max(group_id) FROM booking.reservation
                                     WHERE group_id IS NOT NULL AND group_id = reservation_id
                                       AND reservation_id < gid), gid);
    ELSIF dice < 0.10 THEN
        ref := 'pay-' || (gid - 1024);
    ELSE
        ref := 'gpay-' || gid;
    END IF;
    BEGIN
        SELECT count(*),
               count(*) FILTER (WHERE NOT (r.state = 'cancelled'
                                           OR (r.state = 'confirmed' AND r.payment_ref = ref))),
               min(r.payment_ref) FILTER (WHERE r.reservation_id = gid)
          INTO nlines, nwrong, first_ref
          FROM booking.confirm_group(gid, ref) r;
        IF nlines = 0 OR nwrong > 0 OR first_ref IS DISTINCT FROM ref THEN
            RETURN stress.record('group_confirm', 'WRONG_RESULT', allowed,
                                 format('confirm_group(%s, %s): %s lines, %s neither confirmed with it nor cancelled, first line''s ref %s',
                                        gid, ref, nlines, nwrong, first_ref));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('group_confirm', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('group_confirm', 'ok', allowed);
END
$$;

-- try_cancel_group cancels group gid: never fails on state; every line
-- comes back cancelled or expired.
CREATE FUNCTION stress.try_cancel_group(gid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    allowed text[] := stress.allowed_conflicts(ARRAY[]::text[]);
    nlines int;
    nwrong int;
BEGIN
    IF gid IS NULL THEN
        RETURN 'none';
    END IF;
    BEGIN
        SELECT count(*), count(*) FILTER (WHERE r.state NOT IN ('cancelled', 'expired'))
          INTO nlines, nwrong
          FROM booking.cancel_group(gid, 'stress') r;
        IF nlines = 0 OR nwrong > 0 THEN
            RETURN stress.record('group_cancel', 'WRONG_RESULT', allowed,
                                 format('cancel_group(%s): %s lines, %s still holding rooms', gid, nlines, nwrong));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN stress.record('group_cancel', SQLSTATE, allowed, SQLERRM);
    END;
    RETURN stress.record('group_cancel', 'ok', allowed);
END
$$;

-- try_group_next follows a reserve_group up: with the new group (gid, 0
-- when none was made) 45% are paid for and 15% cancelled at once; the
-- rest, and the refused ones, pay for (30%) or cancel (10%) one of the
-- newest groups, whose holds may have died meanwhile (late payment).
CREATE FUNCTION stress.try_group_next(gid bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    dice float8 := random();
BEGIN
    IF gid > 0 AND dice < 0.45 THEN
        RETURN stress.try_confirm_group(gid);
    ELSIF gid > 0 AND dice < 0.60 THEN
        RETURN stress.try_cancel_group(gid);
    END IF;
    dice := random();
    IF dice < 0.30 THEN
        RETURN stress.try_confirm_group(stress.pick_group());
    ELSIF dice < 0.40 THEN
        RETURN stress.try_cancel_group(stress.pick_group());
    END IF;
    RETURN 'none';
END
$$;

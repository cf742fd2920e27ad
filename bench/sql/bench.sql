-- bench/sql/bench.sql: the runner's helpers, in schema `bench`.
--
-- Engines are numbered as in the pgbench scripts' :engine variable:
--   0 ours (booking, the C engine), 1 lean, 2 feq, 3 floor,
--   4 leannotify (lean plus NOTIFY; cold and hot only, it writes lean's tables)
-- (see baseline.sql for what each baseline is).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- Work lists for the confirm and cancel runs: pgbench client c takes
-- slots c * 1000000 + 1, + 2, ...
CREATE TABLE bench.todo (
    slot           bigint PRIMARY KEY,
    reservation_id bigint NOT NULL
);

-- engine_name: the name used in the results.
CREATE FUNCTION bench.engine_name(engine int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['ours', 'lean', 'feq', 'floor', 'leannotify'])[engine + 1]
$$;

-- History: every engine's reservation table starts with the same number of
-- old, cancelled reservations (they hold nothing; half were paid, so the
-- payment_ref and confirmation_code indexes are not empty), and the keyed engines'
-- key tables with a key for each, then ANALYZE: the plans the engines get
-- are those of a database in use, not of an empty table (a generic plan
-- made against a nearly empty table can choose a sequential scan and keep
-- it while the table grows).  Runs then add rows above the watermark, and
-- bench.reset() deletes exactly those.
CREATE TABLE bench.watermark (
    tbl    text PRIMARY KEY,
    max_id bigint NOT NULL
);

-- booking 2.0 keeps the price each night was sold at in the reservation's row
CREATE FUNCTION bench.keeps_night_prices() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM pg_attribute
                    WHERE attrelid = 'booking.reservation'::regclass AND attname = 'night_prices'
                      AND NOT attisdropped)
$$;

CREATE FUNCTION bench.make_history(n int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    nprops int := (SELECT count(*) FROM booking.room_type WHERE code = 'R1');
    t text;
    prices boolean;
BEGIN
    PERFORM setseed(0.24);
    CREATE TEMP TABLE hist ON COMMIT DROP AS
    SELECT (1 + floor(random() * nprops))::bigint * 1024 AS property_id,
           'R' || (1 + floor(random() * 5))::int AS room_type,
           current_date - 400 + floor(random() * 700)::int AS check_in,
           1 + floor(random() * 7)::int AS nights
      FROM generate_series(1, n);
    FOREACH t IN ARRAY ARRAY['booking.reservation', 'baseline.reservation', 'baseline.lean_reservation'] LOOP
        -- booking 2.0 keeps the price each night was sold at (100 here) in the row
        prices := t = 'booking.reservation' AND bench.keeps_night_prices();
        EXECUTE format($q$
            INSERT INTO %s (reservation_id, property_id, room_type, check_in, check_out, rooms,
                            guest_id, state, hold_expires_at, total_price, created_at, updated_at,
                            cancel_reason, payment_ref, confirmation_code%s)
            SELECT h.id, h.property_id, h.room_type, h.check_in,
                   h.check_in + h.nights, 1, 'history', 'cancelled',
                   now() - interval '30 days', 100 * h.nights,
                   now() - interval '31 days', now() - interval '30 days', 'history',
                   CASE WHEN h.nights %% 2 = 0 THEN 'hist-' || h.id END,
                   CASE WHEN h.nights %% 2 = 0 THEN 'HIST-' || h.id END%s
              FROM (SELECT nextval(%L) * 1024 AS id, * FROM hist) h$q$, t,
            CASE WHEN prices THEN ', night_prices' ELSE '' END,
            CASE WHEN prices THEN ', array_fill(100::numeric, ARRAY[h.nights])' ELSE '' END,
            CASE WHEN t LIKE 'booking.%' THEN 'booking.reservation_id_seq'
                 ELSE 'baseline.reservation_id_seq' END);
    END LOOP;
    INSERT INTO booking.idempotency_key (scope, key, request_digest, property_id, reservation_id, created_at)
    SELECT 'history', 'h-' || reservation_id, sha256(reservation_id::text::bytea), property_id,
           reservation_id, now() - interval '1 hour'
      FROM booking.reservation;
    INSERT INTO baseline.idempotency_key (scope, key, request_digest, property_id, reservation_id, created_at)
    SELECT 'history', 'h-' || reservation_id, sha256(reservation_id::text::bytea), property_id,
           reservation_id, now() - interval '1 hour'
      FROM baseline.reservation;
    DELETE FROM bench.watermark;
    INSERT INTO bench.watermark VALUES
        ('booking.reservation', coalesce((SELECT max(reservation_id) FROM booking.reservation), 0)),
        ('baseline.reservation', coalesce((SELECT max(reservation_id) FROM baseline.reservation), 0)),
        ('baseline.lean_reservation', coalesce((SELECT max(reservation_id) FROM baseline.lean_reservation), 0));
END
$$;

-- sync_calendar brings booking.room_calendar (extension 1.1: one row per
-- property, room type and month, free[d] = the day's free units, or when
-- the night is not on sale -1 at 1.1 and -2147483648 from 1.2 on)
-- back in step with booking.inventory for the months in the temporary
-- table touched_months: the bench's own direct writes (reset, make_holds)
-- bypass the functions that keep it so, and check_invariants() compares
-- the two.  Does nothing before 1.1.
CREATE FUNCTION bench.sync_calendar() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    not_on_sale int := CASE WHEN to_regclass('booking.event_publisher') IS NULL THEN -1
                            ELSE -2147483648 END;
BEGIN
    IF to_regclass('booking.room_calendar') IS NULL THEN
        RETURN;
    END IF;
    UPDATE booking.room_calendar c SET free = s.free
      FROM (SELECT c2.property_id, c2.room_type, c2.month,
                   array_agg(coalesce(i.units - i.held - i.booked, not_on_sale) ORDER BY d) AS free
              FROM (SELECT DISTINCT * FROM touched_months) t
              JOIN booking.room_calendar c2 USING (property_id, room_type, month)
             CROSS JOIN generate_series(1, array_length(c2.free, 1)) d
              LEFT JOIN booking.inventory i
                ON i.property_id = c2.property_id AND i.room_type = c2.room_type
               AND i.night = c2.month + d - 1
             GROUP BY 1, 2, 3) s
     WHERE c.property_id = s.property_id AND c.room_type = s.room_type AND c.month = s.month
       AND c.free IS DISTINCT FROM s.free;
END
$$;

-- forget_runs deletes what the runs added: reservations above the
-- watermark, their keys, every event and the work list.
CREATE FUNCTION bench.forget_runs() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- From 1.2 on, events carry changes the publisher has not folded into
    -- the room calendar yet: publish (and fold) them before they go.
    IF to_regclass('booking.event_publisher') IS NOT NULL THEN
        WHILE EXISTS (SELECT 1 FROM booking.event WHERE position IS NULL) LOOP
            PERFORM booking.purge(1);
        END LOOP;
    END IF;
    DELETE FROM booking.idempotency_key WHERE scope <> 'history';
    DELETE FROM baseline.idempotency_key WHERE scope <> 'history';
    DELETE FROM booking.reservation
     WHERE reservation_id > (SELECT max_id FROM bench.watermark WHERE tbl = 'booking.reservation');
    DELETE FROM baseline.reservation
     WHERE reservation_id > (SELECT max_id FROM bench.watermark WHERE tbl = 'baseline.reservation');
    DELETE FROM baseline.lean_reservation
     WHERE reservation_id > (SELECT max_id FROM bench.watermark WHERE tbl = 'baseline.lean_reservation');
    TRUNCATE booking.event, baseline.event, bench.todo;
END
$$;

-- reset forgets the runs and gives every night its units back, so each
-- run starts from the same calendar.  Only rows that changed are
-- rewritten.  (The runner VACUUMs the reservation tables after it.)
CREATE FUNCTION bench.reset() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bench.forget_runs();
    CREATE TEMP TABLE touched_months ON COMMIT DROP AS
    WITH changed AS (
        UPDATE booking.inventory SET held = 0, booked = 0 WHERE held <> 0 OR booked <> 0
        RETURNING property_id, room_type, night)
    SELECT DISTINCT property_id, room_type, date_trunc('month', night)::date AS month FROM changed;
    PERFORM bench.sync_calendar();
    UPDATE baseline.inventory SET held = 0, booked = 0 WHERE held <> 0 OR booked <> 0;
END
$$;

-- reset_hot is reset for the last-units runs, which touch only room type
-- LU, after a full reset or a hot run (which touches only property 1024's
-- R1): no scan of the whole calendar.
CREATE FUNCTION bench.reset_hot() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bench.forget_runs();
    CREATE TEMP TABLE touched_months ON COMMIT DROP AS
    WITH changed AS (
        UPDATE booking.inventory SET held = 0, booked = 0
         WHERE (held <> 0 OR booked <> 0)
           AND (room_type = 'LU' OR (property_id = 1024 AND room_type = 'R1'))
        RETURNING property_id, room_type, night)
    SELECT DISTINCT property_id, room_type, date_trunc('month', night)::date AS month FROM changed;
    PERFORM bench.sync_calendar();
    UPDATE baseline.inventory SET held = 0, booked = 0
     WHERE (held <> 0 OR booked <> 0)
       AND (room_type = 'LU' OR (property_id = 1024 AND room_type = 'R1'));
END
$$;

-- make_holds writes n held reservations for `engine` straight into its
-- tables (one set-based statement, the same ranges for every engine:
-- random property, room type, check-in and 1-7 nights from a fixed seed)
-- and adds their rooms to the nights' `held`.  dead: their deadline has
-- passed (for expire_holds); else they are good for an hour.
CREATE FUNCTION bench.make_holds(engine int, n int, dead boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    nprops int := (SELECT count(*) FROM booking.room_type WHERE code = 'R1');
    last_day int := (SELECT max(night) - current_date - 7 FROM booking.inventory
                      WHERE property_id = 1024 AND room_type = 'R1');
    res_table text := CASE engine WHEN 0 THEN 'booking.reservation'
                                  WHEN 2 THEN 'baseline.reservation'
                                  ELSE 'baseline.lean_reservation' END;
    inv_table text := CASE engine WHEN 0 THEN 'booking.inventory' ELSE 'baseline.inventory' END;
    seq text := CASE engine WHEN 0 THEN 'booking.reservation_id_seq'
                            ELSE 'baseline.reservation_id_seq' END;
    made bigint;
BEGIN
    PERFORM setseed(0.42);
    EXECUTE format($q$
        CREATE TEMP TABLE holds ON COMMIT DROP AS
        SELECT nextval(%L) * 1024 AS reservation_id,
               (1 + floor(random() * %s))::bigint * 1024 AS property_id,
               'R' || (1 + floor(random() * 5))::int AS room_type,
               current_date + 2 + floor(random() * (%s - 1))::int AS check_in,
               1 + floor(random() * 7)::int AS nights
          FROM generate_series(1, %s)$q$, seq, nprops, last_day, n);
    -- booking 2.0 keeps the price each night was sold at in the row
    EXECUTE format($q$
        INSERT INTO %s (reservation_id, property_id, room_type, check_in, check_out, rooms,
                        guest_id, state, hold_expires_at, total_price, created_at%s)
        SELECT h.reservation_id, h.property_id, h.room_type, h.check_in, h.check_in + h.nights, 1,
               'bench', 'held', now() + CASE WHEN %L THEN interval '-1 minute' ELSE interval '1 hour' END,
               (SELECT sum(i.price) FROM %s i
                 WHERE i.property_id = h.property_id AND i.room_type = h.room_type
                   AND i.night >= h.check_in AND i.night < h.check_in + h.nights),
               now() - interval '20 minutes'%s
          FROM holds h$q$, res_table,
        CASE WHEN engine = 0 AND bench.keeps_night_prices() THEN ', night_prices' ELSE '' END,
        dead, inv_table,
        CASE WHEN engine = 0 AND bench.keeps_night_prices() THEN
            ', ARRAY(SELECT i.price FROM booking.inventory i
                      WHERE i.property_id = h.property_id AND i.room_type = h.room_type
                        AND i.night >= h.check_in AND i.night < h.check_in + h.nights
                      ORDER BY i.night)' ELSE '' END);
    GET DIAGNOSTICS made = ROW_COUNT;
    EXECUTE format($q$
        UPDATE %s i SET held = i.held + s.rooms
          FROM (SELECT h.property_id, h.room_type, h.check_in + g AS night, count(*)::int AS rooms
                  FROM holds h, generate_series(0, h.nights - 1) g
                 GROUP BY 1, 2, 3) s
         WHERE i.property_id = s.property_id AND i.room_type = s.room_type
           AND i.night = s.night$q$, inv_table);
    IF engine = 0 THEN
        CREATE TEMP TABLE touched_months ON COMMIT DROP AS
        SELECT DISTINCT h.property_id, h.room_type,
               date_trunc('month', h.check_in + g)::date AS month
          FROM holds h, generate_series(0, h.nights - 1) g;
        PERFORM bench.sync_calendar();
    END IF;
    RETURN made;
END
$$;

-- fill_todo deals engine's held reservations out to `clients` pgbench
-- clients, in reservation_id order.  Returns how many each gets (the
-- remainder is left out so every client has the same number).
CREATE FUNCTION bench.fill_todo(engine int, clients int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    res_table text := CASE engine WHEN 0 THEN 'booking.reservation'
                                  WHEN 2 THEN 'baseline.reservation'
                                  ELSE 'baseline.lean_reservation' END;
    total bigint;
BEGIN
    TRUNCATE bench.todo;
    EXECUTE format('SELECT count(*) FROM %s WHERE state = %L', res_table, 'held') INTO total;
    EXECUTE format($q$
        INSERT INTO bench.todo
        SELECT ((rn - 1) %% %s) * 1000000 + (rn - 1) / %s + 1, reservation_id
          FROM (SELECT reservation_id, row_number() OVER (ORDER BY reservation_id) AS rn
                  FROM %s WHERE state = 'held') s
         WHERE rn <= %s$q$, clients, clients, res_table, (total / clients) * clients);
    ANALYZE bench.todo;
    RETURN (total / clients)::int;
END
$$;

-- states counts an engine's reservations (not the history) by state: how the runner checks
-- that every confirm, cancel and expiry happened.
CREATE FUNCTION bench.states(engine int)
RETURNS TABLE(state text, n bigint) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT state::text, count(*) FROM %s'
                                ' WHERE guest_id IS DISTINCT FROM ''history'' GROUP BY 1 ORDER BY 1',
        CASE engine WHEN 0 THEN 'booking.reservation'
                    WHEN 2 THEN 'baseline.reservation'
                    ELSE 'baseline.lean_reservation' END);
END
$$;

-- problems recounts every night's held and booked from an engine's
-- reservations and compares with its inventory; for ours it also runs
-- booking.check_invariants().  Returns the number of bad nights (0 when
-- the books add up).
CREATE FUNCTION bench.problems(engine int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    -- the three baselines share baseline.inventory
    res_table text := CASE engine WHEN 0 THEN 'booking.reservation'
                                  ELSE '(SELECT property_id, room_type, check_in, check_out, rooms, state'
                                       ' FROM baseline.reservation UNION ALL'
                                       ' SELECT property_id, room_type, check_in, check_out, rooms, state'
                                       ' FROM baseline.lean_reservation)' END;
    inv_table text := CASE engine WHEN 0 THEN 'booking.inventory' ELSE 'baseline.inventory' END;
    bad bigint;
BEGIN
    EXECUTE format($q$
        WITH want AS (
            SELECT r.property_id, r.room_type, r.check_in + g AS night,
                   sum(r.rooms) FILTER (WHERE r.state IN ('held', 'payment_pending')) AS held,
                   sum(r.rooms) FILTER (WHERE r.state = 'confirmed') AS booked
              FROM %1$s r, generate_series(0, r.check_out - r.check_in - 1) g
             WHERE r.state IN ('held', 'payment_pending', 'confirmed')
             GROUP BY 1, 2, 3)
        SELECT count(*) FROM %2$s i
          FULL JOIN want w USING (property_id, room_type, night)
         WHERE (i.held <> 0 OR i.booked <> 0 OR w.night IS NOT NULL)
           AND (i.night IS NULL
                OR i.held <> coalesce(w.held, 0) OR i.booked <> coalesce(w.booked, 0)
                OR i.held + i.booked > i.units)$q$, res_table, inv_table) INTO bad;
    IF engine = 0 THEN
        bad := bad + (SELECT count(*) FROM booking.check_invariants());
    END IF;
    RETURN bad;
END
$$;

-- attempt: one reserve of one room on [ci, co) by `engine`, for the
-- last-units scenario.  1 when it got the room, 0 when sold out (BK001,
-- or no row from the floor statement).  Every engine pays the same
-- wrapper, exception block included.
CREATE FUNCTION bench.attempt(engine int, pid bigint, rt text, ci date, co date) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    BEGIN
        IF engine = 0 THEN
            id := (booking.reserve_range(pid, rt, ci, co, 1, 'guest')).reservation_id;
        ELSIF engine = 1 THEN
            id := baseline.lean_reserve(pid, rt, ci, co, 1, 'guest');
        ELSIF engine = 2 THEN
            id := (baseline.feq_reserve(pid, rt, ci, co, 1, 'guest')).reservation_id;
        ELSE
            id := baseline.floor_reserve(pid, rt, ci, co, 1, 'guest');
        END IF;
    EXCEPTION WHEN SQLSTATE 'BK001' THEN
        RETURN 0;
    END;
    RETURN CASE WHEN id IS NULL THEN 0 ELSE 1 END;
END
$$;

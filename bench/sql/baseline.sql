-- bench/sql/baseline.sql: what the C engine is measured against, in schema
-- `baseline` of the same database, on a copy of the same data.
--
-- Three baselines (and lean_reserve_notify, lean plus a NOTIFY):
--
--  lean   PL/pgSQL a competent user writes by hand: lock the nights
--         ORDER BY night FOR UPDATE, count them, update, insert the
--         reservation.  No idempotency, no validation beyond the range,
--         no events, no state trigger.  Table baseline.lean_reservation.
--
--  feq    "feature-equal" PL/pgSQL: the contract of booking.reserve_range
--         (../../src/reserve.c, inventory.c, idempotency.c, events.c):
--         NULL and range checks, booking.max_nights, rooms, key length,
--         hold > 0, the property's local today in its time zone, BK005 for
--         an unknown property or room type, idempotency keys with a SHA-256
--         digest of the arguments (replay, BK004), the nights locked in
--         order and counted, dead holds past their deadline expired (with
--         SKIP LOCKED, as the C code does) before BK001, the price summed,
--         the reservation inserted, an event row with the same jsonb
--         payload plus NOTIFY, a state-machine trigger in PL/pgSQL, and
--         SECURITY DEFINER with a pinned search_path.  Same for
--         confirm_booking, cancel_reservation and expire_holds.
--         Table baseline.reservation.
--
--  floor  the leanest single SQL statement doing the same writes: a
--         writable CTE that updates the nights and inserts the reservation.
--         It is a floor for the cost, not an implementation: on a range
--         where only some nights are short it would update the others
--         (the scenarios never ask for that: the last-units scenario asks
--         every client for the same nights).  Prepared by pgbench; the
--         functions floor_* below hold the same statements for callers
--         that cannot send them (the last-units wrapper, the profiler).
--         Table baseline.lean_reservation.
--
-- The tables are copies of booking's (LIKE ... INCLUDING ALL: the same
-- columns, CHECKs, defaults and indexes, plus the same foreign keys and
-- fillfactor), filled by bench/run from booking's after the load.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DROP SCHEMA IF EXISTS baseline CASCADE;
CREATE SCHEMA baseline;

CREATE TABLE baseline.property (LIKE booking.property INCLUDING ALL);
CREATE TABLE baseline.room_type (LIKE booking.room_type INCLUDING ALL,
    FOREIGN KEY (property_id) REFERENCES baseline.property);
CREATE TABLE baseline.inventory (LIKE booking.inventory INCLUDING ALL,
    FOREIGN KEY (property_id, room_type) REFERENCES baseline.room_type)
    WITH (fillfactor = 80);

CREATE SEQUENCE baseline.reservation_id_seq;
CREATE SEQUENCE baseline.event_id_seq;

-- booking.reservation as the baselines have it: booking 2.0 keeps each
-- night's price in the reservation's row; the baselines never kept night
-- prices (not even when they were a table of their own), so their tables
-- leave those columns out (LIKE copies no dropped column: the baselines'
-- tables are exactly what they were)
CREATE TABLE baseline.reservation_shape (LIKE booking.reservation INCLUDING ALL);
ALTER TABLE baseline.reservation_shape DROP COLUMN IF EXISTS night_prices,
    DROP COLUMN IF EXISTS night_extra;

-- feq's reservations: booking.reservation's twin, with a PL/pgSQL state trigger
CREATE TABLE baseline.reservation (LIKE baseline.reservation_shape INCLUDING ALL,
    FOREIGN KEY (property_id, room_type) REFERENCES baseline.room_type);
CREATE TABLE baseline.idempotency_key (LIKE booking.idempotency_key INCLUDING ALL,
    FOREIGN KEY (reservation_id) REFERENCES baseline.reservation);
CREATE TABLE baseline.event (LIKE booking.event INCLUDING ALL);
ALTER TABLE baseline.event
    ALTER event_id SET DEFAULT pg_catalog.nextval('baseline.event_id_seq');

-- lean's and floor's reservations: the same table without the trigger
CREATE TABLE baseline.lean_reservation (LIKE baseline.reservation_shape INCLUDING ALL,
    FOREIGN KEY (property_id, room_type) REFERENCES baseline.room_type);
DROP TABLE baseline.reservation_shape;

/* ===================================================================
 * lean
 * ===================================================================
 */

-- lean_reserve: lock, count, update, insert.
CREATE FUNCTION baseline.lean_reserve(p_property_id bigint, p_room_type text,
                                      p_check_in date, p_check_out date,
                                      p_rooms int DEFAULT 1, p_guest_id text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_nights int;
    v_total numeric;
    v_id bigint;
BEGIN
    IF p_check_out <= p_check_in THEN
        RAISE EXCEPTION 'check_out must be after check_in' USING ERRCODE = '22023';
    END IF;
    SELECT count(*), sum(price) INTO v_nights, v_total
      FROM (SELECT night, price FROM baseline.inventory
             WHERE property_id = p_property_id AND room_type = p_room_type
               AND night >= p_check_in AND night < p_check_out
               AND units - held - booked >= p_rooms
             ORDER BY night FOR UPDATE) n;
    IF v_nights <> p_check_out - p_check_in THEN
        RAISE EXCEPTION 'no availability' USING ERRCODE = 'BK001';
    END IF;
    UPDATE baseline.inventory SET held = held + p_rooms
     WHERE property_id = p_property_id AND room_type = p_room_type
       AND night >= p_check_in AND night < p_check_out;
    INSERT INTO baseline.lean_reservation
        (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id,
         state, hold_expires_at, total_price)
    VALUES (nextval('baseline.reservation_id_seq') * 1024, p_property_id, p_room_type,
            p_check_in, p_check_out, p_rooms, p_guest_id,
            'held', now() + interval '15 minutes', v_total * p_rooms)
    RETURNING reservation_id INTO v_id;
    RETURN v_id;
END
$$;

-- lean_reserve_notify: lean plus the NOTIFY booking sends with every
-- event, and nothing else: the difference between the two measures what
-- NOTIFY costs a writer (PostgreSQL serialises the commits of notifying
-- transactions on one lock).
CREATE FUNCTION baseline.lean_reserve_notify(p_property_id bigint, p_room_type text,
                                             p_check_in date, p_check_out date,
                                             p_rooms int DEFAULT 1, p_guest_id text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := baseline.lean_reserve(p_property_id, p_room_type, p_check_in, p_check_out,
                                         p_rooms, p_guest_id);
BEGIN
    PERFORM pg_notify('baseline_events', v_id::text);
    RETURN v_id;
END
$$;

-- lean_confirm: lock the reservation, move its units from held to booked.
CREATE FUNCTION baseline.lean_confirm(p_reservation_id bigint, p_payment_ref text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r baseline.lean_reservation;
BEGIN
    SELECT * INTO r FROM baseline.lean_reservation
     WHERE reservation_id = p_reservation_id FOR UPDATE;
    IF NOT FOUND OR r.state <> 'held' THEN
        RAISE EXCEPTION 'cannot confirm' USING ERRCODE = 'BK003';
    END IF;
    UPDATE baseline.inventory SET held = held - r.rooms, booked = booked + r.rooms
     WHERE property_id = r.property_id AND room_type = r.room_type
       AND night >= r.check_in AND night < r.check_out;
    UPDATE baseline.lean_reservation
       SET state = 'confirmed', payment_ref = p_payment_ref, updated_at = now()
     WHERE reservation_id = p_reservation_id;
    RETURN 'confirmed';
END
$$;

-- lean_cancel: lock the reservation, give its units back.
CREATE FUNCTION baseline.lean_cancel(p_reservation_id bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r baseline.lean_reservation;
BEGIN
    SELECT * INTO r FROM baseline.lean_reservation
     WHERE reservation_id = p_reservation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such reservation' USING ERRCODE = 'BK005';
    END IF;
    IF r.state = 'held' THEN
        UPDATE baseline.inventory SET held = held - r.rooms
         WHERE property_id = r.property_id AND room_type = r.room_type
           AND night >= r.check_in AND night < r.check_out;
    ELSIF r.state = 'confirmed' THEN
        UPDATE baseline.inventory SET booked = booked - r.rooms
         WHERE property_id = r.property_id AND room_type = r.room_type
           AND night >= r.check_in AND night < r.check_out;
    ELSE
        RETURN r.state::text;
    END IF;
    UPDATE baseline.lean_reservation SET state = 'cancelled', updated_at = now()
     WHERE reservation_id = p_reservation_id;
    RETURN 'cancelled';
END
$$;

-- lean_expire_holds: the dead holds one by one.
CREATE FUNCTION baseline.lean_expire_holds(p_max_rows int DEFAULT 1000)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    h record;
    n int := 0;
BEGIN
    FOR h IN SELECT reservation_id, property_id, room_type, check_in, check_out, rooms
               FROM baseline.lean_reservation
              WHERE state = 'held' AND hold_expires_at <= now()
              ORDER BY hold_expires_at LIMIT p_max_rows
                FOR UPDATE SKIP LOCKED LOOP
        UPDATE baseline.inventory SET held = held - h.rooms
         WHERE property_id = h.property_id AND room_type = h.room_type
           AND night >= h.check_in AND night < h.check_out;
        UPDATE baseline.lean_reservation SET state = 'expired', updated_at = now()
         WHERE reservation_id = h.reservation_id;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

/* ===================================================================
 * floor: single statements (pgbench sends them itself; these functions
 * wrap the same statements in SQL functions for the other callers)
 * ===================================================================
 */

CREATE FUNCTION baseline.floor_reserve(bigint, text, date, date, int, text)
RETURNS bigint LANGUAGE sql AS $$
WITH n AS (
    UPDATE baseline.inventory i SET held = i.held + $5
     WHERE i.property_id = $1 AND i.room_type = $2 AND i.night >= $3 AND i.night < $4
       AND i.units - i.held - i.booked >= $5
    RETURNING i.price)
INSERT INTO baseline.lean_reservation
    (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id,
     state, hold_expires_at, total_price)
SELECT nextval('baseline.reservation_id_seq') * 1024, $1, $2, $3, $4, $5, $6,
       'held', now() + interval '15 minutes', t.total * $5
  FROM (SELECT count(*) AS nights, sum(price) AS total FROM n) t
 WHERE t.nights = $4 - $3
RETURNING reservation_id
$$;

CREATE FUNCTION baseline.floor_confirm(bigint, text)
RETURNS bigint LANGUAGE sql AS $$
WITH r AS (
    UPDATE baseline.lean_reservation
       SET state = 'confirmed', payment_ref = $2, updated_at = now()
     WHERE reservation_id = $1 AND state = 'held'
    RETURNING property_id, room_type, check_in, check_out, rooms),
n AS (
    UPDATE baseline.inventory i SET held = i.held - r.rooms, booked = i.booked + r.rooms
      FROM r
     WHERE i.property_id = r.property_id AND i.room_type = r.room_type
       AND i.night >= r.check_in AND i.night < r.check_out
    RETURNING 1)
SELECT count(*) FROM n
$$;

CREATE FUNCTION baseline.floor_cancel(bigint)
RETURNS bigint LANGUAGE sql AS $$
WITH old AS (
    SELECT reservation_id, state FROM baseline.lean_reservation
     WHERE reservation_id = $1 AND state IN ('held', 'confirmed') FOR UPDATE),
r AS (
    UPDATE baseline.lean_reservation l SET state = 'cancelled', updated_at = now()
      FROM old
     WHERE l.reservation_id = old.reservation_id
    RETURNING l.property_id, l.room_type, l.check_in, l.check_out, l.rooms, old.state),
n AS (
    UPDATE baseline.inventory i
       SET held = i.held - CASE WHEN r.state = 'held' THEN r.rooms ELSE 0 END,
           booked = i.booked - CASE WHEN r.state = 'confirmed' THEN r.rooms ELSE 0 END
      FROM r
     WHERE i.property_id = r.property_id AND i.room_type = r.room_type
       AND i.night >= r.check_in AND i.night < r.check_out
    RETURNING 1)
SELECT count(*) FROM n
$$;

CREATE FUNCTION baseline.floor_expire_holds(int)
RETURNS bigint LANGUAGE sql AS $$
WITH d AS (
    UPDATE baseline.lean_reservation SET state = 'expired', updated_at = now()
     WHERE reservation_id IN (SELECT reservation_id FROM baseline.lean_reservation
                               WHERE state = 'held' AND hold_expires_at <= now()
                               ORDER BY hold_expires_at LIMIT $1
                                 FOR UPDATE SKIP LOCKED)
    RETURNING property_id, room_type, check_in, check_out, rooms),
n AS (
    UPDATE baseline.inventory i SET held = i.held - s.rooms
      FROM (SELECT d.property_id, d.room_type, d.check_in + g AS night, sum(d.rooms)::int AS rooms
              FROM d, generate_series(0, d.check_out - d.check_in - 1) g
             GROUP BY 1, 2, 3) s
     WHERE i.property_id = s.property_id AND i.room_type = s.room_type AND i.night = s.night)
SELECT count(*) FROM d
$$;

/* ===================================================================
 * feq: the contract in PL/pgSQL
 * ===================================================================
 */

-- The state machine (src/state.c): any other change of state is BK003.
CREATE FUNCTION baseline.enforce_state_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    IF (OLD.state, NEW.state) IN (('held', 'confirmed'), ('held', 'cancelled'),
                                  ('held', 'expired'), ('held', 'payment_pending'),
                                  ('payment_pending', 'confirmed'),
                                  ('payment_pending', 'cancelled'),
                                  ('payment_pending', 'expired'),
                                  ('confirmed', 'cancelled'), ('expired', 'confirmed')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a reservation cannot go from % to %', OLD.state, NEW.state
        USING ERRCODE = 'BK003',
              DETAIL = format('Reservation %s is %s.', OLD.reservation_id, OLD.state);
END
$$;

CREATE TRIGGER reservation_state_machine
    BEFORE UPDATE ON baseline.reservation
    FOR EACH ROW EXECUTE FUNCTION baseline.enforce_state_transition();

-- feq_emit_events: one event per reservation, as it is now, and a NOTIFY
-- (the statement of src/events.c).
CREATE FUNCTION baseline.feq_emit_events(p_kind text, p_ids bigint[])
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    WITH e AS (
        INSERT INTO baseline.event (kind, reservation_id, property_id, payload)
        SELECT p_kind, r.reservation_id, r.property_id,
               jsonb_build_object(
                 'state', r.state, 'room_type', r.room_type,
                 'check_in', r.check_in, 'check_out', r.check_out, 'rooms', r.rooms,
                 'guest_id', r.guest_id, 'total_price', r.total_price,
                 'hold_expires_at', r.hold_expires_at, 'payment_ref', r.payment_ref,
                 'payment_intent', r.payment_intent, 'confirmation_code', r.confirmation_code,
                 'cancel_reason', r.cancel_reason,
                 'void_authorization', p_kind IN ('expired', 'cancelled')
                                       AND r.payment_intent IS NOT NULL AND r.payment_ref IS NULL,
                 'refund', p_kind = 'cancelled' AND r.payment_ref IS NOT NULL,
                 'rate_plan', 'BASE', 'children', 0)
               -- 2.0: a cancel's fee (none under 'BASE') and what goes back
               || CASE WHEN p_kind = 'cancelled'
                       THEN jsonb_build_object('cancellation_fee', 0.00, 'refund_amount',
                                               CASE WHEN r.payment_ref IS NULL THEN 0.00
                                                    ELSE r.total_price END)
                       ELSE '{}'::jsonb END
          FROM baseline.reservation r
         WHERE r.reservation_id = ANY (p_ids)
         ORDER BY r.reservation_id
        RETURNING event_id)
    SELECT count(pg_notify('baseline_events', e.event_id::text)) INTO n FROM e;
END
$$;

-- feq_expire_reservations: expire the live holds in p_ids, which the
-- caller has locked: their nights locked in the global order, units
-- released, state set, an event each (src/expiry.c).
CREATE FUNCTION baseline.feq_expire_reservations(p_ids bigint[])
RETURNS int LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM 1 FROM baseline.inventory i
      JOIN (SELECT DISTINCT r.property_id, r.room_type, r.check_in + g AS night
              FROM baseline.reservation r,
                   generate_series(0, r.check_out - r.check_in - 1) g
             WHERE r.reservation_id = ANY (p_ids)) n
        ON i.property_id = n.property_id AND i.room_type = n.room_type AND i.night = n.night
     ORDER BY i.property_id, i.room_type, i.night
       FOR UPDATE OF i;
    UPDATE baseline.inventory i SET held = i.held - n.rooms
      FROM (SELECT r.property_id, r.room_type, r.check_in + g AS night, sum(r.rooms)::int AS rooms
              FROM baseline.reservation r,
                   generate_series(0, r.check_out - r.check_in - 1) g
             WHERE r.reservation_id = ANY (p_ids)
             GROUP BY 1, 2, 3) n
     WHERE i.property_id = n.property_id AND i.room_type = n.room_type AND i.night = n.night;
    UPDATE baseline.reservation SET state = 'expired', updated_at = now()
     WHERE reservation_id = ANY (p_ids) AND state IN ('held', 'payment_pending');
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM baseline.feq_emit_events('expired', p_ids);
    RETURN n;
END
$$;

-- feq_expire_holds: expire_holds(max_rows), src/expiry.c.
CREATE FUNCTION baseline.feq_expire_holds(max_rows int DEFAULT 1000)
RETURNS int LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF max_rows IS NULL OR max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows must be at least 1' USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(reservation_id) INTO v_ids FROM (
        SELECT reservation_id FROM baseline.reservation
         WHERE state IN ('held', 'payment_pending') AND hold_expires_at <= statement_timestamp()
         ORDER BY hold_expires_at, reservation_id
         LIMIT max_rows FOR UPDATE SKIP LOCKED) s;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    RETURN baseline.feq_expire_reservations(v_ids);
END
$$;

-- feq_reserve: reserve_range with the whole contract (src/reserve.c).
CREATE FUNCTION baseline.feq_reserve(property_id bigint, room_type text,
                                     check_in date, check_out date,
                                     rooms int DEFAULT 1, guest_id text DEFAULT NULL,
                                     idempotency_key text DEFAULT NULL,
                                     hold interval DEFAULT NULL)
RETURNS baseline.reservation LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_pid bigint := $1;
    v_rt text := $2;
    v_in date := $3;
    v_out date := $4;
    v_rooms int := $5;
    v_guest text := $6;
    v_key text := $7;
    v_hold interval := $8;
    v_now timestamptz := statement_timestamp();
    v_scope text;
    v_digest bytea;
    v_stored bytea;
    v_existing bigint;
    v_claimed boolean := false;
    v_tz text;
    v_has_rt boolean;
    v_today date;
    v_expires timestamptz;
    v_nights int;
    v_short int;
    v_total numeric;
    v_night date;
    v_free int;
    v_dead bigint[];
    h record;
    v_outside int;
    r baseline.reservation;
BEGIN
    IF v_pid IS NULL OR v_rt IS NULL OR v_in IS NULL OR v_out IS NULL OR v_rooms IS NULL THEN
        RAISE EXCEPTION '% must not be NULL',
            CASE WHEN v_pid IS NULL THEN 'property_id' WHEN v_rt IS NULL THEN 'room_type'
                 WHEN v_in IS NULL THEN 'check_in' WHEN v_out IS NULL THEN 'check_out'
                 ELSE 'rooms' END
            USING ERRCODE = '22023';
    END IF;
    IF NOT isfinite(v_in) OR NOT isfinite(v_out) THEN
        RAISE EXCEPTION 'check_in and check_out must be finite dates' USING ERRCODE = '22023';
    END IF;
    IF v_out <= v_in THEN
        RAISE EXCEPTION 'check_out must be after check_in' USING ERRCODE = '22023',
            DETAIL = format('check_in is %s, check_out is %s.', v_in, v_out);
    END IF;
    IF v_out - v_in > current_setting('booking.max_nights')::int THEN
        RAISE EXCEPTION 'stay of % nights is longer than booking.max_nights (%)',
            v_out - v_in, current_setting('booking.max_nights') USING ERRCODE = '22023';
    END IF;
    IF v_rooms < 1 THEN
        RAISE EXCEPTION 'rooms must be at least 1' USING ERRCODE = '22023';
    END IF;
    IF v_key IS NOT NULL AND (octet_length(v_key) = 0 OR octet_length(v_key) > 255) THEN
        RAISE EXCEPTION 'idempotency_key must be 1 to 255 bytes long' USING ERRCODE = '22023';
    END IF;
    IF v_hold IS NOT NULL AND v_hold <= interval '0' THEN
        RAISE EXCEPTION 'hold must be a positive interval' USING ERRCODE = '22023';
    END IF;
    v_scope := coalesce(v_guest, '');

    -- Idempotency: claim the key before touching inventory.
    IF v_key IS NOT NULL THEN
        v_digest := sha256(convert_to(format('reserve_range/1|%s|%s:%s|%s|%s|%s|%s',
                                             v_pid, octet_length(v_rt), v_rt, v_in, v_out,
                                             v_rooms, coalesce(v_hold::text, 'default')),
                                      'UTF8'));
        FOR attempt IN 1 .. 3 LOOP
            INSERT INTO baseline.idempotency_key (scope, key, request_digest, property_id, created_at)
            VALUES (v_scope, v_key, v_digest, v_pid, now())
            ON CONFLICT (scope, key) DO NOTHING;
            IF FOUND THEN
                v_claimed := true;
                EXIT;
            END IF;
            SELECT k.request_digest, k.reservation_id INTO v_stored, v_existing
              FROM baseline.idempotency_key k WHERE k.scope = v_scope AND k.key = v_key;
            CONTINUE WHEN NOT FOUND;
            IF v_stored <> v_digest THEN
                RAISE EXCEPTION 'idempotency key "%" was already used with other arguments', v_key
                    USING ERRCODE = 'BK004';
            END IF;
            SELECT * INTO r FROM baseline.reservation x WHERE x.reservation_id = v_existing;
            RETURN r;
        END LOOP;
        IF NOT v_claimed THEN
            RAISE EXCEPTION 'idempotency key "%" changed while it was being claimed', v_key
                USING ERRCODE = 'BK007';
        END IF;
    END IF;

    -- The property, its time zone, the room type, and the local today.
    SELECT p.time_zone, rt.code IS NOT NULL INTO v_tz, v_has_rt
      FROM baseline.property p
      LEFT JOIN baseline.room_type rt ON rt.property_id = p.property_id AND rt.code = v_rt
     WHERE p.property_id = v_pid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'property % does not exist', v_pid USING ERRCODE = 'BK005';
    END IF;
    IF NOT v_has_rt THEN
        RAISE EXCEPTION 'room type "%" does not exist at property %', v_rt, v_pid
            USING ERRCODE = 'BK005';
    END IF;
    v_today := (v_now AT TIME ZONE v_tz)::date;
    IF v_in < v_today THEN
        RAISE EXCEPTION 'check_in is in the past' USING ERRCODE = '22023',
            DETAIL = format('check_in is %s; it is %s at property %s (time zone %s).',
                            v_in, v_today, v_pid, v_tz);
    END IF;
    v_expires := v_now + coalesce(v_hold, current_setting('booking.hold_ttl')::interval);

    -- Lock the nights in order, count them and the ones short of units.
    FOR attempt IN 1 .. 2 LOOP
        SELECT count(*), count(*) FILTER (WHERE n.free < v_rooms), sum(n.price)
          INTO v_nights, v_short, v_total
          FROM (SELECT i.units - i.held - i.booked AS free, i.price
                  FROM baseline.inventory i
                 WHERE i.property_id = v_pid AND i.room_type = v_rt
                   AND i.night >= v_in AND i.night < v_out
                 ORDER BY i.night FOR UPDATE) n;
        EXIT WHEN v_nights = v_out - v_in AND v_short = 0;

        -- The first night that lacks units (all are locked now).
        SELECT s.night, s.free INTO v_night, v_free
          FROM (SELECT d::date AS night,
                       i.units - i.held - i.booked AS free
                  FROM generate_series(v_in, v_out - 1, interval '1 day') d
                  LEFT JOIN baseline.inventory i
                    ON i.property_id = v_pid AND i.room_type = v_rt AND i.night = d::date) s
         WHERE s.free IS NULL OR s.free < v_rooms
         ORDER BY s.night LIMIT 1;
        IF v_free IS NULL THEN
            RAISE EXCEPTION 'no availability: a night of the stay is not on sale'
                USING ERRCODE = 'BK001',
                      DETAIL = format('Property %s, room type "%s", night %s has no inventory.',
                                      v_pid, v_rt, v_night);
        END IF;
        IF attempt = 2 THEN
            EXIT;
        END IF;

        -- Dead holds on these nights: expire those nobody else holds,
        -- whose nights outside ours can be locked without waiting.
        v_dead := ARRAY[]::bigint[];
        FOR h IN SELECT x.reservation_id, x.check_in, x.check_out
                   FROM baseline.reservation x
                  WHERE x.property_id = v_pid AND x.room_type = v_rt
                    AND x.state IN ('held', 'payment_pending') AND x.hold_expires_at <= v_now
                    AND x.check_in < v_out AND x.check_out > v_in
                  ORDER BY x.reservation_id FOR UPDATE SKIP LOCKED LOOP
            v_outside := greatest(least(h.check_out, v_in) - h.check_in, 0)
                       + greatest(h.check_out - greatest(h.check_in, v_out), 0);
            IF v_outside > 0 THEN
                CONTINUE WHEN (SELECT count(*) FROM (
                                   SELECT 1 FROM baseline.inventory i
                                    WHERE i.property_id = v_pid AND i.room_type = v_rt
                                      AND i.night >= h.check_in AND i.night < h.check_out
                                      AND (i.night < v_in OR i.night >= v_out)
                                    ORDER BY i.night FOR UPDATE SKIP LOCKED) o) <> v_outside;
            END IF;
            v_dead := v_dead || h.reservation_id;
        END LOOP;
        EXIT WHEN cardinality(v_dead) = 0 OR baseline.feq_expire_reservations(v_dead) = 0;
    END LOOP;
    IF v_nights <> v_out - v_in OR v_short > 0 THEN
        RAISE EXCEPTION 'no availability: % room(s) requested, % free on one night of the stay',
            v_rooms, v_free
            USING ERRCODE = 'BK001',
                  DETAIL = format('Property %s, room type "%s", night %s has %s unit(s) free.',
                                  v_pid, v_rt, v_night, v_free),
                  HINT = 'Search other dates or room types; nothing was held.';
    END IF;

    UPDATE baseline.inventory i SET held = i.held + v_rooms
     WHERE i.property_id = v_pid AND i.room_type = v_rt
       AND i.night >= v_in AND i.night < v_out;

    INSERT INTO baseline.reservation AS x
        (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id,
         state, hold_expires_at, total_price)
    VALUES (nextval('baseline.reservation_id_seq') * 1024
                + current_setting('booking.node_id')::int,
            v_pid, v_rt, v_in, v_out, v_rooms, v_guest,
            'held', v_expires, v_total * v_rooms)
    RETURNING x.* INTO r;

    IF v_key IS NOT NULL THEN
        UPDATE baseline.idempotency_key k SET reservation_id = r.reservation_id
         WHERE k.scope = v_scope AND k.key = v_key;
    END IF;
    PERFORM baseline.feq_emit_events('reserved', ARRAY[r.reservation_id]);
    RETURN r;
END
$$;

-- feq_lock_reservation: the reservation row, locked; BK005 when unknown.
CREATE FUNCTION baseline.feq_lock_reservation(p_id bigint)
RETURNS baseline.reservation LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r baseline.reservation;
BEGIN
    SELECT * INTO r FROM baseline.reservation WHERE reservation_id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'reservation % does not exist', p_id USING ERRCODE = 'BK005';
    END IF;
    RETURN r;
END
$$;

-- feq_confirm: confirm_booking(reservation_id, payment_ref), src/lifecycle.c.
CREATE FUNCTION baseline.feq_confirm(reservation_id bigint, payment_ref text)
RETURNS baseline.reservation LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id bigint := $1;
    v_ref text := $2;
    r baseline.reservation;
    v_nights int;
    v_short int;
    v_code text;
    v_alphabet text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    v_n bigint;
    v_rand bytea;
BEGIN
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'reservation_id must not be NULL' USING ERRCODE = '22023';
    END IF;
    IF v_ref IS NULL OR v_ref = '' THEN
        RAISE EXCEPTION 'payment_ref must not be NULL or empty' USING ERRCODE = '22023';
    END IF;
    r := baseline.feq_lock_reservation(v_id);
    IF r.state = 'confirmed' THEN
        IF r.payment_ref = v_ref THEN
            RETURN r;
        END IF;
        RAISE EXCEPTION 'reservation % is already confirmed with another payment_ref', v_id
            USING ERRCODE = 'BK003';
    END IF;
    IF r.state NOT IN ('held', 'payment_pending', 'expired') THEN
        RAISE EXCEPTION 'reservation % cannot be confirmed: it is %', v_id, r.state
            USING ERRCODE = 'BK003';
    END IF;

    -- One payment pays for one reservation.
    PERFORM pg_advisory_xact_lock(hashtextextended(v_ref, 0));
    IF EXISTS (SELECT 1 FROM baseline.reservation x
                WHERE x.payment_ref = v_ref AND x.reservation_id <> v_id) THEN
        RAISE EXCEPTION 'payment_ref "%" already belongs to another reservation', v_ref
            USING ERRCODE = 'BK004';
    END IF;

    IF r.state IN ('held', 'payment_pending') THEN
        PERFORM 1 FROM baseline.inventory i
          WHERE i.property_id = r.property_id AND i.room_type = r.room_type
            AND i.night >= r.check_in AND i.night < r.check_out
          ORDER BY i.night FOR UPDATE;
        UPDATE baseline.inventory i SET held = i.held - r.rooms, booked = i.booked + r.rooms
         WHERE i.property_id = r.property_id AND i.room_type = r.room_type
           AND i.night >= r.check_in AND i.night < r.check_out;
    ELSE
        -- Late payment: take the units again if every night has them.
        SELECT count(*), count(*) FILTER (WHERE n.free < r.rooms) INTO v_nights, v_short
          FROM (SELECT i.units - i.held - i.booked AS free
                  FROM baseline.inventory i
                 WHERE i.property_id = r.property_id AND i.room_type = r.room_type
                   AND i.night >= r.check_in AND i.night < r.check_out
                 ORDER BY i.night FOR UPDATE) n;
        IF v_nights <> r.check_out - r.check_in OR v_short > 0 THEN
            RAISE EXCEPTION 'hold of reservation % expired and its rooms are gone', v_id
                USING ERRCODE = 'BK002';
        END IF;
        UPDATE baseline.inventory i SET booked = i.booked + r.rooms
         WHERE i.property_id = r.property_id AND i.room_type = r.room_type
           AND i.night >= r.check_in AND i.night < r.check_out;
    END IF;

    -- Confirmation code: base-32 of the id, '-', 4 random base-32 characters.
    v_code := '';
    v_n := v_id;
    LOOP
        v_code := substr(v_alphabet, (v_n % 32)::int + 1, 1) || v_code;
        v_n := v_n / 32;
        EXIT WHEN v_n = 0;
    END LOOP;
    v_rand := gen_random_uuid()::text::bytea;
    v_code := v_code || '-';
    FOR k IN 0 .. 3 LOOP
        v_code := v_code || substr(v_alphabet, get_byte(v_rand, k) % 32 + 1, 1);
    END LOOP;

    UPDATE baseline.reservation x
       SET state = 'confirmed', payment_ref = v_ref, confirmation_code = v_code, updated_at = now()
     WHERE x.reservation_id = v_id
    RETURNING x.* INTO r;
    PERFORM baseline.feq_emit_events('confirmed', ARRAY[v_id]);
    RETURN r;
END
$$;

-- feq_cancel: cancel_reservation(reservation_id, reason), src/lifecycle.c.
CREATE FUNCTION baseline.feq_cancel(reservation_id bigint, reason text DEFAULT NULL)
RETURNS baseline.reservation LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id bigint := $1;
    r baseline.reservation;
BEGIN
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'reservation_id must not be NULL' USING ERRCODE = '22023';
    END IF;
    r := baseline.feq_lock_reservation(v_id);
    IF r.state NOT IN ('held', 'payment_pending', 'confirmed') THEN
        RETURN r;
    END IF;
    PERFORM 1 FROM baseline.inventory i
      WHERE i.property_id = r.property_id AND i.room_type = r.room_type
        AND i.night >= r.check_in AND i.night < r.check_out
      ORDER BY i.night FOR UPDATE;
    IF r.state = 'confirmed' THEN
        UPDATE baseline.inventory i SET booked = i.booked - r.rooms
         WHERE i.property_id = r.property_id AND i.room_type = r.room_type
           AND i.night >= r.check_in AND i.night < r.check_out;
    ELSE
        UPDATE baseline.inventory i SET held = i.held - r.rooms
         WHERE i.property_id = r.property_id AND i.room_type = r.room_type
           AND i.night >= r.check_in AND i.night < r.check_out;
    END IF;
    UPDATE baseline.reservation x
       SET state = 'cancelled', cancel_reason = $2, updated_at = now()
     WHERE x.reservation_id = v_id
    RETURNING x.* INTO r;
    PERFORM baseline.feq_emit_events('cancelled', ARRAY[v_id]);
    RETURN r;
END
$$;

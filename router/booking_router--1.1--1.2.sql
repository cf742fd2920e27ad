/*-------------------------------------------------------------------------
 * booking_router--1.1--1.2.sql
 *    Version 1.2 of booking_router: the booking 2.0 additions routed.
 *    So far ownership and look-ups: guest_id on confirm_booking,
 *    cancel_reservation and begin_payment; get_reservation on the shard
 *    that issued the id; find_reservation on every shard in turn;
 *    guests: booking.reservation's new columns (group_id, guests), the
 *    guests argument of reserve_range and quote; modify_reservation; and
 *    groups: reserve_group on its property's shard, confirm_group and
 *    cancel_group on the shard that issued the group's id.
 *
 * Needs shards at booking 2.0 (the calls pass guest_id, which 1.2's
 * functions do not take).  As in 1.1, an API function's signature is
 * created here and its body given by booking_router.reroute; a function
 * whose arguments change is dropped and created again, with its grant.
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking_router UPDATE TO '1.2'" to load this file. \quit

/* ---------------------------------------------------------------------
 * booking.reservation as booking 2.0 returns it: two columns at the end.
 * The router's copy of the type must equal the shards' (check_shards).
 * ---------------------------------------------------------------------
 */
ALTER TYPE booking.reservation ADD ATTRIBUTE group_id bigint, ADD ATTRIBUTE guests int;

/* ---------------------------------------------------------------------
 * guests on reserve_range and quote
 * ---------------------------------------------------------------------
 */
DROP FUNCTION booking.reserve_range(bigint, text, date, date, int, text, text, interval);
DROP FUNCTION booking.quote(bigint, text, date, date, int);
DROP FUNCTION booking_router.px_reserve_range(int, int, bigint, text, date, date, int, text, text, interval);
DROP FUNCTION booking_router.px_quote(int, int, bigint, text, date, date, int);

CREATE FUNCTION booking_router.px_reserve_range(part int, expect int,
                                                property_id bigint, room_type text,
                                                check_in date, check_out date,
                                                rooms int, guest_id text,
                                                idempotency_key text, hold interval, guests int)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.reserve_range(property_id, room_type, check_in, check_out, rooms,
                                 guest_id, idempotency_key, hold, guests) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_quote(part int, expect int,
                                        property_id bigint, room_type text,
                                        check_in date, check_out date, rooms int, guests int)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT q.night, q.available, q.price, q.total_price, q.bookable, q.reason
      FROM booking.quote(property_id, room_type, check_in, check_out, rooms, guests) q
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking.reserve_range(property_id bigint, room_type text,
                                      check_in date, check_out date,
                                      rooms int DEFAULT 1, guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL, guests int DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.quote(property_id bigint, room_type text,
                              check_in date, check_out date, rooms int DEFAULT 1,
                              guests int DEFAULT NULL)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text)
    LANGUAGE plpgsql STABLE AS 'BEGIN END';
SELECT booking_router.reroute('booking.reserve_range(bigint, text, date, date, int, text, text, interval, int)',
                              'booking.node_of(property_id)', writes => true);
SELECT booking_router.reroute('booking.quote(bigint, text, date, date, int, int)',
                              'booking.node_of(property_id)', writes => false);

/* ---------------------------------------------------------------------
 * guest_id on the calls that change a reservation
 * ---------------------------------------------------------------------
 */
DROP FUNCTION booking.confirm_booking(bigint, text);
DROP FUNCTION booking.cancel_reservation(bigint, text);
DROP FUNCTION booking.begin_payment(bigint, text, interval);
DROP FUNCTION booking_router.px_confirm_booking(int, int, bigint, text);
DROP FUNCTION booking_router.px_cancel_reservation(int, int, bigint, text);
DROP FUNCTION booking_router.px_begin_payment(int, int, bigint, text, interval);

CREATE FUNCTION booking_router.px_confirm_booking(part int, expect int, reservation_id bigint,
                                                  payment_ref text, guest_id text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.confirm_booking(reservation_id, payment_ref, guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_cancel_reservation(part int, expect int, reservation_id bigint,
                                                     reason text, guest_id text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.cancel_reservation(reservation_id, reason, guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_begin_payment(part int, expect int, reservation_id bigint,
                                                payment_intent text, extend interval, guest_id text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.begin_payment(reservation_id, payment_intent, extend, guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

/* The API functions: signatures here, bodies from reroute below. */
CREATE FUNCTION booking.confirm_booking(reservation_id bigint, payment_ref text,
                                        guest_id text DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.cancel_reservation(reservation_id bigint, reason text DEFAULT NULL,
                                           guest_id text DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.begin_payment(reservation_id bigint, payment_intent text,
                                      extend interval DEFAULT NULL, guest_id text DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
SELECT booking_router.reroute(fn, 'booking.node_of(reservation_id)', writes => true)
  FROM unnest('{"booking.confirm_booking(bigint, text, text)",
                "booking.cancel_reservation(bigint, text, text)",
                "booking.begin_payment(bigint, text, interval, text)"}'::regprocedure[]) fn;

/* ---------------------------------------------------------------------
 * get_reservation: on the shard that issued the id
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_get_reservation(part int, expect int, reservation_id bigint,
                                                  guest_id text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.get_reservation(reservation_id, guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;
CREATE FUNCTION booking.get_reservation(reservation_id bigint, guest_id text DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql STABLE AS 'BEGIN END';
SELECT booking_router.reroute('booking.get_reservation(bigint, text)',
                              'booking.node_of(reservation_id)', writes => false);

/* ---------------------------------------------------------------------
 * modify_reservation: on the shard that issued the reservation (a change
 * stays at its property, so on its shard)
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_modify_reservation(part int, expect int, reservation_id bigint,
                                                     check_in date, check_out date, rooms int,
                                                     room_type text, guests int,
                                                     idempotency_key text, guest_id text, dry_run boolean)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.modify_reservation(reservation_id, check_in, check_out, rooms, room_type,
                                      guests, idempotency_key, guest_id, dry_run) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;
CREATE FUNCTION booking.modify_reservation(reservation_id bigint,
                                           check_in date DEFAULT NULL, check_out date DEFAULT NULL,
                                           rooms int DEFAULT NULL, room_type text DEFAULT NULL,
                                           guests int DEFAULT NULL, idempotency_key text DEFAULT NULL,
                                           guest_id text DEFAULT NULL, dry_run boolean DEFAULT false)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
SELECT booking_router.reroute('booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean)',
                              'booking.node_of(reservation_id)', writes => true);

/* ---------------------------------------------------------------------
 * find_reservation: a confirmation code, payment intent or payment
 * reference says nothing of its shard, so each shard is asked in turn
 * until one has it (the first whose answer is not BK005); a shard that
 * cannot be reached fails the call as retry says (a read is tried once
 * more).  When none has it, the answer is the shards' own BK005.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_find_reservation(part int, confirmation_code text,
                                                   payment_intent text, payment_ref text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.find_reservation(confirmation_code, payment_intent, payment_ref) r;
$$;

CREATE FUNCTION booking.find_reservation(confirmation_code text DEFAULT NULL,
                                         payment_intent text DEFAULT NULL,
                                         payment_ref text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    -- booking_router: each shard in turn; errors but BK005 go to booking_router.retry
    s record;
    a booking_router.attempt;
    e booking_router.error;
    missing booking_router.error;
BEGIN
    FOR s IN SELECT l.shard FROM booking_router.shard_list() l ORDER BY l.shard LOOP
        a := NULL;
        LOOP
            BEGIN
                RETURN booking_router.px_find_reservation(s.shard, confirmation_code,
                                                          payment_intent, payment_ref);
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                GET STACKED DIAGNOSTICS e.sqlstate = RETURNED_SQLSTATE, e.message = MESSAGE_TEXT,
                                        e.detail = PG_EXCEPTION_DETAIL, e.hint = PG_EXCEPTION_HINT;
                IF e.sqlstate OPERATOR(pg_catalog.=) 'BK005' THEN
                    missing := e;
                    PERFORM booking_router.reconnect(s.shard);
                    EXIT;
                END IF;
                a := booking_router.retry(ROW(s.shard, -1, false, COALESCE(a.failures, 0)), e);
            END;
        END LOOP;
    END LOOP;
    IF missing IS NULL THEN
        /* no shards: the error every routed call gives */
        a := booking_router.retry(ROW(0, -1, false, 0), ROW('55000', '', NULL, NULL));
    END IF;
    PERFORM booking_router.raise_error(missing.sqlstate, booking_router.plproxy_text(missing.message),
                                       pg_catalog.regexp_replace(missing.detail, '^Remote detail: ', ''),
                                       pg_catalog.regexp_replace(missing.hint, '^Remote hint: ', ''));
    RETURN NULL;        /* not reached */
END
$$;

/* ---------------------------------------------------------------------
 * Groups: reserve_group on its property's shard (all its lines are at
 * that property); confirm_group and cancel_group on the shard that issued
 * the group's id (a group's id is its first line's reservation_id, so
 * node_of names the shard as it does for a reservation).  Each returns
 * one row per line: the PL/Proxy functions are SETOF, so every row the
 * shard returns comes back (a PL/Proxy function that is not SETOF wants
 * exactly one row).
 *
 * Their calls are written out: reroute's default for rows sorts on the
 * columns a RETURNS TABLE lists, which SETOF booking.reservation does not
 * list.  The rows are sorted on reservation_id, which is line order (a
 * group's lines get their ids in line order) and takes every row before
 * it gives one; an empty answer is checked against the gate, as reroute's
 * default does.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_reserve_group(part int, expect int, property_id bigint, lines jsonb,
                                                guest_id text, idempotency_key text, hold interval)
    RETURNS SETOF booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.reserve_group(property_id, lines, guest_id, idempotency_key, hold) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_confirm_group(part int, expect int, group_id bigint,
                                                payment_ref text, guest_id text)
    RETURNS SETOF booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.confirm_group(group_id, payment_ref, guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_cancel_group(part int, expect int, group_id bigint,
                                               reason text, guest_id text)
    RETURNS SETOF booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests
      FROM booking.cancel_group(group_id, reason, guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking.reserve_group(property_id bigint, lines jsonb,
                                      guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL)
    RETURNS SETOF booking.reservation LANGUAGE plpgsql VOLATILE ROWS 4 AS 'BEGIN END';
CREATE FUNCTION booking.confirm_group(group_id bigint, payment_ref text,
                                      guest_id text DEFAULT NULL)
    RETURNS SETOF booking.reservation LANGUAGE plpgsql VOLATILE ROWS 4 AS 'BEGIN END';
CREATE FUNCTION booking.cancel_group(group_id bigint, reason text DEFAULT NULL,
                                     guest_id text DEFAULT NULL)
    RETURNS SETOF booking.reservation LANGUAGE plpgsql VOLATILE ROWS 4 AS 'BEGIN END';
SELECT booking_router.reroute('booking.reserve_group(bigint, jsonb, text, text, interval)',
                              'booking.node_of(property_id)', writes => true, call => '
            RETURN QUERY SELECT * FROM booking_router.px_reserve_group(part, expect, $1, $2, $3, $4, $5) x
                          ORDER BY x.reservation_id;
            EXIT WHEN FOUND OR expect OPERATOR(pg_catalog.<) 0 OR NOT booking_router.check_gate(part);
            expect := -1;       -- no shard issued this id: let the engine say so');
SELECT booking_router.reroute('booking.confirm_group(bigint, text, text)',
                              'booking.node_of(group_id)', writes => true, call => '
            RETURN QUERY SELECT * FROM booking_router.px_confirm_group(part, expect, $1, $2, $3) x
                          ORDER BY x.reservation_id;
            EXIT WHEN FOUND OR expect OPERATOR(pg_catalog.<) 0 OR NOT booking_router.check_gate(part);
            expect := -1;       -- no shard issued this id: let the engine say so');
SELECT booking_router.reroute('booking.cancel_group(bigint, text, text)',
                              'booking.node_of(group_id)', writes => true, call => '
            RETURN QUERY SELECT * FROM booking_router.px_cancel_group(part, expect, $1, $2, $3) x
                          ORDER BY x.reservation_id;
            EXIT WHEN FOUND OR expect OPERATOR(pg_catalog.<) 0 OR NOT booking_router.check_gate(part);
            expect := -1;       -- no shard issued this id: let the engine say so');

/* ---------------------------------------------------------------------
 * Grants: as on the shards
 * ---------------------------------------------------------------------
 */
REVOKE ALL ON FUNCTION
    booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean),
    booking_router.px_modify_reservation(int, int, bigint, date, date, int, text, int, text, text, boolean),
    booking.reserve_range(bigint, text, date, date, int, text, text, interval, int),
    booking.quote(bigint, text, date, date, int, int),
    booking_router.px_reserve_range(int, int, bigint, text, date, date, int, text, text, interval, int),
    booking_router.px_quote(int, int, bigint, text, date, date, int, int),
    booking.confirm_booking(bigint, text, text),
    booking.cancel_reservation(bigint, text, text),
    booking.begin_payment(bigint, text, interval, text),
    booking.get_reservation(bigint, text),
    booking.find_reservation(text, text, text),
    booking_router.px_confirm_booking(int, int, bigint, text, text),
    booking_router.px_cancel_reservation(int, int, bigint, text, text),
    booking_router.px_begin_payment(int, int, bigint, text, interval, text),
    booking_router.px_get_reservation(int, int, bigint, text),
    booking_router.px_find_reservation(int, text, text, text),
    booking.reserve_group(bigint, jsonb, text, text, interval),
    booking.confirm_group(bigint, text, text),
    booking.cancel_group(bigint, text, text),
    booking_router.px_reserve_group(int, int, bigint, jsonb, text, text, interval),
    booking_router.px_confirm_group(int, int, bigint, text, text),
    booking_router.px_cancel_group(int, int, bigint, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.confirm_booking(bigint, text, text),
    booking.cancel_reservation(bigint, text, text),
    booking.begin_payment(bigint, text, interval, text),
    booking.get_reservation(bigint, text),
    booking.find_reservation(text, text, text),
    booking_router.px_confirm_booking(int, int, bigint, text, text),
    booking_router.px_cancel_reservation(int, int, bigint, text, text),
    booking_router.px_begin_payment(int, int, bigint, text, interval, text),
    booking_router.px_get_reservation(int, int, bigint, text),
    booking_router.px_find_reservation(int, text, text, text),
    booking.reserve_range(bigint, text, date, date, int, text, text, interval, int),
    booking_router.px_reserve_range(int, int, bigint, text, date, date, int, text, text, interval, int),
    booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean),
    booking_router.px_modify_reservation(int, int, bigint, date, date, int, text, int, text, text, boolean),
    booking.reserve_group(bigint, jsonb, text, text, interval),
    booking.confirm_group(bigint, text, text),
    booking.cancel_group(bigint, text, text),
    booking_router.px_reserve_group(int, int, bigint, jsonb, text, text, interval),
    booking_router.px_confirm_group(int, int, bigint, text, text),
    booking_router.px_cancel_group(int, int, bigint, text, text)
    TO booking_app;
GRANT EXECUTE ON FUNCTION
    booking.quote(bigint, text, date, date, int, int),
    booking_router.px_quote(int, int, bigint, text, date, date, int, int)
    TO booking_reader;

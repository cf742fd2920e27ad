/*-------------------------------------------------------------------------
 * booking_router--1.1--1.2.sql
 *    Version 1.2 of booking_router: the booking 2.0 additions routed.
 *    So far ownership and look-ups: guest_id on confirm_booking,
 *    cancel_reservation and begin_payment; get_reservation on the shard
 *    that issued the id; find_reservation on every shard in turn;
 *    guests: booking.reservation's new columns (group_id, guests), the
 *    guests argument of reserve_range and quote; modify_reservation;
 *    groups: reserve_group on its property's shard, confirm_group and
 *    cancel_group on the shard that issued the group's id; and rate
 *    plans, policies and the stay: add_rate_plan, set_rates, add_policy
 *    on the property's shard, cancel_quote, check_in, check_out and
 *    mark_no_show on the reservation's, rate_plan and children on
 *    reserve_range, quote, search and modify_reservation, rate_plan on
 *    set_rules and clear_rules, the reservation's rate_plan, children,
 *    cancellation_fee, night_prices and night_extra and the states
 *    checked_in, checked_out, no_show;
 *    and channels: apply_channel_booking on the property's shard (the
 *    channel_booking row and the reservation it makes live with the
 *    property); iCal, the waitlist and blocks: ical_export, ical_import,
 *    join_waitlist, create_block, release_block on the property's shard,
 *    leave_waitlist on the entry's, release_due_blocks on every shard, and
 *    reserve_range's block; the reservation's block.
 *
 * Needs shards at booking 2.0 (the calls pass guest_id, which 1.2's
 * functions do not take).  As in 1.1, an API function's signature is
 * created here and its body given by booking_router.reroute; a function
 * whose arguments change is dropped and created again, with its grant.
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking_router UPDATE TO '1.2'" to load this file. \quit

/* ---------------------------------------------------------------------
 * booking.reservation as booking 2.0 returns it: eight columns at the end.
 * The router's copy of the type must equal the shards' (check_shards).
 * ---------------------------------------------------------------------
 */
ALTER TYPE booking.reservation ADD ATTRIBUTE group_id bigint, ADD ATTRIBUTE guests int,
    ADD ATTRIBUTE rate_plan text, ADD ATTRIBUTE children int, ADD ATTRIBUTE cancellation_fee numeric,
    ADD ATTRIBUTE night_prices numeric[], ADD ATTRIBUTE night_extra numeric,
    ADD ATTRIBUTE block text;

/* The stay's three states, at the end of the enum as on the shards (no
 * statement of this script uses them, so they may be added in its
 * transaction). */
ALTER TYPE booking.booking_state ADD VALUE 'checked_in';
ALTER TYPE booking.booking_state ADD VALUE 'checked_out';
ALTER TYPE booking.booking_state ADD VALUE 'no_show';

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
                                                idempotency_key text, hold interval, guests int,
                                                rate_plan text, children int, block text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
      FROM booking.reserve_range(property_id, room_type, check_in, check_out, rooms,
                                 guest_id, idempotency_key, hold, guests, rate_plan, children,
                                 block) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_quote(part int, expect int,
                                        property_id bigint, room_type text,
                                        check_in date, check_out date, rooms int, guests int,
                                        rate_plan text, children int)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text, extra numeric)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT q.night, q.available, q.price, q.total_price, q.bookable, q.reason, q.extra
      FROM booking.quote(property_id, room_type, check_in, check_out, rooms, guests,
                         rate_plan, children) q
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking.reserve_range(property_id bigint, room_type text,
                                      check_in date, check_out date,
                                      rooms int DEFAULT 1, guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL, guests int DEFAULT NULL,
                                      rate_plan text DEFAULT NULL, children int DEFAULT 0,
                                      block text DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.quote(property_id bigint, room_type text,
                              check_in date, check_out date, rooms int DEFAULT 1,
                              guests int DEFAULT NULL, rate_plan text DEFAULT NULL,
                              children int DEFAULT 0)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text, extra numeric)
    LANGUAGE plpgsql STABLE AS 'BEGIN END';
SELECT booking_router.reroute('booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text)',
                              'booking.node_of(property_id)', writes => true);
SELECT booking_router.reroute('booking.quote(bigint, text, date, date, int, int, text, int)',
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
                                                     idempotency_key text, guest_id text, dry_run boolean,
                                                     rate_plan text, children int)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
      FROM booking.modify_reservation(reservation_id, check_in, check_out, rooms, room_type,
                                      guests, idempotency_key, guest_id, dry_run, rate_plan, children) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;
CREATE FUNCTION booking.modify_reservation(reservation_id bigint,
                                           check_in date DEFAULT NULL, check_out date DEFAULT NULL,
                                           rooms int DEFAULT NULL, room_type text DEFAULT NULL,
                                           guests int DEFAULT NULL, idempotency_key text DEFAULT NULL,
                                           guest_id text DEFAULT NULL, dry_run boolean DEFAULT false,
                                           rate_plan text DEFAULT NULL, children int DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
SELECT booking_router.reroute('booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean, text, int)',
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
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
 * Rate plans, policies and the stay.  A property's plans, rates and
 * policies live with it: add_rate_plan, set_rates and add_policy on
 * shard node_of(property_id), as set_rules and clear_rules, which gained
 * rate_plan (a plan's own rules).  cancel_quote, check_in, check_out and
 * mark_no_show on the shard that issued the reservation's id.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_add_rate_plan(part int, expect int, property_id bigint,
                                                room_type text, code text, name text, parent text,
                                                adjust_pct numeric, adjust_amount numeric,
                                                base_occupancy int, extra_adult numeric,
                                                extra_child numeric, meal_plan text, policy text)
    RETURNS void LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.add_rate_plan(property_id, room_type, code, name, parent, adjust_pct,
                                 adjust_amount, base_occupancy, extra_adult, extra_child,
                                 meal_plan, policy)
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_set_rates(part int, expect int, property_id bigint,
                                            room_type text, rate_plan text,
                                            first_night date, end_night date, price numeric)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.set_rates(property_id, room_type, rate_plan, first_night, end_night, price)
           AS px_set_rates
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_add_policy(part int, expect int, property_id bigint,
                                             code text, tiers jsonb, no_show jsonb)
    RETURNS void LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.add_policy(property_id, code, tiers, no_show)
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_cancel_quote(part int, expect int, reservation_id bigint,
                                               "at" timestamptz, guest_id text)
    RETURNS TABLE(fee numeric, refund numeric, policy text, tier int)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT q.fee, q.refund, q.policy, q.tier
      FROM booking.cancel_quote(reservation_id, $4, guest_id) q
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_check_in(part int, expect int, reservation_id bigint)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
      FROM booking.check_in(reservation_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_check_out(part int, expect int, reservation_id bigint)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
      FROM booking.check_out(reservation_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_mark_no_show(part int, expect int, reservation_id bigint)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
      FROM booking.mark_no_show(reservation_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking.add_rate_plan(property_id bigint, room_type text, code text, name text,
                                      parent text DEFAULT NULL,
                                      adjust_pct numeric DEFAULT 0, adjust_amount numeric DEFAULT 0,
                                      base_occupancy int DEFAULT NULL,
                                      extra_adult numeric DEFAULT 0, extra_child numeric DEFAULT 0,
                                      meal_plan text DEFAULT NULL, policy text DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.set_rates(property_id bigint, room_type text, rate_plan text,
                                  first_night date, end_night date, price numeric)
    RETURNS int LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.add_policy(property_id bigint, code text, tiers jsonb,
                                   no_show jsonb DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.cancel_quote(reservation_id bigint, "at" timestamptz DEFAULT NULL,
                                     guest_id text DEFAULT NULL)
    RETURNS TABLE(fee numeric, refund numeric, policy text, tier int)
    LANGUAGE plpgsql STABLE AS 'BEGIN END';
CREATE FUNCTION booking.check_in(reservation_id bigint)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.check_out(reservation_id bigint)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.mark_no_show(reservation_id bigint)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
SELECT booking_router.reroute(fn, 'booking.node_of(property_id)', writes => true)
  FROM unnest('{"booking.add_rate_plan(bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text)",
                "booking.set_rates(bigint, text, text, date, date, numeric)",
                "booking.add_policy(bigint, text, jsonb, jsonb)"}'::regprocedure[]) fn;
SELECT booking_router.reroute('booking.cancel_quote(bigint, timestamptz, text)',
                              'booking.node_of(reservation_id)', writes => false);
SELECT booking_router.reroute(fn, 'booking.node_of(reservation_id)', writes => true)
  FROM unnest('{"booking.check_in(bigint)",
                "booking.check_out(bigint)",
                "booking.mark_no_show(bigint)"}'::regprocedure[]) fn;

/* ---------------------------------------------------------------------
 * Channels.  A channel's booking is at one property: apply_channel_booking
 * runs on shard node_of(property_id), where its channel_booking row, the
 * reservation it makes and the nights it may overbook live.  Every
 * revision of one (channel, external_id) names the same property, so
 * every revision reaches the shard that holds the row.  booking.reservation
 * is unchanged.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_apply_channel_booking(part int, expect int, channel text,
                                                        external_id text, revision bigint,
                                                        status text, property_id bigint,
                                                        room_type text, check_in date,
                                                        check_out date, rooms int,
                                                        total_price numeric, guest_id text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent,
           r.group_id, r.guests, r.rate_plan, r.children, r.cancellation_fee, r.night_prices, r.night_extra, r.block
      FROM booking.apply_channel_booking(channel, external_id, revision, status, property_id,
                                         room_type, check_in, check_out, rooms, total_price,
                                         guest_id) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking.apply_channel_booking(channel text, external_id text, revision bigint,
                                              status text, property_id bigint, room_type text,
                                              check_in date, check_out date, rooms int DEFAULT 1,
                                              total_price numeric DEFAULT NULL,
                                              guest_id text DEFAULT NULL)
    RETURNS booking.reservation LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
SELECT booking_router.reroute('booking.apply_channel_booking(text, text, bigint, text, bigint, text, date, date, int, numeric, text)',
                              'booking.node_of(property_id)', writes => true);

/* set_rules and clear_rules: rate_plan at the end (NULL: the room type's rules) */
DROP FUNCTION booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int);
DROP FUNCTION booking.clear_rules(bigint, text, date, date);
DROP FUNCTION booking_router.px_set_rules(int, int, bigint, text, date, date, int, int, bool, bool, bool, int, int);
DROP FUNCTION booking_router.px_clear_rules(int, int, bigint, text, date, date);

CREATE FUNCTION booking_router.px_set_rules(part int, expect int,
                                            property_id bigint, room_type text,
                                            first_night date, end_night date,
                                            min_stay int, max_stay int,
                                            closed_to_arrival bool, closed_to_departure bool,
                                            stop_sell bool, min_advance int, max_advance int,
                                            rate_plan text)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.set_rules(property_id, room_type, first_night, end_night, min_stay, max_stay,
                             closed_to_arrival, closed_to_departure, stop_sell,
                             min_advance, max_advance, rate_plan) AS px_set_rules
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_clear_rules(part int, expect int,
                                              property_id bigint, room_type text,
                                              first_night date, end_night date, rate_plan text)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.clear_rules(property_id, room_type, first_night, end_night, rate_plan)
           AS px_clear_rules
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking.set_rules(property_id bigint, room_type text,
                                  first_night date, end_night date,
                                  min_stay int DEFAULT NULL, max_stay int DEFAULT NULL,
                                  closed_to_arrival bool DEFAULT NULL,
                                  closed_to_departure bool DEFAULT NULL,
                                  stop_sell bool DEFAULT NULL,
                                  min_advance int DEFAULT NULL, max_advance int DEFAULT NULL,
                                  rate_plan text DEFAULT NULL)
    RETURNS int LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.clear_rules(property_id bigint, room_type text,
                                    first_night date, end_night date,
                                    rate_plan text DEFAULT NULL)
    RETURNS int LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
SELECT booking_router.reroute(fn, 'booking.node_of(property_id)', writes => true)
  FROM unnest('{"booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text)",
                "booking.clear_rules(bigint, text, date, date, text)"}'::regprocedure[]) fn;

/*
 * search: rate_plan (NULL: each room type's cheapest bookable plan) and
 * children at the end, the plan of each offer in plan_code.  On every
 * shard at once, merged as before: by (total_price, property_id,
 * room_type), plan_code last (one offer per room type, so it never
 * decides), max_results applied once; search_each when that fails.
 */
DROP FUNCTION booking.search(text, date, date, int, int, int);
DROP FUNCTION booking_router.search_each(text, date, date, int, int, int);
DROP FUNCTION booking_router.px_search(text, date, date, int, int, int);
DROP FUNCTION booking_router.px_search_on(int, text, date, date, int, int, int);
ALTER TYPE booking_router.search_row ADD ATTRIBUTE plan_code text;

CREATE FUNCTION booking_router.px_search(city text, check_in date, check_out date,
                                         guests int, rooms int, max_results int,
                                         rate_plan text, children int)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric, plan_code text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER booking_router.search_cluster();
    RUN ON ALL;
    SELECT s.property_id, s.property_name, s.room_type, s.min_available, s.total_price, s.plan_code
      FROM booking.search(city, check_in, check_out, guests, rooms, max_results,
                          rate_plan, children) s;
$$;

CREATE FUNCTION booking_router.px_search_on(part int, city text, check_in date, check_out date,
                                            guests int, rooms int, max_results int,
                                            rate_plan text, children int)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric, plan_code text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER booking_router.search_cluster();
    RUN ON part;
    SELECT s.property_id, s.property_name, s.room_type, s.min_available, s.total_price, s.plan_code
      FROM booking.search(city, check_in, check_out, guests, rooms, max_results,
                          rate_plan, children) s;
$$;

/* as 1.1's search_each, with the two arguments passed on */
CREATE FUNCTION booking_router.search_each(city text, check_in date, check_out date,
                                           guests int, rooms int, max_results int,
                                           rate_plan text, children int)
    RETURNS SETOF booking_router.search_row
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    partial boolean := COALESCE(NULLIF(current_setting('booking_router.partial_search', true), '')::boolean, true);
    s record;
    e booking_router.error;
    answered int := 0;
BEGIN
    FOR s IN SELECT l.shard FROM booking_router.shard_list() l LOOP
        BEGIN
            /* PL/Proxy has every row of a shard before it returns one: an error leaves none */
            RETURN QUERY SELECT * FROM booking_router.px_search_on(s.shard, city, check_in, check_out,
                                                                   guests, rooms, max_results,
                                                                   rate_plan, children);
            answered := answered + 1;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e.sqlstate = RETURNED_SQLSTATE, e.message = MESSAGE_TEXT,
                                    e.detail = PG_EXCEPTION_DETAIL, e.hint = PG_EXCEPTION_HINT;
            IF NOT (partial AND booking_router.connection_failed(e.sqlstate)) THEN
                /* failures 1: no try left, so retry raises */
                PERFORM booking_router.retry(ROW(s.shard, -1, false, 1)::booking_router.attempt, e);
            END IF;
            RAISE NOTICE 'search answered without booking %: it cannot be reached',
                booking_router.shard_name(s.shard)
                USING DETAIL = booking_router.plproxy_text(e.message),
                      HINT = 'Properties on that shard are missing from this answer.';
        END;
    END LOOP;
    IF answered = 0 THEN
        PERFORM booking_router.retry(ROW(NULL, -1, false, 1)::booking_router.attempt, e);
    END IF;
END
$$;

CREATE FUNCTION booking.search(city text, check_in date, check_out date,
                               guests int DEFAULT 1, rooms int DEFAULT 1,
                               max_results int DEFAULT 50,
                               rate_plan text DEFAULT NULL, children int DEFAULT 0)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric, plan_code text)
    LANGUAGE plpgsql STABLE ROWS 50 AS 'BEGIN END';
SELECT booking_router.reroute('booking.search(text, date, date, int, int, int, text, int)', NULL,
                              writes => false, call => '
            IF a.failures IS NULL THEN      -- no failure yet
                RETURN QUERY SELECT * FROM booking_router.px_search($1, $2, $3, $4, $5, $6, $7, $8) s
                              ORDER BY s.total_price, s.property_id, s.room_type, s.plan_code
                              LIMIT GREATEST($6, 1);    -- LIMIT 0 would not even ask the shards
            ELSE
                RETURN QUERY SELECT * FROM booking_router.search_each($1, $2, $3, $4, $5, $6, $7, $8) s
                              ORDER BY s.total_price, s.property_id, s.room_type, s.plan_code
                              LIMIT GREATEST($6, 1);
            END IF;
            RETURN;');

/* ---------------------------------------------------------------------
 * Grants: as on the shards
 * ---------------------------------------------------------------------
 */
REVOKE ALL ON FUNCTION
    booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean, text, int),
    booking_router.px_modify_reservation(int, int, bigint, date, date, int, text, int, text, text, boolean, text, int),
    booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text),
    booking.quote(bigint, text, date, date, int, int, text, int),
    booking_router.px_reserve_range(int, int, bigint, text, date, date, int, text, text, interval, int, text, int, text),
    booking_router.px_quote(int, int, bigint, text, date, date, int, int, text, int),
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
    booking_router.px_cancel_group(int, int, bigint, text, text),
    booking.add_rate_plan(bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text),
    booking.set_rates(bigint, text, text, date, date, numeric),
    booking.add_policy(bigint, text, jsonb, jsonb),
    booking.cancel_quote(bigint, timestamptz, text),
    booking.check_in(bigint),
    booking.check_out(bigint),
    booking.mark_no_show(bigint),
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text),
    booking.clear_rules(bigint, text, date, date, text),
    booking.search(text, date, date, int, int, int, text, int),
    booking_router.px_add_rate_plan(int, int, bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text),
    booking_router.px_set_rates(int, int, bigint, text, text, date, date, numeric),
    booking_router.px_add_policy(int, int, bigint, text, jsonb, jsonb),
    booking_router.px_cancel_quote(int, int, bigint, timestamptz, text),
    booking_router.px_check_in(int, int, bigint),
    booking_router.px_check_out(int, int, bigint),
    booking_router.px_mark_no_show(int, int, bigint),
    booking_router.px_set_rules(int, int, bigint, text, date, date, int, int, bool, bool, bool, int, int, text),
    booking_router.px_clear_rules(int, int, bigint, text, date, date, text),
    booking_router.px_search(text, date, date, int, int, int, text, int),
    booking_router.px_search_on(int, text, date, date, int, int, int, text, int),
    booking_router.search_each(text, date, date, int, int, int, text, int),
    booking.apply_channel_booking(text, text, bigint, text, bigint, text, date, date, int, numeric, text),
    booking_router.px_apply_channel_booking(int, int, text, text, bigint, text, bigint, text, date, date, int, numeric, text)
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
    booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text),
    booking_router.px_reserve_range(int, int, bigint, text, date, date, int, text, text, interval, int, text, int, text),
    booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean, text, int),
    booking_router.px_modify_reservation(int, int, bigint, date, date, int, text, int, text, text, boolean, text, int),
    booking.reserve_group(bigint, jsonb, text, text, interval),
    booking.confirm_group(bigint, text, text),
    booking.cancel_group(bigint, text, text),
    booking_router.px_reserve_group(int, int, bigint, jsonb, text, text, interval),
    booking_router.px_confirm_group(int, int, bigint, text, text),
    booking_router.px_cancel_group(int, int, bigint, text, text),
    booking.cancel_quote(bigint, timestamptz, text),
    booking.check_in(bigint),
    booking.check_out(bigint),
    booking.mark_no_show(bigint),
    booking_router.px_cancel_quote(int, int, bigint, timestamptz, text),
    booking_router.px_check_in(int, int, bigint),
    booking_router.px_check_out(int, int, bigint),
    booking_router.px_mark_no_show(int, int, bigint),
    booking.apply_channel_booking(text, text, bigint, text, bigint, text, date, date, int, numeric, text),
    booking_router.px_apply_channel_booking(int, int, text, text, bigint, text, bigint, text, date, date, int, numeric, text)
    TO booking_app;
GRANT EXECUTE ON FUNCTION
    booking.quote(bigint, text, date, date, int, int, text, int),
    booking_router.px_quote(int, int, bigint, text, date, date, int, int, text, int)
    TO booking_reader;
GRANT EXECUTE ON FUNCTION
    booking.search(text, date, date, int, int, int, text, int),
    booking_router.px_search(text, date, date, int, int, int, text, int),
    booking_router.px_search_on(int, text, date, date, int, int, int, text, int),
    booking_router.search_each(text, date, date, int, int, int, text, int)
    TO booking_reader;
GRANT EXECUTE ON FUNCTION
    booking.add_rate_plan(bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text),
    booking.set_rates(bigint, text, text, date, date, numeric),
    booking.add_policy(bigint, text, jsonb, jsonb),
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text),
    booking.clear_rules(bigint, text, date, date, text),
    booking_router.px_add_rate_plan(int, int, bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text),
    booking_router.px_set_rates(int, int, bigint, text, text, date, date, numeric),
    booking_router.px_add_policy(int, int, bigint, text, jsonb, jsonb),
    booking_router.px_set_rules(int, int, bigint, text, date, date, int, int, bool, bool, bool, int, int, text),
    booking_router.px_clear_rules(int, int, bigint, text, date, date, text)
    TO booking_admin;

/* ---------------------------------------------------------------------
 * iCal, the waitlist and blocks (booking 2.0), on the property's shard:
 * ical_export, ical_import, join_waitlist, create_block, release_block
 * by node_of(property_id) (a calendar's channel bookings, an entry's
 * offers and a block's nights live with the property); leave_waitlist on
 * the shard that issued the entry's id; release_due_blocks on every
 * shard, the sum.  reserve_range's block (above) reaches the property's
 * shard with the rest of the call.  The ARI feed is read from each shard,
 * as the event outbox is (README).
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_ical_export(part int, expect int, property_id bigint, room_type text)
    RETURNS text LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.ical_export(property_id, room_type) AS px_ical_export
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_ical_import(part int, expect int, property_id bigint,
                                              room_type text, source text, ics text)
    RETURNS TABLE(uid text, action text, reservation_id bigint)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT i.uid, i.action, i.reservation_id
      FROM booking.ical_import(property_id, room_type, source, ics) i
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_join_waitlist(part int, expect int, property_id bigint,
                                                room_type text, check_in date, check_out date,
                                                rooms int, guest_id text, idempotency_key text)
    RETURNS bigint LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.join_waitlist(property_id, room_type, check_in, check_out, rooms, guest_id,
                                 idempotency_key) AS px_join_waitlist
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_leave_waitlist(part int, expect int, waitlist_id bigint)
    RETURNS boolean LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.leave_waitlist(waitlist_id) AS px_leave_waitlist
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_create_block(part int, expect int, property_id bigint,
                                               room_type text, code text, first_night date,
                                               end_night date, rooms int, release_days int,
                                               release_at timestamptz)
    RETURNS void LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.create_block(property_id, room_type, code, first_night, end_night, rooms,
                                release_days, release_at)
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_release_block(part int, expect int, property_id bigint, code text)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.release_block(property_id, code) AS px_release_block
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_release_due_blocks(max int)
    RETURNS SETOF int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON ALL;
    SELECT booking.release_due_blocks(max) AS px_release_due_blocks;
$$;

CREATE FUNCTION booking.ical_export(property_id bigint, room_type text)
    RETURNS text LANGUAGE plpgsql STABLE AS 'BEGIN END';
CREATE FUNCTION booking.ical_import(property_id bigint, room_type text, source text, ics text)
    RETURNS TABLE(uid text, action text, reservation_id bigint)
    LANGUAGE plpgsql VOLATILE ROWS 1000 AS 'BEGIN END';
CREATE FUNCTION booking.join_waitlist(property_id bigint, room_type text, check_in date,
                                      check_out date, rooms int DEFAULT 1,
                                      guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.leave_waitlist(waitlist_id bigint)
    RETURNS boolean LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.create_block(property_id bigint, room_type text, code text,
                                     first_night date, end_night date, rooms int,
                                     release_days int DEFAULT NULL,
                                     release_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.release_block(property_id bigint, code text)
    RETURNS int LANGUAGE plpgsql VOLATILE AS 'BEGIN END';
CREATE FUNCTION booking.release_due_blocks(max int DEFAULT NULL)
    RETURNS int LANGUAGE plpgsql VOLATILE AS 'BEGIN END';

SELECT booking_router.reroute('booking.ical_export(bigint, text)', 'booking.node_of(property_id)',
                              writes => false);
/* in the shard's order (the file's, then the cancelled UIDs), not sorted */
SELECT booking_router.reroute('booking.ical_import(bigint, text, text, text)',
                              'booking.node_of(property_id)', writes => true, call => '
            RETURN QUERY SELECT * FROM booking_router.px_ical_import(part, expect, $1, $2, $3, $4);
            EXIT WHEN FOUND OR expect OPERATOR(pg_catalog.<) 0 OR NOT booking_router.check_gate(part);
            expect := -1;       -- no shard issued this id: let the engine say so');
SELECT booking_router.reroute(fn, 'booking.node_of(property_id)', writes => true)
  FROM unnest('{"booking.join_waitlist(bigint, text, date, date, int, text, text)",
                "booking.create_block(bigint, text, text, date, date, int, int, timestamptz)",
                "booking.release_block(bigint, text)"}'::regprocedure[]) fn;
SELECT booking_router.reroute('booking.leave_waitlist(bigint)', 'booking.node_of(waitlist_id)',
                              writes => true);
SELECT booking_router.reroute('booking.release_due_blocks(int)', NULL, writes => true);

REVOKE ALL ON FUNCTION
    booking.ical_export(bigint, text),
    booking.ical_import(bigint, text, text, text),
    booking.join_waitlist(bigint, text, date, date, int, text, text),
    booking.leave_waitlist(bigint),
    booking.create_block(bigint, text, text, date, date, int, int, timestamptz),
    booking.release_block(bigint, text),
    booking.release_due_blocks(int),
    booking_router.px_ical_export(int, int, bigint, text),
    booking_router.px_ical_import(int, int, bigint, text, text, text),
    booking_router.px_join_waitlist(int, int, bigint, text, date, date, int, text, text),
    booking_router.px_leave_waitlist(int, int, bigint),
    booking_router.px_create_block(int, int, bigint, text, text, date, date, int, int, timestamptz),
    booking_router.px_release_block(int, int, bigint, text),
    booking_router.px_release_due_blocks(int)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.ical_export(bigint, text),
    booking_router.px_ical_export(int, int, bigint, text)
    TO booking_reader;
GRANT EXECUTE ON FUNCTION
    booking.ical_import(bigint, text, text, text),
    booking.join_waitlist(bigint, text, date, date, int, text, text),
    booking.leave_waitlist(bigint),
    booking_router.px_ical_import(int, int, bigint, text, text, text),
    booking_router.px_join_waitlist(int, int, bigint, text, date, date, int, text, text),
    booking_router.px_leave_waitlist(int, int, bigint)
    TO booking_app;
GRANT EXECUTE ON FUNCTION
    booking.create_block(bigint, text, text, date, date, int, int, timestamptz),
    booking.release_block(bigint, text),
    booking.release_due_blocks(int),
    booking_router.px_create_block(int, int, bigint, text, text, date, date, int, int, timestamptz),
    booking_router.px_release_block(int, int, bigint, text),
    booking_router.px_release_due_blocks(int)
    TO booking_admin;

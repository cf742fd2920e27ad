/*-------------------------------------------------------------------------
 * booking_router--1.0.sql
 *    Install script of the booking_router extension, version 1.0: the
 *    booking API (schema booking, the same names, signatures, result types
 *    and SQLSTATEs as the booking extension) in a router database, each call
 *    sent by PL/Proxy to the shard that owns it, and the functions that
 *    manage the shards (schema booking_router).
 *
 * Topology.  The shards are ordinary databases running the booking
 * extension, shard k with booking.node_id = k, so every id shard k issues
 * is n * 1024 + k and booking.node_of(id) names its shard without a lookup.
 * The shards form one PL/Proxy cluster, the SQL/MED server booking_shards
 * (option pK = shard k's conninfo), created by booking_router.add_shard;
 * modular_mapping lets the number of shards be any number, not only a
 * power of two.
 *
 * How a call travels.  Each public function in schema booking is a short
 * PL/pgSQL wrapper around an internal PL/Proxy function
 * (booking_router.px_*):
 *   - calls that carry a property_id or a reservation_id run on shard
 *     node_of(id); the remote query only runs if that shard's
 *     booking.node_id is node_of(id) (a one-time filter, so a misconfigured
 *     shard executes nothing and the router says so);
 *   - add_property runs on the shard picked by a hash of (city, name)
 *     modulo the number of shards, and returns the id that shard issued;
 *   - search runs on every shard in parallel and the router merges the
 *     rows into the contract's order (total_price, property_id, room_type)
 *     and applies max_results once; with a shard down it answers from the
 *     live shards with a NOTICE naming the missing one
 *     (booking_router.partial_search = off makes it fail instead), and it
 *     reads from the cluster booking_router.search_cluster names when set
 *     (a second server over the shards' standbys);
 *   - check_invariants, expire_holds, purge and rebuild_calendar run on
 *     every shard and combine (rows in one order; the sum of the counts).
 *
 * Errors.  A shard's error reaches the caller with its own SQLSTATE,
 * message, detail and hint (PL/Proxy's "REMOTE ERROR" prefix removed).
 * A shard that cannot be reached fails the call with 08001 (could not
 * connect) or 08006 (connection lost) and a message naming the shard.
 *
 * Every name is schema-qualified because an extension script, and a
 * SECURITY INVOKER function, run with the caller's search_path.
 *-------------------------------------------------------------------------
 */

\echo Use "CREATE EXTENSION booking_router CASCADE" to load this file. \quit

/*
 * A router is not a shard: the booking API lives in schema booking here
 * as wrappers, so the booking extension itself must not be in this database.
 */
DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'booking') THEN
        RAISE EXCEPTION USING
            ERRCODE = '55000',
            MESSAGE = 'booking_router cannot be installed in a database that has the booking extension',
            DETAIL = 'The router provides schema booking itself; shards run booking, the router runs booking_router.',
            HINT = 'Create the router in a database of its own.';
    END IF;
END
$check$;

CREATE SCHEMA booking;

/* ---------------------------------------------------------------------
 * Roles: the same three as the booking extension (cluster-wide, so
 * created only when missing).  Login roles that use the router must also
 * exist on every shard: PL/Proxy connects to a shard as the calling role.
 * ---------------------------------------------------------------------
 */
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'booking_reader') THEN
        CREATE ROLE booking_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'booking_app') THEN
        CREATE ROLE booking_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'booking_admin') THEN
        CREATE ROLE booking_admin NOLOGIN;
    END IF;
END
$roles$;

GRANT booking_reader TO booking_app;
GRANT booking_app TO booking_admin;

REVOKE ALL ON SCHEMA booking FROM PUBLIC;
REVOKE ALL ON SCHEMA booking_router FROM PUBLIC;
GRANT USAGE ON SCHEMA booking TO booking_reader;
GRANT USAGE ON SCHEMA booking_router TO booking_reader;

/* ---------------------------------------------------------------------
 * Types: the shard's enum and the columns of its booking.reservation, in
 * the same order.  The remote queries name these columns, so a shard
 * whose reservation table has grown columns still answers this router.
 * ---------------------------------------------------------------------
 */
CREATE TYPE booking.booking_state AS ENUM ('held', 'confirmed', 'cancelled', 'expired',
                                           'payment_pending');

CREATE TYPE booking.reservation AS (
    reservation_id    bigint,
    property_id       bigint,
    room_type         text,
    check_in          date,
    check_out         date,
    rooms             int,
    guest_id          text,
    state             booking.booking_state,
    hold_expires_at   timestamptz,
    total_price       numeric,
    payment_ref       text,
    confirmation_code text,
    created_at        timestamptz,
    updated_at        timestamptz,
    cancel_reason     text,
    payment_intent    text
);

/* One row of search, for the merge when a shard is missing. */
CREATE TYPE booking_router.search_row AS (
    property_id   bigint,
    property_name text,
    room_type     text,
    min_available int,
    total_price   numeric
);

/* ---------------------------------------------------------------------
 * Ids and shards
 * ---------------------------------------------------------------------
 */

/* node_of gives the node (shard) that issued an id, as the engine does. */
CREATE FUNCTION booking.node_of(id bigint) RETURNS int
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT (((id OPERATOR(pg_catalog.%) 1024) OPERATOR(pg_catalog.+) 1024)
                  OPERATOR(pg_catalog.%) 1024)::int $$;

/*
 * shard_list gives the shards from the options of server booking_shards
 * (pK = conninfo of shard K), in shard order.  It is the one source of
 * truth: PL/Proxy routes with the same options.
 */
CREATE FUNCTION booking_router.shard_list()
    RETURNS TABLE(shard int, conninfo text)
    LANGUAGE sql STABLE
    AS $$
    SELECT pg_catalog.substr(o.option_name, 2)::int, o.option_value
      FROM pg_catalog.pg_foreign_server s,
           pg_catalog.pg_options_to_table(s.srvoptions) o
     WHERE s.srvname OPERATOR(pg_catalog.=) 'booking_shards'
       AND o.option_name OPERATOR(pg_catalog.~) '^p[0-9]+$'
     ORDER BY 1
$$;

/* shard_count is the number of shards (0 before the first add_shard). */
CREATE FUNCTION booking_router.shard_count() RETURNS int
    LANGUAGE sql STABLE
    AS $$ SELECT pg_catalog.count(*)::int FROM booking_router.shard_list() $$;

/*
 * shard_name names shard k for a message: its number and its conninfo,
 * or just "shard k" when there is no such shard.
 */
CREATE FUNCTION booking_router.shard_name(k int) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT 'shard ' OPERATOR(pg_catalog.||) k
           OPERATOR(pg_catalog.||) COALESCE(' (' OPERATOR(pg_catalog.||)
               (SELECT l.conninfo FROM booking_router.shard_list() l
                 WHERE l.shard OPERATOR(pg_catalog.=) k) OPERATOR(pg_catalog.||) ')', '')
$$;

/*
 * pick_shard chooses the shard of a new property: a hash of its city and
 * name modulo the number of shards.  Deterministic, spread evenly, and it
 * needs no lookup on the shards; a shard added later takes its share of
 * new properties while old ids keep their shard.  NULL input goes to
 * shard 0, which rejects it as the engine does.
 */
CREATE FUNCTION booking_router.pick_shard(name text, city text) RETURNS int
    LANGUAGE sql STABLE
    AS $$
    SELECT COALESCE((((pg_catalog.hashtext(pg_catalog.lower(city) OPERATOR(pg_catalog.||) E'\n'
                                           OPERATOR(pg_catalog.||) name)::bigint
                       OPERATOR(pg_catalog.%) n) OPERATOR(pg_catalog.+) n) OPERATOR(pg_catalog.%) n)::int, 0)
      FROM (SELECT GREATEST(booking_router.shard_count(), 1)::bigint AS n) c
$$;

/* ---------------------------------------------------------------------
 * PL/Proxy functions: one remote query each.  Arguments `part` (the
 * shard to run on: PL/Proxy takes it modulo the number of shards) and
 * `expect` (the node_id that shard must have; -1 for no check) are the
 * router's; the others go to the engine function of the same name.  The
 * one-time filter on booking.node_id means a shard that is not the one
 * expected runs nothing and returns no row.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking_router.px_add_property(part int, expect int,
                                               name text, city text, time_zone text)
    RETURNS bigint LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.add_property(name, city, time_zone) AS px_add_property
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_add_room_type(part int, expect int,
                                                property_id bigint, code text, name text,
                                                units int, max_guests int, base_price numeric)
    RETURNS boolean LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT true AS px_add_room_type
      FROM booking.add_room_type(property_id, code, name, units, max_guests, base_price) x
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_open_inventory(part int, expect int,
                                                 property_id bigint, room_type text,
                                                 first_night date, end_night date,
                                                 units int, price numeric)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.open_inventory(property_id, room_type, first_night, end_night, units, price)
           AS px_open_inventory
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_availability(part int, expect int,
                                               property_id bigint, check_in date, check_out date)
    RETURNS TABLE(room_type text, night date, available int, price numeric)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT a.room_type, a.night, a.available, a.price
      FROM booking.availability(property_id, check_in, check_out) a
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_reserve_range(part int, expect int,
                                                property_id bigint, room_type text,
                                                check_in date, check_out date,
                                                rooms int, guest_id text,
                                                idempotency_key text, hold interval)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent
      FROM booking.reserve_range(property_id, room_type, check_in, check_out, rooms,
                                 guest_id, idempotency_key, hold) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_confirm_booking(part int, expect int,
                                                  reservation_id bigint, payment_ref text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent
      FROM booking.confirm_booking(reservation_id, payment_ref) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_cancel_reservation(part int, expect int,
                                                     reservation_id bigint, reason text)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent
      FROM booking.cancel_reservation(reservation_id, reason) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_begin_payment(part int, expect int,
                                                reservation_id bigint, payment_intent text,
                                                extend interval)
    RETURNS booking.reservation LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT r.reservation_id, r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,
           r.guest_id, r.state, r.hold_expires_at, r.total_price, r.payment_ref,
           r.confirmation_code, r.created_at, r.updated_at, r.cancel_reason, r.payment_intent
      FROM booking.begin_payment(reservation_id, payment_intent, extend) r
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_set_rules(part int, expect int,
                                            property_id bigint, room_type text,
                                            first_night date, end_night date,
                                            min_stay int, max_stay int,
                                            closed_to_arrival bool, closed_to_departure bool,
                                            stop_sell bool, min_advance int, max_advance int)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.set_rules(property_id, room_type, first_night, end_night, min_stay, max_stay,
                             closed_to_arrival, closed_to_departure, stop_sell,
                             min_advance, max_advance) AS px_set_rules
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_clear_rules(part int, expect int,
                                              property_id bigint, room_type text,
                                              first_night date, end_night date)
    RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT booking.clear_rules(property_id, room_type, first_night, end_night) AS px_clear_rules
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_quote(part int, expect int,
                                        property_id bigint, room_type text,
                                        check_in date, check_out date, rooms int)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT q.night, q.available, q.price, q.total_price, q.bookable, q.reason
      FROM booking.quote(property_id, room_type, check_in, check_out, rooms) q
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_calendar(part int, expect int, property_id bigint, month date)
    RETURNS TABLE(room_type text, days text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT c.room_type, c.days FROM booking.calendar(property_id, month) c
     WHERE expect < 0
        OR COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 = expect;
$$;

CREATE FUNCTION booking_router.px_purge(max_rows int)
    RETURNS SETOF int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON ALL;
    SELECT booking.purge(max_rows) AS px_purge;
$$;

CREATE FUNCTION booking_router.px_rebuild_calendar()
    RETURNS SETOF int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON ALL;
    SELECT booking.rebuild_calendar() AS px_rebuild_calendar;
$$;

/*
 * search_cluster names the PL/Proxy cluster search reads from:
 * booking_router.search_cluster if set (a second server, with the same
 * shards in the same order, pointing at standbys), else booking_shards.
 */
CREATE FUNCTION booking_router.search_cluster() RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT COALESCE(NULLIF(pg_catalog.current_setting('booking_router.search_cluster', true), ''),
                    'booking_shards')
$$;

/*
 * search on every shard at once, and on one shard (the merge without a
 * shard), in the cluster search_cluster names.
 */
CREATE FUNCTION booking_router.px_search(city text, check_in date, check_out date,
                                         guests int, rooms int, max_results int)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER booking_router.search_cluster();
    RUN ON ALL;
    SELECT s.property_id, s.property_name, s.room_type, s.min_available, s.total_price
      FROM booking.search(city, check_in, check_out, guests, rooms, max_results) s;
$$;

CREATE FUNCTION booking_router.px_search_on(part int, city text, check_in date, check_out date,
                                            guests int, rooms int, max_results int)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER booking_router.search_cluster();
    RUN ON part;
    SELECT s.property_id, s.property_name, s.room_type, s.min_available, s.total_price
      FROM booking.search(city, check_in, check_out, guests, rooms, max_results) s;
$$;

CREATE FUNCTION booking_router.px_expire_holds(max_rows int)
    RETURNS SETOF int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON ALL;
    SELECT booking.expire_holds(max_rows) AS px_expire_holds;
$$;

CREATE FUNCTION booking_router.px_check_invariants()
    RETURNS TABLE(property_id bigint, room_type text, night date, problem text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON ALL;
    SELECT c.property_id, c.room_type, c.night, c.problem FROM booking.check_invariants() c;
$$;

/* A round trip that checks a shard's connection (and replaces a stale one). */
CREATE FUNCTION booking_router.px_ping(part int) RETURNS int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT 1 AS px_ping;
$$;

CREATE FUNCTION booking_router.px_ping_all() RETURNS SETOF int LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON ALL;
    SELECT 1 AS px_ping_all;
$$;

/*
 * What a database says about itself: its booking.node_id, the booking
 * version installed (NULL when none), its cluster's system identifier
 * and its name.  px_probe_conn asks a conninfo that is not a shard yet;
 * px_probe asks shard `part` and counts its properties too.
 */
CREATE FUNCTION booking_router.px_probe_conn(conninfo text)
    RETURNS TABLE(node_id int, booking_version text, system_identifier bigint, database text)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CONNECT conninfo;
    SELECT COALESCE(pg_catalog.current_setting('booking.node_id', true), '0')::int4 AS node_id,
           (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'booking') AS booking_version,
           (SELECT c.system_identifier FROM pg_catalog.pg_control_system() c) AS system_identifier,
           pg_catalog.current_database()::text AS database;
$$;

CREATE FUNCTION booking_router.px_probe(part int)
    RETURNS TABLE(node_id int, booking_version text, system_identifier bigint, database text,
                  properties bigint)
    LANGUAGE plproxy SET client_min_messages = warning AS $$
    CLUSTER 'booking_shards';
    RUN ON part;
    SELECT pg_catalog.current_setting('booking.node_id')::int4 AS node_id,
           (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'booking') AS booking_version,
           (SELECT c.system_identifier FROM pg_catalog.pg_control_system() c) AS system_identifier,
           pg_catalog.current_database()::text AS database,
           (SELECT pg_catalog.count(*) FROM booking.property p) AS properties
      FROM (SELECT booking.node_of(0)) AS load_booking;
$$;

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

/*
 * connection_problem says whether an error PL/Proxy raised means a shard
 * could not be reached: 'connect' (no connection could be opened),
 * 'lost' (the connection broke or timed out during the call), or NULL
 * (any other error).
 */
CREATE FUNCTION booking_router.connection_problem(st text, msg text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE
        WHEN msg OPERATOR(pg_catalog.~) '^PL/Proxy function \S+\(\d+\): (\[[^]]*\] PQconnect(Start|Poll)|connect timeout)'
            THEN 'connect'
        WHEN msg OPERATOR(pg_catalog.~) '^PL/Proxy function \S+\(\d+\): (\[[^]]*\] (PQconsumeInput|PQsendQuery|PQsendQueryParams|PQflush)|query timeout|Lost result|Unfinished connection)'
            THEN 'lost'
        WHEN msg OPERATOR(pg_catalog.~) '^\S+\(\d+\): \[[^]]*\] REMOTE FATAL: '
            THEN 'lost'
        WHEN st OPERATOR(pg_catalog.=) 'XX000'
             AND msg OPERATOR(pg_catalog.~) '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: (server closed the connection|no connection to the server|could not receive data|could not send data|SSL)'
            THEN 'lost'
        ELSE NULL
    END
$$;

/*
 * plproxy_text is the useful part of an error PL/Proxy raised: without
 * the "PL/Proxy function name(n): " prefix and trailing blank lines.
 */
CREATE FUNCTION booking_router.plproxy_text(msg text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT pg_catalog.rtrim(pg_catalog.regexp_replace(msg, '^PL/Proxy function \S+\(\d+\): ', ''), E' \n\t')
$$;

/*
 * unreachable lists the shards that cannot be reached now (each pinged on
 * its own), for messages about calls that ran on every shard.
 */
CREATE FUNCTION booking_router.unreachable() RETURNS TABLE(shard int, error text)
    LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT l.shard FROM booking_router.shard_list() l LOOP
        BEGIN
            PERFORM booking_router.px_ping(s.shard);
        EXCEPTION WHEN OTHERS THEN
            shard := s.shard;
            error := booking_router.plproxy_text(SQLERRM);
            RETURN NEXT;
        END;
    END LOOP;
END
$$;

/*
 * reconnect replaces the connections a remote error left behind.
 * PL/Proxy abandons a connection on which a remote error was raised and
 * opens a new one on the next call; doing it now keeps that cost on the
 * call that failed rather than on the next one.  part NULL: every shard.
 * (The px_* functions run with client_min_messages = warning, which hides
 * PL/Proxy's NOTICE "dropping stale conn".)
 */
CREATE FUNCTION booking_router.reconnect(part int) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF part IS NULL THEN
        PERFORM booking_router.px_ping_all();
    ELSE
        PERFORM booking_router.px_ping(part);
    END IF;
EXCEPTION WHEN OTHERS THEN
    NULL;               /* the next call will say what is wrong */
END
$$;

/*
 * check_gate is asked when a routed call came back empty where the
 * one-time filter on booking.node_id may have emptied it.  It raises
 * 55000 naming the shard if shard `part` (0 <= part < count) has another
 * booking.node_id; it returns true if `part` names no shard (an id no shard
 * issued: the caller asks shard part % count without the filter, and the
 * engine answers as it does for any unknown id), false if the shard is
 * the right one (the empty answer is genuine).
 */
CREATE FUNCTION booking_router.check_gate(part int) RETURNS boolean
    LANGUAGE plpgsql AS $$
DECLARE
    n int := booking_router.shard_count();
    actual int;
BEGIN
    IF part OPERATOR(pg_catalog.>=) n OR part OPERATOR(pg_catalog.<) 0 THEN
        RETURN true;
    END IF;
    SELECT p.node_id INTO actual FROM booking_router.px_probe(part) p;
    IF actual OPERATOR(pg_catalog.=) part THEN
        RETURN false;
    END IF;
    RAISE EXCEPTION 'booking % has booking.node_id %, not %', booking_router.shard_name(part), actual, part
        USING ERRCODE = '55000',
              DETAIL = 'The router runs nothing on a shard whose booking.node_id is not its shard number; nothing was done.',
              HINT = pg_catalog.format('Set booking.node_id = %s in that database, or point shard %s at the right database with booking_router.set_shard.', part, part);
END
$$;

/*
 * fail turns an error that a PL/Proxy call raised into the error the
 * caller sees and raises it, or returns when the call should be made once
 * more, with the `expect` it returns.
 *   part      the shard the call was routed to (any integer: PL/Proxy takes
 *             it modulo the number of shards), NULL for a call on every shard
 *   expect    the node_id the call required of that shard (-1: none)
 *   attempt   1 for the first try, 2 for the second, ...
 *   writes    whether the call changes anything
 * What the caller sees:
 *   - a shard's own error: its SQLSTATE, message, detail and hint;
 *   - a shard that cannot be reached: 08001 (could not connect) or 08006
 *     (connection lost) naming the shard.  A connection lost is tried once
 *     more on a new connection when that cannot do a thing twice: a call
 *     that only reads, or a write whose shard said it ended the session
 *     (REMOTE FATAL: the statement was rolled back there), as after a
 *     restart or a failover of the shard;
 *   - a routed call to a shard whose booking.node_id is not the one
 *     expected: 55000 naming the shard (check_gate), unless the id names
 *     no shard at all: then the call is made once more without the check
 *     (expect -1) and the engine answers as it does for any unknown id;
 *   - no shards yet: 55000;
 *   - anything else: as it was raised.
 */
CREATE FUNCTION booking_router.fail(st text, msg text, det text, hnt text,
                                    part int, expect int, attempt int, writes boolean)
    RETURNS int
    LANGUAGE plpgsql AS $$
DECLARE
    m text[];
    n int;
    k int;
    problem text;
    names text;
BEGIN
    m := pg_catalog.regexp_match(msg, '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: (.*)$');
    problem := booking_router.connection_problem(st, msg);
    IF m IS NOT NULL AND problem IS NULL THEN
        /* a shard's own error: pass it on as the engine raised it */
        PERFORM booking_router.reconnect(part);
        msg := m[1];
        det := pg_catalog.regexp_replace(det, '^Remote detail: ', '');
        hnt := pg_catalog.regexp_replace(hnt, '^Remote hint: ', '');
    ELSE
        n := booking_router.shard_count();
        k := part OPERATOR(pg_catalog.%) GREATEST(n, 1);
        IF n OPERATOR(pg_catalog.=) 0 THEN
            st := '55000';
            msg := 'the booking router has no shards';
            det := NULL;
            hnt := 'Add one with booking_router.add_shard(conninfo).';
        ELSIF problem IS NOT NULL THEN
            /* a shard that cannot be reached */
            IF problem OPERATOR(pg_catalog.=) 'lost' AND attempt OPERATOR(pg_catalog.=) 1
               AND (NOT writes OR msg OPERATOR(pg_catalog.~) '\] REMOTE FATAL: ') THEN
                RETURN expect;
            END IF;
            IF part IS NULL THEN
                SELECT pg_catalog.string_agg(booking_router.shard_name(u.shard), ', ')
                  INTO names FROM booking_router.unreachable() u;
            ELSE
                names := booking_router.shard_name(k);
            END IF;
            det := booking_router.plproxy_text(msg);
            IF problem OPERATOR(pg_catalog.=) 'connect' THEN
                st := '08001';
                msg := 'could not connect to booking ' OPERATOR(pg_catalog.||) COALESCE(names, 'a shard');
                hnt := CASE WHEN part IS NULL
                            THEN 'This call needs every shard; calls for properties on other shards still work.'
                            ELSE pg_catalog.format('Only properties and reservations of shard %s (ids with booking.node_of(id) %% %s = %s) are affected; retry when it is back.',
                                                   k, n, k)
                       END;
            ELSE
                st := '08006';
                msg := 'lost connection to booking ' OPERATOR(pg_catalog.||) COALESCE(names, 'a shard');
                hnt := CASE WHEN writes
                            THEN 'The call may or may not have taken effect on that shard: repeat it with the same idempotency_key (reserve_range) or payment_ref (confirm_booking) to find out.'
                            ELSE 'Retry the call.'
                       END;
            END IF;
        ELSIF st OPERATOR(pg_catalog.=) 'P0002' AND part IS NOT NULL
              AND expect OPERATOR(pg_catalog.>=) 0
              AND msg OPERATOR(pg_catalog.~) 'requires 1 row from remote query, got 0' THEN
            /* a routed call that found a shard other than the one expected */
            IF booking_router.check_gate(part) THEN
                RETURN -1;      /* no shard issued this id: let the engine say so */
            END IF;
        END IF;
    END IF;

    det := NULLIF(det, '');
    hnt := NULLIF(hnt, '');
    IF det IS NULL AND hnt IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg;
    ELSIF hnt IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg, DETAIL = det;
    ELSIF det IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg, HINT = hnt;
    ELSE
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg, DETAIL = det, HINT = hnt;
    END IF;
END
$$;

/* ---------------------------------------------------------------------
 * The booking API.  Same names, signatures, defaults and result types as
 * the booking extension.  Each wrapper makes its PL/Proxy call in a loop:
 * booking_router.fail either raises the error the caller sees or says to
 * make the call once more (see there).  The success path is one call.
 * ---------------------------------------------------------------------
 */
/*
 * add_property: on the shard pick_shard chooses; the id is the one that
 * shard issued, so node_of(id) names it from then on.
 */
CREATE FUNCTION booking.add_property(name text, city text, time_zone text DEFAULT 'UTC')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := booking_router.pick_shard(name, city);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_add_property(part, expect, name, city, time_zone);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.add_room_type(property_id bigint, code text, name text,
                                      units int, max_guests int DEFAULT 2,
                                      base_price numeric DEFAULT 0)
    RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            PERFORM booking_router.px_add_room_type(part, expect, property_id, code, name, units, max_guests, base_price);
            RETURN;
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.open_inventory(property_id bigint, room_type text,
                                       first_night date, end_night date,
                                       units int DEFAULT NULL, price numeric DEFAULT NULL)
    RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_open_inventory(part, expect, property_id, room_type, first_night, end_night, units, price);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

/*
 * availability: on shard node_of(property_id).  An empty answer is
 * legitimate (no inventory in the range), so when the one-time filter
 * could have emptied it, check_gate looks at the shard before the empty
 * answer is given.
 */
CREATE FUNCTION booking.availability(property_id bigint, check_in date, check_out date)
    RETURNS TABLE(room_type text, night date, available int, price numeric)
    LANGUAGE plpgsql STABLE ROWS 60 AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    got bigint;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            /* the sort takes every row before it gives one: an error leaves none behind */
            RETURN QUERY SELECT a.room_type, a.night, a.available, a.price
                           FROM booking_router.px_availability(part, expect, $1, $2, $3) a
                          ORDER BY a.room_type, a.night;
            GET DIAGNOSTICS got = ROW_COUNT;
            IF got OPERATOR(pg_catalog.>) 0 OR expect OPERATOR(pg_catalog.<) 0 THEN
                RETURN;
            END IF;
            /* empty: is it the shard's answer, or the filter's? */
            IF booking_router.check_gate(part) THEN
                expect := -1;   /* no shard issued this id: let the engine say so */
            ELSE
                RETURN;
            END IF;
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, false);
        END;
    END LOOP;
END
$$;

/*
 * search_partial answers a search from each shard in turn, leaving out
 * (with a NOTICE) the shards that cannot be reached; it fails when none
 * can, or when booking_router.partial_search is off.
 */
CREATE FUNCTION booking_router.search_partial(city text, check_in date, check_out date,
                                              guests int, rooms int, max_results int,
                                              first_error text)
    RETURNS SETOF booking_router.search_row
    LANGUAGE plpgsql AS $$
DECLARE
    s record;
    found booking_router.search_row[] := '{}';
    missing int := 0;
    total int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    IF COALESCE(pg_catalog.current_setting('booking_router.partial_search', true), 'on')
           OPERATOR(pg_catalog.=) ANY ('{off,false,0,no}') THEN
        PERFORM booking_router.fail('XX000', first_error, NULL, NULL, NULL, NULL, 2, false);
    END IF;
    FOR s IN SELECT l.shard FROM booking_router.shard_list() l LOOP
        total := total OPERATOR(pg_catalog.+) 1;
        BEGIN
            found := found OPERATOR(pg_catalog.||) ARRAY(
                SELECT ROW(x.property_id, x.property_name, x.room_type, x.min_available,
                           x.total_price)::booking_router.search_row
                  FROM booking_router.px_search_on(s.shard, city, check_in, check_out,
                                                   guests, rooms, max_results) x);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            IF booking_router.connection_problem(st, msg) IS NULL THEN
                PERFORM booking_router.fail(st, msg, det, hnt, s.shard, -1, 2, false);
            END IF;
            missing := missing OPERATOR(pg_catalog.+) 1;
            RAISE NOTICE 'search answered without booking %: it cannot be reached',
                booking_router.shard_name(s.shard)
                USING DETAIL = booking_router.plproxy_text(msg),
                      HINT = 'Properties on that shard are missing from this answer.';
        END;
    END LOOP;
    IF missing OPERATOR(pg_catalog.=) total THEN
        PERFORM booking_router.fail('XX000', first_error, NULL, NULL, NULL, NULL, 2, false);
    END IF;
    RETURN QUERY SELECT * FROM pg_catalog.unnest(found);
END
$$;

/*
 * search: on every shard at once; the router merges the rows into the
 * contract's order and applies max_results once (each shard's own top
 * max_results is enough for the global top).  A shard that cannot be
 * reached: search_partial.
 */
CREATE FUNCTION booking.search(city text, check_in date, check_out date,
                               guests int DEFAULT 1, rooms int DEFAULT 1,
                               max_results int DEFAULT 50)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric)
    LANGUAGE plpgsql STABLE ROWS 50 AS $$
DECLARE
    attempt int := 0;
    problem text;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            /* the sort takes every row before it gives one: an error leaves none behind */
            RETURN QUERY SELECT s.property_id, s.property_name, s.room_type, s.min_available, s.total_price
                           FROM booking_router.px_search($1, $2, $3, $4, $5, $6) s
                          ORDER BY s.total_price, s.property_id, s.room_type
                          LIMIT GREATEST($6, 1);    /* LIMIT 0 would not even ask the shards */
            RETURN;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            attempt := attempt OPERATOR(pg_catalog.+) 1;
            problem := booking_router.connection_problem(st, msg);
            IF problem IS NULL THEN
                PERFORM booking_router.fail(st, msg, det, hnt, NULL, NULL, attempt, false);
            END IF;
            EXIT WHEN problem OPERATOR(pg_catalog.=) 'connect' OR attempt OPERATOR(pg_catalog.>) 1;
        END;
    END LOOP;
    RETURN QUERY SELECT s.property_id, s.property_name, s.room_type, s.min_available, s.total_price
                   FROM booking_router.search_partial($1, $2, $3, $4, $5, $6, msg) s
                  ORDER BY s.total_price, s.property_id, s.room_type
                  LIMIT GREATEST($6, 1);
END
$$;

/* set_rules, clear_rules, quote, calendar (booking 1.1): on shard node_of(property_id). */
CREATE FUNCTION booking.set_rules(property_id bigint, room_type text,
                                  first_night date, end_night date,
                                  min_stay int DEFAULT NULL, max_stay int DEFAULT NULL,
                                  closed_to_arrival bool DEFAULT NULL,
                                  closed_to_departure bool DEFAULT NULL,
                                  stop_sell bool DEFAULT NULL,
                                  min_advance int DEFAULT NULL, max_advance int DEFAULT NULL)
    RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_set_rules(part, expect, property_id, room_type, first_night, end_night, min_stay, max_stay,
                                               closed_to_arrival, closed_to_departure, stop_sell, min_advance, max_advance);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.clear_rules(property_id bigint, room_type text,
                                    first_night date, end_night date)
    RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_clear_rules(part, expect, property_id, room_type, first_night, end_night);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.quote(property_id bigint, room_type text,
                              check_in date, check_out date, rooms int DEFAULT 1)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric, bookable boolean, reason text)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    got bigint;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN QUERY SELECT x.night, x.available, x.price, x.total_price, x.bookable, x.reason
                           FROM booking_router.px_quote(part, expect, $1, $2, $3, $4, $5) x
                          ORDER BY x.night;
            GET DIAGNOSTICS got = ROW_COUNT;
            IF got OPERATOR(pg_catalog.>) 0 OR expect OPERATOR(pg_catalog.<) 0 THEN
                RETURN;
            END IF;
            IF booking_router.check_gate(part) THEN
                expect := -1;
            ELSE
                RETURN;
            END IF;
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, false);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.calendar(property_id bigint, month date)
    RETURNS TABLE(room_type text, days text)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    got bigint;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN QUERY SELECT x.room_type, x.days
                           FROM booking_router.px_calendar(part, expect, $1, $2) x
                          ORDER BY x.room_type;
            GET DIAGNOSTICS got = ROW_COUNT;
            IF got OPERATOR(pg_catalog.>) 0 OR expect OPERATOR(pg_catalog.<) 0 THEN
                RETURN;
            END IF;
            IF booking_router.check_gate(part) THEN
                expect := -1;
            ELSE
                RETURN;
            END IF;
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, false);
        END;
    END LOOP;
END
$$;

/* purge and rebuild_calendar (booking 1.1): on every shard; the sum. */
CREATE FUNCTION booking.purge(max_rows int DEFAULT 1000)
    RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN (SELECT COALESCE(pg_catalog.sum(x), 0)::int
                      FROM booking_router.px_purge(max_rows) x);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            attempt := attempt OPERATOR(pg_catalog.+) 1;
            PERFORM booking_router.fail(st, msg, det, hnt, NULL, NULL, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.rebuild_calendar()
    RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN (SELECT COALESCE(pg_catalog.sum(x), 0)::int
                      FROM booking_router.px_rebuild_calendar() x);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            attempt := attempt OPERATOR(pg_catalog.+) 1;
            PERFORM booking_router.fail(st, msg, det, hnt, NULL, NULL, attempt, true);
        END;
    END LOOP;
END
$$;

/* reserve_range, confirm_booking, cancel_reservation, begin_payment: on shard node_of(id). */
CREATE FUNCTION booking.reserve_range(property_id bigint, room_type text,
                                      check_in date, check_out date,
                                      rooms int DEFAULT 1, guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(property_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_reserve_range(part, expect, property_id, room_type, check_in, check_out,
                                                   rooms, guest_id, idempotency_key, hold);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.confirm_booking(reservation_id bigint, payment_ref text)
    RETURNS booking.reservation
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(reservation_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_confirm_booking(part, expect, reservation_id, payment_ref);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.cancel_reservation(reservation_id bigint, reason text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(reservation_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_cancel_reservation(part, expect, reservation_id, reason);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION booking.begin_payment(reservation_id bigint, payment_intent text,
                                      extend interval DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part int := COALESCE(booking.node_of(reservation_id), 0);
    expect int := part;
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN booking_router.px_begin_payment(part, expect, reservation_id, payment_intent, extend);
        EXCEPTION
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = msg,
                    DETAIL = 'The call was waiting for booking '
                             OPERATOR(pg_catalog.||) booking_router.shard_name(part OPERATOR(pg_catalog.%) GREATEST(booking_router.shard_count(), 1))
                             OPERATOR(pg_catalog.||) '.';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                expect := booking_router.fail(st, msg, det, hnt, part, expect, attempt, true);
        END;
    END LOOP;
END
$$;

/* expire_holds: on every shard; max_rows applies on each; the answer is the sum. */
CREATE FUNCTION booking.expire_holds(max_rows int DEFAULT 1000)
    RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN (SELECT COALESCE(pg_catalog.sum(x), 0)::int
                      FROM booking_router.px_expire_holds(max_rows) x);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            attempt := attempt OPERATOR(pg_catalog.+) 1;
            PERFORM booking_router.fail(st, msg, det, hnt, NULL, NULL, attempt, true);
        END;
    END LOOP;
END
$$;

/*
 * check_invariants: every shard's rows, in one order.  With a shard that
 * cannot be reached it fails rather than vouch for what it cannot see.
 */
CREATE FUNCTION booking.check_invariants()
    RETURNS TABLE(property_id bigint, room_type text, night date, problem text)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    attempt int := 0;
    st text; msg text; det text; hnt text;
BEGIN
    LOOP
        BEGIN
            RETURN QUERY SELECT c.property_id, c.room_type, c.night, c.problem
                           FROM booking_router.px_check_invariants() c
                          ORDER BY c.property_id, c.room_type, c.night, c.problem;
            RETURN;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            attempt := attempt OPERATOR(pg_catalog.+) 1;
            PERFORM booking_router.fail(st, msg, det, hnt, NULL, NULL, attempt, false);
        END;
    END LOOP;
END
$$;

/* ---------------------------------------------------------------------
 * Managing the shards (superuser only)
 * ---------------------------------------------------------------------
 */

/*
 * probe_new asks a conninfo what it is and checks that it can be shard k:
 * reachable, booking installed, booking.node_id = k, and not a database
 * that is already a shard (other than shard k itself).
 */
CREATE FUNCTION booking_router.probe_new(k int, conninfo text) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    p record;
    q record;
    s record;
BEGIN
    BEGIN
        SELECT * INTO STRICT p FROM booking_router.px_probe_conn(conninfo);
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'could not connect to the new shard'
            USING ERRCODE = '08001', DETAIL = booking_router.plproxy_text(SQLERRM),
                  HINT = 'Check the conninfo, and that the server is running.';
    END;
    FOR s IN SELECT l.shard FROM booking_router.shard_list() l WHERE l.shard OPERATOR(pg_catalog.<>) k LOOP
        BEGIN
            SELECT * INTO STRICT q FROM booking_router.px_probe(s.shard);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'could not check that the new shard is not booking %: it cannot be reached',
                booking_router.shard_name(s.shard);
            CONTINUE;
        END;
        IF q.system_identifier OPERATOR(pg_catalog.=) p.system_identifier
           AND q.database OPERATOR(pg_catalog.=) p.database THEN
            RAISE EXCEPTION 'database "%" is already shard %', p.database, s.shard
                USING ERRCODE = '42710';
        END IF;
    END LOOP;
    IF p.booking_version IS NULL THEN
        RAISE EXCEPTION 'database "%" is not a booking shard: the booking extension is not installed', p.database
            USING ERRCODE = '55000', HINT = 'Run CREATE EXTENSION booking in that database first.';
    END IF;
    IF p.node_id OPERATOR(pg_catalog.<>) k THEN
        RAISE EXCEPTION 'database "%" has booking.node_id %, so it cannot be shard %', p.database, p.node_id, k
            USING ERRCODE = '55000',
                  DETAIL = 'A shard''s booking.node_id must be its shard number: the ids it issues say where they live.',
                  HINT = pg_catalog.format('Run ALTER DATABASE %I SET booking.node_id = %s there (as a superuser), then try again.',
                                           p.database, k);
    END IF;
END
$$;

/*
 * add_shard adds the database at conninfo as the next shard and returns
 * its number.  It refuses a database that is not a booking database, whose
 * booking.node_id is not that number, or that is a shard already.  The
 * first call creates the PL/Proxy cluster (server booking_shards, with
 * modular_mapping, and a PUBLIC user mapping: shards
 * are reached as the calling role).
 */
CREATE FUNCTION booking_router.add_shard(conninfo text) RETURNS int
    LANGUAGE plpgsql AS $$
DECLARE
    k int;
BEGIN
    IF conninfo IS NULL OR conninfo OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'conninfo must not be empty' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('booking_router.add_shard'));
    k := booking_router.shard_count();
    PERFORM booking_router.probe_new(k, conninfo);
    IF k OPERATOR(pg_catalog.=) 0 THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server
                        WHERE srvname OPERATOR(pg_catalog.=) 'booking_shards') THEN
            EXECUTE pg_catalog.format(
                'CREATE SERVER booking_shards FOREIGN DATA WRAPPER plproxy'
                ' OPTIONS (modular_mapping %L, p0 %L)', '1', conninfo);
            CREATE USER MAPPING FOR PUBLIC SERVER booking_shards;
            GRANT USAGE ON FOREIGN SERVER booking_shards TO booking_reader;
            RETURN k;
        END IF;
    END IF;
    EXECUTE pg_catalog.format('ALTER SERVER booking_shards OPTIONS (ADD %I %L)', 'p' OPERATOR(pg_catalog.||) k, conninfo);
    RETURN k;
END
$$;

/*
 * set_shard points shard k at another conninfo (the shard moved to
 * another machine, or a promoted standby took over), with the same checks
 * as add_shard.
 */
CREATE FUNCTION booking_router.set_shard(shard int, conninfo text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF conninfo IS NULL OR conninfo OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'conninfo must not be empty' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('booking_router.add_shard'));
    IF NOT EXISTS (SELECT 1 FROM booking_router.shard_list() l WHERE l.shard OPERATOR(pg_catalog.=) set_shard.shard) THEN
        RAISE EXCEPTION 'there is no shard %', shard
            USING ERRCODE = '22023', HINT = 'Add shards with booking_router.add_shard(conninfo).';
    END IF;
    PERFORM booking_router.probe_new(shard, conninfo);
    EXECUTE pg_catalog.format('ALTER SERVER booking_shards OPTIONS (SET %I %L)', 'p' OPERATOR(pg_catalog.||) shard, conninfo);
END
$$;

/*
 * shard_status asks every shard, one at a time, what it is: reachable or
 * not, its booking.node_id and booking version, how many properties it
 * has; problem is NULL when the shard is fit to serve.
 */
CREATE FUNCTION booking_router.shard_status()
    RETURNS TABLE(shard int, conninfo text, reachable boolean, node_id int,
                  booking_version text, properties bigint, problem text)
    LANGUAGE plpgsql AS $$
DECLARE
    s record;
    p record;
BEGIN
    FOR s IN SELECT * FROM booking_router.shard_list() LOOP
        shard := s.shard;
        conninfo := s.conninfo;
        BEGIN
            SELECT * INTO STRICT p FROM booking_router.px_probe(s.shard);
            reachable := true;
            node_id := p.node_id;
            booking_version := p.booking_version;
            properties := p.properties;
            problem := CASE WHEN p.node_id OPERATOR(pg_catalog.<>) s.shard
                            THEN pg_catalog.format('booking.node_id is %s, not %s', p.node_id, s.shard)
                       END;
        EXCEPTION WHEN OTHERS THEN
            reachable := booking_router.connection_problem(SQLSTATE, SQLERRM) IS NULL;
            IF reachable THEN
                PERFORM booking_router.reconnect(s.shard);
            END IF;
            node_id := NULL;
            booking_version := NULL;
            properties := NULL;
            problem := booking_router.plproxy_text(SQLERRM);
        END;
        RETURN NEXT;
    END LOOP;
END
$$;

CREATE VIEW booking_router.shards AS SELECT * FROM booking_router.shard_status();

/* ---------------------------------------------------------------------
 * Privileges: as the booking extension, nothing to PUBLIC.  The wrappers
 * run as the caller, so the caller also needs the internal functions it
 * reaches; on the shard, the caller's own role is checked again.
 * ---------------------------------------------------------------------
 */
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA booking FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA booking_router FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA booking_router FROM PUBLIC;
REVOKE ALL ON TYPE booking.booking_state FROM PUBLIC;
GRANT USAGE ON TYPE booking.booking_state TO booking_reader;

/* the plumbing every role's calls go through */
GRANT EXECUTE ON FUNCTION
    booking_router.shard_list(),
    booking_router.shard_count(),
    booking_router.shard_name(int),
    booking_router.pick_shard(text, text),
    booking_router.search_cluster(),
    booking_router.connection_problem(text, text),
    booking_router.plproxy_text(text),
    booking_router.check_gate(int),
    booking_router.unreachable(),
    booking_router.reconnect(int),
    booking_router.fail(text, text, text, text, int, int, int, boolean),
    booking_router.px_ping(int),
    booking_router.px_ping_all(),
    booking_router.px_probe(int)
    TO booking_reader;

GRANT EXECUTE ON FUNCTION
    booking.node_of(bigint),
    booking.availability(bigint, date, date),
    booking.search(text, date, date, int, int, int),
    booking_router.px_availability(int, int, bigint, date, date),
    booking_router.px_search(text, date, date, int, int, int),
    booking_router.px_search_on(int, text, date, date, int, int, int),
    booking_router.search_partial(text, date, date, int, int, int, text)
    TO booking_reader;

GRANT EXECUTE ON FUNCTION
    booking.quote(bigint, text, date, date, int),
    booking.calendar(bigint, date),
    booking_router.px_quote(int, int, bigint, text, date, date, int),
    booking_router.px_calendar(int, int, bigint, date)
    TO booking_reader;

GRANT EXECUTE ON FUNCTION
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int),
    booking.clear_rules(bigint, text, date, date),
    booking.purge(int),
    booking.rebuild_calendar(),
    booking_router.px_set_rules(int, int, bigint, text, date, date, int, int, bool, bool, bool, int, int),
    booking_router.px_clear_rules(int, int, bigint, text, date, date),
    booking_router.px_purge(int),
    booking_router.px_rebuild_calendar()
    TO booking_admin;

GRANT EXECUTE ON FUNCTION
    booking.reserve_range(bigint, text, date, date, int, text, text, interval),
    booking.confirm_booking(bigint, text),
    booking.cancel_reservation(bigint, text),
    booking.begin_payment(bigint, text, interval),
    booking_router.px_reserve_range(int, int, bigint, text, date, date, int, text, text, interval),
    booking_router.px_confirm_booking(int, int, bigint, text),
    booking_router.px_cancel_reservation(int, int, bigint, text),
    booking_router.px_begin_payment(int, int, bigint, text, interval)
    TO booking_app;

GRANT EXECUTE ON FUNCTION
    booking.add_property(text, text, text),
    booking.add_room_type(bigint, text, text, int, int, numeric),
    booking.open_inventory(bigint, text, date, date, int, numeric),
    booking.expire_holds(int),
    booking.check_invariants(),
    booking_router.px_add_property(int, int, text, text, text),
    booking_router.px_add_room_type(int, int, bigint, text, text, int, int, numeric),
    booking_router.px_open_inventory(int, int, bigint, text, date, date, int, numeric),
    booking_router.px_expire_holds(int),
    booking_router.px_check_invariants(),
    booking_router.shard_status()
    TO booking_admin;
GRANT SELECT ON booking_router.shards TO booking_admin;

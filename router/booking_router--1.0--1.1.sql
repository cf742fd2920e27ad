/*-------------------------------------------------------------------------
 * booking_router--1.0--1.1.sql
 *    Version 1.1 of booking_router: one dispatcher for every routed call,
 *    errors classified by SQLSTATE, and a check that the router's copies
 *    of the shards' types have not drifted from the shards'.
 *
 * There is no separate 1.1 install script: CREATE EXTENSION booking_router
 * runs booking_router--1.0.sql and then this file (PostgreSQL chains them,
 * as it does for contrib modules), so a new router and an updated one are
 * the same by construction.  What 1.0 created and this file does not
 * replace (schemas, roles, types, the shard list, add_shard, the PL/Proxy
 * functions px_*) is unchanged.
 *
 * What changes, and why:
 *
 *   One dispatcher.  1.0 repeated one ~20-line block 18 times (in 17 API
 *   functions of schema booking and in the search fallback): make the
 *   PL/Proxy call, catch the error, classify it, decide whether to try
 *   again.  Here the policy lives once, in booking_router.retry, and
 *   booking_router.reroute gives every API function the same body from
 *   one template: the call (derived from the function's signature), and
 *   on an error the dispatcher's verdict, "once more" or the error the
 *   caller sees.  The API functions keep their signatures, defaults,
 *   volatility and grants (reroute replaces only the body).
 *
 *   Errors by SQLSTATE.  1.0 told a shard that cannot be reached from a
 *   shard's own error by matching PL/Proxy's message text, which changes
 *   with PL/Proxy's and libpq's versions and with lc_messages.  PL/Proxy
 *   passes a shard's error on with the shard's SQLSTATE and raises its own
 *   failures (a connection that could not be opened, or broke, or timed
 *   out; an error libpq reports without a SQLSTATE) as XX000; a shard that
 *   ends the session (shutdown, pg_terminate_backend) reports 57P01.  The
 *   dispatcher decides by SQLSTATE alone; where PL/Proxy's XX000 does not
 *   say whether the shard is down or the connection broke during the
 *   call, it asks the shard (a ping on a connection of its own).  The
 *   message text is only trimmed of PL/Proxy's prefixes for the caller.
 *   The error contract is in router/README.md.
 *
 *   The shards' types.  The router declares booking.booking_state and
 *   booking.reservation itself (its API returns them, and they must exist
 *   before any shard is known).  booking_router.check_shards() compares
 *   them with every shard's: labels and their order, columns, their order
 *   and their types, and fails naming every difference; add_shard and
 *   set_shard refuse a database whose types differ, and the shards view
 *   names the difference.
 *
 * Functions in this file that are not on a call's success path pin
 * search_path (pg_catalog, pg_temp) and write SQL plainly.  The API
 * functions, which every call runs, do not pay for a SET clause: their
 * template names every function, type and operator with its schema, so
 * the caller's search_path cannot redirect them.
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking_router UPDATE TO '1.1'" to load this file. \quit

/* ---------------------------------------------------------------------
 * The state of one routed call, from one try to the next, and an error
 * as the API function caught it.
 * ---------------------------------------------------------------------
 */
CREATE TYPE booking_router.attempt AS (
    part     int,       -- the shard the call runs on (PL/Proxy takes it modulo the
                        -- number of shards); NULL: every shard
    expect   int,       -- the booking.node_id that shard must have; -1: no check
    writes   boolean,   -- whether the call changes anything (what may be tried again)
    failures int        -- how many tries have failed so far
);

CREATE TYPE booking_router.error AS (
    sqlstate text,
    message  text,
    detail   text,
    hint     text
);

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

/*
 * plproxy_text is what an error PL/Proxy raised says, for a person:
 * without PL/Proxy's prefix ("PL/Proxy function f(n): " on its own
 * errors, "f(n): [db] REMOTE ERROR: " before a shard's message) and
 * without trailing blank lines.  1.1 also removes the second prefix, so
 * that a shard's error reaches the caller with the shard's own message.
 */
CREATE OR REPLACE FUNCTION booking_router.plproxy_text(msg text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT pg_catalog.rtrim(pg_catalog.regexp_replace(msg,
               '^(PL/Proxy function \S+\(\d+\)|\S+\(\d+\): \[[^]]*\] REMOTE \S+): ', ''), E' \n\t')
$$;

/*
 * connection_failed says, from its SQLSTATE, whether an error a PL/Proxy
 * call raised means the call did not complete on its shard, so that the
 * shard's answer is unknown: XX000 (PL/Proxy's own failures, which are
 * mostly connections that could not be opened or broke, and errors libpq
 * reports without a SQLSTATE), class 08 (connection exception) and class
 * 57P (the shard's server ended the session: shutdown, crash, terminate).
 */
CREATE FUNCTION booking_router.connection_failed(st text) RETURNS boolean
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
    AS $$ SELECT st = 'XX000' OR left(st, 2) = '08' OR left(st, 3) = '57P' $$;

/*
 * reachable says whether shard `part` answers a round trip now, on a
 * connection of its own (PL/Proxy has dropped the one that failed).
 */
CREATE FUNCTION booking_router.reachable(part int) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM booking_router.px_ping(part);
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RETURN false;
END
$$;

/*
 * raise_error raises an error with this SQLSTATE and message, and with
 * the detail and the hint when they are not empty: RAISE refuses a NULL
 * option, and an empty one would still reach the client as a line.
 */
CREATE FUNCTION booking_router.raise_error(st text, msg text, det text, hnt text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF det <> '' AND hnt <> '' THEN
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg, DETAIL = det, HINT = hnt;
    ELSIF det <> '' THEN
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg, DETAIL = det;
    ELSIF hnt <> '' THEN
        RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg, HINT = hnt;
    END IF;
    RAISE EXCEPTION USING ERRCODE = st, MESSAGE = msg;
END
$$;

/* ---------------------------------------------------------------------
 * The dispatcher
 * ---------------------------------------------------------------------
 */

/*
 * retry is the router's whole policy for a routed call that raised an
 * error: it returns the attempt to make once more, or raises the error
 * the caller sees.  By the error's SQLSTATE:
 *
 *   57014   cancelled (the router's statement_timeout, or the caller):
 *           raised again, its detail naming the shard it waited for.
 *   57P01, 57P05
 *           the shard ended the session (a fast shutdown or restart,
 *           pg_terminate_backend, its idle_session_timeout), so the
 *           statement did not run or was rolled back there: any call is
 *           made once more, on a new connection.
 *   XX000, class 08, the rest of class 57P (connection_failed)
 *           the call did not complete and its outcome is unknown.  A read
 *           is made once more.  Otherwise the router pings the shards the
 *           call needed, each on a connection of its own: any that cannot
 *           be reached -> 08001 "could not connect to booking shard k";
 *           all reachable, so the connection broke during the call ->
 *           08006 "lost connection to booking shard k", which for a write
 *           means it may or may not have taken effect.
 *   P0002   a routed call that came back without its row: the gate on
 *           booking.node_id (see check_gate) may have emptied it.  55000
 *           naming the shard if that shard has another node_id; made once
 *           more without the gate if the id names no shard (the engine
 *           then answers as it does for any unknown id).
 *   other   the shard's own error (or the router's): raised again with
 *           its SQLSTATE, message, detail and hint, PL/Proxy's prefixes
 *           removed.
 *
 * With no shards at all, every call fails with 55000.
 */
CREATE FUNCTION booking_router.retry(a booking_router.attempt, e booking_router.error)
    RETURNS booking_router.attempt
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int := booking_router.shard_count();
    k int := a.part % GREATEST(n, 1);       -- the shard's number (NULL: every shard)
    down text;                              -- the shards that cannot be reached
BEGIN
    a.failures := a.failures + 1;
    IF n = 0 THEN
        PERFORM booking_router.raise_error('55000', 'the booking router has no shards', NULL,
                                           'Add one with booking_router.add_shard(conninfo).');
    END IF;
    e.message := booking_router.plproxy_text(e.message);
    e.detail := regexp_replace(e.detail, '^Remote detail: ', '');
    e.hint := regexp_replace(e.hint, '^Remote hint: ', '');

    IF e.sqlstate = '57014' THEN
        PERFORM booking_router.raise_error(e.sqlstate, e.message,
            COALESCE(NULLIF(e.detail, ''), 'The call was waiting for booking '
                                           || COALESCE(booking_router.shard_name(k), 'shards') || '.'),
            e.hint);
    END IF;

    IF e.sqlstate IN ('57P01', '57P05') AND a.failures = 1 THEN
        RETURN a;
    END IF;

    IF booking_router.connection_failed(e.sqlstate) THEN
        IF NOT a.writes AND a.failures = 1 THEN
            RETURN a;
        END IF;
        IF a.part IS NULL THEN
            SELECT string_agg(booking_router.shard_name(u.shard), ', ' ORDER BY u.shard)
              INTO down FROM booking_router.unreachable() u;
        ELSIF NOT booking_router.reachable(k) THEN
            down := booking_router.shard_name(k);
        END IF;
        IF down IS NOT NULL THEN
            PERFORM booking_router.raise_error('08001', 'could not connect to booking ' || down, e.message,
                CASE WHEN a.part IS NULL
                     THEN 'This call needs every shard; calls for properties on other shards still work.'
                     ELSE format('Only properties and reservations of shard %s (ids with booking.node_of(id) %% %s = %s) are affected; retry when it is back.',
                                 k, n, k)
                END);
        END IF;
        PERFORM booking_router.raise_error('08006',
            CASE WHEN a.part IS NULL THEN 'lost connection to a booking shard'
                 ELSE 'lost connection to booking ' || booking_router.shard_name(k) END,
            e.message,
            CASE WHEN a.writes
                 THEN 'The call may or may not have taken effect on that shard: repeat it with the same idempotency_key (reserve_range) or payment_ref (confirm_booking) to find out.'
                 ELSE 'Retry the call.'
            END);
    END IF;

    IF e.sqlstate = 'P0002' AND a.expect >= 0 THEN
        IF booking_router.check_gate(a.part) THEN
            a.expect := -1;
            RETURN a;
        END IF;
    END IF;

    /* PL/Proxy abandons a connection on which a shard raised an error: open its successor now */
    PERFORM booking_router.reconnect(a.part);
    PERFORM booking_router.raise_error(e.sqlstate, e.message, e.detail, e.hint);
    RETURN NULL;        /* not reached: raise_error raises */
END
$$;

/*
 * reroute gives the API function fn (booking.<name>) the router's body,
 * keeping the rest of it: CREATE OR REPLACE with fn's own arguments,
 * defaults, result, volatility, strictness and ROWS, so its grants,
 * owner and extension membership stay too.  The body runs `call` in a
 * loop: on success the call returns; on an error retry (above) says
 * whether to run it once more.
 *   fn      the API function; its PL/Proxy function is booking_router.px_<name>
 *   shard   an expression over fn's arguments naming the shard that owns
 *           the call (NULL ids go to shard 0, which rejects them as the
 *           engine does); NULL: the call runs on every shard
 *   writes  whether the call changes anything
 *   call    the statements that make the call once; by default, from fn:
 *             one shard, one value:  RETURN px_<name>(part, expect, args)
 *             one shard, no value:   PERFORM px_<name>(...); RETURN
 *             one shard, rows:       RETURN QUERY its rows, sorted on every
 *                                    column (the sort takes every row before
 *                                    it gives one, so an error leaves none
 *                                    behind); an empty answer is checked
 *                                    against the gate (check_gate)
 *             every shard, rows:     RETURN QUERY all shards' rows, sorted
 *             every shard, an int:   RETURN the sum of the shards' answers
 */
CREATE FUNCTION booking_router.reroute(fn regprocedure, shard text, writes boolean, call text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $reroute$
DECLARE
    p pg_proc;
    px text;
    args text;
BEGIN
    SELECT * INTO STRICT p FROM pg_proc WHERE oid = fn;
    px := 'booking_router.px_' || p.proname;
    args := concat_ws(', ', CASE WHEN shard IS NOT NULL THEN 'part, expect' END,
                      (SELECT string_agg('$' || i, ', ') FROM generate_series(1, p.pronargs) i));
    call := COALESCE(call, CASE
        WHEN p.proretset THEN
            format('RETURN QUERY SELECT * FROM %s(%s) x ORDER BY %s;', px, args,
                   (SELECT string_agg(i::text, ', ')
                      FROM generate_series(1, cardinality(p.proallargtypes) - p.pronargs) i))
            || CASE WHEN shard IS NULL THEN '
            RETURN;' ELSE '
            EXIT WHEN FOUND OR expect OPERATOR(pg_catalog.<) 0 OR NOT booking_router.check_gate(part);
            expect := -1;       -- no shard issued this id: let the engine say so' END
        WHEN p.prorettype = 'void'::regtype THEN format('PERFORM %s(%s);
            RETURN;', px, args)
        WHEN shard IS NULL THEN format('RETURN (SELECT COALESCE(pg_catalog.sum(x), 0)::int FROM %s(%s) x);',
                                       px, args)
        ELSE format('RETURN %s(%s);', px, args)
    END);
    EXECUTE format('CREATE OR REPLACE FUNCTION %s(%s) RETURNS %s LANGUAGE plpgsql %s%s%s AS %L',
                   fn::regproc, pg_get_function_arguments(fn), pg_get_function_result(fn),
                   CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                   CASE WHEN p.proisstrict THEN ' STRICT' ELSE '' END,
                   CASE WHEN p.proretset THEN ' ROWS ' || p.prorows ELSE '' END,
                   format('
DECLARE
    -- booking_router: the call runs on %s; errors go to booking_router.retry
    part int := %s;
    expect int := COALESCE(part, -1);     -- the booking.node_id the shard must have
    a booking_router.attempt;             -- after a failure: what retry said
    e booking_router.error;
BEGIN
    LOOP
        BEGIN
            %s
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS e.sqlstate = RETURNED_SQLSTATE, e.message = MESSAGE_TEXT,
                                    e.detail = PG_EXCEPTION_DETAIL, e.hint = PG_EXCEPTION_HINT;
            a := booking_router.retry(ROW(part, expect, %s, COALESCE(a.failures, 0)), e);
            expect := a.expect;
        END;
    END LOOP;
END
', COALESCE('the shard ' || shard || ' names', 'every shard'),
   COALESCE('COALESCE(' || shard || ', 0)', 'NULL'), call, writes::text));
END
$reroute$;

/* ---------------------------------------------------------------------
 * The booking API through the dispatcher
 * ---------------------------------------------------------------------
 */

/* On the shard that issued the id, or (add_property) the one pick_shard chooses. */
SELECT booking_router.reroute(fn, 'booking.node_of(property_id)', writes => true)
  FROM unnest('{"booking.add_room_type(bigint, text, text, int, int, numeric)",
                "booking.open_inventory(bigint, text, date, date, int, numeric)",
                "booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int)",
                "booking.clear_rules(bigint, text, date, date)",
                "booking.reserve_range(bigint, text, date, date, int, text, text, interval)"}'::regprocedure[]) fn;
SELECT booking_router.reroute(fn, 'booking.node_of(property_id)', writes => false)
  FROM unnest('{"booking.availability(bigint, date, date)",
                "booking.quote(bigint, text, date, date, int)",
                "booking.calendar(bigint, date)"}'::regprocedure[]) fn;
SELECT booking_router.reroute(fn, 'booking.node_of(reservation_id)', writes => true)
  FROM unnest('{"booking.confirm_booking(bigint, text)",
                "booking.cancel_reservation(bigint, text)",
                "booking.begin_payment(bigint, text, interval)"}'::regprocedure[]) fn;
SELECT booking_router.reroute('booking.add_property(text, text, text)',
                              'booking_router.pick_shard(name, city)', writes => true);

/* On every shard: the sum of the counts; check_invariants, every shard's rows. */
SELECT booking_router.reroute(fn, NULL, writes => true)
  FROM unnest('{"booking.expire_holds(int)", "booking.purge(int)",
                "booking.rebuild_calendar()"}'::regprocedure[]) fn;
SELECT booking_router.reroute('booking.check_invariants()', NULL, writes => false);

/*
 * search_each answers a search shard by shard, each on a connection of
 * its own, in the cluster search_cluster names.  A shard whose call did
 * not complete (connection_failed) is left out with a NOTICE naming it,
 * unless booking_router.partial_search is off; any other error, or a
 * shard left out when partial answers are off, is raised as retry says;
 * with no shard answering, the call fails as a call on every shard does.
 */
CREATE FUNCTION booking_router.search_each(city text, check_in date, check_out date,
                                           guests int, rooms int, max_results int)
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
                                                                   guests, rooms, max_results);
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

/*
 * search: on every shard at once, the rows merged into the contract's
 * order and max_results applied once (each shard's own top max_results is
 * enough for the global top).  When that fails, retry (a read) says to
 * try once more, and the second try asks the shards one by one
 * (search_each), so that a shard that cannot be reached leaves the others'
 * answer standing.
 */
SELECT booking_router.reroute('booking.search(text, date, date, int, int, int)', NULL, writes => false, call => '
            IF a.failures IS NULL THEN      -- no failure yet
                RETURN QUERY SELECT * FROM booking_router.px_search($1, $2, $3, $4, $5, $6) s
                              ORDER BY s.total_price, s.property_id, s.room_type
                              LIMIT GREATEST($6, 1);    -- LIMIT 0 would not even ask the shards
            ELSE
                RETURN QUERY SELECT * FROM booking_router.search_each($1, $2, $3, $4, $5, $6) s
                              ORDER BY s.total_price, s.property_id, s.room_type
                              LIMIT GREATEST($6, 1);
            END IF;
            RETURN;');

/* 1.0's classification, replaced by retry and search_each */
DROP FUNCTION booking_router.fail(text, text, text, text, int, int, int, boolean);
DROP FUNCTION booking_router.search_partial(text, date, date, int, int, int, text);
DROP FUNCTION booking_router.connection_problem(text, text);

/* ---------------------------------------------------------------------
 * The shards' types, as the router declares them
 * ---------------------------------------------------------------------
 */

/*
 * type_shape describes booking.booking_state (its labels, in order) and
 * booking.reservation (its columns, in order, each "name type") in this
 * database; px_type_shape asks the same of the database at conninfo.
 * Both run the same query, written once here.  A type outside pg_catalog
 * is written schema.name whatever the search_path; a missing type gives
 * an empty list.
 */
DO $shape$
DECLARE
    shape text := $q$
    SELECT ARRAY(SELECT e.enumlabel::text
                   FROM pg_catalog.pg_enum e
                  WHERE e.enumtypid = pg_catalog.to_regtype('booking.booking_state')
                  ORDER BY e.enumsortorder) AS booking_state,
           ARRAY(SELECT a.attname::text || ' ' ||
                        CASE WHEN t.typnamespace = 'pg_catalog'::regnamespace
                             THEN pg_catalog.format_type(a.atttypid, a.atttypmod)
                             ELSE t.typnamespace::regnamespace::text || '.' || pg_catalog.quote_ident(t.typname)
                        END
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                  WHERE a.attrelid = pg_catalog.to_regclass('booking.reservation')
                    AND a.attnum > 0 AND NOT a.attisdropped
                  ORDER BY a.attnum) AS reservation$q$;
BEGIN
    EXECUTE 'CREATE FUNCTION booking_router.type_shape()
                 RETURNS TABLE(booking_state text[], reservation text[])
                 LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS '
            || quote_literal(shape);
    EXECUTE 'CREATE FUNCTION booking_router.px_type_shape(conninfo text)
                 RETURNS TABLE(booking_state text[], reservation text[])
                 LANGUAGE plproxy SET client_min_messages = warning AS '
            || quote_literal('CONNECT conninfo;' || shape || ';');
END
$shape$;

/*
 * type_drift says how the booking types of the database at conninfo
 * differ from the router's, or NULL when they are the same: the labels of
 * booking.booking_state when they differ in any way (which labels, or
 * their order), then each column of booking.reservation that differs
 * ("booking.reservation column 15: the router has cancel_reason text,
 * the shard has cancel_reason character varying(200)").
 */
CREATE FUNCTION booking_router.type_drift(conninfo text) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_agg(d.difference, '; ' ORDER BY d.i)
      FROM booking_router.type_shape() r,
           booking_router.px_type_shape(conninfo) s,
           LATERAL (SELECT 0 AS i,
                           format('booking.booking_state: the router has labels %s, the shard has %s',
                                  array_to_string(r.booking_state, ', '),
                                  COALESCE(NULLIF(array_to_string(s.booking_state, ', '), ''), 'none')) AS difference
                     WHERE r.booking_state IS DISTINCT FROM s.booking_state
                    UNION ALL
                    SELECT i, format('booking.reservation column %s: the router has %s, the shard has %s', i,
                                     COALESCE(r.reservation[i], 'none'), COALESCE(s.reservation[i], 'none'))
                      FROM generate_series(1, GREATEST(cardinality(r.reservation), cardinality(s.reservation))) i
                     WHERE r.reservation[i] IS DISTINCT FROM s.reservation[i]) d
$$;

/*
 * check_shards compares the router's booking.booking_state and
 * booking.reservation with every shard's and returns one row per shard
 * when they are all the same.  It fails with 42804 naming every
 * difference of every shard, and like any call on every shard (08001)
 * when a shard cannot be reached: it does not vouch for what it cannot
 * see.  The suite runs it; run it after updating booking on the shards.
 */
CREATE FUNCTION booking_router.check_shards()
    RETURNS TABLE(shard int, conninfo text, booking_version text)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s record;
    drift text;
    differ text[] := '{}';
    e booking_router.error;
BEGIN
    FOR s IN SELECT * FROM booking_router.shard_list() LOOP
        BEGIN
            drift := booking_router.type_drift(s.conninfo);
            booking_version := (SELECT p.booking_version FROM booking_router.px_probe(s.shard) p);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e.sqlstate = RETURNED_SQLSTATE, e.message = MESSAGE_TEXT,
                                    e.detail = PG_EXCEPTION_DETAIL, e.hint = PG_EXCEPTION_HINT;
            PERFORM booking_router.retry(ROW(s.shard, -1, false, 1)::booking_router.attempt, e);
        END;
        IF drift IS NULL THEN
            shard := s.shard;
            conninfo := s.conninfo;
            RETURN NEXT;
        ELSE
            differ := differ || ('booking ' || booking_router.shard_name(s.shard) || ': ' || drift);
        END IF;
    END LOOP;
    IF cardinality(differ) > 0 THEN
        RAISE EXCEPTION 'the booking types of % of % shards differ from the router''s',
                        cardinality(differ), booking_router.shard_count()
            USING ERRCODE = '42804', DETAIL = array_to_string(differ, E'\n'),
                  HINT = 'The router declares booking.booking_state and booking.reservation as the shards have them: '
                         'run the same booking version on every shard, and on every router the booking_router version made for it.';
    END IF;
END
$$;

/*
 * inspect asks shard k (at conninfo) what it is, for the shards view:
 * reachable or not, its booking.node_id and booking version, how many
 * properties it has, and a problem (NULL when the shard is fit to serve):
 * a node_id other than k, booking types that differ from the router's,
 * or the error that stopped the questions.  Whether the shard can be
 * reached is told by that error's SQLSTATE (connection_failed).
 */
CREATE FUNCTION booking_router.inspect(k int, conninfo text,
                                       OUT reachable boolean, OUT node_id int,
                                       OUT booking_version text, OUT properties bigint,
                                       OUT problem text)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT true, p.node_id, p.booking_version, p.properties,
           NULLIF(concat_ws('; ',
                            CASE WHEN p.node_id <> k THEN format('booking.node_id is %s, not %s', p.node_id, k) END,
                            booking_router.type_drift(conninfo)), '')
      INTO STRICT reachable, node_id, booking_version, properties, problem
      FROM booking_router.px_probe(k) p;
EXCEPTION WHEN OTHERS THEN
    reachable := NOT booking_router.connection_failed(SQLSTATE);
    problem := booking_router.plproxy_text(SQLERRM);
    IF reachable THEN
        PERFORM booking_router.reconnect(k);
    END IF;
END
$$;

/* shard_status (the view booking_router.shards): every shard, inspected one at a time. */
CREATE OR REPLACE FUNCTION booking_router.shard_status()
    RETURNS TABLE(shard int, conninfo text, reachable boolean, node_id int,
                  booking_version text, properties bigint, problem text)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT l.shard, l.conninfo, i.reachable, i.node_id, i.booking_version, i.properties, i.problem
      FROM booking_router.shard_list() l,
           LATERAL booking_router.inspect(l.shard, l.conninfo) i
     ORDER BY l.shard
$$;

/*
 * add_shard and set_shard check a database with probe_new before they
 * make it shard k.  1.1 adds one check: its booking types must be the
 * router's.  1.0's checks (reachable, booking installed, the node_id,
 * not a shard already) stay as they were, now named probe_conninfo.
 */
ALTER FUNCTION booking_router.probe_new(int, text) RENAME TO probe_conninfo;

CREATE FUNCTION booking_router.probe_new(k int, conninfo text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    drift text;
BEGIN
    PERFORM booking_router.probe_conninfo(k, conninfo);
    drift := booking_router.type_drift(conninfo);
    IF drift IS NOT NULL THEN
        RAISE EXCEPTION 'the booking types of this database differ from the router''s, so it cannot be shard %', k
            USING ERRCODE = '42804', DETAIL = drift,
                  HINT = 'Run the booking version the other shards run there.';
    END IF;
END
$$;

/* ---------------------------------------------------------------------
 * Privileges: nothing to PUBLIC (new functions are executable by PUBLIC
 * until revoked); the API functions kept theirs (CREATE OR REPLACE).
 * ---------------------------------------------------------------------
 */
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA booking_router FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA booking FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    booking_router.plproxy_text(text),
    booking_router.connection_failed(text),
    booking_router.reachable(int),
    booking_router.raise_error(text, text, text, text),
    booking_router.retry(booking_router.attempt, booking_router.error),
    booking_router.search_each(text, date, date, int, int, int)
    TO booking_reader;

GRANT EXECUTE ON FUNCTION
    booking_router.inspect(int, text),
    booking_router.type_shape(),
    booking_router.px_type_shape(text),
    booking_router.type_drift(text),
    booking_router.check_shards()
    TO booking_admin;

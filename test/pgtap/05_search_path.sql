-- 05_search_path.sql: a caller's search_path cannot redirect what the
-- functions do.  A schema `evil` earlier in the path than pg_catalog
-- defines now(), statement_timestamp() and the =, <, >=, +, * operators the
-- engine's SQL could use; each one records that it was called and gives a
-- wrong answer.  Every function still gives the right answer and none of
-- the evil objects is ever called.  Contract: README.md ("Privileges":
-- "no caller's search_path can redirect a table, a function or an
-- operator").  1.0's payment step and outbox add begin_payment,
-- read_events and the events every change writes, and evil comparison
-- operators on bigint, timestamptz and xid8 that their SQL uses.
-- Version 1.1 adds set_rules, clear_rules, quote, calendar, search with
-- rules, BK006, rebuild_calendar and purge; evil date and integer
-- arithmetic and comparisons; and temporary tables named like the
-- booking tables (pg_temp comes first for unqualified table names in the
-- caller's path, last in the functions' pinned one).  The hardening of
-- 1.2 adds the DROP guard, an event trigger that runs as the superuser
-- who types DROP EXTENSION, under an evil enum operator.
BEGIN;
SELECT plan(74);

-- ---------------------------------------------------------------------
-- Set-up (normal search_path): one hotel, 2 doubles at 100, 14 nights.
-- ---------------------------------------------------------------------
SELECT booking.add_property('TAP Evil Inn', 'Tap Evil City', 'UTC') AS pid \gset
SELECT current_date + 7 AS d_in, current_date + 9 AS d_out \gset
SELECT lives_ok(format($$SELECT booking.add_room_type(%s, 'DBL', 'Double', 2, 2, 100)$$, :pid),
                'add a room type');
SELECT is(booking.open_inventory(:pid, 'DBL', current_date + 7, current_date + 21), 14,
          'open 14 nights');

CREATE TEMP TABLE evil_calls (fn text NOT NULL);
CREATE SCHEMA evil;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('now()');
      SELECT '2000-01-01 00:00:00+00'::pg_catalog.timestamptz$$;
CREATE FUNCTION evil.statement_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('statement_timestamp()');
      SELECT '2000-01-01 00:00:00+00'::pg_catalog.timestamptz$$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('clock_timestamp()');
      SELECT '2000-01-01 00:00:00+00'::pg_catalog.timestamptz$$;
CREATE FUNCTION evil.int8eq(bigint, bigint) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('bigint = bigint');
      SELECT $1 OPERATOR(pg_catalog.<>) $2$$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8eq);
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('text = text');
      SELECT $1 OPERATOR(pg_catalog.<>) $2$$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE FUNCTION evil.dateeq(date, date) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('date = date');
      SELECT $1 OPERATOR(pg_catalog.<>) $2$$;
CREATE OPERATOR evil.= (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.dateeq);
CREATE FUNCTION evil.datelt(date, date) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('date < date');
      SELECT $1 OPERATOR(pg_catalog.>=) $2$$;
CREATE OPERATOR evil.< (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.datelt);
CREATE FUNCTION evil.datege(date, date) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('date >= date');
      SELECT $1 OPERATOR(pg_catalog.<) $2$$;
CREATE OPERATOR evil.>= (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.datege);
CREATE FUNCTION evil.int4pl(integer, integer) RETURNS integer LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('integer + integer');
      SELECT $1 OPERATOR(pg_catalog.-) $2$$;
CREATE OPERATOR evil.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4pl);
CREATE FUNCTION evil.numeric_int_mul(numeric, integer) RETURNS numeric LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('numeric * integer');
      SELECT 0::pg_catalog.numeric$$;
CREATE OPERATOR evil.* (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = evil.numeric_int_mul);
CREATE FUNCTION evil.numericpl(numeric, numeric) RETURNS numeric LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('numeric + numeric');
      SELECT 0::pg_catalog.numeric$$;
CREATE OPERATOR evil.+ (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = evil.numericpl);
CREATE FUNCTION evil.int8gt(bigint, bigint) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('bigint > bigint');
      SELECT $1 OPERATOR(pg_catalog.<=) $2$$;
CREATE OPERATOR evil.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8gt);
CREATE FUNCTION evil.int8le(bigint, bigint) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('bigint <= bigint');
      SELECT $1 OPERATOR(pg_catalog.>) $2$$;
CREATE OPERATOR evil.<= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8le);
CREATE FUNCTION evil.int8lt(bigint, bigint) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('bigint < bigint');
      SELECT $1 OPERATOR(pg_catalog.>=) $2$$;
CREATE OPERATOR evil.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8lt);
CREATE FUNCTION evil.tstzle(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('timestamptz <= timestamptz');
      SELECT $1 OPERATOR(pg_catalog.>) $2$$;
CREATE OPERATOR evil.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.tstzle);
CREATE FUNCTION evil.xid8ge(xid8, xid8) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('xid8 >= xid8');
      SELECT $1 OPERATOR(pg_catalog.<) $2$$;
CREATE OPERATOR evil.>= (LEFTARG = xid8, RIGHTARG = xid8, FUNCTION = evil.xid8ge);

CREATE FUNCTION evil.date_pl_int(date, integer) RETURNS date LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('date + integer');
      SELECT $1$$;
CREATE OPERATOR evil.+ (LEFTARG = date, RIGHTARG = integer, FUNCTION = evil.date_pl_int);
CREATE FUNCTION evil.date_mi(date, date) RETURNS integer LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('date - date');
      SELECT 0$$;
CREATE OPERATOR evil.- (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.date_mi);
CREATE FUNCTION evil.datele(date, date) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('date <= date');
      SELECT $1 OPERATOR(pg_catalog.>) $2$$;
CREATE OPERATOR evil.<= (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.datele);
CREATE FUNCTION evil.int4eq(integer, integer) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('integer = integer');
      SELECT $1 OPERATOR(pg_catalog.<>) $2$$;
CREATE OPERATOR evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4eq);
CREATE FUNCTION evil.int4ge(integer, integer) RETURNS boolean LANGUAGE sql VOLATILE AS
    $$INSERT INTO pg_temp.evil_calls VALUES ('integer >= integer');
      SELECT $1 OPERATOR(pg_catalog.<) $2$$;
CREATE OPERATOR evil.>= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4ge);
-- Temporary tables with the booking tables' names and no columns: an
-- unqualified table name in the engine would read nothing or fail.
CREATE TEMP TABLE property ();
CREATE TEMP TABLE room_type ();
CREATE TEMP TABLE inventory ();
CREATE TEMP TABLE reservation ();
CREATE TEMP TABLE stay_rule ();
CREATE TEMP TABLE room_calendar ();

-- pg_temp.sqlstate_of(stmt) runs a statement and returns the SQLSTATE it
-- failed with ('00000' when it did not); it pins no search_path, so the
-- statement runs with the caller's.
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN
    EXECUTE stmt;
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END$$;

-- The 1.1 calls use nights today + 17 .. + 20, clear of the ones above.
SELECT current_date + 17 AS n17, current_date + 18 AS n18, current_date + 19 AS n19,
       current_date + 20 AS n20 \gset

-- A dead hold for expire_holds to find (its deadline 1 ms after it is made).
SELECT reservation_id AS dead_id
  FROM booking.reserve_range(:pid, 'DBL', current_date + 15, current_date + 16,
                             guest_id => 'tap-dead', hold => '1 millisecond') \gset
SELECT pg_sleep(0.01) AS slept \gset

-- ---------------------------------------------------------------------
-- The calls, with evil first in the search_path (no pgTAP in between:
-- pgTAP's own SQL would be captured).
-- ---------------------------------------------------------------------
SET LOCAL search_path = evil, pg_catalog;
SELECT * FROM booking.reserve_range(:pid, 'DBL', :'d_in', :'d_out',
                                    guest_id => 'tap-evil', idempotency_key => 'evil-1') \gset e_
SELECT reservation_id AS replay_id
  FROM booking.reserve_range(:pid, 'DBL', :'d_in', :'d_out',
                             guest_id => 'tap-evil', idempotency_key => 'evil-1') \gset
SELECT count(*) AS avail_rows, min(available) AS avail_min, max(available) AS avail_max
  FROM booking.availability(:pid, :'d_in', :'d_out') \gset
SELECT count(*) AS search_rows, min(total_price) AS search_price
  FROM booking.search('Tap Evil City', :'d_in', :'d_out') \gset
SELECT state AS b_state, payment_intent AS b_payment_intent, hold_expires_at AS b_deadline
  FROM booking.begin_payment(:e_reservation_id, 'evil-pi-1', extend => '1 hour') \gset
SELECT state AS c_state, payment_ref AS c_payment_ref, confirmation_code AS c_code
  FROM booking.confirm_booking(:e_reservation_id, 'evil-pay-1') \gset
SELECT booking.expire_holds() AS expired_now \gset
SELECT count(*) AS problems_mid FROM booking.check_invariants() \gset
SELECT state AS x_state FROM booking.cancel_reservation(:e_reservation_id, 'evil test') \gset
SELECT count(*) AS read_rows FROM booking.read_events('tap-evil', 100) \gset
SELECT count(*) AS problems_end FROM booking.check_invariants() \gset
-- 1.1: rules, quote, BK006, search with rules, the calendar, clear,
-- rebuild, purge.
SELECT booking.set_rules(:pid, 'DBL', :'n17', :'n18', min_stay => 2) AS set_min \gset
SELECT booking.set_rules(:pid, 'DBL', :'n19', :'n20', stop_sell => true) AS set_stop \gset
SELECT pg_catalog.array_agg(ROW(night, min_stay, stop_sell) ORDER BY night)::text AS rule_rows
  FROM booking.stay_rule WHERE property_id OPERATOR(pg_catalog.=) :pid \gset
SELECT count(*) AS q1_rows, bool_or(bookable) AS q1_bookable, max(reason) AS q1_reason
  FROM booking.quote(:pid, 'DBL', :'n17', :'n18') \gset
SELECT count(*) AS q2_rows, bool_and(bookable) AS q2_bookable, max(total_price) AS q2_total,
       min(available) AS q2_free
  FROM booking.quote(:pid, 'DBL', :'n17', :'n19', 2) \gset
SELECT pg_temp.sqlstate_of(pg_catalog.format('SELECT booking.reserve_range(%s, %L, %L, %L)',
                                             :pid, 'DBL', :'n17', :'n18')) AS rr_min_state \gset
SELECT pg_temp.sqlstate_of(pg_catalog.format('SELECT booking.reserve_range(%s, %L, %L, %L)',
                                             :pid, 'DBL', :'n18', :'n20')) AS rr_stop_state \gset
SELECT count(*) AS s_stop_rows FROM booking.search('Tap Evil City', :'n18', :'n20') \gset
SELECT count(*) AS s_ok_rows, max(total_price) AS s_ok_price
  FROM booking.search('Tap Evil City', :'n17', :'n19') \gset
SELECT (pg_catalog.array_agg(days))[2] AS cal_days FROM booking.calendar(:pid, :'n19') \gset
SELECT (pg_catalog.array_agg(days))[2] AS cal_days18 FROM booking.calendar(:pid, :'n18') \gset
SELECT booking.clear_rules(:pid, 'DBL', :'n17', :'n20') AS cleared \gset
SELECT bool_and(bookable) AS q3_bookable FROM booking.quote(:pid, 'DBL', :'n17', :'n18') \gset
SELECT booking.rebuild_calendar() AS rebuilt \gset
SELECT booking.purge(100) AS purged \gset
SELECT count(*) AS problems_v11 FROM booking.check_invariants() \gset
RESET search_path;

-- ---------------------------------------------------------------------
-- What happened
-- ---------------------------------------------------------------------
SELECT ok(current_setting('search_path') !~ 'evil', 'search_path is back to normal');
SELECT is_empty($$SELECT fn FROM pg_temp.evil_calls$$,
                'no function or operator of schema evil was ever called');

SELECT is(:'e_state'::text, 'held', 'reserve_range: the reservation is a hold');
SELECT is(:e_property_id::bigint, :pid::bigint, 'reserve_range: for the property asked');
SELECT is(:'e_room_type'::text, 'DBL', 'reserve_range: for the room type asked');
SELECT is(:'e_check_in'::date, current_date + 7, 'reserve_range: check_in as asked');
SELECT is(:'e_check_out'::date, current_date + 9, 'reserve_range: check_out as asked');
SELECT is(:e_rooms::int, 1, 'reserve_range: one room');
SELECT is(:'e_total_price'::numeric, 200::numeric, 'reserve_range: total price 2 nights x 100');
SELECT ok(:'e_hold_expires_at'::timestamptz > now() + interval '14 minutes',
          'reserve_range: the hold deadline is about booking.hold_ttl from now (evil now() not used)');
SELECT ok(:'e_hold_expires_at'::timestamptz <= statement_timestamp() + interval '15 minutes',
          'reserve_range: the hold deadline is within booking.hold_ttl (15 min)');
SELECT ok(booking.node_of(:e_reservation_id) = 0 AND :e_reservation_id::bigint > 0,
          'reserve_range: the reservation id is n * 1024 + node 0');
SELECT is(:replay_id::bigint, :e_reservation_id::bigint,
          'the replay with the same key returned the same reservation');
SELECT is(:avail_rows::int, 2, 'availability: 2 nights');
SELECT is(:avail_min::int, 1, 'availability: 1 unit left on each night (2 - the one hold)');
SELECT is(:avail_max::int, 1, 'availability: the replay held nothing more');
SELECT is(:search_rows::int, 1, 'search: found the hotel''s one room type');
SELECT is(:'search_price'::numeric, 200::numeric, 'search: total price 200');
SELECT is(:'b_state'::text, 'payment_pending', 'begin_payment: payment_pending');
SELECT is(:'b_payment_intent'::text, 'evil-pi-1', 'begin_payment: with the payment intent given');
SELECT ok(:'b_deadline'::timestamptz BETWEEN now() + interval '1 hour'
                                         AND statement_timestamp() + interval '1 hour',
          'begin_payment: the deadline is an hour from the call (evil now() not used)');
SELECT is(:'c_state'::text, 'confirmed', 'confirm_booking: confirmed');
SELECT is(:'c_payment_ref'::text, 'evil-pay-1', 'confirm_booking: with the payment ref given');
SELECT ok(:'c_code' ~ '^[0-9A-Za-z]+-[0-9A-Za-z]{4}$',
          'confirm_booking: a confirmation code of the documented form');
SELECT ok(:expired_now::int >= 1, 'expire_holds: expired the dead hold');
SELECT is((SELECT state::text FROM booking.reservation WHERE reservation_id = :dead_id),
          'expired', 'expire_holds: the dead hold is now expired');
SELECT is(:problems_mid::int, 0, 'check_invariants: nothing wrong after confirm and expiry');
SELECT is(:'x_state'::text, 'cancelled', 'cancel_reservation: cancelled');
SELECT is(:problems_end::int, 0, 'check_invariants: nothing wrong after the cancel');
SELECT is(:set_min::int, 1, 'set_rules: min_stay 2 written on 1 night');
SELECT is(:set_stop::int, 1, 'set_rules: stop-sell written on 1 night');
SELECT is(:'rule_rows'::text, format('{"(%s,2,f)","(%s,,t)"}', current_date + 17, current_date + 19),
          'set_rules: the rows are on the nights asked, with the rules asked (evil date arithmetic not used)');
SELECT is(:q1_rows::int, 1, 'quote: one row for a 1-night stay');
SELECT is(:'q1_bookable'::boolean, false, 'quote: a 1-night stay arriving on a min_stay 2 night is not bookable');
SELECT is(:'q1_reason'::text, format('min_stay: stays arriving on %s must be at least 2 nights, this one is 1', :'n17'),
          'quote: and says why (nights counted right)');
SELECT is(:q2_rows::int, 2, 'quote: two rows for a 2-night stay');
SELECT is(:'q2_bookable'::boolean, true, 'quote: the 2-night stay is bookable');
SELECT is(:'q2_total'::numeric, 400::numeric, 'quote: 2 nights x 100 x 2 rooms = 400');
SELECT is(:q2_free::int, 2, 'quote: 2 units free on each night');
SELECT is(:'rr_min_state'::text, 'BK006', 'reserve_range: breaking min_stay fails BK006');
SELECT is(:'rr_stop_state'::text, 'BK006', 'reserve_range: a stay through a stop-sell night fails BK006');
SELECT is(:s_stop_rows::int, 0, 'search: leaves out a stay through a stop-sell night');
SELECT is(:s_ok_rows::int, 1, 'search: offers the stay the rules allow');
SELECT is(:'s_ok_price'::numeric, 200::numeric, 'search: total price 2 nights x 100');
SELECT is(substr(:'cal_days', 3 * extract(day FROM :'n19'::date)::int - 2, 3), '  -'::text,
          'calendar: the stop-sell night shows -');
SELECT is(substr(:'cal_days18', 3 * extract(day FROM :'n18'::date)::int - 2, 3), '  2'::text,
          'calendar: the night before it shows 2 free');
SELECT is(:cleared::int, 2, 'clear_rules: 2 nights had a rule');
SELECT is(:'q3_bookable'::boolean, true, 'quote: bookable once the rules are cleared');
SELECT ok(:rebuilt::int > 0, 'rebuild_calendar: rebuilt the month rows');
SELECT ok(:purged::int >= 0, 'purge: ran');
SELECT is(:problems_v11::int, 0, 'check_invariants: nothing wrong after the 1.1 calls and the rebuild');
SELECT results_eq(
    format($$SELECT night, held, booked FROM booking.inventory
              WHERE property_id = %s AND room_type = 'DBL'
                AND night >= current_date + 7 AND night < current_date + 17
              ORDER BY night$$, :pid),
    $$SELECT (current_date + i)::date, 0, 0 FROM generate_series(7, 16) AS i$$,
    'inventory: every unit came back (the cancel and the expiry released exactly what was held)');
SELECT is(:read_rows::int, 0, 'read_events: nothing delivered from a transaction still open');
SELECT is((SELECT count(*)::int FROM booking.event_consumer WHERE consumer = 'tap-evil'), 1,
          'read_events: the consumer was registered');
SELECT results_eq(
    format($$SELECT kind, (payload->>'refund')::bool, (payload->>'void_authorization')::bool
               FROM booking.event WHERE reservation_id IN (%s, %s) ORDER BY event_id$$,
           :dead_id, :e_reservation_id),
    $$VALUES ('reserved', false, false), ('reserved', false, false),
             ('payment_pending', false, false), ('confirmed', false, false),
             ('expired', false, false), ('cancelled', true, false)$$,
    'events: one per change, in order, with refund and void_authorization computed right');
SELECT is((SELECT count(*)::int FROM booking.idempotency_key
            WHERE scope = 'tap-evil' AND key = 'evil-1'),
          1, 'the idempotency key was recorded once, under the guest''s scope');

-- The same evil objects do capture unqualified SQL, so the test is real.
SET LOCAL search_path = evil, pg_catalog;
SELECT (1::bigint = 1::bigint) AS evil_eq, now() AS evil_now,
       ('2'::xid8 >= '1'::xid8) AS evil_xid8_ge,
       (current_date + 1) AS evil_date_pl, (1 >= 1) AS evil_int_ge \gset
RESET search_path;
SELECT is(:'evil_eq'::boolean, false, 'control: unqualified = on bigint is captured by evil');
SELECT is(:'evil_now'::timestamptz, '2000-01-01 00:00:00+00'::timestamptz,
          'control: unqualified now() is captured by evil');
SELECT is(:'evil_xid8_ge'::boolean, false, 'control: unqualified >= on xid8 is captured by evil');
SELECT is(:'evil_date_pl'::date, current_date, 'control: unqualified date + integer is captured by evil');
SELECT is(:'evil_int_ge'::boolean, false, 'control: unqualified >= on integer is captured by evil');
SELECT is((SELECT relpersistence::text FROM pg_class WHERE oid = to_regclass('stay_rule')), 't',
          'control: an unqualified stay_rule names the empty temporary table');

-- ---------------------------------------------------------------------
-- The hardening of 1.2: the DROP guard under a planted operator.  The
-- guard is an event trigger: it runs as whoever types DROP EXTENSION
-- booking (here a superuser, as it usually is) with that role's
-- search_path, which here starts with evil.  evil's = on enums has
-- pg_catalog's signature (anyenum, anyenum), so the schema first on the
-- path wins for any unqualified enum =, such as the guard's
-- "state = ANY (...)" was.  It
-- counts its calls in sequences, which keep their count when the failed
-- DROP rolls back, and separately the calls made as a superuser (who can,
-- say, COPY ... TO PROGRAM).  The guard must never call it: not when it
-- refuses a drop (live reservations), not when it lets one through.
-- ---------------------------------------------------------------------
CREATE SEQUENCE evil.enum_eq_calls;
CREATE SEQUENCE evil.enum_eq_superuser_calls;
CREATE FUNCTION evil.enum_eq(anyenum, anyenum) RETURNS boolean LANGUAGE plpgsql VOLATILE AS
$$BEGIN
    PERFORM pg_catalog.nextval('evil.enum_eq_calls');
    IF pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on' THEN
        PERFORM pg_catalog.nextval('evil.enum_eq_superuser_calls');
    END IF;
    RETURN pg_catalog.enum_eq($1, $2);
END$$;
CREATE OPERATOR evil.= (LEFTARG = anyenum, RIGHTARG = anyenum, FUNCTION = evil.enum_eq);
CREATE TYPE evil.mood AS ENUM ('calm', 'angry');
SELECT reservation_id AS guard_live_id
  FROM booking.reserve_range(:pid, 'DBL', current_date + 12, current_date + 13,
                             guest_id => 'tap-guard') \gset

-- With a live reservation: DROP EXTENSION, DROP SCHEMA ... CASCADE and
-- DROP OWNED BY the extension's owner are refused.
SET LOCAL search_path = evil, pg_catalog;
SELECT pg_temp.sqlstate_of('DROP EXTENSION booking') AS guard_drop_extension,
       pg_temp.sqlstate_of('DROP SCHEMA booking CASCADE') AS guard_drop_schema,
       pg_temp.sqlstate_of('DROP OWNED BY CURRENT_USER') AS guard_drop_owned \gset
RESET search_path;
SELECT pg_catalog.count(*) AS guard_still_installed FROM pg_extension WHERE extname = 'booking' \gset
-- With none live, DROP EXTENSION booking goes through (rolled back at
-- the end of this file).
SELECT state AS guard_cancelled FROM booking.cancel_reservation(:guard_live_id) \gset
SELECT pg_catalog.count(*) AS guard_live_left FROM booking.reservation
 WHERE state IN ('held', 'payment_pending', 'confirmed') \gset
SET LOCAL search_path = evil, pg_catalog;
SELECT pg_temp.sqlstate_of('DROP EXTENSION booking') AS guard_let_through \gset
RESET search_path;
SELECT is_called AS enum_eq_called FROM evil.enum_eq_calls \gset
SELECT is_called AS enum_eq_superuser_called FROM evil.enum_eq_superuser_calls \gset
-- The control: the same path does send an unqualified enum = to evil.
SET LOCAL search_path = evil, pg_catalog;
SELECT ('calm'::evil.mood = 'calm'::evil.mood) AS control_eq \gset
RESET search_path;

SELECT is(:'guard_drop_extension'::text, '2BP01'::text,
          'guard, evil first on the path: DROP EXTENSION booking with a live reservation is refused');
SELECT is(:'guard_drop_schema'::text, '2BP01'::text,
          'guard, evil first on the path: DROP SCHEMA booking CASCADE with a live reservation is refused');
SELECT is(:'guard_drop_owned'::text, '2BP01'::text,
          'guard, evil first on the path: DROP OWNED BY the extension''s owner with a live reservation is refused');
SELECT is(:guard_still_installed::int, 1, 'guard: the extension is still there after the refused drops');
SELECT is(:guard_live_left::int, 0, 'guard: no live reservation left once the hold is cancelled');
SELECT is(:'guard_let_through'::text, '00000'::text,
          'guard, evil first on the path: with nothing live, DROP EXTENSION booking goes through');
SELECT is((SELECT pg_catalog.count(*)::int FROM pg_extension WHERE extname = 'booking'), 0,
          'guard: the extension is gone (until this file rolls back)');
SELECT is(:'enum_eq_called'::boolean, false,
          'guard: the planted enum operator was never called by the guard');
SELECT is(:'enum_eq_superuser_called'::boolean, false,
          'guard: nothing planted ran as the superuser who typed DROP EXTENSION');
SELECT is((SELECT is_called FROM evil.enum_eq_calls), true,
          'control: an unqualified enum = under the same path is captured by evil');

SELECT * FROM finish();
ROLLBACK;

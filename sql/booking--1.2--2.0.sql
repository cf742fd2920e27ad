/*-------------------------------------------------------------------------
 * booking--1.2--2.0.sql
 *    Version 2.0: what a hotel system is expected to do besides selling
 *    nights (../shared/API.md, "2.0 additions").  So far: ownership and
 *    look-ups; guests; the prices each night was sold at; changing a
 *    reservation (modify_reservation); groups (reserve_group,
 *    confirm_group, cancel_group); rate plans, cancellation policies and
 *    the stay (check_in, check_out, mark_no_show).
 *
 * Sections are independent; each says what it changes and why.  Every
 * function runs with search_path = pg_catalog, pg_temp and is granted to
 * its role only (nothing to PUBLIC).
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking UPDATE TO '2.0'" to load this file. \quit

/* ---------------------------------------------------------------------
 * The functions this script gives new arguments are dropped and created
 * again (an argument cannot be added in place).  The EXECUTE grants a
 * DBA gave on them besides the extension's own roles are remembered here
 * and, at the end, printed as a WARNING with the GRANT statements that
 * give them again.  They are not given again here: a grant made by an
 * extension script is recorded as the extension's own (pg_init_privs),
 * which pg_dump leaves out, so a restore would lose it.  (An object that
 * depends on an old signature, such as a SQL function whose body calls
 * it, stops the update with 2BP01 naming it, and nothing changes: drop it
 * first and create it again after; docs/operations.md, "Upgrading".)
 * ---------------------------------------------------------------------
 */
CREATE TABLE booking.update_2_0_grants AS
SELECT p.proname::text AS function_name,
       CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
            ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
  FROM pg_catalog.pg_proc p
 CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY[
           'booking.confirm_booking(bigint, text)',
           'booking.cancel_reservation(bigint, text)',
           'booking.begin_payment(bigint, text, interval)',
           'booking.reserve_range(bigint, text, date, date, int, text, text, interval)',
           'booking.quote(bigint, text, date, date, int)',
           'booking.search(text, date, date, int, int, int)',
           'booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int)',
           'booking.clear_rules(bigint, text, date, date)']::pg_catalog.regprocedure[])
   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
   AND a.grantee NOT IN (SELECT r.oid FROM pg_catalog.pg_roles r
                          WHERE r.rolname IN ('booking_reader', 'booking_app', 'booking_admin'));

/* ---------------------------------------------------------------------
 * Ownership: confirm_booking, cancel_reservation and begin_payment take
 * an optional guest_id (at the end, DEFAULT NULL, so every existing call
 * means what it meant).  When given it must be the reservation's, else
 * BK005 exactly as if the reservation did not exist.  An argument cannot
 * be added to a function in place: each is dropped and created again,
 * with its grant.
 * ---------------------------------------------------------------------
 */
DROP FUNCTION booking.confirm_booking(bigint, text);
CREATE FUNCTION booking.confirm_booking(reservation_id bigint, payment_ref text,
                                        guest_id text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_confirm_booking';

DROP FUNCTION booking.cancel_reservation(bigint, text);
CREATE FUNCTION booking.cancel_reservation(reservation_id bigint, reason text DEFAULT NULL,
                                           guest_id text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_cancel_reservation';

DROP FUNCTION booking.begin_payment(bigint, text, interval);
CREATE FUNCTION booking.begin_payment(reservation_id bigint, payment_intent text,
                                      extend interval DEFAULT NULL,
                                      guest_id text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_begin_payment';

/* ---------------------------------------------------------------------
 * Look-ups: get_reservation (by id, optionally as one guest's: BK005 when
 * it is not theirs) and find_reservation (by exactly one of confirmation
 * code, payment intent, payment reference; BK005 when none has it), for
 * booking_app.  Read-only, in the calling query's snapshot.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.get_reservation(reservation_id bigint, guest_id text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_get_reservation';

CREATE FUNCTION booking.find_reservation(confirmation_code text DEFAULT NULL,
                                         payment_intent text DEFAULT NULL,
                                         payment_ref text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_find_reservation';

REVOKE ALL ON FUNCTION
    booking.confirm_booking(bigint, text, text),
    booking.cancel_reservation(bigint, text, text),
    booking.begin_payment(bigint, text, interval, text),
    booking.get_reservation(bigint, text),
    booking.find_reservation(text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.confirm_booking(bigint, text, text),
    booking.cancel_reservation(bigint, text, text),
    booking.begin_payment(bigint, text, interval, text),
    booking.get_reservation(bigint, text),
    booking.find_reservation(text, text, text)
    TO booking_app;

/* ---------------------------------------------------------------------
 * Guests: reserve_range and quote take an optional guests (at the end,
 * DEFAULT NULL: not checked), which must fit rooms * max_guests (BK006,
 * rule max_guests; quote gives it as the reason).  The reservation keeps
 * it, in a column added at the end after group_id, the group a
 * reservation belongs to (NULL: a lone reservation), as 2.0's columns
 * are ordered.  search already took guests; it now counts them over all
 * its rooms, as reserve_range does.
 * ---------------------------------------------------------------------
 */
ALTER TABLE booking.reservation
    ADD COLUMN group_id bigint,
    ADD COLUMN guests int CONSTRAINT reservation_guests_positive
        CHECK (guests OPERATOR(pg_catalog.>=) 1);

DROP FUNCTION booking.reserve_range(bigint, text, date, date, int, text, text, interval);
CREATE FUNCTION booking.reserve_range(property_id bigint, room_type text,
                                      check_in date, check_out date,
                                      rooms int DEFAULT 1, guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL,
                                      guests int DEFAULT NULL,
                                      rate_plan text DEFAULT NULL,
                                      children int DEFAULT 0,
                                      block text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_reserve_range';

DROP FUNCTION booking.quote(bigint, text, date, date, int);
CREATE FUNCTION booking.quote(property_id bigint, room_type text,
                              check_in date, check_out date, rooms int DEFAULT 1,
                              guests int DEFAULT NULL, rate_plan text DEFAULT NULL,
                              children int DEFAULT 0)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text, extra numeric)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_quote';

REVOKE ALL ON FUNCTION
    booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text),
    booking.quote(bigint, text, date, date, int, int, text, int)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text)
    TO booking_app;
GRANT EXECUTE ON FUNCTION booking.quote(bigint, text, date, date, int, int, text, int) TO booking_reader;

/* ---------------------------------------------------------------------
 * modify_reservation: change the dates, rooms, room type and guests of a
 * held, payment_pending or confirmed reservation in one step, all or
 * nothing (every NULL keeps the current value); its own units count as
 * free, nights kept keep their price, one `modified` event.  dry_run
 * (an extension of the API's signature, at the end) judges and prices
 * the change without writing: a quote for a change.  booking_app.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.modify_reservation(reservation_id bigint,
                                           check_in date DEFAULT NULL, check_out date DEFAULT NULL,
                                           rooms int DEFAULT NULL, room_type text DEFAULT NULL,
                                           guests int DEFAULT NULL, idempotency_key text DEFAULT NULL,
                                           guest_id text DEFAULT NULL, dry_run boolean DEFAULT false,
                                           rate_plan text DEFAULT NULL, children int DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_modify_reservation';
REVOKE ALL ON FUNCTION booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean, text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.modify_reservation(bigint, date, date, int, text, int, text, text, boolean, text, int)
    TO booking_app;

/* ---------------------------------------------------------------------
 * Groups: reserve_group holds N lines (room types and dates of one
 * property) all or nothing under one key and one deadline; each line is a
 * reservation whose group_id is the group's first line's reservation_id
 * (so the group routes by its id, as a reservation does).  confirm_group
 * confirms every live line with one payment_ref; cancel_group cancels
 * every line that still holds rooms.  booking_app.
 *
 * One payment_ref pays one reservation or one whole group: every line it
 * confirms carries it, and the unique index now holds it once per payer,
 * a lone reservation or a group's first line (which confirm_group gives
 * the payment_ref even when that line was cancelled alone before), so a
 * payment_ref stays impossible to use for two payers, concurrently too.
 * ---------------------------------------------------------------------
 */
DROP INDEX booking.reservation_payment_ref_key;
CREATE UNIQUE INDEX reservation_payment_ref_key ON booking.reservation (payment_ref)
    WHERE payment_ref IS NOT NULL
      AND (group_id IS NULL OR group_id OPERATOR(pg_catalog.=) reservation_id);
/* A group's lines, for confirm_group and cancel_group */
CREATE INDEX reservation_group_idx ON booking.reservation (group_id, reservation_id)
    WHERE group_id IS NOT NULL;

CREATE FUNCTION booking.reserve_group(property_id bigint, lines jsonb,
                                      guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL)
    RETURNS SETOF booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 4
    AS 'MODULE_PATHNAME', 'booking_reserve_group';
CREATE FUNCTION booking.confirm_group(group_id bigint, payment_ref text,
                                      guest_id text DEFAULT NULL)
    RETURNS SETOF booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 4
    AS 'MODULE_PATHNAME', 'booking_confirm_group';
CREATE FUNCTION booking.cancel_group(group_id bigint, reason text DEFAULT NULL,
                                     guest_id text DEFAULT NULL)
    RETURNS SETOF booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 4
    AS 'MODULE_PATHNAME', 'booking_cancel_group';
REVOKE ALL ON FUNCTION
    booking.reserve_group(bigint, jsonb, text, text, interval),
    booking.confirm_group(bigint, text, text),
    booking.cancel_group(bigint, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.reserve_group(bigint, jsonb, text, text, interval),
    booking.confirm_group(bigint, text, text),
    booking.cancel_group(bigint, text, text)
    TO booking_app;

/* ---------------------------------------------------------------------
 * Rate plans, prices per guest, cancellation policies and the stay.
 *
 * A room type is sold under plans.  'BASE' is the inventory's own price
 * and always there (it has no row).  booking.rate_plan holds the others:
 * derived from a parent plan (parent x (1 + adjust_pct / 100) +
 * adjust_amount, each step rounded half-up to cents, computed when a
 * price is asked for, so a change of the parent's price is followed at
 * once), or, with no parent, priced night by night by set_rates
 * (booking.rate).  base_occupancy makes a plan priced per person:
 * extra_adult per adult beyond base_occupancy x rooms and extra_child per
 * child, per night, for the whole reservation.  A plan may name a
 * cancellation policy (booking.cancel_policy: tiers of time before local
 * check-in, read in order).  Stay rules may be given per plan
 * (booking.plan_rule, as booking.stay_rule with the plan's code; 'BASE'
 * too): a rule of a plan closes or restricts that plan only, on top of
 * the room type's.
 *
 * A reservation records its plan, its children and, once cancelled or
 * marked a no-show, the fee charged (cancellation_fee); the extras of a
 * per-person plan are kept per night with its prices (extra: for the
 * whole reservation), so total_price = sum(price) x rooms + sum(extra).
 *
 * The stay: check_in, check_out (early: the nights left are given back)
 * and mark_no_show, in three new states.  ALTER TYPE ... ADD VALUE may
 * run in this script's transaction as long as nothing in it uses the new
 * labels, and nothing does: the engine names them from C only.
 * ---------------------------------------------------------------------
 */
ALTER TYPE booking.booking_state ADD VALUE 'checked_in';
ALTER TYPE booking.booking_state ADD VALUE 'checked_out';
ALTER TYPE booking.booking_state ADD VALUE 'no_show';

CREATE TABLE booking.cancel_policy (
    property_id bigint NOT NULL REFERENCES booking.property,
    code        text NOT NULL CHECK (code OPERATOR(pg_catalog.<>) ''),
    tiers       jsonb NOT NULL,
    no_show     jsonb,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (property_id, code)
);

CREATE TABLE booking.rate_plan (
    property_id    bigint NOT NULL,
    room_type      text NOT NULL,
    code           text NOT NULL CHECK (code OPERATOR(pg_catalog.<>) ''),
    name           text NOT NULL,
    parent         text,            -- NULL: priced by set_rates; 'BASE' or a plan: derived
    adjust_pct     numeric NOT NULL DEFAULT 0,
    adjust_amount  numeric NOT NULL DEFAULT 0,
    base_occupancy int CHECK (base_occupancy OPERATOR(pg_catalog.>=) 1),
    extra_adult    numeric NOT NULL DEFAULT 0 CHECK (extra_adult OPERATOR(pg_catalog.>=) 0),
    extra_child    numeric NOT NULL DEFAULT 0 CHECK (extra_child OPERATOR(pg_catalog.>=) 0),
    meal_plan      text,
    policy         text,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (property_id, room_type, code),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type,
    FOREIGN KEY (property_id, policy) REFERENCES booking.cancel_policy,
    CONSTRAINT rate_plan_not_base CHECK (code OPERATOR(pg_catalog.<>) 'BASE'),
    CONSTRAINT rate_plan_not_own_parent CHECK (parent OPERATOR(pg_catalog.<>) code),
    CONSTRAINT rate_plan_adjust_needs_parent
        CHECK (parent IS NOT NULL OR (adjust_pct OPERATOR(pg_catalog.=) 0
                                      AND adjust_amount OPERATOR(pg_catalog.=) 0)),
    CONSTRAINT rate_plan_pct_range CHECK (adjust_pct OPERATOR(pg_catalog.>=) -100)
);

CREATE TABLE booking.rate (
    property_id bigint NOT NULL,
    room_type   text NOT NULL,
    rate_plan   text NOT NULL,
    night       date NOT NULL,
    price       numeric NOT NULL CHECK (price OPERATOR(pg_catalog.>=) 0),
    PRIMARY KEY (property_id, room_type, rate_plan, night),
    FOREIGN KEY (property_id, room_type, rate_plan) REFERENCES booking.rate_plan
);

CREATE TABLE booking.plan_rule (
    property_id         bigint NOT NULL,
    room_type           text NOT NULL,
    rate_plan           text NOT NULL,
    night               date NOT NULL,
    min_stay            int CHECK (min_stay OPERATOR(pg_catalog.>=) 1),
    max_stay            int CHECK (max_stay OPERATOR(pg_catalog.>=) 1),
    closed_to_arrival   boolean NOT NULL DEFAULT false,
    closed_to_departure boolean NOT NULL DEFAULT false,
    stop_sell           boolean NOT NULL DEFAULT false,
    min_advance         int CHECK (min_advance OPERATOR(pg_catalog.>=) 0),
    max_advance         int CHECK (max_advance OPERATOR(pg_catalog.>=) 0),
    PRIMARY KEY (property_id, room_type, rate_plan, night),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type,
    CONSTRAINT plan_rule_stay_bounds
        CHECK (min_stay IS NULL OR max_stay IS NULL OR min_stay OPERATOR(pg_catalog.<=) max_stay),
    CONSTRAINT plan_rule_advance_bounds
        CHECK (min_advance IS NULL OR max_advance IS NULL
               OR min_advance OPERATOR(pg_catalog.<=) max_advance)
);

/* What a reserve needs to know without a query: does the room type have plans, plan rules */
ALTER TABLE booking.room_type
    ADD COLUMN has_rate_plans boolean NOT NULL DEFAULT false,
    ADD COLUMN has_plan_rules boolean NOT NULL DEFAULT false;
/* search's plans query (src/search.c) finds the room types with plans through this, at no cost when there are none */
CREATE INDEX room_type_plans_idx ON booking.room_type (property_id)
    WHERE has_rate_plans OR has_plan_rules;

ALTER TABLE booking.reservation
    ADD COLUMN rate_plan text NOT NULL DEFAULT 'BASE',
    ADD COLUMN children int NOT NULL DEFAULT 0
        CONSTRAINT reservation_children_nonnegative CHECK (children OPERATOR(pg_catalog.>=) 0),
    ADD COLUMN cancellation_fee numeric
        CONSTRAINT reservation_fee_nonnegative CHECK (cancellation_fee OPERATOR(pg_catalog.>=) 0);

/* ---------------------------------------------------------------------
 * The price each night of a reservation was sold at, read as the view
 * booking.reservation_night(reservation_id, night, price, extra);
 * total_price is their sum times rooms, plus night_extra (a per-person
 * plan's extras for the whole reservation, the same each night) times the
 * nights.  Kept in the reservation's own row (night_prices: one per night
 * from check_in on) so that reserve_range writes no row for them; the
 * engine alone writes them, on every reservation it makes.  NULL only in
 * a reservation restored from a dump taken before 2.0 (check_invariants()
 * names it; restoring into the dump's version, then updating, fills them).
 * A change of the stay (modify_reservation) keeps the prices of the
 * nights it keeps.
 * ---------------------------------------------------------------------
 */
ALTER TABLE booking.reservation
    ADD COLUMN night_prices numeric[],
    ADD COLUMN night_extra numeric NOT NULL DEFAULT 0.00;

/*
 * The reservations made before 2.0: each night at the price its
 * inventory row has now when those prices add up to the reservation's
 * total (the night was not repriced since), else the total spread evenly
 * over the nights, in cents, the first night taking what rounding leaves,
 * so that the sum times rooms is the total either way.
 */
UPDATE booking.reservation r
   SET night_prices =
       CASE WHEN i.n OPERATOR(pg_catalog.=) (r.check_out OPERATOR(pg_catalog.-) r.check_in)
             AND (i.total OPERATOR(pg_catalog.*) r.rooms) OPERATOR(pg_catalog.=) r.total_price
            THEN i.prices
            ELSE ARRAY(SELECT CASE WHEN g OPERATOR(pg_catalog.=) 0
                                   THEN pg_catalog.round(r.total_price OPERATOR(pg_catalog./) r.rooms, 2)
                                        OPERATOR(pg_catalog.-) (s.even OPERATOR(pg_catalog.*) (s.nights OPERATOR(pg_catalog.-) 1))
                                   ELSE s.even END
                         FROM pg_catalog.generate_series(0, s.nights OPERATOR(pg_catalog.-) 1) g
                        ORDER BY g)
       END
  FROM booking.reservation r2
 CROSS JOIN LATERAL (SELECT r2.check_out OPERATOR(pg_catalog.-) r2.check_in AS nights,
                            pg_catalog.trunc((r2.total_price OPERATOR(pg_catalog./) r2.rooms)
                                             OPERATOR(pg_catalog./) (r2.check_out OPERATOR(pg_catalog.-) r2.check_in), 2) AS even) s
 CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS n, pg_catalog.sum(v.price) AS total,
                            pg_catalog.array_agg(v.price ORDER BY v.night) AS prices
                       FROM booking.inventory v
                      WHERE v.property_id OPERATOR(pg_catalog.=) r2.property_id
                        AND v.room_type OPERATOR(pg_catalog.=) r2.room_type
                        AND v.night OPERATOR(pg_catalog.>=) r2.check_in
                        AND v.night OPERATOR(pg_catalog.<) r2.check_out) i
 WHERE r2.reservation_id OPERATOR(pg_catalog.=) r.reservation_id;

CREATE VIEW booking.reservation_night AS
SELECT r.reservation_id,
       r.check_in OPERATOR(pg_catalog.+) (n.i OPERATOR(pg_catalog.-) 1) AS night,
       r.night_prices[n.i] AS price,
       r.night_extra AS extra
  FROM booking.reservation r
 CROSS JOIN LATERAL pg_catalog.generate_subscripts(r.night_prices, 1) AS n(i);

REVOKE ALL ON booking.reservation_night FROM PUBLIC;
GRANT SELECT ON booking.reservation_night TO booking_admin;

/*
 * Money is in cents from 2.0 on: what is on sale is rounded half-up to
 * cents here (1.x stored prices as given); reservations keep the amounts
 * they were sold at, and a refund is never more than was paid.
 */
UPDATE booking.room_type SET base_price = pg_catalog.round(base_price, 2)
 WHERE pg_catalog.scale(base_price) OPERATOR(pg_catalog.<>) 2;
UPDATE booking.inventory SET price = pg_catalog.round(price, 2)
 WHERE pg_catalog.scale(price) OPERATOR(pg_catalog.<>) 2;
UPDATE booking.room_calendar
   SET price = ARRAY(SELECT pg_catalog.round(u.x, 2)
                       FROM pg_catalog.unnest(price) WITH ORDINALITY AS u(x, i) ORDER BY u.i)
 WHERE EXISTS (SELECT 1 FROM pg_catalog.unnest(price) AS v(x)
                WHERE pg_catalog.scale(v.x) OPERATOR(pg_catalog.<>) 2);

SELECT pg_catalog.pg_extension_config_dump('booking.cancel_policy', '');
SELECT pg_catalog.pg_extension_config_dump('booking.rate_plan', '');
SELECT pg_catalog.pg_extension_config_dump('booking.rate', '');
SELECT pg_catalog.pg_extension_config_dump('booking.plan_rule', '');
REVOKE ALL ON booking.cancel_policy, booking.rate_plan, booking.rate, booking.plan_rule FROM PUBLIC;
GRANT SELECT ON booking.cancel_policy, booking.rate_plan, booking.rate, booking.plan_rule
    TO booking_reader;

CREATE FUNCTION booking.add_rate_plan(property_id bigint, room_type text, code text, name text,
                                      parent text DEFAULT NULL,
                                      adjust_pct numeric DEFAULT 0, adjust_amount numeric DEFAULT 0,
                                      base_occupancy int DEFAULT NULL,
                                      extra_adult numeric DEFAULT 0, extra_child numeric DEFAULT 0,
                                      meal_plan text DEFAULT NULL, policy text DEFAULT NULL)
    RETURNS void
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_add_rate_plan';
CREATE FUNCTION booking.set_rates(property_id bigint, room_type text, rate_plan text,
                                  first_night date, end_night date, price numeric)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_set_rates';
CREATE FUNCTION booking.add_policy(property_id bigint, code text, tiers jsonb,
                                   no_show jsonb DEFAULT NULL)
    RETURNS void
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_add_policy';
CREATE FUNCTION booking.cancel_quote(reservation_id bigint, at timestamptz DEFAULT NULL,
                                     guest_id text DEFAULT NULL)
    RETURNS TABLE(fee numeric, refund numeric, policy text, tier int)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_cancel_quote';
CREATE FUNCTION booking.check_in(reservation_id bigint)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_check_in';
CREATE FUNCTION booking.check_out(reservation_id bigint)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_check_out';
CREATE FUNCTION booking.mark_no_show(reservation_id bigint)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_mark_no_show';

/* search: rate_plan (NULL: the cheapest bookable plan) and children; plan_code at the end */
DROP FUNCTION booking.search(text, date, date, int, int, int);
CREATE FUNCTION booking.search(city text, check_in date, check_out date,
                               guests int DEFAULT 1, rooms int DEFAULT 1,
                               max_results int DEFAULT 50,
                               rate_plan text DEFAULT NULL, children int DEFAULT 0)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric, plan_code text)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 50
    AS 'MODULE_PATHNAME', 'booking_search';

/* set_rules and clear_rules: a plan's own rules when rate_plan is given */
DROP FUNCTION booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int);
CREATE FUNCTION booking.set_rules(property_id bigint, room_type text,
                                  first_night date, end_night date,
                                  min_stay int DEFAULT NULL, max_stay int DEFAULT NULL,
                                  closed_to_arrival bool DEFAULT NULL,
                                  closed_to_departure bool DEFAULT NULL,
                                  stop_sell bool DEFAULT NULL,
                                  min_advance int DEFAULT NULL, max_advance int DEFAULT NULL,
                                  rate_plan text DEFAULT NULL)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_set_rules';
DROP FUNCTION booking.clear_rules(bigint, text, date, date);
CREATE FUNCTION booking.clear_rules(property_id bigint, room_type text,
                                    first_night date, end_night date,
                                    rate_plan text DEFAULT NULL)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_clear_rules';

REVOKE ALL ON FUNCTION
    booking.add_rate_plan(bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text),
    booking.set_rates(bigint, text, text, date, date, numeric),
    booking.add_policy(bigint, text, jsonb, jsonb),
    booking.cancel_quote(bigint, timestamptz, text),
    booking.check_in(bigint),
    booking.check_out(bigint),
    booking.mark_no_show(bigint),
    booking.search(text, date, date, int, int, int, text, int),
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text),
    booking.clear_rules(bigint, text, date, date, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.search(text, date, date, int, int, int, text, int) TO booking_reader;
GRANT EXECUTE ON FUNCTION
    booking.cancel_quote(bigint, timestamptz, text),
    booking.check_in(bigint),
    booking.check_out(bigint),
    booking.mark_no_show(bigint)
    TO booking_app;
GRANT EXECUTE ON FUNCTION
    booking.add_rate_plan(bigint, text, text, text, text, numeric, numeric, int, numeric, numeric, text, text),
    booking.set_rates(bigint, text, text, date, date, numeric),
    booking.add_policy(bigint, text, jsonb, jsonb),
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text),
    booking.clear_rules(bigint, text, date, date, text)
    TO booking_admin;

/* ---------------------------------------------------------------------
 * Channels.  A booking made on a channel (an OTA) is applied by
 * apply_channel_booking, revision by revision, and is never refused for
 * lack of units: a night it takes beyond units is counted in
 * inventory.overbooked, which only that path raises and which every
 * unit coming free on the night pays down first.  channel_booking is the
 * latest revision applied of each (channel, external_id) and the
 * reservation it made; its row is what serialises two revisions of one
 * booking.
 * ---------------------------------------------------------------------
 */
ALTER TABLE booking.inventory
    ADD COLUMN overbooked int NOT NULL DEFAULT 0
        CONSTRAINT inventory_overbooked_nonnegative CHECK (overbooked OPERATOR(pg_catalog.>=) 0),
    DROP CONSTRAINT inventory_no_oversell,
    ADD CONSTRAINT inventory_no_oversell
        CHECK ((held OPERATOR(pg_catalog.+) booked) OPERATOR(pg_catalog.<=) (units OPERATOR(pg_catalog.+) overbooked));

CREATE TABLE booking.channel_booking (
    channel        text NOT NULL,
    external_id    text NOT NULL,
    revision       bigint NOT NULL,
    status         text NOT NULL,
    reservation_id bigint,
    digest         bytea,
    applied_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (channel, external_id)
);
SELECT pg_catalog.pg_extension_config_dump('booking.channel_booking', '');
REVOKE ALL ON booking.channel_booking FROM PUBLIC;
GRANT SELECT ON booking.channel_booking TO booking_admin;

CREATE FUNCTION booking.apply_channel_booking(channel text, external_id text, revision bigint,
                                              status text, property_id bigint, room_type text,
                                              check_in date, check_out date, rooms int DEFAULT 1,
                                              total_price numeric DEFAULT NULL,
                                              guest_id text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_apply_channel_booking';
REVOKE ALL ON FUNCTION
    booking.apply_channel_booking(text, text, bigint, text, bigint, text, date, date, int, numeric, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.apply_channel_booking(text, text, bigint, text, bigint, text, date, date, int, numeric, text)
    TO booking_app;

/* ---------------------------------------------------------------------
 * The ARI feed (src/ari.c).  ari_change is an insert-only log of changed
 * nights, a range of one room type per row, its change_id drawn under the
 * publisher's lock so that change_ids follow commits; read_ari expands the
 * consumer's next changes to nights and joins their values as they are
 * now.  ari_consumer is each consumer's acknowledgement.  The publisher
 * records the nights of the events it publishes (when a consumer
 * exists); open_inventory, set_rates on BASE, set_rules, clear_rules and
 * repair_inventory record theirs.
 * ---------------------------------------------------------------------
 */
CREATE SEQUENCE booking.ari_change_id_seq;

CREATE TABLE booking.ari_change (
    change_id   bigint PRIMARY KEY,
    property_id bigint NOT NULL,
    room_type   text NOT NULL,
    first_night date NOT NULL,
    end_night   date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK (end_night OPERATOR(pg_catalog.>) first_night)
);

CREATE TABLE booking.ari_consumer (
    consumer        text PRIMARY KEY CHECK (consumer OPERATOR(pg_catalog.<>) ''),
    acked_change_id bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);

SELECT pg_catalog.pg_extension_config_dump('booking.ari_change', '');
SELECT pg_catalog.pg_extension_config_dump('booking.ari_consumer', '');
SELECT pg_catalog.pg_extension_config_dump('booking.ari_change_id_seq', '');
REVOKE ALL ON booking.ari_change, booking.ari_consumer, booking.ari_change_id_seq FROM PUBLIC;
GRANT SELECT ON booking.ari_change, booking.ari_consumer TO booking_admin;

CREATE FUNCTION booking.read_ari(consumer text, max int DEFAULT 1000)
    RETURNS TABLE(change_id bigint, property_id bigint, room_type text, night date,
                  available int, price numeric, closed boolean)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 100
    AS 'MODULE_PATHNAME', 'booking_read_ari';
CREATE FUNCTION booking.ack_ari(consumer text, upto bigint)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_ack_ari';
REVOKE ALL ON FUNCTION booking.read_ari(text, int), booking.ack_ari(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.read_ari(text, int), booking.ack_ari(text, bigint)
    TO booking_consumer;

/* ---------------------------------------------------------------------
 * iCal.  ical_export writes a room type's unavailable nights as an
 * RFC 5545 calendar (one VEVENT per run of nights with no free unit,
 * stop-sold or not on sale); ical_import applies a calendar from outside
 * as one source's channel bookings (channel = source, external_id =
 * UID), all or nothing: new UIDs created, changed ones modified, live
 * ones missing from the file cancelled, nights beyond units overbooked.
 * At most booking.ical_max_events events per calendar.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.ical_export(property_id bigint, room_type text)
    RETURNS text
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_ical_export';
REVOKE ALL ON FUNCTION booking.ical_export(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.ical_export(bigint, text) TO booking_reader;

CREATE FUNCTION booking.ical_import(property_id bigint, room_type text, source text, ics text)
    RETURNS TABLE(uid text, action text, reservation_id bigint)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_ical_import';
REVOKE ALL ON FUNCTION booking.ical_import(bigint, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.ical_import(bigint, text, text, text) TO booking_app;

/* ---------------------------------------------------------------------
 * The waitlist (waitlist.c, waitlist_offer.c).  A guest waits for a stay
 * that is sold out; whenever units come free on a night, the transaction
 * that frees them turns the oldest waiting entry that now fits completely
 * into a held reservation (the offer).  inventory.waiting counts the rooms
 * of waiting entries that want each night, so that the freeing paths look
 * for entries only on nights somebody waits for.
 * ---------------------------------------------------------------------
 */
ALTER TABLE booking.inventory
    ADD COLUMN waiting int NOT NULL DEFAULT 0
        CONSTRAINT inventory_waiting_nonnegative CHECK (waiting OPERATOR(pg_catalog.>=) 0);

/* join_waitlist's idempotency keys remember the entry they made */
ALTER TABLE booking.idempotency_key ADD COLUMN waitlist_id bigint;

CREATE SEQUENCE booking.waitlist_id_seq;
CREATE TABLE booking.waitlist (
    waitlist_id    bigint PRIMARY KEY,
    property_id    bigint NOT NULL,
    room_type      text NOT NULL,
    check_in       date NOT NULL,
    check_out      date NOT NULL,
    rooms          int NOT NULL CHECK (rooms OPERATOR(pg_catalog.>) 0),
    guest_id       text,
    state          text NOT NULL DEFAULT 'waiting'
        CHECK (state OPERATOR(pg_catalog.=) ANY ('{waiting,offered,booked,left,lapsed}'::text[])),
    reservation_id bigint,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    offered_at     timestamptz,
    CHECK (check_out OPERATOR(pg_catalog.>) check_in),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type (property_id, code)
);
CREATE INDEX waitlist_waiting_idx ON booking.waitlist (property_id, room_type, created_at, waitlist_id)
    WHERE state OPERATOR(pg_catalog.=) 'waiting';
CREATE INDEX waitlist_offered_idx ON booking.waitlist (reservation_id)
    WHERE state OPERATOR(pg_catalog.=) 'offered';
SELECT pg_catalog.pg_extension_config_dump('booking.waitlist', '');
SELECT pg_catalog.pg_extension_config_dump('booking.waitlist_id_seq', '');
REVOKE ALL ON booking.waitlist FROM PUBLIC;
REVOKE ALL ON booking.waitlist_id_seq FROM PUBLIC;
GRANT SELECT ON booking.waitlist TO booking_admin;

CREATE FUNCTION booking.join_waitlist(property_id bigint, room_type text, check_in date,
                                      check_out date, rooms int DEFAULT 1,
                                      guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_join_waitlist';
CREATE FUNCTION booking.leave_waitlist(waitlist_id bigint)
    RETURNS boolean
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_leave_waitlist';
REVOKE ALL ON FUNCTION
    booking.join_waitlist(bigint, text, date, date, int, text, text),
    booking.leave_waitlist(bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.join_waitlist(bigint, text, date, date, int, text, text),
    booking.leave_waitlist(bigint)
    TO booking_app;
/* ---------------------------------------------------------------------
 * Blocks (allotments).  A block sets `rooms` units of one room type aside
 * on each of its nights (inventory.blocked: set aside and not picked up),
 * out of public sale; reserve_range(..., block => code) takes its rooms
 * from the block, and what is not picked up goes back on sale when the
 * block is released: by hand (release_block), at release_at, or, with
 * release_days, each night release_days before it at 00:00 local time
 * (block_night.release_due; the sweeper and release_due_blocks() release
 * what is due).  block_night.picked counts the rooms of the block's live
 * pickups (held and booked); inventory.blocked is the sum over the
 * unreleased block nights of rooms - picked.  A reservation remembers the
 * block it was picked up from (reservation.block; NULL: public).
 * ---------------------------------------------------------------------
 */
/*
 * 2.0's three counts of a night (overbooked, waiting, blocked) are checked
 * non-negative by one constraint, not three: every night the plain path
 * writes evaluates every CHECK of the table, and a constraint costs its
 * call more than its comparison (three: about 2k instructions a
 * reserve_range, bench/profile; docs/performance.md).
 */
ALTER TABLE booking.inventory
    ADD COLUMN blocked int NOT NULL DEFAULT 0,
    DROP CONSTRAINT inventory_overbooked_nonnegative,
    DROP CONSTRAINT inventory_waiting_nonnegative,
    ADD CONSTRAINT inventory_counts_nonnegative
        CHECK (overbooked OPERATOR(pg_catalog.>=) 0 AND waiting OPERATOR(pg_catalog.>=) 0
               AND blocked OPERATOR(pg_catalog.>=) 0),
    DROP CONSTRAINT inventory_no_oversell,
    ADD CONSTRAINT inventory_no_oversell
        CHECK (((held OPERATOR(pg_catalog.+) booked) OPERATOR(pg_catalog.+) blocked)
               OPERATOR(pg_catalog.<=) (units OPERATOR(pg_catalog.+) overbooked));

ALTER TABLE booking.reservation ADD COLUMN block text;

CREATE TABLE booking.room_block (
    property_id  bigint NOT NULL,
    code         text NOT NULL
        CONSTRAINT room_block_code_length
        CHECK (pg_catalog.octet_length(code) OPERATOR(pg_catalog.>=) 1
               AND pg_catalog.octet_length(code) OPERATOR(pg_catalog.<=) 64),
    room_type    text NOT NULL,
    first_night  date NOT NULL,
    end_night    date NOT NULL,
    rooms        int NOT NULL CONSTRAINT room_block_rooms_positive CHECK (rooms OPERATOR(pg_catalog.>=) 1),
    release_days int CONSTRAINT room_block_release_days_nonnegative CHECK (release_days OPERATOR(pg_catalog.>=) 0),
    release_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    released_at  timestamptz,
    PRIMARY KEY (property_id, code),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type (property_id, code),
    CONSTRAINT room_block_nights CHECK (end_night OPERATOR(pg_catalog.>) first_night),
    CONSTRAINT room_block_one_release CHECK (release_days IS NULL OR release_at IS NULL)
);
CREATE TABLE booking.block_night (
    property_id  bigint NOT NULL,
    code         text NOT NULL,
    night        date NOT NULL,
    room_type    text NOT NULL,
    rooms        int NOT NULL CONSTRAINT block_night_rooms_nonnegative CHECK (rooms OPERATOR(pg_catalog.>=) 0),
    picked       int NOT NULL DEFAULT 0
        CONSTRAINT block_night_picked_within CHECK (picked OPERATOR(pg_catalog.>=) 0),
    release_due  timestamptz,
    released     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (property_id, code, night),
    FOREIGN KEY (property_id, code) REFERENCES booking.room_block (property_id, code),
    CONSTRAINT block_night_picked_fits CHECK (picked OPERATOR(pg_catalog.<=) rooms)
);
CREATE INDEX block_night_release_due_idx ON booking.block_night (release_due)
    WHERE NOT released;
SELECT pg_catalog.pg_extension_config_dump('booking.room_block', '');
SELECT pg_catalog.pg_extension_config_dump('booking.block_night', '');
REVOKE ALL ON booking.room_block, booking.block_night FROM PUBLIC;
GRANT SELECT ON booking.room_block, booking.block_night TO booking_admin;

CREATE FUNCTION booking.create_block(property_id bigint, room_type text, code text,
                                     first_night date, end_night date, rooms int,
                                     release_days int DEFAULT NULL,
                                     release_at timestamptz DEFAULT NULL)
    RETURNS void
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_create_block';
CREATE FUNCTION booking.release_block(property_id bigint, code text)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_release_block';
CREATE FUNCTION booking.release_due_blocks(max int DEFAULT NULL)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_release_due_blocks';
REVOKE ALL ON FUNCTION
    booking.create_block(bigint, text, text, date, date, int, int, timestamptz),
    booking.release_block(bigint, text),
    booking.release_due_blocks(int)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    booking.create_block(bigint, text, text, date, date, int, int, timestamptz),
    booking.release_block(bigint, text),
    booking.release_due_blocks(int)
    TO booking_admin;

/* ---------------------------------------------------------------------
 * The remembered grants, as the statements that give them again.
 * ---------------------------------------------------------------------
 */
DO $regrant$
DECLARE
    g record;
    statements text := '';
BEGIN
    FOR g IN SELECT u.grantee,
                    CASE u.function_name
                        WHEN 'confirm_booking' THEN 'booking.confirm_booking(bigint, text, text)'
                        WHEN 'cancel_reservation' THEN 'booking.cancel_reservation(bigint, text, text)'
                        WHEN 'begin_payment' THEN 'booking.begin_payment(bigint, text, interval, text)'
                        WHEN 'reserve_range' THEN 'booking.reserve_range(bigint, text, date, date, int, text, text, interval, int, text, int, text)'
                        WHEN 'quote' THEN 'booking.quote(bigint, text, date, date, int, int, text, int)'
                        WHEN 'search' THEN 'booking.search(text, date, date, int, int, int, text, int)'
                        WHEN 'set_rules' THEN 'booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int, text)'
                        WHEN 'clear_rules' THEN 'booking.clear_rules(bigint, text, date, date, text)'
                    END AS new_function
               FROM booking.update_2_0_grants u
    LOOP
        statements := statements OPERATOR(pg_catalog.||)
                      pg_catalog.format(E'\n    GRANT EXECUTE ON FUNCTION %s TO %s;', g.new_function, g.grantee);
    END LOOP;
    IF statements OPERATOR(pg_catalog.<>) '' THEN
        RAISE WARNING 'booking 2.0 re-created functions on which roles of yours had EXECUTE'
            USING DETAIL = 'confirm_booking, cancel_reservation, begin_payment, reserve_range, quote, search, set_rules and clear_rules gained an argument, so they were dropped and created again, and grants of yours on them went with them.',
                  HINT = 'Give them again, as the extension''s owner or a superuser:' OPERATOR(pg_catalog.||) statements;
    END IF;
END
$regrant$;
DROP TABLE booking.update_2_0_grants;

/*
 * An event's position is given by the publisher, in an update of the
 * event's row.  From 2.0 no index depends on position, so that update is
 * HOT: the new version stays on the event's page and no index gets an
 * entry (with the UNIQUE constraint of 1.0 every position written was a
 * new row version with an entry in every index of the table, the largest
 * part of the publisher's work per event after the calendar's fold).
 * Consumers read by position through booking.event_pass (below), one row
 * per pass.  No two events share a position: the publisher takes them
 * from event_position_seq under its lock and refuses to give one that a
 * pass already gives (src/publisher.c), and check_invariants() compares
 * every event's position with its pass's.
 */
ALTER TABLE booking.event DROP CONSTRAINT event_position_key;

/*
 * event_reservation_idx (1.0) is read by nothing: consumers read by
 * position, the engine finds an event by its id, its writer_xid or where
 * it wrote it.  It cost an index entry on every event written and another
 * on every event published (the position's update is not HOT).  Whoever
 * reads a reservation's events by reservation_id in a large outbox can
 * create an index of their own (again after a restore: pg_dump leaves out
 * indexes added to an extension's tables).
 */
DROP INDEX booking.event_reservation_idx;

/*
 * Every search and availability call adds the changes of the events not
 * published yet, walking event_unpublished_xid_idx from the publisher's
 * scan_from: beside busy writers, a pass's worth of events of every
 * property.  With each entry's property_id in the index, availability
 * passes over other properties' entries without reading their rows (the
 * key stays writer_xid: the walk's start).
 */
DROP INDEX booking.event_unpublished_xid_idx;
CREATE INDEX event_unpublished_xid_idx ON booking.event (writer_xid) INCLUDE (property_id);

/*
 * The index above has no predicate on position (one would make the
 * publisher's update of position not HOT): an event's entry stays once it
 * is published, and every walk from scan_from reads the row's position
 * and passes over the published ones (src/publisher.c).  The walks start
 * at scan_from, so the entries of events published before it cost them
 * nothing.  Half of each page is left to the publisher's update: a
 * writer fills a page to half, the new version of each of its events
 * then fits beside the old one (HOT needs the same page).
 */
ALTER TABLE booking.event SET (fillfactor = 50);

/*
 * event_local_writer also fires for a row that comes with a position
 * (a restore, a copy of another database's outbox), whatever its
 * writer_xid: it leaves a load signal, and the pass that sees it makes
 * the passes of such events and moves event_position_seq past them before
 * it gives any position (no index on position shows them any more).  The
 * engine writes no event with a position: its rows still never fire it.
 */
DROP TRIGGER event_local_writer ON booking.event;
CREATE TRIGGER event_local_writer
    BEFORE INSERT ON booking.event
    FOR EACH ROW
    WHEN (NEW.writer_xid OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id()
          OR NEW.position IS NOT NULL)
    EXECUTE FUNCTION booking.event_local_writer();
ALTER TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer;

/*
 * Rows loaded into booking.event with its triggers disabled.  Every event
 * not published yet has writer_xid >= the publisher row's scan_from, so
 * the publisher and the calendar's readers walk event_unpublished_xid_idx
 * from there (src/publisher.c).  A row put in by other means gets the
 * loading transaction's xid from the trigger event_local_writer; only a
 * load with that trigger disabled or dropped (pg_restore
 * --disable-triggers, a superuser's ALTER TABLE ... DISABLE TRIGGER)
 * brings in an unpublished event with another cluster's xid.  Up to 1.2
 * the sweeper's rounds and every purge() walked the index from its start
 * to catch such rows, whether anything had been loaded or not.  From 2.0
 * the load says so: the trigger comes back by an ALTER TABLE (pg_restore
 * ends each table's data with ALTER TABLE ... ENABLE TRIGGER ALL) or a
 * CREATE TRIGGER, and this event trigger then writes a row into
 * booking.event_load_signal, in the loading transaction: it becomes
 * visible exactly when the loaded rows do.  The publisher's next pass
 * walks from the start, in a snapshot taken after it read the signals, and
 * deletes the signals it read.  Nothing here locks the publisher's row
 * (a first version that rewound scan_from there deadlocked against the
 * publisher and the calendar's writers, which lock that row first).
 *
 * The event trigger fires ALWAYS (session_replication_role = replica
 * too), as event_local_writer does.  The function runs as whoever ran the
 * statement: for booking.event only its owner or a superuser, who may
 * write the signal table.  For any other table it reads the command list
 * and nothing else.  The table is not dumped: a restore writes its own
 * signal.  The update leaves one behind, for rows loaded at 1.2 that no
 * round has published yet.
 */
CREATE TABLE booking.event_load_signal (
    signalled_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
REVOKE ALL ON booking.event_load_signal FROM PUBLIC;

CREATE FUNCTION booking.event_table_altered() RETURNS event_trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_event_table_altered';
REVOKE ALL ON FUNCTION booking.event_table_altered() FROM PUBLIC;

CREATE EVENT TRIGGER booking_event_table_altered
    ON ddl_command_end WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER')
    EXECUTE FUNCTION booking.event_table_altered();
ALTER EVENT TRIGGER booking_event_table_altered ENABLE ALWAYS;

INSERT INTO booking.event_load_signal DEFAULT VALUES;

/*
 * The publishing passes.  Each pass that gives positions writes a row
 * here for every 240 of its events (BK_PASS_ROW_IDS: a row stays under
 * the TOAST threshold, so purge() trimming it rewrites under 2 kB): a
 * row's events, in position order, hold positions first_position,
 * first_position + 1, ... (src/publisher.c).  read_events, ack_events and
 * purge() find events by position through these rows (src/events.c,
 * src/event_pass.c), so that the publisher's update of an event's
 * position need not be indexed.  A row holds at most 10,000 positions
 * (its CHECK), so the row holding a position p starts after p - 10,000.
 * purge() deletes events from the first position on and trims or deletes
 * the rows it empties.  check_invariants() compares them with the
 * events' positions.  Dumped with the events.
 *
 * The update makes the rows of the positions already given: each run of
 * consecutive positions, in rows of at most 240, through
 * repair_event_passes(), which makes those of any event holding a
 * position no pass gives (a dump taken before 2.0 restored into 2.0 has
 * none: the sweeper, and read_events() and purge() where no sweeper
 * serves the database, call it by themselves when they find such events
 * before the first pass or after the last).  booking_admin may run it.
 */
CREATE TABLE booking.event_pass (
    first_position  bigint PRIMARY KEY,
    event_ids       bigint[] NOT NULL
        CHECK (pg_catalog.cardinality(event_ids) OPERATOR(pg_catalog.>=) 1
               AND pg_catalog.cardinality(event_ids) OPERATOR(pg_catalog.<=) 10000
               AND pg_catalog.array_ndims(event_ids) OPERATOR(pg_catalog.=) 1
               AND pg_catalog.array_lower(event_ids, 1) OPERATOR(pg_catalog.=) 1)
);
REVOKE ALL ON booking.event_pass FROM PUBLIC;
GRANT SELECT ON booking.event_pass TO booking_admin;
SELECT pg_catalog.pg_extension_config_dump('booking.event_pass', '');

CREATE FUNCTION booking.repair_event_passes()
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_repair_event_passes';
REVOKE ALL ON FUNCTION booking.repair_event_passes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.repair_event_passes() TO booking_admin;

SELECT booking.repair_event_passes();

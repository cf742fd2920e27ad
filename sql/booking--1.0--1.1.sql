/*-------------------------------------------------------------------------
 * booking--1.0--1.1.sql
 *    Version 1.1: stay rules (set_rules, clear_rules, BK006), quote,
 *    a readable calendar, and the room calendar: a compact per room type
 *    and month summary of free units and prices, kept in the same
 *    transaction as every inventory change, that search and availability
 *    read instead of the nightly rows.
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking UPDATE TO '1.1'" to load this file. \quit

/* ---------------------------------------------------------------------
 * Stay rules, per room type and night (a row only where a rule is set)
 * ---------------------------------------------------------------------
 */
ALTER TABLE booking.room_type
    ADD COLUMN has_rules boolean NOT NULL DEFAULT false;

CREATE TABLE booking.stay_rule (
    property_id         bigint NOT NULL,
    room_type           text NOT NULL,
    night               date NOT NULL,
    min_stay            int CHECK (min_stay OPERATOR(pg_catalog.>=) 1),
    max_stay            int CHECK (max_stay OPERATOR(pg_catalog.>=) 1),
    closed_to_arrival   boolean NOT NULL DEFAULT false,
    closed_to_departure boolean NOT NULL DEFAULT false,
    stop_sell           boolean NOT NULL DEFAULT false,
    min_advance         int CHECK (min_advance OPERATOR(pg_catalog.>=) 0),
    max_advance         int CHECK (max_advance OPERATOR(pg_catalog.>=) 0),
    PRIMARY KEY (property_id, room_type, night),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type,
    CONSTRAINT stay_rule_stay_bounds
        CHECK (min_stay IS NULL OR max_stay IS NULL OR min_stay OPERATOR(pg_catalog.<=) max_stay),
    CONSTRAINT stay_rule_advance_bounds
        CHECK (min_advance IS NULL OR max_advance IS NULL
               OR min_advance OPERATOR(pg_catalog.<=) max_advance)
);

/* ---------------------------------------------------------------------
 * The room calendar: one row per (property, room type, month).  free[d]
 * is units - held - booked on day d of the month, -1 when the night is
 * not on sale; price[d] its price (0 when not on sale).  The property's
 * name, city and time zone and the room type's max_guests and has_rules
 * are copied here (none of them changes once set, but has_rules, which
 * set_rules keeps in step) so that search reads this table alone.
 * check_invariants() compares it with the inventory it summarises.
 * ---------------------------------------------------------------------
 */
CREATE TABLE booking.room_calendar (
    property_id bigint NOT NULL,
    room_type   text NOT NULL,
    month       date NOT NULL CHECK (pg_catalog.date_part('day', month) OPERATOR(pg_catalog.=) 1),
    property_name text NOT NULL,
    city        text NOT NULL,
    time_zone   text NOT NULL,
    max_guests  int NOT NULL,
    has_rules   boolean NOT NULL,
    free        int[] NOT NULL,
    price       numeric[] NOT NULL,
    PRIMARY KEY (property_id, room_type, month),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type
);
CREATE INDEX room_calendar_city_month_idx ON booking.room_calendar (city, month);

SELECT pg_catalog.pg_extension_config_dump('booking.stay_rule', '');
SELECT pg_catalog.pg_extension_config_dump('booking.room_calendar', '');

/* calendar_add adds delta to free[lo..hi], leaving -1 (not on sale) alone. */
CREATE FUNCTION booking.calendar_add(free int[], lo int, hi int, delta int) RETURNS int[]
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'booking_calendar_add';

/* ---------------------------------------------------------------------
 * Functions
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.set_rules(property_id bigint, room_type text,
                                  first_night date, end_night date,
                                  min_stay int DEFAULT NULL, max_stay int DEFAULT NULL,
                                  closed_to_arrival bool DEFAULT NULL,
                                  closed_to_departure bool DEFAULT NULL,
                                  stop_sell bool DEFAULT NULL,
                                  min_advance int DEFAULT NULL, max_advance int DEFAULT NULL)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_set_rules';

CREATE FUNCTION booking.clear_rules(property_id bigint, room_type text,
                                    first_night date, end_night date)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_clear_rules';

CREATE FUNCTION booking.quote(property_id bigint, room_type text,
                              check_in date, check_out date, rooms int DEFAULT 1)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_quote';

CREATE FUNCTION booking.calendar(property_id bigint, month date)
    RETURNS TABLE(room_type text, days text)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_calendar';

/*
 * The sweeper's housekeeping, by hand (or from pg_cron) when the library
 * is not preloaded: old idempotency keys, event publication and purge.
 */
CREATE FUNCTION booking.purge(max_rows int DEFAULT 1000)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_purge';

CREATE FUNCTION booking.rebuild_calendar()
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_rebuild_calendar';

/* ---------------------------------------------------------------------
 * Privileges
 * ---------------------------------------------------------------------
 */
REVOKE ALL ON booking.stay_rule, booking.room_calendar FROM PUBLIC;
REVOKE ALL ON FUNCTION
    booking.calendar_add(int[], int, int, int),
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int),
    booking.clear_rules(bigint, text, date, date),
    booking.quote(bigint, text, date, date, int),
    booking.calendar(bigint, date),
    booking.rebuild_calendar(),
    booking.purge(int)
    FROM PUBLIC;

GRANT SELECT ON booking.stay_rule, booking.room_calendar TO booking_reader;
GRANT EXECUTE ON FUNCTION
    booking.quote(bigint, text, date, date, int),
    booking.calendar(bigint, date)
    TO booking_reader;
GRANT EXECUTE ON FUNCTION
    booking.set_rules(bigint, text, date, date, int, int, bool, bool, bool, int, int),
    booking.clear_rules(bigint, text, date, date),
    booking.rebuild_calendar(),
    booking.purge(int)
    TO booking_admin;

/* Summarise the inventory that exists already. */
SELECT booking.rebuild_calendar();

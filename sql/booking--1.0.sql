/*-------------------------------------------------------------------------
 * booking--1.0.sql
 *    Install script of the booking extension, version 1.0: the tables,
 *    the state enum, the roles and the SQL signatures of the C functions.
 *
 * Every name is schema-qualified (booking. or pg_catalog.) because an
 * extension script runs with the caller's search_path.
 *-------------------------------------------------------------------------
 */

\echo Use "CREATE EXTENSION booking" to load this file. \quit

/* ---------------------------------------------------------------------
 * Roles (cluster-wide, so created only when missing)
 * ---------------------------------------------------------------------
 */
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'booking_reader') THEN
        CREATE ROLE booking_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'booking_app') THEN
        CREATE ROLE booking_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'booking_admin') THEN
        CREATE ROLE booking_admin NOLOGIN;
    END IF;
END
$roles$;

GRANT booking_reader TO booking_app;
GRANT booking_app TO booking_admin;

REVOKE ALL ON SCHEMA booking FROM PUBLIC;
GRANT USAGE ON SCHEMA booking TO booking_reader;

/* ---------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------
 */
/*
 * held and payment_pending count against inventory as `held`, confirmed as
 * `booked`; cancelled is terminal; expired has given its units back.
 */
CREATE TYPE booking.booking_state AS ENUM ('held', 'confirmed', 'cancelled', 'expired',
                                           'payment_pending');

/* ---------------------------------------------------------------------
 * Id sequences.  An id is nextval * 1024 + booking.node_id, so the node
 * that issued it is id % 1024 (booking.node_of).
 * ---------------------------------------------------------------------
 */
CREATE SEQUENCE booking.property_id_seq;
CREATE SEQUENCE booking.reservation_id_seq;

/* ---------------------------------------------------------------------
 * Catalog: properties, room types, nightly inventory
 * ---------------------------------------------------------------------
 */
CREATE TABLE booking.property (
    property_id bigint PRIMARY KEY,
    name        text NOT NULL CHECK (name OPERATOR(pg_catalog.<>) ''),
    city        text NOT NULL,
    time_zone   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX property_city_idx ON booking.property (city);

CREATE TABLE booking.room_type (
    property_id bigint NOT NULL REFERENCES booking.property,
    code        text NOT NULL CHECK (code OPERATOR(pg_catalog.<>) ''),
    name        text NOT NULL,
    units       int NOT NULL CHECK (units OPERATOR(pg_catalog.>=) 0),
    max_guests  int NOT NULL CHECK (max_guests OPERATOR(pg_catalog.>=) 1),
    base_price  numeric NOT NULL CHECK (base_price OPERATOR(pg_catalog.>=) 0),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (property_id, code)
);

/*
 * One row per (property, room type, night).  The CHECK constraint is the
 * last line of defence against oversell: no code path, buggy or not, can
 * commit a night whose held + booked exceeds its units.
 */
CREATE TABLE booking.inventory (
    property_id bigint NOT NULL,
    room_type   text NOT NULL,
    night       date NOT NULL,
    units       int NOT NULL,
    held        int NOT NULL DEFAULT 0,
    booked      int NOT NULL DEFAULT 0,
    price       numeric NOT NULL,
    PRIMARY KEY (property_id, room_type, night),
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type,
    CONSTRAINT inventory_units_nonnegative CHECK (units OPERATOR(pg_catalog.>=) 0),
    CONSTRAINT inventory_held_nonnegative CHECK (held OPERATOR(pg_catalog.>=) 0),
    CONSTRAINT inventory_booked_nonnegative CHECK (booked OPERATOR(pg_catalog.>=) 0),
    CONSTRAINT inventory_no_oversell
        CHECK ((held OPERATOR(pg_catalog.+) booked) OPERATOR(pg_catalog.<=) units),
    CONSTRAINT inventory_price_nonnegative CHECK (price OPERATOR(pg_catalog.>=) 0)
) WITH (fillfactor = 80);   -- room for HOT updates of held/booked

/* ---------------------------------------------------------------------
 * Reservations
 * ---------------------------------------------------------------------
 */
CREATE TABLE booking.reservation (
    reservation_id    bigint PRIMARY KEY,
    property_id       bigint NOT NULL,
    room_type         text NOT NULL,
    check_in          date NOT NULL,
    check_out         date NOT NULL,
    rooms             int NOT NULL CHECK (rooms OPERATOR(pg_catalog.>=) 1),
    guest_id          text,
    state             booking.booking_state NOT NULL DEFAULT 'held',
    hold_expires_at   timestamptz,
    total_price       numeric NOT NULL,
    payment_ref       text,
    confirmation_code text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    cancel_reason     text,
    payment_intent    text,
    FOREIGN KEY (property_id, room_type) REFERENCES booking.room_type,
    CONSTRAINT reservation_range_valid CHECK (check_out OPERATOR(pg_catalog.>) check_in),
    CONSTRAINT reservation_confirmed_has_payment
        CHECK (state OPERATOR(pg_catalog.<>) 'confirmed'::booking.booking_state
               OR payment_ref IS NOT NULL)
);
/* A payment reference confirms at most one reservation. */
CREATE UNIQUE INDEX reservation_payment_ref_key ON booking.reservation (payment_ref)
    WHERE payment_ref IS NOT NULL;
/* A payment intent (begin_payment) belongs to one reservation. */
CREATE UNIQUE INDEX reservation_payment_intent_key ON booking.reservation (payment_intent)
    WHERE payment_intent IS NOT NULL;
CREATE UNIQUE INDEX reservation_confirmation_code_key ON booking.reservation (confirmation_code)
    WHERE confirmation_code IS NOT NULL;
/*
 * Live holds (held or payment_pending) by deadline: reserve_range's
 * dead-hold scan and the sweeper's.
 */
CREATE INDEX reservation_live_holds_idx
    ON booking.reservation (property_id, room_type, hold_expires_at)
    WHERE state OPERATOR(pg_catalog.=) ANY ('{held,payment_pending}'::booking.booking_state[]);
CREATE INDEX reservation_hold_deadline_idx
    ON booking.reservation (hold_expires_at)
    WHERE state OPERATOR(pg_catalog.=) ANY ('{held,payment_pending}'::booking.booking_state[]);
/* check_invariants recounts live reservations per room type. */
CREATE INDEX reservation_property_room_idx
    ON booking.reservation (property_id, room_type, check_in);

/* ---------------------------------------------------------------------
 * Idempotency keys: scope is the guest_id ('' when none), the digest is a
 * SHA-256 of reserve_range's arguments, so a key reused with other
 * arguments is recognised (BK004).
 * ---------------------------------------------------------------------
 */
CREATE TABLE booking.idempotency_key (
    scope           text NOT NULL,
    key             text NOT NULL,
    request_digest  bytea NOT NULL,
    property_id     bigint NOT NULL,
    reservation_id  bigint REFERENCES booking.reservation,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_key_created_idx ON booking.idempotency_key (created_at);
CREATE INDEX idempotency_key_reservation_idx ON booking.idempotency_key (reservation_id);

/* ---------------------------------------------------------------------
 * Event outbox.  Every state change writes one event in its own
 * transaction (event_id from a sequence, NOTIFY booking_events with it).
 * Consumers read in `position` order: positions are handed out by
 * read_events to committed events only, in event_id order, so a consumer
 * that has acknowledged position p never misses an event that commits
 * later with a smaller event_id.
 * ---------------------------------------------------------------------
 */
CREATE SEQUENCE booking.event_id_seq;
CREATE SEQUENCE booking.event_position_seq;

CREATE TABLE booking.event (
    event_id        bigint PRIMARY KEY DEFAULT pg_catalog.nextval('booking.event_id_seq'),
    occurred_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    kind            text NOT NULL,
    reservation_id  bigint NOT NULL,
    property_id     bigint NOT NULL,
    payload         jsonb NOT NULL,
    writer_xid      xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    position        bigint UNIQUE
);
CREATE INDEX event_unpublished_idx ON booking.event (event_id) WHERE position IS NULL;
CREATE INDEX event_reservation_idx ON booking.event (reservation_id);

CREATE TABLE booking.event_consumer (
    consumer          text PRIMARY KEY CHECK (consumer OPERATOR(pg_catalog.<>) ''),
    acked_position    bigint NOT NULL DEFAULT 0,
    acked_event_id    bigint,
    updated_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);

/* pg_dump carries the data of every table and the position of every sequence. */
SELECT pg_catalog.pg_extension_config_dump('booking.property', '');
SELECT pg_catalog.pg_extension_config_dump('booking.room_type', '');
SELECT pg_catalog.pg_extension_config_dump('booking.inventory', '');
SELECT pg_catalog.pg_extension_config_dump('booking.reservation', '');
SELECT pg_catalog.pg_extension_config_dump('booking.idempotency_key', '');
SELECT pg_catalog.pg_extension_config_dump('booking.property_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('booking.reservation_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('booking.event', '');
SELECT pg_catalog.pg_extension_config_dump('booking.event_consumer', '');
SELECT pg_catalog.pg_extension_config_dump('booking.event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('booking.event_position_seq', '');

/* ---------------------------------------------------------------------
 * The state machine trigger (src/state.c)
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.enforce_state_transition() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'booking_enforce_state_transition';

CREATE TRIGGER reservation_state_machine
    BEFORE UPDATE ON booking.reservation
    FOR EACH ROW EXECUTE FUNCTION booking.enforce_state_transition();

/* ---------------------------------------------------------------------
 * DROP EXTENSION booking without CASCADE refuses while bookings are live
 * (src/guard.c).
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.guard_drop_extension() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'booking_guard_drop_extension';

CREATE EVENT TRIGGER booking_guard_drop
    ON ddl_command_start WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION booking.guard_drop_extension();

/* ---------------------------------------------------------------------
 * Functions.  All are SECURITY DEFINER (the tables are written by the
 * owner only) with a pinned search_path, so no caller's search_path can
 * redirect a name or an operator the extension resolves.
 * ---------------------------------------------------------------------
 */
CREATE FUNCTION booking.node_of(id bigint) RETURNS int
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'booking_node_of';

CREATE FUNCTION booking.add_property(name text, city text, time_zone text DEFAULT 'UTC')
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_add_property';

CREATE FUNCTION booking.add_room_type(property_id bigint, code text, name text,
                                      units int, max_guests int DEFAULT 2,
                                      base_price numeric DEFAULT 0)
    RETURNS void
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_add_room_type';

CREATE FUNCTION booking.open_inventory(property_id bigint, room_type text,
                                       first_night date, end_night date,
                                       units int DEFAULT NULL, price numeric DEFAULT NULL)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_open_inventory';

CREATE FUNCTION booking.availability(property_id bigint, check_in date, check_out date)
    RETURNS TABLE(room_type text, night date, available int, price numeric)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 60
    AS 'MODULE_PATHNAME', 'booking_availability';

CREATE FUNCTION booking.search(city text, check_in date, check_out date,
                               guests int DEFAULT 1, rooms int DEFAULT 1,
                               max_results int DEFAULT 50)
    RETURNS TABLE(property_id bigint, property_name text, room_type text,
                  min_available int, total_price numeric)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 50
    AS 'MODULE_PATHNAME', 'booking_search';

CREATE FUNCTION booking.reserve_range(property_id bigint, room_type text,
                                      check_in date, check_out date,
                                      rooms int DEFAULT 1, guest_id text DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL,
                                      hold interval DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_reserve_range';

CREATE FUNCTION booking.confirm_booking(reservation_id bigint, payment_ref text)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_confirm_booking';

CREATE FUNCTION booking.cancel_reservation(reservation_id bigint, reason text DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_cancel_reservation';

CREATE FUNCTION booking.expire_holds(max_rows int DEFAULT 1000)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_expire_holds';

CREATE FUNCTION booking.begin_payment(reservation_id bigint, payment_intent text,
                                      extend interval DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_begin_payment';

CREATE FUNCTION booking.read_events(consumer text, max int DEFAULT 100)
    RETURNS TABLE(event_id bigint, occurred_at timestamptz, kind text,
                  reservation_id bigint, property_id bigint, payload jsonb)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_read_events';

CREATE FUNCTION booking.ack_events(consumer text, upto bigint)
    RETURNS int
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_ack_events';

CREATE FUNCTION booking.stats()
    RETURNS TABLE(preloaded bool, reserve_attempts bigint, reserve_successes bigint,
                  reserve_conflicts bigint, idempotent_replays bigint,
                  payments_begun bigint, confirms bigint, late_confirms bigint,
                  cancels bigint, expirations bigint, lock_timeouts bigint,
                  sweeper_runs bigint, last_sweep_at timestamptz, stats_reset_at timestamptz)
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_stats';

CREATE FUNCTION booking.stats_reset() RETURNS void
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_stats_reset';

CREATE VIEW booking.stats AS SELECT * FROM booking.stats();

/* Live holds (held or payment_pending): how many, and how old. */
CREATE VIEW booking.hold_ages AS
    SELECT pg_catalog.count(*) AS holds,
           pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_catalog.now() OPERATOR(pg_catalog.-) created_at) AS p50_age,
           pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY pg_catalog.now() OPERATOR(pg_catalog.-) created_at) AS p95_age,
           pg_catalog.max(pg_catalog.now() OPERATOR(pg_catalog.-) created_at) AS max_age,
           pg_catalog.count(*) FILTER (WHERE hold_expires_at OPERATOR(pg_catalog.<=) pg_catalog.now()) AS past_deadline
      FROM booking.reservation
     WHERE state OPERATOR(pg_catalog.=) ANY ('{held,payment_pending}'::booking.booking_state[]);

CREATE FUNCTION booking.check_invariants()
    RETURNS TABLE(property_id bigint, room_type text, night date, problem text)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_check_invariants';

/* ---------------------------------------------------------------------
 * Privileges: nothing to PUBLIC; the functions are the only way in.
 * ---------------------------------------------------------------------
 */
REVOKE ALL ON ALL TABLES IN SCHEMA booking FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA booking FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA booking FROM PUBLIC;
REVOKE ALL ON TYPE booking.booking_state FROM PUBLIC;
GRANT USAGE ON TYPE booking.booking_state TO booking_reader;

GRANT SELECT ON booking.property, booking.room_type, booking.inventory TO booking_reader;
GRANT SELECT ON booking.reservation, booking.idempotency_key, booking.event,
    booking.event_consumer, booking.stats, booking.hold_ages TO booking_admin;

GRANT EXECUTE ON FUNCTION
    booking.node_of(bigint),
    booking.availability(bigint, date, date),
    booking.search(text, date, date, int, int, int)
    TO booking_reader;

GRANT EXECUTE ON FUNCTION
    booking.reserve_range(bigint, text, date, date, int, text, text, interval),
    booking.confirm_booking(bigint, text),
    booking.cancel_reservation(bigint, text),
    booking.begin_payment(bigint, text, interval)
    TO booking_app;

GRANT EXECUTE ON FUNCTION
    booking.add_property(text, text, text),
    booking.add_room_type(bigint, text, text, int, int, numeric),
    booking.open_inventory(bigint, text, date, date, int, numeric),
    booking.expire_holds(int),
    booking.check_invariants(),
    booking.read_events(text, int),
    booking.ack_events(text, bigint),
    booking.stats(),
    booking.stats_reset()
    TO booking_admin;

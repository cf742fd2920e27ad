/*-------------------------------------------------------------------------
 * booking--1.2--2.0.sql
 *    Version 2.0: what a hotel system is expected to do besides selling
 *    nights (../shared/API.md, "2.0 additions").  So far: ownership and
 *    look-ups; guests.
 *
 * Sections are independent; each says what it changes and why.  Every
 * function runs with search_path = pg_catalog, pg_temp and is granted to
 * its role only (nothing to PUBLIC).
 *-------------------------------------------------------------------------
 */

\echo Use "ALTER EXTENSION booking UPDATE TO '2.0'" to load this file. \quit

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
                                      guests int DEFAULT NULL)
    RETURNS booking.reservation
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_reserve_range';

DROP FUNCTION booking.quote(bigint, text, date, date, int);
CREATE FUNCTION booking.quote(property_id bigint, room_type text,
                              check_in date, check_out date, rooms int DEFAULT 1,
                              guests int DEFAULT NULL)
    RETURNS TABLE(night date, available int, price numeric, total_price numeric,
                  bookable boolean, reason text)
    LANGUAGE c STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'booking_quote';

REVOKE ALL ON FUNCTION
    booking.reserve_range(bigint, text, date, date, int, text, text, interval, int),
    booking.quote(bigint, text, date, date, int, int)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.reserve_range(bigint, text, date, date, int, text, text, interval, int)
    TO booking_app;
GRANT EXECUTE ON FUNCTION booking.quote(bigint, text, date, date, int, int) TO booking_reader;

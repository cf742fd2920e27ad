-- bench/sql/equivalence.sql: does the feature-equal baseline keep the same
-- contract as booking?  Each case runs the same request against booking
-- (ours) and baseline.feq_* (feq) and records the outcome: the SQLSTATE of
-- the error, or a text made of the parts of the result that must agree.
-- The cases use the 100-unit room type LU of 'Last Units Inn', whose
-- nights are the same in both schemas; the runner resets them afterwards.
-- Ends with one row per case whose outcomes differ (none when equal) and
-- a count line.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\o /dev/null

CREATE TABLE bench.equivalence (
    n       serial,
    name    text NOT NULL,
    ours    text,
    feq     text
);

CREATE FUNCTION bench.lu() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT property_id FROM booking.property WHERE name = 'Last Units Inn'
$$;

-- outcome runs one statement returning one text and gives it back, or
-- 'ERROR <sqlstate>'.
CREATE FUNCTION bench.outcome(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE stmt INTO result;
    RETURN coalesce(result, 'NULL');
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE;
END
$$;

-- check_case records one case; `stmt` is written for booking, and
-- `booking.` names, reservation tables and the fn names are mapped to
-- the baseline's by replace() so both engines run the very same request.
CREATE FUNCTION bench.check_case(name text, stmt text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    feq_stmt text := stmt;
BEGIN
    feq_stmt := replace(feq_stmt, 'booking.reserve_range', 'baseline.feq_reserve');
    feq_stmt := replace(feq_stmt, 'booking.confirm_booking', 'baseline.feq_confirm');
    feq_stmt := replace(feq_stmt, 'booking.cancel_reservation', 'baseline.feq_cancel');
    feq_stmt := replace(feq_stmt, 'booking.expire_holds', 'baseline.feq_expire_holds');
    feq_stmt := replace(feq_stmt, 'booking.reservation', 'baseline.reservation');
    feq_stmt := replace(feq_stmt, 'booking.inventory', 'baseline.inventory');
    feq_stmt := replace(feq_stmt, 'booking.event', 'baseline.event');
    INSERT INTO bench.equivalence (name, ours, feq)
    VALUES (name, bench.outcome(stmt), bench.outcome(feq_stmt));
END
$$;

SELECT bench.check_case('reserve: a hold, price, deadline',
    $$SELECT concat_ws('/', r.state, r.rooms, r.total_price, r.hold_expires_at - r.created_at, r.guest_id)
        FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 7, 2, 'g1', 'k1') r$$);
SELECT bench.check_case('reserve: units taken',
    $$SELECT (SELECT units - held - booked FROM booking.inventory
               WHERE property_id = bench.lu() AND room_type = 'LU' AND night = current_date + 6)::text$$);
SELECT bench.check_case('reserve: one reserved event, its payload keys',
    $$SELECT string_agg(kind || ':' || (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(payload) k)
                        || ':' || (payload->>'state'), ';')
        FROM booking.event$$);
SELECT bench.check_case('replay: same key, same reservation',
    $$SELECT (r.reservation_id = (SELECT min(reservation_id) FROM booking.reservation WHERE guest_id = 'g1'))::text
        FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 7, 2, 'g1', 'k1') r$$);
SELECT bench.check_case('replay: nothing more held',
    $$SELECT (SELECT units - held - booked FROM booking.inventory
               WHERE property_id = bench.lu() AND room_type = 'LU' AND night = current_date + 6)::text$$);
SELECT bench.check_case('key reused with other arguments: BK004',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 8, 2, 'g1', 'k1') r$$);
SELECT bench.check_case('same key, other guest: a new reservation',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 7, 2, 'g2', 'k1') r$$);
SELECT bench.check_case('check_in before local today: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date - 2, current_date + 1) r$$);
SELECT bench.check_case('check_out <= check_in: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 5) r$$);
SELECT bench.check_case('stay over booking.max_nights: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 400) r$$);
SELECT bench.check_case('rooms 0: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 6, 0) r$$);
SELECT bench.check_case('NULL room_type: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), NULL, current_date + 5, current_date + 6) r$$);
SELECT bench.check_case('empty key: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 6, 1, 'g', '') r$$);
SELECT bench.check_case('hold <= 0: 22023',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 6, 1, NULL, NULL, interval '-1 minute') r$$);
SELECT bench.check_case('unknown property: BK005',
    $$SELECT r.state::text FROM booking.reserve_range(999999999, 'LU', current_date + 5, current_date + 6) r$$);
SELECT bench.check_case('unknown room type: BK005',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'NOPE', current_date + 5, current_date + 6) r$$);
SELECT bench.check_case('night not on sale: BK001',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 59, current_date + 62) r$$);
SELECT bench.check_case('more rooms than free: BK001',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 5, current_date + 7, 97) r$$);

-- Dead holds never block: hold every unit of one night for 1 ms, then ask
-- again in a later statement.
SELECT bench.check_case('a short hold of every unit',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 20, current_date + 22, 100, 'g3', NULL, interval '1 millisecond') r$$);
SELECT pg_sleep(0.01);
SELECT bench.check_case('a dead hold is expired, not BK001',
    $$SELECT r.state::text
        FROM booking.reserve_range(bench.lu(), 'LU', current_date + 21, current_date + 23, 1, 'g4') r$$);
SELECT bench.check_case('the dead hold is expired now',
    $$SELECT string_agg(state::text, ',') FROM booking.reservation WHERE guest_id = 'g3'$$);
SELECT bench.check_case('the expired hold gave its units back',
    $$SELECT (SELECT units - held - booked FROM booking.inventory
               WHERE property_id = bench.lu() AND room_type = 'LU' AND night = current_date + 20)::text$$);

-- The life of a reservation.
SELECT bench.check_case('confirm: confirmed, a code',
    $$SELECT concat_ws('/', r.state, r.payment_ref, r.confirmation_code ~ '^[0-9A-Z]+-[0-9A-Z]{4}$')
        FROM booking.confirm_booking((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g4'), 'pay-g4') r$$);
SELECT bench.check_case('confirm moved held to booked',
    $$SELECT (SELECT held || '/' || booked FROM booking.inventory
               WHERE property_id = bench.lu() AND room_type = 'LU' AND night = current_date + 21)$$);
SELECT bench.check_case('confirm again, same payment_ref: unchanged',
    $$SELECT r.state::text FROM booking.confirm_booking((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g4'), 'pay-g4') r$$);
SELECT bench.check_case('confirm again, other payment_ref: BK003',
    $$SELECT r.state::text FROM booking.confirm_booking((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g4'), 'pay-other') r$$);
SELECT bench.check_case('a payment_ref pays one reservation: BK004',
    $$SELECT r.state::text FROM booking.confirm_booking((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g2'), 'pay-g4') r$$);
SELECT bench.check_case('confirm an unknown reservation: BK005',
    $$SELECT r.state::text FROM booking.confirm_booking(-1, 'pay-x') r$$);
SELECT bench.check_case('cancel a confirmed reservation',
    $$SELECT concat_ws('/', r.state, r.cancel_reason)
        FROM booking.cancel_reservation((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g4'), 'plans changed') r$$);
SELECT bench.check_case('cancel gave the booked units back',
    $$SELECT (SELECT held || '/' || booked FROM booking.inventory
               WHERE property_id = bench.lu() AND room_type = 'LU' AND night = current_date + 21)$$);
SELECT bench.check_case('cancel again: unchanged',
    $$SELECT r.state::text FROM booking.cancel_reservation((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g4'), 'again') r$$);
SELECT bench.check_case('confirm a cancelled reservation: BK003',
    $$SELECT r.state::text FROM booking.confirm_booking((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g4'), 'pay-g4') r$$);
SELECT bench.check_case('the state trigger refuses cancelled -> held: BK003',
    $$WITH u AS (UPDATE booking.reservation SET state = 'held' WHERE guest_id = 'g4' RETURNING 1)
      SELECT count(*)::text FROM u$$);
SELECT bench.check_case('the state trigger lets expired -> expired through',
    $$WITH u AS (UPDATE booking.reservation SET state = 'expired' WHERE guest_id = 'g3' RETURNING 1)
      SELECT count(*)::text FROM u$$);

-- expire_holds and late payment.
SELECT bench.check_case('a short hold to expire',
    $$SELECT r.state::text FROM booking.reserve_range(bench.lu(), 'LU', current_date + 30, current_date + 33, 3, 'g5', NULL, interval '1 millisecond') r$$);
SELECT pg_sleep(0.01);
-- (booking's sweeper, which a commit wakes, may expire it first: the case
-- compares the hold's state after expire_holds, not expire_holds' count.
-- The two run as statements of their own: a count in the statement that
-- calls expire_holds reads that statement's snapshot, taken before the
-- call, so it saw the hold expired only when the sweeper had been first.)
SELECT booking.expire_holds(1000) >= 0 AS ours_expired, baseline.feq_expire_holds(1000) >= 0 AS feq_expired \gset
SELECT bench.check_case('expire_holds expires it',
    $$SELECT count(*)::text FROM booking.reservation WHERE guest_id = 'g5' AND state = 'expired'$$);
SELECT bench.check_case('expired: units back, an expired event',
    $$SELECT concat_ws('/', (SELECT held FROM booking.inventory
                              WHERE property_id = bench.lu() AND room_type = 'LU' AND night = current_date + 31),
                       (SELECT count(*) FROM booking.event WHERE kind = 'expired'))$$);
SELECT bench.check_case('late payment while the rooms are free: confirmed',
    $$SELECT r.state::text FROM booking.confirm_booking((SELECT reservation_id FROM booking.reservation WHERE guest_id = 'g5'), 'pay-g5') r$$);
SELECT bench.check_case('events by kind',
    $$SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind)
        FROM (SELECT kind, count(*) AS n FROM booking.event GROUP BY kind) s$$);
SELECT bench.check_case('the books add up',
    $$SELECT count(*)::text FROM booking.inventory i
        LEFT JOIN LATERAL (
             SELECT coalesce(sum(r.rooms) FILTER (WHERE r.state IN ('held', 'payment_pending')), 0) AS held,
                    coalesce(sum(r.rooms) FILTER (WHERE r.state = 'confirmed'), 0) AS booked
               FROM booking.reservation r
              WHERE r.property_id = i.property_id AND r.room_type = i.room_type
                AND i.night >= r.check_in AND i.night < r.check_out) w ON true
       WHERE i.property_id = bench.lu() AND (i.held <> w.held OR i.booked <> w.booked)$$);

\o
\pset footer off
SELECT n, name, ours, feq FROM bench.equivalence WHERE ours IS DISTINCT FROM feq ORDER BY n;
SELECT format('equivalence: %s cases, %s differ', count(*), count(*) FILTER (WHERE ours IS DISTINCT FROM feq))
  FROM bench.equivalence;

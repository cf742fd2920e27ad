-- Idempotency keys: the first call decides; replays return it; other
-- arguments under the same key fail BK004.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Retry Resort', 'Evora', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'K', 'King', 3, 2, 70);
SELECT booking.add_room_type(:p, 'Q', 'Queen', 3, 2, 60);
SELECT booking.open_inventory(:p, 'K', current_date, current_date + 30);
SELECT booking.open_inventory(:p, 'Q', current_date, current_date + 30);

SELECT reservation_id AS r FROM booking.reserve_range(:p, 'K', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1') \gset
-- a replay returns the same reservation and holds nothing more
SELECT reservation_id = :r AS same, state
  FROM booking.reserve_range(:p, 'K', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1');
SELECT * FROM t.inv(:p, 'K', 2, 4);
SELECT count(*) FROM booking.reservation WHERE property_id = :p;

-- whatever its state now
SELECT state FROM booking.confirm_booking(:r, 'pay-idem-1');
SELECT reservation_id = :r AS same, state
  FROM booking.reserve_range(:p, 'K', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1');
SELECT state FROM booking.cancel_reservation(:r);
SELECT reservation_id = :r AS same, state
  FROM booking.reserve_range(:p, 'K', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1');
SELECT * FROM t.inv(:p, 'K', 2, 4);

-- the same key with any other argument: BK004
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'Q', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'K', current_date + 3, current_date + 4, 1, 'guest-a', 'key-1')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'K', current_date + 2, current_date + 5, 1, 'guest-a', 'key-1')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'K', current_date + 2, current_date + 4, 2, 'guest-a', 'key-1')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'K', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1', '1 hour')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s + 1024, 'K', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1')$$, :p));

-- keys are scoped by guest: another guest may use the same key
SELECT reservation_id <> :r AS other_reservation
  FROM booking.reserve_range(:p, 'K', current_date + 2, current_date + 4, 1, 'guest-b', 'key-1');
-- no guest is its own scope
SELECT reservation_id AS anon FROM booking.reserve_range(:p, 'Q', current_date + 5, current_date + 6, 1, NULL, 'key-1') \gset
SELECT reservation_id = :anon AS same FROM booking.reserve_range(:p, 'Q', current_date + 5, current_date + 6, 1, NULL, 'key-1');
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'Q', current_date + 5, current_date + 7, 1, NULL, 'key-1')$$, :p));

-- a failed first call leaves no key behind: the retry is a first call
SELECT booking.open_inventory(:p, 'Q', current_date + 10, current_date + 11, 0);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'Q', current_date + 10, current_date + 11, 1, 'guest-c', 'key-2')$$, :p));
SELECT count(*) FROM booking.idempotency_key WHERE scope = 'guest-c';
SELECT booking.open_inventory(:p, 'Q', current_date + 10, current_date + 11, 1);
SELECT state FROM booking.reserve_range(:p, 'Q', current_date + 10, current_date + 11, 1, 'guest-c', 'key-2');

-- a replay is answered even once check_in has passed: reserve for today at
-- UTC-11, then move the property to UTC+14, where that day is gone
SELECT booking.add_property('Date Line Inn', 'Evora', 'Pacific/Pago_Pago') AS dl \gset
SELECT booking.add_room_type(:dl, 'K', 'King', 1);
SELECT booking.open_inventory(:dl, 'K', current_date - 2, current_date + 3);
SELECT (now() AT TIME ZONE 'Pacific/Pago_Pago')::date AS pago_today \gset
SELECT reservation_id AS old FROM booking.reserve_range(:dl, 'K', :'pago_today', :'pago_today'::date + 1, 1, 'guest-d', 'key-3') \gset
UPDATE booking.property SET time_zone = 'Pacific/Kiritimati' WHERE property_id = :dl;
SELECT booking.rebuild_calendar() > 0 AS calendar_follows_direct_write;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'K', %L, %L::date + 1, 1, 'guest-d', 'key-4')$$, :dl, :'pago_today', :'pago_today')) ~ '^22023' AS new_request_refused;
SELECT reservation_id = :old AS same FROM booking.reserve_range(:dl, 'K', :'pago_today', :'pago_today'::date + 1, 1, 'guest-d', 'key-3');
-- the key table: scope, key, digest of the arguments, the reservation
SELECT scope, key, length(request_digest) AS digest_bytes, reservation_id = :old AS points_to_reservation
  FROM booking.idempotency_key WHERE scope = 'guest-d';

SELECT * FROM booking.check_invariants();

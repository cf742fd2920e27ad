-- reserve_range: holds, prices, all-or-nothing, validation.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Reserve Inn', 'Faro', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 2, 2, 90);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 40);
SELECT booking.open_inventory(:p, 'DBL', current_date + 6, current_date + 7, NULL, 120);

-- A hold: every column as the contract says
SELECT reservation_id AS r_reservation_id
  FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 8, 1, 'guest-1') \gset
SELECT booking.node_of(reservation_id) AS node, property_id = :p AS same_property, room_type,
       check_in - current_date AS check_in, check_out - current_date AS check_out, rooms, guest_id,
       state, total_price, updated_at = created_at AS untouched
  FROM booking.reservation WHERE reservation_id = :r_reservation_id;
SELECT payment_ref IS NULL AS no_payment_ref, confirmation_code IS NULL AS no_code
  FROM booking.reservation WHERE reservation_id = :r_reservation_id;
-- the hold lasts booking.hold_ttl (15 minutes by default)
SELECT hold_expires_at - created_at AS hold FROM booking.reservation WHERE reservation_id = :r_reservation_id;
SELECT * FROM t.inv(:p, 'DBL', 4, 9);

-- hold => and booking.hold_ttl
SELECT hold_expires_at - created_at AS hold
  FROM booking.reserve_range(:p, 'DBL', current_date + 20, current_date + 21, hold => interval '2 minutes');
SET booking.hold_ttl = '5min';
SELECT hold_expires_at - created_at AS hold
  FROM booking.reserve_range(:p, 'DBL', current_date + 22, current_date + 23);
RESET booking.hold_ttl;

-- Several rooms: price x rooms, the last units
SELECT rooms, total_price, state FROM booking.reserve_range(:p, 'DBL', current_date + 10, current_date + 12, 2);
SELECT * FROM t.inv(:p, 'DBL', 10, 12);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 11, current_date + 13)$$, :p));

-- All or nothing: one short night refuses the whole stay and changes nothing
SELECT (booking.reserve_range(:p, 'DBL', current_date + 6, current_date + 7)).state AS took_last_unit_of_night_6;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 3, current_date + 9)$$, :p));
SELECT * FROM t.inv(:p, 'DBL', 2, 10);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, 3)$$, :p));

-- A night that is not on sale
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 38, current_date + 42)$$, :p));
SELECT count(*) AS nights_touched FROM booking.inventory WHERE property_id = :p AND held > 0 AND night >= current_date + 38;

-- Today in the property's time zone is bookable; yesterday is not
SELECT booking.add_property('Far East Lodge', 'Faro', 'Pacific/Kiritimati') AS east \gset
SELECT booking.add_room_type(:east, 'A', 'A', 1);
SELECT booking.open_inventory(:east, 'A', current_date - 3, current_date + 5);
SELECT state FROM booking.reserve_range(:east, 'A',
    (now() AT TIME ZONE 'Pacific/Kiritimati')::date, (now() AT TIME ZONE 'Pacific/Kiritimati')::date + 1);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'A', (now() AT TIME ZONE 'Pacific/Kiritimati')::date - 1,
                                                        (now() AT TIME ZONE 'Pacific/Kiritimati')::date + 1)$$, :east)) ~ '^22023: check_in is in the past' AS past_refused;

-- Bad input: 22023 and BK005
SELECT t.try(format($$SELECT booking.reserve_range(NULL, 'DBL', current_date + 1, current_date + 2)$$));
SELECT t.try(format($$SELECT booking.reserve_range(%s, NULL, current_date + 1, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', NULL, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, NULL)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, NULL)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 2, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 3, current_date + 2)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, 0)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, -4)$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, 'infinity')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 400)$$, :p));
SET booking.max_nights = 3;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 5)$$, :p));
RESET booking.max_nights;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, hold => '0 seconds')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, hold => '-5 minutes')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, hold => '177999999 years')$$, :p));
SELECT split_part(t.try(format($$SELECT booking.reserve_range(%s, 'DBL', '5874897-12-01', '5874897-12-02')$$, :p)), ' | ', 1) AS outcome;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, idempotency_key => '')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, idempotency_key => repeat('k', 256))$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, idempotency_key => repeat('é', 128))$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, idempotency_key => repeat('k', 255))$$, :p));
SELECT t.try($$SELECT booking.reserve_range(999999, 'DBL', current_date + 1, current_date + 2)$$);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'SUITE', current_date + 1, current_date + 2)$$, :p));

SELECT * FROM booking.check_invariants();

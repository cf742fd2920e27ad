-- modify_reservation (2.0): dates, rooms, room type and guests of a held,
-- payment_pending or confirmed reservation, in one step, all or nothing.
\set ECHO none
\i test/sql/setup.psql
-- t.err: t.try with the id in a detail written N
CREATE OR REPLACE FUNCTION t.err(sql text) RETURNS text LANGUAGE sql AS
$$ SELECT regexp_replace(t.try(sql), 'id \d+', 'id N', 'g') $$;
-- t.res: a reservation's stay, rooms, guests, total and state
CREATE OR REPLACE FUNCTION t.res(r booking.reservation) RETURNS text LANGUAGE sql AS
$$ SELECT format('%s %s D+%s..D+%s x%s guests=%s total=%s', r.state, r.room_type,
                 r.check_in - current_date, r.check_out - current_date, r.rooms,
                 coalesce(r.guests::text, '-'), r.total_price) $$;
\set ECHO all
SELECT booking.add_property('Change Hotel', 'Changeville', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 2, 2, 100);
SELECT booking.add_room_type(:p, 'STE', 'Suite', 1, 4, 250);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 40);
SELECT booking.open_inventory(:p, 'STE', current_date, current_date + 40);

SELECT reservation_id AS r FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 8, 1, 'eva') \gset
SELECT t.res(r) FROM booking.get_reservation(:r) r;
-- a night repriced after the sale: kept nights keep their price, added ones take today's
SELECT booking.open_inventory(:p, 'DBL', current_date + 5, current_date + 10, price => 120);
-- extend by a night: nights 5..7 stay at 100, night 8 at 120
SELECT t.res(r) FROM booking.modify_reservation(:r, check_out => current_date + 9, guest_id => 'eva') r;
SELECT night - current_date AS d, price FROM booking.reservation_night WHERE reservation_id = :r ORDER BY night;
SELECT * FROM t.inv(:p, 'DBL', 4, 10);
-- its own units count as free: move by a night over its own nights with the type full
SELECT reservation_id AS other FROM booking.reserve_range(:p, 'DBL', current_date + 5, current_date + 10) \gset
SELECT t.res(r) FROM booking.modify_reservation(:r, check_in => current_date + 6, check_out => current_date + 10) r;
SELECT * FROM t.inv(:p, 'DBL', 4, 11);
-- short of units: BK001 naming the first short night, nothing changed
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 2)$$, :r)) AS two_rooms;
SELECT t.res(r) FROM booking.get_reservation(:r) r;
-- another room type: the old nights freed, the new taken at today's price
SELECT t.res(r) FROM booking.modify_reservation(:r, room_type => 'STE', guests => 3) r;
SELECT * FROM t.inv(:p, 'DBL', 5, 11);
SELECT * FROM t.inv(:p, 'STE', 5, 11);
-- the readers add the changes of the events not published yet (no sweeper
-- serves this database), a modified event's old stay given back included:
-- availability answers what the inventory says
SELECT count(*) > 0 AS modified_unpublished FROM booking.event
 WHERE reservation_id = :r AND kind = 'modified' AND position IS NULL;
SELECT count(*) AS availability_differs
  FROM booking.availability(:p, current_date, current_date + 40) a
  JOIN booking.inventory i ON i.property_id = :p AND i.room_type = a.room_type AND i.night = a.night
 WHERE a.available IS DISTINCT FROM i.units - i.held - i.booked - i.blocked;
-- a dry run: the reservation as the change would make it, priced, nothing
-- written (no units moved, no event, no new prices); and the error the
-- change would raise
SELECT count(*) AS events_before_dry FROM booking.event WHERE reservation_id = :r \gset
SELECT t.res(r) FROM booking.modify_reservation(:r, check_out => current_date + 11, dry_run => true) r;
SELECT t.res(r) FROM booking.get_reservation(:r) r;
SELECT * FROM t.inv(:p, 'STE', 9, 12);
SELECT count(*) = :events_before_dry AS no_event FROM booking.event WHERE reservation_id = :r;
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 2, dry_run => true)$$, :r)) AS dry_short;
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 1, idempotency_key => 'k', dry_run => true)$$, :r)) AS dry_with_key;
-- guests must fit: BK006
SELECT t.err(format($$SELECT booking.modify_reservation(%s, guests => 5)$$, :r)) AS too_many;
-- changing nothing returns the reservation and writes nothing
SELECT count(*) AS events_before FROM booking.event WHERE reservation_id = :r \gset
SELECT t.res(r) FROM booking.modify_reservation(:r) r;
SELECT t.res(r) FROM booking.modify_reservation(:r, room_type => 'STE', check_in => current_date + 6) r;
SELECT count(*) = :events_before AS no_event FROM booking.event WHERE reservation_id = :r;
-- one modified event per change, carrying before and after
SELECT kind, payload->'before'->>'room_type' AS before_type, payload->>'room_type' AS after_type
  FROM booking.event WHERE reservation_id = :r AND kind = 'modified' ORDER BY event_id;
-- another guest: BK005 as if it did not exist
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 1, guest_id => 'mallory')$$, :r)) AS not_yours;
-- a confirmed reservation moves its booked units
SELECT state FROM booking.confirm_booking(:r, 'pay-eva');
SELECT t.res(r) FROM booking.modify_reservation(:r, check_out => current_date + 12) r;
SELECT * FROM t.inv(:p, 'STE', 5, 13);
-- idempotency: a repeat answers the same; the key with other arguments is BK004
SELECT t.res(r) FROM booking.modify_reservation(:r, check_out => current_date + 11, idempotency_key => 'chg-1') r;
SELECT t.res(r) FROM booking.modify_reservation(:r, check_out => current_date + 11, idempotency_key => 'chg-1') r;
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 13, idempotency_key => 'chg-1')$$, :r)) AS key_reused;
-- dates: check_in in the past, check_out before check_in: 22023
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_in => current_date - 1)$$, :r)) AS past;
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 6)$$, :r)) AS empty_stay;
-- a stay not on sale: BK001
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 45)$$, :r)) AS not_on_sale;
-- cancelled: BK003
SELECT state FROM booking.cancel_reservation(:r);
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 1, check_out => current_date + 8)$$, :r)) AS cancelled;
SELECT t.err('SELECT booking.modify_reservation(42, rooms => 1)') AS missing;

-- stays that have begun or ended (made here behind the engine's back, as
-- the owner: no call makes a stay in the past): only check-out changes,
-- and never on nights already past
INSERT INTO booking.inventory (property_id, room_type, night, units, held, booked, price)
SELECT :p, 'DBL', current_date - g, 2, 0, 0, 100 FROM generate_series(1, 3) g;
INSERT INTO booking.reservation (reservation_id, property_id, room_type, check_in, check_out, rooms,
                                 guest_id, state, total_price, payment_ref, confirmation_code, night_prices)
VALUES (:r::bigint * 1000 + 1024, :p, 'DBL', current_date - 2, current_date + 1, 1, 'old', 'confirmed', 300, 'old-1', 'OLD-1',
        ARRAY[100, 100, 100]),
       (:r::bigint * 1000 + 2048, :p, 'DBL', current_date - 3, current_date - 1, 1, 'old', 'confirmed', 200, 'old-2', 'OLD-2',
        ARRAY[100, 100]);
UPDATE booking.inventory SET booked = booked + 1
 WHERE property_id = :p AND room_type = 'DBL' AND night >= current_date - 2 AND night < current_date + 1;
UPDATE booking.inventory SET booked = booked + 1
 WHERE property_id = :p AND room_type = 'DBL' AND night >= current_date - 3 AND night < current_date - 1;
SELECT booking.rebuild_calendar() > 0 AS calendar_rebuilt;
SELECT count(*) AS problems_before FROM booking.check_invariants();
-- the begun stay stays a night longer: fine
SELECT t.res(r) FROM booking.modify_reservation(:r::bigint * 1000 + 1024, check_out => current_date + 2) r;
-- but it may not move its check-in, rooms or room type
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 2)$$, :r::bigint * 1000 + 1024)) AS begun_rooms;
-- nor leave before today (that would give back a past night)
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date - 1)$$, :r::bigint * 1000 + 1024)) AS begun_past;
-- a stay that has ended cannot grow into the past (or the future)
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 1)$$, :r::bigint * 1000 + 2048)) AS ended_grows;
SELECT count(*) AS problems FROM booking.check_invariants();
SELECT * FROM t.inv(:p, 'STE', 5, 13);
SELECT count(*) AS problems FROM booking.check_invariants();

-- A night that a channel overbooked (2.0): a change that takes no more
-- there than the stay held needs no free unit on it (a guests change, a
-- shrink, which pays the overbooking down); taking more there does (BK001)
SELECT booking.add_property('Overbooked Inn', 'Changeville', 'UTC') AS ob \gset
SELECT booking.add_room_type(:ob, 'ONE', 'Single', 1, 2, 100);
SELECT booking.open_inventory(:ob, 'ONE', current_date, current_date + 20);
SELECT reservation_id AS ann FROM booking.reserve_range(:ob, 'ONE', current_date + 5, current_date + 8, 1, 'ann') \gset
SELECT state FROM booking.confirm_booking(:ann, 'pay-ann');
-- a channel's booking on night 7 beyond its units (made here behind the
-- engine's back, as apply_channel_booking would make it)
INSERT INTO booking.reservation (reservation_id, property_id, room_type, check_in, check_out, rooms,
                                 guest_id, state, total_price, payment_ref, confirmation_code, night_prices)
VALUES (:ob * 1000 + 1024, :ob, 'ONE', current_date + 7, current_date + 8, 1, 'ota', 'confirmed', 100,
        'ota-1', 'OTA-1', ARRAY[100]);
UPDATE booking.inventory SET booked = booked + 1, overbooked = 1
 WHERE property_id = :ob AND room_type = 'ONE' AND night = current_date + 7;
SELECT booking.rebuild_calendar() > 0 AS calendar_rebuilt;
SELECT night - current_date AS night, units, booked, overbooked FROM booking.inventory
 WHERE property_id = :ob AND night >= current_date + 5 AND night < current_date + 8 ORDER BY night;
SELECT t.res(r) FROM booking.modify_reservation(:ann, guests => 2, guest_id => 'ann') r;
SELECT t.err(format($$SELECT booking.modify_reservation(%s, rooms => 2)$$, :ann)) AS takes_more;
SELECT t.res(r) FROM booking.modify_reservation(:ann, check_out => current_date + 7, guest_id => 'ann') r;
SELECT night - current_date AS night, units, booked, overbooked FROM booking.inventory
 WHERE property_id = :ob AND night >= current_date + 5 AND night < current_date + 8 ORDER BY night;
SELECT count(*) AS problems FROM booking.check_invariants();

-- A hold past its deadline on the nights a change takes is expired, as
-- reserve_range expires it, and the change goes through; the changing
-- reservation's own hold, past its deadline too, is left alone
SELECT reservation_id AS dead FROM booking.reserve_range(:ob, 'ONE', current_date + 12, current_date + 13, 1, 'dead') \gset
SELECT reservation_id AS bea FROM booking.reserve_range(:ob, 'ONE', current_date + 10, current_date + 12, 1, 'bea') \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id IN (:dead, :bea);
SELECT t.res(r) FROM booking.modify_reservation(:bea, check_out => current_date + 13, guest_id => 'bea') r;
SELECT reservation_id = :dead AS dead_hold, state FROM booking.reservation
 WHERE reservation_id IN (:dead, :bea) ORDER BY reservation_id = :dead;
SELECT kind FROM booking.event WHERE reservation_id = :dead ORDER BY event_id;
SELECT count(*) AS problems FROM booking.check_invariants();
-- a dry run judges as the call would, the dead hold in its way counted as
-- free, and writes nothing: the hold stays as it is; a live hold in the
-- way is BK001 for both
SELECT reservation_id AS dead2 FROM booking.reserve_range(:ob, 'ONE', current_date + 13, current_date + 14, 1, 'dead2') \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :dead2;
SELECT t.res(r) FROM booking.modify_reservation(:bea, check_out => current_date + 14, dry_run => true) r;
SELECT state FROM booking.reservation WHERE reservation_id = :dead2;
SELECT reservation_id AS live FROM booking.reserve_range(:ob, 'ONE', current_date + 14, current_date + 15, 1, 'live') \gset
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 15, dry_run => true)$$, :bea)) AS dry_run_short;

-- A block pickup cannot be changed (0A000), but a call that changes
-- nothing answers as for any reservation
SELECT booking.create_block(:ob, 'ONE', 'TEAM', current_date + 16, current_date + 18, 1);
SELECT reservation_id AS pick FROM booking.reserve_range(:ob, 'ONE', current_date + 16, current_date + 18, block => 'TEAM') \gset
SELECT t.res(r) FROM booking.modify_reservation(:pick, check_out => current_date + 18) r;
SELECT t.err(format($$SELECT booking.modify_reservation(%s, check_out => current_date + 17)$$, :pick)) AS pickup_changed;
-- leave no live hold behind for the files after this one
SELECT count(*) AS cancelled FROM (SELECT booking.cancel_reservation(r) FROM unnest(ARRAY[:bea, :dead2, :live, :pick]::bigint[]) r) c;
SELECT count(*) AS problems FROM booking.check_invariants();

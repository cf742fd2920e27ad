-- Channel bookings (2.0): apply_channel_booking applies an OTA's
-- revisions of one booking in revision order, never refuses one for lack
-- of units (a night beyond its units counts in inventory.overbooked, and
-- one `overbooked` event names it), and every unit coming free on an
-- overbooked night pays it down first.  The engine's own paths keep the
-- strict promise: an overbooked night has no free unit.
\set ECHO none
\i test/sql/setup.psql
-- t.ob: a room type's nights with overbooked, relative to current_date
CREATE OR REPLACE FUNCTION t.chan_inv(p bigint, rt text, first int, last int)
RETURNS TABLE(d int, units int, held int, booked int, overbooked int) LANGUAGE sql AS
$$ SELECT night - current_date, units, held, booked, overbooked FROM booking.inventory
    WHERE property_id = p AND room_type = rt
      AND night >= current_date + first AND night < current_date + last
    ORDER BY night $$;
-- t.cr: a reservation as the tests show it
CREATE OR REPLACE FUNCTION t.chan_res(r booking.reservation) RETURNS text LANGUAGE sql AS
$$ SELECT format('%s %s D+%s..D+%s x%s total=%s ref=%s guest=%s', r.room_type, r.state,
                 r.check_in - current_date, r.check_out - current_date, r.rooms, r.total_price,
                 r.payment_ref, coalesce(r.guest_id, '-')) $$;
-- t.nights: the prices a reservation's nights were sold at
CREATE OR REPLACE FUNCTION t.chan_nights(id bigint) RETURNS TABLE(d int, price numeric)
LANGUAGE sql AS
$$ SELECT n.night - current_date, n.price FROM booking.reservation_night n
    WHERE n.reservation_id = id ORDER BY n.night $$;
-- t.kinds: a reservation's events, in order
CREATE OR REPLACE FUNCTION t.chan_kinds(id bigint) RETURNS text LANGUAGE sql AS
$$ SELECT string_agg(kind, ', ' ORDER BY event_id) FROM booking.event WHERE reservation_id = id $$;
\set ECHO all
SELECT booking.add_property('Harbour Inn', 'Faro', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 1, 2, 100);
SELECT booking.add_room_type(:p, 'TWN', 'Twin', 5, 2, 80);
SELECT booking.open_inventory(:p, 'DBL', current_date + 10, current_date + 15);
SELECT booking.open_inventory(:p, 'TWN', current_date + 10, current_date + 15);

-- a new booking: confirmed at once, BASE prices x rooms (2 x 100.00 = 200.00)
SELECT (r).reservation_id AS a1, t.chan_res(r) AS cr
  FROM booking.apply_channel_booking('bcom', 'A1', 1, 'new', :p, 'DBL', current_date + 10,
                                     current_date + 12, guest_id => 'g1') r \gset
SELECT :'cr' AS a1_rev1;
SELECT * FROM t.chan_nights(:a1);
SELECT * FROM t.chan_inv(:p, 'DBL', 10, 15);
SELECT t.chan_kinds(:a1);
SELECT channel, external_id, revision, status, reservation_id = :a1 AS points_at_a1
  FROM booking.channel_booking;
-- the same revision again: the same reservation, nothing written
SELECT (booking.apply_channel_booking('bcom', 'A1', 1, 'new', :p, 'DBL', current_date + 10,
                                      current_date + 12, guest_id => 'g1')).reservation_id = :a1 AS same;
SELECT t.chan_kinds(:a1);
-- the same revision with other content: BK004
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'A1', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 12, 2, guest_id => 'g1')$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'A1', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 12, total_price => 150, guest_id => 'g1')$$, :p));
-- a lower revision: the reservation as it is, nothing applied
SELECT t.chan_res(booking.apply_channel_booking('bcom', 'A1', 0, 'cancelled', :p, 'DBL',
                                          current_date + 10, current_date + 12)) AS rev0;

-- modified (revision 3): moved one night on, at the channel's total
-- 250.00 over 2 nights: 125.00 each; D+10 given back, D+12 taken
SELECT t.chan_res(booking.apply_channel_booking('bcom', 'A1', 3, 'modified', :p, 'DBL',
                                          current_date + 11, current_date + 13, 1, 250, 'g1')) AS a1_rev3;
SELECT * FROM t.chan_nights(:a1);
SELECT * FROM t.chan_inv(:p, 'DBL', 10, 15);
SELECT t.chan_kinds(:a1);
-- revision 2 arrives late: ignored
SELECT t.chan_res(booking.apply_channel_booking('bcom', 'A1', 2, 'modified', :p, 'DBL',
                                          current_date + 10, current_date + 11)) AS a1_after_rev2;
SELECT revision, status FROM booking.channel_booking WHERE external_id = 'A1';

-- a sold-out night: the engine books D+13, then a channel books it too
SELECT (booking.reserve_range(:p, 'DBL', current_date + 13, current_date + 14)).reservation_id AS own \gset
SELECT (booking.confirm_booking(:own, 'pay-own')).state;
SELECT t.chan_res(r) AS cr, (r).reservation_id AS x9
  FROM booking.apply_channel_booking('exp', 'X9', 1, 'new', :p, 'DBL', current_date + 13,
                                     current_date + 14) r \gset
SELECT :'cr' AS x9_rev1;
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
SELECT t.chan_kinds(:x9);
SELECT payload - 'occurred_at' AS payload
  FROM (SELECT jsonb_set(payload, '{nights}',
                         (SELECT jsonb_agg(jsonb_set(n, '{night}', to_jsonb(((n->>'night')::date - current_date))))
                            FROM jsonb_array_elements(payload->'nights') n)) AS payload
          FROM booking.event WHERE kind = 'overbooked' AND reservation_id = :x9) e;
SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :p;
-- the engine's own paths see no free unit there
SELECT t.try(format('SELECT booking.reserve_range(%s, %L, current_date + 13, current_date + 14)', :p, 'DBL'));
SELECT night - current_date AS d, available FROM booking.availability(:p, current_date + 13, current_date + 14)
 WHERE room_type = 'DBL';
SELECT night - current_date AS d, available FROM booking.quote(:p, 'DBL', current_date + 13, current_date + 14);
-- pay-down: cancelling the engine's reservation frees a unit, overbooked goes first
SELECT (booking.cancel_reservation(:own)).state;
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
SELECT count(*) AS problems FROM booking.check_invariants() WHERE property_id = :p;

-- pay-down by open_inventory adding units
SELECT (booking.apply_channel_booking('exp', 'X10', 1, 'new', :p, 'DBL', current_date + 13,
                                      current_date + 14)).state;
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
SELECT t.try(format('SELECT booking.open_inventory(%s, %L, current_date + 13, current_date + 14, 0)', :p, 'DBL'));
SELECT booking.open_inventory(:p, 'DBL', current_date + 13, current_date + 14, 1, 90);
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
-- the largest units there are on an overbooked night: no integer overflow
-- (units plus overbooked is counted in bigint), overbooked paid down to 0
SELECT booking.open_inventory(:p, 'DBL', current_date + 13, current_date + 14, 2147483647);
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
SELECT booking.open_inventory(:p, 'DBL', current_date + 13, current_date + 14, 2);
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
-- a push of more rooms than a night can count (beside its 2 booked): 22023,
-- nothing applied
SELECT t.try(format($$SELECT booking.apply_channel_booking('exp', 'X11', 1, 'new', %s, 'DBL',
                      current_date + 13, current_date + 14, 2147483647)$$, :p));
SELECT * FROM t.chan_inv(:p, 'DBL', 13, 14);
SELECT count(*) AS problems FROM booking.check_invariants() WHERE property_id = :p;

-- modified onto a sold-out night: X9 grows back to D+12, which A1 holds;
-- the night kept keeps its price (100.00), the new one takes today's
-- (100.00): 200.00; one more overbooked event, for D+12 only
SELECT t.chan_res(booking.apply_channel_booking('exp', 'X9', 2, 'modified', :p, 'DBL', current_date + 12,
                                          current_date + 14)) AS x9_rev2;
SELECT * FROM t.chan_inv(:p, 'DBL', 12, 14);
SELECT t.chan_kinds(:x9);
SELECT jsonb_path_query_array(payload, '$.nights[*].over') AS over,
       (payload->'nights'->0->>'night')::date - current_date AS first_over
  FROM booking.event WHERE kind = 'overbooked' AND reservation_id = :x9 ORDER BY event_id;
SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :p;

-- cancelled: units back (D+12 pays its overbooked down), the cancelled event
SELECT t.chan_res(booking.apply_channel_booking('bcom', 'A1', 4, 'cancelled', :p, 'DBL',
                                          current_date + 11, current_date + 13)) AS a1_rev4;
SELECT * FROM t.chan_inv(:p, 'DBL', 10, 15);
SELECT t.chan_kinds(:a1);
-- new again after the cancellation: a fresh reservation
SELECT (r).reservation_id AS a1b, t.chan_res(r) AS cr
  FROM booking.apply_channel_booking('bcom', 'A1', 5, 'new', :p, 'DBL', current_date + 10,
                                     current_date + 11) r \gset
SELECT :'cr' AS a1_rev5, :a1b <> :a1 AS fresh;
SELECT reservation_id = :a1b AS points_at_fresh FROM booking.channel_booking WHERE external_id = 'A1';

-- a total spread evenly in cents, the first night taking the rounding:
-- 100.00 / 3 nights = 33.33, 33.33 and 33.34 first;
-- 2 rooms at 100.00: 50.00 a room, 16.66 x 2 and 16.68 first
SELECT (booking.apply_channel_booking('bcom', 'S1', 1, 'new', :p, 'TWN', current_date + 10,
                                      current_date + 13, 1, 100)).reservation_id AS s1 \gset
SELECT * FROM t.chan_nights(:s1);
SELECT (booking.apply_channel_booking('bcom', 'S2', 1, 'new', :p, 'TWN', current_date + 10,
                                      current_date + 13, 2, 100)).reservation_id AS s2 \gset
SELECT * FROM t.chan_nights(:s2);
SELECT total_price FROM booking.reservation WHERE reservation_id = :s2;

-- BK005: a cancellation of a booking never seen; nights never opened
-- for sale; an unknown property or room type; nothing is applied
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z1', 1, 'cancelled', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z2', 1, 'new', %s, 'DBL',
    current_date + 14, current_date + 16)$$, :p));
SELECT t.try($$SELECT booking.apply_channel_booking('bcom', 'Z3', 1, 'new', 0, 'DBL',
    current_date + 10, current_date + 11)$$);
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z4', 1, 'new', %s, 'SUITE',
    current_date + 10, current_date + 11)$$, :p));
SELECT count(*) AS unseen FROM booking.channel_booking WHERE external_id LIKE 'Z%';

-- 22023: arguments
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z5', 1, 'confirmed', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('', 'Z5', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking(repeat('c', 65), 'Z5', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', repeat('x', 201), 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z5', -1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking(NULL, 'Z5', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z5', 1, 'new', %s, 'DBL',
    NULL, current_date + 11)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z5', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11, 0)$$, :p));
SELECT t.try(format($$SELECT booking.apply_channel_booking('bcom', 'Z5', 1, 'new', %s, 'DBL',
    current_date + 10, current_date + 11, 1, -5)$$, :p));

-- pay-down by an expiry: a hold on D+14's last unit, a channel booking
-- over it, then the hold dies and is expired
SELECT (booking.reserve_range(:p, 'DBL', current_date + 14, current_date + 15, guest_id => 'late')).state;
SELECT (booking.apply_channel_booking('exp', 'X11', 1, 'new', :p, 'DBL', current_date + 14,
                                      current_date + 15)).state;
SELECT * FROM t.chan_inv(:p, 'DBL', 14, 15);
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute' WHERE guest_id = 'late';
SELECT booking.expire_holds() AS expired;
SELECT * FROM t.chan_inv(:p, 'DBL', 14, 15);

-- a night overbooked by more than it needs is corrupt: reported, and
-- repair_inventory pays it down to what the night needs
UPDATE booking.inventory SET overbooked = 2
 WHERE property_id = :p AND room_type = 'DBL' AND night = current_date + 14;
SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :p;
SELECT night - current_date AS d, held_before, held_after, booked_before, booked_after, fixed
  FROM booking.repair_inventory() WHERE property_id = :p;
SELECT * FROM t.chan_inv(:p, 'DBL', 14, 15);

SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :p;

-- pushes of more rooms than a night has, still unpublished, add up past
-- an int in the room calendar's refresh: counted in bigint, no 22003
SELECT booking.add_property('Chan Huge', 'Lyon', 'Europe/Paris') AS ph \gset
SELECT booking.add_room_type(:ph, 'R', 'Room', 2);
SELECT booking.open_inventory(:ph, 'R', current_date + 1, current_date + 10);
SELECT (booking.apply_channel_booking('huge', 'H1', 1, 'new', :ph, 'R', current_date + 6,
                                      current_date + 7, 2147483647)).state;
SELECT (booking.apply_channel_booking('huge', 'H1', 2, 'modified', :ph, 'R', current_date + 6,
                                      current_date + 7, 1)).state;
SELECT (booking.apply_channel_booking('huge', 'H1', 3, 'modified', :ph, 'R', current_date + 6,
                                      current_date + 7, 2147483647)).state;
SELECT booking.set_rates(:ph, 'R', 'BASE', current_date + 6, current_date + 7, 90);
SELECT booking.open_inventory(:ph, 'R', current_date + 1, current_date + 10);
SELECT booking.purge() >= 0 AS purged;
SELECT night - current_date AS d, available FROM booking.availability(:ph, current_date + 5, current_date + 8);
SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :ph;
-- cancelled: the night is back within its units, nothing left over
SELECT (booking.apply_channel_booking('huge', 'H1', 4, 'cancelled', :ph, 'R', current_date + 6,
                                      current_date + 7)).state;
SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :ph;

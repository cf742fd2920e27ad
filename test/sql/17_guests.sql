-- Guests (2.0): reserve_range and quote take an optional guests, which
-- must fit rooms * max_guests (BK006, rule max_guests); the reservation
-- keeps it; search counts guests over all its rooms, as reserve_range does.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Guest House', 'Guestville', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'TWIN', 'Twin', 4, 2, 100);
SELECT booking.add_room_type(:p, 'FAM', 'Family', 2, 4, 180);
SELECT booking.open_inventory(:p, 'TWIN', current_date, current_date + 30);
SELECT booking.open_inventory(:p, 'FAM', current_date, current_date + 30);

-- fits: 2 in one twin, 3 and 4 in two; kept on the reservation
SELECT rooms, guests, state FROM booking.reserve_range(:p, 'TWIN', current_date + 1, current_date + 2, guests => 2);
SELECT rooms, guests FROM booking.reserve_range(:p, 'TWIN', current_date + 1, current_date + 2, 2, guests => 4);
-- NULL (or not given): not checked, kept NULL, as before 2.0
SELECT rooms, guests IS NULL AS unchecked FROM booking.reserve_range(:p, 'TWIN', current_date + 3, current_date + 4);
-- too many: BK006 naming the rule, nothing held
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'TWIN', current_date + 5, current_date + 6, guests => 3)$$, :p)) AS three_in_one_twin;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'TWIN', current_date + 5, current_date + 6, 2, guests => 5)$$, :p)) AS five_in_two_twins;
SELECT * FROM t.inv(:p, 'TWIN', 5, 6);
-- checked before availability: a sold-out stay with too many guests says max_guests
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'FAM', current_date + 7, current_date + 8, 3, guests => 13)$$, :p)) AS rule_before_units;
-- guests below 1: 22023
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'TWIN', current_date + 5, current_date + 6, guests => 0)$$, :p)) AS zero_guests;

-- idempotency: guests are part of the call; the same key with other
-- guests is BK004, with the same guests the same reservation
SELECT reservation_id AS k FROM booking.reserve_range(:p, 'FAM', current_date + 9, current_date + 11,
                                                     guest_id => 'gia', idempotency_key => 'fam-1', guests => 3) \gset
SELECT reservation_id = :k AS same, guests
  FROM booking.reserve_range(:p, 'FAM', current_date + 9, current_date + 11,
                             guest_id => 'gia', idempotency_key => 'fam-1', guests => 3);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'FAM', current_date + 9, current_date + 11,
                                                   guest_id => 'gia', idempotency_key => 'fam-1', guests => 4)$$, :p)) AS other_guests;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'FAM', current_date + 9, current_date + 11,
                                                   guest_id => 'gia', idempotency_key => 'fam-1')$$, :p)) AS guests_left_out;
-- a key first used without guests replays without them (as in 1.x)
SELECT reservation_id AS k2 FROM booking.reserve_range(:p, 'FAM', current_date + 12, current_date + 13,
                                                      guest_id => 'gia', idempotency_key => 'fam-2') \gset
SELECT reservation_id = :k2 AS same FROM booking.reserve_range(:p, 'FAM', current_date + 12, current_date + 13,
                                                              guest_id => 'gia', idempotency_key => 'fam-2');

-- quote says the same as reserve_range, without taking anything
SELECT DISTINCT bookable, reason FROM booking.quote(:p, 'TWIN', current_date + 5, current_date + 7, 1, 2);
SELECT DISTINCT bookable, reason FROM booking.quote(:p, 'TWIN', current_date + 5, current_date + 7, 1, 3);
SELECT DISTINCT bookable, reason FROM booking.quote(:p, 'TWIN', current_date + 5, current_date + 7, 2, 3);
SELECT DISTINCT bookable, reason FROM booking.quote(:p, 'TWIN', current_date + 5, current_date + 7);
SELECT t.try(format($$SELECT * FROM booking.quote(%s, 'TWIN', current_date + 5, current_date + 7, 1, -1)$$, :p)) AS negative;

-- search agrees: 3 guests in 2 rooms fit two twins (and the family room);
-- 5 in 2 rooms fit only family rooms; 9 in 2 rooms nothing
SELECT room_type, min_available FROM booking.search('Guestville', current_date + 20, current_date + 22, 3, 2) ORDER BY 1;
SELECT room_type FROM booking.search('Guestville', current_date + 20, current_date + 22, 5, 2) ORDER BY 1;
SELECT count(*) AS none FROM booking.search('Guestville', current_date + 20, current_date + 22, 9, 2);
-- and every offer of search is one reserve_range takes with the same guests and rooms
SELECT s.room_type, (booking.reserve_range(:p, s.room_type, current_date + 20, current_date + 22, 2, guests => 3)).guests
  FROM booking.search('Guestville', current_date + 20, current_date + 22, 3, 2) s ORDER BY 1;
SELECT count(*) AS problems FROM booking.check_invariants();

-- join_waitlist refuses an entry for more rooms than a night of the stay
-- has units (22023): it could never be offered, and 2^31 - 1 rooms used to
-- fill inventory.waiting so that every later join of those nights failed
-- with a check violation (the int wrapped below zero).
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Tiny Inn', 'Faro', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'ONE', 'One room', 2, 2, 100);
SELECT booking.open_inventory(:p, 'ONE', current_date + 1, current_date + 30);
SELECT booking.open_inventory(:p, 'ONE', current_date + 6, current_date + 7, 1);  -- night 6: 1 unit
SELECT state FROM booking.reserve_range(:p, 'ONE', current_date + 5, current_date + 7, 1, guest_id => 'max');
SELECT t.try(format('SELECT booking.join_waitlist(%s, %L, current_date + 5, current_date + 7, 2147483647, %L)',
                    :p, 'ONE', 'greedy'));  -- 22023: 2 units on night 5
SELECT t.try(format('SELECT booking.join_waitlist(%s, %L, current_date + 5, current_date + 7, 2, %L)',
                    :p, 'ONE', 'two'));  -- 22023: night 6 has 1 unit
SELECT t.try(format('SELECT booking.join_waitlist(%s, %L, current_date + 5, current_date + 7, 1, %L)',
                    :p, 'ONE', 'honest'));  -- ok: night 6 is sold out, so it waits
SELECT guest_id, rooms, state FROM booking.waitlist WHERE property_id = :p;  -- honest, 1, waiting
SELECT night - current_date AS d, units, held, waiting FROM booking.inventory
 WHERE property_id = :p AND night IN (current_date + 5, current_date + 6) ORDER BY night;  -- waiting 1, 1
SELECT count(*) AS problems FROM booking.check_invariants();  -- 0

-- check_invariants finds what is wrong, and the CHECK constraints make
-- oversell impossible even for a direct write.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
SELECT booking.add_property('Audit Inn', 'Tavira', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'R', 'Room', 2, 2, 10);
SELECT booking.open_inventory(:p, 'R', current_date, current_date + 5);
SELECT reservation_id AS r FROM booking.reserve_range(:p, 'R', current_date + 1, current_date + 3) \gset
SELECT count(*) AS problems FROM booking.check_invariants();

-- The database itself refuses oversell and negative counts
SELECT split_part(t.try(format($$UPDATE booking.inventory SET held = 3 WHERE property_id = %s AND night = current_date + 1$$, :p)), ' | ', 1) AS outcome;
SELECT split_part(t.try(format($$UPDATE booking.inventory SET booked = -1 WHERE property_id = %s AND night = current_date + 1$$, :p)), ' | ', 1) AS outcome;
SELECT split_part(t.try(format($$UPDATE booking.inventory SET units = 0 WHERE property_id = %s AND night = current_date + 1$$, :p)), ' | ', 1) AS outcome;

-- Drift between inventory and reservations is reported night by night
BEGIN;
UPDATE booking.inventory SET held = 0 WHERE property_id = :p AND night = current_date + 2;
UPDATE booking.inventory SET booked = 1 WHERE property_id = :p AND night = current_date + 4;
SELECT property_id = :p AS same, room_type, night - current_date AS d, problem FROM booking.check_invariants();
ROLLBACK;
BEGIN;
DELETE FROM booking.inventory WHERE property_id = :p AND night = current_date + 1;
SELECT room_type, night - current_date AS d, problem FROM booking.check_invariants();
-- a release that would change fewer nights than the reservation covers
-- raises (XX001), naming the missing night, and changes nothing
SELECT t.try(format($$SELECT booking.cancel_reservation(%s)$$, :r));
ROLLBACK;
SELECT count(*) AS problems FROM booking.check_invariants();

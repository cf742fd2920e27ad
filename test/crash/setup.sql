-- test/crash/setup.sql: the fixture of the crash suite (database postgres of
-- the suite's own cluster, where the sweeper runs).  One property with a
-- roomy type A (8 units) and a scarce type B (2 units), 24 nights on sale
-- from tomorrow, so that the clients collide on hot nights.
CREATE EXTENSION booking;
SELECT booking.add_property('Crash Hotel', 'Crashville', 'UTC') AS pid \gset
SELECT booking.add_room_type(:pid, 'A', 'Roomy', 8, 4, 100);
SELECT booking.add_room_type(:pid, 'B', 'Scarce', 2, 2, 250);
SELECT booking.open_inventory(:pid, 'A', current_date + 1, current_date + 25);
SELECT booking.open_inventory(:pid, 'B', current_date + 1, current_date + 25);

-- What the clients acknowledged, loaded from their logs after each restart.
CREATE SCHEMA ck;
CREATE TABLE ck.reserve (client int, round int, seq int, key text, guest text, room_type text,
                         check_in date, check_out date, rooms int, hold interval,
                         reservation_id bigint, state text);
CREATE TABLE ck.change (kind text, client int, round int, seq int, reservation_id bigint,
                        state text, payment_ref text);
CREATE TABLE ck.done (client int, round int, seq int);
SELECT :pid AS property_id;

-- Catalog: properties, room types, inventory, ids and node_of.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all

-- Ids are n * 1024 + booking.node_id
SELECT booking.add_property('Hotel Sol', 'Lisbon', 'Europe/Lisbon') AS sol \gset
SELECT :sol % 1024 AS node, booking.node_of(:sol) AS node_of;
SET booking.node_id = 7;
SELECT booking.add_property('Casa Azul', 'Lisbon', 'UTC') AS azul \gset
SELECT booking.node_of(:azul) AS node_of, :azul > :sol AS increasing;
RESET booking.node_id;
SELECT booking.node_of(0), booking.node_of(1023), booking.node_of(1024 * 5 + 3), booking.node_of(-1);
SELECT t.try($$SET booking.node_id = 1024$$);

-- add_property checks its arguments
SELECT t.try($$SELECT booking.add_property('X', 'Lisbon', 'Mars/Olympus')$$);
SELECT t.try($$SELECT booking.add_property(NULL, 'Lisbon')$$);
SELECT t.try($$SELECT booking.add_property('', 'Lisbon')$$);
SELECT t.try($$SELECT booking.add_property('X', NULL)$$);
SELECT name, city, time_zone FROM booking.property WHERE property_id = :sol;
SELECT time_zone FROM booking.property WHERE property_id = :azul;

-- Room types
SELECT booking.add_room_type(:sol, 'KNG', 'King', 3, 2, 100);
SELECT booking.add_room_type(:sol, 'FAM', 'Family', 1, 4, 150);
SELECT booking.add_room_type(:azul, 'home', 'Whole house', 1);
SELECT code, name, units, max_guests, base_price FROM booking.room_type
 WHERE property_id IN (:sol, :azul) ORDER BY property_id, code;
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'KNG', 'Again', 1)$$, :sol));
SELECT t.try($$SELECT booking.add_room_type(999999, 'KNG', 'King', 1)$$);
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', 'X', -1)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', 'X', 1, 0)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', 'X', 1, 2, -5)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, '', 'X', 1)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', NULL, 1)$$, :sol));

-- open_inventory: NULL units/price take the room type's for new nights
SELECT booking.open_inventory(:sol, 'KNG', current_date, current_date + 60);
SELECT booking.open_inventory(:sol, 'FAM', current_date, current_date + 60);
SELECT booking.open_inventory(:azul, 'home', current_date, current_date + 60, NULL, 80);
SELECT * FROM t.inv(:sol, 'KNG', 0, 2);
-- a weekend price, then units only: existing nights keep their price
SELECT booking.open_inventory(:sol, 'KNG', current_date + 5, current_date + 7, NULL, 140);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 6, current_date + 8, 2);
SELECT * FROM t.inv(:sol, 'KNG', 4, 9);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 6, current_date + 8, 3, 100);
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date + 5, current_date + 5)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date + 5, current_date + 2)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date, current_date + 4000)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date, current_date + 1, -1)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date, current_date + 1, 1, -1)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'SUITE', current_date, current_date + 1)$$, :sol));
SELECT t.try($$SELECT booking.open_inventory(999999, 'KNG', current_date, current_date + 1)$$);
SELECT t.try(format($$SELECT booking.open_inventory(%s, NULL, current_date, current_date + 1)$$, :sol));

-- Lowering units below held + booked fails BK001 and changes nothing
SELECT reservation_id AS r FROM booking.reserve_range(:sol, 'KNG', current_date + 10, current_date + 12, 2) \gset
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date + 9, current_date + 13, 1)$$, :sol));
SELECT * FROM t.inv(:sol, 'KNG', 9, 13);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 9, current_date + 13, 2);
SELECT * FROM t.inv(:sol, 'KNG', 9, 13);
SELECT state FROM booking.cancel_reservation(:r);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 9, current_date + 13, 3);

-- availability: every room type and open night, free units and price
SELECT room_type, night - current_date AS d, available, price
  FROM booking.availability(:sol, current_date + 4, current_date + 8);
SELECT count(*) FROM booking.availability(:azul, current_date + 100, current_date + 102);
SELECT t.try($$SELECT * FROM booking.availability(999999, current_date, current_date + 1)$$);
SELECT t.try(format($$SELECT * FROM booking.availability(%s, current_date + 3, current_date + 3)$$, :sol));
SELECT t.try(format($$SELECT * FROM booking.availability(%s, NULL, current_date + 3)$$, :sol));

-- search: whole stay free, enough guests and rooms, cheapest first
SELECT property_id = :sol AS is_sol, property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', current_date + 4, current_date + 7);
SELECT property_name, room_type, total_price
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, 3);
SELECT property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, 1, 2);
SELECT property_name, room_type
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, max_results => 1);
SELECT count(*) FROM booking.search('Porto', current_date + 4, current_date + 7);
-- a stay running past the open nights is not offered
SELECT count(*) FROM booking.search('Lisbon', current_date + 58, current_date + 62);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 4)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 7, 0)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 7, 1, 0)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 7, 1, 1, 0)$$);
SELECT t.try($$SELECT * FROM booking.search(NULL, current_date + 4, current_date + 7)$$);

-- demo/hotel.sql: a hotel and a holiday flat open in Lisbon; a guest
-- searches the city and looks at the hotel's availability.
\ir common.psql

\echo
\echo '== 1. A hotel opens in Lisbon'
\echo '   booking.add_property, booking.add_room_type, then booking.open_inventory'
\echo '   for the 14 nights from' :d_open '(today + 7) to' :d_close '(departure).'
SELECT booking.add_property('Hotel Sirena', 'Lisbon', 'Europe/Lisbon') AS hotel \gset
SELECT booking.add_room_type(:hotel, 'DBL', 'Double room', 3, max_guests => 2, base_price => 120) AS _ \gset
SELECT booking.add_room_type(:hotel, 'STE', 'Tagus suite', 1, max_guests => 4, base_price => 260) AS _ \gset
SELECT booking.open_inventory(:hotel, 'DBL', current_date + 7, current_date + 21) AS _ \gset
SELECT booking.open_inventory(:hotel, 'STE', current_date + 7, current_date + 21) AS _ \gset
-- Friday and Saturday nights of the double cost more: open_inventory again
-- over those nights with a price (the units they already have are kept).
SELECT sum(booking.open_inventory(:hotel, 'DBL', d, d + 1, price => 150)) AS _
  FROM generate_series(7, 20) AS i, LATERAL (SELECT current_date + i AS d) AS night
 WHERE extract(isodow FROM d) IN (5, 6) \gset

\echo
\echo '   And a holiday flat in the same city: a property with one room type of 1 unit.'
SELECT booking.add_property('Casa do Rio', 'Lisbon', 'Europe/Lisbon') AS flat \gset
SELECT booking.add_room_type(:flat, 'home', 'Whole flat, river view', 1, max_guests => 5, base_price => 180) AS _ \gset
SELECT booking.open_inventory(:flat, 'home', current_date + 7, current_date + 21) AS _ \gset

SELECT p.property_id, p.name, p.time_zone, r.code AS room_type, r.name AS room_name,
       r.units, r.max_guests, r.base_price,
       (SELECT count(*) FROM booking.inventory i
         WHERE i.property_id = r.property_id AND i.room_type = r.code) AS nights_open
  FROM booking.property p JOIN booking.room_type r USING (property_id)
 ORDER BY p.property_id, r.code;

\echo
\echo '== 2. A guest searches Lisbon for' :d_in 'to' :d_out '(3 nights)'
\echo '   booking.search(city, check_in, check_out, guests): cheapest first.'
\echo
\echo '   2 guests:'
SELECT property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', :'d_in', :'d_out', guests => 2);
\echo
\echo '   4 guests (the double is too small):'
SELECT property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', :'d_in', :'d_out', guests => 4);

\echo
\echo '== 3. Hotel Sirena, free units and price per night of the stay (booking.availability)'
SELECT format($q$SELECT room_type AS "room type", to_char(night, 'Dy DD Mon') AS night,
                         format('%%s free @ %%s', available, price)
                    FROM booking.availability(%s, %L, %L)$q$, :hotel, :'d_in', :'d_out') AS show_avail \gset
:show_avail
\crosstabview

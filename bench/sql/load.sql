-- bench/sql/load.sql: the benchmark's data, loaded through the public API.
-- Run by bench/run in a fresh database with psql variables:
--   nprops   properties (1000 in a full run)
--   nnights  nights on sale per room type, from current_date + 1 (365)
--
-- Every property has 5 room types 'R1'..'R5' with a huge capacity
-- (1,000,000,000 units: the cold and hot scenarios never sell out) and a
-- price per night that differs by property and room type.  Properties
-- cycle through five time zones, so the "local today" rule is exercised
-- with real zones.  Property k (1-based) gets id k * 1024 (node 0): the
-- pgbench scripts rely on it and the last statement checks it.
--
-- One more property, 'Last Units Inn', has one room type 'LU' of 100 units
-- for the last-units scenario.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS booking;

-- psql does not substitute variables inside the DO block's quotes.
SELECT pg_catalog.set_config('bench.nprops', :'nprops', false),
       pg_catalog.set_config('bench.nnights', :'nnights', false);

DO $load$
DECLARE
    zones text[] := ARRAY['UTC', 'Europe/Lisbon', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];
    cities text[] := ARRAY['Lisbon', 'Porto', 'Paris', 'Madrid', 'Rome', 'Berlin', 'Vienna',
                           'Prague', 'Athens', 'Dublin'];
    nprops int := current_setting('bench.nprops')::int;
    nnights int := current_setting('bench.nnights')::int;
    pid bigint;
BEGIN
    FOR k IN 1 .. nprops LOOP
        pid := booking.add_property(format('Bench Hotel %s', k), cities[1 + k % 10], zones[1 + k % 5]);
        IF pid <> k * 1024 THEN
            RAISE EXCEPTION 'property % got id %, expected % (load into a fresh database)', k, pid, k * 1024;
        END IF;
        FOR r IN 1 .. 5 LOOP
            PERFORM booking.add_room_type(pid, 'R' || r, format('Room type %s', r), 1000000000,
                                          2, 50 + 20 * r + k % 40);
            PERFORM booking.open_inventory(pid, 'R' || r, current_date + 1,
                                           current_date + 1 + nnights);
        END LOOP;
    END LOOP;

    pid := booking.add_property('Last Units Inn', 'Lisbon', 'Europe/Lisbon');
    PERFORM booking.add_room_type(pid, 'LU', 'The last rooms', 100, 2, 150);
    PERFORM booking.open_inventory(pid, 'LU', current_date + 1, current_date + 61);
END
$load$;

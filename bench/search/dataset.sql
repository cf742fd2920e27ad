-- bench/search/dataset.sql: the search benchmark's dataset (version 1.1).  2,000 properties in 20
-- cities, 5 room types each, 365 nights open from current_date
-- (3.65 M inventory rows), about 5 % of nights sold out.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT setseed(0.42);
DO $$
DECLARE
    p bigint;
    c int;
    i int;
    rt text;
    codes text[] := ARRAY['SGL', 'DBL', 'TWN', 'FAM', 'STE'];
    guests int[] := ARRAY[1, 2, 2, 4, 3];
    units int[] := ARRAY[10, 20, 15, 5, 2];
    prices numeric[] := ARRAY[60, 90, 85, 140, 250];
BEGIN
    FOR i IN 1..2000 LOOP
        c := (i - 1) % 20;
        p := booking.add_property('Hotel ' || i, 'City ' || c, 'UTC');
        FOR k IN 1..5 LOOP
            PERFORM booking.add_room_type(p, codes[k], codes[k] || ' room', units[k], guests[k],
                                          prices[k] + (i % 37));
            PERFORM booking.open_inventory(p, codes[k], current_date, current_date + 365);
        END LOOP;
    END LOOP;
END $$;
-- weekend prices, and about 5 % of nights sold out (no units left to sell)
UPDATE booking.inventory SET price = price * 1.25 WHERE extract(isodow FROM night) IN (5, 6);
UPDATE booking.inventory SET units = 0 WHERE random() < 0.05;
VACUUM ANALYZE booking.inventory;
VACUUM ANALYZE booking.room_type;
VACUUM ANALYZE booking.property;
-- the direct writes above bypassed the engine: summarise them again, and
-- lay the calendar out city by city (what a DBA would schedule: CLUSTER)
SELECT booking.rebuild_calendar();
CLUSTER booking.room_calendar USING room_calendar_city_month_idx;
ANALYZE booking.room_calendar;

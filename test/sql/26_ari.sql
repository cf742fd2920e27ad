-- The ARI feed (2.0): read_ari gives a consumer every (property, room
-- type, night) whose availability, BASE price or closed state changed
-- since its last ack_ari, each once, with its values now, in change_id
-- order; a consumer's feed starts at its first read.  Reservations feed it
-- through the publisher (their events), the catalog calls directly.
\set ECHO none
\i test/sql/setup.psql
-- t.ari_settle: wait until every event is published (the sweeper, or
-- purge() when no sweeper runs), so the feed has them
CREATE OR REPLACE FUNCTION t.ari_settle() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..1000 LOOP
        PERFORM booking.purge(1);
        EXIT WHEN NOT EXISTS (SELECT FROM booking.event WHERE position IS NULL);
        PERFORM pg_sleep(0.01);
    END LOOP;
END
$$;
-- t.ari: read a consumer's feed, nights relative to current_date, and
-- remember the last change_id read in t.ari_last
CREATE TABLE IF NOT EXISTS t.ari_last (consumer text PRIMARY KEY, upto bigint);
CREATE OR REPLACE FUNCTION t.ari(c text, m int DEFAULT 1000)
RETURNS TABLE(rt text, d int, available int, price numeric, closed boolean, ordered boolean)
LANGUAGE plpgsql AS $$
DECLARE
    prev bigint := 0;
    r record;
BEGIN
    PERFORM t.ari_settle();
    FOR r IN SELECT * FROM booking.read_ari(c, m) LOOP
        rt := r.room_type; d := r.night - current_date; available := r.available;
        price := r.price; closed := r.closed; ordered := r.change_id >= prev;
        prev := r.change_id;
        RETURN NEXT;
    END LOOP;
    INSERT INTO t.ari_last VALUES (c, prev) ON CONFLICT (consumer) DO UPDATE SET upto = excluded.upto;
END
$$;
CREATE OR REPLACE FUNCTION t.ari_ack(c text) RETURNS int LANGUAGE sql AS
$$ SELECT booking.ack_ari(c, (SELECT upto FROM t.ari_last WHERE consumer = c)) $$;
\set ECHO all
SELECT booking.add_property('Ari Lodge', 'Lyon', 'Europe/Paris') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 2, 2, 100);
SELECT booking.add_room_type(:p, 'SGL', 'Single', 1, 1, 60);
SELECT booking.open_inventory(:p, 'DBL', current_date + 10, current_date + 17);
SELECT booking.open_inventory(:p, 'SGL', current_date + 10, current_date + 17);
SELECT booking.add_rate_plan(:p, 'DBL', 'FLEX', 'Flexible', NULL);

-- a consumer comes into being with its first read, which returns nothing:
-- its feed starts there (the inventory opened above is not in it)
SELECT * FROM t.ari('bcom');

-- a hold on D+11..D+13: its two nights, one free unit left of two
SELECT (booking.reserve_range(:p, 'DBL', current_date + 11, current_date + 13, 1)).reservation_id AS h1 \gset
SELECT * FROM t.ari('bcom');
-- reading acknowledges nothing: the same rows again
SELECT count(*) FROM t.ari('bcom');
-- ack_ari acknowledges them (it counts changes: one, the hold's two
-- nights), then nothing is left; again: 0
SELECT t.ari_ack('bcom') AS acked;
SELECT * FROM t.ari('bcom');
SELECT booking.ack_ari('bcom', (SELECT upto FROM t.ari_last WHERE consumer = 'bcom')) AS acked_again;

-- ten changes on one night are one row, with the latest values: five
-- holds and cancels on D+14 leave it as it was (2 free)
SELECT set_config('t.p', :'p', false) IS NOT NULL AS set;
DO $$
DECLARE
    id bigint;
BEGIN
    FOR i IN 1..5 LOOP
        id := (booking.reserve_range(current_setting('t.p')::bigint, 'DBL', current_date + 14, current_date + 15, 1)).reservation_id;
        PERFORM booking.cancel_reservation(id, 'changed my mind');
    END LOOP;
END
$$;
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;

-- the last unit of D+11..D+12 sold on the hotel's site: the feed tells the
-- channel to close it (available 0); confirming the hold changes nothing
-- (held becomes booked), so it is not in the feed
SELECT (booking.confirm_booking(:h1, 'pay-h1')).state;
SELECT (booking.reserve_range(:p, 'DBL', current_date + 11, current_date + 12, 1)).reservation_id AS h2 \gset
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;

-- a channel booking on the sold-out night overbooks it: available stays 0,
-- never below
SELECT (booking.apply_channel_booking('expedia', 'E-1', 1, 'new', :p, 'DBL', current_date + 11,
                                      current_date + 12)).reservation_id AS e1 \gset
SELECT overbooked FROM booking.inventory WHERE property_id = :p AND room_type = 'DBL' AND night = current_date + 11;
SELECT * FROM t.ari('bcom');
-- its cancellation pays the overbooking down: still 0 free
SELECT (booking.apply_channel_booking('expedia', 'E-1', 2, 'cancelled', :p, 'DBL', current_date + 11,
                                     current_date + 12)).state;
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;

-- a modify moves the stay D+11..D+13 to D+15..D+17: the old nights free
-- up, the new ones fill, one row each (D+11 still sold to h2)
SELECT (booking.modify_reservation(:h1, check_in => current_date + 15, check_out => current_date + 17)).check_in - current_date AS moved_to;
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;

-- an expired hold gives its night back
SELECT (booking.reserve_range(:p, 'SGL', current_date + 10, current_date + 11, 1)).reservation_id AS h3 \gset
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute' WHERE reservation_id = :h3;
SELECT booking.expire_holds() AS expired;
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;

-- the catalog feeds it too: open_inventory changing units (D+16: 3 units,
-- 1 booked by h1 => 2 free), set_rates on BASE (D+10: 95.00), a room
-- type's stop_sell (D+13 closed), then clear_rules (D+13 open again)
SELECT booking.open_inventory(:p, 'DBL', current_date + 16, current_date + 17, 3);
SELECT booking.set_rates(:p, 'DBL', 'BASE', current_date + 10, current_date + 11, 95);
SELECT booking.set_rules(:p, 'DBL', current_date + 13, current_date + 14, stop_sell => true);
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;
SELECT booking.clear_rules(:p, 'DBL', current_date + 13, current_date + 14);
SELECT * FROM t.ari('bcom');
SELECT t.ari_ack('bcom') AS acked;
-- a plan's own rules and rates change none of the three: nothing in the feed
SELECT booking.set_rules(:p, 'DBL', current_date + 12, current_date + 13, stop_sell => true, rate_plan => 'FLEX');
SELECT booking.set_rates(:p, 'DBL', 'FLEX', current_date + 12, current_date + 13, 130);
SELECT * FROM t.ari('bcom');

-- max: the first changes in change_id order, as many as make max nights;
-- acknowledging them leaves the rest for the next read (five changes of
-- one night each: 2, then 3)
SELECT sum(booking.set_rates(:p, 'SGL', 'BASE', current_date + d, current_date + d + 1, 60 + d))
  FROM generate_series(10, 14) d;
SELECT * FROM t.ari('bcom', 2);
SELECT t.ari_ack('bcom') AS acked;
SELECT * FROM t.ari('bcom', 1000);
SELECT t.ari_ack('bcom') AS acked;
-- one change is never split: a change of 5 nights comes whole, even
-- with max 2, and one ack (of that one change) takes all of it
SELECT booking.set_rates(:p, 'SGL', 'BASE', current_date + 10, current_date + 15, 65);
SELECT * FROM t.ari('bcom', 2);
SELECT t.ari_ack('bcom') AS acked;
SELECT count(*) FROM t.ari('bcom');

-- each consumer has its own acknowledgement: a second consumer created
-- now sees only what changes from now on
SELECT count(*) FROM t.ari('airbnb');
SELECT booking.set_rates(:p, 'SGL', 'BASE', current_date + 16, current_date + 17, 70);
SELECT * FROM t.ari('airbnb');
SELECT * FROM t.ari('bcom');

-- a snapshot taken with availability() after the first read, plus the
-- feed from then on, is the live state
SELECT count(*) FROM t.ari('mirror');
CREATE TABLE t.ari_mirror AS
SELECT room_type, night, available, price, false AS closed
  FROM booking.availability(:p, current_date + 10, current_date + 17);
SELECT (booking.reserve_range(:p, 'DBL', current_date + 12, current_date + 16, 1)).reservation_id AS h4 \gset
SELECT (booking.cancel_reservation(:h2, 'gone')).state;
SELECT (booking.modify_reservation(:h4, check_out => current_date + 14)).check_out - current_date AS shrunk_to;
SELECT (booking.apply_channel_booking('expedia', 'E-2', 1, 'new', :p, 'SGL', current_date + 12,
                                      current_date + 15)).state AS channel_booked;
SELECT booking.set_rules(:p, 'SGL', current_date + 16, current_date + 17, stop_sell => true);
SELECT booking.set_rates(:p, 'DBL', 'BASE', current_date + 14, current_date + 16, 110);
SELECT t.ari_settle();
WITH feed AS (SELECT * FROM booking.read_ari('mirror'))
MERGE INTO t.ari_mirror m
USING feed f ON m.room_type = f.room_type AND m.night = f.night
WHEN MATCHED THEN UPDATE SET available = f.available, price = f.price, closed = f.closed
WHEN NOT MATCHED THEN INSERT VALUES (f.room_type, f.night, f.available, f.price, f.closed);
SELECT coalesce(m.room_type, l.room_type) AS rt, coalesce(m.night, l.night) - current_date AS d,
       m.available AS mirror, l.available AS live, m.price AS mirror_price, l.price AS live_price
  FROM t.ari_mirror m
  FULL JOIN booking.availability(:p, current_date + 10, current_date + 17) l USING (room_type, night)
 WHERE m.available IS DISTINCT FROM l.available OR m.price IS DISTINCT FROM l.price;
SELECT m.room_type, m.night - current_date AS d FROM t.ari_mirror m
 WHERE m.closed IS DISTINCT FROM EXISTS (SELECT FROM booking.stay_rule s
                                          WHERE s.property_id = :p AND s.room_type = m.room_type
                                            AND s.night = m.night AND s.stop_sell);
SELECT count(*) AS closed_nights FROM t.ari_mirror WHERE closed;

-- one read over two properties and room types, each changed on stretches
-- of nights apart (each stretch is read with one index scan of its own): a
-- night changed twice comes once, under its later change; the rows come in
-- change_id order, then night; a stop-sell closes its night in a stretch
SELECT booking.add_property('Ari Annex', 'Lyon', 'Europe/Paris') AS p2 \gset
SELECT booking.add_room_type(:p2, 'DBL', 'Double', 1, 2, 80);
SELECT booking.open_inventory(:p2, 'DBL', current_date + 10, current_date + 17);
SELECT count(*) FROM t.ari('mixed');
SELECT booking.set_rates(:p, 'DBL', 'BASE', current_date + 15, current_date + 16, 120);
SELECT booking.set_rates(:p2, 'DBL', 'BASE', current_date + 10, current_date + 12, 81);
SELECT booking.set_rates(:p, 'SGL', 'BASE', current_date + 10, current_date + 11, 61);
SELECT booking.set_rates(:p2, 'DBL', 'BASE', current_date + 14, current_date + 16, 82);
SELECT booking.set_rates(:p, 'DBL', 'BASE', current_date + 15, current_date + 17, 125);
SELECT booking.set_rules(:p2, 'DBL', current_date + 14, current_date + 15, stop_sell => true);
SELECT n, dense_rank() OVER (ORDER BY change_id) AS change,
       CASE property_id WHEN :p THEN 'lodge' ELSE 'annex' END AS property,
       room_type AS rt, night - current_date AS d, available, price, closed
  FROM booking.read_ari('mixed') WITH ORDINALITY AS r(change_id, property_id, room_type, night,
                                                      available, price, closed, n)
 ORDER BY n;

-- errors
SELECT t.try($$SELECT * FROM booking.read_ari('bcom', 0)$$);
SELECT t.try($$SELECT * FROM booking.read_ari('bcom', 10001)$$);
SELECT t.try($$SELECT * FROM booking.read_ari('', 10)$$);
SELECT t.try($$SELECT * FROM booking.read_ari(NULL, 10)$$);
SELECT t.try($$SELECT * FROM booking.read_ari(repeat('x', 201), 10)$$);
SELECT t.try($$SELECT booking.ack_ari('nobody', 1)$$);
SELECT t.try($$SELECT booking.ack_ari('bcom', NULL)$$);
SELECT regexp_replace(t.try(format('SELECT booking.ack_ari(%L, %s)', 'bcom',
                                   (SELECT max(change_id) + 1 FROM booking.ari_change))),
                      '\m\d+\M', 'N', 'g') AS beyond_latest;
-- acknowledging never goes back
SELECT booking.ack_ari('bcom', 1) AS acked_backwards;

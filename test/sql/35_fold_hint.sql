-- The fold's hints (src/fold_hint.c): publishing reads a calendar row
-- where this process last wrote it, and uses what it finds there only
-- when that version is the one its snapshot sees, with the same key;
-- otherwise it walks the calendar's primary key.  Each case below leaves
-- the hint pointing somewhere else: a version written over by hand, a
-- place VACUUM gave to another row, a block the table no longer has.
-- A fold that trusted the hint would add a stay's change to the wrong
-- row (check_invariants names it) or fail to read the block.
-- In a database of its own, which no sweeper serves (every fold is this
-- session's, read_events publishing), with autovacuum off on the
-- calendar so that the places rows take are this file's doing.
\set ECHO none
\i test/sql/setup.psql
\set ECHO all
\set regress_db :DBNAME
CREATE DATABASE booking_fold_hint;
\c booking_fold_hint
SET client_min_messages = warning;
CREATE EXTENSION booking;
SET timezone = 'UTC';
ALTER TABLE booking.room_calendar SET (autovacuum_enabled = false);
SELECT booking.add_property('Hint House', 'Leiria', 'UTC') AS h \gset
SELECT count(*) AS room_types FROM unnest('{A,B,C,D}'::text[]) rt,
       LATERAL booking.add_room_type(:h, rt, 'Room ' || rt, 50, 2, 10);
SELECT date_trunc('month', current_date + 60)::date AS m \gset
SELECT count(*) AS opened FROM unnest('{A,B,C,D}'::text[]) rt,
       LATERAL booking.open_inventory(:h, rt, :'m'::date, :'m'::date + 4);
CREATE FUNCTION pg_temp.hold_and_publish(property bigint, room_type text, first date) RETURNS text
LANGUAGE sql AS $$
  SELECT booking.reserve_range(property, room_type, first + 1, first + 3);
  SELECT 'published ' || count(*) FROM booking.read_events('fold-hint-test', 1000);
$$;
CREATE VIEW pg_temp.days AS
  SELECT room_type, free[1:4] FROM booking.room_calendar ORDER BY room_type;

-- the place of the hint given to another row: the first fold of A walks
-- the index and writes A's new version; A moves on by hand, VACUUM frees
-- that place, and room type E's new calendar row takes it
SELECT pg_temp.hold_and_publish(:h, 'A', :'m');
SELECT ctid AS a_hint FROM booking.room_calendar WHERE room_type = 'A' \gset
UPDATE booking.room_calendar SET free = free WHERE room_type = 'A';
VACUUM booking.room_calendar;
SELECT count(*) AS room_types FROM booking.add_room_type(:h, 'E', 'Room E', 50, 2, 10);
SELECT count(*) AS opened FROM booking.open_inventory(:h, 'E', :'m'::date, :'m'::date + 4);
SELECT ctid = :'a_hint' AS e_at_the_hint FROM booking.room_calendar WHERE room_type = 'E';
SELECT pg_temp.hold_and_publish(:h, 'A', :'m');
SELECT * FROM pg_temp.days;
SELECT count(*) AS problems FROM booking.check_invariants();

-- the next fold of A reads A where the last one wrote it
SELECT pg_temp.hold_and_publish(:h, 'A', :'m');
SELECT * FROM pg_temp.days;
SELECT count(*) AS problems FROM booking.check_invariants();

-- A written over by hand: the version at the hint is no longer the one a
-- snapshot sees
UPDATE booking.room_calendar SET free = free WHERE room_type = 'A';
SELECT pg_temp.hold_and_publish(:h, 'A', :'m');
SELECT * FROM pg_temp.days;
SELECT count(*) AS problems FROM booking.check_invariants();

-- the block of the hint gone: A's versions pushed past the first block,
-- a fold writes A there, then the table is written again in one block
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    UPDATE booking.room_calendar SET free = free WHERE room_type = 'A';
  END LOOP;
END
$$;
SELECT pg_temp.hold_and_publish(:h, 'A', :'m');
SELECT (ctid::text::point)[0] > 0 AS hint_past_first_block
  FROM booking.room_calendar WHERE room_type = 'A';
CREATE TEMP TABLE calendar_copy AS SELECT * FROM booking.room_calendar;
TRUNCATE booking.room_calendar;
INSERT INTO booking.room_calendar SELECT * FROM calendar_copy ORDER BY room_type;
SELECT pg_relation_size('booking.room_calendar') / current_setting('block_size')::int AS blocks;
SELECT pg_temp.hold_and_publish(:h, 'A', :'m');
SELECT * FROM pg_temp.days;
SELECT count(*) AS problems FROM booking.check_invariants();

-- a fold rolled back: B's first fold writes B's new version and its hint,
-- then the statement fails (publishing runs only outside a transaction
-- block, so the failure is the statement's own); the version at the hint
-- is not seen, and the next fold of B finds B by the index
SELECT count(*) AS held FROM booking.reserve_range(:h, 'B', :'m'::date + 1, :'m'::date + 3);
SELECT count(*) / 0 AS fails_after_publishing FROM booking.read_events('fold-hint-test', 1000);
SELECT * FROM pg_temp.days;
SELECT pg_temp.hold_and_publish(:h, 'B', :'m');
SELECT pg_temp.hold_and_publish(:h, 'B', :'m');
SELECT * FROM pg_temp.days;
SELECT count(*) AS problems FROM booking.check_invariants();

\c :regress_db
DROP DATABASE booking_fold_hint;

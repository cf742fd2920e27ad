-- booking.calendar (2.0) shows blocks and the waitlist: under a room
-- type's row, when some day of the month has them, a row `<code> blocked`
-- with the rooms set aside for blocks (not picked up) and a row `<code>
-- waiting` with the rooms waiting entries want; nothing more for a room
-- type without them.  Days are read out of the grid by their position
-- (three characters a day), so the test does not depend on the month.
\set ECHO none
\i test/sql/setup.psql
-- t.cal_day: what the calendar row `label` shows on day current_date + n
-- ('' when blank, or when the month of that day has no such row)
CREATE OR REPLACE FUNCTION t.cal_day(p bigint, label text, n int) RETURNS text LANGUAGE sql AS
$$ SELECT coalesce(trim(substr(c.days, 3 * extract(day FROM current_date + n)::int - 2, 3)), '')
     FROM (SELECT 1) one
     LEFT JOIN booking.calendar(p, current_date + n) c ON c.room_type = label $$;
\set ECHO all
SELECT booking.add_property('Calendar Court', 'Evora', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 3, 2, 100);
SELECT booking.add_room_type(:p, 'SGL', 'Single', 2, 1, 60);
SELECT booking.open_inventory(:p, 'DBL', current_date + 1, current_date + 40);
SELECT booking.open_inventory(:p, 'SGL', current_date + 1, current_date + 40);

-- nothing set aside, nobody waiting: no extra rows
SELECT count(*) AS extra_rows FROM booking.calendar(:p, current_date + 10)
 WHERE room_type LIKE '% blocked' OR room_type LIKE '% waiting';

-- a block of 2 doubles on D+10..D+12, one picked up on D+10 only
SELECT booking.create_block(:p, 'DBL', 'TEAM', current_date + 10, current_date + 12, 2);
SELECT (booking.reserve_range(:p, 'DBL', current_date + 10, current_date + 11, block => 'TEAM')).block;
-- D+10: 3 units, 1 picked up (held), 1 still blocked => 1 free; D+11: 2
-- blocked => 1 free; D+12: no block => 3 free
SELECT t.cal_day(:p, 'DBL', 10) AS dbl_10, t.cal_day(:p, 'DBL blocked', 10) AS blocked_10,
       t.cal_day(:p, 'DBL', 11) AS dbl_11, t.cal_day(:p, 'DBL blocked', 11) AS blocked_11,
       t.cal_day(:p, 'DBL', 12) AS dbl_12, t.cal_day(:p, 'DBL blocked', 12) AS blocked_12;
SELECT count(*) AS sgl_blocked_rows FROM booking.calendar(:p, current_date + 10) WHERE room_type = 'SGL blocked';

-- the singles sell out on D+20 and a guest waits for 1 room on D+20..D+21
SELECT count(booking.reserve_range(:p, 'SGL', current_date + 20, current_date + 21, 2));
SELECT booking.join_waitlist(:p, 'SGL', current_date + 20, current_date + 22, 1, 'w1') IS NOT NULL AS joined;
SELECT t.cal_day(:p, 'SGL', 20) AS sgl_20, t.cal_day(:p, 'SGL waiting', 20) AS waiting_20,
       t.cal_day(:p, 'SGL waiting', 21) AS waiting_21, t.cal_day(:p, 'SGL waiting', 22) AS waiting_22;

-- released, the block's row goes: its rooms are on public sale
SELECT booking.release_block(:p, 'TEAM') AS released;
SELECT t.cal_day(:p, 'DBL', 10) AS dbl_10, t.cal_day(:p, 'DBL blocked', 10) AS blocked_10,
       t.cal_day(:p, 'DBL', 11) AS dbl_11;
SELECT count(*) AS problems FROM booking.check_invariants();

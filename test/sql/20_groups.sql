-- Groups (2.0): reserve_group holds N lines all or nothing under one key
-- and one deadline; confirm_group confirms them with one payment_ref;
-- cancel_group cancels them; a line may be cancelled alone.
\set ECHO none
\i test/sql/setup.psql
-- t.err: t.try with ids written N
CREATE OR REPLACE FUNCTION t.err(sql text) RETURNS text LANGUAGE sql AS
$$ SELECT regexp_replace(regexp_replace(t.try(sql), '(group|id|line(s)? of group) \d+', '\1 N', 'g'),
                         'reserve_group\(\d+', 'reserve_group(N', 'g') $$;
-- t.line: a line as the tests show it
CREATE OR REPLACE FUNCTION t.line(r booking.reservation, g bigint) RETURNS text LANGUAGE sql AS
$$ SELECT format('%s %s D+%s..D+%s x%s guests=%s total=%s group=%s ref=%s', r.state, r.room_type,
                 r.check_in - current_date, r.check_out - current_date, r.rooms,
                 coalesce(r.guests::text, '-'), r.total_price,
                 CASE WHEN r.group_id IS NULL THEN '-' WHEN g IS NULL OR r.group_id = g THEN 'G' ELSE 'other' END,
                 coalesce(r.payment_ref, '-')) $$;
-- t.lines: a group's lines, in line order
CREATE OR REPLACE FUNCTION t.lines(g bigint) RETURNS SETOF text LANGUAGE sql AS
$$ SELECT t.line(r, g) FROM booking.reservation r WHERE r.group_id = g ORDER BY r.reservation_id $$;
-- t.l: one line's JSON
CREATE OR REPLACE FUNCTION t.l(rt text, ci int, co int, rooms int DEFAULT NULL, guests int DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_strip_nulls(jsonb_build_object('room_type', rt, 'check_in', current_date + ci,
                                               'check_out', current_date + co, 'rooms', rooms,
                                               'guests', guests)) $$;
\set ECHO all
SELECT booking.add_property('Family Hotel', 'Groupton', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 2, 2, 100);
SELECT booking.add_room_type(:p, 'SGL', 'Single', 1, 1, 60);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 40);
SELECT booking.open_inventory(:p, 'SGL', current_date, current_date + 40);

-- a family books a double and a single at once: one row per line, in line
-- order; the group's id is its first line's reservation_id
SELECT reservation_id AS g FROM booking.reserve_group(:p,
    jsonb_build_array(t.l('DBL', 5, 8, 1, 2), t.l('SGL', 5, 7)), 'fam', 'fam-1', '20 minutes')
 LIMIT 1 \gset
SELECT t.lines(:g);
SELECT count(DISTINCT hold_expires_at) AS one_deadline, bool_and(guest_id = 'fam') AS one_guest
  FROM booking.reservation WHERE group_id = :g;
SELECT * FROM t.inv(:p, 'DBL', 4, 9);
SELECT * FROM t.inv(:p, 'SGL', 4, 9);
-- each line's nights keep their prices; one reserved event per line, naming the group
SELECT r.room_type, n.night - current_date AS d, n.price
  FROM booking.reservation_night n JOIN booking.reservation r USING (reservation_id)
 WHERE r.group_id = :g ORDER BY r.reservation_id, n.night;
SELECT kind, (payload->>'group_id')::bigint = :g AS names_group, free_delta
  FROM booking.event WHERE reservation_id IN (SELECT reservation_id FROM booking.reservation WHERE group_id = :g)
 ORDER BY event_id;

-- the same key and lines again: the same group, nothing new held
SELECT t.line(r, :g) FROM booking.reserve_group(:p,
    jsonb_build_array(t.l('DBL', 5, 8, 1, 2), t.l('SGL', 5, 7)), 'fam', 'fam-1', '20 minutes') r;
SELECT * FROM t.inv(:p, 'DBL', 5, 6);
-- the same key with other lines, or for reserve_range: BK004
SELECT t.err(format($$SELECT booking.reserve_group(%s, '[{"room_type": "DBL", "check_in": "%s", "check_out": "%s"}]', 'fam', 'fam-1', '20 minutes')$$,
                    :p, to_char(current_date + 5, 'YYYY-MM-DD'), to_char(current_date + 8, 'YYYY-MM-DD'))) AS other_lines;
SELECT t.err(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 5, current_date + 8, 1, 'fam', 'fam-1')$$, :p)) AS other_function;

-- lines that share a room type and nights are counted together: two DBL
-- units on D+20; line 1 takes one, line 2 asks for two, so line 2 fails,
-- named, and nothing is held
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('DBL', 19, 21), t.l('SGL', 20, 21), t.l('DBL', 20, 22, 2)))) AS counted_together;
SELECT * FROM t.inv(:p, 'DBL', 19, 22);
SELECT * FROM t.inv(:p, 'SGL', 20, 21);
-- each fits alone, and they fit together when the total does
SELECT t.line(r, NULL) FROM booking.reserve_group(:p,
    jsonb_build_array(t.l('DBL', 19, 21), t.l('DBL', 20, 22))) r;
SELECT * FROM t.inv(:p, 'DBL', 19, 22);
-- the group's nights are all taken: the next group's first line is short
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('DBL', 20, 21), t.l('SGL', 20, 21)))) AS full_night;

-- every refusal of a line names it: its number (from 1) and room type
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('SGL', 30, 31), t.l('TRP', 30, 31)))) AS unknown_room_type;
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('DBL', 30, 31, 1, 2), t.l('SGL', 30, 31, 1, 2)))) AS too_many_guests;
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('DBL', 30, 31), t.l('SGL', -1, 1)))) AS in_the_past;
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('DBL', 30, 31), t.l('SGL', 39, 42)))) AS not_on_sale;
SELECT t.err(format($$SELECT booking.reserve_group(%s, %L)$$, :p,
    jsonb_build_array(t.l('DBL', 31, 30)))) AS backwards;
-- malformed lines: 22023 (22007 for a date that is not one), the line named
SELECT t.err(format($$SELECT booking.reserve_group(%s, '%s')$$, :p, l)) AS malformed
  FROM unnest(ARRAY[
      '[]', '{"room_type": "DBL"}', '"DBL"', '[1]',
      '[{"room_type": "DBL", "check_in": "2030-01-01"}]',
      '[{"room_type": "DBL", "check_in": "2030-01-01", "check_out": "2030-01-02", "room": 1}]',
      '[{"room_type": "DBL", "check_in": "2030-01-01", "check_out": "2030-01-02", "rooms": 0}]',
      '[{"room_type": "DBL", "check_in": "2030-01-01", "check_out": "2030-01-02", "rooms": 1.5}]',
      '[{"room_type": "DBL", "check_in": "2030-01-01", "check_out": "2030-01-02", "rooms": "2"}]',
      '[{"room_type": "DBL", "check_in": "2030-01-01", "check_out": "2030-01-02", "guests": 0}]',
      '[{"room_type": 7, "check_in": "2030-01-01", "check_out": "2030-01-02"}]',
      '[{"room_type": "DBL", "check_in": "soon", "check_out": "2030-01-02"}]',
      '[{"room_type": "DBL", "check_in": "today", "check_out": "2030-01-02"}]',
      '[{"room_type": "DBL", "check_in": "2030-01-01", "check_out": "01/02/2030"}]']) AS l;
-- a day that is not in the calendar (2030 is not a leap year)
DO $$ BEGIN
    PERFORM booking.reserve_group(1, '[{"room_type": "DBL", "check_in": "2030-02-29", "check_out": "2030-03-02"}]');
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE '22023: %', SQLERRM;
END $$;
SELECT t.err(format($$SELECT booking.reserve_group(%s, (SELECT jsonb_agg(t.l('DBL', 30, 31)) FROM generate_series(1, 101)))$$, :p)) AS too_many_lines;
SELECT t.err($$SELECT booking.reserve_group(NULL, '[]')$$) AS no_property;
SELECT count(*) AS nothing_held_by_refusals FROM booking.inventory
 WHERE property_id = :p AND night >= current_date + 30 AND held + booked > 0;

-- one payment confirms the whole group
SELECT t.line(r, :g) FROM booking.confirm_group(:g, 'pay-fam', 'fam') r;
SELECT * FROM t.inv(:p, 'DBL', 5, 8);
SELECT * FROM t.inv(:p, 'SGL', 5, 7);
SELECT count(DISTINCT confirmation_code) AS codes FROM booking.reservation WHERE group_id = :g;
SELECT kind, free_delta, payload->>'payment_ref' AS payment_ref FROM booking.event
 WHERE reservation_id IN (SELECT reservation_id FROM booking.reservation WHERE group_id = :g)
   AND kind = 'confirmed' ORDER BY event_id;
-- a repeat returns the group unchanged; another payment_ref is BK003
SELECT t.line(r, :g) FROM booking.confirm_group(:g, 'pay-fam') r;
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-other')$$, :g)) AS other_ref;
-- the payment_ref pays this group only: a lone reservation cannot use it
SELECT reservation_id AS lone FROM booking.reserve_range(:p, 'SGL', current_date + 25, current_date + 26) \gset
SELECT t.err(format($$SELECT booking.confirm_booking(%s, 'pay-fam')$$, :lone)) AS ref_of_a_group;
-- find_reservation(payment_ref) gives the group's first line
SELECT reservation_id = :g AS first_line FROM booking.find_reservation(payment_ref => 'pay-fam');
-- a line is confirmed with its group, not alone
SELECT reservation_id AS held_line FROM booking.reserve_group(:p,
    jsonb_build_array(t.l('SGL', 27, 28), t.l('DBL', 27, 28)), 'kim') ORDER BY reservation_id DESC LIMIT 1 \gset
SELECT t.err(format($$SELECT booking.confirm_booking(%s, 'pay-kim')$$, :held_line)) AS line_alone;
SELECT group_id AS g2 FROM booking.reservation WHERE reservation_id = :held_line \gset
-- another group cannot use a payment_ref that paid for the first
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-fam')$$, :g2)) AS ref_of_another_group;

-- ownership: another guest's group is BK005 in the words of a missing one
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-x', 'eve')$$, :g2)) AS not_hers;
SELECT t.err($$SELECT booking.confirm_group(999999999, 'pay-x')$$) AS no_group;
SELECT t.err(format($$SELECT booking.cancel_group(%s, 'no', 'eve')$$, :g2)) AS not_hers_cancel;
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-x')$$, :held_line)) AS not_a_group_id;

-- a line cancelled alone: the rest is confirmed, and the first line, cancelled,
-- still carries the payment_ref (it holds it for the whole group)
SELECT t.line(r, :g2) FROM booking.cancel_reservation(:g2, 'single not needed', 'kim') r;
SELECT t.line(r, :g2) FROM booking.confirm_group(:g2, 'pay-kim', 'kim') r;
SELECT t.err(format($$SELECT booking.confirm_booking(%s, 'pay-kim')$$, :lone)) AS ref_still_the_groups;

-- late payment, judged per line: both lines expire; one line's room is sold
-- meanwhile: BK002 naming that line, nothing changes; once free, both confirm
SELECT reservation_id AS g3 FROM booking.reserve_group(:p,
    jsonb_build_array(t.l('DBL', 33, 35), t.l('SGL', 33, 34)), 'lee') LIMIT 1 \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute' WHERE group_id = :g3;
SELECT booking.expire_holds(100) AS expired;
SELECT reservation_id AS taker FROM booking.reserve_range(:p, 'SGL', current_date + 33, current_date + 34) \gset
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-lee')$$, :g3)) AS rooms_gone;
SELECT t.lines(:g3);
SELECT * FROM t.inv(:p, 'DBL', 33, 35);
SELECT (booking.cancel_reservation(:taker)).state AS freed;
SELECT t.line(r, :g3) FROM booking.confirm_group(:g3, 'pay-lee') r;
SELECT * FROM t.inv(:p, 'DBL', 33, 35);
SELECT * FROM t.inv(:p, 'SGL', 33, 34);

-- cancel_group: every line that holds rooms, its units back; a repeat changes nothing
SELECT t.line(r, :g) FROM booking.cancel_group(:g, 'plans changed', 'fam') r;
SELECT DISTINCT cancel_reason FROM booking.reservation WHERE group_id = :g;
SELECT * FROM t.inv(:p, 'DBL', 5, 8);
SELECT * FROM t.inv(:p, 'SGL', 5, 7);
SELECT t.line(r, :g) FROM booking.cancel_group(:g) r;
SELECT kind, count(*) FROM booking.event
 WHERE reservation_id IN (SELECT reservation_id FROM booking.reservation WHERE group_id = :g)
 GROUP BY kind ORDER BY kind;
-- a cancelled group cannot be paid
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-late')$$, :g)) AS all_cancelled;

SELECT * FROM booking.check_invariants();
-- dead holds: a group short of units expires the holds past their deadline
-- on its nights (each once, when one lies on two runs of nights of a room
-- type, or two lie on one night) and takes their units
BEGIN;
SELECT reservation_id AS dead FROM booking.reserve_range(:p, 'DBL', current_date + 36, current_date + 39, 2) \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute' WHERE reservation_id = :dead;
SELECT t.line(r, NULL) FROM booking.reserve_group(:p, jsonb_build_array(t.l('DBL', 36, 37), t.l('DBL', 38, 39))) r;
SELECT state FROM booking.reservation WHERE reservation_id = :dead;
SELECT reservation_id AS dead1 FROM booking.reserve_range(:p, 'DBL', current_date + 29, current_date + 31) \gset
SELECT reservation_id AS dead2 FROM booking.reserve_range(:p, 'DBL', current_date + 30, current_date + 33) \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 minute' WHERE reservation_id IN (:dead1, :dead2);
SELECT t.line(r, NULL) FROM booking.reserve_group(:p, jsonb_build_array(t.l('DBL', 29, 30, 2), t.l('DBL', 32, 33, 2))) r;
SELECT state, count(*) FROM booking.reservation WHERE reservation_id IN (:dead1, :dead2) GROUP BY state;
SELECT * FROM t.inv(:p, 'DBL', 29, 33);
COMMIT;

-- check_invariants judges every line against its group: a confirmed line
-- without its first line's payment_ref (written behind the engine's back)
BEGIN;
UPDATE booking.reservation SET payment_ref = 'pay-other' WHERE group_id = :g3 AND reservation_id <> :g3;
SELECT regexp_replace(t.rel(problem), 'group \d+', 'group N') AS problem FROM booking.check_invariants();
ROLLBACK;

-- A group whose first line has checked in: confirm_group again with its
-- payment_ref is a repeat (the group unchanged), and cancel_group cancels
-- the lines that still only hold rooms, leaving the begun stay as it is
-- (never BK003)
SELECT booking.add_property('Arrival Inn', 'Groupton', 'UTC') AS pa \gset
SELECT booking.add_room_type(:pa, 'DBL', 'Double', 2, 2, 100);
SELECT booking.open_inventory(:pa, 'DBL', current_date, current_date + 10);
SELECT reservation_id AS ga FROM booking.reserve_group(:pa,
    jsonb_build_array(t.l('DBL', 0, 3), t.l('DBL', 1, 3))) LIMIT 1 \gset
SELECT count(*) AS confirmed FROM booking.confirm_group(:ga, 'pay-arrival');
SELECT state FROM booking.check_in(:ga);
SELECT t.line(r, :ga) FROM booking.confirm_group(:ga, 'pay-arrival') r;
SELECT t.err(format($$SELECT booking.confirm_group(%s, 'pay-other')$$, :ga)) AS other_ref;
SELECT t.line(r, :ga) FROM booking.cancel_group(:ga, 'plans changed') r;
SELECT t.line(r, :ga) FROM booking.cancel_group(:ga) r;
SELECT night - current_date AS night, held, booked FROM booking.inventory
 WHERE property_id = :pa AND night < current_date + 3 ORDER BY night;
SELECT count(*) AS problems FROM booking.check_invariants();

-- reserve_group is public sale too: it never takes units that a waiting
-- entry fits into first (docs/waitlist.md).  Its dead-hold path offers
-- the units it frees to the waitlist before it counts them, as
-- reserve_range's does; a unit left free on a night that entries want
-- (a freeing transaction could not offer it: the spec
-- race_waitlist_group) is offered before the group counts.
\set ECHO none
\i test/sql/setup.psql
CREATE OR REPLACE FUNCTION t.gl(rt text, ci int, co int) RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_build_object('room_type', rt, 'check_in', current_date + ci, 'check_out', current_date + co) $$;
CREATE OR REPLACE FUNCTION t.entries(p bigint) RETURNS TABLE(guest_id text, state text, offer text) LANGUAGE sql AS
$$ SELECT w.guest_id, w.state::text, r.state::text FROM booking.waitlist w
     LEFT JOIN booking.reservation r USING (reservation_id)
    WHERE w.property_id = p ORDER BY w.waitlist_id $$;
\set ECHO all
SELECT booking.add_property('Group Wait Inn', 'Braga', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'ONE', 'One room', 1, 2, 100);
SELECT booking.add_room_type(:p, 'TWO', 'Two rooms', 2, 2, 80);
SELECT booking.open_inventory(:p, rt, current_date + 1, current_date + 30) FROM unnest('{ONE,TWO}'::text[]) rt;

-- 1. Ann holds ONE on nights 5..6; Bob waits for the same stay
SELECT (booking.reserve_range(:p, 'ONE', current_date + 5, current_date + 7, 1, 'ann')).reservation_id AS ann \gset
SELECT booking.join_waitlist(:p, 'ONE', current_date + 5, current_date + 7, 1, 'bob') > 0 AS bob_joined;
-- Ann's hold dies; a group asks for ONE and TWO on those nights: its
-- dead-hold path expires Ann's hold and offers the room to Bob first, so
-- the group finds nothing free: BK001 (before 2.0's fix it took the room)
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :ann;
SELECT t.try(format('SELECT booking.reserve_group(%s, %L, %L)', :p,
                    jsonb_build_array(t.gl('ONE', 5, 7), t.gl('TWO', 5, 7)), 'grp'));
-- the error rolled the expiry and the offer back with the rest, as
-- reserve_range's does; the sweeper's round (expire_holds here) makes them
SELECT count(*) AS group_lines FROM booking.reservation WHERE guest_id = 'grp';  -- 0: all or nothing
SELECT booking.expire_holds() AS expired;  -- 1
SELECT state FROM booking.reservation WHERE reservation_id = :ann;  -- expired
SELECT * FROM t.entries(:p);  -- bob offered, his offer held
SELECT * FROM t.inv(:p, 'ONE', 5, 7);  -- held 1: Bob's offer
SELECT * FROM t.inv(:p, 'TWO', 5, 7);  -- held 0
SELECT t.try(format('SELECT booking.reserve_group(%s, %L, %L)', :p,
                    jsonb_build_array(t.gl('ONE', 5, 7), t.gl('TWO', 5, 7)), 'grp'));  -- BK001 still

-- 2. with no one waiting, the dead-hold path gives the group the room
SELECT (booking.reserve_range(:p, 'ONE', current_date + 10, current_date + 12, 1, 'cat')).reservation_id AS cat \gset
UPDATE booking.reservation SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = :cat;
SELECT room_type, state, check_in - current_date AS ci FROM booking.reserve_group(:p,
    jsonb_build_array(t.gl('ONE', 10, 12), t.gl('TWO', 10, 12)), 'grp2') ORDER BY room_type;
SELECT state FROM booking.reservation WHERE reservation_id = :cat;  -- expired

-- 3. an entry that waits for more rooms than are free keeps waiting, and
-- the group takes what is free: TWO has 2 units, one held by Dan; Eve
-- waits for 2 rooms on nights 15..16
SELECT state FROM booking.reserve_range(:p, 'TWO', current_date + 15, current_date + 17, 1, 'dan');
SELECT booking.join_waitlist(:p, 'TWO', current_date + 15, current_date + 17, 2, 'eve') > 0 AS eve_joined;
SELECT room_type, state FROM booking.reserve_group(:p, jsonb_build_array(t.gl('TWO', 15, 17)), 'grp3');
SELECT * FROM t.entries(:p) WHERE guest_id = 'eve';  -- waiting
SELECT * FROM t.inv(:p, 'TWO', 15, 17);  -- held 2

SELECT count(*) AS problems FROM booking.check_invariants();  -- 0

-- Group blocks (2.0): create_block sets rooms aside per night
-- (inventory.blocked, out of public sale); reserve_range(..., block =>)
-- picks them up and never fails for public sales; release_block and the
-- cutoffs (release_at, or release_days before each night at 00:00 local
-- time, driven here through release_due_blocks()) put what is not picked
-- up back on sale.  A cancelled pickup goes back to its block while the
-- block night is live, on public sale once it is released.
\set ECHO none
\i test/sql/setup.psql
-- t.blk_inv: a room type's nights with blocked, relative to current_date
CREATE OR REPLACE FUNCTION t.blk_inv(p bigint, rt text, first int, last int)
RETURNS TABLE(d int, units int, held int, booked int, blocked int) LANGUAGE sql AS
$$ SELECT night - current_date, units, held, booked, blocked FROM booking.inventory
    WHERE property_id = p AND room_type = rt
      AND night >= current_date + first AND night < current_date + last
    ORDER BY night $$;
-- t.blk_nights: a block's nights
CREATE OR REPLACE FUNCTION t.blk_nights(p bigint, c text)
RETURNS TABLE(d int, rooms int, picked int, released boolean) LANGUAGE sql AS
$$ SELECT night - current_date, rooms, picked, released FROM booking.block_night
    WHERE property_id = p AND code = c ORDER BY night $$;
-- t.blk_avail: what availability() shows of a room type (public free units)
CREATE OR REPLACE FUNCTION t.blk_avail(p bigint, rt text, first int, last int)
RETURNS TABLE(d int, available int) LANGUAGE sql AS
$$ SELECT night - current_date, available
     FROM booking.availability(p, current_date + first, current_date + last)
    WHERE room_type = rt ORDER BY night $$;
\set ECHO all
SELECT booking.add_property('Wedding Hall', 'Evora', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'KNG', 'King', 5, 2, 100);
SELECT booking.add_room_type(:p, 'TWN', 'Twin', 2, 2, 80);
SELECT booking.open_inventory(:p, 'KNG', current_date + 10, current_date + 13);
SELECT booking.open_inventory(:p, 'TWN', current_date + 10, current_date + 13);

-- 3 of the 5 KNG rooms set aside on D+10..D+12: blocked 3, public free 5 - 3 = 2
SELECT booking.create_block(:p, 'KNG', 'WED', current_date + 10, current_date + 13, 3);
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);
SELECT * FROM t.blk_nights(:p, 'WED');
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 13);                 -- 2 each night
SELECT night - current_date AS d, available FROM booking.quote(:p, 'KNG', current_date + 10, current_date + 13);
SELECT * FROM booking.check_invariants();

-- a pickup of 1 room D+10..D+12: held 1, blocked 3 - 1 = 2 on D+10, D+11; D+12 untouched;
-- public free stays 2; total 2 x 100.00 = 200.00; the event's payload names the block
SELECT (r).reservation_id AS g1, (r).block, (r).state, (r).total_price
  FROM booking.reserve_range(:p, 'KNG', current_date + 10, current_date + 12, block => 'WED') r \gset
SELECT :'block' AS block, :'state' AS state, :'total_price' AS total_price;
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);
SELECT * FROM t.blk_nights(:p, 'WED');                       -- picked 1, 1, 0
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 13);                -- still 2 each night
SELECT kind, payload ->> 'block' AS block, first_night IS NULL AS no_calendar_change
  FROM booking.event WHERE reservation_id = :g1 ORDER BY event_id;
SELECT * FROM booking.check_invariants();

-- the public sells the 2 free rooms (D+10..D+12): held 1 + 2 = 3 on D+10, D+11; 2 on D+12
SELECT (booking.reserve_range(:p, 'KNG', current_date + 10, current_date + 13, 2)).reservation_id AS pub1 \gset
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);
-- only block rooms are left: public reserve refused (BK001, 0 free)
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'KNG', current_date + 10, current_date + 11)$$, :p));
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 13);                -- 0 each night
-- the block's own pickups never fail for that: 2 more rooms D+10..D+11, confirmed
SELECT (booking.reserve_range(:p, 'KNG', current_date + 10, current_date + 11, 2, block => 'WED')).reservation_id AS g2 \gset
SELECT (booking.confirm_booking(:g2, 'pay-g2')).state;
-- D+10: held 1 + 2 = 3, booked 2, blocked 3 - 3 = 0 (5 = units); D+11 as before
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);
SELECT * FROM t.blk_nights(:p, 'WED');                       -- picked 3, 1, 0 (confirm changes nothing)
SELECT * FROM booking.check_invariants();
-- the block has no room left on D+10: BK001 naming the night and the block
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'KNG', current_date + 10, current_date + 11, block => 'WED')$$, :p));

-- resize: growing needs public free units (none: BK001 naming D+10)
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'WED', current_date + 10, current_date + 13, 4)$$, :p));
-- shrinking below what is picked up on D+10 (3): BK003
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'WED', current_date + 10, current_date + 13, 2)$$, :p));
-- another room type or other nights for the same code: 22023
SELECT t.try(format($$SELECT booking.create_block(%s, 'TWN', 'WED', current_date + 10, current_date + 13, 1)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'WED', current_date + 10, current_date + 12, 3)$$, :p));

-- cancel the confirmed pickup g2 before release: its 2 rooms go back to the block,
-- not on public sale: D+10 booked 0, blocked 0 + 2 = 2; public free stays 0
SELECT (booking.cancel_reservation(:g2)).state;
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 11);
SELECT * FROM t.blk_nights(:p, 'WED');                       -- picked 1, 1, 0
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 11);                -- 0
SELECT kind, first_night IS NULL AS no_calendar_change FROM booking.event
 WHERE reservation_id = :g2 ORDER BY event_id;
SELECT * FROM booking.check_invariants();

-- shrink to 2 (picked at most 1 now): blocked 3 - 1 = 2 -> 2 - 1 = 1 on D+10, D+11;
-- 3 -> 2 on D+12; the room comes free publicly: free 5 - 3 - 1 = 1 on D+10, D+11
-- (held 1 + 2 public), 5 - 2 - 2 = 1 on D+12
SELECT booking.create_block(:p, 'KNG', 'WED', current_date + 10, current_date + 13, 2);
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);
SELECT * FROM t.blk_nights(:p, 'WED');
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 13);                -- 1 each night
SELECT * FROM booking.check_invariants();
-- and grow back to 3: takes the public free unit on each night
SELECT booking.create_block(:p, 'KNG', 'WED', current_date + 10, current_date + 13, 3);
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);                  -- blocked 2, 2, 3
SELECT * FROM booking.check_invariants();

-- release_block: the room-nights not picked up, (3-1) + (3-1) + (3-0) = 7
SELECT booking.release_block(:p, 'WED') AS released;
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);                  -- blocked 0
SELECT * FROM t.blk_nights(:p, 'WED');                       -- released, picked 1, 1, 0
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 13);                -- 5-3=2, 2, 5-2=3
SELECT released_at IS NOT NULL AS released FROM booking.room_block WHERE property_id = :p AND code = 'WED';
SELECT * FROM booking.check_invariants();
-- released already: 0
SELECT booking.release_block(:p, 'WED') AS released_again;
-- pickups after release: BK003, hint to book without the block
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'KNG', current_date + 10, current_date + 11, block => 'WED')$$, :p));
-- resizing a released block: BK003
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'WED', current_date + 10, current_date + 13, 4)$$, :p));
-- cancel the held pickup g1 after release: its room is free on public sale
-- (D+10, D+11: held 3 - 1 = 2, free 5 - 2 = 3); picked 0; the event gives D+10..D+12 back
SELECT (booking.cancel_reservation(:g1)).state;
SELECT * FROM t.blk_inv(:p, 'KNG', 10, 13);
SELECT * FROM t.blk_nights(:p, 'WED');
SELECT * FROM t.blk_avail(:p, 'KNG', 10, 13);                -- 3, 3, 3
SELECT kind, first_night - current_date AS first, end_night - current_date AS "end", free_delta
  FROM booking.event WHERE reservation_id = :g1 ORDER BY event_id;
SELECT * FROM booking.check_invariants();

-- a pickup cannot be modified (0A000); expiry gives it back to its block
SELECT booking.create_block(:p, 'TWN', 'TW', current_date + 10, current_date + 13, 2);
SELECT (booking.reserve_range(:p, 'TWN', current_date + 11, current_date + 12, block => 'TW',
                              hold => '1 second')).reservation_id AS g3 \gset
SELECT t.try(format($$SELECT booking.modify_reservation(%s, rooms => 2)$$, :g3));
SELECT * FROM t.blk_inv(:p, 'TWN', 11, 12);                  -- held 1, blocked 1
SELECT pg_sleep(1.1);
SELECT booking.expire_holds() AS expired;
SELECT * FROM t.blk_inv(:p, 'TWN', 11, 12);                  -- held 0, blocked 2
SELECT * FROM t.blk_nights(:p, 'TW');                        -- picked 0 everywhere
SELECT kind, first_night IS NULL AS no_calendar_change FROM booking.event
 WHERE reservation_id = :g3 ORDER BY event_id;
-- a late payment of the expired pickup: BK002 (its room went back to the block)
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'late-g3')$$, :g3));
SELECT * FROM booking.check_invariants();

-- the stay: an early check-out and a no-show give their nights back to the
-- live block, not to public sale (a new room type STU, 3 units, D+0..D+2)
SELECT booking.add_room_type(:p, 'STU', 'Studio', 3, 2, 60);
SELECT booking.open_inventory(:p, 'STU', current_date, current_date + 3);
SELECT booking.create_block(:p, 'STU', 'CREW', current_date, current_date + 3, 2);
SELECT (booking.reserve_range(:p, 'STU', current_date, current_date + 3, block => 'CREW')).reservation_id AS s1 \gset
SELECT (booking.reserve_range(:p, 'STU', current_date, current_date + 3, block => 'CREW')).reservation_id AS s2 \gset
SELECT (booking.confirm_booking(:s1, 'pay-s1')).state, (booking.confirm_booking(:s2, 'pay-s2')).state;
-- D+0..D+2: booked 2, blocked 2 - 2 = 0; 1 public unit
SELECT * FROM t.blk_inv(:p, 'STU', 0, 3);
-- s1 arrives and leaves today: departure D+1 (a stay keeps its first night);
-- D+1, D+2 go back to CREW: booked 1, blocked 1; s2 is a no-show: D+1, D+2
-- back too: booked 0, blocked 2; D+0 keeps both (booked 2)
SELECT (booking.check_in(:s1)).state;
SELECT (r).state, (r).check_out - current_date AS check_out FROM booking.check_out(:s1) r;
SELECT (r).state, (r).check_out - current_date AS check_out FROM booking.mark_no_show(:s2) r;
SELECT * FROM t.blk_inv(:p, 'STU', 0, 3);
SELECT * FROM t.blk_nights(:p, 'CREW');                      -- picked 2, 0, 0
SELECT * FROM t.blk_avail(:p, 'STU', 0, 3);                  -- 1 each night: nothing freed publicly
SELECT kind, first_night IS NULL AS no_calendar_change FROM booking.event
 WHERE reservation_id IN (:s1, :s2) AND kind IN ('checked_out', 'no_show') ORDER BY event_id;
SELECT * FROM booking.check_invariants();

-- every error code
-- unknown block: BK005; another room type's block: 22023; a stay the block does not cover: 22023
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'KNG', current_date + 10, current_date + 11, block => 'NOPE')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'KNG', current_date + 10, current_date + 11, block => 'TW')$$, :p));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'TWN', current_date + 9, current_date + 11, block => 'TW')$$, :p));
-- create_block: nights not on sale BK005 naming the night; more than the free units BK001;
-- release_days and release_at both: 22023; rooms < 1, release_days negative or over 3660, empty or long code: 22023;
-- unknown property or room type: BK005
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'B2', current_date + 12, current_date + 14, 1)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'B2', current_date + 10, current_date + 13, 4)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'B2', current_date + 10, current_date + 13, 1, 3, now())$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'B2', current_date + 10, current_date + 13, 0)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'B2', current_date + 10, current_date + 13, 1, -1)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', 'B2', current_date + 10, current_date + 13, 1, 2147483647)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', '', current_date + 10, current_date + 13, 1)$$, :p));
SELECT t.try(format($$SELECT booking.create_block(%s, 'KNG', repeat('x', 65), current_date + 10, current_date + 13, 1)$$, :p));
SELECT t.try($$SELECT booking.create_block(987654321, 'KNG', 'B2', current_date + 10, current_date + 13, 1)$$);
SELECT t.try(format($$SELECT booking.create_block(%s, 'SUITE', 'B2', current_date + 10, current_date + 13, 1)$$, :p));
-- release_block of an unknown block: BK005
SELECT t.try(format($$SELECT booking.release_block(%s, 'NOPE')$$, :p));
SELECT * FROM booking.check_invariants();

-- Release at the cutoff.  A fixed release_at in the past is due, one in the
-- future is not (property in America/Los_Angeles)
SELECT booking.add_property('Coast Lodge', 'Carmel', 'America/Los_Angeles') AS la \gset
SELECT booking.add_room_type(:la, 'DBL', 'Double', 4, 2, 90);
SELECT booking.open_inventory(:la, 'DBL', current_date + 1, current_date + 8);
SELECT booking.create_block(:la, 'DBL', 'PAST', current_date + 5, current_date + 7, 1,
                            release_at => now() - interval '1 minute');
SELECT booking.create_block(:la, 'DBL', 'FUTURE', current_date + 5, current_date + 7, 1,
                            release_at => now() + interval '1 day');
-- rolling, 3 days before each night at 00:00 local: D+1 and D+2 fall due on
-- D-2 and D-1 (local midnight, at most a day behind UTC's date: past);
-- 1 day before D+4, D+5: D+3 and D+4, in the future
SELECT booking.create_block(:la, 'DBL', 'ROLL', current_date + 1, current_date + 3, 1, release_days => 3);
SELECT booking.create_block(:la, 'DBL', 'LATER', current_date + 4, current_date + 6, 1, release_days => 1);
-- release_due is 00:00 local time of night - release_days
SELECT code, night - current_date AS d,
       (release_due AT TIME ZONE 'America/Los_Angeles')::date - current_date AS due_local_day,
       (release_due AT TIME ZONE 'America/Los_Angeles')::time AS due_local_time
  FROM booking.block_night WHERE property_id = :la AND code IN ('ROLL', 'LATER') ORDER BY code, night;
-- one pickup on PAST before the cutoff passes
SELECT (booking.reserve_range(:la, 'DBL', current_date + 5, current_date + 6, block => 'PAST')).state AS picked_past;
-- D+5: held 1, blocked PAST 0 + FUTURE 1 + LATER 1 = 2; D+6: blocked 1 + 1 + 0 = 2
SELECT * FROM t.blk_inv(:la, 'DBL', 1, 8);
-- the sweeper's function: PAST's 2 nights and ROLL's 2 nights are due: 4 block nights
SELECT booking.release_due_blocks() AS released;
-- D+1, D+2: blocked 0; D+5: blocked 2 - 0 = 2 (PAST had nothing left there), D+6: 2 - 1 = 1
SELECT * FROM t.blk_inv(:la, 'DBL', 1, 8);
SELECT code, night - current_date AS d, rooms, picked, released FROM booking.block_night
 WHERE property_id = :la ORDER BY code, night;
SELECT code, released_at IS NOT NULL AS released FROM booking.room_block WHERE property_id = :la ORDER BY code;
-- nothing more is due
SELECT booking.release_due_blocks() AS released_again;
-- pickups after release: BK003
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 6, current_date + 7, block => 'PAST')$$, :la));
SELECT * FROM booking.check_invariants();

-- Rolling release in a zone 14 hours ahead of UTC (Pacific/Kiritimati):
-- 4 days before each night; nights D+3, D+4 fall due at 00:00 local of
-- D-1 and D+0 (local midnight is 10:00 UTC of the day before: past);
-- nights D+6..D+8 at 00:00 local of D+2..D+4: future
SELECT booking.add_property('Atoll Inn', 'London', 'Pacific/Kiritimati') AS ki \gset
SELECT booking.add_room_type(:ki, 'BGL', 'Bungalow', 3, 2, 200);
SELECT booking.open_inventory(:ki, 'BGL', current_date + 2, current_date + 10);
SELECT booking.create_block(:ki, 'BGL', 'SOON', current_date + 3, current_date + 5, 2, release_days => 4);
SELECT booking.create_block(:ki, 'BGL', 'LATE', current_date + 6, current_date + 9, 2, release_days => 4);
SELECT code, night - current_date AS d,
       (release_due AT TIME ZONE 'Pacific/Kiritimati')::date - current_date AS due_local_day,
       (release_due AT TIME ZONE 'Pacific/Kiritimati')::time AS due_local_time
  FROM booking.block_night WHERE property_id = :ki ORDER BY night;
-- a max of 1: one block night per call, in night order
SELECT booking.release_due_blocks(1) AS released;
SELECT night - current_date AS d, released FROM booking.block_night WHERE property_id = :ki ORDER BY night;
SELECT booking.release_due_blocks() AS released;
-- D+3, D+4: blocked 0, free 3; D+6..D+8: blocked 2, free 1
SELECT * FROM t.blk_inv(:ki, 'BGL', 3, 9);
SELECT * FROM t.blk_avail(:ki, 'BGL', 3, 9);
SELECT * FROM booking.check_invariants();

-- demo/blocks.sql: group blocks and the waitlist (booking 2.0).  The hotel
-- opens its garden rooms for the wedding season and sets three of the
-- four aside for the Silva wedding until a cutoff; two guests pick theirs
-- up, the public takes the last free one, and Vera, who finds the weekend
-- sold out, joins the waitlist.  When Uma cancels, the same transaction
-- offers Vera the room before anyone else can take it.  At the cutoff the
-- booking sweeper releases the room nobody picked up, by itself.
\ir common.psql

-- The wedding weekend: two nights from today + 15.
SELECT current_date + 15 AS wd_in, current_date + 17 AS wd_out \gset
-- :show_garden prints the garden rooms of the weekend, per night.
SELECT format($q$SELECT to_char(night, 'Dy DD Mon') AS night, units, held, booked, blocked,
                         %s AS public_free
                    FROM booking.inventory
                   WHERE property_id = %s AND room_type = 'GDN' AND night >= %L AND night < %L
                   ORDER BY night$q$, '(units - held - booked - blocked)', :hotel, :'wd_in', :'wd_out') AS show_garden \gset

\echo
\echo '== 17. A wedding block released at its cutoff, and a waitlist'
\echo '   The hotel opens four garden rooms and sets three aside for the Silva wedding'
\echo '   (booking.create_block), released at a cutoff: here in 4 seconds, for the demo'
\echo '   (release_at; with release_days, each night would be released that many days'
\echo '   before it, at midnight hotel time).  Blocked rooms are off public sale.'
SELECT booking.add_room_type(:hotel, 'GDN', 'Garden room', 4, max_guests => 2, base_price => 140) AS _ \gset
SELECT booking.open_inventory(:hotel, 'GDN', current_date + 7, current_date + 21) AS _ \gset
SELECT booking.create_block(:hotel, 'GDN', 'SILVA-WEDDING', :'wd_in', :'wd_out', 3,
                            release_at => now() + interval '4 seconds') AS _ \gset
:show_garden;

\echo '   Two wedding guests pick their rooms up from the block (reserve_range with'
\echo '   block => ''SILVA-WEDDING''): the rooms come out of the block, not public stock.'
SELECT reservation_id AS rosa FROM booking.reserve_range(:hotel, 'GDN', :'wd_in', :'wd_out',
                                                         guest_id => 'Rosa', block => 'SILVA-WEDDING') \gset
SELECT reservation_id AS tiago FROM booking.reserve_range(:hotel, 'GDN', :'wd_in', :'wd_out',
                                                          guest_id => 'Tiago', block => 'SILVA-WEDDING') \gset
SELECT guest_id, state, block FROM booking.confirm_booking(:rosa, 'pay_rosa_gdn');
SELECT guest_id, state, block FROM booking.confirm_booking(:tiago, 'pay_tiago_gdn');

\echo '   Uma books the one public garden room of the weekend.  Vera comes next: sold out'
\echo '   (the block''s last room is the wedding''s, not hers), so she joins the waitlist.'
SELECT reservation_id AS uma FROM booking.reserve_range(:hotel, 'GDN', :'wd_in', :'wd_out', guest_id => 'Uma') \gset
SELECT guest_id, state FROM booking.confirm_booking(:uma, 'pay_uma_gdn');
SELECT outcome AS "Vera books" FROM pg_temp.attempt(format(
    $$SELECT booking.reserve_range(%s, 'GDN', %L, %L, guest_id => 'Vera')$$, :hotel, :'wd_in', :'wd_out'));
SELECT booking.join_waitlist(:hotel, 'GDN', :'wd_in', :'wd_out', guest_id => 'Vera') AS vera_entry \gset
SELECT waitlist_id = :vera_entry AS "Vera's entry", guest_id, state
  FROM booking.waitlist WHERE waitlist_id = :vera_entry;
:show_garden;

\echo '   Uma cancels.  The transaction that frees her room offers it to the oldest waiting'
\echo '   entry that now fits, Vera''s, as a hold of her own (booking.waitlist_offer_ttl,'
\echo '   24 hours by default): no public reserve_range could take it first.'
SELECT guest_id, state FROM booking.cancel_reservation(:uma, 'plans changed');
SELECT w.guest_id, w.state AS entry, r.state AS offer, to_char(r.hold_expires_at - now(), 'HH24"h"MI') AS "offer good for"
  FROM booking.waitlist w JOIN booking.reservation r USING (reservation_id)
 WHERE w.waitlist_id = :vera_entry;
SELECT kind, payload->>'guest_id' AS guest, (payload->>'waitlist_id')::bigint = :vera_entry AS "her entry"
  FROM booking.event WHERE kind = 'waitlist_offered' ORDER BY event_id DESC LIMIT 1;
SELECT reservation_id AS vera FROM booking.waitlist WHERE waitlist_id = :vera_entry \gset
SELECT guest_id, state FROM booking.confirm_booking(:vera, 'pay_vera_gdn');

\echo '   The cutoff passes.  Nobody calls anything: the booking sweeper releases the block''s'
\echo '   room nobody picked up, and it is on public sale again (Rosa and Tiago keep theirs).'
SELECT pg_temp.wait_released(:hotel, 'SILVA-WEDDING', 15) AS "block released";
:show_garden;

-- demo/channels.sql: channels (booking 2.0).  The hotel sells on its own
-- site and on Booking.com and Expedia at once.  Expedia's channel manager
-- follows the ARI feed.  The suite's last unit of a night sells on the
-- hotel's site; a moment later Booking.com pushes a booking it sold for the
-- same night, before it heard.  The engine takes it (a channel's booking is
-- already sold: it is never refused), records the night as overbooked and
-- says so; the feed tells Expedia to close the night; the hotel moves its
-- own guest to a double, and the unit that comes free pays the
-- overbooking down.
\ir common.psql

-- Give the sweeper time to publish what was just committed (it is woken
-- at every commit; the feed follows the published events).
CREATE FUNCTION pg_temp.settle() RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    FOR i IN 1..50 LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM booking.event WHERE position IS NULL);
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$f$;

-- The night of this chapter: the first night from today + 14 on whose
-- suite nobody has booked yet, with a double free for one night (no stay
-- rule of the double on it or on the morning after).
SELECT min(s.night) AS ch_night, min(s.night) + 1 AS ch_next
  FROM booking.availability(:hotel, current_date + 14, current_date + 21) s
  JOIN booking.availability(:hotel, current_date + 14, current_date + 21) d
    ON d.night = s.night AND d.room_type = 'DBL' AND d.available > 0
 WHERE s.room_type = 'STE' AND s.available = 1
   AND NOT EXISTS (SELECT FROM booking.stay_rule r
                    WHERE r.property_id = :hotel AND r.room_type = 'DBL'
                      AND r.night IN (s.night, s.night + 1)) \gset

\echo
\echo '== 16. Channels: the last suite sold twice, and the feed that closes it'
\echo '   Expedia''s channel manager starts following the ARI feed (booking.read_ari): its'
\echo '   first read creates its consumer and returns nothing; it then takes a snapshot with'
\echo '   booking.availability and applies the feed from there on.'
SELECT count(*) AS rows_on_first_read FROM booking.read_ari('expedia');
SELECT room_type, to_char(night, 'Dy DD Mon') AS night, available, price
  FROM booking.availability(:hotel, :'ch_night', :'ch_next') ORDER BY room_type;

\echo '   Mia books the suite on the hotel''s own site for that night and pays.'
SELECT reservation_id AS mia FROM booking.reserve_range(:hotel, 'STE', :'ch_night', :'ch_next',
                                                        guest_id => 'Mia') \gset
SELECT state, room_type, to_char(check_in, 'Dy DD Mon') AS night, total_price
  FROM booking.confirm_booking(:mia, 'pay_mia_ste');

\echo '   A second later Booking.com pushes booking 5521093, sold to Noah for the same night'
\echo '   before Booking.com heard (booking.apply_channel_booking, revision 1, ''new'').'
\echo '   Nothing is refused: the channel has sold the room already.'
SELECT guest_id, state, room_type, to_char(check_in, 'Dy DD Mon') AS night, total_price, payment_ref
  FROM booking.apply_channel_booking('booking.com', '5521093', 1, 'new', :hotel, 'STE',
                                     :'ch_night', :'ch_next', total_price => 245,
                                     guest_id => 'Noah');
\echo '   The night is one unit over: inventory.overbooked says so, an `overbooked` event names'
\echo '   the night, and check_invariants() lists it apart from corruption, so that someone acts.'
SELECT room_type, to_char(night, 'Dy DD Mon') AS night, units, booked, overbooked
  FROM booking.inventory WHERE property_id = :hotel AND room_type = 'STE' AND night = :'ch_night';
SELECT kind, payload->'nights' AS nights, payload->>'channel' AS channel
  FROM booking.event WHERE kind = 'overbooked' ORDER BY event_id DESC LIMIT 1;
SELECT room_type, to_char(night, 'Dy DD Mon') AS night, problem FROM booking.check_invariants();

\echo '   Expedia''s channel manager reads the feed: the suite''s night has 0 left, so it closes'
\echo '   the night on Expedia.  Each night comes once, with its values now; it acknowledges'
\echo '   what it has sent (booking.ack_ari) and the next read starts after it.'
SELECT pg_temp.settle() AS _ \gset
SELECT change_id, room_type, to_char(night, 'Dy DD Mon') AS night, available, price, closed
  FROM booking.read_ari('expedia');
SELECT booking.ack_ari('expedia', max(change_id)) AS acknowledged FROM booking.read_ari('expedia');

\echo '   The hotel calls Mia, who takes a double instead (booking.modify_reservation).  The'
\echo '   suite''s unit that comes free pays the overbooking down first: Noah keeps the suite,'
\echo '   the night is exactly full, check_invariants() is empty again.'
SELECT state, room_type, total_price FROM booking.modify_reservation(:mia, room_type => 'DBL');
SELECT room_type, to_char(night, 'Dy DD Mon') AS night, units, booked, overbooked
  FROM booking.inventory WHERE property_id = :hotel AND night = :'ch_night' ORDER BY room_type;
SELECT count(*) AS problems FROM booking.check_invariants();
\echo '   The feed tells Expedia what changed: one double fewer that night; the suite is still'
\echo '   sold out (it changed and changed back, and comes once, as it is now).'
SELECT pg_temp.settle() AS _ \gset
SELECT room_type, to_char(night, 'Dy DD Mon') AS night, available, price, closed
  FROM booking.read_ari('expedia');

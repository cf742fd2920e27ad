-- demo/change.sql: a guest changes her booking (booking 2.0).  Fay, who
-- paid for a double in chapter 9, stays one night longer: the app first
-- asks what the change would cost (dry_run), then makes it.  The nights
-- she already had keep the price she paid; the added night is sold at
-- today's price; her own room counts as free, so extending never fails for
-- lack of itself.
\ir common.psql

\echo
\echo '== 13. Fay extends her stay by a night (booking.modify_reservation)'
SELECT reservation_id AS fay_id FROM booking.reservation WHERE guest_id = 'Fay' AND state = 'confirmed' \gset
\echo '   What would one more night cost?  dry_run answers, and changes nothing:'
SELECT reservation_id, guest_id, state, check_in, check_out, total_price
  FROM booking.modify_reservation(:fay_id, check_out => :'d_out'::date + 1, guest_id => 'Fay', dry_run => true);
\echo '   She accepts: the same call without dry_run (her guest_id proves it is hers):'
SELECT reservation_id, guest_id, state, check_in, check_out, total_price
  FROM booking.modify_reservation(:fay_id, check_out => :'d_out'::date + 1, guest_id => 'Fay');
\echo '   The price of each night, as sold (booking.reservation_night):'
SELECT to_char(night, 'Dy DD Mon') AS night, price FROM booking.reservation_night
 WHERE reservation_id = :fay_id ORDER BY reservation_night.night;
\echo '   Someone who is not Fay tries to move her booking: it does not exist, for them.'
SELECT * FROM pg_temp.attempt(format($$SELECT booking.modify_reservation(%s, rooms => 2, guest_id => 'Mallory')$$, :fay_id));

-- demo/story.sql: after the race.  The winner pays; another guest holds
-- and cancels; an app replays a request; a hold runs out and its late
-- payment is still honoured; and the books are checked.
\ir common.psql

SELECT reservation_id AS suite_id, guest_id AS suite_guest
  FROM booking.reservation
 WHERE property_id = :hotel AND room_type = 'STE' AND check_in = :'d_in' AND state = 'held' \gset

\echo '   Availability after the race: one hold on the suite, nothing oversold.'
:show_avail
\crosstabview

\echo
\echo '== 5.' :suite_guest 'pays for the suite'
\echo '   booking.confirm_booking(reservation_id, payment_ref): the hold becomes a booking.'
SELECT reservation_id, guest_id, state, total_price, payment_ref, confirmation_code
  FROM booking.confirm_booking(:suite_id, 'pay_' || lower(:'suite_guest') || '_0001');
\echo '   The payment provider delivers its webhook twice; the second confirm changes nothing:'
SELECT reservation_id, guest_id, state, total_price, payment_ref, confirmation_code
  FROM booking.confirm_booking(:suite_id, 'pay_' || lower(:'suite_guest') || '_0001');
:show_avail
\crosstabview

\echo
\echo '== 6. Carla holds two doubles, then cancels'
\echo '   booking.reserve_range(..., rooms => 2): a hold that lasts booking.hold_ttl (15 min).'
SELECT reservation_id, guest_id, room_type, rooms, state, total_price,
       to_char(hold_expires_at - now(), 'MI "min"') AS hold_lasts
  FROM booking.reserve_range(:hotel, 'DBL', :'d_in', :'d_out', rooms => 2, guest_id => 'Carla');
SELECT reservation_id AS carla_id FROM booking.reservation WHERE guest_id = 'Carla' \gset
:show_avail
\crosstabview
\echo '   booking.cancel_reservation(reservation_id, reason): both rooms go back on sale.'
SELECT reservation_id, guest_id, state, cancel_reason
  FROM booking.cancel_reservation(:carla_id, 'found a cheaper flight on other dates');
:show_avail
\crosstabview
\echo '   Her payment arrives anyway.  A cancelled reservation cannot be confirmed:'
SELECT outcome AS "confirm_booking of a cancelled reservation"
  FROM pg_temp.attempt(format('SELECT booking.confirm_booking(%s, %L)', :carla_id, 'pay_carla_0001'));

\echo
\echo '== 7. Dan''s app sends the same request twice (idempotency key)'
\echo '   The first response is lost on a bad connection; the app retries with the'
\echo '   same idempotency_key and gets the same reservation, not a second hold.'
SELECT 'first call' AS "call", reservation_id, guest_id, state, rooms
  FROM booking.reserve_range(:hotel, 'DBL', :'d_in', :'d_out', guest_id => 'Dan',
                             idempotency_key => 'dan-checkout-7f3a9c')
UNION ALL
SELECT 'retry', reservation_id, guest_id, state, rooms
  FROM booking.reserve_range(:hotel, 'DBL', :'d_in', :'d_out', guest_id => 'Dan',
                             idempotency_key => 'dan-checkout-7f3a9c');
\echo '   One double is held, not two:'
:show_avail
\crosstabview
\echo '   A bug in the app reuses the key for a different request (2 rooms):'
SELECT outcome AS "reserve_range, same key, other arguments"
  FROM pg_temp.attempt(format(
      'SELECT booking.reserve_range(%s, %L, %L, %L, rooms => 2, guest_id => %L, idempotency_key => %L)',
      :hotel, 'DBL', :'d_in', :'d_out', 'Dan', 'dan-checkout-7f3a9c'));

\echo
\echo '== 8. Eve''s hold runs out before she pays'
\echo '   reserve_range(..., hold => ''2 seconds''); the demo waits 3 seconds.'
SELECT reservation_id AS eve_id
  FROM booking.reserve_range(:hotel, 'DBL', :'d_in', :'d_out', guest_id => 'Eve',
                             hold => '2 seconds') \gset
:show_avail
\crosstabview
SELECT pg_sleep(3) AS _ \gset
\echo '   Its deadline has passed.  booking.expire_holds() (run by cron or by hand, since'
\echo '   this version has no background worker) releases the units of dead holds:'
SELECT booking.expire_holds() AS holds_expired_now;
SELECT reservation_id, guest_id, state FROM booking.reservation WHERE reservation_id = :eve_id;
:show_avail
\crosstabview
\echo '   Her payment arrives late.  The rooms are still free, so confirm_booking takes'
\echo '   them again and confirms (it would fail BK002 only if they had been sold):'
SELECT reservation_id, guest_id, state, payment_ref, confirmation_code
  FROM booking.confirm_booking(:eve_id, 'pay_eve_0001');
:show_avail
\crosstabview

\echo
\echo '== 9. The books'
SELECT reservation_id, guest_id, room_type, rooms, check_in, check_out, state,
       total_price, payment_ref
  FROM booking.reservation
 ORDER BY reservation_id;
\echo '   booking.check_invariants(): every night''s held and booked equal the sum of the'
\echo '   reservations covering it, and held + booked <= units.  No rows means all is well:'
\pset footer on
SELECT * FROM booking.check_invariants();

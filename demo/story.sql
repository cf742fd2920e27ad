-- demo/story.sql: after the race.  The winner pays; another guest holds
-- and cancels; an app replays a request; a hold runs out (the booking
-- sweeper expires it, nobody calls anything) and its late payment is still
-- honoured.
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
\echo '   reserve_range(..., hold => ''2 seconds''), then nobody calls anything: the demo'
\echo '   only watches the reservation.  The booking sweeper, a background worker of the'
\echo '   extension, wakes every booking.sweep_interval (1 s) and expires dead holds.'
SELECT reservation_id AS eve_id
  FROM booking.reserve_range(:hotel, 'DBL', :'d_in', :'d_out', guest_id => 'Eve',
                             hold => '2 seconds') \gset
:show_avail
\crosstabview
SELECT pg_temp.wait_while(:eve_id, 'held', 10) AS _ \gset
SELECT reservation_id, guest_id, state,
       to_char(hold_expires_at, 'HH24:MI:SS.MS') AS deadline,
       to_char(updated_at, 'HH24:MI:SS.MS') AS expired_at
  FROM booking.reservation WHERE reservation_id = :eve_id;
\echo '   Her double is back on sale:'
:show_avail
\crosstabview
\echo '   Her payment arrives late.  The rooms are still free, so confirm_booking takes'
\echo '   them again and confirms (it would fail BK002 only if they had been sold):'
SELECT reservation_id, guest_id, state, payment_ref, confirmation_code
  FROM booking.confirm_booking(:eve_id, 'pay_eve_0001');
:show_avail
\crosstabview

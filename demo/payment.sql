-- demo/payment.sql: a guest who is typing a card number must not lose the
-- room because the hold runs out mid-payment.  booking.begin_payment moves
-- the hold to payment_pending and pushes its deadline; the sweeper leaves
-- it alone until then.  A payment that never completes still ends: the
-- hold expires at the pushed deadline.
\ir common.psql

\echo
\echo '== 9. Fay pays by card: begin_payment keeps her hold alive'
\echo '   Her hold is short (2 seconds, to keep the demo short; 15 minutes by default).'
SELECT reservation_id AS fay_id
  FROM booking.reserve_range(:hotel, 'DBL', :'d_in', :'d_out', guest_id => 'Fay',
                             hold => '2 seconds') \gset
\echo '   The card form opens and the payment provider gives an intent id.  The app calls'
\echo '   booking.begin_payment(reservation_id, payment_intent): the hold becomes'
\echo '   payment_pending and lasts at least booking.payment_extension (10 min) more.'
SELECT reservation_id, guest_id, state, payment_intent,
       to_char(hold_expires_at - now(), 'MI "min" SS "s"') AS hold_lasts
  FROM booking.begin_payment(:fay_id, 'pi_fay_3ds_0001');
\echo '   The app retries the call (same intent): nothing changes, the deadline is not pushed again:'
SELECT reservation_id, guest_id, state, payment_intent,
       to_char(hold_expires_at - now(), 'MI "min" SS "s"') AS hold_lasts
  FROM booking.begin_payment(:fay_id, 'pi_fay_3ds_0001');
\echo '   3-D Secure takes its time.  3 seconds later her first deadline is past and the'
\echo '   sweeper has been round since, but the hold is still hers:'
SELECT pg_sleep(3) AS _ \gset
SELECT reservation_id, guest_id, state,
       hold_expires_at > now() AS "still protected"
  FROM booking.reservation WHERE reservation_id = :fay_id;
\echo '   The payment is captured: confirm_booking.'
SELECT reservation_id, guest_id, state, payment_intent, payment_ref, confirmation_code
  FROM booking.confirm_booking(:fay_id, 'pay_fay_0001');

\echo
\echo '   Gil holds Casa do Rio, the flat, for the same nights, starts paying with'
\echo '   extend => ''2 seconds'', and closes the tab.'
SELECT property_id AS flat FROM booking.property WHERE name = 'Casa do Rio' \gset
SELECT reservation_id AS gil_id
  FROM booking.reserve_range(:flat, 'home', :'d_in', :'d_out', guest_id => 'Gil',
                             hold => '2 seconds') \gset
SELECT reservation_id, guest_id, state, payment_intent
  FROM booking.begin_payment(:gil_id, 'pi_gil_0001', extend => '2 seconds');
\echo '   His intent cannot pay for anybody else''s reservation:'
SELECT outcome AS "begin_payment of Dan's hold with Gil's intent"
  FROM pg_temp.attempt(format('SELECT booking.begin_payment(%s, %L)',
      (SELECT reservation_id FROM booking.reservation WHERE guest_id = 'Dan'), 'pi_gil_0001'));
\echo '   Nobody calls anything.  At the pushed deadline the sweeper expires the hold; its'
\echo '   ''expired'' event (chapter 10) tells the app to void the card authorization.'
SELECT pg_temp.wait_while(:gil_id, 'payment_pending', 10) AS _ \gset
SELECT reservation_id, guest_id, state, payment_intent,
       to_char(hold_expires_at, 'HH24:MI:SS.MS') AS deadline,
       to_char(updated_at, 'HH24:MI:SS.MS') AS expired_at
  FROM booking.reservation WHERE reservation_id = :gil_id;
SELECT room_type, min(available) AS "free on every night"
  FROM booking.availability(:flat, :'d_in', :'d_out') GROUP BY room_type;

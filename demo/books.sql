-- demo/books.sql: the end of the story.  Every reservation, and
-- booking.check_invariants() to show that the books add up.
\ir common.psql

\echo
\echo '== 18. The books'
SELECT reservation_id, guest_id, room_type, rooms, rate_plan AS plan, check_in, check_out,
       state, total_price, cancellation_fee AS fee, payment_ref
  FROM booking.reservation
 ORDER BY reservation_id;
\echo '   booking.check_invariants(): every night''s held and booked equal the sum of the'
\echo '   reservations covering it, and held + booked <= units.  No rows means all is well:'
\pset footer on
SELECT * FROM booking.check_invariants();

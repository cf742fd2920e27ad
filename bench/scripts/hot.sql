-- hot: every client holds one room of the same room type on the same 3
-- nights (property 1024, R1, current_date + 30 .. + 33): every call waits
-- for the row locks of the one before it.
\if :engine = 0
SELECT (booking.reserve_range(1024, 'R1', current_date + 30, current_date + 33, 1, 'guest')).reservation_id;
\elif :engine = 1
SELECT baseline.lean_reserve(1024, 'R1', current_date + 30, current_date + 33, 1, 'guest');
\elif :engine = 2
SELECT (baseline.feq_reserve(1024, 'R1', current_date + 30, current_date + 33, 1, 'guest')).reservation_id;
\elif :engine = 4
SELECT baseline.lean_reserve_notify(1024, 'R1', current_date + 30, current_date + 33, 1, 'guest');
\else
WITH n AS (UPDATE baseline.inventory i SET held = i.held + 1 WHERE i.property_id = 1024 AND i.room_type = 'R1' AND i.night >= current_date + 30 AND i.night < current_date + 33 AND i.units - i.held - i.booked >= 1 RETURNING i.price) INSERT INTO baseline.lean_reservation (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id, state, hold_expires_at, total_price) SELECT nextval('baseline.reservation_id_seq') * 1024, 1024, 'R1', current_date + 30, current_date + 33, 1, 'guest', 'held', now() + interval '15 minutes', t.total FROM (SELECT count(*) AS nights, sum(price) AS total FROM n) t WHERE t.nights = 3 RETURNING reservation_id;
\endif

-- month: every client holds one room of the same room type (property 1024,
-- R1) on 1-3 random nights of the same month, current_date + 40 .. + 67:
-- the clients seldom want the same night, but every stay falls in one or
-- two rows of booking.room_calendar (extension 1.1 keeps one per room
-- type and month), which every hold updates.
\set d random(40, 64)
\set n random(1, 3)
\set e :d + :n
\if :engine = 0
SELECT (booking.reserve_range(1024, 'R1', current_date + :d::int, current_date + :e::int, 1, 'guest')).reservation_id;
\elif :engine = 1
SELECT baseline.lean_reserve(1024, 'R1', current_date + :d::int, current_date + :e::int, 1, 'guest');
\elif :engine = 2
SELECT (baseline.feq_reserve(1024, 'R1', current_date + :d::int, current_date + :e::int, 1, 'guest')).reservation_id;
\elif :engine = 4
SELECT baseline.lean_reserve_notify(1024, 'R1', current_date + :d::int, current_date + :e::int, 1, 'guest');
\else
WITH n AS (UPDATE baseline.inventory i SET held = i.held + 1 WHERE i.property_id = 1024 AND i.room_type = 'R1' AND i.night >= current_date + :d::int AND i.night < current_date + :e::int AND i.units - i.held - i.booked >= 1 RETURNING i.price) INSERT INTO baseline.lean_reservation (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id, state, hold_expires_at, total_price) SELECT nextval('baseline.reservation_id_seq') * 1024, 1024, 'R1', current_date + :d::int, current_date + :e::int, 1, 'guest', 'held', now() + interval '15 minutes', t.total FROM (SELECT count(*) AS nights, sum(price) AS total FROM n) t WHERE t.nights = :n::int RETURNING reservation_id;
\endif

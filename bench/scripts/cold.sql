-- cold: a random property (of :nprops), room type, check-in and 1-7
-- nights, one room; the calendar has a huge capacity and never sells out,
-- so clients rarely meet on a row.  :engine 0 ours, 1 lean, 2 feq, 3 floor,
-- 4 leannotify (lean + NOTIFY).
\set pid 1024 * random(1, :nprops)
\set r random(1, 5)
\set d random(2, :lastday)
\set n random(1, 7)
\set e :d + :n
\if :engine = 0
SELECT (booking.reserve_range(:pid, 'R' || :r, current_date + :d::int, current_date + :e::int, 1, 'guest')).reservation_id;
\elif :engine = 1
SELECT baseline.lean_reserve(:pid, 'R' || :r, current_date + :d::int, current_date + :e::int, 1, 'guest');
\elif :engine = 2
SELECT (baseline.feq_reserve(:pid, 'R' || :r, current_date + :d::int, current_date + :e::int, 1, 'guest')).reservation_id;
\elif :engine = 4
SELECT baseline.lean_reserve_notify(:pid, 'R' || :r, current_date + :d::int, current_date + :e::int, 1, 'guest');
\else
WITH n AS (UPDATE baseline.inventory i SET held = i.held + 1 WHERE i.property_id = :pid AND i.room_type = 'R' || :r AND i.night >= current_date + :d::int AND i.night < current_date + :e::int AND i.units - i.held - i.booked >= 1 RETURNING i.price) INSERT INTO baseline.lean_reservation (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id, state, hold_expires_at, total_price) SELECT nextval('baseline.reservation_id_seq') * 1024, :pid, 'R' || :r, current_date + :d::int, current_date + :e::int, 1, 'guest', 'held', now() + interval '15 minutes', t.total FROM (SELECT count(*) AS nights, sum(price) AS total FROM n) t WHERE t.nights = :n::int RETURNING reservation_id;
\endif

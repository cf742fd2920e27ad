-- confirm: client c confirms its held reservations c * 1000000 + 1, + 2,
-- ... of bench.todo, each with its own payment_ref.  Needs -D i=0.
\set i :i + 1
\set slot :client_id * 1000000 + :i
\if :engine = 0
SELECT (booking.confirm_booking(t.reservation_id, 'pay-' || t.reservation_id)).state FROM bench.todo t WHERE t.slot = :slot;
\elif :engine = 1
SELECT baseline.lean_confirm(t.reservation_id, 'pay-' || t.reservation_id) FROM bench.todo t WHERE t.slot = :slot;
\elif :engine = 2
SELECT (baseline.feq_confirm(t.reservation_id, 'pay-' || t.reservation_id)).state FROM bench.todo t WHERE t.slot = :slot;
\else
WITH r AS (UPDATE baseline.lean_reservation l SET state = 'confirmed', payment_ref = 'pay-' || l.reservation_id, updated_at = now() FROM bench.todo t WHERE t.slot = :slot AND l.reservation_id = t.reservation_id AND l.state = 'held' RETURNING l.property_id, l.room_type, l.check_in, l.check_out, l.rooms), n AS (UPDATE baseline.inventory i SET held = i.held - r.rooms, booked = i.booked + r.rooms FROM r WHERE i.property_id = r.property_id AND i.room_type = r.room_type AND i.night >= r.check_in AND i.night < r.check_out RETURNING 1) SELECT count(*) FROM n;
\endif

-- cancel: client c cancels its reservations c * 1000000 + 1, + 2, ... of
-- bench.todo (confirmed ones, after the confirm run).  Needs -D i=0.
\set i :i + 1
\set slot :client_id * 1000000 + :i
\if :engine = 0
SELECT (booking.cancel_reservation(t.reservation_id, 'bench')).state FROM bench.todo t WHERE t.slot = :slot;
\elif :engine = 1
SELECT baseline.lean_cancel(t.reservation_id) FROM bench.todo t WHERE t.slot = :slot;
\elif :engine = 2
SELECT (baseline.feq_cancel(t.reservation_id, 'bench')).state FROM bench.todo t WHERE t.slot = :slot;
\else
WITH old AS (SELECT l.reservation_id, l.state FROM baseline.lean_reservation l, bench.todo t WHERE t.slot = :slot AND l.reservation_id = t.reservation_id AND l.state IN ('held', 'confirmed') FOR UPDATE OF l), r AS (UPDATE baseline.lean_reservation l SET state = 'cancelled', updated_at = now() FROM old WHERE l.reservation_id = old.reservation_id RETURNING l.property_id, l.room_type, l.check_in, l.check_out, l.rooms, old.state), n AS (UPDATE baseline.inventory i SET held = i.held - CASE WHEN r.state = 'held' THEN r.rooms ELSE 0 END, booked = i.booked - CASE WHEN r.state = 'confirmed' THEN r.rooms ELSE 0 END FROM r WHERE i.property_id = r.property_id AND i.room_type = r.room_type AND i.night >= r.check_in AND i.night < r.check_out RETURNING 1) SELECT count(*) FROM n;
\endif

-- beside: what the sweep scenario runs while the sweeper expires dead
-- holds: a reserve and its cancel on room type LU of property :lupid,
-- which has no dead hold, so it never waits for the sweeper's row locks:
-- its latency shows how much the expiry slows the rest of the server.
SELECT (booking.cancel_reservation((booking.reserve_range(:lupid, 'LU', current_date + 40, current_date + 43, 1, 'beside')).reservation_id)).state;

-- last units: one room on the same 3 nights of a room type of 100 units
-- (room type LU of property :lupid); bench.attempt returns 1 for a room,
-- 0 for sold out, whatever the engine.
SELECT bench.attempt(:engine, :lupid, 'LU', current_date + 30, current_date + 33);

-- test/badinput/classify.sql: judges every call of the battery from
-- bi.outcome (loaded by the runner).  The allowed outcomes are documented
-- in docs/testing.md ("badinput"):
--   success;
--   a SQLSTATE of the public contract: BK001..BK007, 22023;
--   23505 from add_room_type, add_rate_plan and add_policy (a code the
--     property or room type already has);
--   22P02 (a malformed calendar), 0A000 (a recurring event) and 54000
--     (over booking.ical_max_events) from ical_import (2.0);
--   0A000 from modify_reservation of a block pickup (2.0, docs/blocks.md),
--     told by its message;
--   a call with an exact expectation (trigger functions called directly:
--     0A000; the state machine trigger on a terminal row: BK003);
--   an error the server itself raises while evaluating the arguments,
--     before booking runs: accepted only when evaluating the same
--     argument list alone (without the call) fails with the same SQLSTATE
--     and the same message (so a 22008 "timestamp out of range" from
--     inside the engine is not excused by a 22008 "date out of range"
--     that an argument such as '5874897-12-31'::date + 1 raises itself).
-- Anything else is a failure, and these are named for what they are:
-- 'bad: limit inside the engine' (54000, program_limit_exceeded, such as
-- an index row over the btree limit: a text argument that was not capped),
-- 'bad: datetime overflow inside the engine' (22008), 'bad: numeric
-- overflow inside the engine' (22003), and plain 'bad' (XX000, 42xxx,
-- 23xxx escaping, a statement timeout); 'no outcome' when the session
-- died.
CREATE FUNCTION bi.args_outcome(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF sql IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE sql;
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    -- as the runner reads a message: without tabs and backslashes
    RETURN SQLSTATE || '|' || translate(SQLERRM, E'\t\\', '');
END
$$;

CREATE TABLE bi.judged AS
SELECT c.n, c.fn, c.call_sql, o.sqlstate, o.message,
       CASE
           WHEN o.sqlstate IS NULL THEN 'no outcome'
           WHEN c.expect IS NOT NULL THEN CASE WHEN o.sqlstate = c.expect THEN 'expected' ELSE 'bad' END
           WHEN o.sqlstate = '00000' THEN 'success'
           WHEN o.sqlstate IN ('BK001', 'BK002', 'BK003', 'BK004', 'BK005', 'BK006', 'BK007', '22023') THEN 'contract'
           WHEN o.sqlstate = '23505' AND c.fn IN ('add_room_type', 'add_rate_plan', 'add_policy') THEN 'contract'
           WHEN o.sqlstate IN ('22P02', '0A000', '54000') AND c.fn = 'ical_import' THEN 'contract'
           WHEN o.sqlstate = '0A000' AND c.fn = 'modify_reservation'
                AND o.message LIKE 'a block pickup cannot be modified%' THEN 'contract'
           WHEN bi.args_outcome(c.args_sql) = o.sqlstate || '|' || o.message THEN 'server rejected the argument'
           WHEN o.sqlstate = '54000' THEN 'bad: limit inside the engine'
           WHEN o.sqlstate = '22008' THEN 'bad: datetime overflow inside the engine'
           WHEN o.sqlstate = '22003' THEN 'bad: numeric overflow inside the engine'
           ELSE 'bad'
       END AS verdict
  FROM bi.call c LEFT JOIN bi.outcome o USING (n);

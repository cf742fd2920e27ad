-- test/badinput/classify.sql: judges every call of the battery from
-- bi.outcome (loaded by the runner).  The allowed outcomes are documented
-- in docs/testing.md ("badinput"):
--   success;
--   a SQLSTATE of the public contract: BK001..BK007, 22023;
--   23505 from add_room_type (a code the property already has);
--   a call with an exact expectation (trigger functions called directly:
--     0A000; the state machine trigger on a terminal row: BK003);
--   an error the server itself raises while evaluating the arguments,
--     before booking runs: accepted only when evaluating the same
--     argument list alone (without the call) fails with the same SQLSTATE.
-- Anything else (XX000, 42xxx, 23xxx escaping, a datetime or numeric
-- overflow inside booking, a statement timeout, no outcome at all because
-- the session died) is a failure.
CREATE FUNCTION bi.args_state(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF sql IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE sql;
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

CREATE TABLE bi.judged AS
SELECT c.n, c.fn, c.call_sql, o.sqlstate, o.message,
       CASE
           WHEN o.sqlstate IS NULL THEN 'no outcome'
           WHEN c.expect IS NOT NULL THEN CASE WHEN o.sqlstate = c.expect THEN 'expected' ELSE 'bad' END
           WHEN o.sqlstate = '00000' THEN 'success'
           WHEN o.sqlstate IN ('BK001', 'BK002', 'BK003', 'BK004', 'BK005', 'BK006', 'BK007', '22023') THEN 'contract'
           WHEN o.sqlstate = '23505' AND c.fn = 'add_room_type' THEN 'contract'
           WHEN bi.args_state(c.args_sql) = o.sqlstate THEN 'server rejected the argument'
           ELSE 'bad'
       END AS verdict
  FROM bi.call c LEFT JOIN bi.outcome o USING (n);

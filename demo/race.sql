-- demo/race.sql: one guest's session in the race for the last suite.
-- demo/run starts two of these at once: psql -v guest=Ana -v start=<epoch>.
-- Both sessions connect, wait for the same instant, then call
-- booking.reserve_range for the only unit of the suite.  Each keeps its
-- transaction open half a second after reserve_range returns (as an
-- application would while it writes its own records), so the two calls
-- really overlap: the second waits on the night's row lock, then finds
-- the suite gone and gets BK001.  Prints one line.
\ir common.psql

CREATE FUNCTION pg_temp.race_for_suite(guest text, hotel bigint, d_in date, d_out date)
RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    t0 timestamptz := clock_timestamp();
    r booking.reservation;
    state text;
    msg text;
BEGIN
    SELECT * INTO STRICT r
      FROM booking.reserve_range(hotel, 'STE', d_in, d_out, guest_id => guest);
    msg := format('%s  %-4s GOT THE SUITE: reservation %s, %s until %s (reserve_range took %s ms)',
                  to_char(t0, 'HH24:MI:SS.MS'), guest, r.reservation_id, r.state,
                  to_char(r.hold_expires_at, 'HH24:MI:SS TZ'),
                  round(extract(epoch FROM clock_timestamp() - t0) * 1000));
    PERFORM pg_sleep(0.5);
    RETURN msg;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN format('%s  %-4s was turned away after waiting %s ms: %s %s',
                  to_char(t0, 'HH24:MI:SS.MS'), guest,
                  round(extract(epoch FROM clock_timestamp() - t0) * 1000), state, msg);
END
$f$;

SELECT pg_sleep(greatest(0, :start - extract(epoch FROM clock_timestamp()))) AS _ \gset
\pset tuples_only on
\pset format unaligned
SELECT pg_temp.race_for_suite(:'guest', :hotel, :'d_in', :'d_out');

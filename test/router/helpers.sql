-- test/router/helpers.sql: schema t, the helpers of the router suite.  It
-- is created both in a plain booking database and in the router database,
-- so that test/router/api.sql runs unchanged on both and their outputs can
-- be compared line by line.

CREATE SCHEMA t;

-- t.rel rewrites every YYYY-MM-DD date in a message as D+n relative to
-- current_date, and every property, reservation or group id as N: the
-- router's ids differ from a single node's (each shard issues its own).
CREATE FUNCTION t.rel(msg text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m text[];
BEGIN
    IF msg IS NULL THEN
        RETURN NULL;
    END IF;
    FOR m IN SELECT regexp_matches(msg, '(\d{4}-\d{2}-\d{2})', 'g') LOOP
        msg := replace(msg, m[1], 'D' || CASE WHEN m[1]::date >= current_date THEN '+' ELSE '' END
                                      || (m[1]::date - current_date));
    END LOOP;
    RETURN regexp_replace(msg, '([Rr]eservation|[Pp]roperty|[Gg]roup) \d+', '\1 N', 'g');
END
$$;

-- t.try runs a statement and returns 'ok' or 'SQLSTATE: message | detail | hint'.
CREATE FUNCTION t.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    hint text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ': ' || t.rel(SQLERRM) || COALESCE(' | ' || t.rel(NULLIF(detail, '')), '')
           || COALESCE(' | hint: ' || NULLIF(hint, ''), '');
END
$$;

-- t.state is the SQLSTATE a statement raises ('ok' when none).
CREATE FUNCTION t.state(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- t.res shows a reservation without its ids and clock times.
CREATE FUNCTION t.res(r booking.reservation) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s %s x%s D+%s..D+%s price=%s guest=%s ref=%s code=%s reason=%s intent=%s',
                  r.state, r.room_type, r.rooms, r.check_in - current_date, r.check_out - current_date,
                  r.total_price, coalesce(r.guest_id, '-'), coalesce(r.payment_ref, '-'),
                  CASE WHEN r.confirmation_code IS NULL THEN '-'
                       WHEN r.confirmation_code ~ '^[0-9A-Z]+-[0-9A-Z]{4}$' THEN 'well-formed'
                       ELSE 'MALFORMED ' || r.confirmation_code END,
                  coalesce(r.cancel_reason, '-'), coalesce(r.payment_intent, '-'))
$$;

-- t.avail shows a property's availability relative to current_date.
CREATE FUNCTION t.avail(p bigint, first int, last int) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT format('%s D+%s available=%s price=%s', a.room_type, a.night - current_date, a.available, a.price)
      FROM booking.availability(p, current_date + first, current_date + last) a
$$;

-- t.l is one line of a group (reserve_group's lines), its dates relative
-- to current_date; rooms and guests left out when NULL.
CREATE FUNCTION t.l(room_type text, ci int, co int, rooms int DEFAULT NULL, guests int DEFAULT NULL)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('room_type', room_type, 'check_in', current_date + ci,
                                                'check_out', current_date + co, 'rooms', rooms,
                                                'guests', guests))
$$;

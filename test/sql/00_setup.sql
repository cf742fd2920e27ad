-- Installs the extension and the helpers the other regression files use.
CREATE EXTENSION booking;

-- t.rel rewrites every YYYY-MM-DD date in a message as D+n relative to
-- current_date, so expected output does not rot as the calendar moves, and
-- every property or reservation id as N.
CREATE SCHEMA t;
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
    RETURN regexp_replace(msg, '([Rr]eservation|[Pp]roperty) \d+', '\1 N', 'g');
END
$$;

-- t.try runs a statement and returns 'ok' or 'SQLSTATE: message | detail'.
CREATE FUNCTION t.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || t.rel(SQLERRM) || COALESCE(' | ' || t.rel(NULLIF(detail, '')), '');
END
$$;

-- t.inv shows a room type's nights relative to current_date.
CREATE FUNCTION t.inv(p bigint, rt text, first int, last int)
RETURNS TABLE(d int, units int, held int, booked int, price numeric) LANGUAGE sql AS $$
    SELECT night - current_date, units, held, booked, price
      FROM booking.inventory
     WHERE property_id = p AND room_type = rt
       AND night >= current_date + first AND night < current_date + last
     ORDER BY night
$$;

SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'booking';

-- test/dump/settled.sql: one line per table and sequence of the extension,
-- for comparing a restored database, after its sweeper has expired the
-- holds that died in the meantime, with the source after expire_holds():
-- the same rows, leaving out what differs by when and by whom a hold was
-- expired (updated_at, an event's id, time, writer and position, the
-- position sequence, and the publishing passes, which hold ids by position).
\set ON_ERROR_STOP 1
CREATE TEMP TABLE fp (what text, fingerprint text);
DO $$
DECLARE
    rel regclass;
    cols text;
    fp text;
BEGIN
    FOR rel IN SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'booking'
    LOOP
        IF rel::text IN ('booking.event_position_seq', 'booking.event_pass') THEN
            CONTINUE;
        ELSIF (SELECT relkind FROM pg_class WHERE oid = rel) = 'S' THEN
            EXECUTE format('SELECT format(''last_value=%%s is_called=%%s'', last_value, is_called) FROM %s', rel)
               INTO fp;
        ELSE
            SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
              FROM pg_attribute
             WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped
               AND (rel, attname) NOT IN (('booking.reservation'::regclass, 'updated_at'),
                                          ('booking.event'::regclass, 'event_id'),
                                          ('booking.event'::regclass, 'occurred_at'),
                                          ('booking.event'::regclass, 'writer_xid'),
                                          ('booking.event'::regclass, 'position'));
            EXECUTE format('SELECT format(''rows=%%s md5=%%s'', count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), ''''))) FROM (SELECT %s FROM %s) t', cols, rel)
               INTO fp;
        END IF;
        INSERT INTO fp VALUES (rel::text, fp);
    END LOOP;
END
$$;
SELECT what || ' ' || fingerprint FROM fp ORDER BY what;

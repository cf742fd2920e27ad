-- test/dump/fingerprint.sql: one line per table and sequence the extension
-- registers for dumping (pg_extension.extconfig), plus fx.keyed: its row
-- count and the md5 of its rows in order; for a sequence, last_value and
-- is_called.  The source and the restored database must print the same.
-- Rows are compared without writer_xid: a restored event gets the
-- restoring transaction's (the trigger event_local_writer), since another
-- cluster's xid means nothing to this one's publisher.
\set ON_ERROR_STOP 1
CREATE TEMP TABLE fp (what text, fingerprint text);
DO $$
DECLARE
    rel regclass;
    fp text;
BEGIN
    FOR rel IN
        SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'booking'
        UNION ALL SELECT 'fx.keyed'::regclass
    LOOP
        IF (SELECT relkind FROM pg_class WHERE oid = rel) = 'S' THEN
            EXECUTE format('SELECT format(''last_value=%%s is_called=%%s'', last_value, is_called) FROM %s', rel)
               INTO fp;
        ELSE
            EXECUTE format('SELECT format(''rows=%%s md5=%%s'', count(*), md5(coalesce(string_agg((to_jsonb(t) - ''writer_xid'')::text, E''\n'' ORDER BY (to_jsonb(t) - ''writer_xid'')::text), ''''))) FROM %s t', rel)
               INTO fp;
        END IF;
        INSERT INTO fp VALUES (rel::text, fp);
    END LOOP;
END
$$;
SELECT what || ' ' || fingerprint FROM fp ORDER BY what;

-- pgbench: the read path.
SELECT ld.try('availability', format('SELECT count(*) FROM booking.availability(%s, current_date + 1, current_date + 8)', :pid), '{}');
SELECT ld.try('search', 'SELECT count(*) FROM booking.search(''Loadville'', current_date + 2, current_date + 4)', '{}');
SELECT ld.try('quote', format('SELECT count(*) FROM booking.quote(%s, %L, current_date + 2, current_date + 5)', :pid, 'HOT'), '{}');

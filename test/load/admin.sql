-- pgbench: the back office: expire dead holds, and move the hot nights'
-- units between 3 and 5 (lowering below held + booked fails BK001).
\set u random(3, 5)
SELECT ld.try('expire_holds', 'SELECT booking.expire_holds(100)', '{}');
SELECT ld.try('open_inventory', format('SELECT booking.open_inventory(%s, %L, current_date + 1, current_date + 7, %s)', :pid, 'HOT', :u), '{BK001}');

-- demo/rules.sql: stay rules (version 1.1).  The hotel asks for at least 3
-- nights from guests arriving on a festival weekend and stops selling the
-- doubles on a night they are being repainted.  booking.quote explains why
-- a stay cannot be booked, reserve_range refuses it with BK006, search
-- leaves it out, and booking.calendar shows the month at a glance.
\ir common.psql

-- The festival: arrivals on today + 14 and + 15.  The repainting: the
-- night of today + 18.
SELECT current_date + 14 AS fest_in, current_date + 16 AS fest_out2, current_date + 17 AS fest_out3,
       current_date + 18 AS paint, current_date + 19 AS paint_end \gset

\echo
\echo '== 12. Stay rules: a festival minimum stay and a night off sale'
\echo '   booking.set_rules(property_id, room_type, first_night, end_night, ...) sets rules'
\echo '   on every night of [first_night, end_night); a rule left NULL stays as it is.'
\echo '   Guests arriving on' :fest_in 'or the day after must stay at least 3 nights:'
SELECT booking.set_rules(:hotel, 'DBL', :'fest_in', :'fest_in'::date + 2, min_stay => 3) AS "nights given min_stay 3";
\echo '   The doubles are repainted on the night of' :paint ': stop-sell.'
SELECT booking.set_rules(:hotel, 'DBL', :'paint', :'paint_end', stop_sell => true) AS "nights stopped";
SELECT night, min_stay, max_stay, closed_to_arrival AS cta, closed_to_departure AS ctd, stop_sell
  FROM booking.stay_rule WHERE property_id = :hotel ORDER BY night;

\echo
\echo '   Ivo''s checkout page asks booking.quote before reserving: 2 nights from' :fest_in
SELECT night, available, price, total_price, bookable, reason
  FROM booking.quote(:hotel, 'DBL', :'fest_in', :'fest_out2');
\echo '   His app ignores the answer and calls reserve_range anyway:'
SELECT outcome AS "reserve_range, 2 nights from the festival"
  FROM pg_temp.attempt(format('SELECT booking.reserve_range(%s, %L, %L, %L, guest_id => %L)',
                              :hotel, 'DBL', :'fest_in', :'fest_out2', 'Ivo'));
\echo '   Search does not offer the double for those 2 nights either (the suite and the'
\echo '   flat have no rules):'
SELECT property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', :'fest_in', :'fest_out2', guests => 2);
\echo '   3 nights are bookable; the total is what reserve_range will fix:'
SELECT night, available, price, total_price, bookable, reason
  FROM booking.quote(:hotel, 'DBL', :'fest_in', :'fest_out3');
SELECT reservation_id, guest_id, check_in, check_out, state, total_price
  FROM booking.reserve_range(:hotel, 'DBL', :'fest_in', :'fest_out3', guest_id => 'Ivo');
\echo '   A stay through the repainting night is refused, and quote names the night:'
SELECT DISTINCT bookable, reason
  FROM booking.quote(:hotel, 'DBL', :'paint'::date - 1, :'paint_end'::date + 1);
SELECT outcome AS "reserve_range through the stop-sell night"
  FROM pg_temp.attempt(format('SELECT booking.reserve_range(%s, %L, %L, %L)',
                              :hotel, 'DBL', :'paint'::date - 1, :'paint_end'::date + 1));

\echo
\echo '   booking.calendar(property_id, month): the month at a glance.  Per day: the free'
\echo '   units, X sold out, - stop-sell, . not on sale.  The first row is the month and'
\echo '   the day numbers.'
SELECT * FROM booking.calendar(:hotel, :'d_open');
SELECT date_trunc('month', :'d_open'::date) <> date_trunc('month', :'d_close'::date - 1) AS two_months \gset
\if :two_months
\echo '   The nights on sale run into the next month:'
SELECT * FROM booking.calendar(:hotel, :'d_close'::date - 1);
\endif

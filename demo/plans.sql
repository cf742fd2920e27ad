-- demo/plans.sql: rate plans, cancellation policies and the stay (booking
-- 2.0).  The hotel sells its double flexible and non-refundable (two plans
-- derived from the inventory's price, each with its cancellation policy)
-- and its suite to families, priced per person.  Guests book under the
-- plans; booking.cancel_quote tells each what a cancel would cost now; one
-- cancels inside the penalty window and pays the fee; one never arrives and
-- is marked a no-show (his nights from tomorrow on go back on sale); one
-- checks in and leaves early.
\ir common.psql

-- "Today" is the hotel's: the date it is now in its time zone, the day
-- check_in, mark_no_show and the policies' deadlines are counted from.
SELECT time_zone AS hotel_tz, (now() AT TIME ZONE time_zone)::date AS today
  FROM booking.property WHERE property_id = :hotel \gset
-- The week a guest compares the plans over (today + 2 to + 9), and the
-- nights of this chapter's stays.
SELECT :'today'::date + 1 AS tomorrow, :'today'::date + 2 AS wk_in, :'today'::date + 9 AS wk_out,
       :'today'::date + 5 AS olga_out, :'today'::date + 3 AS stay_out \gset

-- :show_week prints booked and free doubles per night from today to the
-- start of the compared week's stays.  Follow it with \crosstabview.
SELECT format($q$SELECT room_type AS "room type", to_char(night, 'Dy DD Mon') AS night,
                         format('%%s booked, %%s free', booked, units - held - booked)
                    FROM booking.inventory AS i
                   WHERE property_id = %s AND room_type = 'DBL'
                     AND i.night >= %L AND i.night < %L
                   ORDER BY i.night$q$, :hotel, :'today', :'olga_out') AS show_week \gset

\echo
\echo '== 15. One double, three prices; a family priced per person; the stay'
\echo '   The hotel writes two cancellation policies (booking.add_policy).  A tier holds'
\echo '   until `until` before check-in (00:00 on the arrival day, hotel time, ':hotel_tz'),'
\echo '   tiers are read in order, the first not yet past applies, and once every deadline'
\echo '   has passed, the last one does.'
\echo '   FLEX: free until 2 days before, then the first night.  NR, non-refundable: a single'
\echo '   tier of 100 %, in force from the moment of booking (before check-in it is the tier'
\echo '   not yet past, after it the last one).'
SELECT booking.add_policy(:hotel, 'FLEX',
         '[{"until": "2 days", "charge_pct": 0}, {"until": "0", "charge_nights": 1}]') AS _ \gset
SELECT booking.add_policy(:hotel, 'NR', '[{"until": "0", "charge_pct": 100}]') AS _ \gset
SELECT code AS policy, tiers, no_show
  FROM booking.cancel_policy WHERE property_id = :hotel ORDER BY code;

\echo
\echo '   Two plans for the double (booking.add_rate_plan), both derived from BASE, the'
\echo '   inventory''s own price (which has no policy: it cancels free, as before).  FLEX'
\echo '   costs the same with policy FLEX; NR costs 15 % less with policy NR.'
SELECT booking.add_rate_plan(:hotel, 'DBL', 'FLEX', 'Flexible', parent => 'BASE',
                             policy => 'FLEX') AS _ \gset
SELECT booking.add_rate_plan(:hotel, 'DBL', 'NR', 'Non-refundable', parent => 'BASE',
                             adjust_pct => -15, policy => 'NR') AS _ \gset
SELECT room_type, code AS plan, name, parent, adjust_pct, policy
  FROM booking.rate_plan WHERE property_id = :hotel ORDER BY room_type, code;

\echo
\echo '   The doubles also go on sale for this week, from today (':today') to ':d_open','
\echo '   Fridays and Saturdays at 150 as in chapter 1, so guests can arrive today.'
SELECT booking.open_inventory(:hotel, 'DBL', :'today', :'d_open') AS _ \gset
SELECT coalesce(sum(booking.open_inventory(:hotel, 'DBL', d, d + 1, price => 150)), 0) AS _
  FROM generate_series(:'today'::date, :'d_open'::date - 1, interval '1 day') AS g,
       LATERAL (SELECT g::date AS d) AS night
 WHERE extract(isodow FROM d) IN (5, 6) \gset

\echo
\echo '   The same double under each plan, side by side: booking.quote(..., rate_plan) for'
\echo '   the week from ':wk_in' to ':wk_out'.  A derived price is rounded half-up to cents'
\echo '   where it is computed; the total is the sum of the nights.'
SELECT night, plan, price
  FROM (SELECT q.night AS sort_night, to_char(q.night, 'Dy DD Mon') AS night, p.plan, p.i,
               q.price::text AS price
          FROM unnest(ARRAY['BASE', 'FLEX', 'NR']) WITH ORDINALITY AS p(plan, i),
               booking.quote(:hotel, 'DBL', :'wk_in', :'wk_out', rate_plan => p.plan) AS q
        UNION ALL
        SELECT NULL, 'total', p.plan, p.i, min(q.total_price)::text
          FROM unnest(ARRAY['BASE', 'FLEX', 'NR']) WITH ORDINALITY AS p(plan, i),
               booking.quote(:hotel, 'DBL', :'wk_in', :'wk_out', rate_plan => p.plan) AS q
         GROUP BY p.plan, p.i) AS side_by_side
 ORDER BY sort_night NULLS LAST, i
\crosstabview night plan price

\echo
\echo '   A family plan for the suite (4 guests at most), priced per person: FAMILY, derived'
\echo '   from BASE, breakfast included.  The suite''s price covers 2 guests (base_occupancy);'
\echo '   each adult beyond them costs 45 a night, each child 25.  Policy FLEX.'
SELECT booking.add_rate_plan(:hotel, 'STE', 'FAMILY', 'Family, breakfast included', parent => 'BASE',
                             base_occupancy => 2, extra_adult => 45, extra_child => 25,
                             meal_plan => 'breakfast', policy => 'FLEX') AS _ \gset
SELECT room_type, code AS plan, parent, base_occupancy, extra_adult, extra_child, meal_plan, policy
  FROM booking.rate_plan WHERE property_id = :hotel AND code = 'FAMILY';
\echo '   booking.quote(..., guests, rate_plan, children) for 3 nights from' :d_open
\echo '   (guests counts the adults; the extras are per night, for the whole party):'
SELECT party, min(q.price) AS "suite a night", min(q.extra) AS "extras a night",
       min(q.total_price) AS total_price, bool_and(q.bookable) AS bookable, min(q.reason) AS reason
  FROM (VALUES (1, '2 adults', 2, 0), (2, '2 adults, 2 children', 2, 2), (3, '4 adults', 4, 0),
               (4, '3 adults, 2 children', 3, 2)) AS p(i, party, adults, children),
       booking.quote(:hotel, 'STE', :'d_open', :'d_in', guests => p.adults,
                     rate_plan => 'FAMILY', children => p.children) AS q
 GROUP BY p.i, party ORDER BY p.i;

\echo
\echo '   Lena books the suite for her family of four, 2 adults and 2 children, and pays:'
SELECT reservation_id AS lena_id
  FROM booking.reserve_range(:hotel, 'STE', :'d_open', :'d_in', guest_id => 'Lena',
                             guests => 2, rate_plan => 'FAMILY', children => 2) \gset
SELECT reservation_id, guest_id, room_type, rate_plan, guests, children, state, total_price
  FROM booking.confirm_booking(:lena_id, 'pay_lena_0001', guest_id => 'Lena');
\echo '   Each night as sold (booking.reservation_night): the suite, and the party''s extras.'
SELECT to_char(night, 'Dy DD Mon') AS night, price, extra
  FROM booking.reservation_night WHERE reservation_id = :lena_id ORDER BY reservation_night.night;

\echo
\echo '   Four more guests book a double and pay (reserve_range, then confirm_booking):'
\echo '   Olga, non-refundable, 3 nights from ':wk_in'; Marta, flexible, 2 nights from'
\echo '   tomorrow; Hugo, flexible, 3 nights from today; and Pedro, at the BASE price, 2 nights'
\echo '   from today.'
SELECT reservation_id AS olga_id
  FROM booking.reserve_range(:hotel, 'DBL', :'wk_in', :'olga_out', guest_id => 'Olga',
                             guests => 2, rate_plan => 'NR') \gset
SELECT reservation_id AS marta_id
  FROM booking.reserve_range(:hotel, 'DBL', :'tomorrow', :'stay_out', guest_id => 'Marta',
                             guests => 2, rate_plan => 'FLEX') \gset
SELECT reservation_id AS hugo_id
  FROM booking.reserve_range(:hotel, 'DBL', :'today', :'stay_out', guest_id => 'Hugo',
                             guests => 1, rate_plan => 'FLEX') \gset
SELECT reservation_id AS pedro_id
  FROM booking.reserve_range(:hotel, 'DBL', :'today', :'tomorrow'::date + 1, guest_id => 'Pedro',
                             guests => 1) \gset
SELECT reservation_id, guest_id, rate_plan, check_in, check_out, state, total_price
  FROM (VALUES (:olga_id, 'Olga'), (:marta_id, 'Marta'), (:hugo_id, 'Hugo'), (:pedro_id, 'Pedro'))
           AS g(id, guest),
       booking.confirm_booking(g.id, 'pay_' || lower(g.guest) || '_0001', guest_id => g.guest);
:show_week
\crosstabview

\echo
\echo '   What would a cancel cost now?  booking.cancel_quote(reservation_id) answers the fee,'
\echo '   the refund, the policy and its tier, and writes nothing.  Fay (chapter 9) booked at'
\echo '   the BASE price: no policy, free.  Lena is more than 2 days out: FLEX''s first tier,'
\echo '   free.  Olga is non-refundable: all of it.  Marta arrives tomorrow, inside FLEX''s'
\echo '   2 days: her first night.'
SELECT reservation_id AS fay_id FROM booking.reservation WHERE guest_id = 'Fay' AND state = 'confirmed' \gset
SELECT r.guest_id, r.rate_plan, r.check_in, r.total_price, q.fee, q.refund, q.policy, q.tier
  FROM booking.reservation r, booking.cancel_quote(r.reservation_id) AS q
 WHERE r.reservation_id IN (:fay_id, :lena_id, :olga_id, :marta_id)
 ORDER BY r.check_in DESC, r.reservation_id;
\echo '   Lena''s free cancel ends 2 days before her check-in, at 00:00 hotel time (cancel_quote'
\echo '   at a given time):'
SELECT t.moment, to_char(t.at AT TIME ZONE :'hotel_tz', 'Dy DD Mon HH24:MI:SS') AS "at (hotel time)",
       q.fee, q.refund, q.tier
  FROM (SELECT (:'d_open'::date - 2)::timestamp AT TIME ZONE :'hotel_tz' AS free_until,
               :'d_open'::timestamp AT TIME ZONE :'hotel_tz' AS arrival) AS lena,
       LATERAL (VALUES ('1 s before the deadline', free_until - interval '1 second'),
                       ('1 s after it', free_until + interval '1 second'),
                       ('1 s after check-in', arrival + interval '1 second')) AS t(moment, at),
       booking.cancel_quote(:lena_id, at => t.at) AS q
 ORDER BY t.at;

\echo
\echo '   Marta cancels all the same.  cancel_reservation records the fee on the reservation'
\echo '   (cancellation_fee), and her 2 nights go back on sale:'
SELECT reservation_id, guest_id, rate_plan, state, total_price, cancellation_fee
  FROM booking.cancel_reservation(:marta_id, 'flight cancelled', guest_id => 'Marta');
\echo '   The `cancelled` event tells the payment service what to keep and what to pay back:'
SELECT kind, payload->>'guest_id' AS guest, payload->>'total_price' AS total_price,
       payload->>'cancellation_fee' AS cancellation_fee, payload->>'refund_amount' AS refund_amount
  FROM booking.event WHERE reservation_id = :marta_id AND kind = 'cancelled';

\echo
\echo '   Hugo was due today and has not come.  booking.mark_no_show (from the arrival day on,'
\echo '   hotel time): his first night stays booked and charged, the nights after it go back'
\echo '   on sale, and the fee is the policy''s no-show charge (FLEX has none of its own, so'
\echo '   its last tier: the first night).'
SELECT reservation_id, guest_id, state, check_in, check_out, total_price
  FROM booking.reservation WHERE reservation_id = :hugo_id;
SELECT reservation_id, guest_id, state, check_in, check_out, total_price, cancellation_fee
  FROM booking.mark_no_show(:hugo_id);
SELECT kind, payload->>'guest_id' AS guest, payload->>'check_out' AS check_out,
       payload->>'cancellation_fee' AS cancellation_fee, payload->>'refund_amount' AS refund_amount
  FROM booking.event WHERE reservation_id = :hugo_id AND kind = 'no_show';

\echo
\echo '   Pedro arrives and checks in (booking.check_in, from the arrival day on).  Lena,'
\echo '   who tries to check in a week early, is refused:'
SELECT reservation_id, guest_id, state, check_in, check_out, total_price
  FROM booking.check_in(:pedro_id);
SELECT outcome AS "check_in of Lena's suite"
  FROM pg_temp.attempt(format('SELECT booking.check_in(%s)', :lena_id));
\echo '   Pedro is called away and leaves after one night (booking.check_out on the arrival'
\echo '   day keeps the first night): the stay ends tomorrow, his second night goes back on'
\echo '   sale, and he pays for the night he stayed.'
SELECT reservation_id, guest_id, state, check_in, check_out, total_price
  FROM booking.check_out(:pedro_id);
\echo '   The doubles now: Marta''s, Hugo''s and Pedro''s freed nights are on sale again.'
:show_week
\crosstabview

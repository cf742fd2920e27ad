-- demo/group.sql: a family books two room types at once (booking 2.0).
-- Joana, her husband and their son want a double and a single for the
-- same two nights: one booking.reserve_group call holds both rooms or
-- neither, under one deadline; one payment confirms the whole group
-- (booking.confirm_group).  A second group that asks for more singles than
-- are left is refused, the error naming its line, and holds nothing.
\ir common.psql

-- The family's stay: the last 2 nights on sale (today + 19 to + 21).
SELECT current_date + 19 AS fam_in, current_date + 21 AS fam_out \gset

-- :show_rooms prints held, booked and free units of the double and the
-- single per night of the family's stay.  Follow it with \crosstabview.
SELECT format($q$SELECT room_type AS "room type", to_char(night, 'Dy DD Mon') AS night,
                         format('%%s held, %%s booked, %%s free', held, booked, units - held - booked)
                    FROM booking.inventory
                   WHERE property_id = %s AND room_type IN ('DBL', 'SGL')
                     AND night >= %L AND night < %L
                   ORDER BY room_type, night$q$, :hotel, :'fam_in', :'fam_out') AS show_rooms \gset

\echo
\echo '== 14. A family books a double and a single at once (booking.reserve_group)'
\echo '   The hotel''s 2 single rooms are back from refurbishment: add_room_type and'
\echo '   open_inventory (as in chapter 1) put them on sale at 80 a night.'
SELECT booking.add_room_type(:hotel, 'SGL', 'Single room', 2, max_guests => 1, base_price => 80) AS _ \gset
SELECT booking.open_inventory(:hotel, 'SGL', current_date + 7, current_date + 21) AS _ \gset
\echo '   Joana wants a double for herself and her husband and a single for their son,'
\echo '   from' :fam_in 'to' :fam_out '(2 nights).  booking.reserve_group(property_id, lines):'
\echo '   one line per room type, held all or nothing, one row back per line, in order.'
\echo '   The group''s id is its first line''s reservation_id; every line has the same deadline.'
SELECT reservation_id, group_id, guest_id, room_type, rooms, guests, state, total_price,
       to_char(hold_expires_at, 'HH24:MI:SS TZ') AS held_until
  FROM booking.reserve_group(:hotel,
         jsonb_build_array(
           jsonb_build_object('room_type', 'DBL', 'check_in', :'fam_in', 'check_out', :'fam_out', 'guests', 2),
           jsonb_build_object('room_type', 'SGL', 'check_in', :'fam_in', 'check_out', :'fam_out', 'guests', 1)),
         guest_id => 'Joana');
SELECT group_id AS fam_group, sum(total_price) AS fam_total
  FROM booking.reservation WHERE guest_id = 'Joana' GROUP BY group_id \gset
\echo '   Both rooms are held on both nights:'
:show_rooms
\crosstabview

\echo
\echo '   The family pays' :fam_total 'once, for the whole group.  booking.confirm_group(group_id,'
\echo '   payment_ref) confirms every line with that payment_ref; each line gets its own'
\echo '   confirmation code (one per room, for the front desk):'
SELECT reservation_id, group_id, room_type, state, total_price, payment_ref, confirmation_code
  FROM booking.confirm_group(:fam_group, 'pay_joana_0001', guest_id => 'Joana');
:show_rooms
\crosstabview

\echo
\echo '   Kai books for his band of six on the same nights: 2 doubles and 2 singles.  Only one'
\echo '   single is left, so the group is refused; the error names the line that does not fit:'
SELECT outcome AS "reserve_group, 2 doubles and 2 singles"
  FROM pg_temp.attempt(format('SELECT booking.reserve_group(%s, %L, guest_id => %L)', :hotel,
         jsonb_build_array(
           jsonb_build_object('room_type', 'DBL', 'check_in', :'fam_in', 'check_out', :'fam_out', 'rooms', 2),
           jsonb_build_object('room_type', 'SGL', 'check_in', :'fam_in', 'check_out', :'fam_out', 'rooms', 2)),
         'Kai'));
\echo '   All or nothing: the 2 doubles of his first line, which were free, were not held either.'
:show_rooms
\crosstabview

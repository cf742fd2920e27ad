-- test/router/api.sql: the API's cases, through booking.* functions only.
-- test/router/run plays it twice, once in a plain booking database and
-- once through the router (two shards behind it), and requires the two
-- outputs to be the same: same rows, same SQLSTATEs, same messages, same
-- details and hints.  Ids are never printed (the router's differ from a
-- single node's); t.try/t.res write them as N.  No answer is written here:
-- the plain database is the reference.
\set ON_ERROR_STOP 1
\pset pager off

-- 1. Catalog
SELECT booking.add_property('Hotel Sol', 'Lisbon', 'Europe/Lisbon') AS sol \gset
SELECT booking.add_property('Casa Azul', 'Lisbon', 'UTC') AS azul \gset
SELECT booking.add_property('Pensao Rio', 'Lisbon') AS rio \gset
SELECT booking.add_property('Quinta Verde', 'Lisbon', 'Europe/Lisbon') AS verde \gset
SELECT booking.add_property('Reserve Inn', 'Faro') AS inn \gset
SELECT booking.node_of(:sol) = :sol % 1024 AS node_of_is_id_mod_1024;
SELECT t.try($$SELECT booking.add_property('X', 'Lisbon', 'Mars/Olympus')$$);
SELECT t.try($$SELECT booking.add_property(NULL, 'Lisbon')$$);
SELECT t.try($$SELECT booking.add_property('', 'Lisbon')$$);
SELECT t.try($$SELECT booking.add_property('X', NULL)$$);

SELECT booking.add_room_type(:sol, 'KNG', 'King', 3, 2, 100);
SELECT booking.add_room_type(:sol, 'FAM', 'Family', 1, 4, 150);
SELECT booking.add_room_type(:azul, 'home', 'Whole house', 1);
SELECT booking.add_room_type(:rio, 'DBL', 'Double', 2, 2, 45);
SELECT booking.add_room_type(:verde, 'STE', 'Suite', 1, 3, 210);
SELECT booking.add_room_type(:inn, 'DBL', 'Double', 2, 2, 90);
SELECT booking.add_room_type(:inn, 'ONE', 'The only room', 1, 2, 200);
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'KNG', 'Again', 1)$$, :sol));
SELECT t.try($$SELECT booking.add_room_type(999999, 'KNG', 'King', 1)$$);
SELECT t.try($$SELECT booking.add_room_type(NULL, 'KNG', 'King', 1)$$);
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', 'X', -1)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', 'X', 1, 0)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', 'X', 1, 2, -5)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, '', 'X', 1)$$, :sol));
SELECT t.try(format($$SELECT booking.add_room_type(%s, 'X', NULL, 1)$$, :sol));

SELECT booking.open_inventory(:sol, 'KNG', current_date, current_date + 60);
SELECT booking.open_inventory(:sol, 'FAM', current_date, current_date + 60);
SELECT booking.open_inventory(:azul, 'home', current_date, current_date + 60, NULL, 80);
SELECT booking.open_inventory(:rio, 'DBL', current_date, current_date + 60);
SELECT booking.open_inventory(:verde, 'STE', current_date, current_date + 60);
SELECT booking.open_inventory(:inn, 'DBL', current_date, current_date + 40);
SELECT booking.open_inventory(:inn, 'ONE', current_date, current_date + 40);
SELECT booking.open_inventory(:inn, 'DBL', current_date + 6, current_date + 7, NULL, 120);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 5, current_date + 7, NULL, 140);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 6, current_date + 8, 2);
SELECT t.avail(:sol, 4, 9);
SELECT booking.open_inventory(:sol, 'KNG', current_date + 6, current_date + 8, 3, 100);
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date + 5, current_date + 5)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date, current_date + 4000)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date, current_date + 1, -1)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'KNG', current_date, current_date + 1, 1, -1)$$, :sol));
SELECT t.try(format($$SELECT booking.open_inventory(%s, 'SUITE', current_date, current_date + 1)$$, :sol));
SELECT t.try($$SELECT booking.open_inventory(999999, 'KNG', current_date, current_date + 1)$$);
SELECT t.try(format($$SELECT booking.open_inventory(%s, NULL, current_date, current_date + 1)$$, :sol));

-- 2. availability
SELECT t.avail(:sol, 4, 8);
SELECT count(*) FROM booking.availability(:azul, current_date + 100, current_date + 102);
SELECT t.try($$SELECT * FROM booking.availability(999999, current_date, current_date + 1)$$);
SELECT t.try(format($$SELECT * FROM booking.availability(%s, current_date + 3, current_date + 3)$$, :sol));
SELECT t.try(format($$SELECT * FROM booking.availability(%s, NULL, current_date + 3)$$, :sol));
SELECT t.try($$SELECT * FROM booking.availability(NULL, current_date, current_date + 1)$$);

-- 3. search (no two offers share a price here: ties are broken by
-- property_id, and ids differ between a single node and the router)
SELECT property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', current_date + 4, current_date + 7);
SELECT property_name, room_type, total_price
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, 3);
SELECT property_name, room_type, min_available, total_price
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, 1, 2);
SELECT property_name, room_type
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, max_results => 1);
SELECT property_name, room_type
  FROM booking.search('Lisbon', current_date + 4, current_date + 7, max_results => 3);
SELECT count(*) FROM booking.search('Porto', current_date + 4, current_date + 7);
SELECT count(*) FROM booking.search('Lisbon', current_date + 58, current_date + 62);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 4)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 7, 0)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 7, 1, 0)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 7, 1, 1, 0)$$);
SELECT t.try($$SELECT * FROM booking.search(NULL, current_date + 4, current_date + 7)$$);
SELECT t.try($$SELECT * FROM booking.search('Lisbon', current_date + 4, current_date + 700)$$);

-- 4. reserve_range
SELECT reservation_id AS r1, t.res(r) AS res
  FROM booking.reserve_range(:inn, 'DBL', current_date + 5, current_date + 8, 1, 'guest-1') r \gset
SELECT :'res' AS hold;
SELECT booking.node_of(:r1) = booking.node_of(:inn) AS reservation_lives_with_its_property;
SELECT date_trunc('second', hold_expires_at - created_at) AS hold
  FROM booking.reserve_range(:inn, 'DBL', current_date + 20, current_date + 21, hold => interval '20 minutes');
SELECT date_trunc('second', hold_expires_at - created_at) AS default_hold
  FROM booking.reserve_range(:inn, 'DBL', current_date + 22, current_date + 23);
SELECT t.res(r) FROM booking.reserve_range(:inn, 'DBL', current_date + 10, current_date + 12, 2) r;
SELECT t.avail(:inn, 9, 13);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 11, current_date + 13)$$, :inn));
SELECT t.res(r) FROM booking.reserve_range(:inn, 'DBL', current_date + 6, current_date + 7) r;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 3, current_date + 9)$$, :inn));
SELECT t.avail(:inn, 2, 10);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, 3)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 38, current_date + 42)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date - 1, current_date + 1)$$, :inn));
SELECT t.try($$SELECT booking.reserve_range(NULL, 'DBL', current_date + 1, current_date + 2)$$);
SELECT t.try(format($$SELECT booking.reserve_range(%s, NULL, current_date + 1, current_date + 2)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', NULL, current_date + 2)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, NULL)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 3, current_date + 2)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, 0)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, 'infinity')$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 400)$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, hold => '0 seconds')$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, idempotency_key => '')$$, :inn));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 1, current_date + 2, idempotency_key => repeat('k', 256))$$, :inn));
SELECT t.try($$SELECT booking.reserve_range(999999, 'DBL', current_date + 1, current_date + 2)$$);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'SUITE', current_date + 1, current_date + 2)$$, :inn));

-- 5. confirm and cancel
SELECT reservation_id AS c1 FROM booking.reserve_range(:rio, 'DBL', current_date + 2, current_date + 4, 1, 'ann') \gset
SELECT reservation_id AS c2 FROM booking.reserve_range(:rio, 'DBL', current_date + 3, current_date + 5, 1, 'bob') \gset
SELECT t.res(r) FROM booking.confirm_booking(:c1, 'pay-ann-1') r;
SELECT t.avail(:rio, 1, 6);
SELECT confirmation_code AS code FROM booking.confirm_booking(:c1, 'pay-ann-1') \gset
SELECT confirmation_code = :'code' AS same_code, t.res(r) FROM booking.confirm_booking(:c1, 'pay-ann-1') r;
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-ann-2')$$, :c1));
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-ann-1')$$, :c2));
SELECT t.res(r) FROM booking.cancel_reservation(:c2, 'guest changed plans') r;
SELECT t.res(r) FROM booking.cancel_reservation(:c2) r;
SELECT t.avail(:rio, 1, 6);
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-bob')$$, :c2));
SELECT t.res(r) FROM booking.cancel_reservation(:c1) r;
SELECT t.res(r) FROM booking.cancel_reservation(:c1) r;
SELECT t.avail(:rio, 1, 6);
SELECT t.try($$SELECT booking.confirm_booking(NULL, 'x')$$);
SELECT t.try(format($$SELECT booking.confirm_booking(%s, NULL)$$, :c2));
SELECT t.try(format($$SELECT booking.confirm_booking(%s, '')$$, :c2));
SELECT t.try($$SELECT booking.confirm_booking(424242, 'x')$$);
SELECT t.try($$SELECT booking.cancel_reservation(NULL)$$);
SELECT t.try($$SELECT booking.cancel_reservation(424242)$$);

-- 6. idempotency keys
SELECT reservation_id AS k1 FROM booking.reserve_range(:verde, 'STE', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1') \gset
SELECT reservation_id = :k1 AS same, state
  FROM booking.reserve_range(:verde, 'STE', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1');
SELECT t.avail(:verde, 2, 4);
SELECT state FROM booking.confirm_booking(:k1, 'pay-idem-1');
SELECT reservation_id = :k1 AS same, state
  FROM booking.reserve_range(:verde, 'STE', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1');
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'STE', current_date + 3, current_date + 4, 1, 'guest-a', 'key-1')$$, :verde));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'STE', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1', '1 hour')$$, :verde));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'KNG', current_date + 2, current_date + 4, 1, 'guest-a', 'key-1')$$, :sol));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'STE', current_date + 2, current_date + 4, 1, 'guest-b', 'key-1')$$, :verde));
SELECT reservation_id AS k2 FROM booking.reserve_range(:verde, 'STE', current_date + 5, current_date + 6, 1, 'guest-b', 'key-1') \gset
SELECT reservation_id <> :k1 AS other_guest_other_reservation
  FROM booking.reserve_range(:verde, 'STE', current_date + 5, current_date + 6, 1, 'guest-b', 'key-1');

-- 7. deadlines: a dead hold never blocks; a late payment is honoured
-- while the units can be had, BK002 when they are gone
SELECT reservation_id AS dead FROM booking.reserve_range(:inn, 'ONE', current_date + 2, current_date + 4, hold => '100 milliseconds') \gset
SELECT reservation_id AS late FROM booking.reserve_range(:inn, 'ONE', current_date + 8, current_date + 9, hold => '100 milliseconds') \gset
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'ONE', current_date + 3, current_date + 5)$$, :inn)) AS while_alive;
SELECT pg_sleep(0.3);
SELECT reservation_id AS newcomer, t.res(r) AS res FROM booking.reserve_range(:inn, 'ONE', current_date + 3, current_date + 5) r \gset
SELECT :'res' AS newcomer;
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'late-pay-1')$$, :dead)) AS dead_hold_pays;
SELECT t.res(r) AS late_payment FROM booking.confirm_booking(:late, 'late-pay-2') r;
SELECT t.avail(:inn, 1, 10);

-- 8. begin_payment
SELECT reservation_id AS bp FROM booking.reserve_range(:sol, 'FAM', current_date + 9, current_date + 11, 1, 'carla') \gset
SELECT t.res(r), r.hold_expires_at > now() AS still_held FROM booking.begin_payment(:bp, 'pi_1') r;
SELECT t.res(r) FROM booking.begin_payment(:bp, 'pi_1') r;
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'pi_1', '-1 minute')$$, :bp));
SELECT t.try($$SELECT booking.begin_payment(424242, 'pi_2')$$);
SELECT t.res(r) FROM booking.confirm_booking(:bp, 'pay-carla') r;
SELECT t.try(format($$SELECT booking.begin_payment(%s, 'pi_3')$$, :bp));

-- 9. stay rules, quote and calendar (booking 1.1)
SELECT booking.set_rules(:verde, 'STE', current_date + 40, current_date + 50, min_stay => 3);
SELECT booking.set_rules(:verde, 'STE', current_date + 45, current_date + 46, stop_sell => true);
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'STE', current_date + 41, current_date + 43)$$, :verde));
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'STE', current_date + 44, current_date + 47)$$, :verde));
SELECT t.try(format($$SELECT booking.set_rules(%s, 'STE', current_date + 41, current_date + 40, min_stay => 2)$$, :verde));
SELECT t.try($$SELECT booking.set_rules(999999, 'STE', current_date + 41, current_date + 42, min_stay => 2)$$);
SELECT night - current_date AS d, available, price, total_price, bookable, t.rel(reason) AS reason
  FROM booking.quote(:verde, 'STE', current_date + 41, current_date + 43);
SELECT night - current_date AS d, available, price, total_price, bookable, t.rel(reason) AS reason
  FROM booking.quote(:sol, 'KNG', current_date + 4, current_date + 7, 2);
SELECT t.try(format($$SELECT * FROM booking.quote(%s, 'NOPE', current_date + 5, current_date + 6)$$, :sol));
SELECT t.try($$SELECT * FROM booking.quote(999999, 'Q', current_date + 5, current_date + 6)$$);
SELECT booking.clear_rules(:verde, 'STE', current_date + 40, current_date + 50);
SELECT t.res(r) FROM booking.reserve_range(:verde, 'STE', current_date + 41, current_date + 43) r;
SELECT room_type, days FROM booking.calendar(:inn, (date_trunc('month', current_date) + interval '2 months')::date);
SELECT t.try($$SELECT * FROM booking.calendar(999999, current_date)$$);
SELECT booking.rebuild_calendar() > 0 AS rebuilt;
SELECT booking.purge() >= 0 AS purged;

-- 10. ownership and look-ups (booking 2.0): get_reservation on the
-- shard that issued the id, find_reservation asking each shard in turn
SELECT reservation_id AS o1 FROM booking.reserve_range(:rio, 'DBL', current_date + 20, current_date + 21, 1, 'olga') \gset
SELECT t.res(r) FROM booking.get_reservation(:o1, 'olga') r;
SELECT regexp_replace(t.try(format($$SELECT booking.get_reservation(%s, 'mallory')$$, :o1)), 'id \d+', 'id N');
SELECT t.try($$SELECT booking.get_reservation(424242, 'mallory')$$);
SELECT regexp_replace(t.try(format($$SELECT booking.confirm_booking(%s, 'pay-olga', 'mallory')$$, :o1)), 'id \d+', 'id N');
SELECT t.res(r) FROM booking.begin_payment(:o1, 'pi_olga', guest_id => 'olga') r;
SELECT t.res(r) FROM booking.confirm_booking(:o1, 'pay-olga', 'olga') r;
SELECT t.res(r) FROM booking.find_reservation(payment_ref => 'pay-olga') r;
SELECT t.res(r) FROM booking.find_reservation(payment_intent => 'pi_olga') r;
SELECT confirmation_code AS ocode FROM booking.get_reservation(:o1) \gset
SELECT t.res(r) FROM booking.find_reservation(confirmation_code => lower(:'ocode')) r;
SELECT t.try($$SELECT booking.find_reservation(payment_ref => 'pay-nobody')$$);
SELECT t.try($$SELECT booking.find_reservation()$$);
SELECT regexp_replace(t.try(format($$SELECT booking.cancel_reservation(%s, 'x', 'mallory')$$, :o1)), 'id \d+', 'id N');
SELECT t.res(r) FROM booking.cancel_reservation(:o1, 'plans changed', 'olga') r;

-- guests (booking 2.0): at most rooms * max_guests, kept on the reservation;
-- search counts them over all its rooms
SELECT t.res(r), r.guests FROM booking.reserve_range(:rio, 'DBL', current_date + 24, current_date + 25, 2, guests => 3) r;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 24, current_date + 25, guests => 3)$$, :rio));
SELECT DISTINCT bookable, t.rel(reason) AS reason FROM booking.quote(:sol, 'KNG', current_date + 24, current_date + 25, 1, 3);
SELECT property_name, room_type FROM booking.search('Lisbon', current_date + 26, current_date + 27, 5, 2) ORDER BY 1, 2;

-- modify_reservation (booking 2.0): on the reservation's shard
SELECT reservation_id AS m1 FROM booking.reserve_range(:sol, 'KNG', current_date + 30, current_date + 32, 1, 'mia') \gset
SELECT t.res(r) FROM booking.modify_reservation(:m1, check_out => current_date + 33, guest_id => 'mia') r;
SELECT t.res(r) FROM booking.modify_reservation(:m1, room_type => 'FAM', guests => 3) r;
SELECT regexp_replace(t.try(format($$SELECT booking.modify_reservation(%s, rooms => 2)$$, :m1)), 'id \d+', 'id N');
SELECT regexp_replace(t.try(format($$SELECT booking.modify_reservation(%s, rooms => 1, guest_id => 'mallory')$$, :m1)), 'id \d+', 'id N');

-- groups (booking 2.0): reserve_group on its property's shard, one row per
-- line in line order; confirm_group and cancel_group on the shard of the
-- group's id (its first line's reservation_id)
SELECT t.res(r), r.guests, r.reservation_id = r.group_id AS first_line
  FROM booking.reserve_group(:sol, jsonb_build_array(t.l('KNG', 50, 52, 2, 3), t.l('FAM', 50, 51), t.l('KNG', 51, 53)),
                             'gina', 'grp-1') r;
SELECT min(reservation_id) AS g1, max(reservation_id) AS g1_last, count(*) AS g1_lines,
       count(DISTINCT group_id) AS g1_groups, min(group_id) = min(reservation_id) AS g1_first
  FROM booking.reserve_group(:sol, jsonb_build_array(t.l('KNG', 50, 52, 2, 3), t.l('FAM', 50, 51), t.l('KNG', 51, 53)),
                             'gina', 'grp-1') \gset
SELECT :g1_lines AS same_key_same_lines, :g1_groups AS groups, :'g1_first' AS group_id_is_first_line;
SELECT t.avail(:sol, 49, 53);
SELECT t.try(format($$SELECT booking.reserve_group(%s, %L, 'gina', 'grp-1')$$, :sol, jsonb_build_array(t.l('FAM', 50, 51)))) AS key_other_lines;
SELECT t.try(format($$SELECT booking.reserve_group(%s, %L)$$, :sol, jsonb_build_array(t.l('KNG', 54, 55), t.l('FAM', 50, 51)))) AS line_2_full;
SELECT t.try(format($$SELECT booking.reserve_group(%s, %L)$$, :sol, jsonb_build_array(t.l('FAM', 54, 55), t.l('FAM', 54, 55)))) AS counted_together;
SELECT t.try(format($$SELECT booking.reserve_group(%s, %L)$$, :sol, jsonb_build_array(t.l('KNG', 54, 55), t.l('NOPE', 54, 55)))) AS unknown_room_type;
SELECT t.try(format($$SELECT booking.reserve_group(%s, %L)$$, :sol, jsonb_build_array(t.l('FAM', 54, 55, 1, 5)))) AS too_many_guests;
SELECT t.try(format($$SELECT booking.reserve_group(%s, '[]')$$, :sol)) AS no_lines;
SELECT t.try(format($$SELECT booking.reserve_group(%s, '[{"room_type": "KNG", "check_in": "%s", "check_out": "%s", "room": 1}]')$$,
                    :sol, current_date + 54, current_date + 55)) AS malformed;
SELECT t.try(format($$SELECT booking.reserve_group(999999, %L)$$, jsonb_build_array(t.l('KNG', 54, 55)))) AS no_property;
SELECT t.try($$SELECT booking.reserve_group(NULL, '[]')$$);
SELECT t.avail(:sol, 54, 55);
SELECT regexp_replace(t.try(format($$SELECT booking.confirm_booking(%s, 'pay-gina')$$, :g1_last)), 'confirm_group\(\d+', 'confirm_group(N') AS line_alone;
SELECT t.try(format($$SELECT booking.confirm_group(%s, 'pay-gina', 'mallory')$$, :g1)) AS not_hers;
SELECT t.res(r), r.group_id = :g1 AS in_group FROM booking.confirm_group(:g1, 'pay-gina', 'gina') r;
SELECT t.res(r) FROM booking.confirm_group(:g1, 'pay-gina') r;
SELECT t.try(format($$SELECT booking.confirm_group(%s, 'pay-other')$$, :g1)) AS other_ref;
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-other')$$, :g1_last)) AS line_paid_otherwise;
SELECT reservation_id AS lone FROM booking.reserve_range(:sol, 'KNG', current_date + 56, current_date + 57) \gset
SELECT t.try(format($$SELECT booking.confirm_booking(%s, 'pay-gina')$$, :lone)) AS ref_of_a_group;
SELECT t.res(r) FROM booking.cancel_reservation(:lone) r;
SELECT reservation_id = :g1 AS first_line, t.res(r) FROM booking.find_reservation(payment_ref => 'pay-gina') r;
SELECT t.try(format($$SELECT booking.confirm_group(%s, 'pay-x')$$, :g1_last)) AS not_a_group_id;
SELECT t.try($$SELECT booking.confirm_group(424242, 'pay-x')$$) AS no_group;
SELECT t.try($$SELECT booking.cancel_group(424242)$$) AS no_group_cancel;
SELECT t.try($$SELECT booking.confirm_group(NULL, 'pay-x')$$);
SELECT t.res(r), r.group_id = :g1 AS in_group FROM booking.cancel_reservation(:g1_last, 'one room less', 'gina') r;
SELECT t.try(format($$SELECT booking.cancel_group(%s, 'no', 'mallory')$$, :g1)) AS not_hers_cancel;
SELECT t.res(r) FROM booking.cancel_group(:g1, 'trip off', 'gina') r;
SELECT t.res(r) FROM booking.cancel_group(:g1) r;
SELECT t.avail(:sol, 49, 53);
SELECT t.try(format($$SELECT booking.confirm_group(%s, 'pay-late')$$, :g1)) AS all_cancelled;

-- rate plans, policies and the stay (booking 2.0): a property's plans,
-- rates and policies on its shard; quote, reserve_range and search under a
-- plan, with children; cancel_quote and the stay on the reservation's
-- shard.  Hotel Mar keeps UTC days, so its "today" is :today.
\set today '(now() AT TIME ZONE ''UTC'')::date'
SELECT booking.add_property('Hotel Mar', 'Porto', 'UTC') AS mar \gset
SELECT booking.add_room_type(:mar, 'DBL', 'Double', 5, 3, 100);
SELECT booking.open_inventory(:mar, 'DBL', current_date, current_date + 40);
SELECT booking.add_policy(:mar, 'FLEX', '[{"until": "2 days", "charge_pct": 0}, {"until": "0", "charge_nights": 1}]',
                          '{"charge_nights": 1}');
SELECT booking.add_rate_plan(:mar, 'DBL', 'NR', 'Non-refundable', 'BASE', adjust_pct => -10, policy => 'FLEX');
SELECT booking.add_rate_plan(:mar, 'DBL', 'BB', 'Bed and breakfast', 'BASE', adjust_amount => 15,
                             base_occupancy => 2, extra_adult => 20, extra_child => 10, meal_plan => 'breakfast');
SELECT booking.add_rate_plan(:mar, 'DBL', 'PROMO', 'Promotion');
SELECT booking.set_rates(:mar, 'DBL', 'PROMO', current_date + 1, current_date + 30, 80);
SELECT t.try(format($$SELECT booking.add_policy(%s, 'FLEX', '[{"until": "0", "charge_pct": 100}]')$$, :mar)) AS policy_twice;
SELECT t.try(format($$SELECT booking.add_policy(%s, 'BAD', '[{"until": "1 day", "charge_pct": 10}, {"until": "2 days", "charge_pct": 50}]')$$, :mar)) AS out_of_order;
SELECT t.try(format($$SELECT booking.add_policy(%s, 'BAD', '[{"until": "1 day", "charge_pct": 10, "charge_nights": 1}]')$$, :mar)) AS two_charges;
SELECT t.try($$SELECT booking.add_policy(999999, 'P', '[{"until": "0", "charge_pct": 100}]')$$) AS no_property;
SELECT t.try(format($$SELECT booking.add_rate_plan(%s, 'DBL', 'NR', 'Again', 'BASE')$$, :mar)) AS plan_twice;
SELECT t.try(format($$SELECT booking.add_rate_plan(%s, 'DBL', 'X', 'X', 'NOPE')$$, :mar)) AS unknown_parent;
SELECT t.try(format($$SELECT booking.add_rate_plan(%s, 'DBL', 'X', 'X', 'BASE', policy => 'NOPE')$$, :mar)) AS unknown_policy;
SELECT t.try(format($$SELECT booking.set_rates(%s, 'DBL', 'NOPE', current_date + 1, current_date + 2, 80)$$, :mar)) AS rates_unknown_plan;
SELECT booking.set_rules(:mar, 'DBL', current_date + 20, current_date + 21, stop_sell => true, rate_plan => 'PROMO');
SELECT night - current_date AS d, price, total_price, extra, bookable, t.rel(reason) AS reason
  FROM booking.quote(:mar, 'DBL', current_date + 19, current_date + 21, 1, 2, 'BB', 1);
SELECT night - current_date AS d, price, total_price, extra, bookable, t.rel(reason) AS reason
  FROM booking.quote(:mar, 'DBL', current_date + 19, current_date + 21, rate_plan => 'PROMO');
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 19, current_date + 21, rate_plan => 'PROMO')$$, :mar)) AS plan_closed;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 19, current_date + 21, rate_plan => 'NOPE')$$, :mar)) AS unknown_plan;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'DBL', current_date + 19, current_date + 21, guests => 2, children => 2)$$, :mar)) AS too_many_guests;
SELECT booking.clear_rules(:mar, 'DBL', current_date + 20, current_date + 21, 'PROMO');
SELECT property_name, room_type, total_price, plan_code FROM booking.search('Porto', current_date + 3, current_date + 5);
SELECT property_name, room_type, total_price, plan_code
  FROM booking.search('Porto', current_date + 3, current_date + 5, 2, rate_plan => 'BB', children => 1);
SELECT t.res(r), r.rate_plan, r.children, r.guests
  FROM booking.reserve_range(:mar, 'DBL', current_date + 10, current_date + 12, 1, 'bea', guests => 2, rate_plan => 'BB', children => 1) r;
SELECT reservation_id AS p1 FROM booking.reserve_range(:mar, 'DBL', current_date + 1, current_date + 3, 1, 'pia', rate_plan => 'NR') \gset
SELECT * FROM booking.cancel_quote(:p1);
SELECT t.res(r), r.rate_plan FROM booking.confirm_booking(:p1, 'pay-pia') r;
SELECT * FROM booking.cancel_quote(:p1, now() - interval '3 days');
SELECT * FROM booking.cancel_quote(:p1, guest_id => 'pia');
SELECT regexp_replace(t.try(format($$SELECT * FROM booking.cancel_quote(%s, guest_id => 'mallory')$$, :p1)), 'id \d+', 'id N') AS not_hers;
SELECT t.try($$SELECT * FROM booking.cancel_quote(424242)$$) AS no_reservation;
SELECT t.res(r), r.cancellation_fee FROM booking.cancel_reservation(:p1, 'plans changed', 'pia') r;
SELECT regexp_replace(t.try(format($$SELECT * FROM booking.cancel_quote(%s)$$, :p1)), 'id \d+', 'id N') AS cancelled;
SELECT reservation_id AS s1 FROM booking.reserve_range(:mar, 'DBL', :today, :today + 3, 1, 'sam') \gset
SELECT regexp_replace(t.try(format($$SELECT booking.check_in(%s)$$, :s1)), 'id \d+', 'id N') AS held_check_in;
SELECT state FROM booking.confirm_booking(:s1, 'pay-sam');
SELECT regexp_replace(t.try(format($$SELECT booking.check_out(%s)$$, :s1)), 'id \d+', 'id N') AS not_checked_in;
SELECT state, check_out - :today AS nights FROM booking.check_in(:s1);
SELECT state, check_out - :today AS nights FROM booking.check_in(:s1);
SELECT regexp_replace(t.try(format($$SELECT booking.mark_no_show(%s)$$, :s1)), 'id \d+', 'id N') AS checked_in_no_show;
SELECT state, check_out - :today AS nights, total_price FROM booking.check_out(:s1);
SELECT state, check_out - :today AS nights, total_price FROM booking.check_out(:s1);
SELECT reservation_id AS s2 FROM booking.reserve_range(:mar, 'DBL', :today + 5, :today + 6, 1, 'tom') \gset
SELECT state FROM booking.confirm_booking(:s2, 'pay-tom');
SELECT regexp_replace(t.try(format($$SELECT booking.check_in(%s)$$, :s2)), 'id \d+', 'id N') AS too_early;
SELECT regexp_replace(t.try(format($$SELECT booking.mark_no_show(%s)$$, :s2)), 'id \d+', 'id N') AS no_show_too_early;
SELECT reservation_id AS s3 FROM booking.reserve_range(:mar, 'DBL', :today, :today + 2, 1, 'nia', rate_plan => 'NR') \gset
SELECT state FROM booking.confirm_booking(:s3, 'pay-nia');
SELECT state, check_out - :today AS nights, total_price, cancellation_fee FROM booking.mark_no_show(:s3);
SELECT t.try($$SELECT booking.check_in(424242)$$) AS no_reservation;
SELECT t.try($$SELECT booking.check_in(NULL)$$);
SELECT t.avail(:mar, 0, 3);

-- channels (booking 2.0): apply_channel_booking on the property's shard.
-- Revisions in order, out of order and repeated; a booking on a sold-out
-- night overbooks it (availability shows 0, check_invariants says by how
-- much) and is paid down when the engine's own reservation there is
-- cancelled; the errors.
SELECT booking.add_property('Casa Canal', 'Aveiro', 'UTC') AS canal \gset
SELECT booking.add_room_type(:canal, 'TWN', 'Twin', 1, 2, 70);
SELECT booking.open_inventory(:canal, 'TWN', current_date, current_date + 20);
SELECT t.res(r), r.rate_plan FROM booking.apply_channel_booking('ota', 'BC-1', 1, 'new', :canal, 'TWN',
                                                                current_date + 2, current_date + 4,
                                                                guest_id => 'ota-guest') r;
SELECT t.res(r) FROM booking.apply_channel_booking('ota', 'BC-1', 1, 'new', :canal, 'TWN',
                                                   current_date + 2, current_date + 4, guest_id => 'ota-guest') r;
SELECT t.try(format($$SELECT booking.apply_channel_booking('ota', 'BC-1', 1, 'new', %s, 'TWN', current_date + 2, current_date + 5, guest_id => 'ota-guest')$$, :canal)) AS same_revision_other_content;
SELECT t.res(r) FROM booking.apply_channel_booking('ota', 'BC-1', 3, 'modified', :canal, 'TWN',
                                                   current_date + 3, current_date + 6, total_price => 225,
                                                   guest_id => 'ota-guest') r;
SELECT t.res(r) FROM booking.apply_channel_booking('ota', 'BC-1', 2, 'modified', :canal, 'TWN',
                                                   current_date + 2, current_date + 3, guest_id => 'ota-guest') r;
SELECT reservation_id AS own FROM booking.reserve_range(:canal, 'TWN', current_date + 8, current_date + 9, 1, 'walk-in') \gset
SELECT state FROM booking.confirm_booking(:own, 'pay-walk-in');
SELECT t.res(r) FROM booking.apply_channel_booking('ota', 'BC-2', 0, 'new', :canal, 'TWN',
                                                   current_date + 8, current_date + 10) r;
SELECT t.avail(:canal, 7, 11);
SELECT t.rel(problem) FROM booking.check_invariants() WHERE problem LIKE 'overbooked%';
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'TWN', current_date + 8, current_date + 9)$$, :canal)) AS engine_keeps_its_promise;
SELECT t.res(r) FROM booking.cancel_reservation(:own, 'walked away') r;
SELECT t.avail(:canal, 7, 11);
SELECT t.res(r) FROM booking.apply_channel_booking('ota', 'BC-1', 4, 'cancelled', :canal, 'TWN',
                                                   current_date + 3, current_date + 6, guest_id => 'ota-guest') r;
SELECT t.try(format($$SELECT booking.apply_channel_booking('ota', 'NEVER', 1, 'cancelled', %s, 'TWN', current_date + 2, current_date + 3)$$, :canal)) AS cancel_unknown;
SELECT t.try(format($$SELECT booking.apply_channel_booking('ota', 'BC-3', 1, 'new', %s, 'TWN', current_date + 19, current_date + 21)$$, :canal)) AS not_on_sale;
SELECT t.try(format($$SELECT booking.apply_channel_booking('ota', 'BC-3', 1, 'confirmed', %s, 'TWN', current_date + 2, current_date + 3)$$, :canal)) AS bad_status;
SELECT t.try($$SELECT booking.apply_channel_booking('ota', 'BC-3', 1, 'new', 424242, 'TWN', current_date + 2, current_date + 3)$$) AS no_property;
SELECT t.try($$SELECT booking.apply_channel_booking(NULL, 'BC-3', 1, 'new', 424242, 'TWN', current_date + 2, current_date + 3)$$) AS null_channel;

-- blocks, the waitlist and iCal (booking 2.0) on the property's shard: a
-- wedding block, a pickup from it while the public sells out, a guest
-- waiting for the block's last night who gets it when the block is
-- released; the property's iCal export (ids and the stamp masked: they
-- are the shard's and the clock's), imported into another property.
SELECT booking.add_property('Quinta Azul', 'Sintra', 'UTC') AS quinta \gset
SELECT booking.add_room_type(:quinta, 'STE', 'Suite', 2, 2, 150);
SELECT booking.open_inventory(:quinta, 'STE', current_date, current_date + 20);
SELECT booking.create_block(:quinta, 'STE', 'WEDDING', current_date + 5, current_date + 8, 1);
SELECT t.res(r), r.block FROM booking.reserve_range(:quinta, 'STE', current_date + 5, current_date + 7,
                                                    guest_id => 'bride', block => 'WEDDING') r;
SELECT t.res(r) FROM booking.reserve_range(:quinta, 'STE', current_date + 5, current_date + 8, guest_id => 'walk-in') r;
SELECT t.try(format($$SELECT booking.reserve_range(%s, 'STE', current_date + 7, current_date + 8)$$, :quinta)) AS public_sold_out;
SELECT booking.join_waitlist(:quinta, 'STE', current_date + 7, current_date + 8, guest_id => 'wanda') IS NOT NULL AS waiting;
SELECT booking.join_waitlist(:quinta, 'STE', current_date + 7, current_date + 8, guest_id => 'otto') AS w2 \gset
SELECT booking.leave_waitlist(:w2) AS otto_left;
SELECT booking.leave_waitlist(:w2) AS otto_left_again;
SELECT t.try($$SELECT booking.leave_waitlist(424242)$$) AS no_entry;
SELECT booking.release_block(:quinta, 'WEDDING') AS released;
SELECT t.avail(:quinta, 4, 9);
SELECT t.try(format($$SELECT booking.release_block(%s, 'NOPE')$$, :quinta)) AS no_block;
SELECT booking.release_due_blocks() AS due_released;
SELECT regexp_replace(regexp_replace(booking.ical_export(:quinta, 'STE'), 'UID:\d+-', 'UID:N-', 'g'),
                      'DTSTAMP:\w+', 'DTSTAMP:X', 'g') AS ics;
SELECT booking.add_property('Casa Eco', 'Sintra', 'UTC') AS eco \gset
SELECT booking.add_room_type(:eco, 'STE', 'Suite', 1, 2, 90);
SELECT booking.open_inventory(:eco, 'STE', current_date, current_date + 20);
SELECT regexp_replace(i.uid, '^\d+-', 'N-') AS uid, i.action, i.reservation_id IS NOT NULL AS booked
  FROM booking.ical_import(:eco, 'STE', 'quinta-ical', booking.ical_export(:quinta, 'STE')) i;
SELECT t.avail(:eco, 4, 9);
SELECT t.try(format($$SELECT * FROM booking.ical_import(%s, 'STE', 'quinta-ical', 'garbage')$$, :eco)) AS malformed;

-- 11. expire_holds and the books
SELECT reservation_id AS e1 FROM booking.reserve_range(:rio, 'DBL', current_date + 30, current_date + 31, hold => '100 milliseconds') \gset
SELECT reservation_id AS e2 FROM booking.reserve_range(:azul, 'home', current_date + 30, current_date + 31, hold => '100 milliseconds') \gset
SELECT reservation_id AS e3 FROM booking.reserve_range(:sol, 'KNG', current_date + 30, current_date + 31, hold => '100 milliseconds') \gset
SELECT pg_sleep(0.3);
SELECT booking.expire_holds(1) >= 1 AS expired_some;
SELECT booking.expire_holds() >= 1 AS expired_the_rest;
SELECT booking.expire_holds() AS none_left;
SELECT t.try($$SELECT booking.expire_holds(0)$$);
SELECT t.res(r) FROM booking.cancel_reservation(:e1) r;
SELECT t.avail(:azul, 30, 31);
SELECT * FROM booking.check_invariants();
\echo api.sql complete

-- test/badinput/battery.sql: builds the bad-input battery in database
-- booking_badinput.  A fixture (two properties, room types, nights on
-- sale, a reservation in every state), pools of argument values by type
-- and by argument name, and bi.call: CALLS_PER_FUNCTION generated calls of
-- every function of the installed extension (found in pg_depend, so a new
-- function is covered without editing this file), drawn with setseed(:seed),
-- then :sweeps sweeps of every edge value of every argument.
-- Output: the script bi.script() that the runner feeds to psql.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION booking;
CREATE SCHEMA bi;

-- Fixture.  2.0: a cancellation policy, rate plans (derived, per person,
-- priced night by night), a plan rule, reservations under a plan and
-- in the stay's states (checked_in, checked_out, no_show), and a channel's
-- booking.
CREATE TABLE bi.fx (k text PRIMARY KEY, v bigint);
INSERT INTO bi.fx SELECT 'pid', booking.add_property('Bad Input Inn', 'Edgetown', 'UTC');
INSERT INTO bi.fx SELECT 'pid_east', booking.add_property('Dateline Lodge', 'Edgetown', 'Pacific/Kiritimati');
SELECT booking.add_room_type(v, 'A', 'Plain', 5, 2, 100) FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.add_room_type(v, 'B', 'Single', 1, 1, 50) FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.open_inventory(v, rt, current_date, current_date + 60) FROM bi.fx, (VALUES ('A'), ('B')) t(rt) WHERE k LIKE 'pid%';
INSERT INTO bi.fx SELECT 'held', reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A', current_date + 3, current_date + 5);
INSERT INTO bi.fx SELECT 'held2', reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A', current_date + 4, current_date + 9, 2, 'g1', 'fixture-key');
INSERT INTO bi.fx SELECT 'confirmed', reservation_id FROM booking.confirm_booking(
    (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A', current_date + 1, current_date + 2)), 'fixture-pay');
INSERT INTO bi.fx SELECT 'cancelled', reservation_id FROM booking.cancel_reservation(
    (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'B', current_date + 1, current_date + 2)));
INSERT INTO bi.fx SELECT 'pending', reservation_id FROM booking.begin_payment(
    (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid_east'), 'A', current_date + 10, current_date + 12)), 'fixture-intent');
INSERT INTO bi.fx SELECT 'expired', reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'B', current_date + 20, current_date + 22, 1, NULL, NULL, '1 microsecond');
SELECT pg_sleep(0.01);
SELECT booking.expire_holds();
SELECT booking.add_policy(v, 'FLEX', '[{"until": "7 days", "charge_pct": 0}, {"until": "1 day", "charge_nights": 1},
                                      {"until": "0", "charge_pct": 100}]', '{"charge_nights": 1}')
  FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.add_rate_plan(v, 'A', 'NR', 'Non-refundable', 'BASE', -10, policy => 'FLEX') FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.add_rate_plan(v, 'A', 'BB', 'Bed and breakfast', 'NR', adjust_amount => 15, base_occupancy => 1,
                             extra_adult => 20, extra_child => 10, meal_plan => 'breakfast')
  FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.add_rate_plan(v, 'A', 'OWN', 'Own rates') FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.set_rates(v, 'A', 'OWN', current_date, current_date + 60, 90) FROM bi.fx WHERE k LIKE 'pid%';
SELECT booking.set_rules(v, 'A', current_date + 30, current_date + 31, stop_sell => true, rate_plan => 'OWN')
  FROM bi.fx WHERE k LIKE 'pid%';
INSERT INTO bi.fx SELECT 'planned', reservation_id FROM booking.confirm_booking(
    (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A', current_date + 12, current_date + 15,
                                                      guests => 1, rate_plan => 'BB', children => 1)), 'fixture-plan-pay');
-- the stay, on the property's (UTC) days
INSERT INTO bi.fx SELECT 'checked_in', reservation_id FROM booking.check_in((SELECT reservation_id FROM booking.confirm_booking(
    (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A',
                                                      (now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 3)),
    'fixture-stay-pay')));
INSERT INTO bi.fx SELECT 'checked_out', reservation_id FROM booking.check_out((SELECT reservation_id FROM booking.check_in(
    (SELECT reservation_id FROM booking.confirm_booking(
        (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A',
                                                          (now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 2)),
        'fixture-out-pay')))));
INSERT INTO bi.fx SELECT 'no_show', reservation_id FROM booking.mark_no_show((SELECT reservation_id FROM booking.confirm_booking(
    (SELECT reservation_id FROM booking.reserve_range((SELECT v FROM bi.fx WHERE k = 'pid'), 'A',
                                                      (now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 2,
                                                      rate_plan => 'NR')),
    'fixture-no-show-pay')));
-- a channel's booking (2.0), revision 1
INSERT INTO bi.fx SELECT 'channel', reservation_id FROM booking.apply_channel_booking(
    'fixture-ota', 'FX-1', 1, 'new', (SELECT v FROM bi.fx WHERE k = 'pid'), 'A', current_date + 40, current_date + 42,
    guest_id => 'g1');
-- a waitlist entry (2.0) for the channel's nights, all 5 units, which the channel's booking keeps from fitting
INSERT INTO bi.fx SELECT 'waitlist', booking.join_waitlist((SELECT v FROM bi.fx WHERE k = 'pid'), 'A',
                                                           current_date + 40, current_date + 42, 5, 'g1');
-- a block (2.0) and a pickup of it
SELECT booking.create_block(v, 'A', 'FXB', current_date + 45, current_date + 50, 2, release_days => 3)
  FROM bi.fx WHERE k = 'pid';
INSERT INTO bi.fx SELECT 'pickup', reservation_id FROM booking.reserve_range(
    (SELECT v FROM bi.fx WHERE k = 'pid'), 'A', current_date + 46, current_date + 48, block => 'FXB');
INSERT INTO bi.fx SELECT 'event', max(event_id) FROM booking.event;
SELECT count(*) FROM booking.read_events('fixture-consumer', 5);

-- bi.long_text(n): n bytes of md5 digests, which do not compress, so that
-- a text of 2,800 bytes reaches an index at full size (over the btree
-- limit of about 2,700 bytes, where repeat('x', 100000) compresses to
-- almost nothing).  Every text argument draws it.
CREATE FUNCTION bi.long_text(n int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT left(string_agg(md5(i::text), ''), n) FROM generate_series(1, n / 32 + 1) AS i
$$;

-- Pools: kind is 'type' (any argument of that type) or 'type:name' (an
-- argument of that type and name).  Values are SQL expressions.
CREATE TABLE bi.pool (kind text, expr text);
INSERT INTO bi.pool
SELECT 'bigint', unnest(ARRAY['NULL', '0', '-1', '1', '1023', '1024', '1025', '9223372036854775807',
                               '-9223372036854775808', '9223372036854775808'])
UNION ALL
SELECT 'bigint:property_id', unnest(ARRAY[(SELECT v FROM bi.fx WHERE k = 'pid')::text,
                                         (SELECT v FROM bi.fx WHERE k = 'pid')::text,
                                         (SELECT v FROM bi.fx WHERE k = 'pid_east')::text,
                                         ((SELECT v FROM bi.fx WHERE k = 'pid') + 1)::text,
                                         ((SELECT v FROM bi.fx WHERE k = 'pid') + 999999 * 1024)::text])
UNION ALL
SELECT 'bigint:reservation_id', v::text FROM bi.fx WHERE k NOT LIKE 'pid%' AND k <> 'event'
UNION ALL
SELECT 'bigint:reservation_id', '(SELECT max(reservation_id) FROM booking.reservation)'
UNION ALL
SELECT 'bigint:upto', unnest(ARRAY[(SELECT v FROM bi.fx WHERE k = 'event')::text,
                                  '(SELECT max(event_id) FROM booking.event)', '0', '-1'])
UNION ALL
SELECT 'integer', unnest(ARRAY['NULL', '0', '1', '1', '2', '3', '5', '-1', '100', '366', '3661', '2147483647',
                                '-2147483648', '2147483648', '''12abc'''])
UNION ALL
SELECT 'numeric', unnest(ARRAY['NULL', '0', '100', '99.99', '-0.01', '''NaN''', '''Infinity''', '''-Infinity''',
                                '1e100', '1e-100', '123456789012345678901234567890.123456789', '''abc''',
                                '9.99e131071', '1000000000', '1000000000.01'])
UNION ALL
SELECT 'boolean', unnest(ARRAY['NULL', 'true', 'false'])
UNION ALL
SELECT 'interval', unnest(ARRAY['NULL', '''15 minutes''', '''1 second''', '''1 microsecond''', '''0''',
                                 '''-1 second''', '''1 month -40 days''', '''1 day -86400 seconds''',
                                 '''177999999 years''', '''-177999999 years''', '''10000 years''',
                                 '''2147483647 days''', '''infinity''', '''1 fortnight''',
                                 '''12 mons 6 days''', '''13 mons''', '''367 days''', '''1 year'''])
UNION ALL
SELECT 'date', unnest(ARRAY['NULL', 'current_date', 'current_date + 1', 'current_date + 2', 'current_date + 3',
                             'current_date + 5', 'current_date + 8', 'current_date + 30', 'current_date + 59',
                             'current_date + 61', 'current_date + 400', 'current_date - 1', 'current_date - 2',
                             '''4713-01-01 BC''', '''4713-01-02 BC''', '''5874897-12-31''', '''5874897-12-01''',
                             '''4714-11-24 BC''', '''4714-11-25 BC''', '''4714-12-31 BC''', '''294276-11-23''',
                             '''infinity''', '''-infinity''', '''epoch''', '''2101-02-30''', '''0001-01-01''',
                             '''yesterday''', '''tomorrow'''])
UNION ALL
-- jsonb: reserve_group's lines, well formed and not
SELECT 'jsonb', unnest(ARRAY['NULL', '''[]''', '''{}''', '''"A"''', '''[1]''', '''[null]''', '''[[]]''',
    'jsonb_build_array(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 2))',
    'jsonb_build_array(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 3, ''rooms'', 2, ''guests'', 3), jsonb_build_object(''room_type'', ''B'', ''check_in'', current_date + 2, ''check_out'', current_date + 3))',
    'jsonb_build_array(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 2, ''rooms'', 5), jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 2))',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "rooms": -1}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "rooms": 1e300}]''',
    '''[{"room_type": "A", "check_in": "infinity", "check_out": "2030-01-02"}]''',
    '''[{"room_type": "A", "check_in": "2030-02-30", "check_out": "2030-03-02"}]''',
    '''[{"room_type": "A", "check_in": "0001-01-01", "check_out": "9999-12-31"}]''',
    '''[{"room_type": {"x": 1}, "check_in": [], "check_out": null, "guests": true}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "": 1}]''',
    '(SELECT jsonb_agg(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 2)) FROM generate_series(1, 101))',
    '(SELECT jsonb_agg(jsonb_build_object(''room_type'', ''B'', ''check_in'', current_date + i, ''check_out'', current_date + i + 1)) FROM generate_series(1, 100) i)'])
UNION ALL
-- jsonb: reserve_group's lines with a plan and children (2.0)
SELECT 'jsonb:lines', unnest(ARRAY[
    'jsonb_build_array(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 2, ''rate_plan'', ''NR''))',
    'jsonb_build_array(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 3, ''guests'', 2, ''children'', 1, ''rate_plan'', ''BB''), jsonb_build_object(''room_type'', ''B'', ''check_in'', current_date + 2, ''check_out'', current_date + 3))',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "rate_plan": "NOPE"}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "rate_plan": ""}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "rate_plan": 7}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "children": -1}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "children": 1e300}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "children": 1.5}]''',
    '''[{"room_type": "B", "check_in": "2030-01-01", "check_out": "2030-01-02", "guests": 1, "children": 1}]''',
    '''[{"room_type": "A", "check_in": "2030-01-01", "check_out": "2030-01-02", "children": null, "rate_plan": null}]'''])
UNION ALL
-- jsonb: add_policy's tiers (2.0), well formed and not
SELECT 'jsonb:tiers', unnest(ARRAY[
    '''[{"until": "7 days", "charge_pct": 0}, {"until": "1 day", "charge_nights": 1}, {"until": "0", "charge_pct": 100}]''',
    '''[{"until": "36 hours", "charge_amount": 25.5}, {"until": "0", "charge_pct": 50}]''',
    '''[{"until": "0", "charge_nights": 2}]''',
    '''[]''', '''{}''', '''[{}]''', '''[null]''', '''"7 days"''',
    '''[{"until": "1 day", "charge_pct": 10}, {"until": "2 days", "charge_pct": 50}]''',
    '''[{"until": "1 day", "charge_pct": 10}, {"until": "1 day", "charge_pct": 50}]''',
    '''[{"until": "1 day", "charge_pct": 10, "charge_nights": 1}]''',
    '''[{"until": "1 day"}]''', '''[{"charge_pct": 10}]''',
    '''[{"until": "-1 day", "charge_pct": 10}]''', '''[{"until": "1 fortnight", "charge_pct": 10}]''',
    '''[{"until": "infinity", "charge_pct": 10}]''', '''[{"until": "177999999 years", "charge_pct": 10}]''',
    '''[{"until": "1 month -40 days", "charge_pct": 10}]''', '''[{"until": 7, "charge_pct": 10}]''',
    '''[{"until": "0", "charge_pct": 100.01}]''', '''[{"until": "0", "charge_pct": -1}]''',
    '''[{"until": "0", "charge_pct": "NaN"}]''', '''[{"until": "0", "charge_pct": 1e300}]''',
    '''[{"until": "0", "charge_nights": 1.5}]''', '''[{"until": "0", "charge_nights": -1}]''',
    '''[{"until": "0", "charge_nights": 99999999999}]''', '''[{"until": "0", "charge_amount": -0.01}]''',
    '''[{"until": "0", "charge_amount": 1e131071}]''', '''[{"until": "0", "charge_amount": "10"}]''',
    '''[{"until": "0", "charge_pct": 10, "note": "x"}]''',
    '(SELECT jsonb_agg(jsonb_build_object(''until'', (21 - i) || '' days'', ''charge_pct'', i)) FROM generate_series(1, 21) i)',
    '(SELECT jsonb_agg(jsonb_build_object(''until'', (20 - i) || '' days'', ''charge_pct'', i)) FROM generate_series(1, 20) i)'])
UNION ALL
-- jsonb: add_policy's no_show (one charge, no until)
SELECT 'jsonb:no_show', unnest(ARRAY['NULL', '''{"charge_nights": 1}''', '''{"charge_pct": 100}''', '''{"charge_amount": 40}''',
                                     '''{}''', '''[]''', '''[{"charge_pct": 100}]''', '''{"until": "0", "charge_pct": 100}''',
                                     '''{"charge_pct": 100, "charge_nights": 1}''', '''{"charge_pct": 101}''',
                                     '''{"charge_nights": -1}''', '''"all"''', '''null'''])
UNION ALL
-- timestamptz: cancel_quote's at (2.0)
SELECT 'timestamp with time zone', unnest(ARRAY['NULL', 'now()', 'now() + interval ''1 day''', 'now() - interval ''30 days''',
                                                 'now() + interval ''400 days''', '''infinity''', '''-infinity''',
                                                 '''epoch''', '''4714-11-24 00:00:00+00 BC''', '''294276-12-31 23:59:59+00''',
                                                 'current_date::timestamptz', '(current_date + 3)::timestamptz - interval ''1 microsecond'''])
UNION ALL
-- numeric: a plan's adjustments, extras and prices (2.0)
SELECT 'numeric:adjust_pct', unnest(ARRAY['0', '-10', '12.5', '-100', '-100.01', '-99.999', '1e6', '''NaN''', '''Infinity''',
                                          '''-Infinity''', '1e-100', '9.99e131071'])
UNION ALL
SELECT 'numeric:adjust_amount', unnest(ARRAY['0', '15', '-5', '0.005', '-0.005', '15.555', '-1e9', '1e100', '''NaN''',
                                             '''-Infinity'''])
UNION ALL
SELECT k, unnest(ARRAY['0', '20', '10.5', '0.005', '-0.01', '1e100', '''NaN''', '''Infinity'''])
  FROM unnest(ARRAY['numeric:extra_adult', 'numeric:extra_child']) k
UNION ALL
SELECT 'numeric:price', unnest(ARRAY['90', '0', '79.995', '0.001', '-1', '''NaN''', '''Infinity''', '1e100'])
UNION ALL
-- integer: children and a plan's base occupancy (2.0)
SELECT 'integer:children', unnest(ARRAY['0', '0', '1', '2', '-1', '5', '2147483647', 'NULL'])
UNION ALL
SELECT 'integer:base_occupancy', unnest(ARRAY['1', '2', 'NULL', '0', '-1', '2147483647'])
UNION ALL
SELECT 'integer[]', unnest(ARRAY['NULL', '''{}''', '''{1,2,3}''', '''{-1,5,0}''', '''{1,NULL,3}''',
                                  '''{{1,2},{3,4}}''', '''[5:7]={1,2,3}''', '''{2147483647,2147483647}''',
                                  'array_fill(7, ARRAY[31])', '''{a}'''])
UNION ALL
-- text, any argument: empty, long, NUL (rejected by the server: chr(0)
-- and convert_from of a zero byte), invalid UTF-8, format and quoting
-- characters, non-ASCII.
SELECT 'text', unnest(ARRAY['NULL', '''''', '''x''', '''A''', 'repeat(''x'', 100000)', 'chr(0)',
                             'convert_from(''\x610062''::bytea, ''UTF8'')',
                             'convert_from(''\xc328''::bytea, ''UTF8'')', 'convert_from(''\xff''::bytea, ''UTF8'')',
                             '''%s%n%d''', '''O''''Brien''', 'E''back\\slash''', '''Ωμέγα 日本''', ''' ''',
                             'E''tab\there\nnewline''', '''"quoted"''', 'bi.long_text(2800)'])
UNION ALL
SELECT 'text:room_type', unnest(ARRAY['''A''', '''A''', '''B''', '''Z''', '''a''', ''' A'''])
UNION ALL
SELECT 'text:code', unnest(ARRAY['''A''', '''NEW''', '''N2''', '''Ω'''])
UNION ALL
SELECT 'text:time_zone', unnest(ARRAY['''UTC''', '''Europe/Lisbon''', '''Pacific/Kiritimati''', '''Pacific/Pago_Pago''',
                                      '''Mars/Olympus_Mons''', '''Europe/Atlantis''', '''+25:00''', '''UTC+14''',
                                      '''EST5EDT''', '''Etc/GMT-14''', '''../../../../etc/passwd''', '''utc''',
                                      '''Europe/Lisbon ''', '''localtime''', '''posixrules''', '''Z''',
                                      '''XXX-99''', '''<+0330>-3:30''', 'bi.long_text(2800)'])
UNION ALL
SELECT 'text:idempotency_key', unnest(ARRAY['''''', 'repeat(''k'', 255)', 'repeat(''k'', 256)',
                                            'repeat(''é'', 127) || ''x''', 'repeat(''é'', 128)',
                                            '''fixture-key''', '''key-'' || (random() * 1e6)::int', 'NULL',
                                            'bi.long_text(2800)'])
UNION ALL
SELECT 'text:payment_ref', unnest(ARRAY['''fixture-pay''', '''pay-'' || (random() * 1e6)::int', '''fixture-intent'''])
UNION ALL
SELECT 'text:payment_intent', unnest(ARRAY['''fixture-intent''', '''pi-'' || (random() * 1e6)::int', '''fixture-pay'''])
UNION ALL
SELECT 'text:consumer', unnest(ARRAY['''fixture-consumer''', '''c-'' || (random() * 10)::int'])
UNION ALL
SELECT 'text:city', unnest(ARRAY['''Edgetown''', '''edgetown''', '''Nowhere'''])
UNION ALL
SELECT 'text:guest_id', unnest(ARRAY['''g1''', '''g2'''])
UNION ALL
-- rate plans and policies (2.0): codes that exist, 'BASE' (implicit, no
-- row), unknown ones, a case that differs, 32 and 33 bytes
SELECT 'text:rate_plan', unnest(ARRAY['''BASE''', '''NR''', '''BB''', '''OWN''', 'NULL', '''NOPE''', '''base''', '''''',
                                      'repeat(''p'', 32)', 'repeat(''p'', 33)'])
UNION ALL
SELECT 'text:parent', unnest(ARRAY['''BASE''', '''NR''', '''BB''', '''OWN''', 'NULL', '''NOPE''', '''''', '''NEW'''])
UNION ALL
SELECT 'text:policy', unnest(ARRAY['''FLEX''', 'NULL', '''NOPE''', '''flex''', ''''''])
UNION ALL
SELECT 'text:code', unnest(ARRAY['''BASE''', '''NR''', '''FLEX''', 'repeat(''c'', 32)', 'repeat(''c'', 33)'])
UNION ALL
-- blocks (2.0): the fixture's block, unknown ones, a case that differs,
-- 64 and 65 bytes (a block's code); release_days at and around 0
SELECT 'text:block', unnest(ARRAY['''FXB''', 'NULL', 'NULL', '''NOPE''', '''fxb''', '''''', 'repeat(''b'', 64)',
                                  'repeat(''b'', 65)'])
UNION ALL
SELECT 'text:code', unnest(ARRAY['''FXB''', 'repeat(''c'', 64)', 'repeat(''c'', 65)'])
UNION ALL
SELECT 'integer:release_days', unnest(ARRAY['NULL', 'NULL', '0', '1', '14', '-1', '2147483647', '-2147483648'])
UNION ALL
SELECT 'text:meal_plan', unnest(ARRAY['''breakfast''', 'NULL', '''''', 'repeat(''m'', 1001)'])
UNION ALL
-- channels (2.0): the fixture's channel and booking, others, and the
-- limits (channel 1..64 bytes, external_id 1..200 bytes); statuses known
-- and not; revisions at, below and above the fixture's 1, negative, huge
SELECT 'text:channel', unnest(ARRAY['''fixture-ota''', '''ota''', '''''', 'NULL', 'repeat(''c'', 64)', 'repeat(''c'', 65)',
                                    'repeat(''é'', 32)', 'repeat(''é'', 32) || ''x''', ''' '''])
UNION ALL
SELECT 'text:external_id', unnest(ARRAY['''FX-1''', '''x-'' || (random() * 1e6)::int', '''''', 'NULL',
                                        'repeat(''e'', 200)', 'repeat(''e'', 201)', 'repeat(''é'', 100)',
                                        'repeat(''é'', 100) || ''x''', '''fx-1'''])
UNION ALL
SELECT 'text:status', unnest(ARRAY['''new''', '''modified''', '''cancelled''', 'NULL', '''''', '''NEW''', '''new ''',
                                   '''confirmed''', '''canceled''', '''held'''])
UNION ALL
SELECT 'bigint:revision', unnest(ARRAY['0', '1', '2', '5', '-1', 'NULL', '9223372036854775807',
                                       '-9223372036854775808', '(extract(epoch FROM now()) * 1000)::bigint'])
UNION ALL
SELECT 'numeric:total_price', unnest(ARRAY['NULL', '250', '0', '0.01', '100.005', '-0.01', '''NaN''', '''Infinity''',
                                           '''-Infinity''', '1e100', '1000000000.01', '9.99e131071'])
UNION ALL
-- iCal (2.0): sources as channels (1..64 bytes); calendars good (two
-- events, one of them on the fixture's nights), empty, recurring,
-- malformed (no ':', an END that does not match, an unknown TZID, DTEND
-- before DTSTART, a UID twice), far in the future or the past, and a
-- calendar of 20,000 events (over booking.ical_max_events)
SELECT 'text:source', unnest(ARRAY['''airbnb''', '''bcom-ical''', '''''', 'NULL', 'repeat(''s'', 64)', 'repeat(''s'', 65)',
                                   'repeat(''é'', 32)', 'repeat(''é'', 32) || ''x''', '''fixture-ota'''])
UNION ALL
SELECT 'text:ics', unnest(ARRAY[
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;VALUE=DATE:' || to_char(current_date + 1, 'YYYYMMDD') || E'\r\nDTEND;VALUE=DATE:' || to_char(current_date + 3, 'YYYYMMDD') || E'\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b@x\r\nDTSTART:' || to_char(current_date + 5, 'YYYYMMDD') || E'T233000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r@x\r\nDTSTART;VALUE=DATE:' || to_char(current_date + 1, 'YYYYMMDD') || E'\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;VALUE=DATE 20300101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;TZID=Nowhere/Town:20300101T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;VALUE=DATE:20300105\r\nDTEND;VALUE=DATE:20300101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;VALUE=DATE:20300105\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;VALUE=DATE:20300106\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:far@x\r\nDTSTART;VALUE=DATE:99991230\r\nDTEND;VALUE=DATE:99991231\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:old@x\r\nDTSTART;VALUE=DATE:00010101\r\nDTEND;VALUE=DATE:00010102\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'$q$,
    $q$E'BEGIN:VCALENDAR\r\n' || repeat(E'BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n', 20000) || E'END:VCALENDAR\r\n'$q$,
    $q$E' \r\nBEGIN:VCALENDAR'$q$, $q$''$q$, 'NULL'])
UNION ALL
-- the waitlist (2.0): the fixture's entry, the newest, unknown ids and the edges
SELECT 'bigint:waitlist_id', unnest(ARRAY['(SELECT v FROM bi.fx WHERE k = ''waitlist'')',
                                          '(SELECT max(waitlist_id) FROM booking.waitlist)', '0', '-1', 'NULL',
                                          '1024', '9223372036854775807', '-9223372036854775808'])
UNION ALL
-- the long text in the pool of every argument whose value reaches an
-- index (drawn 65% of the time from its own pool), as well as in 'text'
SELECT k, 'bi.long_text(2800)'
  FROM unnest(ARRAY['text:payment_ref', 'text:payment_intent', 'text:consumer', 'text:city',
                    'text:guest_id', 'text:room_type', 'text:code', 'text:rate_plan', 'text:parent',
                    'text:policy', 'text:meal_plan', 'text:channel', 'text:external_id', 'text:status',
                    'text:source']) k;

-- The values a well-behaved client would send: "mostly valid" calls draw
-- from these, so that calls get past the first check into the deep code.
ALTER TABLE bi.pool ADD COLUMN good boolean NOT NULL DEFAULT false;
UPDATE bi.pool SET good = true
 WHERE kind IN ('bigint:property_id', 'bigint:reservation_id', 'bigint:upto', 'boolean', 'text:room_type',
                'text:payment_ref', 'text:payment_intent', 'text:consumer', 'text:city', 'text:guest_id')
    OR (kind IN ('text:rate_plan', 'text:parent') AND expr IN ('''BASE''', '''NR''', '''BB''', '''OWN''', 'NULL'))
    OR (kind = 'text:policy' AND expr IN ('''FLEX''', 'NULL'))
    OR (kind = 'text:meal_plan' AND expr IN ('''breakfast''', 'NULL'))
    OR (kind = 'jsonb:lines' AND expr LIKE 'jsonb_build_array(%')
    OR (kind = 'jsonb:tiers' AND expr IN (
        '''[{"until": "7 days", "charge_pct": 0}, {"until": "1 day", "charge_nights": 1}, {"until": "0", "charge_pct": 100}]''',
        '''[{"until": "36 hours", "charge_amount": 25.5}, {"until": "0", "charge_pct": 50}]''',
        '''[{"until": "0", "charge_nights": 2}]'''))
    OR (kind = 'jsonb:no_show' AND expr IN ('NULL', '''{"charge_nights": 1}''', '''{"charge_pct": 100}''', '''{"charge_amount": 40}'''))
    OR (kind = 'timestamp with time zone' AND expr IN ('NULL', 'now()', 'now() + interval ''1 day''', 'now() - interval ''30 days'''))
    OR (kind IN ('numeric:adjust_pct', 'numeric:adjust_amount') AND expr IN ('0', '-10', '12.5', '15', '-5'))
    OR (kind IN ('numeric:extra_adult', 'numeric:extra_child') AND expr IN ('0', '20', '10.5'))
    OR (kind = 'numeric:price' AND expr IN ('90', '0'))
    OR (kind = 'integer:children' AND expr IN ('0', '1', '2', 'NULL'))
    OR (kind = 'integer:base_occupancy' AND expr IN ('1', '2', 'NULL'))
    OR (kind = 'text:channel' AND expr IN ('''fixture-ota''', '''ota'''))
    OR (kind = 'text:external_id' AND expr IN ('''FX-1''', '''x-'' || (random() * 1e6)::int'))
    OR (kind = 'text:status' AND expr IN ('''new''', '''modified''', '''cancelled'''))
    OR (kind = 'text:source' AND expr IN ('''airbnb''', '''bcom-ical'''))
    OR (kind = 'text:ics' AND expr LIKE '%UID:a@x%' AND expr LIKE '%T233000Z%')
    OR (kind = 'bigint:revision' AND expr IN ('0', '1', '2', '5', '(extract(epoch FROM now()) * 1000)::bigint'))
    OR (kind = 'numeric:total_price' AND expr IN ('NULL', '250', '0.01'))
    OR (kind = 'bigint:waitlist_id' AND expr LIKE '(SELECT %')
    OR (kind = 'bigint' AND expr IN ('1', '1024', '1025'))
    OR (kind = 'integer' AND expr IN ('1', '2', '3', '5', '100'))
    OR (kind = 'numeric' AND expr IN ('0', '100', '99.99', 'NULL'))
    OR (kind = 'interval' AND expr IN ('NULL', '''15 minutes''', '''1 second'''))
    OR (kind = 'date' AND expr LIKE 'current_date%' AND expr NOT LIKE '%-%')
    OR (kind = 'text' AND expr IN ('''x''', '''A''', '''Ωμέγα 日本''', '''O''''Brien'''))
    OR (kind = 'text:code' AND expr IN ('''NEW''', '''N2'''))
    OR (kind = 'text:time_zone' AND expr IN ('''UTC''', '''Europe/Lisbon''', '''Pacific/Kiritimati'''))
    OR (kind = 'text:idempotency_key' AND expr IN ('''key-'' || (random() * 1e6)::int', 'NULL', 'repeat(''k'', 255)'))
    OR (kind = 'jsonb' AND expr LIKE 'jsonb_build_array(%')
    OR (kind = 'integer[]' AND expr IN ('''{1,2,3}''', '''{-1,5,0}'''));
-- unknown properties are not what a well-behaved client sends, nor are
-- texts of kilobytes
UPDATE bi.pool SET good = false
 WHERE kind = 'bigint:property_id' AND expr NOT IN (SELECT v::text FROM bi.fx WHERE k LIKE 'pid%');
UPDATE bi.pool SET good = false WHERE expr LIKE 'bi.long_text(%';

-- The calls.
CREATE TABLE bi.call (n serial PRIMARY KEY, fn text, call_sql text, args_sql text, expect text);

-- bi.pick draws a value for an argument: from the pool of its name (65%)
-- when there is one, else of its type; a "mostly valid" call draws the
-- well-behaved values eight times as often.
CREATE FUNCTION bi.pick(typ text, argname text, mostly_good boolean) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k text := typ;
    e text;
BEGIN
    IF random() < 0.65 AND EXISTS (SELECT 1 FROM bi.pool WHERE kind = typ || ':' || argname) THEN
        k := typ || ':' || argname;
    END IF;
    SELECT expr INTO e FROM bi.pool WHERE kind = k
     ORDER BY random() * CASE WHEN mostly_good AND NOT good THEN 8 ELSE 1 END LIMIT 1;
    IF e IS NULL THEN
        RAISE EXCEPTION 'empty pool %', k;
    END IF;
    RETURN e;
END
$$;

-- bi.plain gives one fixed, well-behaved value for an argument: the calls
-- that try one bad value at a time (below) keep everything else plain.
CREATE FUNCTION bi.plain(typ text, argname text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN argname = 'property_id' THEN (SELECT v::text FROM bi.fx WHERE k = 'pid')
        WHEN argname = 'reservation_id' THEN (SELECT v::text FROM bi.fx WHERE k = 'held')
        WHEN argname IN ('check_out', 'end_night') THEN 'current_date + 2'
        WHEN typ = 'date' THEN 'current_date + 1'
        WHEN argname = 'time_zone' THEN '''UTC'''
        WHEN typ = 'text' THEN '''A'''
        WHEN typ IN ('bigint', 'integer') THEN '1'
        WHEN typ = 'numeric' THEN '100'
        WHEN typ = 'boolean' THEN 'true'
        WHEN typ = 'interval' THEN '''15 minutes'''
        WHEN typ = 'jsonb' THEN 'jsonb_build_array(jsonb_build_object(''room_type'', ''A'', ''check_in'', current_date + 1, ''check_out'', current_date + 2))'
        ELSE 'NULL'
    END
$$;

CREATE FUNCTION bi.generate(per_function int, sweeps int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    f record;
    i int;
    a int;
    nargs int;
    args text[];
    mostly_good boolean;
    rep int;
    typ text;
    expr text;
    missing text;
BEGIN
    FOR f IN
        SELECT p.oid, p.proname, p.pronargs, p.pronargdefaults, p.proargnames,
               p.proargtypes AS types, p.prorettype::regtype::text AS rettype
          FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'booking'
         ORDER BY p.proname
    LOOP
        IF f.rettype IN ('trigger', 'event_trigger') THEN
            -- Called outside their trigger, they must say so with
            -- PostgreSQL's own codes: 39P01 trigger_protocol_violated,
            -- 39P03 event_trigger_protocol_violated (not XX000).
            INSERT INTO bi.call (fn, call_sql, args_sql, expect)
            VALUES (f.proname, format('SELECT booking.%I()', f.proname), NULL,
                    CASE f.rettype WHEN 'trigger' THEN '39P01' ELSE '39P03' END);
            CONTINUE;
        END IF;
        FOR a IN 1 .. f.pronargs LOOP
            typ := f.types[a - 1]::regtype::text;
            IF NOT EXISTS (SELECT 1 FROM bi.pool WHERE kind = typ) THEN
                RAISE EXCEPTION 'no pool of values for type % (argument % of booking.%)', typ, a, f.proname;
            END IF;
        END LOOP;
        FOR i IN 1 .. per_function LOOP
            nargs := f.pronargs;
            -- Sometimes leave out arguments that have defaults.
            IF f.pronargdefaults > 0 AND random() < 0.25 THEN
                nargs := f.pronargs - (random() * f.pronargdefaults)::int;
            END IF;
            args := '{}';
            mostly_good := random() < 0.5;
            FOR a IN 1 .. nargs LOOP
                typ := f.types[a - 1]::regtype::text;
                IF mostly_good AND typ = 'date' AND f.proargnames[a] IN ('check_out', 'end_night')
                   AND a > 1 AND f.types[a - 2]::regtype::text = 'date' AND random() < 0.8 THEN
                    -- a stay of a few nights after the check-in drawn just before
                    expr := format('%s + %s', args[a - 1], 1 + (random() * 4)::int);
                ELSE
                    expr := bi.pick(typ, coalesce(f.proargnames[a], ''), mostly_good);
                END IF;
                args := args || format('(%s)::%s', expr, typ);
            END LOOP;
            INSERT INTO bi.call (fn, call_sql, args_sql)
            VALUES (f.proname,
                    format('SELECT count(*) FROM booking.%I(%s) AS f', f.proname, array_to_string(args, ', ')),
                    CASE WHEN nargs > 0 THEN 'SELECT ' || array_to_string(args, ', ') END);
        END LOOP;
    END LOOP;
    -- The sweep: for every argument of every function, every value of
    -- its pools that a well-behaved client would not send, with
    -- well-behaved values everywhere else (so each edge reaches the code
    -- behind the checks of the other arguments).  A stay's second date
    -- follows its first: edge + 1 night.
    FOR f IN
        SELECT p.oid, p.proname, p.pronargs, p.proargnames, p.proargtypes AS types
          FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'booking'
         WHERE p.prorettype::regtype::text NOT IN ('trigger', 'event_trigger') AND p.pronargs > 0
         ORDER BY p.proname
    LOOP
        FOR a IN 1 .. f.pronargs LOOP
            typ := f.types[a - 1]::regtype::text;
            FOR expr, rep IN
                SELECT DISTINCT q.expr, r FROM bi.pool q, generate_series(1, sweeps) r
                 WHERE q.kind IN (typ, typ || ':' || coalesce(f.proargnames[a], '')) AND NOT q.good
            LOOP
                args := '{}';
                FOR i IN 1 .. f.pronargs LOOP
                    IF i = a THEN
                        args := args || format('(%s)::%s', expr, typ);
                    ELSIF i = a + 1 AND typ = 'date' AND f.proargnames[i] IN ('check_out', 'end_night') THEN
                        args := args || format('(%s)::date + 1', expr);
                    ELSE
                        args := args || format('(%s)::%s',
                                               bi.pick(f.types[i - 1]::regtype::text, coalesce(f.proargnames[i], ''), true),
                                               f.types[i - 1]::regtype::text);
                    END IF;
                END LOOP;
                INSERT INTO bi.call (fn, call_sql, args_sql)
                VALUES (f.proname,
                        format('SELECT count(*) FROM booking.%I(%s) AS f', f.proname, array_to_string(args, ', ')),
                        'SELECT ' || array_to_string(args, ', '));
            END LOOP;
        END LOOP;
    END LOOP;

    -- Every text argument is capped (booking.h, BOOKING_MAX_*_BYTES: at
    -- most 1,000 bytes): for each text argument of each function, one call
    -- with a 2,800-byte text there and only the required arguments besides
    -- (a plain value each, by name; optional ones keep their defaults, so
    -- a guest_id is tried without an idempotency key too) must fail 22023,
    -- whatever else is true of the call: the arguments are checked before
    -- anything is looked up, and neither success nor 54000 from an index
    -- is allowed.
    FOR f IN
        SELECT p.oid, p.proname, p.pronargs, p.pronargdefaults, p.proargnames, p.proargtypes AS types
          FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'booking'
         WHERE p.prorettype::regtype::text NOT IN ('trigger', 'event_trigger')
           AND 'text'::regtype = ANY (p.proargtypes::oid[])
         ORDER BY p.proname
    LOOP
        FOR a IN 1 .. f.pronargs LOOP
            CONTINUE WHEN f.types[a - 1] <> 'text'::regtype;
            args := '{}';
            FOR i IN 1 .. f.pronargs LOOP
                IF i = a THEN
                    args := args || format('%I => bi.long_text(2800)', f.proargnames[i]);
                ELSIF i <= f.pronargs - f.pronargdefaults THEN
                    args := args || format('%I => (%s)::%s', f.proargnames[i],
                                           bi.plain(f.types[i - 1]::regtype::text, f.proargnames[i]),
                                           f.types[i - 1]::regtype::text);
                END IF;
            END LOOP;
            INSERT INTO bi.call (fn, call_sql, args_sql, expect)
            VALUES (f.proname,
                    format('SELECT count(*) FROM booking.%I(%s) AS f', f.proname, array_to_string(args, ', ')),
                    NULL,
                    -- a calendar has no length cap (booking.ical_max_events
                    -- bounds it): 2,800 random bytes are no iCalendar
                    CASE WHEN f.proargnames[a] = 'ics' THEN '22P02' ELSE '22023' END);
        END LOOP;
    END LOOP;

    -- The state machine trigger: a cancelled reservation is terminal, so
    -- every direct UPDATE to another state must fail BK003 (to the same
    -- state it changes nothing and succeeds).
    INSERT INTO bi.call (fn, call_sql, args_sql, expect)
    SELECT 'reservation_state_machine (trigger)',
           format('UPDATE booking.reservation SET state = %L WHERE reservation_id = %s', s, v), NULL,
           CASE WHEN s = 'cancelled' THEN '00000' ELSE 'BK003' END
      FROM bi.fx, unnest(enum_range(NULL::booking.booking_state)) s
     WHERE k = 'cancelled';
    SELECT count(*) INTO i FROM bi.call;
    RETURN i;
END
$$;
SELECT setseed(:seed);
SELECT bi.generate(:per_function, :sweeps);

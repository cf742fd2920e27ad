-- 03_privileges.sql: the three roles, and who may execute, read and write
-- what.  Contract: README.md ("Privileges"): nothing granted to
-- PUBLIC; booking_reader < booking_app < booking_admin; no role but the
-- owner writes the tables directly.  1.0's payment step, outbox and
-- counters: begin_payment for booking_app; the outbox, the stats and
-- hold_ages for booking_admin.
-- 1.1: quote, calendar, and reading stay_rule and room_calendar
-- for booking_reader; set_rules, clear_rules, rebuild_calendar and purge
-- for booking_admin; the internal calendar_add for nobody but the owner.
-- 1.2 (the outbox consumer role): booking_consumer, read_events and
-- ack_events only.
-- 2.0: get_reservation, find_reservation, modify_reservation and the
-- groups (reserve_group, confirm_group, cancel_group) for booking_app;
-- PUBLIC and booking_reader may not call them.
-- 2.0 rate plans, policies and the stay: cancel_quote, check_in,
-- check_out and mark_no_show for booking_app; add_rate_plan, set_rates
-- and add_policy for booking_admin (with set_rules and clear_rules, which
-- gained rate_plan); search, quote and reserve_range, reserve_group's
-- lines and modify_reservation take rate_plan and children.  The tables
-- rate_plan, rate, cancel_policy and plan_rule are read by booking_reader
-- and up and written by nobody but the owner.
-- 2.0 channels: apply_channel_booking for booking_app (PUBLIC,
-- booking_reader and booking_consumer may not call it); the table
-- channel_booking is read by booking_admin only and written by nobody but
-- the owner.  The ARI feed: read_ari and ack_ari for booking_consumer (and
-- so booking_admin); ari_change and ari_consumer read by booking_admin only.
-- 2.0 iCal: ical_export for booking_reader, ical_import for booking_app.
-- 2.0 waitlist: join_waitlist and leave_waitlist for booking_app (PUBLIC,
-- booking_reader and booking_consumer may not call them); the table
-- waitlist is read by booking_admin only, its sequence by nobody.
-- 2.0 blocks: create_block, release_block and release_due_blocks for
-- booking_admin; room_block and block_night read by booking_admin only.
-- 2.0 publishing passes: repair_event_passes for booking_admin.
BEGIN;
SELECT plan(315);

-- ---------------------------------------------------------------------
-- Roles: exist, NOLOGIN, no special powers, nested reader < app < admin
-- ---------------------------------------------------------------------
SELECT has_role('booking_reader', 'role booking_reader exists');
SELECT has_role('booking_app', 'role booking_app exists');
SELECT has_role('booking_admin', 'role booking_admin exists');
SELECT results_eq(
    $$SELECT rolname::text COLLATE "default", rolcanlogin, rolsuper, rolcreaterole, rolcreatedb,
             rolbypassrls, rolreplication, rolinherit
        FROM pg_roles
       WHERE rolname IN ('booking_reader', 'booking_app', 'booking_admin')
       ORDER BY rolname$$,
    $$VALUES ('booking_admin', false, false, false, false, false, false, true),
             ('booking_app', false, false, false, false, false, false, true),
             ('booking_reader', false, false, false, false, false, false, true)$$,
    'the three roles are NOLOGIN, not superuser, no CREATEROLE/CREATEDB/BYPASSRLS/REPLICATION, INHERIT');
SELECT is_member_of('booking_reader', ARRAY['booking_app'],
                    'booking_app is a member of booking_reader');
SELECT is_member_of('booking_app', ARRAY['booking_admin'],
                    'booking_admin is a member of booking_app');
SELECT ok(pg_has_role('booking_admin', 'booking_reader', 'USAGE'),
          'booking_admin has booking_reader''s privileges (through booking_app)');
SELECT ok(NOT pg_has_role('booking_reader', 'booking_app', 'USAGE'),
          'booking_reader does not have booking_app''s privileges');
SELECT ok(NOT pg_has_role('booking_app', 'booking_admin', 'USAGE'),
          'booking_app does not have booking_admin''s privileges');

-- ---------------------------------------------------------------------
-- PUBLIC gets nothing: no EXECUTE, no table, sequence, schema or type
-- privilege.  (A NULL proacl would mean the default EXECUTE to PUBLIC.)
-- ---------------------------------------------------------------------
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
    'PUBLIC can execute no function in schema booking');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND (p.proacl IS NULL
              OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0))$$,
    'no function in schema booking has a default ACL or an entry for PUBLIC');
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c
       WHERE c.relnamespace = 'booking'::regnamespace
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
         AND (c.relacl IS NULL
              OR EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0))$$,
    'no table or sequence in schema booking has a default ACL or an entry for PUBLIC');
SELECT is_empty(
    $$SELECT a.attrelid::regclass::text || '.' || a.attname FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       WHERE c.relnamespace = 'booking'::regnamespace AND a.attacl IS NOT NULL$$,
    'no column-level grants in schema booking');
SELECT ok(NOT has_schema_privilege('public', 'booking', 'USAGE'),
          'PUBLIC has no USAGE on schema booking');
SELECT ok(NOT has_schema_privilege('public', 'booking', 'CREATE'),
          'PUBLIC has no CREATE on schema booking');
SELECT ok(NOT has_type_privilege('public', 'booking.booking_state', 'USAGE'),
          'PUBLIC has no USAGE on type booking.booking_state');
SELECT ok(has_type_privilege('booking_reader', 'booking.booking_state', 'USAGE'),
          'booking_reader has USAGE on type booking.booking_state');

-- ---------------------------------------------------------------------
-- Schema: USAGE for the three roles, CREATE for none
-- ---------------------------------------------------------------------
SELECT schema_privs_are('booking', 'booking_reader', ARRAY['USAGE'],
                        'booking_reader has USAGE (only) on schema booking');
SELECT schema_privs_are('booking', 'booking_app', ARRAY['USAGE'],
                        'booking_app has USAGE (only) on schema booking');
SELECT schema_privs_are('booking', 'booking_admin', ARRAY['USAGE'],
                        'booking_admin has USAGE (only) on schema booking');

-- ---------------------------------------------------------------------
-- EXECUTE: exactly README.md's "Privileges" table and the notes under it,
-- for every function in the schema (rank 1 = reader and up, 2 = app and
-- up, 3 = admin, 4 = nobody).  node_of is pure arithmetic on an id; the
-- install script grants it with the read functions.
-- ---------------------------------------------------------------------
CREATE TEMP TABLE fn_matrix (rank int, fname name, args name[]);
INSERT INTO fn_matrix VALUES
        (1, 'availability', ARRAY['bigint', 'date', 'date']::name[]),
        (1, 'search', ARRAY['text', 'date', 'date', 'integer', 'integer', 'integer', 'text', 'integer']::name[]),
        (1, 'node_of', ARRAY['bigint']::name[]),
        (1, 'quote', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'text', 'integer']::name[]),
        (1, 'calendar', ARRAY['bigint', 'date']::name[]),
        (1, 'ical_export', ARRAY['bigint', 'text']::name[]),
        (2, 'reserve_range', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text', 'interval', 'integer',
                                   'text', 'integer', 'text']::name[]),
        (2, 'confirm_booking', ARRAY['bigint', 'text', 'text']::name[]),
        (2, 'cancel_reservation', ARRAY['bigint', 'text', 'text']::name[]),
        (2, 'begin_payment', ARRAY['bigint', 'text', 'interval', 'text']::name[]),
        (2, 'get_reservation', ARRAY['bigint', 'text']::name[]),
        (2, 'find_reservation', ARRAY['text', 'text', 'text']::name[]),
        (2, 'modify_reservation', ARRAY['bigint', 'date', 'date', 'integer', 'text', 'integer', 'text', 'text', 'boolean',
                                        'text', 'integer']::name[]),
        (2, 'reserve_group', ARRAY['bigint', 'jsonb', 'text', 'text', 'interval']::name[]),
        (2, 'confirm_group', ARRAY['bigint', 'text', 'text']::name[]),
        (2, 'cancel_group', ARRAY['bigint', 'text', 'text']::name[]),
        (2, 'cancel_quote', ARRAY['bigint', 'timestamp with time zone', 'text']::name[]),
        (2, 'check_in', ARRAY['bigint']::name[]),
        (2, 'check_out', ARRAY['bigint']::name[]),
        (2, 'mark_no_show', ARRAY['bigint']::name[]),
        (2, 'apply_channel_booking', ARRAY['text', 'text', 'bigint', 'text', 'bigint', 'text', 'date', 'date',
                                           'integer', 'numeric', 'text']::name[]),
        (2, 'ical_import', ARRAY['bigint', 'text', 'text', 'text']::name[]),
        (2, 'join_waitlist', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'text', 'text']::name[]),
        (2, 'leave_waitlist', ARRAY['bigint']::name[]),
        (3, 'add_property', ARRAY['text', 'text', 'text']::name[]),
        (3, 'add_room_type', ARRAY['bigint', 'text', 'text', 'integer', 'integer', 'numeric']::name[]),
        (3, 'open_inventory', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'numeric']::name[]),
        (3, 'expire_holds', ARRAY['integer']::name[]),
        (3, 'check_invariants', ARRAY[]::name[]),
        (3, 'read_events', ARRAY['text', 'integer']::name[]),
        (3, 'ack_events', ARRAY['text', 'bigint']::name[]),
        (3, 'read_ari', ARRAY['text', 'integer']::name[]),
        (3, 'ack_ari', ARRAY['text', 'bigint']::name[]),
        (3, 'stats', ARRAY[]::name[]),
        (3, 'stats_reset', ARRAY[]::name[]),
        (3, 'set_rules', ARRAY['bigint', 'text', 'date', 'date', 'integer', 'integer', 'boolean',
                               'boolean', 'boolean', 'integer', 'integer', 'text']::name[]),
        (3, 'clear_rules', ARRAY['bigint', 'text', 'date', 'date', 'text']::name[]),
        (3, 'add_rate_plan', ARRAY['bigint', 'text', 'text', 'text', 'text', 'numeric', 'numeric', 'integer',
                                   'numeric', 'numeric', 'text', 'text']::name[]),
        (3, 'set_rates', ARRAY['bigint', 'text', 'text', 'date', 'date', 'numeric']::name[]),
        (3, 'add_policy', ARRAY['bigint', 'text', 'jsonb', 'jsonb']::name[]),
        (3, 'rebuild_calendar', ARRAY[]::name[]),
        (3, 'purge', ARRAY['integer']::name[]),
        (3, 'repair_inventory', ARRAY[]::name[]),
        (3, 'repair_event_passes', ARRAY[]::name[]),
        (3, 'create_block', ARRAY['bigint', 'text', 'text', 'date', 'date', 'integer', 'integer',
                                  'timestamp with time zone']::name[]),
        (3, 'release_block', ARRAY['bigint', 'text']::name[]),
        (3, 'release_due_blocks', ARRAY['integer']::name[]),
        (4, 'enforce_state_transition', ARRAY[]::name[]),
        (4, 'event_local_writer', ARRAY[]::name[]),
        (4, 'event_table_altered', ARRAY[]::name[]),
        (4, 'guard_drop_extension', ARRAY[]::name[]),
        (4, 'calendar_add', ARRAY['integer[]', 'integer', 'integer', 'integer']::name[]),
        (4, 'calendar_apply', ARRAY['integer[]', 'integer[]']::name[]),
        (3, 'state_names', ARRAY[]::name[]);
SELECT function_privs_are('booking', f.fname, f.args, r.rname,
                          CASE WHEN r.rank >= f.rank THEN ARRAY['EXECUTE'] ELSE ARRAY[]::name[] END,
                          format('%s %s EXECUTE on booking.%s',
                                 r.rname, CASE WHEN r.rank >= f.rank THEN 'has' ELSE 'has no' END,
                                 f.fname))
  FROM fn_matrix AS f
 CROSS JOIN (VALUES (1, 'booking_reader'::name), (2, 'booking_app'::name), (3, 'booking_admin'::name))
       AS r(rank, rname)
 ORDER BY r.rank, f.rank, f.fname;
-- 159 tests above.
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND NOT EXISTS (SELECT 1 FROM fn_matrix f
                          WHERE f.fname = p.proname
                            AND p.oid = format('booking.%I(%s)', f.fname,
                                               array_to_string(f.args, ','))::regprocedure)$$,
    'the matrix above covers every function in schema booking (a new one must be placed in it)');
SELECT results_eq(
    $$SELECT pg_get_userbyid(a.grantee)::text COLLATE "default", a.privilege_type::text COLLATE "default"
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid = 'booking.calendar_add(int[],int,int,int)'::regprocedure$$,
    $$SELECT pg_get_userbyid(proowner)::text COLLATE "default", 'EXECUTE'::text COLLATE "default" FROM pg_proc
       WHERE oid = 'booking.calendar_add(int[],int,int,int)'::regprocedure$$,
    'calendar_add: the owner alone may execute it (no role, no PUBLIC)');
-- 2.0 groups: granted to booking_app by name (booking_admin has it through
-- booking_app), nothing to PUBLIC, booking_reader or booking_consumer.
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_userbyid(a.grantee)::text COLLATE "default",
             a.privilege_type::text COLLATE "default", a.is_grantable
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid IN ('booking.reserve_group(bigint,jsonb,text,text,interval)'::regprocedure,
                       'booking.confirm_group(bigint,text,text)'::regprocedure,
                       'booking.cancel_group(bigint,text,text)'::regprocedure)
         AND a.grantee <> p.proowner
       ORDER BY 1, 2$$,
    $$VALUES ('cancel_group', 'booking_app', 'EXECUTE', false),
             ('confirm_group', 'booking_app', 'EXECUTE', false),
             ('reserve_group', 'booking_app', 'EXECUTE', false)$$,
    'reserve_group, confirm_group, cancel_group: EXECUTE granted to booking_app only (beside the owner), not grantable');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.oid::regprocedure::text
        FROM pg_proc p
       CROSS JOIN (VALUES ('public'), ('booking_reader'), ('booking_consumer')) AS r(rolname)
       WHERE p.oid IN ('booking.reserve_group(bigint,jsonb,text,text,interval)'::regprocedure,
                       'booking.confirm_group(bigint,text,text)'::regprocedure,
                       'booking.cancel_group(bigint,text,text)'::regprocedure)
         AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')$$,
    'neither PUBLIC nor booking_reader nor booking_consumer can execute a group function');
-- 2.0 the stay and cancel_quote: granted to booking_app by name, nothing
-- to PUBLIC, booking_reader or booking_consumer; the plans and policies
-- are booking_admin's.
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_userbyid(a.grantee)::text COLLATE "default",
             a.privilege_type::text COLLATE "default", a.is_grantable
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid IN ('booking.cancel_quote(bigint,timestamptz,text)'::regprocedure,
                       'booking.check_in(bigint)'::regprocedure,
                       'booking.check_out(bigint)'::regprocedure,
                       'booking.mark_no_show(bigint)'::regprocedure,
                       'booking.add_rate_plan(bigint,text,text,text,text,numeric,numeric,int,numeric,numeric,text,text)'::regprocedure,
                       'booking.set_rates(bigint,text,text,date,date,numeric)'::regprocedure,
                       'booking.add_policy(bigint,text,jsonb,jsonb)'::regprocedure)
         AND a.grantee <> p.proowner
       ORDER BY 1, 2$$,
    $$VALUES ('add_policy', 'booking_admin', 'EXECUTE', false),
             ('add_rate_plan', 'booking_admin', 'EXECUTE', false),
             ('cancel_quote', 'booking_app', 'EXECUTE', false),
             ('check_in', 'booking_app', 'EXECUTE', false),
             ('check_out', 'booking_app', 'EXECUTE', false),
             ('mark_no_show', 'booking_app', 'EXECUTE', false),
             ('set_rates', 'booking_admin', 'EXECUTE', false)$$,
    'cancel_quote and the stay to booking_app, add_rate_plan, set_rates, add_policy to booking_admin (beside the owner), not grantable');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.oid::regprocedure::text
        FROM pg_proc p
       CROSS JOIN (VALUES ('public'), ('booking_reader'), ('booking_consumer')) AS r(rolname)
       WHERE p.oid IN ('booking.cancel_quote(bigint,timestamptz,text)'::regprocedure,
                       'booking.check_in(bigint)'::regprocedure,
                       'booking.check_out(bigint)'::regprocedure,
                       'booking.mark_no_show(bigint)'::regprocedure)
         AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')$$,
    'neither PUBLIC nor booking_reader nor booking_consumer can run cancel_quote or the stay');
-- 2.0 channels: apply_channel_booking granted to booking_app by name,
-- nothing to PUBLIC, booking_reader or booking_consumer.
SELECT results_eq(
    $$SELECT pg_get_userbyid(a.grantee)::text COLLATE "default", a.privilege_type::text COLLATE "default", a.is_grantable
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid = 'booking.apply_channel_booking(text,text,bigint,text,bigint,text,date,date,int,numeric,text)'::regprocedure
         AND a.grantee <> p.proowner$$,
    $$VALUES ('booking_app', 'EXECUTE', false)$$,
    'apply_channel_booking: EXECUTE granted to booking_app only (beside the owner), not grantable');
SELECT is_empty(
    $$SELECT r.rolname FROM (VALUES ('public'), ('booking_reader'), ('booking_consumer')) AS r(rolname)
       WHERE has_function_privilege(r.rolname,
                 'booking.apply_channel_booking(text,text,bigint,text,bigint,text,date,date,int,numeric,text)'::regprocedure,
                 'EXECUTE')$$,
    'neither PUBLIC nor booking_reader nor booking_consumer can run apply_channel_booking');
-- 2.0 the ARI feed: read_ari and ack_ari granted to booking_consumer by
-- name (booking_admin has them through it), nothing to PUBLIC,
-- booking_reader or booking_app.
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_userbyid(a.grantee)::text COLLATE "default",
             a.privilege_type::text COLLATE "default", a.is_grantable
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid IN ('booking.read_ari(text,int)'::regprocedure, 'booking.ack_ari(text,bigint)'::regprocedure)
         AND a.grantee <> p.proowner
       ORDER BY 1, 2$$,
    $$VALUES ('ack_ari', 'booking_consumer', 'EXECUTE', false),
             ('read_ari', 'booking_consumer', 'EXECUTE', false)$$,
    'read_ari, ack_ari: EXECUTE granted to booking_consumer only (beside the owner), not grantable');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.oid::regprocedure::text
        FROM pg_proc p
       CROSS JOIN (VALUES ('public'), ('booking_reader'), ('booking_app')) AS r(rolname)
       WHERE p.oid IN ('booking.read_ari(text,int)'::regprocedure, 'booking.ack_ari(text,bigint)'::regprocedure)
         AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')$$,
    'neither PUBLIC nor booking_reader nor booking_app can read or acknowledge the ARI feed');
-- 2.0 iCal: ical_export granted to booking_reader, ical_import to
-- booking_app, by name; nothing to PUBLIC; booking_consumer neither.
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_userbyid(a.grantee)::text COLLATE "default",
             a.privilege_type::text COLLATE "default", a.is_grantable
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid IN ('booking.ical_export(bigint,text)'::regprocedure,
                       'booking.ical_import(bigint,text,text,text)'::regprocedure)
         AND a.grantee <> p.proowner
       ORDER BY 1, 2$$,
    $$VALUES ('ical_export', 'booking_reader', 'EXECUTE', false),
             ('ical_import', 'booking_app', 'EXECUTE', false)$$,
    'ical_export: EXECUTE granted to booking_reader, ical_import to booking_app (beside the owner), not grantable');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.oid::regprocedure::text
        FROM pg_proc p, (VALUES ('public'), ('booking_consumer')) AS r(rolname)
       WHERE p.oid IN ('booking.ical_export(bigint,text)'::regprocedure,
                       'booking.ical_import(bigint,text,text,text)'::regprocedure)
         AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')
      UNION ALL
      SELECT 'booking_reader ical_import'
       WHERE has_function_privilege('booking_reader', 'booking.ical_import(bigint,text,text,text)'::regprocedure,
                                    'EXECUTE')$$,
    'neither PUBLIC nor booking_consumer can run ical_export or ical_import; booking_reader cannot import');
-- 2.0 waitlist: join_waitlist and leave_waitlist granted to booking_app by
-- name, nothing to PUBLIC, booking_reader or booking_consumer.
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", pg_get_userbyid(a.grantee)::text COLLATE "default",
             a.privilege_type::text COLLATE "default", a.is_grantable
        FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.oid IN ('booking.join_waitlist(bigint,text,date,date,int,text,text)'::regprocedure,
                       'booking.leave_waitlist(bigint)'::regprocedure)
         AND a.grantee <> p.proowner
       ORDER BY 1, 2$$,
    $$VALUES ('join_waitlist', 'booking_app', 'EXECUTE', false),
             ('leave_waitlist', 'booking_app', 'EXECUTE', false)$$,
    'join_waitlist, leave_waitlist: EXECUTE granted to booking_app only (beside the owner), not grantable');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.oid::regprocedure::text
        FROM pg_proc p
       CROSS JOIN (VALUES ('public'), ('booking_reader'), ('booking_consumer')) AS r(rolname)
       WHERE p.oid IN ('booking.join_waitlist(bigint,text,date,date,int,text,text)'::regprocedure,
                       'booking.leave_waitlist(bigint)'::regprocedure)
         AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')$$,
    'neither PUBLIC nor booking_reader nor booking_consumer can run join_waitlist or leave_waitlist');
SELECT table_privs_are('booking', 'event_publisher', r.rname, ARRAY[]::name[],
                       format('%s has no privilege on booking.event_publisher (the publisher''s lock row)', r.rname))
  FROM (VALUES ('booking_reader'::name), ('booking_app'::name), ('booking_admin'::name),
               ('public'::name)) AS r(rname);
SELECT table_privs_are('booking', 'event_load_signal', r.rname, ARRAY[]::name[],
                       format('%s has no privilege on booking.event_load_signal (the signals of loads)', r.rname))
  FROM (VALUES ('booking_reader'::name), ('booking_app'::name), ('booking_admin'::name),
               ('public'::name)) AS r(rname);

-- ---------------------------------------------------------------------
-- Tables and views: reader and app read the catalog (property,
-- room_type, inventory, in 1.1 stay_rule and room_calendar, in 2.0
-- rate_plan, rate, cancel_policy and plan_rule); admin
-- also reads reservations, keys, the event
-- outbox and its consumers, the stats and hold_ages views, and (2.0) the
-- channels' bookings (channel_booking) and the waitlist; nobody writes.
-- ---------------------------------------------------------------------
SELECT table_privs_are('booking', t.tname, r.rname,
                       CASE WHEN t.tname IN ('property', 'room_type', 'inventory', 'stay_rule', 'room_calendar',
                                           'rate_plan', 'rate', 'cancel_policy', 'plan_rule')
                                 OR r.rname = 'booking_admin'
                            THEN ARRAY['SELECT'] ELSE ARRAY[]::name[] END,
                       format('%s may %s booking.%s', r.rname,
                              CASE WHEN t.tname IN ('property', 'room_type', 'inventory', 'stay_rule', 'room_calendar',
                                           'rate_plan', 'rate', 'cancel_policy', 'plan_rule')
                                 OR r.rname = 'booking_admin'
                                   THEN 'only SELECT from' ELSE 'do nothing with' END,
                              t.tname))
  FROM (VALUES ('property'::name), ('room_type'::name), ('inventory'::name),
               ('reservation'::name), ('idempotency_key'::name),
               ('event'::name), ('event_consumer'::name),
               ('stats'::name), ('hold_ages'::name),
               ('stay_rule'::name), ('room_calendar'::name), ('reservation_night'::name),
               ('rate_plan'::name), ('rate'::name), ('cancel_policy'::name), ('plan_rule'::name),
               ('channel_booking'::name), ('ari_change'::name), ('ari_consumer'::name),
               ('waitlist'::name),
               ('room_block'::name), ('block_night'::name)) AS t(tname)
 CROSS JOIN (VALUES ('booking_reader'::name), ('booking_app'::name), ('booking_admin'::name)) AS r(rname)
 ORDER BY r.rname, t.tname;
-- 66 tests above.
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.priv || ' ' || c.oid::regclass::text
        FROM pg_class c
       CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS p(priv)
       CROSS JOIN (SELECT rolname FROM pg_roles
                    WHERE rolname IN ('booking_reader', 'booking_app', 'booking_admin')
                   UNION ALL SELECT 'public') AS r
       WHERE c.relnamespace = 'booking'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND has_table_privilege(r.rolname, c.oid, p.priv)$$,
    'no booking role (nor PUBLIC) may INSERT, UPDATE, DELETE or TRUNCATE any booking table or view');
SELECT ok(NOT has_table_privilege('public', 'booking.inventory', 'SELECT'),
          'PUBLIC cannot read booking.inventory');
SELECT ok(NOT has_table_privilege('public', 'booking.reservation', 'SELECT'),
          'PUBLIC cannot read booking.reservation');
SELECT ok(NOT has_table_privilege('public', 'booking.event', 'SELECT'),
          'PUBLIC cannot read booking.event');
SELECT ok(NOT has_table_privilege('public', 'booking.stats', 'SELECT'),
          'PUBLIC cannot read booking.stats');
SELECT ok(NOT has_table_privilege('public', 'booking.stay_rule', 'SELECT')
          AND NOT has_table_privilege('public', 'booking.room_calendar', 'SELECT'),
          'PUBLIC cannot read booking.stay_rule nor booking.room_calendar');
SELECT ok(NOT has_table_privilege('public', 'booking.rate_plan', 'SELECT')
          AND NOT has_table_privilege('public', 'booking.rate', 'SELECT')
          AND NOT has_table_privilege('public', 'booking.cancel_policy', 'SELECT')
          AND NOT has_table_privilege('public', 'booking.plan_rule', 'SELECT'),
          'PUBLIC cannot read booking.rate_plan, rate, cancel_policy nor plan_rule');
SELECT ok(NOT has_table_privilege('public', 'booking.channel_booking', 'SELECT'),
          'PUBLIC cannot read booking.channel_booking');
SELECT ok(NOT has_table_privilege('public', 'booking.ari_change', 'SELECT')
          AND NOT has_table_privilege('public', 'booking.ari_consumer', 'SELECT'),
          'PUBLIC cannot read booking.ari_change nor booking.ari_consumer');
SELECT ok(NOT has_table_privilege('public', 'booking.waitlist', 'SELECT'),
          'PUBLIC cannot read booking.waitlist');
SELECT ok(NOT has_table_privilege('public', 'booking.room_block', 'SELECT')
          AND NOT has_table_privilege('public', 'booking.block_night', 'SELECT'),
          'PUBLIC cannot read booking.room_block nor booking.block_night');

-- Sequences: no role may draw, set or read them (ids come from the functions).
SELECT sequence_privs_are('booking', s.sname, r.rname, ARRAY[]::name[],
                          format('%s has no privilege on booking.%s', r.rname, s.sname))
  FROM (VALUES ('property_id_seq'::name), ('reservation_id_seq'::name),
               ('event_id_seq'::name), ('event_position_seq'::name),
               ('ari_change_id_seq'::name),
               ('waitlist_id_seq'::name)) AS s(sname)
 CROSS JOIN (VALUES ('booking_reader'::name), ('booking_app'::name), ('booking_admin'::name)) AS r(rname)
 ORDER BY r.rname, s.sname;
-- 15 tests above.
SELECT ok(NOT has_sequence_privilege('public', 'booking.reservation_id_seq', 'USAGE'),
          'PUBLIC has no USAGE on booking.reservation_id_seq');

-- ---------------------------------------------------------------------
-- booking_consumer (the outbox consumer role added in 1.2): an outbox
-- consumer may execute read_events and ack_events and nothing else;
-- booking_admin is a member (it keeps the outbox), the other roles are
-- not.
-- ---------------------------------------------------------------------
SELECT has_role('booking_consumer', 'role booking_consumer exists');
SELECT results_eq(
    $$SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, rolinherit
        FROM pg_roles WHERE rolname = 'booking_consumer'$$,
    $$VALUES (false, false, false, false, false, false, true)$$,
    'booking_consumer is NOLOGIN, not superuser, no CREATEROLE/CREATEDB/BYPASSRLS/REPLICATION, INHERIT');
SELECT is_member_of('booking_consumer', ARRAY['booking_admin'],
                    'booking_admin is a member of booking_consumer');
SELECT is_empty(
    $$SELECT b.rolname::text FROM pg_auth_members m
        JOIN pg_roles b ON b.oid = m.roleid
       WHERE m.member = 'booking_consumer'::regrole$$,
    'booking_consumer is a member of no role (it has only its own grants)');
SELECT ok(NOT pg_has_role('booking_app', 'booking_consumer', 'USAGE')
          AND NOT pg_has_role('booking_reader', 'booking_consumer', 'USAGE'),
          'neither booking_app nor booking_reader has booking_consumer''s privileges');
SELECT schema_privs_are('booking', 'booking_consumer', ARRAY['USAGE'],
                        'booking_consumer has USAGE (only) on schema booking');
SELECT ok(NOT has_type_privilege('booking_consumer', 'booking.booking_state', 'USAGE'),
          'booking_consumer has no USAGE on type booking.booking_state');
SELECT function_privs_are('booking', 'read_events', ARRAY['text', 'integer'], 'booking_consumer',
                          ARRAY['EXECUTE'], 'booking_consumer has EXECUTE on booking.read_events');
SELECT function_privs_are('booking', 'ack_events', ARRAY['text', 'bigint'], 'booking_consumer',
                          ARRAY['EXECUTE'], 'booking_consumer has EXECUTE on booking.ack_events');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND has_function_privilege('booking_consumer', p.oid, 'EXECUTE')
         AND p.proname NOT IN ('read_events', 'ack_events', 'read_ari', 'ack_ari')$$,
    'booking_consumer can execute no booking function but read_events, ack_events and (2.0) read_ari, ack_ari');
SELECT is_empty(
    $$SELECT p.priv || ' ' || c.oid::regclass::text
        FROM pg_class c
       CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'),
                          ('REFERENCES'), ('TRIGGER')) AS p(priv)
       WHERE c.relnamespace = 'booking'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND has_table_privilege('booking_consumer', c.oid, p.priv)$$,
    'booking_consumer has no privilege on any booking table or view (not even SELECT)');
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c
       WHERE c.relnamespace = 'booking'::regnamespace AND c.relkind = 'S'
         AND (has_sequence_privilege('booking_consumer', c.oid, 'USAGE')
              OR has_sequence_privilege('booking_consumer', c.oid, 'SELECT')
              OR has_sequence_privilege('booking_consumer', c.oid, 'UPDATE'))$$,
    'booking_consumer has no privilege on any booking sequence');

-- ---------------------------------------------------------------------
-- A role that was granted nothing can do nothing.
-- ---------------------------------------------------------------------
CREATE ROLE booking_tap_nobody NOLOGIN;
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'booking'::regnamespace
         AND has_function_privilege('booking_tap_nobody', p.oid, 'EXECUTE')$$,
    'a fresh role can execute no booking function');
SELECT ok(NOT has_schema_privilege('booking_tap_nobody', 'booking', 'USAGE'),
          'a fresh role has no USAGE on schema booking');
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c
       WHERE c.relnamespace = 'booking'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'S')
         AND has_table_privilege('booking_tap_nobody', c.oid, 'SELECT')$$,
    'a fresh role can read no booking table or view');

SELECT * FROM finish();
ROLLBACK;

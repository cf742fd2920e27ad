-- iCal (2.0): ical_export writes a room type's unavailable nights as an
-- RFC 5545 calendar; ical_import applies a calendar from outside as one
-- source's channel bookings (channel = source, external_id = UID), all
-- or nothing.  The calendars in test/ical are shaped like real exports
-- (Airbnb, Booking.com, Google Calendar) with dates written @D+n@, which
-- t.ics turns into current_date + n.
\set ECHO none
\i test/sql/setup.psql
\i test/ical/helpers.psql
-- t.ical_rel: an export as lines, YYYYMMDD dates as D+n, DTSTAMP hidden
CREATE OR REPLACE FUNCTION t.ical_rel(ics text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    m text[];
BEGIN
    FOR line IN SELECT l FROM regexp_split_to_table(ics, E'\r\n') WITH ORDINALITY s(l, n) ORDER BY n LOOP
        line := regexp_replace(line, '^DTSTAMP:\d{8}T\d{6}Z$', 'DTSTAMP:<now>');
        FOR m IN SELECT regexp_matches(line, '(\d{8})(?!\d)', 'g') LOOP
            line := replace(line, m[1], 'D' || CASE WHEN to_date(m[1], 'YYYYMMDD') >= current_date THEN '+' ELSE '' END
                                        || (to_date(m[1], 'YYYYMMDD') - current_date));
        END LOOP;
        RETURN NEXT regexp_replace(line, '^UID:\d+-', 'UID:N-');
    END LOOP;
END
$$;
-- t.imp: an import's rows, reservation ids shown as whether there is one
CREATE OR REPLACE FUNCTION t.imp(p bigint, rt text, src text, ics text)
RETURNS TABLE(uid text, action text, has_reservation boolean) LANGUAGE sql AS
$$ SELECT CASE WHEN i.uid ~ '^\d+-.*-\d{8}@booking$'
               THEN (SELECT u FROM t.ical_rel('UID:' || i.uid) u)
               ELSE i.uid END, i.action, i.reservation_id IS NOT NULL
     FROM booking.ical_import(p, rt, src, ics) i $$;
-- t.stays: a source's live channel bookings with their stays
CREATE OR REPLACE FUNCTION t.stays(src text)
RETURNS TABLE(uid text, rev bigint, status text, room_type text, nights text, state text)
LANGUAGE sql AS
$$ SELECT cb.external_id, cb.revision, cb.status, r.room_type,
          format('D+%s..D+%s', r.check_in - current_date, r.check_out - current_date), r.state::text
     FROM booking.channel_booking cb JOIN booking.reservation r USING (reservation_id)
    WHERE cb.channel = src ORDER BY cb.external_id $$;
-- t.ical_inv: a room type's nights with overbooked, relative to current_date
CREATE OR REPLACE FUNCTION t.ical_inv(p bigint, rt text, first int, last int)
RETURNS TABLE(d int, units int, held int, booked int, overbooked int) LANGUAGE sql AS
$$ SELECT night - current_date, units, held, booked, overbooked FROM booking.inventory
    WHERE property_id = p AND room_type = rt
      AND night >= current_date + first AND night < current_date + last
    ORDER BY night $$;
-- t.undate: a text with every calendar date written YYYYMMDD (as an
-- error quotes a line of the feed) put back as @D+n@, so that the expected
-- output does not depend on the day the suite runs
CREATE OR REPLACE FUNCTION t.undate(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m text;
    n int;
BEGIN
    FOR m IN SELECT DISTINCT x[1] FROM regexp_matches(s, '(?<![0-9])(2[0-9]{7})(?![0-9])', 'g') x LOOP
        BEGIN
            n := m::date - current_date;
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            CONTINUE;           -- not a date (a feed's 20270230): left as it is
        END;
        s := replace(s, m, format('@D%s%s@', CASE WHEN n >= 0 THEN '+' ELSE '' END, n));
    END LOOP;
    RETURN s;
END
$$;
-- t.ical_try: an import that fails, and what it left: the source's
-- channel_booking rows and the events written since `before`
CREATE OR REPLACE FUNCTION t.ical_try(p bigint, rt text, src text, ics text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    before bigint := (SELECT coalesce(max(event_id), 0) FROM booking.event);
BEGIN
    RETURN t.undate(t.try(format('SELECT * FROM booking.ical_import(%s, %L, %L, %L)', p, rt, src, ics)))
        || format(' [applied: %s rows, %s events]',
                  (SELECT count(*) FROM booking.channel_booking WHERE channel = src AND revision >= 0),
                  (SELECT count(*) FROM booking.event WHERE event_id > before));
END
$$;
\set ECHO all

-- Export ----------------------------------------------------------------
SELECT booking.add_property('Export Inn', 'Faro', 'UTC') AS e \gset
SELECT booking.add_room_type(:e, 'ST 1', 'Studio', 1, 2, 90);
-- nights D+0..D+4 and D+6..D+7 on sale: D+5 never opened
SELECT booking.open_inventory(:e, 'ST 1', current_date, current_date + 5);
SELECT booking.open_inventory(:e, 'ST 1', current_date + 6, current_date + 8);
-- D+1, D+2 sold; D+4 stop-sold; D+7 sold
SELECT (booking.apply_channel_booking('ical-x', 'E1', 1, 'new', :e, 'ST 1', current_date + 1,
                                      current_date + 3)).state;
SELECT booking.set_rules(:e, 'ST 1', current_date + 4, current_date + 5, stop_sell => true);
SELECT (booking.reserve_range(:e, 'ST 1', current_date + 7, current_date + 8)).state;
-- runs: [D+1, D+3) sold, [D+4, D+6) stop-sell then not on sale, [D+7, D+8) held;
-- D+0, D+3 and D+6 free.  The room type's space is written %20 in the UID.
SELECT * FROM t.ical_rel(booking.ical_export(:e, 'ST 1'));
-- CRLF only, no line over 75 octets
SELECT position(E'\n' IN replace(x, E'\r\n', '')) = 0 AS crlf_only,
       position(E'\r' IN replace(x, E'\r\n', '')) = 0 AS no_lone_cr,
       right(x, 15) = E'END:VCALENDAR\r\n' AS ends,
       (SELECT max(octet_length(l)) FROM regexp_split_to_table(x, E'\r\n') l) AS longest
  FROM booking.ical_export(:e, 'ST 1') x;
-- folding: a room type whose UID part is long.  "Suíte vista mar nº 12 ção"
-- (29 octets) escapes to 55 (í º ç ã are two octets, %XX each; a space is
-- %20), so its UID line, "UID:" + id + "-" + 55 + "-" + 8 + "@booking",
-- is over 80 octets: folded once, at 75 octets, its rest on a line that
-- starts with a space
SELECT booking.add_room_type(:e, 'Suíte vista mar nº 12 ção', 'Suite', 1, 2, 200);
SELECT booking.open_inventory(:e, 'Suíte vista mar nº 12 ção', current_date, current_date + 2);
SELECT (booking.apply_channel_booking('ical-x', 'E2', 1, 'new', :e, 'Suíte vista mar nº 12 ção',
                                      current_date, current_date + 1)).state;
SELECT (SELECT max(octet_length(l)) FROM regexp_split_to_table(x, E'\r\n') l) AS longest,
       (SELECT count(*) FROM regexp_split_to_table(x, E'\r\n') l WHERE l LIKE ' %') AS continuation_lines,
       (SELECT octet_length(l) FROM regexp_split_to_table(x, E'\r\n') l WHERE l LIKE 'UID:%') AS uid_first_line
  FROM booking.ical_export(:e, 'Suíte vista mar nº 12 ção') x;
-- unfolded, it is the UID: D+0..D+1 unavailable, D+1 free
SELECT * FROM t.ical_rel(replace(booking.ical_export(:e, 'Suíte vista mar nº 12 ção'), E'\r\n ', ''));
-- a room type with no nights from today on: an empty calendar
SELECT booking.add_room_type(:e, 'NONE', 'Nothing on sale', 1, 2, 50);
SELECT * FROM t.ical_rel(booking.ical_export(:e, 'NONE'));
-- unknown property or room type: BK005
SELECT t.try('SELECT booking.ical_export(-1, ''ST 1'')');
SELECT t.try(format('SELECT booking.ical_export(%s, %L)', :e, 'NOPE'));

-- Import: an Airbnb export -----------------------------------------------
SELECT booking.add_property('Harbour Inn', 'Faro', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 1, 2, 100);
SELECT booking.add_room_type(:p, 'TWN', 'Twin', 2, 2, 80);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 40);
SELECT booking.open_inventory(:p, 'TWN', current_date, current_date + 40);
\set airbnb `cat test/ical/airbnb.ics`
\set airbnb2 `cat test/ical/airbnb-changed.ics`
\set bcom `cat test/ical/bookingcom.ics`
-- the stay that ended (D-5..D-2) is history: unchanged, no reservation;
-- D+10..D+12 and D+16..D+20 created, one room each
SELECT * FROM t.imp(:p, 'DBL', 'ical-airbnb', t.ics(:'airbnb'));
SELECT * FROM t.stays('ical-airbnb');
-- booked: D+10, D+11, D+16..D+19
SELECT * FROM t.inv(:p, 'DBL', 9, 21);
SELECT count(*) AS problems FROM booking.check_invariants() WHERE property_id = :p;
-- the same file again: all unchanged, nothing written
SELECT max(event_id) AS ev0 FROM booking.event \gset
SELECT * FROM t.imp(:p, 'DBL', 'ical-airbnb', t.ics(:'airbnb'));
SELECT count(*) AS events_written FROM booking.event WHERE event_id > :ev0;
SELECT * FROM t.stays('ical-airbnb');
-- the changed file: the D+10 stay moved to D+11..D+14 (modified, revision
-- 2), a new block D+22..D+23 (created), the D+16 block gone (cancelled,
-- revision 2, reported after the file's rows); the history event's
-- absence cancels nothing
SELECT * FROM t.imp(:p, 'DBL', 'ical-airbnb', t.ics(:'airbnb2'));
SELECT * FROM t.stays('ical-airbnb');
-- booked: D+11..D+13, D+22
SELECT * FROM t.inv(:p, 'DBL', 9, 23);
-- the block reappearing: created again (revision 3 'new', a new reservation)
SELECT * FROM t.imp(:p, 'DBL', 'ical-airbnb', t.ics(:'airbnb'));
SELECT * FROM t.stays('ical-airbnb');
SELECT * FROM t.inv(:p, 'DBL', 9, 21);

-- Import: a Booking.com export (bare LF), overbooking -----------------------
-- D+10..D+13 on DBL, where Airbnb's D+10..D+12 holds the one unit:
-- D+10 and D+11 overbooked; D+25 created
SELECT * FROM t.imp(:p, 'DBL', 'ical-bcom', t.ics(:'bcom'));
SELECT * FROM t.inv(:p, 'DBL', 10, 13);
SELECT * FROM t.ical_inv(:p, 'DBL', 10, 13);
SELECT night - current_date AS d, problem FROM booking.check_invariants() WHERE property_id = :p;
SELECT count(*) AS overbooked_events FROM booking.event e JOIN booking.channel_booking cb
    ON cb.reservation_id = e.reservation_id
 WHERE e.kind = 'overbooked' AND cb.channel = 'ical-bcom';
-- the engine's own paths see no free unit there
SELECT t.try(format('SELECT booking.reserve_range(%s, %L, current_date + 10, current_date + 11)', :p, 'DBL'));
-- the same UIDs of source bcom into another room type: 22023, nothing applied
SELECT t.ical_try(:p, 'TWN', 'ical-bcom', t.ics(:'bcom'));
-- an empty calendar cancels every live UID of the source on the room type
SELECT * FROM t.imp(:p, 'DBL', 'ical-bcom', t.cal('BEGIN:VCALENDAR', 'VERSION:2.0', 'END:VCALENDAR'));
SELECT * FROM t.ical_inv(:p, 'DBL', 10, 13);
SELECT count(*) AS problems FROM booking.check_invariants() WHERE property_id = :p;

-- Round trip: export A, import into B, the same unavailable nights -------
SELECT booking.add_property('A', 'Faro', 'UTC') AS a \gset
SELECT booking.add_property('B', 'Faro', 'UTC') AS b \gset
SELECT booking.add_room_type(:a, 'DBL', 'Double', 2, 2, 100);
SELECT booking.add_room_type(:b, 'KING', 'King', 1, 2, 100);
SELECT booking.open_inventory(:a, 'DBL', current_date, current_date + 20);
SELECT booking.open_inventory(:b, 'KING', current_date, current_date + 20);
-- A: two units; D+2..D+5 full (two bookings), D+4..D+7 one more over D+6..D+7 full
-- with the fourth; D+12 full; D+19 (its last night) full
SELECT count(booking.apply_channel_booking('ical-x', ext, 1, 'new', :a, 'DBL', current_date + f, current_date + t))
  FROM (VALUES ('R1', 2, 6), ('R2', 2, 5), ('R3', 5, 8), ('R4', 6, 8), ('R5', 12, 13), ('R6', 12, 13),
               ('R7', 19, 20), ('R8', 19, 20)) v(ext, f, t);
-- A full on D+2..D+4 (R1, R2), D+5 (R1, R3), D+6..D+7 (R3, R4), D+12, D+19
SELECT string_agg((night - current_date)::text, ' ' ORDER BY night) AS a_full
  FROM booking.availability(:a, current_date, current_date + 20) WHERE available = 0;
SELECT * FROM t.imp(:b, 'KING', 'ical-from-a', booking.ical_export(:a, 'DBL'));
SELECT (SELECT array_agg(night ORDER BY night) FROM booking.availability(:a, current_date, current_date + 20)
         WHERE available = 0)
     = (SELECT array_agg(night ORDER BY night) FROM booking.availability(:b, current_date, current_date + 20)
         WHERE available = 0) AS same_nights;
-- and again: unchanged
SELECT * FROM t.imp(:b, 'KING', 'ical-from-a', booking.ical_export(:a, 'DBL'));

-- Time zones -------------------------------------------------------------
SELECT booking.add_property('Berlin Flat', 'Berlin', 'Europe/Berlin') AS g \gset
SELECT booking.add_room_type(:g, 'APT', 'Apartment', 3, 4, 120);
SELECT booking.open_inventory(:g, 'APT', current_date, current_date + 50);
-- New York 22:00 is Berlin 03:00 or 04:00 the next day: D+41; its end the
-- same local day, so check_out = D+42.  23:30Z is 00:30/01:30 in Berlin the
-- next day: D+44..D+45.  A floating 15:00 is the property's own: D+46..D+47.
-- A date-time end at 00:00 local ends the stay that day: D+47..D+48.
SELECT uid, action FROM booking.ical_import(:g, 'APT', 'ical-tz', t.cal(
    'BEGIN:VCALENDAR', 'VERSION:2.0',
    'BEGIN:VEVENT', 'UID:ny', 'DTSTART;TZID="America/New_York":@D+40@T220000',
    'DTEND;TZID=America/New_York:@D+41@T090000', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:utc', 'DTSTART:@D+43@T233000Z', 'DTEND:@D+44@T233000Z', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:floating', 'DTSTART:@D+46@T150000', 'DTEND:@D+47@T000000', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:date', 'DTSTART;VALUE=DATE:@D+47@', 'END:VEVENT',
    'END:VCALENDAR'));
SELECT * FROM t.stays('ical-tz');
-- A local time the clocks skip is still on the date written: where they
-- jump from 23:00 to 00:00 (Scoresbysund, the last Saturday of March), a
-- floating or property-zone 23:30 (under any name of the zone) arrives
-- that day.  (Through UTC and
-- back it came out as 00:30 the next day, and the night stayed on sale.)
-- A zone whose clocks show 23:30 that day (same offsets, its jump at
-- 02:00 the next morning) gives a real instant: 00:30 the next day here.
-- The next such day at least 10 days away is found in the zone data and
-- the stays are printed as days from it.
SELECT d AS skip_day, d - current_date AS skip_n
  FROM generate_series(current_date + 10, current_date + 800, interval '1 day') g, LATERAL (SELECT g::date AS d) x
 WHERE ((d + time '23:30') AT TIME ZONE 'America/Scoresbysund') AT TIME ZONE 'America/Scoresbysund' >= d + 1
 ORDER BY d LIMIT 1 \gset
SELECT booking.add_property('Ittoqqortoormiit Lodge', 'Scoresbysund', 'America/Scoresbysund') AS sc \gset
SELECT booking.add_room_type(:sc, 'HOME', 'Home', 4, 4, 100);
SELECT booking.open_inventory(:sc, 'HOME', :'skip_day'::date - 2, :'skip_day'::date + 4);
SELECT uid, action FROM booking.ical_import(:sc, 'HOME', 'ical-skip', t.cal(
    'BEGIN:VCALENDAR', 'VERSION:2.0',
    'BEGIN:VEVENT', 'UID:floating-2330', format('DTSTART:@D+%s@T233000', :skip_n),
    format('DTEND:@D+%s@T100000', :skip_n + 2), 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:tzid-2330', format('DTSTART;TZID=America/Scoresbysund:@D+%s@T233000', :skip_n),
    format('DTEND;TZID=America/Scoresbysund:@D+%s@T100000', :skip_n + 1), 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:alias-2330', format('DTSTART;TZID=posix/America/Scoresbysund:@D+%s@T233000', :skip_n),
    format('DTEND;TZID=posix/America/Scoresbysund:@D+%s@T100000', :skip_n + 1), 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:other-zone-2330',
    format('DTSTART;TZID="<-02>2<-01>,M3.5.0/2,M10.5.0/3":@D+%s@T233000', :skip_n),
    format('DTEND;TZID="<-02>2<-01>,M3.5.0/2,M10.5.0/3":@D+%s@T100000', :skip_n + 2), 'END:VEVENT',
    'END:VCALENDAR'));
SELECT cb.external_id, format('day %s..day %s', r.check_in - :'skip_day'::date, r.check_out - :'skip_day'::date) AS nights
  FROM booking.channel_booking cb JOIN booking.reservation r USING (reservation_id)
 WHERE cb.channel = 'ical-skip' ORDER BY 1;
SELECT night - :'skip_day'::date AS day, available FROM booking.availability(:sc, :'skip_day'::date - 1, :'skip_day'::date + 2)
 ORDER BY night;

-- Errors: each names its line, and nothing is applied ---------------------
-- 22P02: no VCALENDAR
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VEVENT', 'UID:a', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', '');
-- 22P02: a UID over 200 bytes (it becomes the booking's external_id), named by its line, not quoted
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:' || repeat('u', 201),
    'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT', 'END:VCALENDAR'));
-- 22P02: a component never ended (the VEVENT of line 3)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT',
    'UID:a', 'DTSTART;VALUE=DATE:@D+5@', 'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'VERSION:2.0'));
-- 22P02: END that does not match its BEGIN (line 5); a VALARM's END checked too (line 7)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;VALUE=DATE:@D+5@', 'END:VTODO', 'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;VALUE=DATE:@D+5@', 'BEGIN:VALARM', 'TRIGGER:-PT5M', 'END:VEVENT', 'END:VALARM', 'END:VCALENDAR'));
-- 22P02: a line with no ':' (line 4, a folded one: its physical line 4 starts it)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'SUMMARY;LANGUAGE=en', ' -GB Closed', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT', 'END:VCALENDAR'));
-- a quoted parameter value may hold ':' ';' ','; an unclosed quote: 22P02 (line 4)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'SUMMARY;ALTREP="cid:a;b,c:d:Closed', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT', 'END:VCALENDAR'));
-- 22P02: bad dates (line 4)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;VALUE=DATE:20270230', 'END:VEVENT', 'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART:@D+5@T250000Z', 'END:VEVENT', 'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;VALUE=DATE:@D+5@T100000', 'END:VEVENT', 'END:VCALENDAR'));
-- 22P02: a VEVENT without UID or DTSTART (line 6: its BEGIN, after a good one)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:ok',
    'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT',
    'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:ok',
    'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT', 'BEGIN:VEVENT', 'UID:b', 'END:VEVENT', 'END:VCALENDAR'));
-- 22P02: DTEND not after DTSTART (line 5)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;VALUE=DATE:@D+5@', 'DTEND;VALUE=DATE:@D+5@', 'END:VEVENT', 'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART:@D+5@T100000Z', 'DTEND:@D+5@T095959Z', 'END:VEVENT', 'END:VCALENDAR'));
-- 22P02: a TZID that is no known zone (line 4)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;TZID=Europe/Atlantis:@D+5@T100000', 'END:VEVENT', 'END:VCALENDAR'));
-- 22P02: one UID twice (the second, line 6)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR',
    'BEGIN:VEVENT', 'UID:a', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:a', 'DTSTART;VALUE=DATE:@D+7@', 'END:VEVENT', 'END:VCALENDAR'));
-- 0A000: RRULE and RDATE, naming the line and the UID
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR',
    'BEGIN:VEVENT', 'UID:ok', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:weekly', 'DTSTART;VALUE=DATE:@D+7@', 'RRULE:FREQ=WEEKLY;COUNT=4', 'END:VEVENT',
    'END:VCALENDAR'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR',
    'BEGIN:VEVENT', 'UID:twice', 'DTSTART;VALUE=DATE:@D+7@', 'RDATE;VALUE=DATE:@D+9@', 'END:VEVENT',
    'END:VCALENDAR'));
-- 54000: more events than booking.ical_max_events (the third begins on line 22:
-- the two before it take 8 and 9 physical lines, folds included)
SET booking.ical_max_events = 2;
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.ics(:'airbnb'));
SET booking.ical_max_events = 3;
SELECT count(*) AS imported FROM booking.ical_import(:p, 'TWN', 'ical-err-max', t.ics(:'airbnb'));
RESET booking.ical_max_events;
-- 22023: the source's name
SELECT t.ical_try(:p, 'TWN', repeat('s', 65), t.ics(:'bcom'));
SELECT t.ical_try(:p, 'TWN', '', t.ics(:'bcom'));
-- BK005: unknown property or room type; a night never opened for sale
-- (D+40, the first night after Harbour Inn's D+0..D+39, in an event after
-- a good one that was created first)
SELECT t.ical_try(-1, 'TWN', 'ical-err', t.ics(:'bcom'));
SELECT t.ical_try(:p, 'NOPE', 'ical-err', t.ics(:'bcom'));
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR',
    'BEGIN:VEVENT', 'UID:ok', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:far', 'DTSTART;VALUE=DATE:@D+39@', 'DTEND;VALUE=DATE:@D+45@', 'END:VEVENT',
    'END:VCALENDAR'));
-- 0A000: a DURATION of hours; whole days are read (P2D: D+5..D+7)
SELECT t.ical_try(:p, 'TWN', 'ical-err', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART:@D+5@T100000Z', 'DURATION:PT4H', 'END:VEVENT', 'END:VCALENDAR'));
SELECT * FROM t.imp(:p, 'TWN', 'ical-dur', t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a',
    'DTSTART;VALUE=DATE:@D+5@', 'DURATION:P2D', 'END:VEVENT', 'END:VCALENDAR'));
SELECT * FROM t.stays('ical-dur');
-- nothing of source err was ever applied
SELECT count(*) AS err_rows FROM booking.channel_booking WHERE channel = 'ical-err';

-- A Google Calendar export, in a SQL_ASCII database -------------------------
-- Its SUMMARY is folded between the two octets of "ü": such a file is not
-- UTF-8 until unfolded, so a UTF-8 database cannot even hold it as text;
-- a SQL_ASCII one can, and the reader unfolds by octets, then checks UTF-8.
\set regdb :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS booking_ical_ascii;
CREATE DATABASE booking_ical_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c booking_ical_ascii
\set ECHO none
\i test/sql/setup.psql
\i test/ical/helpers.psql
\set ECHO all
\set google `cat test/ical/google.ics`
SELECT booking.add_property('Ferienwohnung', 'Garmisch', 'Europe/Berlin') AS g \gset
SELECT booking.add_room_type(:g, 'FW', 'Ferienwohnung', 1, 4, 120);
SELECT booking.open_inventory(:g, 'FW', current_date, current_date + 40);
-- 15:00 to 11:00 Berlin: D+30..D+32; 23:30Z is the next day in Berlin:
-- D+35..D+36; floating 15:00 to 10:00: D+37..D+38
SELECT uid, action FROM booking.ical_import(:g, 'FW', 'ical-google', t.ics(:'google'));
SELECT external_id, format('D+%s..D+%s', r.check_in - current_date, r.check_out - current_date) AS nights
  FROM booking.channel_booking cb JOIN booking.reservation r USING (reservation_id) ORDER BY 1;
-- an octet that is not UTF-8 (line 3): 22P02
SELECT t.try(format('SELECT * FROM booking.ical_import(%s, %L, %L, %L)', :g, 'FW', 'ical-bad',
    t.cal('BEGIN:VCALENDAR', 'BEGIN:VEVENT', E'UID:caf\xe9', 'DTSTART;VALUE=DATE:@D+5@', 'END:VEVENT',
          'END:VCALENDAR')));
SELECT count(*) AS bad_rows FROM booking.channel_booking WHERE channel = 'ical-bad';
\c :regdb
SET client_min_messages = warning;
DROP DATABASE booking_ical_ascii;
RESET client_min_messages;

/*-------------------------------------------------------------------------
 * ical_parse.c
 *    An RFC 5545 (iCalendar) reader for ical_import (ical.c): content
 *    lines, folding, components, parameters, TEXT escapes and the
 *    DTSTART/DTEND/DURATION values of VEVENTs, turned into stays of one
 *    property: [check_in, check_out) in the property's local dates.
 *
 * Not libical: every error here must name the physical line it is on,
 * allocate in the caller's memory context and leave by ereport (libical
 * reports errors as properties inserted into the tree, mallocs, and has
 * no line numbers), and its time zones must be PostgreSQL's own tz
 * database, the one the property's time_zone is read with.
 *
 * The reader works on octets:
 *  - physical lines end in CRLF or a bare LF; a line starting with SPACE
 *    or HTAB continues the one before (unfolding drops the CRLF and that
 *    one character, octet by octet: a fold may split a UTF-8 character),
 *    and the logical line is checked to be UTF-8 only once unfolded;
 *  - a content line is  name *(";" param) ":" value,  a param
 *    name "=" value *("," value) where a value may be DQUOTE-quoted (and
 *    then may hold ':', ';' and ','); names are case-insensitive;
 *  - BEGIN/END nest; VEVENTs directly inside the VCALENDAR are read, any
 *    other component (VTIMEZONE, VALARM, VTODO, ...) is skipped but its
 *    END must still match;
 *  - DTSTART/DTEND are a DATE (VALUE=DATE, YYYYMMDD), a UTC DATE-TIME
 *    (...Z), a DATE-TIME in a TZID (an Olson name, pg_tzset) or a
 *    floating DATE-TIME (the property's local time); a DATE-TIME falls on
 *    the property's local date.  No DTEND: DTSTART + DURATION (whole days
 *    or weeks only), else one day after a DATE (RFC 5545 3.6.1), else the
 *    start itself.  check_out = the local date of the end, and at least
 *    check_in + 1.
 *
 * Malformed input is 22P02 naming the physical line where the offending
 * logical line starts; RRULE/RDATE is 0A000 naming the line and the UID;
 * more VEVENTs than booking.ical_max_events is 54000, raised as soon as
 * one too many begins (nothing is built past the limit).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/datetime.h"

#include "booking.h"

/* Deepest nesting of components accepted */
#define ICAL_MAX_DEPTH	32

/* One logical (unfolded) content line */
typedef struct IcalLine
{
	int			lineno;			/* physical line it starts on */
	char	   *text;			/* unfolded, NUL-terminated */
	int			len;
} IcalLine;

/* A parsed content line */
typedef struct IcalProp
{
	char	   *name;			/* upper-cased */
	char	   *value_param;	/* VALUE=..., upper-cased, or NULL */
	char	   *tzid;			/* TZID=..., or NULL */
	char	   *value;			/* raw value */
} IcalProp;

/* A DTSTART or DTEND as read */
typedef struct IcalTime
{
	bool		present;
	bool		is_date;
	int			lineno;
	DateADT		local_date;		/* in the property's zone */
	Timestamp	utc;			/* DATE-TIME: the instant */
} IcalTime;

/* The VEVENT being read */
typedef struct IcalEventDraft
{
	int			lineno;			/* of its BEGIN */
	char	   *uid;
	IcalTime	start;
	IcalTime	end;
	char	   *duration;
	int			duration_line;
	int			rrule_line;		/* 0: none */
	const char *rrule_name;
	bool		cancelled;
	char	   *summary;
} IcalEventDraft;

/*
 * bad_line raises 22P02 for the logical line starting on physical line
 * `lineno`.
 */
static void
pg_attribute_noreturn()
bad_line(int lineno, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid iCalendar data at line %d", lineno),
			 errdetail("Line %d: %s.", lineno, what),
			 errhint("The calendar was not applied; fix the file and import it again.")));
}

/*
 * next_line reads the next logical line from *pos into *line, unfolding
 * continuation lines octet by octet.  Returns false at the end of the
 * input.  *physical counts physical lines.
 */
static bool
next_line(const char *ics, int len, int *pos, int *physical, IcalLine *line)
{
	StringInfoData buf;

	for (;;)
	{
		int			start;
		int			end;

		if (*pos >= len)
			return false;
		start = *pos;
		end = start;
		while (end < len && ics[end] != '\n')
		{
			if (ics[end] == '\0')
				bad_line(*physical + 1, "the data holds a NUL byte");
			end++;
		}
		*pos = end < len ? end + 1 : end;
		(*physical)++;
		if (end > start && ics[end - 1] == '\r')
			end--;
		if (end == start)
			continue;			/* an empty line: nothing to read */
		if (ics[start] == ' ' || ics[start] == '\t')
			bad_line(*physical, "a continuation line with no line before it");

		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, ics + start, end - start);
		line->lineno = *physical;
		/* continuation lines: the next physical lines starting with SPACE/HTAB */
		while (*pos < len && (ics[*pos] == ' ' || ics[*pos] == '\t'))
		{
			int			cs = *pos + 1;
			int			ce = cs;

			while (ce < len && ics[ce] != '\n')
			{
				if (ics[ce] == '\0')
					bad_line(*physical + 1, "the data holds a NUL byte");
				ce++;
			}
			*pos = ce < len ? ce + 1 : ce;
			(*physical)++;
			if (ce > cs && ics[ce - 1] == '\r')
				ce--;
			appendBinaryStringInfo(&buf, ics + cs, ce - cs);
		}
		if (!pg_verify_mbstr(PG_UTF8, buf.data, buf.len, true))
			bad_line(line->lineno, "the line is not valid UTF-8");
		line->text = buf.data;
		line->len = buf.len;
		return true;
	}
}

/* is_name_char: ALPHA / DIGIT / "-" (RFC 5545 iana-token, x-name) */
static bool
is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '-';
}

/* upper_copy copies n octets upper-cased (ASCII) */
static char *
upper_copy(const char *s, int n)
{
	char	   *r = palloc(n + 1);

	for (int i = 0; i < n; i++)
		r[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 'a' + 'A' : s[i];
	r[n] = '\0';
	return r;
}

/*
 * parse_prop splits a content line per  name *(";" param) ":" value.
 * Only the VALUE and TZID parameters are kept (their first value).
 */
static void
parse_prop(const IcalLine *line, IcalProp *prop)
{
	const char *s = line->text;
	int			i = 0;

	while (i < line->len && is_name_char(s[i]))
		i++;
	if (i == 0)
		bad_line(line->lineno, "a content line must start with a property name");
	prop->name = upper_copy(s, i);
	prop->value_param = NULL;
	prop->tzid = NULL;
	while (i < line->len && s[i] == ';')
	{
		int			ns = ++i;
		char	   *pname;
		bool		first = true;

		while (i < line->len && is_name_char(s[i]))
			i++;
		if (i == ns || i >= line->len || s[i] != '=')
			bad_line(line->lineno, "a parameter must be name=value");
		pname = upper_copy(s + ns, i - ns);
		do
		{
			int			vs;
			char	   *pvalue;

			i++;				/* past '=' or ',' */
			if (i < line->len && s[i] == '"')
			{
				vs = ++i;
				while (i < line->len && s[i] != '"')
					i++;
				if (i >= line->len)
					bad_line(line->lineno, "a quoted parameter value has no closing quote");
				pvalue = pnstrdup(s + vs, i - vs);
				i++;
			}
			else
			{
				vs = i;
				while (i < line->len && s[i] != '"' && s[i] != ';' && s[i] != ':' && s[i] != ',')
					i++;
				if (i < line->len && s[i] == '"')
					bad_line(line->lineno, "a quote inside an unquoted parameter value");
				pvalue = pnstrdup(s + vs, i - vs);
			}
			if (first && strcmp(pname, "VALUE") == 0)
				prop->value_param = upper_copy(pvalue, strlen(pvalue));
			else if (first && strcmp(pname, "TZID") == 0)
				prop->tzid = pvalue;
			first = false;
		} while (i < line->len && s[i] == ',');
	}
	if (i >= line->len || s[i] != ':')
		bad_line(line->lineno, "a content line must be name, parameters, ':' and a value");
	prop->value = pstrdup(s + i + 1);
}

/*
 * unescape_text undoes RFC 5545 TEXT escapes: \\ \; \, \n \N.  Any other
 * backslash is kept as it is.
 */
static char *
unescape_text(const char *v)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const char *p = v; *p; p++)
	{
		if (*p == '\\' && p[1] != '\0')
		{
			char		c = p[1];

			if (c == 'n' || c == 'N')
				appendStringInfoChar(&buf, '\n');
			else if (c == '\\' || c == ';' || c == ',')
				appendStringInfoChar(&buf, c);
			else
			{
				appendStringInfoChar(&buf, '\\');
				continue;
			}
			p++;
		}
		else
			appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/* digits reads n decimal digits at s, -1 when one is not a digit */
static int
digits(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * shows_written says whether zone `tz` shows the wall-clock time
 * `written` at the instant it is read as with `offset`: false where its
 * clocks skip that time.
 */
static bool
shows_written(pg_tz *tz, const struct pg_tm *written, int offset)
{
	struct pg_tm tm = *written;
	struct pg_tm shown;
	Timestamp	instant;
	fsec_t		fsec;
	int			shown_offset;

	if (tm2timestamp(&tm, 0, &offset, &instant) != 0 ||
		timestamp2tm(instant, &shown_offset, &shown, &fsec, NULL, tz) != 0)
		return false;
	return shown.tm_year == written->tm_year && shown.tm_mon == written->tm_mon &&
		shown.tm_mday == written->tm_mday && shown.tm_hour == written->tm_hour &&
		shown.tm_min == written->tm_min && shown.tm_sec == written->tm_sec;
}

/*
 * same_clocks_around says whether zones `a` and `b` read the wall-clock
 * time `written`, and the same time a day before and a day after, with
 * the same offsets, and skip it alike: one zone under two names
 * (America/Godthab and America/Nuuk are one file each), or zones whose
 * clocks agree then.  A time written in the one is then on the same date
 * in the other.  (Where `b` skips the time and `a` shows it, the instant
 * is a real one of `a`, whose date in `b` is the next.)
 */
static bool
same_clocks_around(pg_tz *a, pg_tz *b, const struct pg_tm *written)
{
	for (int shift = -1; shift <= 1; shift++)
	{
		struct pg_tm in_a = *written;
		struct pg_tm in_b;
		int			offset;

		j2date(date2j(written->tm_year, written->tm_mon, written->tm_mday) + shift,
			   &in_a.tm_year, &in_a.tm_mon, &in_a.tm_mday);
		in_b = in_a;
		offset = DetermineTimeZoneOffset(&in_a, a);
		if (offset != DetermineTimeZoneOffset(&in_b, b))
			return false;
		if (shift == 0 && shows_written(a, written, offset) != shows_written(b, written, offset))
			return false;
	}
	return true;
}

/*
 * read_time reads a DTSTART or DTEND value into *t, in the property's zone
 * `zone`.
 */
static void
read_time(const IcalProp *prop, int lineno, pg_tz *zone, IcalTime *t)
{
	const char *v = prop->value;
	size_t		n = strlen(v);
	int			y,
				m,
				d;
	struct pg_tm tm;
	int			tz;
	fsec_t		fsec;
	Timestamp	ts;
	pg_tz	   *from;
	bool		own_clock;

	t->present = true;
	t->lineno = lineno;
	if (prop->value_param && strcmp(prop->value_param, "DATE") != 0 &&
		strcmp(prop->value_param, "DATE-TIME") != 0)
		bad_line(lineno, psprintf("%s must be a DATE or a DATE-TIME", prop->name));
	if (n < 8 || (y = digits(v, 4)) < 0 || (m = digits(v + 4, 2)) < 0 || (d = digits(v + 6, 2)) < 0 ||
		y < 1 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		bad_line(lineno, psprintf("%s is not a valid date: \"%s\"", prop->name, v));
	if (n == 8 && (prop->value_param == NULL || strcmp(prop->value_param, "DATE") == 0))
	{
		t->is_date = true;
		t->local_date = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
		return;
	}
	if (prop->value_param && strcmp(prop->value_param, "DATE") == 0)
		bad_line(lineno, psprintf("%s;VALUE=DATE must be YYYYMMDD: \"%s\"", prop->name, v));
	memset(&tm, 0, sizeof(tm));
	if ((n != 15 && n != 16) || v[8] != 'T' ||
		(tm.tm_hour = digits(v + 9, 2)) < 0 || (tm.tm_min = digits(v + 11, 2)) < 0 ||
		(tm.tm_sec = digits(v + 13, 2)) < 0 || tm.tm_hour > 23 || tm.tm_min > 59 ||
		tm.tm_sec > 60 || (n == 16 && v[15] != 'Z'))
		bad_line(lineno, psprintf("%s is not a valid DATE-TIME: \"%s\"", prop->name, v));
	if (tm.tm_sec == 60)
		tm.tm_sec = 59;			/* a leap second: the same night */
	tm.tm_year = y;
	tm.tm_mon = m;
	tm.tm_mday = d;
	t->is_date = false;
	if (n == 16)
	{
		if (prop->tzid)
			bad_line(lineno, psprintf("%s is UTC (Z) and has a TZID", prop->name));
		from = NULL;
	}
	else if (prop->tzid)
	{
		/* a TZID may be written with a leading '/' (RFC 5545 3.2.19) */
		const char *name = prop->tzid[0] == '/' ? prop->tzid + 1 : prop->tzid;

		from = strlen(name) > 0 && strlen(name) < TZ_STRLEN_MAX ? pg_tzset(name) : NULL;
		if (from == NULL)
			bad_line(lineno, psprintf("TZID \"%s\" is not a known time zone", prop->tzid));
	}
	else
		from = zone;			/* floating: the property's local time */
	own_clock = from == zone || (from != NULL && same_clocks_around(from, zone, &tm));
	tz = from ? DetermineTimeZoneOffset(&tm, from) : 0;
	if (tm2timestamp(&tm, 0, &tz, &ts) != 0)
		bad_line(lineno, psprintf("%s is out of range: \"%s\"", prop->name, v));
	t->utc = ts;
	if (own_clock)
	{
		/*
		 * The property's own local time (floating, its zone's TZID under
		 * any of its names, or a zone whose clocks agree with it then): the
		 * date is the one written.  Through UTC and back, a time the clocks
		 * skipped (23:30 on a day they jump from 23:00 to 00:00) would come
		 * back an hour later, on the next date.
		 */
		t->local_date = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
		return;
	}
	if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, zone) != 0)
		bad_line(lineno, psprintf("%s is out of range: \"%s\"", prop->name, v));
	t->local_date = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}

/*
 * duration_days reads a DURATION of whole days or weeks (P3D, P1W, +P2D);
 * anything else is 0A000.
 */
static int
duration_days(const char *v, int lineno)
{
	const char *p = v;
	int64		n = 0;
	int			nd = 0;

	if (*p == '+')
		p++;
	if (*p == 'P')
	{
		p++;
		while (*p >= '0' && *p <= '9' && nd < 6)
		{
			n = n * 10 + (*p++ - '0');
			nd++;
		}
		if (nd > 0 && (p[0] == 'D' || p[0] == 'W') && p[1] == '\0')
			return (int) (p[0] == 'W' ? n * 7 : n);
	}
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("DURATION \"%s\" at line %d is not supported", v, lineno),
			 errdetail("Line %d: only whole days or weeks (P3D, P1W) are read.", lineno),
			 errhint("Give the event a DTEND instead.")));
	return 0;					/* not reached */
}

/*
 * finish_event checks the VEVENT just ended and turns it into a stay.
 */
static void
finish_event(IcalEventDraft *ev, int end_line, BkIcalEvent *out)
{
	DateADT		check_out;

	if (ev->uid == NULL || ev->uid[0] == '\0')
		bad_line(ev->lineno, "the VEVENT has no UID");
	if (!ev->start.present)
		bad_line(ev->lineno, psprintf("VEVENT \"%s\" has no DTSTART", ev->uid));
	if (ev->rrule_line)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("recurring events are not supported"),
				 errdetail("Line %d: VEVENT \"%s\" has %s.", ev->rrule_line, ev->uid,
						   ev->rrule_name),
				 errhint("Export the calendar with each occurrence as an event of its own; nothing was applied.")));
	if (ev->end.present)
	{
		if (ev->end.is_date != ev->start.is_date)
			bad_line(ev->end.lineno, "DTEND must have the value type of DTSTART");
		if (ev->start.is_date ? ev->end.local_date <= ev->start.local_date
			: ev->end.utc <= ev->start.utc)
			bad_line(ev->end.lineno, psprintf("DTEND of VEVENT \"%s\" is not after its DTSTART",
											  ev->uid));
		check_out = ev->end.local_date;
	}
	else if (ev->duration)
	{
		int			days = duration_days(ev->duration, ev->duration_line);

		if (days <= 0)
			bad_line(ev->duration_line, "DURATION must be positive");
		check_out = ev->start.local_date + days;
	}
	else if (ev->start.is_date)
		check_out = ev->start.local_date + 1;
	else
		check_out = ev->start.local_date;
	out->uid = ev->uid;
	out->summary = ev->summary;
	out->lineno = ev->lineno;
	out->cancelled = ev->cancelled;
	out->check_in = ev->start.local_date;
	out->check_out = Max(check_out, ev->start.local_date + 1);
	(void) end_line;
}

/*
 * bk_ical_parse reads the calendar `ics` (len octets) for a property in
 * zone `time_zone` and returns its VEVENTs (STATUS:CANCELLED ones too,
 * marked) in file order; *n says how many.  At most max_events VEVENTs
 * (54000 beyond).
 */
BkIcalEvent *
bk_ical_parse(const char *ics, int len, const char *time_zone, int max_events, int *n)
{
	pg_tz	   *zone = pg_tzset(time_zone);
	int			pos = 0;
	int			physical = 0;
	IcalLine	line;
	const char *stack[ICAL_MAX_DEPTH];
	int			stack_line[ICAL_MAX_DEPTH];
	int			depth = 0;
	bool		seen_calendar = false;
	bool		in_event = false;
	IcalEventDraft ev;
	int			nevents = 0;
	int			cap = 16;
	BkIcalEvent *events = palloc(sizeof(BkIcalEvent) * cap);

	if (zone == NULL)
		elog(ERROR, "booking: time zone \"%s\" of the property is not known", time_zone);
	memset(&ev, 0, sizeof(ev));
	while (next_line(ics, len, &pos, &physical, &line))
	{
		IcalProp	prop;

		parse_prop(&line, &prop);
		if (strcmp(prop.name, "BEGIN") == 0)
		{
			char	   *comp = upper_copy(prop.value, strlen(prop.value));

			if (comp[0] == '\0')
				bad_line(line.lineno, "BEGIN names no component");
			if (depth == 0)
			{
				if (seen_calendar)
					bad_line(line.lineno, "content after END:VCALENDAR");
				if (strcmp(comp, "VCALENDAR") != 0)
					bad_line(line.lineno, "the data must start with BEGIN:VCALENDAR");
				seen_calendar = true;
			}
			else if (strcmp(comp, "VCALENDAR") == 0)
				bad_line(line.lineno, "a VCALENDAR inside a component");
			if (depth == ICAL_MAX_DEPTH)
				bad_line(line.lineno, "components nest too deep");
			if (depth == 1 && strcmp(comp, "VEVENT") == 0)
			{
				if (nevents >= max_events)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("the calendar has more than %d events", max_events),
							 errdetail("Line %d begins event %d; booking.ical_max_events is %d.",
									   line.lineno, max_events + 1, max_events),
							 errhint("Raise booking.ical_max_events, or split the calendar; nothing was applied.")));
				memset(&ev, 0, sizeof(ev));
				ev.lineno = line.lineno;
				in_event = true;
			}
			stack[depth] = comp;
			stack_line[depth++] = line.lineno;
			continue;
		}
		if (depth == 0)
			bad_line(line.lineno, seen_calendar ? "content after END:VCALENDAR"
					 : "the data must start with BEGIN:VCALENDAR");
		if (strcmp(prop.name, "END") == 0)
		{
			char	   *comp = upper_copy(prop.value, strlen(prop.value));

			if (strcmp(comp, stack[depth - 1]) != 0)
				bad_line(line.lineno, psprintf("END:%s does not match BEGIN:%s of line %d",
											   prop.value, stack[depth - 1],
											   stack_line[depth - 1]));
			depth--;
			if (depth == 1 && in_event)
			{
				if (nevents == cap)
				{
					cap *= 2;
					events = repalloc(events, sizeof(BkIcalEvent) * cap);
				}
				finish_event(&ev, line.lineno, &events[nevents++]);
				in_event = false;
			}
			continue;
		}
		if (!in_event || depth != 2)
			continue;			/* the calendar's own properties, or a nested component's */
		if (strcmp(prop.name, "UID") == 0)
		{
			ev.uid = unescape_text(prop.value);
			/* a UID becomes a channel booking's external_id: 1 to 200 bytes */
			if (strlen(ev.uid) > BOOKING_MAX_REF_BYTES)
				bad_line(line.lineno, psprintf("the UID is %zu bytes long; the most it may be is %d bytes",
											   strlen(ev.uid), BOOKING_MAX_REF_BYTES));
		}
		else if (strcmp(prop.name, "DTSTART") == 0)
			read_time(&prop, line.lineno, zone, &ev.start);
		else if (strcmp(prop.name, "DTEND") == 0)
			read_time(&prop, line.lineno, zone, &ev.end);
		else if (strcmp(prop.name, "DURATION") == 0)
		{
			ev.duration = prop.value;
			ev.duration_line = line.lineno;
		}
		else if ((strcmp(prop.name, "RRULE") == 0 || strcmp(prop.name, "RDATE") == 0) &&
				 ev.rrule_line == 0)
		{
			ev.rrule_line = line.lineno;
			ev.rrule_name = strcmp(prop.name, "RRULE") == 0 ? "an RRULE" : "an RDATE";
		}
		else if (strcmp(prop.name, "STATUS") == 0)
			ev.cancelled = pg_strcasecmp(prop.value, "CANCELLED") == 0;
		else if (strcmp(prop.name, "SUMMARY") == 0)
			ev.summary = unescape_text(prop.value);
	}
	if (!seen_calendar)
		bad_line(Max(physical, 1), "no BEGIN:VCALENDAR");
	if (depth > 0)
		bad_line(stack_line[depth - 1], psprintf("BEGIN:%s is never ended", stack[depth - 1]));
	*n = nevents;
	return events;
}

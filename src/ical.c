/*-------------------------------------------------------------------------
 * ical.c
 *    booking.ical_export() and booking.ical_import(): a room type's
 *    unavailable nights as an RFC 5545 calendar, and a calendar from
 *    outside (Airbnb, Booking.com, Google) applied as one source's channel
 *    bookings through channel.c's core (bk_channel_apply).  The reader of
 *    the calendar is ical_parse.c.
 *
 * Export: one VEVENT per maximal run of unavailable nights from the
 * property's local today to the room type's last night on sale.  A night
 * is unavailable when it has no free unit (units - held - booked <= 0, as
 * availability() counts: an overbooked night is below zero), when the
 * room type's stay rules stop-sell it, or when it has no inventory row.
 *
 * Import: per VEVENT a stay [check_in, check_out) of one room; the UID is
 * the channel booking's external_id and the source its channel.  A new
 * UID makes revision 1 'new'; a known one with another stay its next
 * revision 'modified'; a live UID of this source bound to this room type
 * and missing from the file (or STATUS:CANCELLED) its next revision
 * 'cancelled'; a stay that ended (check_out <= the property's local
 * today) is history, left as it is.  Any error applies nothing: the
 * whole import is one statement.
 *
 * Locking.  One import applies many stays in one transaction, beside
 * reserve_range and other imports.  It takes its locks in the engine's
 * one global order and never waits for a row below one it holds:
 *   1. every channel_booking row involved (the file's UIDs, claimed as
 *      apply_channel_booking claims one, and the live UIDs bound to this
 *      room type), in external_id order: two imports of one source meet
 *      here first and one waits for the other before it holds anything
 *      else;
 *   2. the reservation rows of the bookings it modifies, cancels or
 *      makes again, in reservation_id order (reservation rows come before
 *      nights, docs/architecture.md);
 *   3. ALL the room type's nights over the union of every stay touched,
 *      old and new, in one ascending sweep (bk_nights_lock), as
 *      reserve_range locks its own stay's nights;
 *   4. only then the revisions, through bk_channel_apply: every row it
 *      locks is already this transaction's, so re-locking waits for
 *      nothing, and a new reservation row is inserted, never waited for.
 * reserve_range takes no channel_booking row and locks its nights in
 * ascending order after its reservation: whichever of the two gets the
 * lowest night they share first goes first, and the other waits holding
 * nothing the first needs.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_ical_export);
PG_FUNCTION_INFO_V1(booking_ical_import);

/* Longest physical line of the export, in octets, CRLF not counted */
#define ICAL_FOLD_OCTETS 75

static BookingPlan zone_plan = {
	"SELECT time_zone FROM booking.property WHERE property_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

static BookingPlan room_type_plan = {
	"SELECT 1 FROM booking.room_type"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}
};

/* The room type's nights from $3 on: units on public sale and stop-sell (ical_export needs 2.0) */
static BookingPlan export_nights_plan = {
	"SELECT i.night, " BK_FREE_2_0_SQL("i") ","
	"       COALESCE(s.stop_sell, false)"
	"  FROM booking.inventory i"
	"  LEFT JOIN booking.stay_rule s"
	"    ON s.property_id OPERATOR(pg_catalog.=) i.property_id"
	"   AND s.room_type OPERATOR(pg_catalog.=) i.room_type AND s.night OPERATOR(pg_catalog.=) i.night"
	" WHERE i.property_id OPERATOR(pg_catalog.=) $1 AND i.room_type OPERATOR(pg_catalog.=) $2"
	"   AND i.night OPERATOR(pg_catalog.>=) $3"
	" ORDER BY i.night",
	3, {INT8OID, TEXTOID, DATEOID}
};

/*
 * The source's channel bookings named in $2 or whose reservation is of
 * this room type, with their reservation, in external_id order.
 */
static BookingPlan state_plan = {
	"SELECT cb.external_id, cb.revision, cb.status, cb.reservation_id,"
	"       r.property_id, r.room_type, r.check_in, r.check_out, r.rooms,"
	"       r.state::text OPERATOR(pg_catalog.=) ANY ('{held,payment_pending,confirmed,checked_in}'::text[])"
	"  FROM booking.channel_booking cb"
	"  LEFT JOIN booking.reservation r ON r.reservation_id OPERATOR(pg_catalog.=) cb.reservation_id"
	" WHERE cb.channel OPERATOR(pg_catalog.=) $1"
	"   AND (cb.external_id OPERATOR(pg_catalog.=) ANY ($2)"
	"        OR (r.property_id OPERATOR(pg_catalog.=) $3 AND r.room_type OPERATOR(pg_catalog.=) $4))"
	" ORDER BY cb.external_id",
	4, {TEXTOID, TEXTARRAYOID, INT8OID, TEXTOID}
};

static BookingPlan claim_plan = {
	"INSERT INTO booking.channel_booking (channel, external_id, revision, status)"
	" VALUES ($1, $2, -1, '') ON CONFLICT (channel, external_id) DO NOTHING",
	2, {TEXTOID, TEXTOID}
};

static BookingPlan lock_plan = {
	"SELECT 1 FROM booking.channel_booking"
	" WHERE channel OPERATOR(pg_catalog.=) $1 AND external_id OPERATOR(pg_catalog.=) $2"
	" FOR UPDATE",
	2, {TEXTOID, TEXTOID}
};

/* What channel_booking and the reservation say of one UID */
typedef struct UidState
{
	char	   *uid;
	int64		revision;		/* -1: never applied */
	bool		cancelled;		/* its last revision cancelled it */
	int64		reservation_id; /* 0: none */
	bool		has_reservation;
	int64		property_id;
	char	   *room_type;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	bool		live;			/* the reservation holds its nights */
	bool		locked;
} UidState;

/* One revision the import applies, or one row it reports */
typedef struct ImportStep
{
	char	   *uid;
	const char *action;			/* created, modified, cancelled, unchanged */
	const char *status;			/* the revision's status; NULL: none applied */
	int64		revision;
	DateADT		check_in;
	DateADT		check_out;
	int64		reservation_id; /* 0: none */
	UidState   *state;			/* NULL: unknown UID */
} ImportStep;

/*
 * property_zone returns the property's time zone (BK005 when there is no
 * such property) after checking that it has the room type (BK005).
 * Inside SPI; the result is in `outer`.
 */
static char *
property_zone(int64 property_id, const char *room_type, MemoryContext outer)
{
	Datum		args[2];
	MemoryContext old;
	char	   *zone;

	args[0] = Int64GetDatum(property_id);
	bk_exec(&zone_plan, args, NULL, 1);
	if (SPI_processed == 0)
		bk_report_no_property(property_id);
	old = MemoryContextSwitchTo(outer);
	zone = TextDatumGetCString(bk_get_notnull(0, 1));
	MemoryContextSwitchTo(old);
	args[1] = CStringGetTextDatum(room_type);
	bk_exec(&room_type_plan, args, NULL, 1);
	if (SPI_processed == 0)
		bk_report_no_room_type(property_id, room_type);
	return zone;
}

/* ---------------------------------------------------------------------
 * Export
 * ---------------------------------------------------------------------
 */

/*
 * append_folded appends one content line, folded at 75 octets (a fold
 * never splits a UTF-8 character: continuation octets 10xxxxxx stay with
 * their lead) and ended by CRLF.
 */
static void
append_folded(StringInfo out, const char *line)
{
	int			len = strlen(line);
	int			pos = 0;
	int			room = ICAL_FOLD_OCTETS;

	while (len - pos > room)
	{
		int			cut = pos + room;

		while (cut > pos && (((unsigned char) line[cut]) & 0xC0) == 0x80)
			cut--;
		appendBinaryStringInfo(out, line + pos, cut - pos);
		appendStringInfoString(out, "\r\n ");
		pos = cut;
		room = ICAL_FOLD_OCTETS - 1;	/* the leading space counts */
	}
	appendStringInfoString(out, line + pos);
	appendStringInfoString(out, "\r\n");
}

/* ical_date formats a date as YYYYMMDD */
static char *
ical_date(DateADT d)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d%02d%02d", y, m, day);
}

/*
 * uid_safe writes a room type with every octet but ALPHA, DIGIT, '-' and
 * '_' as %XX, so that the UID is the same plain token in every calendar.
 */
static char *
uid_safe(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
			appendStringInfoChar(&buf, (char) *p);
		else
			appendStringInfo(&buf, "%%%02X", *p);
	}
	return buf.data;
}

/*
 * append_event appends the VEVENT of the unavailable nights [first, end).
 */
static void
append_event(StringInfo out, int64 property_id, const char *room_type, DateADT first,
			 DateADT end, const char *stamp)
{
	append_folded(out, "BEGIN:VEVENT");
	append_folded(out, psprintf("UID:%lld-%s-%s@booking", (long long) property_id,
								uid_safe(room_type), ical_date(first)));
	append_folded(out, psprintf("DTSTAMP:%s", stamp));
	append_folded(out, psprintf("DTSTART;VALUE=DATE:%s", ical_date(first)));
	append_folded(out, psprintf("DTEND;VALUE=DATE:%s", ical_date(end)));
	append_folded(out, "SUMMARY:Not available");
	append_folded(out, "END:VEVENT");
}

/*
 * booking_ical_export is ical_export(property_id, room_type).
 */
Datum
booking_ical_export(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	MemoryContext outer = CurrentMemoryContext;
	char	   *zone;
	DateADT		today;
	Datum		args[3];
	StringInfoData out;
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *stamp;
	DateADT		expected;
	DateADT		run_start = 0;
	bool		in_run = false;

	bk_require_arg(fcinfo, 0, "property_id");
	property_id = PG_GETARG_INT64(0);
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, false);

	if (timestamp2tm(GetCurrentTransactionStartTimestamp(), NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "booking: the time is out of range");
	stamp = psprintf("%04d%02d%02dT%02d%02d%02dZ", tm.tm_year, tm.tm_mon, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec);
	initStringInfo(&out);
	append_folded(&out, "BEGIN:VCALENDAR");
	append_folded(&out, "VERSION:2.0");
	append_folded(&out, "PRODID:-//booking//PostgreSQL booking extension 2.0//EN");
	append_folded(&out, "CALSCALE:GREGORIAN");
	append_folded(&out, "METHOD:PUBLISH");

	bk_connect_read_only();
	zone = property_zone(property_id, room_type, outer);
	today = bk_local_today(zone);
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(today);
	bk_exec(&export_nights_plan, args, NULL, 0);
	expected = today;
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		DateADT		night = DatumGetDateADT(bk_get_notnull(row, 1));
		bool		unavailable = bk_get_int32(row, 2) <= 0 ||
			DatumGetBool(bk_get_notnull(row, 3));
		MemoryContext old = MemoryContextSwitchTo(outer);

		if (night > expected && !in_run)
		{
			/* nights with no inventory row: unavailable too */
			in_run = true;
			run_start = expected;
		}
		if (unavailable && !in_run)
		{
			in_run = true;
			run_start = night;
		}
		else if (!unavailable && in_run)
		{
			append_event(&out, property_id, room_type, run_start, night, stamp);
			in_run = false;
		}
		MemoryContextSwitchTo(old);
		expected = night + 1;
	}
	if (in_run)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		append_event(&out, property_id, room_type, run_start, expected, stamp);
		MemoryContextSwitchTo(old);
	}
	bk_finish();
	append_folded(&out, "END:VCALENDAR");
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/* ---------------------------------------------------------------------
 * Import
 * ---------------------------------------------------------------------
 */

/* compare_events orders events by UID, then line (for duplicates) */
static int
compare_events(const void *a, const void *b)
{
	const BkIcalEvent *x = *(BkIcalEvent *const *) a;
	const BkIcalEvent *y = *(BkIcalEvent *const *) b;
	int			c = strcmp(x->uid, y->uid);

	if (c != 0)
		return c;
	return x->lineno - y->lineno;
}

/* compare_strings orders C strings */
static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* compare_ids orders int64s */
static int
compare_ids(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * refuse_duplicate_uids raises 22P02 naming the later line of a UID that
 * is in the file twice.
 */
static void
refuse_duplicate_uids(BkIcalEvent *events, int n)
{
	BkIcalEvent **sorted = palloc(sizeof(BkIcalEvent *) * Max(n, 1));

	for (int i = 0; i < n; i++)
		sorted[i] = &events[i];
	qsort(sorted, n, sizeof(BkIcalEvent *), compare_events);
	for (int i = 1; i < n; i++)
		if (strcmp(sorted[i]->uid, sorted[i - 1]->uid) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid iCalendar data at line %d", sorted[i]->lineno),
					 errdetail("Line %d: UID \"%s\" is the UID of the VEVENT of line %d too.",
							   sorted[i]->lineno, sorted[i]->uid, sorted[i - 1]->lineno),
					 errhint("Each event of a calendar needs a UID of its own; nothing was applied.")));
}

/*
 * read_states reads the source's channel bookings named in `uids` or
 * bound to the room type, in external_id order.  Inside SPI; the result
 * is in `outer`.
 */
static UidState *
read_states(const char *source, Datum uids, int64 property_id, const char *room_type,
			MemoryContext outer, int *n)
{
	Datum		args[4];
	UidState   *states;
	MemoryContext old;

	args[0] = CStringGetTextDatum(source);
	args[1] = uids;
	args[2] = Int64GetDatum(property_id);
	args[3] = CStringGetTextDatum(room_type);
	bk_exec(&state_plan, args, NULL, 0);
	old = MemoryContextSwitchTo(outer);
	*n = (int) SPI_processed;
	states = palloc0(sizeof(UidState) * Max(*n, 1));
	for (int row = 0; row < *n; row++)
	{
		UidState   *s = &states[row];
		bool		isnull;
		Datum		v;

		s->uid = TextDatumGetCString(bk_get_notnull(row, 1));
		s->revision = bk_get_int64(row, 2);
		s->cancelled = strcmp(TextDatumGetCString(bk_get_notnull(row, 3)), "cancelled") == 0;
		(void) bk_get(row, 4, &isnull);
		s->reservation_id = isnull ? 0 : bk_get_int64(row, 4);
		(void) bk_get(row, 5, &isnull);
		s->has_reservation = !isnull;
		if (s->has_reservation)
		{
			s->property_id = bk_get_int64(row, 5);
			s->room_type = TextDatumGetCString(bk_get_notnull(row, 6));
			s->check_in = DatumGetDateADT(bk_get_notnull(row, 7));
			s->check_out = DatumGetDateADT(bk_get_notnull(row, 8));
			s->rooms = bk_get_int32(row, 9);
			v = bk_get(row, 10, &isnull);
			s->live = !isnull && DatumGetBool(v);
		}
	}
	MemoryContextSwitchTo(old);
	return states;
}

/* find_state finds a UID's state, NULL when the source never had it */
static UidState *
find_state(UidState *states, int n, const char *uid)
{
	for (int lo = 0, hi = n - 1; lo <= hi;)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(uid, states[mid].uid);

		if (c == 0)
			return &states[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * lock_uids claims (when `claim`) and locks the channel_booking rows of
 * `uids`, sorted, in that order.  Inside SPI.
 */
static void
lock_uids(const char *source, char **uids, const bool *claim, int n)
{
	Datum		args[2];

	args[0] = CStringGetTextDatum(source);
	for (int i = 0; i < n; i++)
	{
		args[1] = CStringGetTextDatum(uids[i]);
		if (claim[i])
			bk_exec(&claim_plan, args, NULL, 0);
		bk_exec_locking(&lock_plan, args, NULL, 1,
						psprintf("channel booking \"%s\" of channel \"%s\"", uids[i], source));
	}
}

/*
 * booking_ical_import is ical_import(property_id, room_type, source, ics).
 */
Datum
booking_ical_import(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	char	   *source;
	text	   *ics;
	MemoryContext outer = CurrentMemoryContext;
	ReturnSetInfo *rsinfo;
	char	   *zone;
	DateADT		today;
	BkIcalEvent *events;
	int			nevents;
	Datum	   *uid_datums;
	Datum		uid_array;
	UidState   *states;
	int			nstates;
	char	  **lock_names;
	bool	   *lock_claim;
	int			nlock = 0;
	ImportStep *steps;
	int			nsteps = 0;
	int			nfile_steps;
	int64	   *res_ids;
	int			nres = 0;
	DateADT		first = 0;
	DateADT		end = 0;
	bool		any_nights = false;

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 2, "source");
	bk_require_arg(fcinfo, 3, "ics");
	property_id = PG_GETARG_INT64(0);
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, false);
	source = bk_text_arg(fcinfo, 2, "source", BOOKING_MAX_CHANNEL_BYTES, true, true);
	ics = PG_GETARG_TEXT_PP(3);
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	bk_connect();
	zone = property_zone(property_id, room_type, outer);
	bk_finish();
	today = bk_local_today(zone);

	events = bk_ical_parse(VARDATA_ANY(ics), VARSIZE_ANY_EXHDR(ics), zone,
						   booking_ical_max_events, &nevents);
	refuse_duplicate_uids(events, nevents);

	uid_datums = palloc(sizeof(Datum) * Max(nevents, 1));
	for (int i = 0; i < nevents; i++)
		uid_datums[i] = CStringGetTextDatum(events[i].uid);
	uid_array = PointerGetDatum(construct_array(uid_datums, nevents, TEXTOID, -1, false,
												TYPALIGN_INT));

	/* 1. the channel_booking rows involved, in external_id order */
	bk_connect();
	states = read_states(source, uid_array, property_id, room_type, outer, &nstates);
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		lock_names = palloc(sizeof(char *) * (nevents + nstates + 1));
		lock_claim = palloc(sizeof(bool) * (nevents + nstates + 1));
		MemoryContextSwitchTo(old);
	}
	for (int i = 0; i < nevents; i++)
		if (!events[i].cancelled && events[i].check_out > today)
			lock_names[nlock++] = events[i].uid;
	for (int i = 0; i < nstates; i++)
		if (states[i].live && states[i].property_id == property_id &&
			strcmp(states[i].room_type, room_type) == 0 &&
			find_state(states, nstates, states[i].uid) == &states[i])
		{
			bool		in_file = false;

			for (int j = 0; j < nevents && !in_file; j++)
				in_file = !events[j].cancelled && events[j].check_out > today &&
					strcmp(events[j].uid, states[i].uid) == 0;
			if (!in_file)
				lock_names[nlock++] = states[i].uid;
		}
	qsort(lock_names, nlock, sizeof(char *), compare_strings);
	for (int i = 0; i < nlock; i++)
	{
		bool		file_uid = false;

		for (int j = 0; j < nevents && !file_uid; j++)
			file_uid = strcmp(events[j].uid, lock_names[i]) == 0;
		lock_claim[i] = file_uid;
	}
	lock_uids(source, lock_names, lock_claim, nlock);
	/* what they say now that they are ours */
	states = read_states(source, uid_array, property_id, room_type, outer, &nstates);
	bk_finish();
	for (int i = 0; i < nlock; i++)
	{
		UidState   *s = find_state(states, nstates, lock_names[i]);

		if (s)
			s->locked = true;
	}

	/* what each event of the file does, in file order */
	steps = palloc0(sizeof(ImportStep) * (nevents + nstates + 1));
	for (int i = 0; i < nevents; i++)
	{
		BkIcalEvent *ev = &events[i];
		UidState   *s = find_state(states, nstates, ev->uid);
		ImportStep *step;

		if (ev->cancelled)
			continue;			/* as if absent */
		if (s && s->has_reservation &&
			(s->property_id != property_id || strcmp(s->room_type, room_type) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("UID \"%s\" of source \"%s\" is bound to room type \"%s\" of property %lld",
							ev->uid, source, s->room_type, (long long) s->property_id),
					 errdetail("Line %d: the event would move it to room type \"%s\" of property %lld; nothing was applied.",
							   ev->lineno, room_type, (long long) property_id),
					 errhint("Use one source name per calendar, e.g. \"%s-%lld-%s\".",
							 source, (long long) property_id, room_type)));
		step = &steps[nsteps++];
		step->uid = ev->uid;
		step->state = s && s->revision >= 0 ? s : NULL;
		step->check_in = ev->check_in;
		step->check_out = ev->check_out;
		step->reservation_id = s ? s->reservation_id : 0;
		/* history (a stay that ended), or the stay as it is */
		if (ev->check_out <= today ||
			(s && s->live && s->check_in == ev->check_in &&
			 s->check_out == ev->check_out && s->rooms == 1))
			step->action = "unchanged";
		else if (s && s->live && s->revision >= 0)
		{
			step->action = "modified";
			step->status = "modified";
			step->revision = s->revision + 1;
		}
		else
		{
			step->action = "created";
			step->status = "new";
			step->revision = s && s->revision >= 0 ? s->revision + 1 : 1;
		}
	}
	nfile_steps = nsteps;
	/* the live UIDs of this room type that the file no longer has */
	for (int i = 0; i < nstates; i++)
	{
		UidState   *s = &states[i];
		bool		in_file = false;

		if (!s->locked || !s->live || s->cancelled || s->revision < 0 ||
			s->property_id != property_id || strcmp(s->room_type, room_type) != 0 ||
			s->check_out <= today)
			continue;
		for (int j = 0; j < nfile_steps && !in_file; j++)
			in_file = strcmp(steps[j].uid, s->uid) == 0;
		if (in_file)
			continue;
		steps[nsteps].uid = s->uid;
		steps[nsteps].action = "cancelled";
		steps[nsteps].status = "cancelled";
		steps[nsteps].revision = s->revision + 1;
		steps[nsteps].check_in = s->check_in;
		steps[nsteps].check_out = s->check_out;
		steps[nsteps].reservation_id = s->reservation_id;
		steps[nsteps].state = s;
		nsteps++;
	}

	/* the stays touched, old and new, and the reservations changed */
	res_ids = palloc(sizeof(int64) * (nsteps + 1));
	for (int i = 0; i < nsteps; i++)
	{
		ImportStep *step = &steps[i];
		UidState   *s = step->state;

		if (step->status == NULL)
			continue;
		if (strcmp(step->status, "cancelled") != 0)
		{
			first = any_nights ? Min(first, step->check_in) : step->check_in;
			end = any_nights ? Max(end, step->check_out) : step->check_out;
			any_nights = true;
		}
		/*
		 * Every reservation a revision may lock, a cancelled one that is
		 * made again too (channel.c locks it to see that it holds nothing):
		 * once the nights are held, no reservation row may be waited for.
		 */
		if (s && s->has_reservation)
			res_ids[nres++] = s->reservation_id;
		if (s && s->live && s->has_reservation)
		{
			first = any_nights ? Min(first, s->check_in) : s->check_in;
			end = any_nights ? Max(end, s->check_out) : s->check_out;
			any_nights = true;
		}
	}

	/* 2. their reservation rows, in reservation_id order */
	if (nres > 0)
	{
		BkDirect	d;
		BkReservation r;

		qsort(res_ids, nres, sizeof(int64), compare_ids);
		bk_direct_begin(&d, true);
		for (int i = 0; i < nres; i++)
			bk_lock_reservation(&d, res_ids[i], NULL, &r);
		bk_direct_end(&d);
	}
	/* 3. every night of the room type over their union, ascending */
	if (any_nights)
	{
		BkDirect	d;
		BkNights	nights;

		bk_direct_begin(&d, true);
		bk_nights_lock(&d, property_id, CStringGetTextDatum(room_type), first, end, &nights);
		bk_direct_end(&d);
	}

	/* 4. the revisions, then the rows */
	for (int i = 0; i < nsteps; i++)
	{
		ImportStep *step = &steps[i];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (step->status)
		{
			BkChannelRevision rev;
			bool		isnull;
			bool		overbooked;
			int64		id;

			rev.channel = source;
			rev.external_id = step->uid;
			rev.revision = step->revision;
			rev.status = unconstify(char *, step->status);
			rev.stay.property_id = property_id;
			rev.stay.room_type = room_type;
			rev.stay.check_in = step->check_in;
			rev.stay.check_out = step->check_out;
			rev.stay.rooms = 1;
			rev.total_price = NULL;
			rev.guest_id = NULL;
			if (strcmp(step->status, "cancelled") != 0)
				bk_validate_stay(step->check_in, step->check_out);
			(void) bk_channel_apply(&rev, &isnull, &id, &overbooked);
			step->reservation_id = id;
			if (overbooked)
				step->action = "overbooked";
		}
		values[0] = CStringGetTextDatum(step->uid);
		values[1] = CStringGetTextDatum(step->action);
		values[2] = Int64GetDatum(step->reservation_id);
		nulls[2] = step->reservation_id == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * group.c
 *    booking.reserve_group() (2.0): hold N lines of mixed room types and
 *    dates at one property, all or nothing, under one idempotency key and
 *    one deadline; and what the group functions share: reading a group's
 *    lines and answering them as rows.
 *
 * Each line becomes a held reservation whose group_id is the group's
 * first line's reservation_id (lines get ids in line order, so the first
 * has the lowest).  It goes as reserve_range goes, for all lines at once:
 * everything that can be done before the row locks is done first (the
 * lines read and checked, each line's room type, today and stay rules,
 * the reservations, their night prices and their `reserved` events
 * written); then the nights of every line are locked together, run after
 * run in the one global (room_type, night) order (night_runs.c), and the
 * lines are counted in line order against them: lines that share a room
 * type and nights are counted together, and the first line that does not
 * fit is named in the BK001 (its number, from 1, and its room type).
 * Every error about one line names it so.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/nbtree.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "mb/pg_wchar.h"
#include "utils/datetime.h"
#include "utils/numeric.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_reserve_group);

/* The most lines a group may have */
#define BOOKING_MAX_GROUP_LINES 100

/* One line of a group, as asked for and as it is being made */
typedef struct GroupLine
{
	int			number;			/* from 1, as messages name it */
	BkStayRequest stay;
	Datum		room_type;		/* stay.room_type as text */
	int32		guests;			/* 0: not given */
	BkSaleTerms terms;			/* 2.0: its rate plan and children */
	BkPlan		plan;
	BkNights	priced;			/* its nights as read before the lock */
	BkStayPrice price;
	BkReservation r;
	ItemPointerData event_tid;
} GroupLine;

/*
 * rethrow_for_line re-raises the error being handled with the line named
 * at the head of its message: every refusal of a line says which it is.
 */
static void
rethrow_for_line(MemoryContext context, const GroupLine *line)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(context);
	edata = CopyErrorData();
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_BOOKING_BUSY ||
		edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		PG_RE_THROW();			/* about the call, not the line */
	FlushErrorState();
	if (line->stay.room_type)
		edata->message = psprintf("line %d (room type \"%s\"): %s", line->number,
								  line->stay.room_type, edata->message);
	else
		edata->message = psprintf("line %d: %s", line->number, edata->message);
	ReThrowError(edata);
}

/*
 * line_error raises 22023 about one line while it is read (read_lines
 * names the line at the head of the message).
 */
static void
line_error(const GroupLine *line, const char *message, const char *detail)
	pg_attribute_noreturn();

static void
line_error(const GroupLine *line, const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("%s", detail),
			 errhint("A line is {\"room_type\": \"DBL\", \"check_in\": \"YYYY-MM-DD\", \"check_out\": \"YYYY-MM-DD\", \"rooms\": 1, \"guests\": 2}; rooms and guests may be left out.")));
}

/*
 * json_int reads a whole number from `min` to int32's largest (22023
 * otherwise).
 */
static int32
json_int(const GroupLine *line, const char *name, const JsonbValue *v, int32 min)
{
	Datum		n;

	if (v->type != jbvNumeric)
		line_error(line, psprintf("%s must be a number", name),
				   psprintf("Line %d's %s is not a JSON number.", line->number, name));
	n = NumericGetDatum(v->val.numeric);
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, n,
										  DirectFunctionCall2(numeric_trunc, n, Int32GetDatum(0)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_lt, n, DirectFunctionCall1(int4_numeric, Int32GetDatum(min)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_gt, n, DirectFunctionCall1(int4_numeric, Int32GetDatum(PG_INT32_MAX)))))
		line_error(line, psprintf("%s must be a whole number of at least %d", name, min),
				   psprintf("Line %d's %s is %s.", line->number, name,
							DatumGetCString(DirectFunctionCall1(numeric_out, n))));
	return DatumGetInt32(DirectFunctionCall1(numeric_int4, n));
}

/*
 * json_text_value reads a JSON string of at most max_bytes (22023
 * otherwise).
 */
static char *
json_text_value(const GroupLine *line, const char *name, const JsonbValue *v, int max_bytes)
{
	if (v->type != jbvString)
		line_error(line, psprintf("%s must be a string", name),
				   psprintf("Line %d's %s is not a JSON string.", line->number, name));
	bk_check_text_length(v->val.string.len, name, max_bytes);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * json_date reads a date written YYYY-MM-DD, and nothing else: not
 * 'today', not a date whose meaning depends on the session's DateStyle,
 * so that a retried call means the same nights (22023 otherwise).
 */
static DateADT
json_date(const GroupLine *line, const char *name, const JsonbValue *v)
{
	char	   *text = json_text_value(line, name, v, 10);
	bool		iso = strlen(text) == 10;
	int			year = 0;
	int			month = 0;
	int			day = 0;

	for (int i = 0; iso && i < 10; i++)
		iso = (i == 4 || i == 7) ? text[i] == '-' : isdigit((unsigned char) text[i]);
	if (iso)
	{
		year = atoi(text);
		month = atoi(text + 5);
		day = atoi(text + 8);
		iso = year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
			day <= day_tab[isleap(year)][month - 1];
	}
	if (!iso)
		line_error(line, psprintf("%s must be a date written YYYY-MM-DD", name),
				   psprintf("Line %d's %s is \"%s\", not a day of the calendar written so.",
							line->number, name, text));
	return date2j(year, month, day) - POSTGRES_EPOCH_JDATE;
}

/*
 * read_line reads one line's object: room_type, check_in and check_out
 * (required), rooms (1 when left out) and guests (not checked when left
 * out); any other key is refused, so that a misspelt one is not ignored.
 */
static void
read_line(const JsonbValue *object, int64 property_id, GroupLine *line)
{
	JsonbIterator *it;
	JsonbIteratorToken token;
	JsonbValue	v;
	char	   *key = NULL;
	bool		has_in = false;
	bool		has_out = false;

	line->stay.property_id = property_id;
	line->stay.rooms = 1;
	if (object->type != jbvBinary || !JsonContainerIsObject(object->val.binary.data))
		line_error(line, "a line must be a JSON object",
				   psprintf("Line %d of lines is not an object.", line->number));
	/* the room type first, so that every error after names it */
	{
		JsonbValue	rt;

		if (getKeyJsonValueFromContainer(object->val.binary.data, "room_type", 9, &rt) &&
			rt.type == jbvString && rt.val.string.len <= BOOKING_MAX_CODE_BYTES)
			line->stay.room_type = pnstrdup(rt.val.string.val, rt.val.string.len);
	}
	it = JsonbIteratorInit(object->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (token != WJB_VALUE || key == NULL)
			continue;
		if (v.type == jbvNull && (strcmp(key, "rooms") == 0 || strcmp(key, "guests") == 0 ||
								  strcmp(key, "rate_plan") == 0 || strcmp(key, "children") == 0))
			continue;			/* as if left out */
		if (strcmp(key, "room_type") == 0)
			line->stay.room_type = json_text_value(line, "room_type", &v, BOOKING_MAX_CODE_BYTES);
		else if (strcmp(key, "check_in") == 0 || strcmp(key, "check_out") == 0)
		{
			DateADT		day = json_date(line, key, &v);

			if (key[6] == 'i')
			{
				line->stay.check_in = day;
				has_in = true;
			}
			else
			{
				line->stay.check_out = day;
				has_out = true;
			}
		}
		else if (strcmp(key, "rooms") == 0)
			line->stay.rooms = json_int(line, "rooms", &v, 1);
		else if (strcmp(key, "guests") == 0)
			line->guests = json_int(line, "guests", &v, 1);
		else if (strcmp(key, "rate_plan") == 0)
		{
			char	   *plan = json_text_value(line, "rate_plan", &v, BOOKING_MAX_CODE_BYTES);

			line->terms.rate_plan = strcmp(plan, BK_BASE_PLAN) == 0 ? NULL : plan;
		}
		else if (strcmp(key, "children") == 0)
			line->terms.children = json_int(line, "children", &v, 0);
		else
			line_error(line, psprintf("unknown key \"%.*s\"",
									  pg_mbcliplen(key, strlen(key), 40), key),
					   "A line has the keys room_type, check_in, check_out, rooms, guests, rate_plan and children.");
	}
	if (line->stay.room_type == NULL || !has_in || !has_out)
		line_error(line, "room_type, check_in and check_out are required",
				   psprintf("Line %d lacks %s.", line->number,
							line->stay.room_type == NULL ? "room_type" :
							!has_in ? "check_in" : "check_out"));
	bk_validate_stay(line->stay.check_in, line->stay.check_out);
	line->room_type = CStringGetTextDatum(line->stay.room_type);
}

/*
 * read_lines reads and checks the lines argument (22023), each error
 * naming its line.
 */
static GroupLine *
read_lines(Jsonb *json, int64 property_id, int *nlines)
{
	MemoryContext context = CurrentMemoryContext;
	GroupLine  *lines;
	int			n;

	bool		is_array = JB_ROOT_IS_ARRAY(json) && !JB_ROOT_IS_SCALAR(json);

	if (!is_array || JB_ROOT_COUNT(json) == 0 || JB_ROOT_COUNT(json) > BOOKING_MAX_GROUP_LINES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must be a JSON array of 1 to %d lines", BOOKING_MAX_GROUP_LINES),
				 is_array ? errdetail("The array given has %d elements.", (int) JB_ROOT_COUNT(json)) :
				 errdetail("lines is not a JSON array."),
				 errhint("Pass [{\"room_type\": \"DBL\", \"check_in\": \"YYYY-MM-DD\", \"check_out\": \"YYYY-MM-DD\", \"rooms\": 1}, ...].")));
	n = JB_ROOT_COUNT(json);
	lines = palloc0(sizeof(GroupLine) * n);
	for (int i = 0; i < n; i++)
	{
		GroupLine  *line = &lines[i];

		line->number = i + 1;
		PG_TRY();
		{
			read_line(getIthJsonbValueFromContainer(&json->root, i), property_id, line);
		}
		PG_CATCH();
		{
			rethrow_for_line(context, line);
		}
		PG_END_TRY();
	}
	*nlines = n;
	return lines;
}

/*
 * request_digest hashes the arguments of a reserve_group call, for its
 * idempotency key (a text of its own: a key used for another function
 * is refused, BK004).
 */
static bytea *
request_digest(int64 property_id, const GroupLine *lines, int n, Interval *hold)
{
	StringInfoData text;

	initStringInfo(&text);
	appendStringInfo(&text, "reserve_group/1|%lld|", (long long) property_id);
	if (hold)
		appendStringInfo(&text, "%d/%d/%lld", hold->month, hold->day, (long long) hold->time);
	else
		appendStringInfoString(&text, "default");
	for (int i = 0; i < n; i++)
	{
		appendStringInfo(&text, "|%zu:%s|%d|%d|%d|%d", strlen(lines[i].stay.room_type),
						 lines[i].stay.room_type, (int) lines[i].stay.check_in,
						 (int) lines[i].stay.check_out, lines[i].stay.rooms, lines[i].guests);
		/* 2.0's plan and children, when not 'BASE' and none: older keys still match */
		if (lines[i].terms.rate_plan)
			appendStringInfo(&text, "|plan=%zu:%s", strlen(lines[i].terms.rate_plan),
							 lines[i].terms.rate_plan);
		if (lines[i].terms.children > 0)
			appendStringInfo(&text, "|children=%d", lines[i].terms.children);
	}
	return bk_text_digest(text.data);
}

/*
 * bk_group_line_ids returns the ids of group `group_id`'s lines as the
 * unit's snapshot sees them, in line order (0 of them: no such group).
 */
int
bk_group_line_ids(BkDirect *d, int64 group_id, int64 **ids)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_FOUND);
	int			n = 0;
	int			capacity = 8;

	*ids = palloc(sizeof(int64) * capacity);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(group_id));
	scan = bk_direct_scan(d, BK_RESERVATION, BK_RESERVATION_GROUP_IDX, &key, 1);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		if (n == capacity)
		{
			capacity *= 2;
			*ids = repalloc(*ids, sizeof(int64) * capacity);
		}
		(*ids)[n++] = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_RESERVATION_ID)));
	}
	index_endscan(scan);
	ExecClearTuple(slot);
	return n;
}

/*
 * bk_group_result starts the rows a group function answers (one
 * booking.reservation per line, in line order): put them with
 * bk_group_result_add.
 */
void
bk_group_result(FunctionCallInfo fcinfo)
{
	InitMaterializedSRF(fcinfo, 0);
}

void
bk_group_result_add(FunctionCallInfo fcinfo, const BkReservation *r)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	tuplestore_puttuple(rsinfo->setResult, r->tuple);
}

/*
 * answer_replay answers a repeated reserve_group: the group's lines as
 * they are now, in a new snapshot.
 */
static void
answer_replay(FunctionCallInfo fcinfo, int64 group_id)
{
	BkDirect	d;
	int64	   *ids;
	int			n;

	bk_direct_begin(&d, false);
	n = bk_group_line_ids(&d, group_id, &ids);
	bk_group_result(fcinfo);
	for (int i = 0; i < n; i++)
	{
		BkReservation r;

		if (bk_reservation_read(&d, ids[i], &r))
			bk_group_result_add(fcinfo, &r);
	}
	bk_direct_end(&d);
}

/*
 * report_short_line raises BK001 for the first line the nights cannot
 * take, counting the units the lines before it take on the same nights.
 */
static void
report_short_line(const GroupLine *line, const BkShortage *shortage, int32 taken_before)
{
	bk_stat_add(BK_STAT_RESERVE_CONFLICTS, 1);
	if (shortage->missing)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
				 errmsg("line %d (room type \"%s\"): no availability: a night of the stay is not on sale",
						line->number, line->stay.room_type),
				 errdetail("Property %lld, room type \"%s\", night %s has no inventory.",
						   (long long) line->stay.property_id, line->stay.room_type,
						   bk_date_str(shortage->night)),
				 errhint("Open the night with booking.open_inventory, or choose other dates; nothing was held.")));
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
			 errmsg("line %d (room type \"%s\"): no availability: %d room(s) requested, %d free on one night of the stay",
					line->number, line->stay.room_type, line->stay.rooms, shortage->available),
			 taken_before > 0 ?
			 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free after the %d the group's earlier lines take there.",
					   (long long) line->stay.property_id, line->stay.room_type,
					   bk_date_str(shortage->night), shortage->available, taken_before) :
			 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free.",
					   (long long) line->stay.property_id, line->stay.room_type,
					   bk_date_str(shortage->night), shortage->available),
			 errhint("Search other dates or room types; nothing was held.")));
}

/*
 * count_lines counts the lines, in line order, against the locked runs,
 * each line's rooms added to the held_delta of its nights.  Returns the
 * first line that does not fit (its shortage and what the lines before
 * it take on that night filled in), or NULL when all fit.
 */
static GroupLine *
count_lines(GroupLine *lines, int n, BkNightRun *runs, int nruns, BkShortage *shortage,
			int32 *taken_before)
{
	for (int r = 0; r < nruns; r++)
		memset(runs[r].held_delta, 0, sizeof(int32) * Max(runs[r].nights.n, 1));
	for (int i = 0; i < n; i++)
	{
		GroupLine  *line = &lines[i];
		BkNights	slice;
		int			offset;
		BkNightRun *run = bk_night_runs_slice(runs, nruns, line->room_type, line->stay.check_in,
											  line->stay.check_out, &slice, &offset);

		if (bk_nights_shortage(&slice, line->stay.check_in, line->stay.check_out, 0, shortage))
		{
			*taken_before = 0;
			return line;
		}
		for (int k = 0; k < slice.n; k++)
		{
			BkNight    *night = &slice.nights[k];
			int32		taken = run->held_delta[offset + k];
			int32		free_units = BK_NIGHT_FREE(night) - taken;

			if (free_units < line->stay.rooms)
			{
				shortage->night = night->night;
				shortage->available = free_units;
				shortage->missing = false;
				*taken_before = taken;
				return line;
			}
		}
		for (int k = 0; k < slice.n; k++)
			run->held_delta[offset + k] += line->stay.rooms;
	}
	return NULL;
}

/*
 * prepare_line checks one line as reserve_range checks a stay (room
 * type, local today, guests, stay rules) and reads its nights to price
 * it.  Returns false, with the night in *shortage, when a night of it is
 * not on sale.
 */
static bool
prepare_line(BkDirect *d, GroupLine *line, BkShortage *shortage)
{
	BkStayPlace place;

	bk_look_up_place(d, &line->stay, line->room_type, &place);
	bk_plan_look_up(d, line->stay.property_id, line->room_type, line->terms.rate_plan, &line->plan);
	bk_check_day_and_rules(&line->stay, &place, line->guests, line->terms.children,
						   line->plan.code);
	bk_nights_read(d, line->stay.property_id, line->room_type, line->stay.check_in,
				   line->stay.check_out, &line->priced);
	if (bk_nights_shortage(&line->priced, line->stay.check_in, line->stay.check_out, 0,
						   shortage))
		return false;
	bk_price_stay(d, &line->stay, line->room_type, &line->plan, line->guests,
				  line->terms.children, &line->priced, &line->price);
	return true;
}

/*
 * prepare_lines prepares every line (prepare_line), each error naming its
 * line; a night not on sale is BK001.
 */
static void
prepare_lines(BkDirect *d, GroupLine *lines, int n)
{
	MemoryContext context = CurrentMemoryContext;

	/* the property is the call's, not a line's */
	bk_connect();
	bk_require_property(lines[0].stay.property_id);
	bk_finish();
	for (int i = 0; i < n; i++)
	{
		BkShortage	shortage;
		bool		on_sale = false;

		PG_TRY();
		{
			on_sale = prepare_line(d, &lines[i], &shortage);
		}
		PG_CATCH();
		{
			rethrow_for_line(context, &lines[i]);
		}
		PG_END_TRY();
		if (!on_sale)
			report_short_line(&lines[i], &shortage, 0);
	}
}

/*
 * runs_waited_for says whether a night of the runs (locked) has a free
 * unit on public sale that waiting entries want (bk_nights_waited_for).
 */
static bool
runs_waited_for(const BkNightRun *runs, int nruns)
{
	for (int r = 0; r < nruns; r++)
		if (bk_nights_waited_for(&runs[r].nights))
			return true;
	return false;
}

/*
 * relock_and_count locks the runs' nights again after the unit was closed
 * for an expiry or an offer, and counts the lines: BK001 when one is short.
 */
static void
relock_and_count(BkDirect *d, int64 property_id, GroupLine *lines, int n, BkNightRun *runs,
				 int nruns)
{
	GroupLine  *short_line;
	BkShortage	shortage;
	int32		taken_before;

	bk_direct_begin(d, true);
	bk_night_runs_lock(d, property_id, runs, nruns, true);
	short_line = count_lines(lines, n, runs, nruns, &shortage, &taken_before);
	if (short_line != NULL)
		report_short_line(short_line, &shortage, taken_before);
}

/*
 * lock_and_count locks every line's nights and counts the lines; returns
 * the runs.  When a line does not fit, holds past their deadline on the
 * group's nights are expired when that can be done without waiting (the
 * group holds nights by then, so it may not wait), the units they free
 * offered to the waitlist first, as every freeing path does, and the
 * nights counted again; a line that still does not fit is BK001.
 *
 * A group is public sale: like reserve_range, it does not take units that
 * a waiting entry fits into first (docs/waitlist.md).  When a night it
 * locked has a free unit that entries want (a freeing transaction could
 * not offer it), the entries of each run are offered first and the lines
 * counted again.  A group of one run (one room type, one range of
 * nights) may wait for the entries' nights above it, as reserve_range
 * does; a group of several runs takes every night without waiting (it
 * holds the nights of every run), so an entry with a busy night is left
 * to the sweeper's next round.
 */
static BkNightRun *
lock_and_count(BkDirect *d, int64 property_id, GroupLine *lines, int n, int *nruns)
{
	BkStaySpan *spans = palloc(sizeof(BkStaySpan) * n);
	BkNightRun *runs;
	GroupLine  *short_line;
	BkShortage	shortage;
	int32		taken_before;
	int			expired = 0;

	for (int i = 0; i < n; i++)
	{
		spans[i].room_type = lines[i].room_type;
		spans[i].first = lines[i].stay.check_in;
		spans[i].end = lines[i].stay.check_out;
	}
	*nruns = bk_night_runs(spans, n, &runs);
	bk_night_runs_lock(d, property_id, runs, *nruns, true);
	short_line = count_lines(lines, n, runs, *nruns, &shortage, &taken_before);
	if (short_line != NULL)
	{
		if (shortage.missing)
			report_short_line(short_line, &shortage, taken_before);

		/*
		 * One unit per run: a dead hold may lie on two runs of one room
		 * type, and the second run's pass must see what the first one
		 * changed.
		 */
		for (int r = 0; r < *nruns; r++)
		{
			bk_direct_end(d);
			bk_direct_begin(d, true);
			expired += bk_expire_dead_holds(d, property_id, runs[r].room_type, runs[r].first,
											runs[r].end, LockWaitSkip);
		}
		if (expired == 0)
			report_short_line(short_line, &shortage, taken_before);
		bk_direct_end(d);
		bk_waitlist_offer_freed(false); /* waiting entries first */
		relock_and_count(d, property_id, lines, n, runs, *nruns);
	}
	if (runs_waited_for(runs, *nruns))
	{
		/*
		 * Nights above the run may be waited for only when the group holds
		 * nothing but one run's nights, as reserve_range holds its stay's:
		 * one room type, one range, no dead-hold path (whose holds' nights
		 * and offers' nights it would hold too).
		 */
		bool		may_wait = *nruns == 1 && expired == 0;

		bk_direct_end(d);
		for (int r = 0; r < *nruns; r++)
			bk_waitlist_offer_range(property_id, TextDatumGetCString(runs[r].room_type),
									runs[r].first, runs[r].end, may_wait);
		relock_and_count(d, property_id, lines, n, runs, *nruns);
	}
	return runs;
}

/*
 * booking_reserve_group is reserve_group(property_id, lines, guest_id,
 * idempotency_key, hold): one held reservation per line, in line order,
 * all or nothing.
 */
Datum
booking_reserve_group(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *guest_id;
	char	   *key = NULL;
	Interval   *hold = NULL;
	const char *scope;
	GroupLine  *lines;
	int			n;
	BkDirect	d;
	TimestampTz deadline;
	int64		group_id = 0;
	BkNightRun *runs;
	int			nruns;

	bk_require_arg(fcinfo, 0, "property_id");
	bk_require_arg(fcinfo, 1, "lines");
	property_id = PG_GETARG_INT64(0);
	guest_id = bk_text_arg(fcinfo, 2, "guest_id", BOOKING_MAX_REF_BYTES, false, false);
	if (!PG_ARGISNULL(3))
	{
		bk_validate_key(toast_raw_datum_size(PG_GETARG_DATUM(3)) - VARHDRSZ);
		key = text_to_cstring(PG_GETARG_TEXT_PP(3));
	}
	if (!PG_ARGISNULL(4))
	{
		hold = PG_GETARG_INTERVAL_P(4);
		bk_require_interval_within(hold, "hold",
								   "Pass NULL to use booking.hold_ttl, or an interval such as '15 minutes'.");
	}
	lines = read_lines(PG_GETARG_JSONB_P(1), property_id, &n);
	scope = guest_id ? guest_id : "";

	bk_stat_add(BK_STAT_RESERVE_ATTEMPTS, n);
	if (key)
	{
		int64		existing;
		bool		first;

		bk_connect();
		first = bk_claim_key(scope, key, request_digest(property_id, lines, n, hold),
							 property_id, &existing);
		bk_finish();
		if (!first)
		{
			bk_stat_add_on_commit(BK_STAT_IDEMPOTENT_REPLAYS, 1);
			answer_replay(fcinfo, existing);
			return (Datum) 0;
		}
	}

	/* check and write every line before any night is locked */
	bk_direct_begin(&d, true);
	prepare_lines(&d, lines, n);
	deadline = bk_hold_deadline(hold);
	for (int i = 0; i < n; i++)
	{
		GroupLine  *line = &lines[i];
		int64		id = bk_reservation_new_id();
		BkSoldPrices sold = {line->price.prices, line->priced.n, line->price.extra};

		if (i == 0)
			group_id = id;
		bk_reservation_insert_line(&d, id, group_id, property_id, line->room_type,
								   line->stay.check_in, line->stay.check_out, line->stay.rooms,
								   guest_id, line->guests, deadline, line->price.total, &sold,
								   &line->terms, &line->r);
		bk_event_write(&d, "reserved", &line->r, -line->stay.rooms, &line->event_tid);
	}
	bk_direct_end(&d);

	/* then lock every line's nights together, count, and take them */
	bk_direct_begin(&d, true);
	runs = lock_and_count(&d, property_id, lines, n, &nruns);
	for (int i = 0; i < n; i++)
	{
		GroupLine  *line = &lines[i];
		BkNights	locked;
		int			offset;

		(void) bk_night_runs_slice(runs, nruns, line->room_type, line->stay.check_in,
								   line->stay.check_out, &locked, &offset);
		if (!bk_nights_same_prices(&line->priced, &locked))
		{
			/* open_inventory repriced a night meanwhile: the locked prices count */
			BkSoldPrices sold;

			bk_price_stay(&d, &line->stay, line->room_type, &line->plan, line->guests,
						  line->terms.children, &locked, &line->price);
			sold = (BkSoldPrices) {line->price.prices, locked.n, line->price.extra};
			bk_reservation_reprice(&d, &line->r, line->price.total, &sold);
			bk_event_rewrite_payload(&d, &line->event_tid, "reserved", &line->r);
		}
	}
	bk_night_runs_apply(&d, runs, nruns);
	bk_group_result(fcinfo);
	for (int i = 0; i < n; i++)
		bk_group_result_add(fcinfo, &lines[i].r);
	bk_direct_end(&d);

	if (key)
	{
		bk_connect();
		bk_record_key(scope, key, group_id);
		bk_finish();
	}
	bk_stat_add_on_commit(BK_STAT_RESERVE_SUCCESSES, n);
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * state.c
 *    The reservation states and their machine.  BkState (booking.h) is
 *    the one C vocabulary for booking.booking_state: every C file names
 *    states through it, and the enum's OIDs are mapped to it once per
 *    backend (and again when the type is re-created).  The machine is
 *    enforced by a BEFORE UPDATE trigger on booking.reservation:
 *
 *        held ──> confirmed ──> cancelled
 *          │ ├──> cancelled
 *          │ ├──> expired ──> confirmed   (late payment, units re-acquired)
 *          │ └──> payment_pending ──> confirmed | cancelled | expired
 *        confirmed ──> checked_in ──> checked_out          (2.0: the stay)
 *        confirmed ──> no_show
 *
 *    Any other change of state fails with BK003; setting a row to the
 *    state it already has is allowed and changes nothing.  The trigger
 *    checks the machine only: moving the units is the calling function's
 *    job, done in the same transaction.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "commands/trigger.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_enforce_state_transition);
PG_FUNCTION_INFO_V1(booking_state_names);

/* The labels of booking_state, in BkState order */
static const char *const state_names[BK_STATE_COUNT] = {
	[BK_HELD] = "held",
	[BK_CONFIRMED] = "confirmed",
	[BK_CANCELLED] = "cancelled",
	[BK_EXPIRED] = "expired",
	[BK_PAYMENT_PENDING] = "payment_pending",
	[BK_CHECKED_IN] = "checked_in",
	[BK_CHECKED_OUT] = "checked_out",
	[BK_NO_SHOW] = "no_show",
};

/* The machine's edges: allowed[from][to] */
static const bool allowed[BK_STATE_COUNT][BK_STATE_COUNT] = {
	[BK_HELD] = {[BK_CONFIRMED] = true, [BK_CANCELLED] = true, [BK_EXPIRED] = true,
	[BK_PAYMENT_PENDING] = true},
	[BK_PAYMENT_PENDING] = {[BK_CONFIRMED] = true, [BK_CANCELLED] = true, [BK_EXPIRED] = true},
	[BK_CONFIRMED] = {[BK_CANCELLED] = true, [BK_CHECKED_IN] = true, [BK_NO_SHOW] = true},
	[BK_EXPIRED] = {[BK_CONFIRMED] = true},
	[BK_CHECKED_IN] = {[BK_CHECKED_OUT] = true},
};

/* The enum's OIDs, for the type they were read from */
static Oid	mapped_type = InvalidOid;
static Oid	state_oids[BK_STATE_COUNT];

/*
 * map_states reads the OIDs of booking_state's labels (type `enum_type`)
 * and fails if a label the engine knows is missing.  The labels of the
 * stay (2.0) may be missing: a database still at 1.x has none, and its
 * functions never ask for them.
 */
static void
map_states(Oid enum_type, bool again)
{
	CatCList   *list;
	Oid			oids[BK_STATE_COUNT] = {InvalidOid};

	if (enum_type == mapped_type && !again)
		return;
	list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(enum_type));
	for (int i = 0; i < list->n_members; i++)
	{
		HeapTuple	tup = &list->members[i]->tuple;
		Form_pg_enum e = (Form_pg_enum) GETSTRUCT(tup);

		for (int s = 0; s < BK_STATE_COUNT; s++)
			if (strcmp(NameStr(e->enumlabel), state_names[s]) == 0)
				oids[s] = e->oid;
	}
	ReleaseSysCacheList(list);
	for (int s = 0; s < BK_FIRST_STAY_STATE; s++)
		if (!OidIsValid(oids[s]))
			elog(ERROR, "booking: type booking_state has no label \"%s\"", state_names[s]);
	memcpy(state_oids, oids, sizeof(oids));
	mapped_type = enum_type;
}

/*
 * bk_state_of returns the state an enum value (of type enum_type) stands
 * for; a label the engine does not know is an internal error.  The
 * mapping is kept per backend; a value it lacks makes it read the labels
 * again once, since ALTER EXTENSION UPDATE adds labels to the same type
 * while other sessions keep running.
 */
BkState
bk_state_of(Oid enum_type, Oid value)
{
	map_states(enum_type, false);
	for (int pass = 0; pass < 2; pass++)
	{
		for (int s = 0; s < BK_STATE_COUNT; s++)
			if (state_oids[s] == value)
				return (BkState) s;
		/* a label added since the mapping (ALTER EXTENSION UPDATE): map again */
		map_states(enum_type, true);
	}
	elog(ERROR, "booking: unknown booking_state value %u", value);
	return BK_HELD;				/* not reached */
}

/*
 * bk_state_value returns the enum value (of type enum_type) of a state.
 */
Oid
bk_state_value(Oid enum_type, BkState state)
{
	map_states(enum_type, false);
	if (!OidIsValid(state_oids[state]))
		map_states(enum_type, true);	/* added since the mapping? */
	if (!OidIsValid(state_oids[state]))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("booking_state has no label \"%s\"", state_names[state]),
				 errhint("Update the extension: ALTER EXTENSION booking UPDATE.")));
	return state_oids[state];
}

/*
 * bk_state_name returns a state's label.
 */
const char *
bk_state_name(BkState state)
{
	return state_names[state];
}

/*
 * bk_state_is_live_hold says whether a state counts its units as held.
 */
bool
bk_state_is_live_hold(BkState state)
{
	return state == BK_HELD || state == BK_PAYMENT_PENDING;
}

/*
 * bk_state_counts says whether a state counts its units against the
 * inventory at all (as held or as booked).
 */
bool
bk_state_counts(BkState state)
{
	return state != BK_CANCELLED && state != BK_EXPIRED;
}

/*
 * bk_state_is_booked says whether a state counts its units as booked:
 * confirmed, and the states of the stay (checked_in, checked_out,
 * no_show), whose nights stay sold.
 */
bool
bk_state_is_booked(BkState state)
{
	return bk_state_counts(state) && !bk_state_is_live_hold(state);
}

/*
 * booking_state_names is state_names(): the labels the C side knows, in
 * its order, so that a test can compare them with the SQL enum.
 */
Datum
booking_state_names(PG_FUNCTION_ARGS)
{
	Datum		labels[BK_STATE_COUNT];

	for (int s = 0; s < BK_STATE_COUNT; s++)
		labels[s] = CStringGetTextDatum(state_names[s]);
	PG_RETURN_ARRAYTYPE_P(construct_array(labels, BK_STATE_COUNT, TEXTOID, -1, false,
										  TYPALIGN_INT));
}

/*
 * booking_enforce_state_transition is the trigger function.  It compares
 * the enum OIDs first, so an update that keeps the state costs no lookup.
 */
Datum
booking_enforce_state_transition(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = bk_require_row_trigger(fcinfo, TRIGGER_EVENT_UPDATE,
												   "booking.enforce_state_transition");
	TupleDesc	tupdesc;
	int			state_attnum;
	int			id_attnum;
	bool		old_null;
	bool		new_null;
	Datum		old_state;
	Datum		new_state;
	Oid			enum_type;
	BkState		from;
	BkState		to;

	tupdesc = trigdata->tg_relation->rd_att;
	state_attnum = SPI_fnumber(tupdesc, "state");
	id_attnum = SPI_fnumber(tupdesc, "reservation_id");
	if (state_attnum <= 0 || id_attnum <= 0)
		elog(ERROR, "booking.enforce_state_transition needs columns \"state\" and \"reservation_id\"");

	old_state = heap_getattr(trigdata->tg_trigtuple, state_attnum, tupdesc, &old_null);
	new_state = heap_getattr(trigdata->tg_newtuple, state_attnum, tupdesc, &new_null);
	if (old_null || new_null)
		elog(ERROR, "booking: a reservation's state cannot be NULL");
	if (DatumGetObjectId(old_state) == DatumGetObjectId(new_state))
		return PointerGetDatum(trigdata->tg_newtuple);

	enum_type = TupleDescAttr(tupdesc, state_attnum - 1)->atttypid;
	from = bk_state_of(enum_type, DatumGetObjectId(old_state));
	to = bk_state_of(enum_type, DatumGetObjectId(new_state));
	if (allowed[from][to])
		return PointerGetDatum(trigdata->tg_newtuple);

	{
		bool		id_null;
		Datum		id = heap_getattr(trigdata->tg_trigtuple, id_attnum, tupdesc, &id_null);

		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("a reservation cannot go from %s to %s", state_names[from], state_names[to]),
				 errdetail("Reservation %lld is %s.",
						   id_null ? 0LL : (long long) DatumGetInt64(id), state_names[from]),
				 errhint("Allowed: held to payment_pending, confirmed, cancelled or expired; payment_pending to confirmed, cancelled or expired; confirmed to cancelled, checked_in or no_show; checked_in to checked_out; expired to confirmed (late payment).")));
	}
	PG_RETURN_NULL();			/* not reached */
}

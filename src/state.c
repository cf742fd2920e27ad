/*-------------------------------------------------------------------------
 * state.c
 *    The reservation state machine, enforced by a BEFORE UPDATE trigger
 *    on booking.reservation:
 *
 *        held ──> confirmed ──> cancelled
 *          │ ├──> cancelled
 *          │ ├──> expired ──> confirmed   (late payment, units re-acquired)
 *          │ └──> payment_pending ──> confirmed | cancelled | expired
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
#include "utils/syscache.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_enforce_state_transition);

typedef struct StateEdge
{
	const char *from;
	const char *to;
} StateEdge;

static const StateEdge allowed_edges[] = {
	{"held", "confirmed"},
	{"held", "cancelled"},
	{"held", "expired"},
	{"held", "payment_pending"},
	{"payment_pending", "confirmed"},
	{"payment_pending", "cancelled"},
	{"payment_pending", "expired"},
	{"confirmed", "cancelled"},
	{"expired", "confirmed"},
};

/*
 * state_label returns the label of a booking_state value (an enum OID).
 */
static char *
state_label(Datum value)
{
	Oid			enum_oid = DatumGetObjectId(value);
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(enum_oid));
	char	   *label;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for enum value %u", enum_oid);
	label = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
	ReleaseSysCache(tup);
	return label;
}

/*
 * transition_allowed says whether the machine has an edge from -> to.
 */
static bool
transition_allowed(const char *from, const char *to)
{
	for (size_t i = 0; i < lengthof(allowed_edges); i++)
		if (strcmp(allowed_edges[i].from, from) == 0 &&
			strcmp(allowed_edges[i].to, to) == 0)
			return true;
	return false;
}

/*
 * booking_enforce_state_transition is the trigger function.  It compares
 * the enum OIDs first, so an update that keeps the state costs no catalog
 * lookup.
 */
Datum
booking_enforce_state_transition(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	int			state_attnum;
	int			id_attnum;
	bool		old_null;
	bool		new_null;
	Datum		old_state;
	Datum		new_state;
	char	   *from;
	char	   *to;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("booking.enforce_state_transition must be called as a BEFORE UPDATE FOR EACH ROW trigger")));

	tupdesc = trigdata->tg_relation->rd_att;
	state_attnum = SPI_fnumber(tupdesc, "state");
	id_attnum = SPI_fnumber(tupdesc, "reservation_id");
	if (state_attnum <= 0 || id_attnum <= 0)
		elog(ERROR, "booking.enforce_state_transition needs columns \"state\" and \"reservation_id\"");

	old_state = heap_getattr(trigdata->tg_trigtuple, state_attnum, tupdesc, &old_null);
	new_state = heap_getattr(trigdata->tg_newtuple, state_attnum, tupdesc, &new_null);
	if (!old_null && !new_null &&
		DatumGetObjectId(old_state) == DatumGetObjectId(new_state))
		return PointerGetDatum(trigdata->tg_newtuple);

	from = old_null ? "NULL" : state_label(old_state);
	to = new_null ? "NULL" : state_label(new_state);
	if (!old_null && !new_null && transition_allowed(from, to))
		return PointerGetDatum(trigdata->tg_newtuple);

	{
		bool		id_null;
		Datum		id = heap_getattr(trigdata->tg_trigtuple, id_attnum, tupdesc, &id_null);

		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_INVALID_TRANSITION),
				 errmsg("a reservation cannot go from %s to %s", from, to),
				 errdetail("Reservation %lld is %s.",
						   id_null ? 0LL : (long long) DatumGetInt64(id), from),
				 errhint("Allowed: held to payment_pending, confirmed, cancelled or expired; payment_pending to confirmed, cancelled or expired; confirmed to cancelled; expired to confirmed (late payment).")));
	}
	PG_RETURN_NULL();			/* not reached */
}

/*-------------------------------------------------------------------------
 * guard.c
 *    Refuses DROP EXTENSION booking (without CASCADE) while reservations
 *    are live: DROP EXTENSION removes the extension's tables whatever
 *    they hold, so a slip of the hand would lose every booking.
 *
 * An event trigger on ddl_command_start for DROP EXTENSION looks at the
 * statement: when it names booking without CASCADE and some reservation
 * is held, payment_pending or confirmed, it fails with 2BP01.  CASCADE
 * still drops everything, on purpose.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_guard_drop_extension);

static BookingPlan live_reservations_plan = {
	"SELECT pg_catalog.count(*) FROM booking.reservation"
	" WHERE state = ANY ('{held,payment_pending,confirmed}'::booking.booking_state[])",
	0, {InvalidOid}
};

/*
 * drops_booking says whether a DROP statement names the booking extension.
 */
static bool
drops_booking(DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, stmt->objects)
	{
		Node	   *object = lfirst(lc);

		if (IsA(object, String) && strcmp(strVal(object), "booking") == 0)
			return true;
	}
	return false;
}

/*
 * booking_guard_drop_extension is the event trigger function.
 */
Datum
booking_guard_drop_extension(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	DropStmt   *stmt;
	int64		live;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("booking.guard_drop_extension must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!IsA(trigdata->parsetree, DropStmt))
		PG_RETURN_VOID();
	stmt = (DropStmt *) trigdata->parsetree;
	if (stmt->behavior == DROP_CASCADE || !drops_booking(stmt))
		PG_RETURN_VOID();

	bk_connect();
	bk_exec(&live_reservations_plan, NULL, NULL, 1);
	live = bk_get_int64(0, 1);
	bk_finish();

	if (live > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop extension booking while %lld reservations are live", (long long) live),
				 errdetail("Dropping the extension deletes its tables: every held, payment_pending and confirmed reservation would be lost."),
				 errhint("Cancel or let them expire first, take a pg_dump, or use DROP EXTENSION booking CASCADE to drop them on purpose.")));
	PG_RETURN_VOID();
}

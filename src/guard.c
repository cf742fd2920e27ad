/*-------------------------------------------------------------------------
 * guard.c
 *    Refuses the statements that would drop the extension, and with it
 *    every booking, while reservations are live: DROP EXTENSION booking
 *    (without CASCADE), DROP SCHEMA booking (with or without CASCADE,
 *    also among other schemas) and DROP OWNED BY the role that owns the
 *    extension or its schema.  A slip of the hand must not lose every
 *    booking.
 *
 * An event trigger on ddl_command_start for DROP EXTENSION, DROP SCHEMA
 * and DROP OWNED looks at the statement: when it would drop the extension
 * and some reservation is held, payment_pending or confirmed, it fails
 * with 2BP01.  DROP EXTENSION booking CASCADE is the one way to drop the
 * bookings on purpose, and still does.
 *
 * The trigger runs as whoever typed the statement, usually a superuser,
 * so its SQL must resolve only pg_catalog and booking objects: the
 * function runs with search_path = pg_catalog, pg_temp (1.2) and every
 * operator is written OPERATOR(pg_catalog.x), so an operator planted in a
 * schema on the superuser's search_path is never called.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_guard_drop_extension);

/* The extension's schema (booking.control: schema = booking) */
#define BOOKING_SCHEMA "booking"

static BookingPlan live_reservations_plan = {
	"SELECT pg_catalog.count(*) FROM booking.reservation"
	" WHERE state::text OPERATOR(pg_catalog.<>) ALL ('{cancelled,expired,checked_out,no_show}'::text[])",
	0, {InvalidOid}
};

/* Whether any of the roles $1 owns the extension booking or its schema */
static BookingPlan owns_booking_plan = {
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e"
	"                WHERE e.extname OPERATOR(pg_catalog.=) 'booking'"
	"                  AND e.extowner OPERATOR(pg_catalog.=) ANY ($1))"
	"    OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n"
	"                WHERE n.nspname OPERATOR(pg_catalog.=) 'booking'"
	"                  AND n.nspowner OPERATOR(pg_catalog.=) ANY ($1))",
	1, {OIDARRAYOID}
};

/*
 * names_booking says whether a DROP statement's list of names (String
 * nodes, as DROP EXTENSION and DROP SCHEMA give them) includes `name`.
 */
static bool
names_booking(List *objects, const char *name)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		Node	   *object = lfirst(lc);

		if (IsA(object, String) && strcmp(strVal(object), name) == 0)
			return true;
	}
	return false;
}

/*
 * owner_drop_hits_booking says whether DROP OWNED BY these roles would
 * drop the extension: whether one of them owns it or its schema.
 */
static bool
owner_drop_hits_booking(List *roles)
{
	ListCell   *lc;
	Datum	   *oids = palloc(sizeof(Datum) * list_length(roles));
	int			n = 0;
	ArrayType  *array;
	Datum		args[1];

	foreach(lc, roles)
	{
		Oid			role = get_rolespec_oid(lfirst(lc), true);

		if (OidIsValid(role))
			oids[n++] = ObjectIdGetDatum(role);
	}
	if (n == 0)
		return false;
	array = construct_array(oids, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	args[0] = PointerGetDatum(array);
	bk_exec(&owns_booking_plan, args, NULL, 1);
	return DatumGetBool(bk_get_notnull(0, 1));
}

/*
 * refuse_while_live fails with 2BP01 when some reservation is held,
 * payment_pending or confirmed: the statement would drop `objects` and,
 * with them, the extension's tables.  `detail` and `hint` say what would
 * be lost and what to do instead.
 */
static void
refuse_while_live(const char *objects, const char *detail, const char *hint)
{
	int64		live;

	bk_connect();
	bk_exec(&live_reservations_plan, NULL, NULL, 1);
	live = bk_get_int64(0, 1);
	bk_finish();
	if (live > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop %s while %lld reservations are live", objects, (long long) live),
				 errdetail("%s", detail),
				 errhint("%s", hint)));
}

/*
 * booking_guard_drop_extension is the event trigger function: it lets
 * through every statement that would not drop the extension, and refuses
 * one that would while reservations are live.
 */
Datum
booking_guard_drop_extension(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *parsetree;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("booking.guard_drop_extension must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	parsetree = trigdata->parsetree;

	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		if (stmt->removeType == OBJECT_EXTENSION && stmt->behavior != DROP_CASCADE &&
			names_booking(stmt->objects, "booking"))
			refuse_while_live("extension booking",
							  "Dropping the extension deletes its tables: every held, payment_pending and confirmed reservation would be lost.",
							  "Cancel or let them expire first, take a pg_dump, or use DROP EXTENSION booking CASCADE to drop them on purpose.");
		else if (stmt->removeType == OBJECT_SCHEMA && names_booking(stmt->objects, BOOKING_SCHEMA))
			refuse_while_live("schema " BOOKING_SCHEMA,
							  "Dropping schema " BOOKING_SCHEMA " drops the extension booking and its tables: every held, payment_pending and confirmed reservation would be lost.",
							  "Cancel or let them expire first, take a pg_dump, or use DROP EXTENSION booking CASCADE to drop them on purpose.");
	}
	else if (IsA(parsetree, DropOwnedStmt))
	{
		bool		hits;

		bk_connect();
		hits = owner_drop_hits_booking(((DropOwnedStmt *) parsetree)->roles);
		bk_finish();
		if (hits)
			refuse_while_live("the objects owned by the owner of extension booking",
							  "A role named owns the extension booking or its schema: DROP OWNED would drop the extension and its tables, and every held, payment_pending and confirmed reservation would be lost.",
							  "Give the role's objects to another role first (REASSIGN OWNED), or use DROP EXTENSION booking CASCADE to drop the bookings on purpose.");
	}
	PG_RETURN_VOID();
}

/*-------------------------------------------------------------------------
 * search_path.c
 *    The search path the write path's entry points run under: pinned here,
 *    in C, for the calls made most often (reserve_range, confirm_booking,
 *    cancel_reservation), instead of by their declaration.
 *
 * Every other function of the extension is declared SECURITY DEFINER SET
 * search_path = pg_catalog, pg_temp, so that a name its SQL resolves (its
 * SQL is schema-qualified and writes its operators OPERATOR(pg_catalog.x)
 * too: test/lint/sql-operators) cannot be redirected by whatever the
 * caller's search_path names.  PostgreSQL applies such a SET by opening a
 * GUC nesting level, setting search_path and, at the function's end,
 * putting the caller's back: each change recomputes the path from its
 * names (syscache lookups) and throws away the plans' cached match, about
 * 10,700 instructions a call, 3 % of a reserve_range (docs/performance.md).
 *
 * bk_call_pinned runs a function with the same path pushed as an override
 * search path (namespace.c's PushOverrideSearchPath), which every lookup
 * of a name reads instead of the GUC while it is pushed and which costs a
 * list of one or two OIDs.  The path pushed is exactly the one that SET
 * search_path = pg_catalog, pg_temp computes: pg_catalog, then the
 * session's temporary schema if it has one, pg_catalog the schema
 * objects would be created in.  So a plan that an ordinary function of
 * the extension prepared is found still valid by a pinned one and the
 * other way round.  An error unwinds it: a (sub)transaction's abort pops
 * what was pushed inside it (AtEOSubXact_Namespace), so a caller that
 * catches the error is back on its own path.
 *
 * PostgreSQL 17 took the override stack away; there the pin is the GUC
 * nesting level that a SET in the declaration would open.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "utils/guc.h"

#include "booking.h"

/*
 * bk_call_pinned calls fn(fcinfo) with the search path pinned to
 * pg_catalog, pg_temp, and returns what it returns.  fn must not return
 * with a subtransaction of its own still open.
 */
Datum
bk_call_pinned(PGFunction fn, FunctionCallInfo fcinfo)
{
	Datum		result;
#if PG_VERSION_NUM < 170000
	OverrideSearchPath path = {0};
	Oid			temp_namespace;
	Oid			temp_toast_namespace;

	GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
	path.schemas = list_make1_oid(PG_CATALOG_NAMESPACE);
	if (OidIsValid(temp_namespace))
		path.schemas = lappend_oid(path.schemas, temp_namespace);
	path.addCatalog = false;	/* named first already */
	path.addTemp = false;		/* named last, as pg_temp is in the SET */
	PushOverrideSearchPath(&path);
	list_free(path.schemas);
	result = fn(fcinfo);
	PopOverrideSearchPath();
#else
	int			nest_level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	result = fn(fcinfo);
	AtEOXact_GUC(true, nest_level);
#endif
	return result;
}

/*-------------------------------------------------------------------------
 * hooks.c
 *    The library's statement hooks, installed when it is preloaded:
 *      - COPY ... FROM into a booking table, or a top-level INSERT into
 *        one, by a backend that may write it, makes that backend a
 *        loader: the sweeper of its database waits until it disconnects
 *        (restore_fence.c);
 *      - DROP DATABASE, CREATE DATABASE ... TEMPLATE, ALTER DATABASE ...
 *        RENAME and ALTER DATABASE ... SET TABLESPACE of the database the
 *        sweeper serves first get the sweeper out of it (workerstate.c),
 *        so that they do not fail with "being accessed by other users".
 *
 * The extension's own statements never count as loading: they run inside
 * a portal (a function call), while a restore's COPY and INSERT are sent
 * by the client.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "booking.h"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;

/*
 * note_load makes this backend a loader when relid is a table of schema
 * booking that the current user may insert into (only the owner and
 * superusers can: nobody else can hold the sweeper off), outside CREATE
 * EXTENSION.
 */
static void
note_load(Oid relid)
{
	Oid			booking_ns;

	if (!OidIsValid(relid) || creating_extension)
		return;
	booking_ns = get_namespace_oid("booking", true);
	if (!OidIsValid(booking_ns) || get_rel_namespace(relid) != booking_ns)
		return;
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		return;
	bk_fence_register_loader(relid);
}

/*
 * booking_post_parse_analyze notes an INSERT into a booking table sent by
 * the client itself (pg_dump --inserts): a client backend, outside any
 * portal (inside a function, a DO block or CREATE EXTENSION one is
 * active), analysing the very text the client sent.  The extension's own
 * INSERTs, run through SPI by its functions or by the sweeper, do not
 * count.
 */
static void
booking_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	if (query->commandType == CMD_INSERT && query->resultRelation > 0 &&
		MyBackendType == B_BACKEND && ActivePortal == NULL &&
		pstate->p_sourcetext != NULL && pstate->p_sourcetext == debug_query_string)
		note_load(rt_fetch(query->resultRelation, query->rtable)->relid);
}

/*
 * may_create_from says whether the current user could create a database
 * from template dboid (dbcommands.c's rule).
 */
static bool
may_create_from(Oid dboid)
{
	HeapTuple	tup;
	bool		is_template;

	if (!have_createdb_privilege())
		return false;
	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (!HeapTupleIsValid(tup))
		return false;
	is_template = ((Form_pg_database) GETSTRUCT(tup))->datistemplate;
	ReleaseSysCache(tup);
	return is_template || pg_database_ownercheck(dboid, GetUserId());
}

/*
 * exclusive_database_target returns the database that a statement needs
 * to itself (no other connection), when the current user may run it and
 * it may run here; InvalidOid otherwise.
 */
static Oid
exclusive_database_target(Node *parsetree, bool outside_block)
{
	Oid			dboid = InvalidOid;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			if (outside_block)
				dboid = get_database_oid(((DropdbStmt *) parsetree)->dbname, true);
			return OidIsValid(dboid) && pg_database_ownercheck(dboid, GetUserId())
				? dboid : InvalidOid;
		case T_CreatedbStmt:
			if (!outside_block)
				return InvalidOid;
			foreach(lc, ((CreatedbStmt *) parsetree)->options)
			{
				DefElem    *opt = lfirst_node(DefElem, lc);

				if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
					dboid = get_database_oid(defGetString(opt), true);
			}
			return OidIsValid(dboid) && may_create_from(dboid) ? dboid : InvalidOid;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType != OBJECT_DATABASE)
				return InvalidOid;
			dboid = get_database_oid(((RenameStmt *) parsetree)->subname, true);
			return OidIsValid(dboid) && pg_database_ownercheck(dboid, GetUserId()) &&
				have_createdb_privilege() ? dboid : InvalidOid;
		case T_AlterDatabaseStmt:
			if (!outside_block)
				return InvalidOid;
			foreach(lc, ((AlterDatabaseStmt *) parsetree)->options)
			{
				if (strcmp(lfirst_node(DefElem, lc)->defname, "tablespace") == 0)
					dboid = get_database_oid(((AlterDatabaseStmt *) parsetree)->dbname, true);
			}
			return OidIsValid(dboid) && pg_database_ownercheck(dboid, GetUserId())
				? dboid : InvalidOid;
		default:
			return InvalidOid;
	}
}

/*
 * swept_database says whether dboid is, or is about to be, the sweeper's:
 * the one it serves now or the one booking.database names.
 */
static bool
swept_database(Oid dboid)
{
	Oid			served;

	if (!OidIsValid(dboid))
		return false;
	if (bk_sweeper_current(&served) != 0 && served == dboid)
		return true;
	return booking_database != NULL && booking_database[0] != '\0' &&
		get_database_oid(booking_database, true) == dboid;
}

/*
 * next_utility runs the statement: the previous hook or the standard way.
 */
static void
next_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			 ProcessUtilityContext context, ParamListInfo params,
			 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * booking_ProcessUtility notes COPY ... FROM into a booking table, and
 * gets the sweeper out of the way of DDL that needs its database alone.
 */
static void
booking_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		top_level = context == PROCESS_UTILITY_TOPLEVEL;
	Oid			target = InvalidOid;

	if (IsA(parsetree, CopyStmt))
	{
		CopyStmt   *copy = (CopyStmt *) parsetree;

		if (copy->is_from && copy->relation != NULL && MyBackendType == B_BACKEND)
			note_load(RangeVarGetRelid(copy->relation, NoLock, true));
	}
	else
		target = exclusive_database_target(parsetree, top_level && !IsTransactionBlock());

	if (!swept_database(target))
	{
		next_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		return;
	}

	bk_sweeper_step_aside(target);
	PG_TRY();
	{
		next_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		bk_sweeper_step_aside_done();
	}
	PG_END_TRY();
}

/*
 * BookingHooksInit installs both hooks, chaining the previous ones;
 * called from _PG_init while preloading.
 */
void
BookingHooksInit(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = booking_ProcessUtility;
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = booking_post_parse_analyze;
}

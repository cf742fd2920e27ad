/*-------------------------------------------------------------------------
 * direct.c
 *    Reading and writing booking's tables without SPI, for the hot paths
 *    (reserve, confirm, cancel, expiry): rows are found through an index,
 *    locked with table_tuple_lock and written with ExecSimpleRelationInsert
 *    and ExecSimpleRelationUpdate, as PostgreSQL's logical replication
 *    apply worker writes them, so no statement is parsed, planned or
 *    started per call.  A row may also be written without locking it
 *    first, when the version found is still the newest
 *    (bk_direct_update_columns_if_newest: the update takes the lock, as
 *    an UPDATE statement's does).  PostgreSQL stays the judge: the
 *    tables' CHECK and NOT NULL constraints are evaluated by
 *    ExecConstraints, row triggers (the state machine) fire, foreign keys
 *    are checked by their RI triggers at the end of the unit (but for the
 *    one of engine_fkeys, which the engine checks as its trigger would,
 *    without SPI, and the update checks bk_direct_update_columns shows
 *    are not needed), and every index a row has an entry in is maintained
 *    (open_indexes_for: the others are not even opened).
 *
 * A unit of work (BkDirect) is what one SQL statement would be: it takes
 * a snapshot after a CommandCounterIncrement, as SPI does, so it sees
 * what earlier statements of the transaction wrote, and its own writes
 * become visible to the next unit.  Under READ COMMITTED a row found in
 * the snapshot is locked in its newest version (and re-read from there);
 * under REPEATABLE READ and SERIALIZABLE a row changed since the snapshot
 * fails with 40001, as a SELECT ... FOR UPDATE would.
 *
 * What an executor would build on every statement although it never
 * changes — each table's compiled CHECK expressions and each index's
 * IndexInfo with its compiled predicate — is built once per backend and
 * kept until a relcache invalidation of the table or of one of its
 * indexes (ALTER TABLE, CREATE INDEX, DROP/CREATE EXTENSION, an upgrade)
 * says it changed.  One limit: replacing a function that a CHECK
 * constraint calls does not invalidate the table, so a backend keeps the
 * compiled call until the table itself changes (booking's constraints
 * call only built-in operators).  The cache is built from copies of the
 * table's trigger and foreign key lists (an invalidation taken in during
 * the build frees the relcache's), and a rebuilt cache's old memory is
 * kept while a unit that began before may still point into it.
 *
 * Row-level security and column privileges are not applied here: every
 * caller is a SECURITY DEFINER function running as the tables' owner.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "rewrite/rewriteManip.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "booking.h"

/* What is kept per table between calls */
typedef struct BkTableCache
{
	const char *relname;
	MemoryContext context;		/* holds what follows `built` */
	Oid			relid;			/* InvalidOid: look it up again */
	uint32		invalidations;	/* bumped by the relcache callback */
	bool		built;			/* the fields below match the relcache */
	int			nindexes;
	Oid		   *index_oids;
	IndexInfo **index_info;
	ExprState **check_exprs;
	int			ndefaults;		/* columns the engine does not set, with a DEFAULT */
	int			ntriggers;		/* trigger_when's length */
	AttrNumber *default_attnums;
	ExprState **default_exprs;
	char	   *unsupported_trigger;	/* see find_unsupported_trigger; NULL: none */
	ExprState **trigger_when;	/* per trigger, in trigdesc order: its WHEN, or NULL */
	Oid			engine_fkey;	/* see engine_fkeys; InvalidOid: none */
	Oid			engine_fkey_trigger;	/* its RI insert trigger, not queued by the engine */
	bool		skip_unmatched_on_insert;	/* see engine_before_triggers_only */
	bool		skip_unmatched_on_update;
	int			nkey_checks;	/* see find_key_checks */
	Oid		   *key_check_triggers;
	int16	   *key_check_nkeys;
	AttrNumber (*key_check_columns)[INDEX_MAX_KEYS];
} BkTableCache;

static BkTableCache tables[BK_TABLE_COUNT] = {
	[BK_PROPERTY] = {"property"},
	[BK_ROOM_TYPE] = {"room_type"},
	[BK_INVENTORY] = {"inventory"},
	[BK_RESERVATION] = {"reservation"},
	[BK_EVENT] = {"event"},
	[BK_ROOM_CALENDAR] = {"room_calendar"},
	[BK_RATE_PLAN] = {"rate_plan"},
	[BK_RATE] = {"rate"},
	[BK_EVENT_PUBLISHER] = {"event_publisher"},
	[BK_EVENT_PASS] = {"event_pass"},
};

/*
 * The indexes the engine scans, by name, with the leading key columns its
 * scan keys are built for (an index of that name with other columns is
 * not scanned: open_scan_index)
 */
typedef struct BkIndexCache
{
	const char *relname;
	const char *columns[4];		/* NULL-terminated; none for a sequence */
	Oid			relid;
	Oid			columns_checked;	/* the relid whose columns were found right */
} BkIndexCache;

static BkIndexCache indexes[BK_INDEX_COUNT] = {
	[BK_PROPERTY_PKEY] = {"property_pkey", {"property_id"}},
	[BK_ROOM_TYPE_PKEY] = {"room_type_pkey", {"property_id", "code"}},
	[BK_ROOM_TYPE_PLANS_IDX] = {"room_type_plans_idx", {"property_id"}},
	[BK_INVENTORY_PKEY] = {"inventory_pkey", {"property_id", "room_type", "night"}},
	[BK_RESERVATION_PKEY] = {"reservation_pkey", {"reservation_id"}},
	[BK_RESERVATION_LIVE_HOLDS_IDX] = {"reservation_live_holds_idx", {"property_id", "room_type", "hold_expires_at"}},
	[BK_RESERVATION_PAYMENT_REF_KEY] = {"reservation_payment_ref_key", {"payment_ref"}},
	[BK_RESERVATION_PAYMENT_INTENT_KEY] = {"reservation_payment_intent_key", {"payment_intent"}},
	[BK_RESERVATION_GROUP_IDX] = {"reservation_group_idx", {"group_id", "reservation_id"}},
	[BK_EVENT_UNPUBLISHED_IDX] = {"event_unpublished_idx", {"event_id"}},
	[BK_EVENT_UNPUBLISHED_XID_IDX] = {"event_unpublished_xid_idx", {"writer_xid"}},
	[BK_ROOM_CALENDAR_PKEY] = {"room_calendar_pkey", {"property_id", "room_type", "month"}},
	[BK_ROOM_CALENDAR_CITY_MONTH_IDX] = {"room_calendar_city_month_idx", {"city", "month"}},
	[BK_RATE_PLAN_PKEY] = {"rate_plan_pkey", {"property_id", "room_type", "code"}},
	[BK_RATE_PKEY] = {"rate_pkey", {"property_id", "room_type", "rate_plan", "night"}},
	[BK_EVENT_PASS_PKEY] = {"event_pass_pkey", {"first_position"}},
	[BK_RESERVATION_ID_SEQ] = {"reservation_id_seq"},
	[BK_EVENT_ID_SEQ] = {"event_id_seq"},
};

/*
 * The foreign keys the engine checks itself on insert, in C, as their RI
 * trigger would: the referenced row found and locked FOR KEY SHARE
 * (bk_direct_lock_key), a missing one 23503.  The RI trigger's own check
 * is a SQL query through SPI per row inserted: 45,000 instructions, a
 * tenth of a reserve.  The constraint stays declared (pg_dump orders the
 * tables' data by it, and its other triggers still fire: the update
 * check and the referenced side's), only its insert trigger is left out
 * of the units that write the table.  A table whose constraint is not
 * there as described is written with every trigger it has.
 */
typedef struct BkEngineFkey
{
	BkTable		table;
	BkTable		referenced;
	const char *columns[2];
	const char *referenced_columns[2];
} BkEngineFkey;

static const BkEngineFkey engine_fkeys[] = {
	/* checked by bk_reservation_insert_line (reservation.c) */
	{BK_RESERVATION, BK_ROOM_TYPE, {"property_id", "room_type"}, {"property_id", "code"}},
};

/* The columns the engine reads and writes, by name */
typedef struct BkColumnDef
{
	BkTable		table;
	const char *name;
} BkColumnDef;

static const BkColumnDef column_defs[BK_COLUMN_COUNT] = {
	[BK_PROPERTY_PROPERTY_ID] = {BK_PROPERTY, "property_id"},
	[BK_PROPERTY_NAME] = {BK_PROPERTY, "name"},
	[BK_PROPERTY_CITY] = {BK_PROPERTY, "city"},
	[BK_PROPERTY_TIME_ZONE] = {BK_PROPERTY, "time_zone"},
	[BK_ROOM_TYPE_PROPERTY_ID] = {BK_ROOM_TYPE, "property_id"},
	[BK_ROOM_TYPE_CODE] = {BK_ROOM_TYPE, "code"},
	[BK_ROOM_TYPE_MAX_GUESTS] = {BK_ROOM_TYPE, "max_guests"},
	[BK_ROOM_TYPE_HAS_RULES] = {BK_ROOM_TYPE, "has_rules"},
	[BK_ROOM_TYPE_HAS_RATE_PLANS] = {BK_ROOM_TYPE, "has_rate_plans"},
	[BK_ROOM_TYPE_HAS_PLAN_RULES] = {BK_ROOM_TYPE, "has_plan_rules"},
	[BK_INVENTORY_PROPERTY_ID] = {BK_INVENTORY, "property_id"},
	[BK_INVENTORY_ROOM_TYPE] = {BK_INVENTORY, "room_type"},
	[BK_INVENTORY_NIGHT] = {BK_INVENTORY, "night"},
	[BK_INVENTORY_UNITS] = {BK_INVENTORY, "units"},
	[BK_INVENTORY_HELD] = {BK_INVENTORY, "held"},
	[BK_INVENTORY_BOOKED] = {BK_INVENTORY, "booked"},
	[BK_INVENTORY_PRICE] = {BK_INVENTORY, "price"},
	[BK_INVENTORY_OVERBOOKED] = {BK_INVENTORY, "overbooked"},
	[BK_INVENTORY_WAITING] = {BK_INVENTORY, "waiting"},
	[BK_INVENTORY_BLOCKED] = {BK_INVENTORY, "blocked"},
	[BK_RESERVATION_RESERVATION_ID] = {BK_RESERVATION, "reservation_id"},
	[BK_RESERVATION_PROPERTY_ID] = {BK_RESERVATION, "property_id"},
	[BK_RESERVATION_ROOM_TYPE] = {BK_RESERVATION, "room_type"},
	[BK_RESERVATION_CHECK_IN] = {BK_RESERVATION, "check_in"},
	[BK_RESERVATION_CHECK_OUT] = {BK_RESERVATION, "check_out"},
	[BK_RESERVATION_ROOMS] = {BK_RESERVATION, "rooms"},
	[BK_RESERVATION_GUEST_ID] = {BK_RESERVATION, "guest_id"},
	[BK_RESERVATION_STATE] = {BK_RESERVATION, "state"},
	[BK_RESERVATION_HOLD_EXPIRES_AT] = {BK_RESERVATION, "hold_expires_at"},
	[BK_RESERVATION_TOTAL_PRICE] = {BK_RESERVATION, "total_price"},
	[BK_RESERVATION_PAYMENT_REF] = {BK_RESERVATION, "payment_ref"},
	[BK_RESERVATION_CONFIRMATION_CODE] = {BK_RESERVATION, "confirmation_code"},
	[BK_RESERVATION_CREATED_AT] = {BK_RESERVATION, "created_at"},
	[BK_RESERVATION_UPDATED_AT] = {BK_RESERVATION, "updated_at"},
	[BK_RESERVATION_CANCEL_REASON] = {BK_RESERVATION, "cancel_reason"},
	[BK_RESERVATION_PAYMENT_INTENT] = {BK_RESERVATION, "payment_intent"},
	[BK_RESERVATION_GUESTS] = {BK_RESERVATION, "guests"},
	[BK_RESERVATION_GROUP_ID] = {BK_RESERVATION, "group_id"},
	[BK_RESERVATION_RATE_PLAN] = {BK_RESERVATION, "rate_plan"},
	[BK_RESERVATION_CHILDREN] = {BK_RESERVATION, "children"},
	[BK_RESERVATION_CANCELLATION_FEE] = {BK_RESERVATION, "cancellation_fee"},
	[BK_RESERVATION_BLOCK] = {BK_RESERVATION, "block"},
	[BK_RESERVATION_NIGHT_PRICES] = {BK_RESERVATION, "night_prices"},
	[BK_RESERVATION_NIGHT_EXTRA] = {BK_RESERVATION, "night_extra"},
	[BK_RATE_PLAN_CODE] = {BK_RATE_PLAN, "code"},
	[BK_RATE_PLAN_PARENT] = {BK_RATE_PLAN, "parent"},
	[BK_RATE_PLAN_ADJUST_PCT] = {BK_RATE_PLAN, "adjust_pct"},
	[BK_RATE_PLAN_ADJUST_AMOUNT] = {BK_RATE_PLAN, "adjust_amount"},
	[BK_RATE_PLAN_BASE_OCCUPANCY] = {BK_RATE_PLAN, "base_occupancy"},
	[BK_RATE_PLAN_EXTRA_ADULT] = {BK_RATE_PLAN, "extra_adult"},
	[BK_RATE_PLAN_EXTRA_CHILD] = {BK_RATE_PLAN, "extra_child"},
	[BK_RATE_PLAN_POLICY] = {BK_RATE_PLAN, "policy"},
	[BK_RATE_NIGHT] = {BK_RATE, "night"},
	[BK_RATE_PRICE] = {BK_RATE, "price"},
	[BK_EVENT_PUBLISHER_SCAN_FROM] = {BK_EVENT_PUBLISHER, "scan_from"},
	[BK_EVENT_PASS_FIRST_POSITION] = {BK_EVENT_PASS, "first_position"},
	[BK_EVENT_PASS_EVENT_IDS] = {BK_EVENT_PASS, "event_ids"},
	[BK_EVENT_EVENT_ID] = {BK_EVENT, "event_id"},
	[BK_EVENT_OCCURRED_AT] = {BK_EVENT, "occurred_at"},
	[BK_EVENT_KIND] = {BK_EVENT, "kind"},
	[BK_EVENT_RESERVATION_ID] = {BK_EVENT, "reservation_id"},
	[BK_EVENT_PROPERTY_ID] = {BK_EVENT, "property_id"},
	[BK_EVENT_PAYLOAD] = {BK_EVENT, "payload"},
	[BK_EVENT_WRITER_XID] = {BK_EVENT, "writer_xid"},
	[BK_EVENT_POSITION] = {BK_EVENT, "position"},
	[BK_EVENT_ROOM_TYPE] = {BK_EVENT, "room_type"},
	[BK_EVENT_FIRST_NIGHT] = {BK_EVENT, "first_night"},
	[BK_EVENT_END_NIGHT] = {BK_EVENT, "end_night"},
	[BK_EVENT_FREE_DELTA] = {BK_EVENT, "free_delta"},
	[BK_ROOM_CALENDAR_PROPERTY_ID] = {BK_ROOM_CALENDAR, "property_id"},
	[BK_ROOM_CALENDAR_ROOM_TYPE] = {BK_ROOM_CALENDAR, "room_type"},
	[BK_ROOM_CALENDAR_MONTH] = {BK_ROOM_CALENDAR, "month"},
	[BK_ROOM_CALENDAR_PROPERTY_NAME] = {BK_ROOM_CALENDAR, "property_name"},
	[BK_ROOM_CALENDAR_CITY] = {BK_ROOM_CALENDAR, "city"},
	[BK_ROOM_CALENDAR_TIME_ZONE] = {BK_ROOM_CALENDAR, "time_zone"},
	[BK_ROOM_CALENDAR_MAX_GUESTS] = {BK_ROOM_CALENDAR, "max_guests"},
	[BK_ROOM_CALENDAR_HAS_RULES] = {BK_ROOM_CALENDAR, "has_rules"},
	[BK_ROOM_CALENDAR_FREE] = {BK_ROOM_CALENDAR, "free"},
	[BK_ROOM_CALENDAR_PRICE] = {BK_ROOM_CALENDAR, "price"},
};

/* Their attribute numbers in the tables as they are now (0: unknown) */
AttrNumber	bk_column_attnums[BK_COLUMN_COUNT];	/* read inline by bk_column (booking.h) */

static bool callback_registered = false;

/*
 * Units begun and not ended, and the memory of caches rebuilt while one
 * was: a unit's ResultRelInfo points into its table's cache (the CHECK
 * expressions, each index's IndexInfo), and a unit can begin inside
 * another (a trigger that calls the engine) and rebuild a cache the outer
 * one uses.  The old memory goes when no unit is left, or at the end of
 * the transaction (a unit an error ended never ends).
 */
static int	active_units = 0;
static List *retired_contexts = NIL;
static bool xact_callback_registered = false;

static void
free_retired_contexts(void)
{
	ListCell   *lc;

	foreach(lc, retired_contexts)
		MemoryContextDelete((MemoryContext) lfirst(lc));
	list_free(retired_contexts);
	retired_contexts = NIL;
}

static void
direct_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		active_units = 0;
		free_retired_contexts();
	}
}

/*
 * direct_relcache_callback forgets what it kept about a table when the
 * table or one of its indexes is invalidated (InvalidOid: everything).
 */
static void
direct_relcache_callback(Datum arg, Oid relid)
{
	for (int t = 0; t < BK_TABLE_COUNT; t++)
	{
		BkTableCache *cache = &tables[t];
		bool		hit = !OidIsValid(relid) || relid == cache->relid;

		for (int i = 0; !hit && cache->built && i < cache->nindexes; i++)
			hit = (relid == cache->index_oids[i]);
		if (hit)
		{
			cache->relid = InvalidOid;
			cache->built = false;
			cache->invalidations++;
		}
	}
	for (int i = 0; i < BK_INDEX_COUNT; i++)
		if (!OidIsValid(relid) || relid == indexes[i].relid)
			indexes[i].relid = InvalidOid;
}

/*
 * booking_relation_oid returns the OID of relation `relname` of schema
 * booking, failing when the extension is not installed in this database.
 */
static Oid
booking_relation_oid_if_any(const char *relname)
{
	Oid			namespace;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(direct_relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	namespace = get_namespace_oid("booking", true);
	return OidIsValid(namespace) ? get_relname_relid(relname, namespace) : InvalidOid;
}

static Oid
booking_relation_oid(const char *relname)
{
	Oid			relid = booking_relation_oid_if_any(relname);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation booking.%s does not exist", relname),
				 errhint("Is the booking extension installed in this database, and at its current version?")));
	return relid;
}

/*
 * bk_table_oid returns the OID of one of the engine's tables.
 */
Oid
bk_table_oid(BkTable table)
{
	if (!OidIsValid(tables[table].relid))
		tables[table].relid = booking_relation_oid(tables[table].relname);
	return tables[table].relid;
}

/*
 * bk_index_oid returns the OID of one of the indexes the engine scans.
 */
Oid
bk_index_oid(BkIndex index)
{
	if (!OidIsValid(indexes[index].relid))
		indexes[index].relid = booking_relation_oid(indexes[index].relname);
	return indexes[index].relid;
}

/*
 * engine_column says whether attribute `attnum` of the table `cache`
 * describes is one the engine writes itself (column_defs).
 */
static bool
engine_column(BkTableCache *cache, AttrNumber attnum)
{
	for (int c = 0; c < BK_COLUMN_COUNT; c++)
		if (&tables[column_defs[c].table] == cache && bk_column_attnums[c] == attnum)
			return true;
	return false;
}

/*
 * build_defaults compiles the DEFAULT of every column of `rel` the engine
 * does not write (a column a DBA added, say), identity columns included,
 * so that a row the engine inserts gets them as an INSERT would.  Stored
 * generated columns are computed by ExecSimpleRelationInsert itself.
 * Runs in the cache's memory context.
 */
static void
build_defaults(BkTableCache *cache, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	cache->ndefaults = 0;
	cache->default_attnums = palloc(sizeof(AttrNumber) * Max(desc->natts, 1));
	cache->default_exprs = palloc(sizeof(ExprState *) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		AttrNumber	attnum = i + 1;
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Node	   *expr;

		if (att->attisdropped || att->attgenerated || engine_column(cache, attnum))
			continue;
		expr = build_column_default(rel, attnum);
		if (expr == NULL)
			continue;
		cache->default_attnums[cache->ndefaults] = attnum;
		cache->default_exprs[cache->ndefaults] = ExecInitExpr(expression_planner((Expr *) expr), NULL);
		cache->ndefaults++;
	}
}

/*
 * build_trigger_when compiles the WHEN clause of every row trigger of the
 * table (`triggers`, a copy of its trigger list) as TriggerEnabled would
 * (NEW as OUTER_VAR, OLD as INNER_VAR), so that a unit does not parse and
 * compile them again for each call.  Runs in the cache's memory context.
 */
static void
build_trigger_when(BkTableCache *cache, TriggerDesc *triggers)
{
	cache->ntriggers = triggers != NULL ? triggers->numtriggers : 0;
	cache->trigger_when = NULL;
	for (int i = 0; i < cache->ntriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];
		Node	   *qual;

		if (trigger->tgqual == NULL)
			continue;
		if (cache->trigger_when == NULL)
			cache->trigger_when = palloc0(sizeof(ExprState *) * cache->ntriggers);
		qual = stringToNode(trigger->tgqual);
		ChangeVarNodes(qual, PRS2_OLD_VARNO, INNER_VAR, 0);
		ChangeVarNodes(qual, PRS2_NEW_VARNO, OUTER_VAR, 0);
		qual = (Node *) make_ands_implicit((Expr *) qual);
		cache->trigger_when[i] = ExecInitQual((List *) expression_planner((Expr *) qual), NULL);
	}
}

/*
 * find_unsupported_trigger returns the name of a trigger (of `triggers`) the
 * engine's writes would silently skip, or NULL: a statement-level trigger
 * on INSERT, UPDATE or DELETE, a row trigger with transition tables
 * (REFERENCING), or one on UPDATE OF a column list.  The engine writes
 * rows one at a time, without a statement, so the first two would never
 * see them; and its writes carry no range table entry saying which
 * columns an update sets, so PostgreSQL would never find a listed column
 * among them.  Runs in the cache's memory context.
 */
static char *
find_unsupported_trigger(TriggerDesc *triggers)
{
	if (triggers == NULL)
		return NULL;
	for (int i = 0; i < triggers->numtriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];
		int16		type = trigger->tgtype;
		bool		on_writes = TRIGGER_FOR_INSERT(type) || TRIGGER_FOR_UPDATE(type) ||
			TRIGGER_FOR_DELETE(type);

		if (trigger->tgenabled == TRIGGER_DISABLED)
			continue;
		if (on_writes && (!TRIGGER_FOR_ROW(type) ||
						  trigger->tgoldtable != NULL || trigger->tgnewtable != NULL ||
						  (TRIGGER_FOR_UPDATE(type) && trigger->tgnattr > 0)))
			return pstrdup(trigger->tgname);
	}
	return NULL;
}

/*
 * find_engine_fkey sets the cache's engine_fkey and engine_fkey_trigger
 * when `rel` is a table of engine_fkeys whose foreign key is declared as
 * described there: same referenced table, same columns in the same order,
 * and its RI insert trigger found.
 */
static void
find_engine_fkey(BkTableCache *cache, Relation rel, TriggerDesc *triggers, List *fkeys)
{
	ListCell   *lc;

	cache->engine_fkey = InvalidOid;
	cache->engine_fkey_trigger = InvalidOid;
	for (int f = 0; f < lengthof(engine_fkeys); f++)
	{
		const BkEngineFkey *want = &engine_fkeys[f];
		Oid			referenced;

		if (&tables[want->table] != cache)
			continue;
		referenced = bk_table_oid(want->referenced);
		foreach(lc, fkeys)
		{
			ForeignKeyCacheInfo *fkey = lfirst_node(ForeignKeyCacheInfo, lc);
			bool		same = fkey->confrelid == referenced && fkey->nkeys == lengthof(want->columns);

			for (int k = 0; same && k < fkey->nkeys; k++)
				same = fkey->conkey[k] == get_attnum(RelationGetRelid(rel), want->columns[k]) &&
					fkey->confkey[k] == get_attnum(referenced, want->referenced_columns[k]);
			for (int i = 0; same && triggers != NULL && i < triggers->numtriggers; i++)
				if (triggers->triggers[i].tgconstraint == fkey->conoid &&
					triggers->triggers[i].tgfoid == F_RI_FKEY_CHECK_INS)
				{
					cache->engine_fkey = fkey->conoid;
					cache->engine_fkey_trigger = triggers->triggers[i].tgoid;
					return;
				}
		}
	}
}

/*
 * engine_function_oid returns the OID of booking's function `name` (no
 * arguments), or InvalidOid.
 */
static Oid
engine_function_oid(const char *name)
{
	List	   *qualified = list_make1(makeString(pstrdup("booking")));

	qualified = lappend(qualified, makeString(pstrdup(name)));
	return LookupFuncName(qualified, 0, NULL, true);
}

/*
 * engine_before_triggers_only says whether every BEFORE row trigger (of
 * `triggers`) on `event` (TRIGGER_TYPE_INSERT or _UPDATE) is one of the
 * engine's own, which change no column of the rows the engine writes:
 * the state machine returns the row as it came, and event_local_writer
 * fires (its WHEN) only on rows the engine did not write.  Any other may
 * change any column, after the engine looked at the row.
 */
static bool
engine_before_triggers_only(TriggerDesc *triggers, int16 event)
{
	Oid			state_machine = InvalidOid;
	Oid			local_writer = InvalidOid;
	bool		looked_up = false;

	for (int i = 0; triggers != NULL && i < triggers->numtriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];

		if (trigger->tgenabled == TRIGGER_DISABLED ||
			!TRIGGER_TYPE_MATCHES(trigger->tgtype, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE, event))
			continue;
		if (!looked_up)
		{
			state_machine = engine_function_oid("enforce_state_transition");
			local_writer = engine_function_oid("event_local_writer");
			looked_up = true;
		}
		if (trigger->tgfoid != state_machine && trigger->tgfoid != local_writer)
			return false;
	}
	return true;
}

/*
 * find_key_checks records the RI update triggers of the table's foreign
 * keys (`triggers` and `fkeys`, copies of its lists) that
 * bk_direct_update_columns may leave out, with their columns: those
 * of a constraint that is not deferrable (its insert was checked at the
 * end of the inserting statement).  None when the table has a BEFORE
 * UPDATE row trigger other than the engine's own
 * (`engine_update_triggers_only` false: a trigger that could change a key
 * column the engine does not set).  Runs in the cache's memory context.
 */
static void
find_key_checks(BkTableCache *cache, TriggerDesc *triggers, List *fkeys,
				bool engine_update_triggers_only)
{
	ListCell   *lc;

	cache->nkey_checks = 0;
	if (triggers == NULL || !engine_update_triggers_only)
		return;
	cache->key_check_triggers = palloc(sizeof(Oid) * triggers->numtriggers);
	cache->key_check_nkeys = palloc(sizeof(int16) * triggers->numtriggers);
	cache->key_check_columns = palloc(sizeof(AttrNumber) * INDEX_MAX_KEYS * triggers->numtriggers);
	for (int i = 0; i < triggers->numtriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];

		if (trigger->tgfoid != F_RI_FKEY_CHECK_UPD || trigger->tgdeferrable)
			continue;
		foreach(lc, fkeys)
		{
			ForeignKeyCacheInfo *fkey = lfirst_node(ForeignKeyCacheInfo, lc);
			int			n = cache->nkey_checks;

			if (fkey->conoid != trigger->tgconstraint)
				continue;
			cache->key_check_triggers[n] = trigger->tgoid;
			cache->key_check_nkeys[n] = fkey->nkeys;
			memcpy(cache->key_check_columns[n], fkey->conkey, sizeof(AttrNumber) * fkey->nkeys);
			cache->nkey_checks++;
		}
	}
}

/*
 * build_table_cache compiles, in a memory context of its own, what the
 * executor needs to write to `rel` and is the same on every call: its
 * CHECK constraints (as ExecRelCheck would) and its indexes' IndexInfo,
 * with partial-index predicates compiled (as ExecInsertIndexTuples would).
 */
static void
build_table_cache(BkTableCache *cache, Relation rel)
{
	MemoryContext context;
	MemoryContext old;
	TupleConstr *constr = rel->rd_att->constr;
	List	   *index_list;
	ListCell   *lc;
	int			i = 0;
	uint32		invalidations = cache->invalidations;
	bool		generated;
	bool		engine_update_triggers_only;
	TriggerDesc *triggers;
	List	   *fkeys;

	cache->built = false;
	context = AllocSetContextCreate(CacheMemoryContext, "booking direct-write cache",
									ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(context);

	/*
	 * Copies of the table's triggers and foreign keys, taken before any
	 * catalog lookup: a lookup can take in an invalidation (CREATE INDEX
	 * CONCURRENTLY on the table, say), which rebuilds the relcache entry and
	 * frees the lists it had.  (Its tuple descriptor is kept: it cannot
	 * change while the table is locked.)
	 */
	triggers = CopyTriggerDesc(rel->trigdesc);
	fkeys = copyObject(RelationGetFKeyList(rel));

	if (constr != NULL && constr->num_check > 0)
	{
		cache->check_exprs = palloc(sizeof(ExprState *) * constr->num_check);
		for (int c = 0; c < constr->num_check; c++)
		{
			Expr	   *expr = (Expr *) stringToNode(constr->check[c].ccbin);

			cache->check_exprs[c] = ExecInitExpr(expression_planner(expr), NULL);
		}
	}
	else
		cache->check_exprs = NULL;

	index_list = RelationGetIndexList(rel);
	cache->nindexes = list_length(index_list);
	cache->index_oids = palloc(sizeof(Oid) * Max(cache->nindexes, 1));
	cache->index_info = palloc(sizeof(IndexInfo *) * Max(cache->nindexes, 1));
	foreach(lc, index_list)
	{
		Oid			index_oid = lfirst_oid(lc);
		Relation	index = index_open(index_oid, AccessShareLock);
		IndexInfo  *info = BuildIndexInfo(index);

		if (info->ii_Predicate != NIL)
			info->ii_PredicateState = ExecInitQual((List *) expression_planner((Expr *) info->ii_Predicate),
												   NULL);
		if (info->ii_Expressions != NIL)
			info->ii_ExpressionsState = ExecInitExprList((List *) expression_planner((Expr *) info->ii_Expressions),
														 NULL);
		cache->index_oids[i] = index_oid;
		cache->index_info[i] = info;
		i++;
		index_close(index, NoLock);
	}

	for (int c = 0; c < BK_COLUMN_COUNT; c++)
		if (&tables[column_defs[c].table] == cache)
		{
			int			attnum = SPI_fnumber(RelationGetDescr(rel), column_defs[c].name);

			bk_column_attnums[c] = attnum > 0 ? (AttrNumber) attnum : 0;
		}
	build_defaults(cache, rel);
	cache->unsupported_trigger = find_unsupported_trigger(triggers);
	build_trigger_when(cache, triggers);
	engine_update_triggers_only = engine_before_triggers_only(triggers, TRIGGER_TYPE_UPDATE);
	find_engine_fkey(cache, rel, triggers, fkeys);
	find_key_checks(cache, triggers, fkeys, engine_update_triggers_only);
	/* a stored generated column is computed after open_indexes_for looks */
	generated = constr != NULL && constr->has_generated_stored;
	cache->skip_unmatched_on_insert = !generated && engine_before_triggers_only(triggers, TRIGGER_TYPE_INSERT);
	cache->skip_unmatched_on_update = !generated && engine_update_triggers_only;
	MemoryContextSwitchTo(old);

	if (cache->context != NULL)
	{
		/* the unit building it is one; another may still point into it */
		if (active_units > 1)
		{
			MemoryContextSetParent(cache->context, TopMemoryContext);
			old = MemoryContextSwitchTo(TopMemoryContext);
			retired_contexts = lappend(retired_contexts, cache->context);
			MemoryContextSwitchTo(old);
		}
		else
			MemoryContextDelete(cache->context);
	}
	cache->context = context;
	cache->relid = RelationGetRelid(rel);
	/* an invalidation that came in while building means: build again next time */
	cache->built = (cache->invalidations == invalidations);
}

/*
 * unit_started counts a unit in (active_units, until bk_direct_end), and
 * registers the callback that frees what the units leave at the end of
 * the transaction.
 */
static void
unit_started(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(direct_xact_callback, NULL);
		xact_callback_registered = true;
	}
	active_units++;
}

/*
 * bk_direct_begin starts a unit of work: a snapshot that sees everything
 * the transaction did before (a new one under READ COMMITTED), a command
 * id for this unit's writes, and an executor state.  `writes` says
 * whether the unit will write (then a read-only transaction refuses it,
 * as it would refuse an INSERT).
 */
void
bk_direct_begin(BkDirect *d, bool writes)
{
	memset(d, 0, sizeof(*d));
	unit_started();
	if (writes)
	{
		PreventCommandIfReadOnly("a booking write");
		PreventCommandIfParallelMode("a booking write");
	}
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	d->snapshot = GetActiveSnapshot();
	d->estate = CreateExecutorState();
	d->estate->es_snapshot = d->snapshot;
	d->writes = writes;
	if (writes)
	{
		d->estate->es_output_cid = GetCurrentCommandId(true);
		AfterTriggerBeginQuery();
	}
	d->cid = d->estate->es_output_cid;
}

/*
 * bk_direct_begin_read starts a unit that only reads, in the snapshot of
 * the query that called the function (the one SPI's read-only statements
 * run in, bk_connect_read_only), so that what it reads and what those
 * statements read are one state: search reads the calendar this way and
 * the changes not folded into it through SPI.  No command counter
 * increment: a reader is STABLE.
 */
void
bk_direct_begin_read(BkDirect *d)
{
	memset(d, 0, sizeof(*d));
	unit_started();
	d->reader = true;
	d->snapshot = GetActiveSnapshot();
	d->estate = CreateExecutorState();
	d->estate->es_snapshot = d->snapshot;
	d->cid = d->estate->es_output_cid;
}

/*
 * bk_lock_target_text describes what a lock wait was for, for messages.
 */
char *
bk_lock_target_text(const BkLockTarget *what)
{
	if (what->reservation_id != 0)
		return psprintf("reservation %lld", (long long) what->reservation_id);
	if (what->room_type_row)
		return psprintf("room type \"%s\" at property %lld",
						TextDatumGetCString(what->room_type), (long long) what->property_id);
	return psprintf("the nights of room type \"%s\" at property %lld",
					TextDatumGetCString(what->room_type), (long long) what->property_id);
}

/*
 * bk_direct_relation opens one of the engine's tables for reading (its
 * rows are scanned and locked through bk_direct_scan and bk_direct_lock).
 */
Relation
bk_direct_relation(BkDirect *d, BkTable table)
{
	BkTableCache *cache = &tables[table];

	if (d->rels[table] == NULL)
	{
		/* locking the table takes in the invalidations that concern it */
		Relation	rel = table_open(bk_table_oid(table),
									 d->writes ? RowExclusiveLock : AccessShareLock);

		if (!cache->built || cache->relid != RelationGetRelid(rel))
			build_table_cache(cache, rel);
		d->rels[table] = rel;
	}
	return d->rels[table];
}

/*
 * drop_engine_fkey_trigger takes the RI insert trigger of a foreign key
 * the engine checks itself (engine_fkeys) out of the unit's copy of the
 * table's triggers, keeping the others and their WHEN expressions in
 * step.
 */
static void
drop_engine_fkey_trigger(ResultRelInfo *rri, Oid tgoid)
{
	TriggerDesc *triggers = rri->ri_TrigDesc;
	int			kept = 0;
	bool		after_insert_row = false;

	for (int i = 0; i < triggers->numtriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];

		if (trigger->tgoid == tgoid)
			continue;
		after_insert_row |= TRIGGER_TYPE_MATCHES(trigger->tgtype, TRIGGER_TYPE_ROW,
												 TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		if (kept != i)
		{
			triggers->triggers[kept] = *trigger;
			rri->ri_TrigWhenExprs[kept] = rri->ri_TrigWhenExprs[i];
		}
		kept++;
	}
	triggers->numtriggers = kept;
	triggers->trig_insert_after_row = after_insert_row;
}

/*
 * bk_direct_engine_fkey returns the foreign key of `table` the engine
 * checks itself on insert (engine_fkeys), or InvalidOid: the unit's
 * inserts into `table` must then lock the referenced row with
 * bk_direct_lock_key, since its RI trigger will not.
 */
Oid
bk_direct_engine_fkey(BkDirect *d, BkTable table)
{
	bk_direct_relation(d, table);
	return tables[table].engine_fkey;
}

/*
 * bk_direct_target opens one of the engine's tables for writing: a
 * ResultRelInfo with the table's indexes open and the kept CHECK
 * expressions and IndexInfo plugged in.
 */
ResultRelInfo *
bk_direct_target(BkDirect *d, BkTable table)
{
	BkTableCache *cache = &tables[table];
	ResultRelInfo *rri;
	Relation	rel;

	Assert(d->writes);
	if (d->targets[table] != NULL)
		return d->targets[table];

	rel = bk_direct_relation(d, table);
	if (cache->unsupported_trigger != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("booking cannot write to booking.%s while it has trigger \"%s\"",
						cache->relname, cache->unsupported_trigger),
				 errdetail("The engine writes the rows of its tables one at a time, without an "
						   "SQL statement: a statement-level trigger, a trigger with "
						   "transition tables (REFERENCING) or one on UPDATE OF columns "
						   "would never fire."),
				 errhint("Make it a FOR EACH ROW trigger on UPDATE without REFERENCING or a "
						 "column list (test the columns in the trigger), or read "
						 "booking.read_events for the changes; then DROP TRIGGER %s ON booking.%s.",
						 quote_identifier(cache->unsupported_trigger), cache->relname)));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 0, NULL, 0);
	rri->ri_ConstraintExprs = cache->check_exprs;
	if (cache->trigger_when != NULL && rri->ri_TrigDesc != NULL &&
		rri->ri_TrigDesc->numtriggers == cache->ntriggers)
		memcpy(rri->ri_TrigWhenExprs, cache->trigger_when, sizeof(ExprState *) * cache->ntriggers);
	if (OidIsValid(cache->engine_fkey_trigger) && rri->ri_TrigDesc != NULL)
		drop_engine_fkey_trigger(rri, cache->engine_fkey_trigger);
	/* the indexes are opened by open_indexes_for, as rows need them */
	rri->ri_NumIndices = cache->nindexes;
	rri->ri_IndexRelationDescs = palloc0(sizeof(Relation) * Max(cache->nindexes, 1));
	rri->ri_IndexRelationInfo = cache->index_info;
	d->index_oids[table] = cache->index_oids;
	d->estate->es_opened_result_relations =
		lappend(d->estate->es_opened_result_relations, rri);
	d->targets[table] = rri;
	return rri;
}

/*
 * open_indexes_for opens (RowExclusiveLock) the indexes of the unit's
 * target `rri` that the row in `slot`, about to be written, needs: every
 * index, but with `skip_unmatched` not a partial index whose predicate
 * the row does not satisfy.  ExecInsertIndexTuples passes over an index
 * left unopened (NULL) as over one whose predicate fails: the row puts
 * no entry in it, and nothing else of the write looks at it.  A hold's
 * reservation has no payment reference, intent, confirmation code or
 * group, an event no position yet: their indexes are neither opened nor
 * locked, which keeps a reserve's relation locks within PostgreSQL's 16
 * fast-path slots.  Only when every BEFORE row trigger is the engine's
 * own (engine_before_triggers_only) and no column is a stored generated
 * one: either could change the row after this looked at it.  The
 * table's own lock (RowExclusiveLock) is what CREATE INDEX, REINDEX and
 * DROP INDEX wait for.
 */
static void
open_indexes_for(BkDirect *d, BkTable table, ResultRelInfo *rri, TupleTableSlot *slot,
				 bool skip_unmatched)
{
	ExprContext *econtext = NULL;
	const Oid  *index_oids = d->index_oids[table];	/* as rri was built */

	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
		ExprState  *predicate = rri->ri_IndexRelationInfo[i]->ii_PredicateState;

		if (rri->ri_IndexRelationDescs[i] != NULL)
			continue;
		if (skip_unmatched && predicate != NULL)
		{
			if (econtext == NULL)
			{
				econtext = GetPerTupleExprContext(d->estate);
				econtext->ecxt_scantuple = slot;
			}
			if (!ExecQual(predicate, econtext))
				continue;
		}
		rri->ri_IndexRelationDescs[i] = index_open(index_oids[i], RowExclusiveLock);
	}
}

/*
 * bk_direct_slot returns the unit's slot of one kind for rows of `table`,
 * made on first use and dropped at the end of the unit.  Users clear it
 * when they are done; one use at a time per kind and table.
 */
TupleTableSlot *
bk_direct_slot(BkDirect *d, BkTable table, BkSlot kind)
{
	TupleTableSlot **slot = &d->slots[table][kind];

	if (*slot == NULL)
	{
		Relation	rel = bk_direct_relation(d, table);

		switch (kind)
		{
			case BK_SLOT_FOUND:
			case BK_SLOT_LOCKED:
				*slot = table_slot_create(rel, &d->estate->es_tupleTable);
				break;
			case BK_SLOT_NEW:
				*slot = ExecInitExtraTupleSlot(d->estate, RelationGetDescr(rel), &TTSOpsHeapTuple);
				break;
			default:
				*slot = ExecInitExtraTupleSlot(d->estate, RelationGetDescr(rel), &TTSOpsVirtual);
				break;
		}
	}
	return *slot;
}

/*
 * index_columns_right says whether `irel` leads with the key columns the
 * engine's scans of `index` are built for (checked once per index OID:
 * an index's columns do not change under the same OID).
 */
static bool
index_columns_right(BkIndex index, Relation irel, Relation heap)
{
	BkIndexCache *cache = &indexes[index];
	int			n = 0;

	if (cache->columns_checked == RelationGetRelid(irel))
		return true;
	for (; n < lengthof(cache->columns) && cache->columns[n] != NULL; n++)
	{
		AttrNumber	attnum = get_attnum(RelationGetRelid(heap), cache->columns[n]);

		if (n >= irel->rd_index->indnkeyatts || attnum == InvalidAttrNumber ||
			irel->rd_index->indkey.values[n] != attnum)
			return false;
	}
	cache->columns_checked = RelationGetRelid(irel);
	return true;
}

/*
 * open_scan_index opens `index`, an index of `heap`, to scan it, or
 * returns NULL when it cannot be scanned: not there (dropped, renamed,
 * or dropped while this waited for its lock), or not valid, ready and
 * live (being built or dropped CONCURRENTLY, or left invalid by a build
 * that failed: such an index misses rows).  The planner skips such
 * indexes; so does this.  A kept OID that no longer qualifies is looked
 * up by name once more (REINDEX CONCURRENTLY gives the name to a new
 * index).
 */
static Relation
open_scan_index(BkIndex index, Relation heap, LOCKMODE mode)
{
	for (int attempt = 0; attempt < 2; attempt++)
	{
		Relation	irel;

		if (!OidIsValid(indexes[index].relid))
			indexes[index].relid = booking_relation_oid_if_any(indexes[index].relname);
		if (!OidIsValid(indexes[index].relid))
			return NULL;
		irel = try_relation_open(indexes[index].relid, mode);
		if (irel != NULL)
		{
			if (irel->rd_rel->relkind == RELKIND_INDEX &&
				irel->rd_index->indrelid == RelationGetRelid(heap) &&
				irel->rd_index->indisvalid && irel->rd_index->indisready &&
				irel->rd_index->indislive && index_columns_right(index, irel, heap))
				return irel;
			relation_close(irel, mode);
		}
		indexes[index].relid = InvalidOid;
	}
	return NULL;
}

static IndexScanDesc start_scan(BkDirect *d, BkTable table, BkIndex index, ScanKey keys,
								int nkeys, bool want_itup);
static IndexScanDesc require_scan(IndexScanDesc scan, BkIndex index);

/*
 * bk_direct_scan_if_usable starts an index scan of `index` (of `table`)
 * with the given keys, in the unit's snapshot, or returns NULL when the
 * index cannot be scanned now (open_scan_index): a reader that can find
 * its rows another way does so.  Each key's collation is set to the
 * index column's, so text keys compare as the index sorts.
 */
IndexScanDesc
bk_direct_scan_if_usable(BkDirect *d, BkTable table, BkIndex index, ScanKey keys, int nkeys)
{
	return start_scan(d, table, index, keys, nkeys, false);
}

/*
 * bk_direct_scan_entries is bk_direct_scan for a walk that reads each
 * entry's index tuple (scan->xs_itup, its INCLUDE columns too) before it
 * decides whether to fetch the row: index_getnext_tid, then
 * index_fetch_heap for the entries it wants.
 */
IndexScanDesc
bk_direct_scan_entries(BkDirect *d, BkTable table, BkIndex index, ScanKey keys, int nkeys)
{
	return require_scan(start_scan(d, table, index, keys, nkeys, true), index);
}

/*
 * start_scan starts an index scan of `index` (of `table`) with the given
 * keys in the unit's snapshot, the index tuples kept when want_itup, or
 * returns NULL when the index cannot be scanned now (open_scan_index).
 */
static IndexScanDesc
start_scan(BkDirect *d, BkTable table, BkIndex index, ScanKey keys, int nkeys, bool want_itup)
{
	Relation	heap = bk_direct_relation(d, table);
	IndexScanDesc scan;
	Relation	irel;

	if (d->indexes[index] == NULL)
		d->indexes[index] = open_scan_index(index, heap,
											d->writes ? RowExclusiveLock : AccessShareLock);
	irel = d->indexes[index];
	if (irel == NULL)
		return NULL;
	for (int k = 0; k < nkeys; k++)
		keys[k].sk_collation = irel->rd_indcollation[keys[k].sk_attno - 1];
	scan = index_beginscan(heap, irel, d->snapshot, nkeys, 0);
	scan->xs_want_itup = want_itup;	/* read by the rescan: btree keeps them */
	index_rescan(scan, keys, nkeys, NULL, 0);
	return scan;
}

/*
 * bk_direct_scan is bk_direct_scan_if_usable for an index the engine
 * cannot do without: one that cannot be scanned is an error (55000),
 * never a scan of an index that misses rows.
 */
IndexScanDesc
bk_direct_scan(BkDirect *d, BkTable table, BkIndex index, ScanKey keys, int nkeys)
{
	return require_scan(start_scan(d, table, index, keys, nkeys, false), index);
}

/*
 * bk_direct_rescan starts `scan`, begun by bk_direct_scan on `index`,
 * again with other keys: a walk that looks up many keys one after the
 * other pays for beginning and ending its scan once.
 */
void
bk_direct_rescan(BkDirect *d, IndexScanDesc scan, BkIndex index, ScanKey keys, int nkeys)
{
	Relation	irel = d->indexes[index];

	Assert(irel != NULL && scan->indexRelation == irel);
	for (int k = 0; k < nkeys; k++)
		keys[k].sk_collation = irel->rd_indcollation[keys[k].sk_attno - 1];
	index_rescan(scan, keys, nkeys, NULL, 0);
}

/* require_scan returns `scan`, or refuses an index that cannot be scanned */
static IndexScanDesc
require_scan(IndexScanDesc scan, BkIndex index)
{
	if (scan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index booking.%s cannot be scanned", indexes[index].relname),
				 errdetail("It is missing, or not valid: being built or dropped concurrently, or left invalid by a build that failed."),
				 errhint("Let the concurrent build or drop finish, or rebuild it: REINDEX INDEX CONCURRENTLY booking.%s (or recreate it as the extension's script does).",
						 indexes[index].relname)));
	return scan;
}

/*
 * RowOp: one call that may wait for another transaction's hold on a row,
 * table_tuple_lock or (update) table_tuple_update, with its arguments and
 * what it reports back.
 */
typedef struct RowOp
{
	bool		update;			/* table_tuple_update, else table_tuple_lock */
	Relation	rel;
	ItemPointer tid;
	TupleTableSlot *slot;		/* the locked version, or the new row */
	LockTupleMode mode;			/* lock only */
	LockWaitPolicy wait;		/* lock only; an update always waits */
	uint8		flags;			/* lock only */
	bool		update_indexes; /* update only: out */
	TM_FailureData tmfd;		/* out */
} RowOp;

static TM_Result
run_row_op(BkDirect *d, RowOp *op)
{
	LockTupleMode lockmode;

	if (op->update)
		return table_tuple_update(op->rel, op->tid, op->slot, d->cid, d->snapshot,
								  InvalidSnapshot, true, &op->tmfd, &lockmode,
								  &op->update_indexes);
	return table_tuple_lock(op->rel, op->tid, d->snapshot, op->slot, d->cid, op->mode,
							op->wait, op->flags, &op->tmfd);
}

/*
 * run_row_op_bounded runs `op`, its wait bounded by booking.lock_timeout
 * and the session's lock_timeout (lockwait.c): a wait that runs out is
 * BK007, naming `what` it waited for.  An op that does not wait
 * (LockWaitSkip, LockWaitError), or a session with neither timeout, runs
 * as it is.
 */
static TM_Result
run_row_op_bounded(BkDirect *d, RowOp *op, const BkLockTarget *what)
{
	MemoryContext context = CurrentMemoryContext;
	BkLockWait	lock_wait;
	TM_Result	result;

	if ((!op->update && op->wait != LockWaitBlock) ||
		(booking_lock_timeout_ms <= 0 && LockTimeout == 0))
		return run_row_op(d, op);
	bk_lock_wait_begin(&lock_wait);
	PG_TRY();
	{
		result = run_row_op(d, op);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		if (!bk_lock_wait_timed_out(&lock_wait, edata))
			PG_RE_THROW();
		bk_report_lock_timeout(edata, bk_lock_target_text(what), &lock_wait);
	}
	PG_END_TRY();
	if (bk_lock_wait_end(&lock_wait))
		bk_report_lock_timeout(NULL, bk_lock_target_text(what), &lock_wait);
	return result;
}

/*
 * lock_row locks the row `tid` of `table` in `mode`, as bk_direct_lock
 * and bk_direct_lock_key describe; `flags` are table_tuple_lock's.
 * `found_earlier`: see bk_direct_lock_earlier.
 */
static bool
lock_row(BkDirect *d, BkTable table, ItemPointer tid, TupleTableSlot *slot,
		 LockTupleMode mode, uint8 flags, LockWaitPolicy wait, const BkLockTarget *what,
		 bool found_earlier)
{
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	RowOp		op = {false, bk_direct_relation(d, table), tid, slot, mode, wait, flags};
	TM_Result	result;

	if (!xact_snapshot)
		op.flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
	result = run_row_op_bounded(d, &op, what);
	switch (result)
	{
		case TM_Ok:
			if (xact_snapshot && op.tmfd.traversed)
				break;			/* cannot happen without the flag */
			return true;
		case TM_Updated:
		case TM_Deleted:
			if (!xact_snapshot && result == TM_Deleted)
				return false;
			break;
		case TM_WouldBlock:
			return false;		/* LockWaitSkip: someone else has it */
		case TM_Invisible:
			if (found_earlier)
				return false;	/* this transaction replaced it since */
			elog(ERROR, "booking: unexpected result %d locking a row of booking.%s",
				 (int) result, tables[table].relname);
			break;
		case TM_SelfModified:
			elog(ERROR, "booking: row of booking.%s already modified by this command",
				 tables[table].relname);
			break;
		default:
			elog(ERROR, "booking: unexpected result %d locking a row of booking.%s",
				 (int) result, tables[table].relname);
	}
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent update"),
			 errdetail("A row of booking.%s changed after this transaction's snapshot was taken.",
					   tables[table].relname),
			 errhint("Retry the transaction; under READ COMMITTED this cannot happen.")));
	return false;				/* not reached */
}

/*
 * bk_direct_lock locks the row `tid` of `table` (found in the unit's
 * snapshot) FOR NO KEY UPDATE and puts the locked version in `slot`.
 *
 * Under READ COMMITTED the newest version is locked, following the update
 * chain; the caller must check that it still matches what it looked for.
 * Returns false when the row was deleted meanwhile, or, with
 * LockWaitSkip, when another transaction has it locked.  Under REPEATABLE
 * READ and SERIALIZABLE a row changed or deleted after the snapshot fails
 * with 40001, as SELECT ... FOR UPDATE does.  A blocking wait is bounded
 * by booking.lock_timeout and the session's lock_timeout (lockwait.c):
 * one that runs out is BK007, naming `what`.
 */
bool
bk_direct_lock(BkDirect *d, BkTable table, ItemPointer tid, TupleTableSlot *slot,
			   LockWaitPolicy wait, const BkLockTarget *what)
{
	return lock_row(d, table, tid, slot, LockTupleNoKeyExclusive, 0, wait, what, false);
}

/*
 * bk_direct_lock_earlier is bk_direct_lock (waiting) for a row an earlier
 * unit of the same call found: it returns false also when the version
 * found is no longer one this unit can see, because this transaction
 * replaced it since (a trigger of the earlier unit, say); the caller
 * looks for the row again.
 */
bool
bk_direct_lock_earlier(BkDirect *d, BkTable table, ItemPointer tid, TupleTableSlot *slot,
					   const BkLockTarget *what)
{
	return lock_row(d, table, tid, slot, LockTupleNoKeyExclusive, 0, LockWaitBlock, what, true);
}

/*
 * bk_direct_lock_key locks the row `tid` of `table` FOR KEY SHARE, as a
 * foreign key's RI trigger locks the row it references (SELECT ... FOR
 * KEY SHARE, which also locks the versions an update in progress makes):
 * no one can delete the row or change its key until the transaction
 * ends.  An update of its other columns neither waits nor fails, under
 * any isolation level.  Returns false when the row was deleted (READ
 * COMMITTED); under REPEATABLE READ and SERIALIZABLE that fails with
 * 40001, as the RI trigger's query does.  Waits as bk_direct_lock.
 */
bool
bk_direct_lock_key(BkDirect *d, BkTable table, ItemPointer tid, TupleTableSlot *slot,
				   const BkLockTarget *what)
{
	return lock_row(d, table, tid, slot, LockTupleKeyShare,
					TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS, LockWaitBlock, what, false);
}

/*
 * bk_direct_update replaces the row at `tid` (locked by this transaction)
 * with the row in `newslot`: BEFORE ROW triggers, constraints, a HOT
 * update when it can, index entries, AFTER ROW triggers.
 */
void
bk_direct_update(BkDirect *d, BkTable table, ItemPointer tid, TupleTableSlot *newslot)
{
	ResultRelInfo *rri = bk_direct_target(d, table);
	TupleTableSlot *searchslot = d->searchslot;

	if (!d->epq_ready)
	{
		EvalPlanQualInit(&d->epqstate, d->estate, NULL, NIL, -1);
		d->epq_ready = true;
	}
	if (searchslot == NULL || searchslot->tts_tupleDescriptor != RelationGetDescr(rri->ri_RelationDesc))
		searchslot = d->searchslot = ExecInitExtraTupleSlot(d->estate,
															RelationGetDescr(rri->ri_RelationDesc),
															&TTSOpsVirtual);
	searchslot->tts_tid = *tid;
	open_indexes_for(d, table, rri, newslot, tables[table].skip_unmatched_on_update);
	ExecSimpleRelationUpdate(rri, d->estate, &d->epqstate, searchslot, newslot);
	ResetPerTupleExprContext(d->estate);
}

/*
 * KeyChecksLeftOut: the RI update checks leave_out_key_checks disabled
 * for one update, to be enabled again by restore_key_checks.
 */
typedef struct KeyChecksLeftOut
{
	int			n;
	int			triggers[8];	/* indexes into the TriggerDesc */
	char		saved[8];		/* their tgenabled */
	bool		after_row_off;	/* trig_update_after_row cleared: none left */
} KeyChecksLeftOut;

/*
 * after_row_update_triggers_left says whether any AFTER ROW UPDATE
 * trigger of `triggers` is not disabled.
 */
static bool
after_row_update_triggers_left(const TriggerDesc *triggers)
{
	for (int i = 0; i < triggers->numtriggers; i++)
	{
		int16		type = triggers->triggers[i].tgtype;

		if (TRIGGER_FOR_ROW(type) && TRIGGER_FOR_AFTER(type) && TRIGGER_FOR_UPDATE(type) &&
			triggers->triggers[i].tgenabled != TRIGGER_DISABLED)
			return true;
	}
	return false;
}

/*
 * leave_out_key_checks disables, for one update of `table` whose new row
 * differs from the version it replaces (written by transaction
 * `old_xmin`) only in the columns `attnums`, the RI update check of each
 * foreign key none of whose columns is among them, as
 * RI_FKey_fk_upd_check_required would find it not required (comparing
 * the keys, 3,000 instructions per row) — unless that version was
 * written by this transaction, when that function fires the check too
 * (the row's insert may not have been checked yet).  find_key_checks
 * says which constraints qualify.  When that leaves no AFTER ROW UPDATE
 * trigger to fire, the update queues no trigger event at all
 * (trig_update_after_row is cleared for it): ExecARUpdateTriggers would
 * otherwise fetch the old version again only to find every trigger
 * disabled.
 */
static void
leave_out_key_checks(BkTable table, ResultRelInfo *rri, TransactionId old_xmin,
					 int ncolumns, const int *attnums, KeyChecksLeftOut *left_out)
{
	BkTableCache *cache = &tables[table];
	TriggerDesc *triggers = rri->ri_TrigDesc;

	left_out->n = 0;
	left_out->after_row_off = false;
	if (cache->nkey_checks == 0 || triggers == NULL ||
		TransactionIdIsCurrentTransactionId(old_xmin))
		return;
	for (int i = 0; i < triggers->numtriggers && left_out->n < lengthof(left_out->triggers); i++)
	{
		Trigger    *trigger = &triggers->triggers[i];

		for (int k = 0; k < cache->nkey_checks; k++)
		{
			bool		key_set = false;

			if (cache->key_check_triggers[k] != trigger->tgoid)
				continue;
			for (int c = 0; !key_set && c < cache->key_check_nkeys[k]; c++)
				for (int a = 0; !key_set && a < ncolumns; a++)
					key_set = cache->key_check_columns[k][c] == attnums[a];
			if (key_set)
				break;
			left_out->saved[left_out->n] = trigger->tgenabled;
			left_out->triggers[left_out->n++] = i;
			trigger->tgenabled = TRIGGER_DISABLED;
			break;
		}
	}
	if (left_out->n > 0 && triggers->trig_update_after_row &&
		!triggers->trig_update_new_table && !triggers->trig_update_old_table &&
		!after_row_update_triggers_left(triggers))
	{
		triggers->trig_update_after_row = false;
		left_out->after_row_off = true;
	}
}

static void
restore_key_checks(ResultRelInfo *rri, const KeyChecksLeftOut *left_out)
{
	for (int j = 0; j < left_out->n; j++)
		rri->ri_TrigDesc->triggers[left_out->triggers[j]].tgenabled = left_out->saved[j];
	if (left_out->after_row_off)
		rri->ri_TrigDesc->trig_update_after_row = true;
}

/*
 * bk_direct_update_columns is bk_direct_update for a new row that differs
 * from the version it replaces (written by transaction `old_xmin`) only
 * in the columns `attnums`: the RI update checks that cannot be needed
 * are left out (leave_out_key_checks).
 */
void
bk_direct_update_columns(BkDirect *d, BkTable table, ItemPointer tid, TransactionId old_xmin,
						 TupleTableSlot *newslot, int ncolumns, const int *attnums)
{
	ResultRelInfo *rri = bk_direct_target(d, table);
	KeyChecksLeftOut left_out;

	leave_out_key_checks(table, rri, old_xmin, ncolumns, attnums, &left_out);
	bk_direct_update(d, table, tid, newslot);
	restore_key_checks(rri, &left_out);
}

/*
 * bk_direct_updates_unlocked says whether rows of `table` may be written
 * by bk_direct_update_columns_if_newest: not when the table has BEFORE
 * ROW UPDATE triggers, which would run for a version that may turn out
 * not to be the newest.
 */
bool
bk_direct_updates_unlocked(BkDirect *d, BkTable table)
{
	TriggerDesc *triggers = bk_direct_target(d, table)->ri_TrigDesc;

	return triggers == NULL || !triggers->trig_update_before_row;
}

/*
 * version_not_updatable says whether the version at `tid` of `rel`
 * (written by transaction `xmin`) must not be given to heap_update: it
 * was updated or deleted by this transaction (a trigger, say), and
 * heap_update refuses such a version with an error, not a result.  The
 * version is one this call found, which cannot have been pruned since
 * (see bk_nights_lock_read); should the item not be that version any more
 * (not a tuple, or another transaction's), it is not given either, so
 * that the row is locked the usual way.
 */
static bool
version_not_updatable(Relation rel, ItemPointer tid, TransactionId xmin)
{
	Buffer		buffer = ReadBuffer(rel, ItemPointerGetBlockNumber(tid));
	Page		page;
	ItemId		item;
	bool		not_updatable = true;

	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buffer);
	item = PageGetItemId(page, ItemPointerGetOffsetNumber(tid));
	if (ItemPointerGetOffsetNumber(tid) <= PageGetMaxOffsetNumber(page) && ItemIdIsNormal(item))
	{
		HeapTupleHeader header = (HeapTupleHeader) PageGetItem(page, item);

		not_updatable = !TransactionIdEquals(HeapTupleHeaderGetXmin(header), xmin) ||
			(!(header->t_infomask & HEAP_XMAX_INVALID) &&
			 !HEAP_XMAX_IS_LOCKED_ONLY(header->t_infomask) &&
			 TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetUpdateXid(header)));
	}
	UnlockReleaseBuffer(buffer);
	return not_updatable;
}

/*
 * bk_direct_update_columns_if_newest is bk_direct_update_columns for a
 * row this transaction has not locked: the version at `tid`, found in
 * this unit's snapshot or an earlier unit's of the same call, is replaced
 * by the row in `newslot` (built from that version) only if it is still
 * the newest.  The update takes the row's lock itself, as an UPDATE
 * does, waiting (as bk_direct_lock does, bounded the same way) for a
 * transaction that holds it; so one row lock is taken instead of two,
 * and no lock record is written.  Returns TM_Ok when the row was
 * written; otherwise the result that says why not, and nothing was
 * written (TM_Updated, TM_Deleted: another transaction replaced or
 * deleted the version; TM_Invisible: this transaction did, or the item
 * is not that version any more).  The caller then locks the row the
 * usual way (bk_direct_lock), which follows the update chain under READ
 * COMMITTED and fails 40001 under REPEATABLE READ and SERIALIZABLE.
 *
 * Only for tables bk_direct_updates_unlocked allows.  The constraints are
 * evaluated on the row written, after the heap has it and before its
 * index entries (an error rolls both back): a row built from a version
 * that turns out not to be the newest is never judged.  (A CHECK that
 * called a function reading the table itself, which PostgreSQL does not
 * support, could see the new version in the heap and not in the
 * indexes.)  Then, as ExecSimpleRelationUpdate: index entries, AFTER ROW
 * triggers.
 */
TM_Result
bk_direct_update_columns_if_newest(BkDirect *d, BkTable table, ItemPointer tid,
								   TransactionId old_xmin, TupleTableSlot *newslot,
								   int ncolumns, const int *attnums, const BkLockTarget *what)
{
	ResultRelInfo *rri = bk_direct_target(d, table);
	Relation	rel = rri->ri_RelationDesc;
	EState	   *estate = d->estate;
	KeyChecksLeftOut left_out;
	RowOp		op = {true, rel, tid, newslot};
	List	   *recheck = NIL;
	TM_Result	result;

	Assert(bk_direct_updates_unlocked(d, table));
	if (version_not_updatable(rel, tid, old_xmin))
		return TM_Invisible;
	CheckCmdReplicaIdentity(rel, CMD_UPDATE);
	if (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
		ExecComputeStoredGenerated(rri, estate, newslot, CMD_UPDATE);
	result = run_row_op_bounded(d, &op, what);
	if (result != TM_Ok)
		return result;
	if (rel->rd_att->constr)
		ExecConstraints(rri, newslot, estate);
	if (rel->rd_rel->relispartition)
		ExecPartitionCheck(rri, newslot, estate, true);
	open_indexes_for(d, table, rri, newslot, tables[table].skip_unmatched_on_update);
	if (rri->ri_NumIndices > 0 && op.update_indexes)
		recheck = ExecInsertIndexTuples(rri, newslot, estate, true, false, NULL, NIL);
	leave_out_key_checks(table, rri, old_xmin, ncolumns, attnums, &left_out);
	ExecARUpdateTriggers(estate, rri, NULL, NULL, tid, NULL, newslot, recheck, NULL, false);
	restore_key_checks(rri, &left_out);
	list_free(recheck);
	ResetPerTupleExprContext(estate);
	return TM_Ok;
}

/*
 * bk_direct_insert inserts the row in `slot`, a virtual slot holding the
 * engine's columns (its tts_tid is set to where it went): the DEFAULTs of
 * the other columns, BEFORE ROW triggers, constraints, the heap, every
 * index, AFTER ROW triggers (foreign keys are checked at bk_direct_end).
 */
void
bk_direct_insert(BkDirect *d, BkTable table, TupleTableSlot *slot)
{
	ResultRelInfo *rri = bk_direct_target(d, table);
	BkTableCache *cache = &tables[table];

	Assert(TTS_IS_VIRTUAL(slot));
	if (cache->ndefaults > 0)
	{
		ExprContext *econtext = GetPerTupleExprContext(d->estate);

		for (int i = 0; i < cache->ndefaults; i++)
		{
			AttrNumber	attnum = cache->default_attnums[i];

			slot->tts_values[attnum - 1] = ExecEvalExpr(cache->default_exprs[i], econtext,
														&slot->tts_isnull[attnum - 1]);
		}
	}
	open_indexes_for(d, table, rri, slot, cache->skip_unmatched_on_insert);
	ExecSimpleRelationInsert(rri, d->estate, slot);
	ResetPerTupleExprContext(d->estate);
}

/*
 * bk_direct_end finishes a unit: fires the queued AFTER triggers (foreign
 * key checks), drops the slots, closes the relations (their locks are
 * kept until the end of the transaction) and frees the executor state.
 */
void
bk_direct_end(BkDirect *d)
{
	ListCell   *lc;

	if (d->writes)
		AfterTriggerEndQuery(d->estate);

	/*
	 * The relations the AFTER triggers opened for their events' targets
	 * (ExecGetTriggerResultRel: a table an ON UPDATE CASCADE reaches, say).
	 * ExecCloseResultRelations would close them, and the indexes of this
	 * unit's targets too, which are closed below.
	 */
	foreach(lc, d->estate->es_trig_target_relations)
		table_close(((ResultRelInfo *) lfirst(lc))->ri_RelationDesc, NoLock);
	d->estate->es_trig_target_relations = NIL;
	if (d->epq_ready)
		EvalPlanQualEnd(&d->epqstate);
	ExecResetTupleTable(d->estate->es_tupleTable, false);
	for (int t = 0; t < BK_TABLE_COUNT; t++)
	{
		ResultRelInfo *rri = d->targets[t];

		if (rri != NULL)
			for (int i = 0; i < rri->ri_NumIndices; i++)
				if (rri->ri_IndexRelationDescs[i] != NULL)
					index_close(rri->ri_IndexRelationDescs[i], NoLock);
	}
	for (int i = 0; i < BK_INDEX_COUNT; i++)
		if (d->indexes[i] != NULL)
			index_close(d->indexes[i], NoLock);
	for (int t = 0; t < BK_TABLE_COUNT; t++)
		if (d->rels[t] != NULL)
			table_close(d->rels[t], NoLock);
	FreeExecutorState(d->estate);
	if (!d->reader)
		PopActiveSnapshot();
	d->estate = NULL;
	if (active_units > 0 && --active_units == 0 && retired_contexts != NIL)
		free_retired_contexts();
}

/*
 * bk_slot_new_row empties a virtual slot for a new row: every column NULL
 * until bk_slot_set gives it a value (the columns left NULL get their
 * DEFAULT in bk_direct_insert).
 */
void
bk_slot_new_row(TupleTableSlot *slot)
{
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
}

/*
 * bk_slot_set sets one of the engine's columns in a row being built.
 */
void
bk_slot_set(TupleTableSlot *slot, BkColumn column, Datum value)
{
	AttrNumber	attnum = bk_column(column);

	slot->tts_values[attnum - 1] = value;
	slot->tts_isnull[attnum - 1] = false;
}

/*
 * bk_direct_null_column raises the error of bk_direct_get_notnull (inline,
 * booking.h): a row the engine wrote always has the column.
 */
void
bk_direct_null_column(TupleTableSlot *slot, AttrNumber attnum)
{
	elog(ERROR, "booking: unexpected NULL in column %d of %s", attnum,
		 NameStr(TupleDescAttr(slot->tts_tupleDescriptor, attnum - 1)->attname));
}

/*
 * bk_column_missing raises the error of bk_column (inline, booking.h): the
 * column does not exist in the table as it is now (a database whose
 * extension is older than the library).
 */
void
bk_column_missing(BkColumn column)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of booking.%s does not exist",
					column_defs[column].name, tables[column_defs[column].table].relname),
			 errhint("Run ALTER EXTENSION booking UPDATE.")));
}

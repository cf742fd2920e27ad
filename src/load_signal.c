/*-------------------------------------------------------------------------
 * load_signal.c
 *    How the engine knows that rows came into booking.event by other
 *    means than its own: the rows of booking.event_load_signal that a
 *    load leaves (the event trigger booking_event_table_altered, and the
 *    row trigger event_local_writer for rows that come with a position:
 *    events.c), and whether event_local_writer is armed (enabled ALWAYS),
 *    without which a load can bring rows with another cluster's xids and
 *    signal nothing.  The publisher (publisher.c) and the calendar's
 *    refresh (calendar.c) ask; nothing here writes.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "booking.h"

/*
 * bk_rounds_look_from_start says whether the sweeper's rounds and purge()
 * must walk the unpublished events from the start, as they did up to 1.2:
 * when the schema has no load signal (a database still at 1.2), or when
 * event_local_writer is not enabled ALWAYS.  pg_restore --disable-triggers
 * enables it again with ENABLE TRIGGER ALL, for origin sessions only, and
 * a superuser may leave it disabled: rows can then come in with another
 * cluster's xids by no statement that signals them (an insert in a
 * session_replication_role = replica session, rows inserted while it
 * stays disabled), and only a walk from the start finds them.  ALTER
 * TABLE booking.event ENABLE ALWAYS TRIGGER event_local_writer puts it
 * back (docs/operations.md).  The trigger is known by its name: an owner
 * who puts another trigger of that name in its place (renaming the real
 * one) defeats the check, as a third outside attack showed; only the
 * owner or a superuser can.
 */
bool
bk_rounds_look_from_start(void)
{
	Relation	event;
	bool		armed = false;

	if (!bk_schema_has_load_signal())
		return true;
	event = table_open(get_relname_relid("event", get_namespace_oid("booking", false)), AccessShareLock);
	for (int i = 0; event->trigdesc != NULL && i < event->trigdesc->numtriggers; i++)
	{
		Trigger    *trigger = &event->trigdesc->triggers[i];

		if (strcmp(trigger->tgname, "event_local_writer") == 0)
			armed = trigger->tgenabled == TRIGGER_FIRES_ALWAYS;
	}
	table_close(event, AccessShareLock);
	return !armed;
}

/*
 * signal_tids returns the TIDs of the rows of booking.event_load_signal
 * that `snapshot` sees (only the first when first_only), NIL when none.
 * A heap scan of a table that is nearly always empty.
 */
static List *
signal_tids(Snapshot snapshot, bool first_only)
{
	Relation	rel = table_open(get_relname_relid("event_load_signal", get_namespace_oid("booking", false)),
								 AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	List	   *seen = NIL;

	while ((seen == NIL || !first_only) && table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		ItemPointer tid = palloc(sizeof(ItemPointerData));

		ItemPointerCopy(&slot->tts_tid, tid);
		seen = lappend(seen, tid);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return seen;
}

/*
 * bk_load_signals returns the TIDs of the rows of booking.event_load_signal
 * that the active snapshot sees, as a tid[], or 0 when it sees none.  It
 * is read before the pass's walk, whose snapshot bk_direct_begin takes
 * afterwards (the same or newer), so the rows of every load it has a
 * signal of are in the walk: read after the walk, in a newer snapshot, it
 * could see a load's signal, which the pass then deletes, and not rows
 * the walk missed.  Once per pass.
 */
Datum
bk_load_signals(void)
{
	List	   *seen = signal_tids(GetActiveSnapshot(), false);
	Datum	   *tids;
	ListCell   *lc;
	int			n = 0;

	if (seen == NIL)
		return (Datum) 0;
	tids = palloc(sizeof(Datum) * list_length(seen));
	foreach(lc, seen)
		tids[n++] = PointerGetDatum(lfirst(lc));
	return PointerGetDatum(construct_array(tids, n, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
}

/*
 * bk_load_signalled says whether a row of booking.event_load_signal has
 * committed (the latest snapshot): a load that may have brought events
 * with another cluster's xids, which no pass has published yet (a pass
 * deletes the signals once it has).
 */
bool
bk_load_signalled(void)
{
	return signal_tids(GetLatestSnapshot(), true) != NIL;
}

/*-------------------------------------------------------------------------
 * fold_hint.c
 *    Where the fold last wrote each calendar row, so that the next fold of
 *    that row can read it there instead of walking the calendar's primary
 *    key (calendar.c's fold_month: the walk was a third of the sweeper's
 *    work per event).
 *
 * A hint is only a place to look.  What is found there is used only when
 * the version at that place is visible to the unit's snapshot and carries
 * the same (property_id, room_type, month): the primary key makes that
 * version the one the index would have given, since a snapshot sees at
 * most one version of a row with a given key.  Anything else (the slot
 * reused after VACUUM, the table rewritten or truncated, the row updated
 * by a recomputation, the version's transaction aborted) sends the fold
 * to the index, which then gives the next hint.
 *
 * The hints are per process (the sweeper, or a backend that publishes
 * where no sweeper serves the database), at most HINT_LIMIT of them (about
 * 5 MB); past that the table starts again empty.  Publishing runs at READ
 * COMMITTED only (bk_publish_events), where each unit's snapshot sees one
 * version of a row; were it ever to run at SERIALIZABLE, the hints are
 * not used there, so that the index walk takes its predicate locks.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "booking.h"

/* More hints than this and the table starts again (about 50 bytes each) */
#define HINT_LIMIT	100000

typedef struct FoldHintKey
{
	int64		property_id;
	DateADT		month;
	uint32		room_type_hash; /* a collision only costs a miss */
} FoldHintKey;

typedef struct FoldHint
{
	FoldHintKey key;
	ItemPointerData tid;
} FoldHint;

static HTAB *hints = NULL;

/* The key of a calendar row in the table of hints */
static FoldHintKey
hint_key(int64 property_id, Datum room_type, DateADT month)
{
	text	   *code = DatumGetTextPP(room_type);
	FoldHintKey key;

	memset(&key, 0, sizeof(key));
	key.property_id = property_id;
	key.month = month;
	key.room_type_hash = hash_bytes((const unsigned char *) VARDATA_ANY(code),
									VARSIZE_ANY_EXHDR(code));
	return key;
}

static void
create_hints(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(FoldHintKey);
	ctl.entrysize = sizeof(FoldHint);
	ctl.hcxt = TopMemoryContext;
	hints = hash_create("booking fold hints", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * same_key says whether a calendar row has the key (property_id,
 * room_type, month).
 */
static bool
same_key(TupleTableSlot *row, int64 property_id, Datum room_type, DateADT month)
{
	return DatumGetInt64(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_PROPERTY_ID))) == property_id &&
		DatumGetDateADT(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_MONTH))) == month &&
		bk_same_text(bk_direct_get_notnull(row, bk_column(BK_ROOM_CALENDAR_ROOM_TYPE)), room_type);
}

/*
 * bk_fold_hint_fetch puts in `found` the version of the calendar row
 * (property_id, room_type, month) that the unit's snapshot sees, read at
 * the place the last fold of this process wrote it, and returns true; or
 * returns false (no hint, or not that row there), leaving `found` empty,
 * and the caller walks the index.  `calendar_blocks` is the calendar's
 * size, taken once the unit had opened (and locked) it: a hint past it
 * (the table truncated by VACUUM since) is not read.  Prunes the page
 * first, as an index fetch would, so that the fold's update finds room
 * on it.
 */
bool
bk_fold_hint_fetch(BkDirect *d, Relation calendar, BlockNumber calendar_blocks,
				   int64 property_id, Datum room_type, DateADT month, TupleTableSlot *found)
{
	FoldHintKey key;
	FoldHint   *hint;
	Buffer		buffer;
	Page		page;
	OffsetNumber offnum;
	ItemId		item;
	HeapTuple	tuple;
	bool		visible = false;

	/* the slot is a buffer slot, whose own HeapTupleData it keeps pointing to */
	if (hints == NULL || IsolationIsSerializable() || !TTS_IS_BUFFERTUPLE(found))
		return false;
	tuple = &((BufferHeapTupleTableSlot *) found)->base.tupdata;
	key = hint_key(property_id, room_type, month);
	hint = hash_search(hints, &key, HASH_FIND, NULL);
	if (hint == NULL || ItemPointerGetBlockNumber(&hint->tid) >= calendar_blocks)
		return false;

	ExecClearTuple(found);
	buffer = ReadBuffer(calendar, ItemPointerGetBlockNumber(&hint->tid));
	heap_page_prune_opt(calendar, buffer);
	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buffer);
	offnum = ItemPointerGetOffsetNumber(&hint->tid);
	if (offnum >= FirstOffsetNumber && offnum <= PageGetMaxOffsetNumber(page))
	{
		item = PageGetItemId(page, offnum);
		if (ItemIdIsNormal(item))
		{
			tuple->t_data = (HeapTupleHeader) PageGetItem(page, item);
			tuple->t_len = ItemIdGetLength(item);
			tuple->t_tableOid = RelationGetRelid(calendar);
			tuple->t_self = hint->tid;
			visible = HeapTupleSatisfiesVisibility(tuple, d->snapshot, buffer);
		}
	}
	LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
	if (visible)
	{
		/* the slot takes a pin of its own; the tuple stays on the page */
		ExecStoreBufferHeapTuple(tuple, found, buffer);
		if (!same_key(found, property_id, room_type, month))
		{
			ExecClearTuple(found);
			visible = false;
		}
	}
	ReleaseBuffer(buffer);
	return visible;
}

/*
 * bk_fold_hint_remember notes that the calendar row (property_id,
 * room_type, month) was just written at `tid`.
 */
void
bk_fold_hint_remember(int64 property_id, Datum room_type, DateADT month, ItemPointer tid)
{
	FoldHintKey key = hint_key(property_id, room_type, month);
	FoldHint   *hint;

	if (hints != NULL && hash_get_num_entries(hints) >= HINT_LIMIT)
	{
		hash_destroy(hints);
		hints = NULL;
	}
	if (hints == NULL)
		create_hints();
	hint = hash_search(hints, &key, HASH_ENTER, NULL);
	hint->tid = *tid;
}

/*-------------------------------------------------------------------------
 * reservation.c
 *    A reservation row as the write paths need it: locked by id, read into
 *    a BkReservation, changed column by column, inserted, and handed back
 *    to the caller as a booking.reservation value.  Everything goes
 *    through direct.c: no SPI.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "booking.h"

/*
 * bk_state_type returns the type of booking.reservation.state (the enum
 * booking_state, whose OID changes when the extension is re-created).
 */
Oid
bk_state_type(BkDirect *d)
{
	TupleDesc	desc = RelationGetDescr(bk_direct_relation(d, BK_RESERVATION));

	return TupleDescAttr(desc, bk_column(BK_RESERVATION_STATE) - 1)->atttypid;
}

/*
 * read_reservation fills *r from the row in `slot`.
 */
static void
read_reservation(BkDirect *d, TupleTableSlot *slot, BkReservation *r)
{
	Relation	rel = bk_direct_relation(d, BK_RESERVATION);
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			state_type = bk_state_type(d);
	bool		isnull;
	Datum		value;

	r->reservation_id = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_RESERVATION_ID)));
	r->property_id = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_PROPERTY_ID)));
	r->room_type = bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_ROOM_TYPE));
	r->check_in = DatumGetDateADT(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_CHECK_IN)));
	r->check_out = DatumGetDateADT(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_CHECK_OUT)));
	r->rooms = DatumGetInt32(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_ROOMS)));
	r->state = bk_state_of(state_type,
						   DatumGetObjectId(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_STATE))));
	value = slot_getattr(slot, bk_column(BK_RESERVATION_HOLD_EXPIRES_AT), &isnull);
	r->has_deadline = !isnull;
	r->hold_expires_at = isnull ? 0 : DatumGetTimestampTz(value);
	value = slot_getattr(slot, bk_column(BK_RESERVATION_PAYMENT_REF), &isnull);
	r->payment_ref = isnull ? NULL : TextDatumGetCString(value);
	value = slot_getattr(slot, bk_column(BK_RESERVATION_PAYMENT_INTENT), &isnull);
	r->payment_intent = isnull ? NULL : TextDatumGetCString(value);
	r->tid = slot->tts_tid;
	r->tuple = ExecCopySlotHeapTuple(slot);
	/* a row just inserted comes from a virtual slot: its copy has no xmin */
	r->xmin = TTS_IS_VIRTUAL(slot) ? GetCurrentTransactionId() : HeapTupleHeaderGetXmin(r->tuple->t_data);
	/* the copy owns the text now */
	r->room_type = heap_getattr(r->tuple, bk_column(BK_RESERVATION_ROOM_TYPE), desc, &isnull);
}

/*
 * bk_reservation_room_type returns the reservation's room type as a C
 * string, for messages.
 */
char *
bk_reservation_room_type(const BkReservation *r)
{
	return TextDatumGetCString(r->room_type);
}

/*
 * bk_reservation_lock finds reservation `id`, locks it (waiting, in the
 * global order: reservations before inventory) and reads it into *r.
 * Returns false when there is no such reservation, or, with LockWaitSkip,
 * when another transaction has it locked.
 */
bool
bk_reservation_lock(BkDirect *d, int64 id, BkReservation *r, LockWaitPolicy wait)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *found = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_FOUND);
	TupleTableSlot *locked = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_LOCKED);
	bool		done = false;
	BkLockTarget what = {id, 0, (Datum) 0};

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = bk_direct_scan(d, BK_RESERVATION, BK_RESERVATION_PKEY, &key, 1);
	while (!done && index_getnext_slot(scan, ForwardScanDirection, found))
	{
		ItemPointerData tid = found->tts_tid;

		ExecClearTuple(found);
		if (!bk_direct_lock(d, BK_RESERVATION, &tid, locked, wait, &what))
			continue;			/* deleted meanwhile, or busy */
		if (DatumGetInt64(bk_direct_get_notnull(locked, bk_column(BK_RESERVATION_RESERVATION_ID))) != id)
			continue;
		read_reservation(d, locked, r);
		done = true;
	}
	index_endscan(scan);
	ExecClearTuple(locked);
	return done;
}

/*
 * bk_reservation_read reads reservation `id` as the unit's snapshot sees
 * it into *r, without locking it (a dry run); false when there is none.
 */
bool
bk_reservation_read(BkDirect *d, int64 id, BkReservation *r)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *found = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_FOUND);
	bool		done;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = bk_direct_scan(d, BK_RESERVATION, BK_RESERVATION_PKEY, &key, 1);
	done = index_getnext_slot(scan, ForwardScanDirection, found);
	if (done)
		read_reservation(d, found, r);
	index_endscan(scan);
	ExecClearTuple(found);
	return done;
}

/*
 * bk_reservation_guest_id returns the reservation's guest_id (NULL: none).
 */
char *
bk_reservation_guest_id(BkDirect *d, const BkReservation *r)
{
	bool		isnull;
	Datum		value = heap_getattr(r->tuple, bk_column(BK_RESERVATION_GUEST_ID),
									 RelationGetDescr(bk_direct_relation(d, BK_RESERVATION)),
									 &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

/*
 * bk_reservation_group_id returns the group the reservation is a line of
 * (2.0), 0 when it is a lone reservation (or the schema has no groups).
 */
int64
bk_reservation_group_id(BkDirect *d, const BkReservation *r)
{
	bool		isnull;
	Datum		value;

	if (!bk_has_column(BK_RESERVATION_GROUP_ID))
		return 0;
	value = heap_getattr(r->tuple, bk_column(BK_RESERVATION_GROUP_ID),
						 RelationGetDescr(bk_direct_relation(d, BK_RESERVATION)), &isnull);
	return isnull ? 0 : DatumGetInt64(value);
}

/*
 * bk_reservation_peek says whether reservation `id`, as the unit's
 * snapshot sees it (nothing is locked), exists and, when `guest_id` is
 * given, is that guest's (bk_guest_matches); its property is put in
 * *property_id when it does.
 */
bool
bk_reservation_peek(BkDirect *d, int64 id, const char *guest_id, int64 *property_id)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_FOUND);
	bool		found = false;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = bk_direct_scan(d, BK_RESERVATION, BK_RESERVATION_PKEY, &key, 1);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		owner = slot_getattr(slot, bk_column(BK_RESERVATION_GUEST_ID), &isnull);

		found = guest_id == NULL ||
			bk_guest_matches(isnull ? NULL : TextDatumGetCString(owner), guest_id);
		if (found)
			*property_id = DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_RESERVATION_PROPERTY_ID)));
	}
	index_endscan(scan);
	ExecClearTuple(slot);
	return found;
}

/*
 * bk_reservation_update writes new values of `ncolumns` columns of a
 * locked reservation (the state trigger judges a change of state, the
 * unique indexes a payment_ref or payment_intent already used) and sets
 * updated_at; r->tuple and r->tid become the new row's.
 */
void
bk_reservation_update(BkDirect *d, BkReservation *r, int ncolumns,
					  const BkColumn *columns, const Datum *values, const bool *nulls)
{
	bk_reservation_update_sold(d, r, ncolumns, columns, values, nulls, NULL);
}

/*
 * bk_reservation_update_sold is bk_reservation_update that also writes the
 * night prices `sold` (when given) in the same update: a change of the
 * stay's nights or of their prices.
 */
void
bk_reservation_update_sold(BkDirect *d, BkReservation *r, int ncolumns, const BkColumn *columns,
						   const Datum *values, const bool *nulls, const BkSoldPrices *sold)
{
	ResultRelInfo *rri = bk_direct_target(d, BK_RESERVATION);
	TupleDesc	desc = RelationGetDescr(rri->ri_RelationDesc);
	TupleTableSlot *slot = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_NEW);
	int			attnums[16];
	Datum		newvalues[16];
	bool		newnulls[16];
	HeapTuple	newtuple;
	Oid			state_type = bk_state_type(d);

	BkColumn	sold_columns[2];
	Datum		sold_values[2];
	bool		sold_nulls[2];
	int			nsold = sold ? bk_night_prices_columns(sold, sold_columns, sold_values, sold_nulls) : 0;

	Assert(ncolumns + nsold < 16);
	for (int i = 0; i < ncolumns; i++)
	{
		attnums[i] = bk_column(columns[i]);
		newvalues[i] = values[i];
		newnulls[i] = nulls ? nulls[i] : false;
	}
	for (int i = 0; i < nsold; i++, ncolumns++)
	{
		attnums[ncolumns] = bk_column(sold_columns[i]);
		newvalues[ncolumns] = sold_values[i];
		newnulls[ncolumns] = sold_nulls[i];
	}
	attnums[ncolumns] = bk_column(BK_RESERVATION_UPDATED_AT);
	newvalues[ncolumns] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	newnulls[ncolumns] = false;

	newtuple = heap_modify_tuple_by_cols(r->tuple, desc, ncolumns + 1, attnums, newvalues, newnulls);
	ExecStoreHeapTuple(newtuple, slot, true);
	bk_direct_update_columns(d, BK_RESERVATION, &r->tid, r->xmin, slot, ncolumns + 1, attnums);
	/* the row as written (a BEFORE trigger may have changed it) */
	r->tid = slot->tts_tid;
	r->tuple = ExecCopySlotHeapTuple(slot);
	r->xmin = GetCurrentTransactionId();
	r->state = bk_state_of(state_type,
						   DatumGetObjectId(heap_getattr(r->tuple, bk_column(BK_RESERVATION_STATE),
														 desc, &newnulls[0])));
	ExecClearTuple(slot);
}

/*
 * bk_reservation_reprice writes a held reservation's new total and the
 * night prices that make it (a night repriced between the stay's pricing
 * and its lock): one update of its row.
 */
void
bk_reservation_reprice(BkDirect *d, BkReservation *r, Numeric total, const BkSoldPrices *sold)
{
	BkColumn	column = BK_RESERVATION_TOTAL_PRICE;
	Datum		value = NumericGetDatum(total);

	bk_reservation_update_sold(d, r, 1, &column, &value, NULL, sold);
}

/*
 * bk_reservation_set_state moves a locked reservation to `state`.
 */
void
bk_reservation_set_state(BkDirect *d, BkReservation *r, BkState state)
{
	BkColumn	column = BK_RESERVATION_STATE;
	Datum		value = ObjectIdGetDatum(bk_state_value(bk_state_type(d), state));

	bk_reservation_update(d, r, 1, &column, &value, NULL);
}

/*
 * bk_reservation_insert writes a new held reservation, its id taken from
 * booking.reservation_id_seq (n * 1024 + booking.node_id), and reads it
 * back into *r.  `guests` 0: not given (NULL).  `sold` are the prices of
 * its nights, kept in its row from 2.0 on (night_prices.c).
 */
void
bk_reservation_insert(BkDirect *d, int64 property_id, Datum room_type,
					  DateADT check_in, DateADT check_out, int32 rooms,
					  const char *guest_id, int32 guests, TimestampTz hold_expires_at,
					  Numeric total_price, const BkSoldPrices *sold, const BkSaleTerms *terms,
					  BkReservation *r)
{
	bk_reservation_insert_line(d, bk_reservation_new_id(), 0, property_id, room_type, check_in,
							   check_out, rooms, guest_id, guests, hold_expires_at, total_price,
							   sold, terms, r);
}

/*
 * bk_reservation_new_id takes a new reservation id from
 * booking.reservation_id_seq: n * 1024 + booking.node_id.
 */
int64
bk_reservation_new_id(void)
{
	return nextval_internal(bk_index_oid(BK_RESERVATION_ID_SEQ), false) * BOOKING_NODE_SPAN
		+ booking_node_id;
}

/*
 * report_missing_room_type raises what the foreign key's RI trigger would
 * for a reservation whose room type is gone.
 */
static void
report_missing_room_type(BkDirect *d, Oid fkey, int64 property_id, Datum room_type)
{
	Relation	rel = bk_direct_relation(d, BK_RESERVATION);
	char	   *name = get_constraint_name(fkey);

	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("insert or update on table \"reservation\" violates foreign key constraint \"%s\"",
					name ? name : "?"),
			 errdetail("Key (property_id, room_type)=(%lld, %s) is not present in table \"room_type\".",
					   (long long) property_id, TextDatumGetCString(room_type)),
			 errhint("The room type was deleted while the reservation was written."),
			 errtableconstraint(rel, name ? name : "?")));
}

/*
 * same_text says whether two text values hold the same bytes, whatever
 * their headers (the room type's code compares bytewise: its collation is
 * deterministic, as every database default is).
 */
static bool
same_text(text *a, text *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * lock_room_type_key checks the reservation's foreign key to its room
 * type as its RI trigger would (direct.c's engine_fkeys): the room type's
 * row locked FOR KEY SHARE, so that it cannot be deleted before this
 * transaction ends; 23503 when it is not there.  The row bk_look_up_place
 * found in this unit is locked where it is, with no second lookup.
 */
static void
lock_room_type_key(BkDirect *d, int64 property_id, Datum room_type)
{
	Oid			fkey = bk_direct_engine_fkey(d, BK_RESERVATION);
	TupleTableSlot *slot;
	ItemPointerData tid;
	BkLockTarget what = {0, property_id, room_type, true};
	bool		found;

	if (!OidIsValid(fkey))
		return;					/* no such constraint: the table has what it has */
	slot = bk_direct_slot(d, BK_ROOM_TYPE, BK_SLOT_LOCKED);
	if (d->room_type_code != NULL && d->room_type_property == property_id &&
		same_text(d->room_type_code, DatumGetTextPP(room_type)))
	{
		tid = d->room_type_tid;
		found = true;
	}
	else
	{
		ScanKeyData keys[2];
		IndexScanDesc scan;
		TupleTableSlot *found_slot = bk_direct_slot(d, BK_ROOM_TYPE, BK_SLOT_FOUND);

		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(property_id));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, room_type);
		scan = bk_direct_scan(d, BK_ROOM_TYPE, BK_ROOM_TYPE_PKEY, keys, 2);
		found = index_getnext_slot(scan, ForwardScanDirection, found_slot);
		if (found)
			tid = found_slot->tts_tid;
		index_endscan(scan);
		ExecClearTuple(found_slot);
	}
	/* the version locked is the newest: its key must still be the one looked for */
	if (!found || !bk_direct_lock_key(d, BK_ROOM_TYPE, &tid, slot, &what) ||
		DatumGetInt64(bk_direct_get_notnull(slot, bk_column(BK_ROOM_TYPE_PROPERTY_ID))) != property_id ||
		!same_text(DatumGetTextPP(bk_direct_get_notnull(slot, bk_column(BK_ROOM_TYPE_CODE))),
				   DatumGetTextPP(room_type)))
		report_missing_room_type(d, fkey, property_id, room_type);
	ExecClearTuple(slot);
}

/*
 * bk_reservation_insert_line is bk_reservation_insert with the id given
 * (bk_reservation_new_id) and, for a line of a group (2.0), the group's id
 * (0: none).
 */
void
bk_reservation_insert_line(BkDirect *d, int64 id, int64 group_id, int64 property_id,
						   Datum room_type, DateADT check_in, DateADT check_out, int32 rooms,
						   const char *guest_id, int32 guests, TimestampTz hold_expires_at,
						   Numeric total_price, const BkSoldPrices *sold, const BkSaleTerms *terms,
						   BkReservation *r)
{
	TupleTableSlot *slot = bk_direct_slot(d, BK_RESERVATION, BK_SLOT_INSERT);
	Oid			state_type = bk_state_type(d);
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	bk_slot_new_row(slot);
	bk_slot_set(slot, BK_RESERVATION_RESERVATION_ID, Int64GetDatum(id));
	if (group_id != 0)
		bk_slot_set(slot, BK_RESERVATION_GROUP_ID, Int64GetDatum(group_id));
	bk_slot_set(slot, BK_RESERVATION_PROPERTY_ID, Int64GetDatum(property_id));
	bk_slot_set(slot, BK_RESERVATION_ROOM_TYPE, room_type);
	bk_slot_set(slot, BK_RESERVATION_CHECK_IN, DateADTGetDatum(check_in));
	bk_slot_set(slot, BK_RESERVATION_CHECK_OUT, DateADTGetDatum(check_out));
	bk_slot_set(slot, BK_RESERVATION_ROOMS, Int32GetDatum(rooms));
	if (guest_id)
		bk_slot_set(slot, BK_RESERVATION_GUEST_ID, CStringGetTextDatum(guest_id));
	if (guests > 0)
		bk_slot_set(slot, BK_RESERVATION_GUESTS, Int32GetDatum(guests));
	bk_slot_set(slot, BK_RESERVATION_STATE, ObjectIdGetDatum(bk_state_value(state_type, BK_HELD)));
	bk_slot_set(slot, BK_RESERVATION_HOLD_EXPIRES_AT, TimestampTzGetDatum(hold_expires_at));
	bk_slot_set(slot, BK_RESERVATION_TOTAL_PRICE, NumericGetDatum(total_price));
	bk_slot_set(slot, BK_RESERVATION_CREATED_AT, TimestampTzGetDatum(now));
	bk_slot_set(slot, BK_RESERVATION_UPDATED_AT, TimestampTzGetDatum(now));
	if (bk_has_column(BK_RESERVATION_RATE_PLAN))
	{
		bk_slot_set(slot, BK_RESERVATION_RATE_PLAN,
					terms && terms->rate_plan ? CStringGetTextDatum(terms->rate_plan) : bk_base_plan_text());
		bk_slot_set(slot, BK_RESERVATION_CHILDREN, Int32GetDatum(terms ? terms->children : 0));
	}
	if (terms && terms->block)
		bk_slot_set(slot, BK_RESERVATION_BLOCK, CStringGetTextDatum(terms->block));
	{
		BkColumn	columns[2];
		Datum		values[2];
		bool		nulls[2];
		int			n = bk_night_prices_columns(sold, columns, values, nulls);

		for (int i = 0; i < n; i++)
			bk_slot_set(slot, columns[i], values[i]);
	}
	ExecStoreVirtualTuple(slot);
	lock_room_type_key(d, property_id, room_type);
	bk_direct_insert(d, BK_RESERVATION, slot);
	read_reservation(d, slot, r);
	ExecClearTuple(slot);
}

/*
 * bk_reservation_datum returns the reservation as a booking.reservation
 * value, allocated in the current memory context.
 */
Datum
bk_reservation_datum(BkDirect *d, const BkReservation *r)
{
	return heap_copy_tuple_as_datum(r->tuple,
									RelationGetDescr(bk_direct_relation(d, BK_RESERVATION)));
}

/*
 * bk_reservation_fetch returns reservation `id` as it is in a new
 * snapshot, as a booking.reservation value (BK005 when there is none),
 * without locking it: the answer to an idempotent replay.
 */
Datum
bk_reservation_fetch(int64 id)
{
	BkDirect	d;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	Datum		result = (Datum) 0;
	bool		found;

	bk_direct_begin(&d, false);
	slot = bk_direct_slot(&d, BK_RESERVATION, BK_SLOT_FOUND);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = bk_direct_scan(&d, BK_RESERVATION, BK_RESERVATION_PKEY, &key, 1);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
		result = heap_copy_tuple_as_datum(ExecFetchSlotHeapTuple(slot, false, NULL),
										  RelationGetDescr(bk_direct_relation(&d, BK_RESERVATION)));
	index_endscan(scan);
	bk_direct_end(&d);
	if (!found)
		bk_report_no_reservation(id);
	return result;
}

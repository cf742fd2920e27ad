/*-------------------------------------------------------------------------
 * ids.c
 *    Ids that say where they live: every property_id and reservation_id a
 *    node issues is n * 1024 + booking.node_id (the INSERTs in catalog.c
 *    and reserve.c compute it), and node_of() gives the node back.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_node_of);

/*
 * booking_node_of returns the node that issued an id: id mod 1024, taken
 * as non-negative so that no input, however odd, names a node out of range.
 */
Datum
booking_node_of(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	int64		node = id % BOOKING_NODE_SPAN;

	if (node < 0)
		node += BOOKING_NODE_SPAN;
	PG_RETURN_INT32((int32) node);
}

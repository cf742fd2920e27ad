/*-------------------------------------------------------------------------
 * lookup.c
 *    Finding one reservation without changing it: get_reservation (by id,
 *    optionally as one guest's) and find_reservation (by confirmation
 *    code, payment intent or payment reference, for the payment webhook
 *    that knows only its intent), and the ownership rule every call that
 *    takes a guest_id applies.
 *
 * Ownership: a guest_id, when given, must be the reservation's, else the
 * answer is BK005 exactly as if the reservation did not exist (same
 * message, same detail), so that a guest cannot learn from an error which
 * ids, or whose, exist.  The look-ups run through SPI in the snapshot of
 * the calling query (STABLE); they are off the write path.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_get_reservation);
PG_FUNCTION_INFO_V1(booking_find_reservation);

#define RESERVATION_BY(column) \
	"SELECT r, r.guest_id FROM booking.reservation r" \
	" WHERE r." column " OPERATOR(pg_catalog.=) $1"

static BookingPlan by_id_plan = {RESERVATION_BY("reservation_id"), 1, {INT8OID}};
static BookingPlan by_confirmation_code_plan = {RESERVATION_BY("confirmation_code"), 1, {TEXTOID}};
static BookingPlan by_payment_intent_plan = {RESERVATION_BY("payment_intent"), 1, {TEXTOID}};
/*
 * A payment_ref is held once per payer (reservation_payment_ref_key): a
 * lone reservation, or a group's first line, which has the group's
 * lowest reservation_id.
 */
static BookingPlan by_payment_ref_plan = {
	RESERVATION_BY("payment_ref")
	" AND (r.group_id IS NULL OR r.group_id OPERATOR(pg_catalog.=) r.reservation_id)", 1, {TEXTOID}
};

/*
 * bk_guest_matches says whether a reservation whose guest_id is
 * `owner` (NULL: none) belongs to `guest_id`: byte for byte equal.  A
 * reservation made without a guest_id belongs to no guest.
 */
bool
bk_guest_matches(const char *owner, const char *guest_id)
{
	return owner != NULL && strcmp(owner, guest_id) == 0;
}

/*
 * bk_guest_arg returns the optional guest_id argument `argno` of a call
 * that checks ownership (NULL when it is not given, or when the SQL
 * declaration, at a schema older than 2.0, has no such argument).
 */
char *
bk_guest_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return NULL;
	return bk_text_arg(fcinfo, argno, "guest_id", BOOKING_MAX_REF_BYTES, false, false);
}

/*
 * result_row returns the reservation the last look-up found, as a
 * booking.reservation value in the caller's memory, or (Datum) 0 when it
 * found none, or one that is not `guest_id`'s (when given).
 */
static Datum
result_row(const char *guest_id)
{
	bool		isnull;
	Datum		owner;

	if (SPI_processed == 0)
		return (Datum) 0;
	owner = bk_get(0, 2, &isnull);
	if (guest_id && !bk_guest_matches(isnull ? NULL : TextDatumGetCString(owner), guest_id))
		return (Datum) 0;
	return bk_copy_result_datum(0, 1);
}

/*
 * normalize_confirmation_code puts a code as a guest may type or read it
 * over the phone into the form it is made in: Crockford base 32, so upper
 * case, with O read as 0 and I and L as 1 (lifecycle.c makes the codes).
 */
static void
normalize_confirmation_code(char *code)
{
	for (char *c = code; *c; c++)
	{
		*c = pg_ascii_toupper((unsigned char) *c);
		if (*c == 'O')
			*c = '0';
		else if (*c == 'I' || *c == 'L')
			*c = '1';
	}
}

/*
 * booking_get_reservation is get_reservation(reservation_id, guest_id):
 * the reservation as it is; BK005 when there is none, or when guest_id is
 * given and it is not that guest's.
 */
Datum
booking_get_reservation(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *guest_id;
	Datum		arg;
	Datum		result;

	bk_require_arg(fcinfo, 0, "reservation_id");
	id = PG_GETARG_INT64(0);
	guest_id = bk_guest_arg(fcinfo, 1);

	bk_connect_read_only();
	arg = Int64GetDatum(id);
	bk_exec(&by_id_plan, &arg, NULL, 1);
	result = result_row(guest_id);
	bk_finish();
	if (result == (Datum) 0)
		bk_report_no_reservation(id);
	PG_RETURN_DATUM(result);
}

/*
 * booking_find_reservation is find_reservation(confirmation_code,
 * payment_intent, payment_ref): the reservation with that code, intent or
 * reference (each belongs to one reservation: unique indexes).  Exactly
 * one of the three is given (22023 otherwise); none found is BK005,
 * naming what was looked for (only what the caller passed).
 */
Datum
booking_find_reservation(PG_FUNCTION_ARGS)
{
	static const char *const names[3] = {"confirmation_code", "payment_intent", "payment_ref"};
	static const char *const hints[3] = {
		"A confirmation code is made when a reservation is confirmed.",
		"A payment_intent is recorded by begin_payment; check that the call succeeded.",
		"A payment_ref is recorded by confirm_booking and confirm_group; check that the call succeeded.",
	};
	BookingPlan *const plans[3] = {&by_confirmation_code_plan, &by_payment_intent_plan,
	&by_payment_ref_plan};
	int			given = -1;
	int			ngiven = 0;
	char	   *value;
	Datum		arg;
	Datum		result;

	for (int i = 0; i < 3; i++)
	{
		if (PG_ARGISNULL(i))
			continue;
		given = i;
		ngiven++;
	}
	if (ngiven != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("find_reservation takes exactly one of confirmation_code, payment_intent and payment_ref"),
				 errdetail("%d of them were given.", ngiven),
				 errhint("Call it with one named argument, e.g. find_reservation(payment_intent => 'pi_123').")));
	value = bk_text_arg(fcinfo, given, names[given], BOOKING_MAX_REF_BYTES, true, true);
	if (given == 0)
		normalize_confirmation_code(value);

	bk_connect_read_only();
	arg = CStringGetTextDatum(value);
	bk_exec(plans[given], &arg, NULL, 1);
	result = result_row(NULL);
	bk_finish();
	if (result == (Datum) 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("no reservation has %s \"%s\"", names[given], value),
				 errdetail("No reservation, in any state, was given this %s.", names[given]),
				 errhint("%s", hints[given])));
	PG_RETURN_DATUM(result);
}

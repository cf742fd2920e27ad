/*-------------------------------------------------------------------------
 * reserve.c
 *    booking.reserve_range(): hold `rooms` units of one room type on every
 *    night of [check_in, check_out), all or nothing, for a limited time.
 *
 * Everything that can be done before the row locks is: argument checks,
 * the idempotency claim, the property lookup and the "today" rule.  Then
 * the nights are locked in order, counted, changed, and the reservation
 * row and its `reserved` event written, so the locks are held as briefly
 * as possible.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_reserve_range);

/*
 * The property's time zone, whether it has the room type, and whether
 * holds past their deadline lie on the stay's nights.
 */
#define LOOKUP_SQL(has_rules) \
	"SELECT p.time_zone, rt.code IS NOT NULL, " has_rules "," \
	"       EXISTS (SELECT 1 FROM booking.reservation r" \
	"                WHERE r.property_id = $1 AND r.room_type = $2" \
	"                  AND r.state = ANY (" BK_LIVE_HOLD_STATES ")" \
	"                  AND r.hold_expires_at <= $5" \
	"                  AND r.check_in < $4 AND r.check_out > $3)" \
	"  FROM booking.property p" \
	"  LEFT JOIN booking.room_type rt ON rt.property_id = p.property_id AND rt.code = $2" \
	" WHERE p.property_id = $1"

static BookingPlan lookup_plan = {
	LOOKUP_SQL("COALESCE(rt.has_rules, false)"),
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

/* The same for a database still at 1.0 (no stay rules). */
static BookingPlan lookup_plan_1_0 = {
	LOOKUP_SQL("false"),
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, TIMESTAMPTZOID}
};

static BookingPlan insert_reservation_plan = {
	"INSERT INTO booking.reservation AS r"
	" (reservation_id, property_id, room_type, check_in, check_out, rooms, guest_id,"
	"  state, hold_expires_at, total_price)"
	" VALUES (pg_catalog.nextval('booking.reservation_id_seq'::pg_catalog.regclass) * 1024 + $1,"
	"         $2, $3, $4, $5, $6, $7, 'held'::booking.booking_state, $8, $9)"
	" RETURNING r.reservation_id, r",
	9, {INT4OID, INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, TEXTOID, TIMESTAMPTZOID, NUMERICOID}
};

static BookingPlan fetch_reservation_plan = {
	"SELECT r FROM booking.reservation r WHERE r.reservation_id = $1",
	1, {INT8OID}
};

/*
 * bk_reservation_row returns reservation `reservation_id` as a
 * booking.reservation row in the caller's memory.  The caller is inside
 * an SPI connection.
 */
Datum
bk_reservation_row(int64 reservation_id)
{
	Datum		args[1] = {Int64GetDatum(reservation_id)};

	bk_exec(&fetch_reservation_plan, args, NULL, 1);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("reservation %lld does not exist", (long long) reservation_id)));
	return bk_copy_result_datum(0, 1);
}

/*
 * validate_key checks an idempotency key: not empty, at most 255 bytes.
 */
static void
validate_key(const char *key)
{
	size_t		len = strlen(key);

	if (len == 0 || len > BOOKING_MAX_KEY_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("idempotency_key must be 1 to %d bytes long", BOOKING_MAX_KEY_BYTES),
				 errdetail("The key given is %zu bytes long.", len),
				 errhint("Use a UUID or a similar short unique string per user action.")));
}

/*
 * check_property_and_day looks up the property and room type (BK005 when
 * unknown), refuses a check-in before the property's local today and a
 * stay that breaks the room type's rules (BK006).  Returns whether dead
 * holds lie on the stay's nights.
 */
static bool
check_property_and_day(int64 property_id, const char *room_type,
					   DateADT check_in, DateADT check_out)
{
	Datum		args[5];
	char	   *time_zone;
	DateADT		today;
	bool		has_rules;
	bool		dead_holds;
	BkRuleViolation violation;

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	args[2] = DateADTGetDatum(check_in);
	args[3] = DateADTGetDatum(check_out);
	args[4] = TimestampTzGetDatum(bk_now());
	bk_exec(bk_schema_has_calendar() ? &lookup_plan : &lookup_plan_1_0, args, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("property %lld does not exist", (long long) property_id),
				 errhint("Create it with booking.add_property, or check the id.")));
	if (!DatumGetBool(bk_get_notnull(0, 2)))
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NOT_FOUND),
				 errmsg("room type \"%s\" does not exist at property %lld",
						room_type, (long long) property_id),
				 errhint("Create it with booking.add_room_type, or check the code.")));
	time_zone = TextDatumGetCString(bk_get_notnull(0, 1));
	has_rules = DatumGetBool(bk_get_notnull(0, 3));
	dead_holds = DatumGetBool(bk_get_notnull(0, 4));

	today = bk_local_today(time_zone);
	if (check_in < today)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("check_in is in the past"),
				 errdetail("check_in is %s; it is %s at property %lld (time zone %s).",
						   bk_date_str(check_in), bk_date_str(today),
						   (long long) property_id, time_zone),
				 errhint("Choose a check-in on or after the property's local today.")));
	if (has_rules && !bk_check_stay_rules(property_id, room_type, check_in, check_out,
										  today, &violation))
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_RESTRICTION_VIOLATION),
				 errmsg("the stay breaks the %s rule", violation.rule),
				 errdetail("Property %lld, room type \"%s\", night %s: %s.",
						   (long long) property_id, room_type,
						   bk_date_str(violation.night), violation.detail),
				 errhint("booking.quote shows why a stay cannot be booked; choose other dates.")));
	return dead_holds;
}

/*
 * report_no_availability raises BK001 for the first night that lacks units.
 */
static void
report_no_availability(int64 property_id, const char *room_type, int32 rooms,
					   const BkShortage *shortage)
{
	bk_stat_add(BK_STAT_RESERVE_CONFLICTS, 1);
	if (shortage->missing)
		ereport(ERROR,
				(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
				 errmsg("no availability: a night of the stay is not on sale"),
				 errdetail("Property %lld, room type \"%s\", night %s has no inventory.",
						   (long long) property_id, room_type, bk_date_str(shortage->night)),
				 errhint("Open the night with booking.open_inventory, or choose other dates.")));
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
			 errmsg("no availability: %d room(s) requested, %d free on one night of the stay",
					rooms, shortage->available),
			 errdetail("Property %lld, room type \"%s\", night %s has %d unit(s) free.",
					   (long long) property_id, room_type, bk_date_str(shortage->night),
					   shortage->available),
			 errhint("Search other dates or room types; nothing was held.")));
}

/*
 * booking_reserve_range is reserve_range(property_id, room_type, check_in,
 * check_out, rooms, guest_id, idempotency_key, hold).
 */
Datum
booking_reserve_range(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	DateADT		check_in;
	DateADT		check_out;
	int32		rooms;
	char	   *guest_id = NULL;
	char	   *key = NULL;
	Interval   *hold = NULL;
	const char *scope;
	Numeric		total_price;
	BkShortage	shortage;
	TimestampTz expires_at;
	Datum		args[9];
	char		nulls[9];
	int64		reservation_id;
	bool		dead_holds;
	Datum		result;
	BkStayRequest stay;

	bk_stay_request(fcinfo, &stay);
	property_id = stay.property_id;
	room_type = stay.room_type;
	check_in = stay.check_in;
	check_out = stay.check_out;
	rooms = stay.rooms;
	if (!PG_ARGISNULL(5))
		guest_id = text_to_cstring(PG_GETARG_TEXT_PP(5));
	if (!PG_ARGISNULL(6))
		key = text_to_cstring(PG_GETARG_TEXT_PP(6));
	if (!PG_ARGISNULL(7))
		hold = PG_GETARG_INTERVAL_P(7);

	if (key)
		validate_key(key);
	if (hold)
		bk_require_interval_within(hold, "hold",
								   "Pass NULL to use booking.hold_ttl, or an interval such as '15 minutes'.");
	scope = guest_id ? guest_id : "";

	bk_stat_add(BK_STAT_RESERVE_ATTEMPTS, 1);
	bk_connect();

	if (key)
	{
		int64		existing;

		if (!bk_claim_key(scope, key,
						  bk_request_digest(property_id, room_type, check_in,
											check_out, rooms, hold),
						  property_id, &existing))
		{
			result = bk_reservation_row(existing);
			bk_finish();
			bk_stat_add_on_commit(BK_STAT_IDEMPOTENT_REPLAYS, 1);
			PG_RETURN_DATUM(result);
		}
	}

	dead_holds = check_property_and_day(property_id, room_type, check_in, check_out);
	if (hold)
		expires_at = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
															 TimestampTzGetDatum(bk_now()),
															 IntervalPGetDatum(hold)));
	else
		expires_at = bk_now() + (TimestampTz) booking_hold_ttl_s * USECS_PER_SEC;

	if (!bk_acquire_nights(property_id, room_type, check_in, check_out, rooms,
						   BK_HOLD, dead_holds, &total_price, &shortage))
		report_no_availability(property_id, room_type, rooms, &shortage);

	args[0] = Int32GetDatum(booking_node_id);
	args[1] = Int64GetDatum(property_id);
	args[2] = CStringGetTextDatum(room_type);
	args[3] = DateADTGetDatum(check_in);
	args[4] = DateADTGetDatum(check_out);
	args[5] = Int32GetDatum(rooms);
	args[6] = guest_id ? CStringGetTextDatum(guest_id) : (Datum) 0;
	args[7] = TimestampTzGetDatum(expires_at);
	args[8] = NumericGetDatum(total_price);
	memset(nulls, ' ', sizeof(nulls));
	if (!guest_id)
		nulls[6] = 'n';
	bk_exec(&insert_reservation_plan, args, nulls, 0);
	reservation_id = bk_get_int64(0, 1);
	result = bk_copy_result_datum(0, 2);

	if (key)
		bk_record_key(scope, key, reservation_id);
	bk_emit_event("reserved", reservation_id);

	bk_finish();
	bk_stat_add_on_commit(BK_STAT_RESERVE_SUCCESSES, 1);
	PG_RETURN_DATUM(result);
}

/*-------------------------------------------------------------------------
 * catalog.c
 *    What a hotel sells: booking.add_property(), booking.add_room_type()
 *    and booking.open_inventory().
 *
 * open_inventory with units calls bk_waitlist_offer_range
 * (waitlist_offer.c) once its nights are written: units it adds go to
 * entries waiting for them in the same transaction (2.0).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "booking.h"

PG_FUNCTION_INFO_V1(booking_add_property);
PG_FUNCTION_INFO_V1(booking_add_room_type);
PG_FUNCTION_INFO_V1(booking_open_inventory);

static BookingPlan insert_property_plan = {
	"INSERT INTO booking.property (property_id, name, city, time_zone)"
	" VALUES ((pg_catalog.nextval('booking.property_id_seq'::pg_catalog.regclass)"
	"          OPERATOR(pg_catalog.*) 1024) OPERATOR(pg_catalog.+) $4,"
	"         $1, $2, $3)"
	" RETURNING property_id",
	4, {TEXTOID, TEXTOID, TEXTOID, INT4OID}
};

static BookingPlan property_exists_plan = {
	"SELECT 1 FROM booking.property WHERE property_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

static BookingPlan room_type_exists_plan = {
	"SELECT 1 FROM booking.room_type"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}
};

static BookingPlan insert_room_type_plan = {
	"INSERT INTO booking.room_type (property_id, code, name, units, max_guests, base_price)"
	" VALUES ($1, $2, $3, $4, $5, $6)",
	6, {INT8OID, TEXTOID, TEXTOID, INT4OID, INT4OID, NUMERICOID}
};

/*
 * Writes the nights [$3, $4): new ones take the given units and price or
 * the room type's; existing ones keep whatever is not given.
 */
static BookingPlan upsert_nights_plan = {
	"INSERT INTO booking.inventory AS i (property_id, room_type, night, units, price)"
	" SELECT $1, $2, $3 OPERATOR(pg_catalog.+) g, COALESCE($5, rt.units), COALESCE($6, rt.base_price)"
	"   FROM booking.room_type rt,"
	"        pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g"
	"  WHERE rt.property_id OPERATOR(pg_catalog.=) $1 AND rt.code OPERATOR(pg_catalog.=) $2"
	" ON CONFLICT (property_id, room_type, night) DO UPDATE"
	"    SET units = COALESCE($5, i.units), price = COALESCE($6, i.price)",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, NUMERICOID}
};

/*
 * The same from 2.0, where a night may be overbooked (channels): units
 * coming free pay overbooked down first, as on every other path
 * (inventory.c, night_write).
 */
static BookingPlan upsert_nights_2_0_plan = {
	"INSERT INTO booking.inventory AS i (property_id, room_type, night, units, price)"
	" SELECT $1, $2, $3 OPERATOR(pg_catalog.+) g, COALESCE($5, rt.units), COALESCE($6, rt.base_price)"
	"   FROM booking.room_type rt,"
	"        pg_catalog.generate_series(0, ($4 OPERATOR(pg_catalog.-) $3) OPERATOR(pg_catalog.-) 1) g"
	"  WHERE rt.property_id OPERATOR(pg_catalog.=) $1 AND rt.code OPERATOR(pg_catalog.=) $2"
	" ON CONFLICT (property_id, room_type, night) DO UPDATE"
	"    SET units = COALESCE($5, i.units), price = COALESCE($6, i.price),"
	"        overbooked = GREATEST(0, LEAST(i.overbooked,"
	"                     ((i.held OPERATOR(pg_catalog.+) i.booked) OPERATOR(pg_catalog.+) i.blocked)"
	"                     OPERATOR(pg_catalog.-) COALESCE($5, i.units)))",
	6, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID, NUMERICOID}
};

/* Nights of [$3, $4) holding or booking more than $5 units, locked. */
static BookingPlan overcommitted_nights_plan = {
	"SELECT night, held, booked FROM booking.inventory"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4"
	"   AND (held OPERATOR(pg_catalog.+) booked) OPERATOR(pg_catalog.>) $5"
	" ORDER BY night LIMIT 1",
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID}
};

/*
 * From 2.0: more than $5 units plus what the night is overbooked by
 * (lowering units may not overbook a night further; only a channel does),
 * the units set aside for blocks counted as taken.  In bigint: $5 may be
 * the largest int, and an overbooked night adds to it (badinput found the
 * overflow).
 */
static BookingPlan overcommitted_nights_2_0_plan = {
	"SELECT night, held, booked FROM booking.inventory"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND room_type OPERATOR(pg_catalog.=) $2"
	"   AND night OPERATOR(pg_catalog.>=) $3 AND night OPERATOR(pg_catalog.<) $4"
	"   AND ((held::pg_catalog.int8 OPERATOR(pg_catalog.+) booked) OPERATOR(pg_catalog.+) blocked)"
	"       OPERATOR(pg_catalog.>) ($5::pg_catalog.int8 OPERATOR(pg_catalog.+) overbooked)"
	" ORDER BY night LIMIT 1",
	5, {INT8OID, TEXTOID, DATEOID, DATEOID, INT4OID}
};

/*
 * bk_require_property fails with BK005 unless the property exists.
 */
void
bk_require_property(int64 property_id)
{
	Datum		args[1] = {Int64GetDatum(property_id)};

	bk_exec(&property_exists_plan, args, NULL, 1);
	if (SPI_processed == 0)
		bk_report_no_property(property_id);
}

/*
 * room_type_exists says whether the property has the room type.
 */
static bool
room_type_exists(int64 property_id, const char *room_type)
{
	Datum		args[2] = {Int64GetDatum(property_id), CStringGetTextDatum(room_type)};

	bk_exec(&room_type_exists_plan, args, NULL, 1);
	return SPI_processed > 0;
}

/* The room type's row, locked against other changes of its catalog */
static BookingPlan lock_room_type_plan = {
	"SELECT 1 FROM booking.room_type"
	" WHERE property_id OPERATOR(pg_catalog.=) $1 AND code OPERATOR(pg_catalog.=) $2"
	"   FOR NO KEY UPDATE",
	2, {INT8OID, TEXTOID}
};

/*
 * bk_lock_room_type fails with BK005 unless the property has the room
 * type (a property that does not exist has none), and locks its row
 * (FOR NO KEY UPDATE, which reservations' foreign keys do not wait for)
 * until the end of the transaction.  Every change of a room type's
 * catalog takes it first (open_inventory, set_rates, add_rate_plan,
 * set_rules, clear_rules), so that two of them are judged one after the
 * other: a flag recomputed from the rules, or the check that no derived
 * plan goes negative, then sees the other's committed change.
 */
void
bk_lock_room_type(int64 property_id, const char *room_type)
{
	Datum		args[2];

	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);
	bk_exec_locking(&lock_room_type_plan, args, NULL, 1,
					psprintf("room type \"%s\" of property %lld", room_type,
							 (long long) property_id));
	if (SPI_processed == 0)
		bk_report_no_room_type(property_id, room_type);
}

/*
 * booking_add_property is add_property(name, city, time_zone): it checks the
 * time zone and returns the new property_id, n * 1024 + booking.node_id.
 */
Datum
booking_add_property(PG_FUNCTION_ARGS)
{
	char	   *name = bk_text_arg(fcinfo, 0, "name", BOOKING_MAX_NAME_BYTES, true, true);
	char	   *city = bk_text_arg(fcinfo, 1, "city", BOOKING_MAX_NAME_BYTES, true, true);
	char	   *time_zone = bk_text_arg(fcinfo, 2, "time_zone", BOOKING_MAX_TIME_ZONE_BYTES, true, true);
	Datum		args[4];
	int64		property_id;

	bk_validate_time_zone(time_zone);

	bk_connect();
	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(city);
	args[2] = CStringGetTextDatum(time_zone);
	args[3] = Int32GetDatum(booking_node_id);
	bk_exec(&insert_property_plan, args, NULL, 0);
	property_id = bk_get_int64(0, 1);
	bk_finish();

	PG_RETURN_INT64(property_id);
}

/*
 * booking_add_room_type is add_room_type(property_id, code, name, units,
 * max_guests, base_price).
 */
Datum
booking_add_room_type(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *code;
	char	   *name;
	int32		units;
	int32		max_guests;
	Datum		args[6];

	bk_require_arg(fcinfo, 0, "property_id");
	code = bk_text_arg(fcinfo, 1, "code", BOOKING_MAX_CODE_BYTES, true, true);
	name = bk_text_arg(fcinfo, 2, "name", BOOKING_MAX_NAME_BYTES, true, true);
	bk_require_arg(fcinfo, 3, "units");
	bk_require_arg(fcinfo, 4, "max_guests");
	bk_require_arg(fcinfo, 5, "base_price");
	property_id = PG_GETARG_INT64(0);
	units = PG_GETARG_INT32(3);
	max_guests = PG_GETARG_INT32(4);
	if (units < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("units must be at least 0"),
				 errdetail("units is %d.", units)));
	if (max_guests < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_guests must be at least 1"),
				 errdetail("max_guests is %d.", max_guests)));
	bk_validate_price(PG_GETARG_DATUM(5), "base_price");

	bk_connect();
	bk_require_property(property_id);
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(code);
	if (room_type_exists(property_id, code))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("room type \"%s\" already exists at property %lld",
						code, (long long) property_id),
				 errhint("Use another code, or change its nights with booking.open_inventory.")));
	args[2] = CStringGetTextDatum(name);
	args[3] = Int32GetDatum(units);
	args[4] = Int32GetDatum(max_guests);
	args[5] = NumericGetDatum(bk_round_cents(PG_GETARG_NUMERIC(5)));	/* money: cents */
	bk_exec(&insert_room_type_plan, args, NULL, 0);
	bk_finish();

	PG_RETURN_VOID();
}

/*
 * booking_open_inventory is open_inventory(property_id, room_type,
 * first_night, end_night, units, price): it writes the nights
 * [first_night, end_night) and returns how many.  Existing nights are
 * locked in order first; lowering units below what a night already holds
 * and books fails with BK001 and changes nothing.
 */
Datum
booking_open_inventory(PG_FUNCTION_ARGS)
{
	int64		property_id;
	char	   *room_type;
	DateADT		first_night;
	DateADT		end_night;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int			written;
	bool		overbooked;

	bk_require_arg(fcinfo, 0, "property_id");
	room_type = bk_text_arg(fcinfo, 1, "room_type", BOOKING_MAX_CODE_BYTES, true, true);
	bk_require_arg(fcinfo, 2, "first_night");
	bk_require_arg(fcinfo, 3, "end_night");
	property_id = PG_GETARG_INT64(0);
	first_night = PG_GETARG_DATEADT(2);
	end_night = PG_GETARG_DATEADT(3);
	bk_validate_night_range(first_night, end_night, "the nights written are");
	if (!PG_ARGISNULL(4) && PG_GETARG_INT32(4) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("units must be at least 0"),
				 errdetail("units is %d.", PG_GETARG_INT32(4))));
	if (!PG_ARGISNULL(5))
		bk_validate_price(PG_GETARG_DATUM(5), "price");

	bk_connect();
	bk_require_property(property_id);
	bk_lock_room_type(property_id, room_type);
	overbooked = bk_schema_has_overbooked();
	args[0] = Int64GetDatum(property_id);
	args[1] = CStringGetTextDatum(room_type);

	bk_lock_nights(property_id, room_type, first_night, end_night);
	args[2] = DateADTGetDatum(first_night);
	args[3] = DateADTGetDatum(end_night);
	if (!PG_ARGISNULL(4))
	{
		args[4] = PG_GETARG_DATUM(4);
		bk_exec(overbooked ? &overcommitted_nights_2_0_plan : &overcommitted_nights_plan,
				args, NULL, 1);
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_NO_AVAILABILITY),
					 errmsg("cannot lower units to %d: a night already has %d held and %d booked",
							PG_GETARG_INT32(4), bk_get_int32(0, 2), bk_get_int32(0, 3)),
					 errdetail("Property %lld, room type \"%s\", night %s.",
							   (long long) property_id, room_type,
							   bk_date_str(DatumGetDateADT(bk_get_notnull(0, 1)))),
					 errhint("Cancel or move reservations first, or keep units at least at held + booked.")));
	}
	else
		nulls[4] = 'n';
	if (PG_ARGISNULL(5))
		nulls[5] = 'n';
	else
		args[5] = NumericGetDatum(bk_round_cents(PG_GETARG_NUMERIC(5)));	/* money: cents */

	bk_exec(overbooked ? &upsert_nights_2_0_plan : &upsert_nights_plan, args, nulls, 0);
	written = (int) SPI_processed;
	bk_calendar_refresh_range(property_id, room_type, first_night, end_night);
	bk_ari_note_range(property_id, room_type, first_night, end_night);
	if (!PG_ARGISNULL(5) && bk_schema_has_night_prices())
		bk_plans_check_prices(property_id, room_type, BK_BASE_PLAN, first_night, end_night);
	bk_finish();
	/* it holds only these nights (the refresh's publisher's lock: waitlist_offer.c) */
	if (!PG_ARGISNULL(4))
		bk_waitlist_offer_range(property_id, room_type, first_night, end_night, true);

	PG_RETURN_INT32(written);
}

/*-------------------------------------------------------------------------
 * idempotency.c
 *    Idempotency keys for reserve_range.  A key is scoped by guest_id ('' for
 *    none) and remembers a SHA-256 digest of the call's arguments and the
 *    reservation the first call made.  Keys older than
 *    booking.idempotency_retention are deleted in batches
 *    (bk_purge_idempotency_keys, for the sweeper and booking.purge()).
 *
 * The first call claims the key with INSERT ... ON CONFLICT DO NOTHING
 * before touching inventory.  A concurrent call with the same key waits on
 * that uncommitted row: if the first call commits, it finds the key and
 * returns the same reservation; if it fails, the key is gone and the
 * waiting call goes ahead as the first.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "utils/builtins.h"

#include "booking.h"

static BookingPlan claim_key_plan = {
	"INSERT INTO booking.idempotency_key (scope, key, request_digest, property_id, created_at)"
	" VALUES ($1, $2, $3, $4, pg_catalog.now())"
	" ON CONFLICT (scope, key) DO NOTHING",
	4, {TEXTOID, TEXTOID, BYTEAOID, INT8OID}
};

static BookingPlan find_key_plan = {
	"SELECT request_digest, reservation_id FROM booking.idempotency_key"
	" WHERE scope OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.=) $2",
	2, {TEXTOID, TEXTOID}
};

/* The same for a waitlist entry's key (2.0): the entry it made */
static BookingPlan find_waitlist_key_plan = {
	"SELECT request_digest, waitlist_id FROM booking.idempotency_key"
	" WHERE scope OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.=) $2",
	2, {TEXTOID, TEXTOID}
};

static BookingPlan record_waitlist_key_plan = {
	"UPDATE booking.idempotency_key SET waitlist_id = $3"
	" WHERE scope OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.=) $2",
	3, {TEXTOID, TEXTOID, INT8OID}
};

static BookingPlan record_key_plan = {
	"UPDATE booking.idempotency_key SET reservation_id = $3"
	" WHERE scope OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.=) $2",
	3, {TEXTOID, TEXTOID, INT8OID}
};

/* Keys older than $1, oldest first, at most $2 of them */
static BookingPlan purge_keys_plan = {
	"DELETE FROM booking.idempotency_key WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
	"  SELECT ctid FROM booking.idempotency_key"
	"   WHERE created_at OPERATOR(pg_catalog.<) $1 ORDER BY created_at LIMIT $2))",
	2, {TIMESTAMPTZOID, INT4OID}
};

/*
 * bk_request_digest hashes the arguments that define a reserve_range call.
 * The room type is length-prefixed so no two argument lists share a text.
 */
bytea *
bk_request_digest(int64 property_id, const char *room_type,
				  DateADT check_in, DateADT check_out, int32 rooms, Interval *hold,
				  int32 guests, const BkSaleTerms *terms)
{
	char	   *canonical;

	if (hold)
		canonical = psprintf("reserve_range/1|%lld|%zu:%s|%d|%d|%d|%d/%d/%lld",
							 (long long) property_id, strlen(room_type), room_type,
							 (int) check_in, (int) check_out, rooms,
							 hold->month, hold->day, (long long) hold->time);
	else
		canonical = psprintf("reserve_range/1|%lld|%zu:%s|%d|%d|%d|default",
							 (long long) property_id, strlen(room_type), room_type,
							 (int) check_in, (int) check_out, rooms);
	/* 2.0's guests, when given; without them the text is 1.x's, so keys recorded before still match */
	if (guests > 0)
		canonical = psprintf("%s|guests=%d", canonical, guests);
	/* and the plan and children, when not 'BASE' and none */
	if (terms && terms->rate_plan)
		canonical = psprintf("%s|plan=%zu:%s", canonical, strlen(terms->rate_plan), terms->rate_plan);
	if (terms && terms->children > 0)
		canonical = psprintf("%s|children=%d", canonical, terms->children);
	/* and the block picked up from, when one (blocks) */
	if (terms && terms->block)
		canonical = psprintf("%s|block=%zu:%s", canonical, strlen(terms->block), terms->block);
	return bk_text_digest(canonical);
}

/*
 * bk_text_digest is the SHA-256 of a call's canonical text, as stored
 * with its idempotency key.
 */
bytea *
bk_text_digest(const char *canonical)
{
	pg_cryptohash_ctx *ctx;
	bytea	   *digest = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) canonical, strlen(canonical)) < 0 ||
		pg_cryptohash_final(ctx, (uint8 *) VARDATA(digest), PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	SET_VARSIZE(digest, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return digest;
}

/*
 * bk_claim_key claims (scope, key) for this call.  Returns true when this
 * call is the first and must make the reservation (then bk_record_key);
 * false when an earlier call with the same arguments made one, whose id is
 * put in *existing_reservation.  The same key with other arguments fails
 * with BK004.  The scope (the guest_id) and the key are indexed together,
 * so their lengths are checked here too, whatever the caller checked:
 * longer ones would fail inside the index (54000) instead of with 22023.
 */
static bool claim_key(const char *scope, const char *key, bytea *digest, int64 property_id,
					  BookingPlan *find, int64 *existing);

bool
bk_claim_key(const char *scope, const char *key, bytea *digest,
			 int64 property_id, int64 *existing_reservation)
{
	return claim_key(scope, key, digest, property_id, &find_key_plan, existing_reservation);
}

/*
 * bk_claim_waitlist_key is bk_claim_key for join_waitlist (2.0): the same
 * claim, in the waitlist's own scope, whose replay returns the waitlist
 * entry the first call made (idempotency_key.waitlist_id).
 */
bool
bk_claim_waitlist_key(const char *scope, const char *key, bytea *digest,
					  int64 property_id, int64 *existing_waitlist_id)
{
	return claim_key(scope, key, digest, property_id, &find_waitlist_key_plan, existing_waitlist_id);
}

/*
 * bk_record_waitlist_key stores the waitlist entry a claimed key made.
 */
void
bk_record_waitlist_key(const char *scope, const char *key, int64 waitlist_id)
{
	Datum		args[3];

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = Int64GetDatum(waitlist_id);
	bk_exec(&record_waitlist_key_plan, args, NULL, 0);
}

static bool
claim_key(const char *scope, const char *key, bytea *digest, int64 property_id,
		  BookingPlan *find, int64 *existing_reservation)
{
	Datum		args[4];

	bk_check_text_length(strlen(scope), "guest_id", BOOKING_MAX_REF_BYTES);
	bk_check_text_length(strlen(key), "idempotency_key", BOOKING_MAX_KEY_BYTES);

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = PointerGetDatum(digest);
	args[3] = Int64GetDatum(property_id);

	/* A key deleted by retention between our two statements: try again. */
	for (int attempt = 0; attempt < 3; attempt++)
	{
		bytea	   *stored;
		bool		isnull;
		Datum		reservation;

		bk_exec_locking(&claim_key_plan, args, NULL, 0,
						psprintf("idempotency key \"%s\"", key));
		if (SPI_processed == 1)
			return true;

		bk_exec(find, args, NULL, 1);
		if (SPI_processed == 0)
			continue;

		stored = DatumGetByteaPP(bk_get_notnull(0, 1));
		if (VARSIZE_ANY_EXHDR(stored) != PG_SHA256_DIGEST_LENGTH ||
			memcmp(VARDATA_ANY(stored), VARDATA(digest), PG_SHA256_DIGEST_LENGTH) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_BOOKING_IDEMPOTENCY_MISMATCH),
					 errmsg("idempotency key \"%s\" was already used with other arguments", key),
					 errdetail("Guest \"%s\" first used this key for a call with other arguments (another function, or another reservation, property, room type, dates, rooms, hold, guests, rate plan or children).",
							   scope),
					 errhint("Use a new idempotency key for a new request; repeat a request with exactly the same arguments.")));

		reservation = bk_get(0, 2, &isnull);
		if (isnull)
			elog(ERROR, "idempotency key \"%s\" has no reservation", key);
		*existing_reservation = DatumGetInt64(reservation);
		return false;
	}
	ereport(ERROR,
			(errcode(ERRCODE_BOOKING_BUSY),
			 errmsg("idempotency key \"%s\" changed while it was being claimed", key),
			 errhint("Retry the call.")));
	return false;				/* not reached */
}

/*
 * bk_record_key stores the reservation a claimed key made.
 */
void
bk_record_key(const char *scope, const char *key, int64 reservation_id)
{
	Datum		args[3];

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = Int64GetDatum(reservation_id);
	bk_exec(&record_key_plan, args, NULL, 0);
}

/*
 * bk_purge_idempotency_keys deletes up to max_rows keys older than
 * booking.idempotency_retention, oldest first.
 */
int
bk_purge_idempotency_keys(int32 max_rows)
{
	Datum		args[2];

	args[0] = TimestampTzGetDatum(bk_now() -
								  (TimestampTz) booking_idempotency_retention_s * USECS_PER_SEC);
	args[1] = Int32GetDatum(max_rows);
	bk_exec(&purge_keys_plan, args, NULL, 0);
	return (int) SPI_processed;
}

#!/usr/bin/python3
"""booking from asyncpg: the example of docs/drivers.md, run by test/drivers/run.

It connects with the usual libpq environment (PGHOST, PGPORT, PGDATABASE,
PGPASSWORD or ~/.pgpass; asyncpg reads them too) as three login roles:
  BOOKING_ADMIN_USER    (default hotel_admin,  granted booking_admin)    opens a hotel
  BOOKING_APP_USER      (default hotel_app,    granted booking_app)      books
  BOOKING_CONSUMER_USER (default hotel_events, granted booking_consumer) reads the outbox
With BOOKING_DEMO_RECREATE=yes it also drops and re-creates the extension as
BOOKING_DBA_USER (a superuser, default postgres) to show what a prepared
statement does then (0A000) and how to recover.  That drops every booking:
only on a throwaway database.
Every step checks what it got (assert) and prints one line.
"""
import asyncio
import datetime
import json
import os
from decimal import Decimal
from functools import partial

import asyncpg

ADMIN = os.environ.get("BOOKING_ADMIN_USER", "hotel_admin")
APP = os.environ.get("BOOKING_APP_USER", "hotel_app")
CONSUMER = os.environ.get("BOOKING_CONSUMER_USER", "hotel_events")
DBA = os.environ.get("BOOKING_DBA_USER", "postgres")
CITY = "Drivertown"


# --8<-- [start:connect]
async def setup_connection(conn):
    """asyncpg returns jsonb as a str unless told otherwise: decode it (numbers
    as Decimal, like numeric columns).  Pass this as create_pool(init=...)
    so that every connection of a pool gets it."""
    await conn.set_type_codec("jsonb", schema="pg_catalog", format="text",
                              encoder=json.dumps,
                              decoder=partial(json.loads, parse_float=Decimal))


async def connect(user):
    conn = await asyncpg.connect(user=user)
    await setup_connection(conn)
    return conn
# --8<-- [end:connect]


# --8<-- [start:errors]
# README.md's "Errors" table: the HTTP status a service answers for each SQLSTATE.
HTTP_STATUS = {
    "BK001": 409,  # no_availability
    "BK002": 410,  # hold_expired: the payment came too late, refund it
    "BK003": 409,  # invalid_transition
    "BK004": 422,  # idempotency_mismatch: the key was used with other arguments
    "BK005": 404,  # not_found
    "BK006": 422,  # restriction_violation: a stay rule
    "BK007": 503,  # busy: retry
    "40001": 409,  # serialization_failure: retry (REPEATABLE READ, SERIALIZABLE)
    "22023": 400,  # invalid_parameter_value
}


def http_status(error):
    """asyncpg has no exception class for booking's BKnnn codes: it raises
    asyncpg.exceptions.UnknownPostgresError.  Catch asyncpg.PostgresError
    and decide on error.sqlstate, never on the exception's class."""
    return HTTP_STATUS.get(error.sqlstate, 500)
# --8<-- [end:errors]


# --8<-- [start:reserve]
# SELECT * FROM booking.reserve_range(...): one column per field.  (SELECT
# booking.reserve_range(...) gives one column holding the whole row.)
# created_at is the start of the transaction that made the reservation, so
# created_at = now() is true only when this call made it: 201 Created.  A
# replay of the idempotency key returns the first call's reservation: 200.
RESERVE = """
    SELECT r.*, r.created_at = now() AS created
      FROM booking.reserve_range($1, $2, $3, $4, rooms => $5, guest_id => $6,
                                 idempotency_key => $7) AS r"""


async def reserve(conn, a):
    """POST /reservations: returns (HTTP status, body)."""
    try:
        row = await conn.fetchrow(RESERVE, a["property_id"], a["room_type"], a["check_in"],
                                  a["check_out"], a["rooms"], a["guest_id"], a["key"])
    except asyncpg.PostgresError as e:
        return http_status(e), {"error": e.sqlstate, "message": e.message, "detail": e.detail}
    return (201 if row["created"] else 200), row
# --8<-- [end:reserve]


# --8<-- [start:consumer]
async def consume(conn, consumer, handle):
    """One round of an outbox consumer: read a batch, handle each event
    (handle must tolerate a repeat: delivery is at least once), then
    acknowledge up to the last one.  Returns how many events it handled."""
    events = await conn.fetch(
        "SELECT event_id, kind, reservation_id, payload FROM booking.read_events($1, 100)",
        consumer)
    for event in events:
        handle(event)
    if events:
        await conn.execute("SELECT booking.ack_events($1, $2)", consumer, events[-1]["event_id"])
    return len(events)
# --8<-- [end:consumer]


# --8<-- [start:stale-plan]
async def reserve_in_transaction(conn, a):
    """asyncpg prepares every statement and keeps it.  After DROP and CREATE
    EXTENSION booking the result's row type is a new type with the old
    name, and the server refuses the old statement: 0A000.  Outside a
    transaction asyncpg prepares it again and retries by itself.  Inside
    one it raises InvalidCachedStatementError (having dropped its cache):
    retry the whole transaction once.  Returns (row, the first error)."""
    stale = None
    for attempt in (1, 2):
        try:
            async with conn.transaction():
                row = await conn.fetchrow(RESERVE, a["property_id"], a["room_type"], a["check_in"],
                                          a["check_out"], a["rooms"], a["guest_id"], a["key"])
                return row, stale
        except asyncpg.exceptions.InvalidCachedStatementError as e:  # 0A000
            if attempt == 2:
                raise
            stale = e
# --8<-- [end:stale-plan]


async def open_hotel(admin, name, first_night, end_night):
    """As booking_admin: a hotel with 2 doubles at 120.50, nights on sale."""
    property_id = await admin.fetchval("SELECT booking.add_property($1, $2, 'UTC')", name, CITY)
    await admin.execute("SELECT booking.add_room_type($1, 'DBL', 'Double room', 2,"
                        " max_guests => 2, base_price => $2)", property_id, Decimal("120.50"))
    nights = await admin.fetchval("SELECT booking.open_inventory($1, 'DBL', $2, $3)",
                                  property_id, first_night, end_night)
    return property_id, nights


async def main():
    today = datetime.date.today()
    arrive = today + datetime.timedelta(days=10)
    leave = today + datetime.timedelta(days=13)

    admin = await connect(ADMIN)
    property_id, nights = await open_hotel(admin, "Driver Hotel", arrive, today + datetime.timedelta(days=15))
    assert nights == 5, nights
    print(f"catalog: {nights} nights on sale")

    app = await connect(APP)
    rows = await app.fetch("SELECT * FROM booking.search($1, $2, $3, guests => 2)", CITY, arrive, leave)
    assert len(rows) == 1 and rows[0]["total_price"] == Decimal("361.50"), rows
    print("search: {property_name} {room_type} min_available={min_available}"
          " total_price={total_price}".format(**rows[0]))

    ana = {"property_id": property_id, "room_type": "DBL", "check_in": arrive,
           "check_out": leave, "rooms": 1, "guest_id": "ana", "key": "ana-checkout-1"}
    status, first = await reserve(app, ana)
    assert status == 201 and first["state"] == "held", (status, first)
    print(f"reserve: {status} {first['state']}, {(first['check_out'] - first['check_in']).days}"
          f" nights, total_price={first['total_price']}")

    status, again = await reserve(app, ana)
    assert status == 200 and again["reservation_id"] == first["reservation_id"], (status, again)
    print(f"replay: {status}, the same reservation")

    status, body = await reserve(app, {**ana, "rooms": 2})
    assert (status, body["error"]) == (422, "BK004"), (status, body)
    print(f"same key, other arguments: {body['error']} -> {status}")

    bob = {**ana, "rooms": 2, "guest_id": "bob", "key": "bob-checkout-1"}
    status, body = await reserve(app, bob)
    assert (status, body["error"]) == (409, "BK001") and "free" in body["detail"], (status, body)
    print(f"two rooms, one left: {body['error']} -> {status}")

    row = await app.fetchrow("SELECT * FROM booking.confirm_booking($1, $2)",
                             first["reservation_id"], "pay_ana_1")
    assert row["state"] == "confirmed" and row["confirmation_code"], row
    print(f"confirm: {row['state']}, confirmation code issued")

    # A repeat of the confirm (same payment_ref: changes nothing), called
    # without FROM: one column holding the whole row (asyncpg decodes it).
    whole = await app.fetchval("SELECT booking.confirm_booking($1, $2)",
                               first["reservation_id"], "pay_ana_1")
    assert type(whole) is asyncpg.Record and whole["state"] == "confirmed", whole
    print("without FROM: the row as one nested Record")

    assert type(first["reservation_id"]) is int, first
    assert type(first["total_price"]) is Decimal, first
    assert type(first["check_in"]) is datetime.date and first["check_in"] == arrive, first
    assert type(first["state"]) is str, first
    assert first["hold_expires_at"].tzinfo is not None, first
    print("types: bigint -> int, numeric -> Decimal, date -> datetime.date,"
          " booking_state -> str, timestamptz -> aware datetime")

    events = await connect(CONSUMER)
    seen = []

    def handle(event):
        assert type(event["payload"]) is dict, event  # a str without setup_connection
        if event["reservation_id"] == first["reservation_id"]:
            # the payload is the reservation as the change left it
            assert event["payload"]["state"] == {"reserved": "held"}.get(event["kind"], event["kind"]), event
            assert event["payload"]["total_price"] == Decimal("361.50"), event
            assert type(event["payload"]["total_price"]) is Decimal, event
        seen.append(event["kind"])

    # The sweeper (or read_events itself, when no sweeper serves this
    # database) publishes committed events; wait for both, at most 30 s.
    loop = asyncio.get_running_loop()
    waited_until = loop.time() + 30
    while len(seen) < 2 and loop.time() < waited_until:
        if await consume(events, "example-asyncpg", handle) == 0:
            await asyncio.sleep(0.1)
    assert seen == ["reserved", "confirmed"], seen
    left = await consume(events, "example-asyncpg", handle)
    assert left == 0, left
    print(f"events: {', '.join(seen)}; acknowledged; unread after: {left}")

    try:
        await events.fetch("SELECT * FROM booking.search($1, $2, $3)", CITY, arrive, leave)
        raise AssertionError("booking_consumer could search")
    except asyncpg.exceptions.InsufficientPrivilegeError as e:
        print(f"the consumer role cannot search: {e.sqlstate}")

    if os.environ.get("BOOKING_DEMO_RECREATE") == "yes":
        dba = await connect(DBA)
        cy = {**ana, "guest_id": "cy", "key": "cy-1"}
        row, stale = await reserve_in_transaction(app, cy)
        assert row["state"] == "held" and stale is None, (row, stale)
        await dba.execute("DROP EXTENSION booking CASCADE")
        await dba.execute("CREATE EXTENSION booking")
        property_id, _ = await open_hotel(admin, "Driver Hotel again", arrive, leave)
        row, stale = await reserve_in_transaction(app, {**cy, "property_id": property_id})
        assert stale is not None and stale.sqlstate == "0A000", stale
        assert row["state"] == "held" and row["created"], row
        print(f"after DROP/CREATE EXTENSION: {stale.sqlstate} in a transaction; retried once: {row['state']}")
        # Outside a transaction asyncpg re-prepares and retries by itself.
        await dba.execute("DROP EXTENSION booking CASCADE")
        await dba.execute("CREATE EXTENSION booking")
        property_id, _ = await open_hotel(admin, "Driver Hotel once more", arrive, leave)
        status, row = await reserve(app, {**cy, "property_id": property_id})
        assert status == 201 and row["state"] == "held", (status, row)
        print(f"again, outside a transaction: {status} {row['state']} (asyncpg retried by itself)")
        await dba.close()

    for conn in (admin, app, events):
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/python3
"""booking from psycopg 3: the example of docs/drivers.md, run by test/drivers/run.

It connects with the usual libpq environment (PGHOST, PGPORT, PGDATABASE,
PGPASSWORD or ~/.pgpass) as three login roles:
  BOOKING_ADMIN_USER    (default hotel_admin,  granted booking_admin)    opens a hotel
  BOOKING_APP_USER      (default hotel_app,    granted booking_app)      books
  BOOKING_CONSUMER_USER (default hotel_events, granted booking_consumer) reads the outbox
With BOOKING_DEMO_RECREATE=yes it also drops and re-creates the extension as
BOOKING_DBA_USER (a superuser, default postgres) to show what a prepared
statement does then (0A000) and how to recover.  That drops every booking:
only on a throwaway database.
Every step checks what it got (assert) and prints one line.
"""
import datetime
import json
import os
import time
from decimal import Decimal
from functools import partial

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads

ADMIN = os.environ.get("BOOKING_ADMIN_USER", "hotel_admin")
APP = os.environ.get("BOOKING_APP_USER", "hotel_app")
CONSUMER = os.environ.get("BOOKING_CONSUMER_USER", "hotel_events")
DBA = os.environ.get("BOOKING_DBA_USER", "postgres")
CITY = "Drivertown"


# --8<-- [start:connect]
def connect(user):
    """Autocommit: each statement is its own transaction unless it runs in
    `with conn.transaction():`.  (psycopg's default opens a transaction at
    the first statement and keeps it open until commit(); an idle open
    transaction holds locks, and read_events publishes new events only
    when it is a transaction of its own.)"""
    conn = psycopg.connect(user=user, autocommit=True, row_factory=dict_row)
    # jsonb: numbers as Decimal, like numeric columns (json.loads gives float)
    set_json_loads(partial(json.loads, parse_float=Decimal), conn)
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
    """psycopg has no exception class for booking's BKnnn codes: it raises a
    plain psycopg.DatabaseError.  Decide on error.sqlstate, never on the
    exception's class."""
    return HTTP_STATUS.get(error.sqlstate, 500)
# --8<-- [end:errors]


# --8<-- [start:reserve]
# SELECT * FROM booking.reserve_range(...): one column per field.  (SELECT
# booking.reserve_range(...) would give the whole row as one string.)
# created_at is the start of the transaction that made the reservation, so
# created_at = now() is true only when this call made it: 201 Created.  A
# replay of the idempotency key returns the first call's reservation: 200.
RESERVE = """
    SELECT r.*, r.created_at = now() AS created
      FROM booking.reserve_range(%(property_id)s, %(room_type)s, %(check_in)s, %(check_out)s,
                                 rooms => %(rooms)s, guest_id => %(guest_id)s,
                                 idempotency_key => %(key)s) AS r"""


def reserve(conn, args):
    """POST /reservations: returns (HTTP status, body)."""
    try:
        row = conn.execute(RESERVE, args).fetchone()
    except psycopg.Error as e:
        return http_status(e), {"error": e.sqlstate, "message": e.diag.message_primary,
                                "detail": e.diag.message_detail}
    return (201 if row["created"] else 200), row
# --8<-- [end:reserve]


# --8<-- [start:consumer]
def consume(conn, consumer, handle):
    """One round of an outbox consumer: read a batch, handle each event
    (handle must tolerate a repeat: delivery is at least once), then
    acknowledge up to the last one.  Returns how many events it handled."""
    events = conn.execute(
        "SELECT event_id, kind, reservation_id, payload FROM booking.read_events(%s, 100)",
        (consumer,)).fetchall()
    for event in events:
        handle(event)
    if events:
        conn.execute("SELECT booking.ack_events(%s, %s)", (consumer, events[-1]["event_id"]))
    return len(events)
# --8<-- [end:consumer]


# --8<-- [start:stale-plan]
def reserve_prepared(conn, args):
    """reserve_range through a server-side prepared statement.  psycopg
    prepares a query by itself once it has run prepare_threshold (5) times
    on a connection; prepare=True prepares it at once.  After DROP and
    CREATE EXTENSION booking the result's row type is a new type with the
    old name, and the server refuses the old statement: 0A000 "cached plan
    must not change result type".  The rollback of conn.transaction()
    makes psycopg forget its prepared statements, so one retry prepares
    the query afresh.  Returns (row, the error of the first attempt)."""
    stale = None
    for attempt in (1, 2):
        try:
            with conn.transaction():
                return conn.execute(RESERVE, args, prepare=True).fetchone(), stale
        except psycopg.errors.FeatureNotSupported as e:  # 0A000
            if attempt == 2:
                raise
            stale = e
# --8<-- [end:stale-plan]


def open_hotel(admin, name, first_night, end_night):
    """As booking_admin: a hotel with 2 doubles at 120.50, nights on sale."""
    property_id = admin.execute("SELECT booking.add_property(%s, %s, 'UTC') AS id",
                                (name, CITY)).fetchone()["id"]
    admin.execute("SELECT booking.add_room_type(%s, 'DBL', 'Double room', 2,"
                  " max_guests => 2, base_price => %s)", (property_id, Decimal("120.50")))
    nights = admin.execute("SELECT booking.open_inventory(%s, 'DBL', %s, %s) AS n",
                           (property_id, first_night, end_night)).fetchone()["n"]
    return property_id, nights


def main():
    today = datetime.date.today()
    arrive = today + datetime.timedelta(days=10)
    leave = today + datetime.timedelta(days=13)

    with connect(ADMIN) as admin:
        property_id, nights = open_hotel(admin, "Driver Hotel", arrive, today + datetime.timedelta(days=15))
    assert nights == 5, nights
    print(f"catalog: {nights} nights on sale")

    with connect(APP) as app:
        rows = app.execute("SELECT * FROM booking.search(%s, %s, %s, guests => 2)",
                           (CITY, arrive, leave)).fetchall()
        assert len(rows) == 1 and rows[0]["total_price"] == Decimal("361.50"), rows
        print("search: {property_name} {room_type} min_available={min_available}"
              " total_price={total_price}".format(**rows[0]))

        ana = {"property_id": property_id, "room_type": "DBL", "check_in": arrive,
               "check_out": leave, "rooms": 1, "guest_id": "ana", "key": "ana-checkout-1"}
        status, first = reserve(app, ana)
        assert status == 201 and first["state"] == "held", (status, first)
        print(f"reserve: {status} {first['state']}, {(first['check_out'] - first['check_in']).days}"
              f" nights, total_price={first['total_price']}")

        status, again = reserve(app, ana)
        assert status == 200 and again["reservation_id"] == first["reservation_id"], (status, again)
        print(f"replay: {status}, the same reservation")

        status, body = reserve(app, {**ana, "rooms": 2})
        assert (status, body["error"]) == (422, "BK004"), (status, body)
        print(f"same key, other arguments: {body['error']} -> {status}")

        bob = {**ana, "rooms": 2, "guest_id": "bob", "key": "bob-checkout-1"}
        status, body = reserve(app, bob)
        assert (status, body["error"]) == (409, "BK001") and "free" in body["detail"], (status, body)
        print(f"two rooms, one left: {body['error']} -> {status}")

        row = app.execute("SELECT * FROM booking.confirm_booking(%s, %s)",
                          (first["reservation_id"], "pay_ana_1")).fetchone()
        assert row["state"] == "confirmed" and row["confirmation_code"], row
        print(f"confirm: {row['state']}, confirmation code issued")

        # A repeat of the confirm (same payment_ref: changes nothing), called
        # without FROM: the whole row comes back as one string.
        whole = app.execute("SELECT booking.confirm_booking(%s, %s) AS r",
                            (first["reservation_id"], "pay_ana_1")).fetchone()["r"]
        assert type(whole) is str and whole.startswith(f"({first['reservation_id']},"), whole
        print("without FROM: the row as one str")

        assert type(first["reservation_id"]) is int, first
        assert type(first["total_price"]) is Decimal, first
        assert type(first["check_in"]) is datetime.date and first["check_in"] == arrive, first
        assert type(first["state"]) is str, first
        assert first["hold_expires_at"].tzinfo is not None, first
        print("types: bigint -> int, numeric -> Decimal, date -> datetime.date,"
              " booking_state -> str, timestamptz -> aware datetime")

    with connect(CONSUMER) as events:
        seen = []

        def handle(event):
            assert type(event["payload"]) is dict, event
            if event["reservation_id"] == first["reservation_id"]:
                # the payload is the reservation as the change left it
                assert event["payload"]["state"] == {"reserved": "held"}.get(event["kind"], event["kind"]), event
                assert event["payload"]["total_price"] == Decimal("361.50"), event
                assert type(event["payload"]["total_price"]) is Decimal, event
            seen.append(event["kind"])

        # The sweeper (or read_events itself, when no sweeper serves this
        # database) publishes committed events; wait for both, at most 30 s.
        waited_until = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < waited_until:
            if consume(events, "example-psycopg", handle) == 0:
                time.sleep(0.1)
        assert seen == ["reserved", "confirmed"], seen
        left = consume(events, "example-psycopg", handle)
        assert left == 0, left
        print(f"events: {', '.join(seen)}; acknowledged; unread after: {left}")

        try:
            events.execute("SELECT * FROM booking.search(%s, %s, %s)", (CITY, arrive, leave))
            raise AssertionError("booking_consumer could search")
        except psycopg.errors.InsufficientPrivilege as e:
            print(f"the consumer role cannot search: {e.sqlstate}")

    if os.environ.get("BOOKING_DEMO_RECREATE") == "yes":
        with connect(APP) as app, connect(DBA) as dba, connect(ADMIN) as admin:
            row, stale = reserve_prepared(app, {**ana, "guest_id": "cy", "key": "cy-1"})
            assert row["state"] == "held" and stale is None, (row, stale)
            dba.execute("DROP EXTENSION booking CASCADE")
            dba.execute("CREATE EXTENSION booking")
            property_id, _ = open_hotel(admin, "Driver Hotel again", arrive, leave)
            row, stale = reserve_prepared(app, {**ana, "property_id": property_id,
                                                "guest_id": "cy", "key": "cy-1"})
            assert stale is not None and stale.sqlstate == "0A000", stale
            assert row["state"] == "held" and row["created"], row
            print(f"after DROP/CREATE EXTENSION: {stale.sqlstate} {stale.diag.message_primary};"
                  f" retried once: {row['state']}")


if __name__ == "__main__":
    main()

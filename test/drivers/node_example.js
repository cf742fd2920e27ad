#!/usr/bin/env node
// booking from node-postgres (pg): the example of docs/drivers.md, run by
// test/drivers/run.
//
// It connects with the usual libpq environment (PGHOST, PGPORT, PGDATABASE,
// PGPASSWORD; node-postgres reads them too) as three login roles:
//   BOOKING_ADMIN_USER    (default hotel_admin,  granted booking_admin)    opens a hotel
//   BOOKING_APP_USER      (default hotel_app,    granted booking_app)      books
//   BOOKING_CONSUMER_USER (default hotel_events, granted booking_consumer) reads the outbox
// With BOOKING_DEMO_RECREATE=yes it also drops and re-creates the extension
// as BOOKING_DBA_USER (a superuser, default postgres) to show what a named
// prepared statement does then (0A000) and how to recover.  That drops
// every booking: only on a throwaway database.
// Every step checks what it got (assert) and prints one line.
'use strict';
const assert = require('node:assert/strict');
const pg = require('pg');

const ADMIN = process.env.BOOKING_ADMIN_USER || 'hotel_admin';
const APP = process.env.BOOKING_APP_USER || 'hotel_app';
const CONSUMER = process.env.BOOKING_CONSUMER_USER || 'hotel_events';
const DBA = process.env.BOOKING_DBA_USER || 'postgres';
const CITY = 'Drivertown';

// --8<-- [start:types]
// node-postgres returns bigint (int8) and numeric as strings, because a JS
// number cannot hold every value of either, and a date as a Date at local
// midnight, which shifts the night in any time zone west of UTC.  Say what
// you want once, before connecting (these parsers are global):
const { types } = pg;
// ids (reservation_id, property_id, event_id): exact, as BigInt
types.setTypeParser(types.builtins.INT8, (text) => BigInt(text));
// prices: exact, as a BigInt count of cents ('361.50' -> 36150n); refuses
// a price with more than two decimals rather than round it
types.setTypeParser(types.builtins.NUMERIC, (text) => {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  const fraction = ((m && m[3]) || '').padEnd(2, '0');
  if (!m || /[^0]/.test(fraction.slice(2))) throw new RangeError(`not a price in cents: ${text}`);
  const cents = BigInt(m[2]) * 100n + BigInt(fraction.slice(0, 2));
  return m[1] ? -cents : cents;
});
// nights (check_in, check_out, night): the 'YYYY-MM-DD' text, no time zone
types.setTypeParser(types.builtins.DATE, (text) => text);
// jsonb is parsed with JSON.parse: its numbers (a payload's total_price)
// are JS numbers.  Pass dates as 'YYYY-MM-DD' strings and ids as BigInt
// (or strings): node-postgres sends both as text.

const money = (cents) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
// --8<-- [end:types]

// --8<-- [start:errors]
// README.md's "Errors" table: the HTTP status a service answers for each SQLSTATE.
const HTTP_STATUS = {
  BK001: 409, // no_availability
  BK002: 410, // hold_expired: the payment came too late, refund it
  BK003: 409, // invalid_transition
  BK004: 422, // idempotency_mismatch: the key was used with other arguments
  BK005: 404, // not_found
  BK006: 422, // restriction_violation: a stay rule
  BK007: 503, // busy: retry
  40001: 409, // serialization_failure: retry (REPEATABLE READ, SERIALIZABLE)
  22023: 400, // invalid_parameter_value
};

// Every server error is a pg.DatabaseError whose code is the SQLSTATE.
const httpStatus = (err) => (err instanceof pg.DatabaseError && HTTP_STATUS[err.code]) || 500;
// --8<-- [end:errors]

// --8<-- [start:reserve]
// SELECT * FROM booking.reserve_range(...): one column per field.  (SELECT
// booking.reserve_range(...) gives the whole row as one string.)
// created_at is the start of the transaction that made the reservation, so
// created_at = now() is true only when this call made it: 201 Created.  A
// replay of the idempotency key returns the first call's reservation: 200.
// (Compare in SQL: a JS Date keeps milliseconds, the column microseconds.)
const RESERVE = `
    SELECT r.*, r.created_at = now() AS created
      FROM booking.reserve_range($1, $2, $3, $4, rooms => $5, guest_id => $6,
                                 idempotency_key => $7) AS r`;
const reserveValues = (a) => [a.propertyId, a.roomType, a.checkIn, a.checkOut, a.rooms, a.guestId, a.key];

// POST /reservations: returns [HTTP status, body].
async function reserve(db, a) {
  try {
    const { rows } = await db.query(RESERVE, reserveValues(a));
    return [rows[0].created ? 201 : 200, rows[0]];
  } catch (err) {
    if (!(err instanceof pg.DatabaseError)) throw err;
    return [httpStatus(err), { error: err.code, message: err.message, detail: err.detail }];
  }
}
// --8<-- [end:reserve]

// --8<-- [start:consumer]
// One round of an outbox consumer: read a batch, handle each event (handle
// must tolerate a repeat: delivery is at least once), then acknowledge up
// to the last one.  Returns how many events it handled.
async function consume(db, consumer, handle) {
  const { rows } = await db.query(
    'SELECT event_id, kind, reservation_id, payload FROM booking.read_events($1, 100)', [consumer]);
  for (const event of rows) handle(event);
  if (rows.length > 0) {
    await db.query('SELECT booking.ack_events($1, $2)', [consumer, rows[rows.length - 1].event_id]);
  }
  return rows.length;
}
// --8<-- [end:consumer]

// --8<-- [start:stale-plan]
// A query with a `name` is prepared once per connection and kept by
// node-postgres (queries without one are not).  After DROP and CREATE
// EXTENSION booking the result's row type is a new type with the old name,
// and the server refuses the old statement with 0A000 "cached plan must not
// change result type" on every call: node-postgres thinks it is still
// prepared.  Release the connection with an error, which closes it (and its
// statements), and retry once on another.  Returns [row, the first error].
async function reservePrepared(pool, a) {
  let stale = null;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      const { rows } = await client.query({ name: 'reserve', text: RESERVE, values: reserveValues(a) });
      client.release();
      return [rows[0], stale];
    } catch (err) {
      client.release(err); // a truthy argument destroys the connection
      if (err.code !== '0A000' || attempt === 2) throw err;
      stale = err;
    }
  }
}
// --8<-- [end:stale-plan]

async function connect(user) {
  const client = new pg.Client({ user });
  await client.connect();
  return client;
}

// As booking_admin: a hotel with 2 doubles at 120.50, nights on sale.
async function openHotel(admin, name, firstNight, endNight) {
  const { rows: [p] } = await admin.query("SELECT booking.add_property($1, $2, 'UTC') AS id", [name, CITY]);
  await admin.query("SELECT booking.add_room_type($1, 'DBL', 'Double room', 2, max_guests => 2, base_price => $2)",
    [p.id, '120.50']);
  const { rows: [n] } = await admin.query("SELECT booking.open_inventory($1, 'DBL', $2, $3) AS nights",
    [p.id, firstNight, endNight]);
  return [p.id, n.nights];
}

// today + n days as 'YYYY-MM-DD' (UTC, like the hotel's time zone)
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const arrive = day(10);
  const leave = day(13);

  const admin = await connect(ADMIN);
  const [propertyId, nights] = await openHotel(admin, 'Driver Hotel', arrive, day(15));
  assert.equal(nights, 5);
  console.log(`catalog: ${nights} nights on sale`);

  const app = new pg.Pool({ user: APP });
  const { rows: found } = await app.query('SELECT * FROM booking.search($1, $2, $3, guests => 2)',
    [CITY, arrive, leave]);
  assert.equal(found.length, 1);
  assert.equal(found[0].total_price, 36150n);
  const s = found[0];
  console.log(`search: ${s.property_name} ${s.room_type} min_available=${s.min_available} total_price=${money(s.total_price)}`);

  const ana = { propertyId, roomType: 'DBL', checkIn: arrive, checkOut: leave, rooms: 1, guestId: 'ana', key: 'ana-checkout-1' };
  let [status, first] = await reserve(app, ana);
  assert.equal(status, 201);
  assert.equal(first.state, 'held');
  const stay = (Date.parse(first.check_out) - Date.parse(first.check_in)) / 86400000;
  console.log(`reserve: ${status} ${first.state}, ${stay} nights, total_price=${money(first.total_price)}`);

  let again;
  [status, again] = await reserve(app, ana);
  assert.equal(status, 200);
  assert.equal(again.reservation_id, first.reservation_id);
  console.log(`replay: ${status}, the same reservation`);

  let body;
  [status, body] = await reserve(app, { ...ana, rooms: 2 });
  assert.deepEqual([status, body.error], [422, 'BK004']);
  console.log(`same key, other arguments: ${body.error} -> ${status}`);

  [status, body] = await reserve(app, { ...ana, rooms: 2, guestId: 'bob', key: 'bob-checkout-1' });
  assert.deepEqual([status, body.error], [409, 'BK001']);
  assert.match(body.detail, /free/);
  console.log(`two rooms, one left: ${body.error} -> ${status}`);

  const { rows: [confirmed] } = await app.query('SELECT * FROM booking.confirm_booking($1, $2)',
    [first.reservation_id, 'pay_ana_1']);
  assert.equal(confirmed.state, 'confirmed');
  assert.ok(confirmed.confirmation_code);
  console.log(`confirm: ${confirmed.state}, confirmation code issued`);

  // A repeat of the confirm (same payment_ref: changes nothing), called
  // without FROM: the whole row comes back as one string.
  const { rows: [whole] } = await app.query('SELECT booking.confirm_booking($1, $2) AS r',
    [first.reservation_id, 'pay_ana_1']);
  assert.equal(typeof whole.r, 'string');
  assert.ok(whole.r.startsWith(`(${first.reservation_id},`));
  console.log('without FROM: the row as one string');

  assert.equal(typeof first.reservation_id, 'bigint');
  assert.equal(typeof first.total_price, 'bigint');
  assert.equal(first.check_in, arrive);
  assert.equal(typeof first.state, 'string');
  assert.ok(first.hold_expires_at instanceof Date);
  console.log("types: bigint -> BigInt, numeric -> BigInt cents, date -> 'YYYY-MM-DD' string,"
    + ' booking_state -> string, timestamptz -> Date');

  const events = await connect(CONSUMER);
  const seen = [];
  const handle = (event) => {
    assert.equal(typeof event.payload, 'object');
    if (event.reservation_id === first.reservation_id) {
      // the payload is the reservation as the change left it
      assert.equal(event.payload.state, { reserved: 'held' }[event.kind] || event.kind);
      assert.equal(event.payload.total_price, 361.5);
    }
    seen.push(event.kind);
  };
  // The sweeper (or read_events itself, when no sweeper serves this
  // database) publishes committed events; wait for both, at most 30 s.
  const waitedUntil = Date.now() + 30000;
  while (seen.length < 2 && Date.now() < waitedUntil) {
    if ((await consume(events, 'example-node', handle)) === 0) await sleep(100);
  }
  assert.deepEqual(seen, ['reserved', 'confirmed']);
  const left = await consume(events, 'example-node', handle);
  assert.equal(left, 0);
  console.log(`events: ${seen.join(', ')}; acknowledged; unread after: ${left}`);

  await assert.rejects(events.query('SELECT * FROM booking.search($1, $2, $3)', [CITY, arrive, leave]),
    (err) => {
      console.log(`the consumer role cannot search: ${err.code}`);
      return err.code === '42501';
    });

  if (process.env.BOOKING_DEMO_RECREATE === 'yes') {
    const dba = await connect(DBA);
    const cy = { ...ana, guestId: 'cy', key: 'cy-1' };
    let [row, stale] = await reservePrepared(app, cy);
    assert.equal(row.state, 'held');
    assert.equal(stale, null);
    await dba.query('DROP EXTENSION booking CASCADE');
    await dba.query('CREATE EXTENSION booking');
    const [againId] = await openHotel(admin, 'Driver Hotel again', arrive, leave);
    [row, stale] = await reservePrepared(app, { ...cy, propertyId: againId });
    assert.equal(stale.code, '0A000');
    assert.equal(row.state, 'held');
    assert.equal(row.created, true);
    console.log(`after DROP/CREATE EXTENSION: ${stale.code} ${stale.message}; retried once: ${row.state}`);
    await dba.end();
  }

  await Promise.all([admin.end(), app.end(), events.end()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

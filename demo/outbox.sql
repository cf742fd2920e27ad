-- demo/outbox.sql: the event outbox and the numbers.  An email service
-- reads every event of the story and acknowledges them; a search indexer
-- crashes between reading and acknowledging and gets the same events
-- again.  Then booking.stats, booking.hold_ages and the sweeper as
-- pg_stat_activity shows it.
\ir common.psql

\echo
\echo '== 10. The email service reads the story''s events (the outbox)'
\echo '   Every state change above wrote one row to booking.event, in the same'
\echo '   transaction as the change.  As each transaction committed, the booking sweeper'
\echo '   published its events (gave them their place in the stream) within milliseconds'
\echo '   and sent NOTIFY booking_events.  A consumer LISTENs, and on a notification (or'
\echo '   every few seconds) reads what it has not acknowledged yet.  Hana holds the flat'
\echo '   while we listen:'
LISTEN booking_events;
SELECT property_id AS flat FROM booking.property WHERE name = 'Casa do Rio' \gset
SELECT reservation_id, guest_id, state
  FROM booking.reserve_range(:flat, 'home', :'d_in', :'d_out', guest_id => 'Hana');

\echo
\echo '   booking.read_events(''email'', 100): the events ''email'' has not acknowledged,'
\echo '   in order (a new consumer starts from the oldest event kept):'
CREATE TEMP TABLE inbox AS SELECT * FROM booking.read_events('email', 100);
SELECT event_id, to_char(occurred_at, 'HH24:MI:SS') AS at, kind, reservation_id,
       payload->>'guest_id' AS guest, payload->>'room_type' AS room,
       concat_ws(' ', 'pay ' || (payload->>'payment_ref'), 'intent ' || (payload->>'payment_intent'),
                 CASE WHEN (payload->>'void_authorization')::bool THEN '=> void the authorization' END,
                 CASE WHEN (payload->>'refund')::bool THEN '=> refund' END) AS "payment"
  FROM inbox ORDER BY event_id;
\echo '   What a consumer gets in payload, here for Gil''s expired payment:'
SELECT jsonb_pretty(payload) AS payload
  FROM inbox WHERE kind = 'expired' AND payload->>'guest_id' = 'Gil';
\echo '   The emails are sent; the service acknowledges everything up to the last event'
\echo '   it handled with booking.ack_events(consumer, upto event_id):'
SELECT booking.ack_events('email', max(event_id)) AS "newly acknowledged" FROM inbox;
SELECT count(*) AS "unread by email" FROM booking.read_events('email', 100);

\echo
\echo '   A second consumer, the search indexer, has its own place in the stream.  It'
\echo '   reads 3 events and crashes before acknowledging them:'
SELECT event_id, kind, reservation_id FROM booking.read_events('search-indexer', 3);
\echo '   Restarted, it reads again and gets the same 3 (at-least-once: a consumer'
\echo '   handles an event_id it has seen before as a repeat):'
SELECT event_id, kind, reservation_id FROM booking.read_events('search-indexer', 3);
SELECT max(event_id) AS indexed_upto FROM booking.read_events('search-indexer', 3) \gset
\echo '   This time it acknowledges them, and the next read goes on from there:'
SELECT booking.ack_events('search-indexer', :indexed_upto) AS "newly acknowledged";
SELECT event_id, kind, reservation_id FROM booking.read_events('search-indexer', 3);
SELECT c.consumer, c.acked_event_id,
       (SELECT count(*) FROM booking.event e WHERE e.position > c.acked_position) AS unread
  FROM booking.event_consumer c ORDER BY c.consumer;

\echo
\echo '== 11. What the engine has been doing'
\echo '   booking.stats: counters in shared memory since the server started (or since'
\echo '   booking.stats_reset()).  Attempts and conflicts count at once; what a transaction'
\echo '   achieves (a hold, a confirm, an expiry ...) counts when it commits.'
\x on
SELECT * FROM booking.stats;
\x off
\echo '   booking.hold_ages: live holds (held or payment_pending), how old, how many dead:'
SELECT holds, date_trunc('second', p50_age) AS p50_age, date_trunc('second', p95_age) AS p95_age,
       date_trunc('second', max_age) AS max_age, past_deadline
  FROM booking.hold_ages;
\echo '   The sweeper is a background worker: pg_stat_activity shows it with'
\echo '   backend_type ''booking sweeper'' and its last step as the query:'
SELECT pid, backend_type, datname, state, query AS last_step
  FROM pg_stat_activity WHERE backend_type = 'booking sweeper';

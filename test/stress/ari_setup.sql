-- test/stress/ari_setup.sql: the ARI feed under the concurrent run (2.0).
-- A channel's view of the property: stress.ari_mirror is a snapshot taken
-- with booking.availability() right after the consumer's first read_ari,
-- in the middle of the run (stress.ari_snapshot, called by test/stress/run),
-- kept up to date by applying the feed (stress.ari_drain, a pgbench script
-- and the drain after the run).  At the end it must equal the live state
-- (ari_check.sql): a night the feed skipped, or a value it applied out of
-- order, would show.  One drain at a time (an advisory lock), as one
-- channel manager applies its feed in order.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE TABLE stress.ari_mirror (
    room_type text NOT NULL,
    night     date NOT NULL,
    available int NOT NULL,
    price     numeric,
    closed    boolean NOT NULL,
    PRIMARY KEY (room_type, night)
);
CREATE TABLE stress.ari_state (taken boolean NOT NULL, rows_applied bigint NOT NULL DEFAULT 0);

-- The consumer's first read creates it; the snapshot is taken after that
-- read has committed.
CREATE FUNCTION stress.ari_snapshot(pid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4242);
    INSERT INTO stress.ari_mirror
    SELECT a.room_type, a.night, a.available, a.price, false
      FROM booking.availability(pid, current_date, current_date + 60) a;
    INSERT INTO stress.ari_state (taken) VALUES (true);
END
$$;

-- Reads up to max rows of the feed, applies them, acknowledges them.
CREATE FUNCTION stress.ari_drain(max int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    upto bigint;
    n int;
BEGIN
    PERFORM pg_advisory_xact_lock(4242);
    IF NOT EXISTS (SELECT FROM stress.ari_state) THEN
        RETURN 0;
    END IF;
    WITH feed AS (SELECT * FROM booking.read_ari('stress', max)),
         applied AS (
        INSERT INTO stress.ari_mirror AS m (room_type, night, available, price, closed)
        SELECT room_type, night, available, price, closed FROM feed
        ON CONFLICT (room_type, night) DO UPDATE
           SET available = excluded.available, price = excluded.price, closed = excluded.closed)
    SELECT max(change_id), count(*) INTO upto, n FROM feed;
    IF n > 0 THEN
        PERFORM booking.ack_ari('stress', upto);
        UPDATE stress.ari_state SET rows_applied = rows_applied + n;
    END IF;
    RETURN n;
END
$$;

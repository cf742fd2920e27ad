-- Ownership and look-ups (2.0): get_reservation, find_reservation, and the
-- optional guest_id of confirm_booking, cancel_reservation and
-- begin_payment, which must be the reservation's, else BK005 exactly as
-- if the reservation did not exist.
\set ECHO none
\i test/sql/setup.psql
-- t.err: t.try with the id in a BK005 detail written N
CREATE OR REPLACE FUNCTION t.err(sql text) RETURNS text LANGUAGE sql AS
$$ SELECT regexp_replace(t.try(sql), 'id \d+', 'id N', 'g') $$;
\set ECHO all
SELECT booking.add_property('Owner Inn', 'Faro', 'UTC') AS p \gset
SELECT booking.add_room_type(:p, 'DBL', 'Double', 3, 2, 80);
SELECT booking.open_inventory(:p, 'DBL', current_date, current_date + 30);
SELECT reservation_id AS ann FROM booking.reserve_range(:p, 'DBL', current_date + 2, current_date + 4, 1, 'ann') \gset
SELECT reservation_id AS anon FROM booking.reserve_range(:p, 'DBL', current_date + 2, current_date + 4) \gset

-- get_reservation: by id; as its guest; as another guest or for a
-- reservation made without a guest_id: BK005, the same error as for an
-- id that does not exist (the message differs only in the id, which t.rel
-- writes as N)
SELECT reservation_id = :ann AS same, guest_id, state FROM booking.get_reservation(:ann);
SELECT guest_id FROM booking.get_reservation(:ann, 'ann');
SELECT t.err(format($$SELECT booking.get_reservation(%s, 'bob')$$, :ann)) AS other_guest;
SELECT t.err(format($$SELECT booking.get_reservation(%s, 'ann')$$, :anon)) AS no_guest;
SELECT t.err('SELECT booking.get_reservation(42)') AS missing;
SELECT replace(t.try(format($$SELECT booking.get_reservation(%s, 'bob')$$, :ann)), :'ann', 'ID')
     = replace(t.try(format($$SELECT booking.get_reservation(%s, 'bob')$$, :ann + 1)), (:ann + 1)::text, 'ID')
       AS indistinguishable_from_a_missing_id;
SELECT t.try('SELECT booking.get_reservation(NULL)') AS null_id;
SELECT guest_id IS NULL AS null_guest_checks_nothing FROM booking.get_reservation(:anon, NULL);
-- a guest_id is matched byte for byte
SELECT t.err(format($$SELECT booking.get_reservation(%s, 'Ann')$$, :ann)) AS case_matters;

-- begin_payment, confirm_booking, cancel_reservation as another guest:
-- BK005 and nothing changed
SELECT t.err(format($$SELECT booking.begin_payment(%s, 'pi_ann', guest_id => 'bob')$$, :ann)) AS pay_other;
SELECT t.err(format($$SELECT booking.confirm_booking(%s, 'ref_ann', 'bob')$$, :ann)) AS confirm_other;
SELECT t.err(format($$SELECT booking.cancel_reservation(%s, 'not mine', 'bob')$$, :ann)) AS cancel_other;
SELECT t.err(format($$SELECT booking.confirm_booking(%s, 'ref_anon', 'ann')$$, :anon)) AS confirm_no_guest;
SELECT state, payment_intent, payment_ref, cancel_reason FROM booking.reservation WHERE reservation_id = :ann;
SELECT * FROM t.inv(:p, 'DBL', 2, 4);
-- and as the guest herself: the calls do what they always did
SELECT state, payment_intent FROM booking.begin_payment(:ann, 'pi_ann', NULL, 'ann');
SELECT state, payment_ref FROM booking.confirm_booking(:ann, 'ref_ann', guest_id => 'ann');
-- a repeat by another guest learns nothing either (not even "unchanged")
SELECT t.err(format($$SELECT booking.confirm_booking(%s, 'ref_ann', 'bob')$$, :ann)) AS repeat_other;
-- positional calls without guest_id are unchanged
SELECT state FROM booking.confirm_booking(:ann, 'ref_ann');
SELECT * FROM t.inv(:p, 'DBL', 2, 4);

-- find_reservation: by confirmation code (as typed: any case, O for 0,
-- I and L for 1), by payment intent, by payment reference
SELECT confirmation_code AS code FROM booking.reservation WHERE reservation_id = :ann \gset
SELECT reservation_id = :ann AS by_code FROM booking.find_reservation(confirmation_code => :'code');
SELECT reservation_id = :ann AS by_code_as_typed
  FROM booking.find_reservation(confirmation_code => translate(lower(:'code'), '01', 'oi'));
SELECT reservation_id = :ann AS by_intent FROM booking.find_reservation(payment_intent => 'pi_ann');
SELECT reservation_id = :ann AS by_ref FROM booking.find_reservation(payment_ref => 'ref_ann');
-- none has it: BK005 naming only what was passed
SELECT t.try($$SELECT booking.find_reservation(payment_ref => 'ref_nobody')$$) AS unknown_ref;
SELECT t.try($$SELECT booking.find_reservation(confirmation_code => 'ZZZZ-ZZZZ')$$) AS unknown_code;
-- exactly one argument
SELECT t.try('SELECT booking.find_reservation()') AS none_given;
SELECT t.try($$SELECT booking.find_reservation(payment_intent => 'pi_ann', payment_ref => 'ref_ann')$$) AS two_given;
SELECT t.try($$SELECT booking.find_reservation(payment_ref => '')$$) AS empty;
SELECT t.try(format($$SELECT booking.find_reservation(payment_ref => %L)$$, repeat('x', 300))) AS too_long;

-- cancel as the guest; then it is found in any state
SELECT state FROM booking.cancel_reservation(:ann, 'plans changed', 'ann');
SELECT state FROM booking.find_reservation(payment_intent => 'pi_ann');
SELECT * FROM t.inv(:p, 'DBL', 2, 4);
SELECT count(*) AS problems FROM booking.check_invariants();

# test/crash/gen.awk: writes one crash-suite client's psql script for one
# round: N operations on property P, one per line, each followed by
# "\echo D|client|round|seq" so that the last operation that finished (and
# so the one in flight at the crash) is known.  Every acknowledged result
# is one output line (psql -At -F'|'):
#   R|client|round|seq|key|guest|room_type|check_in|check_out|rooms|hold|reservation_id|state
#   P|C|H|X|client|round|seq|reservation_id|state|payment_ref
# P begin_payment, C confirm, H cancel of a hold, X cancel of a confirmed
# booking.  Each client works on its own guest's reservations, one call at
# a time, so a confirmed booking leaves 'confirmed' only through its X.
# Variables: client, round, n, pid, seed.
function pick(lo, hi) { return lo + int(rand() * (hi - lo + 1)) }
function reserve(key, rt, ci, nights, rooms, hold,    keysql, holdsql) {
	keysql = (key == "") ? "NULL" : "'" key "'"
	holdsql = (hold == "") ? "NULL" : "'" hold "'::interval"
	printf "SELECT 'R', %d, %d, %d, %s, '%s', '%s', (current_date + %d)::text, (current_date + %d)::text, %d, '%s', r.reservation_id, r.state FROM booking.reserve_range(%d, '%s', current_date + %d, current_date + %d, %d, '%s', %s, %s) r;\n", \
		client, round, seq, (key == "" ? "''" : "'" key "'"), guest, rt, ci, ci + nights, rooms, hold, \
		pid, rt, ci, ci + nights, rooms, guest, keysql, holdsql
}
function own(states) {
	return sprintf("(SELECT reservation_id FROM booking.reservation WHERE guest_id = '%s' AND state = ANY ('{%s}') ORDER BY random() LIMIT 1)", guest, states)
}
BEGIN {
	srand(seed)
	guest = "g" client
	nkeys = 0
	print "\\set ON_ERROR_STOP 0"
	for (seq = 1; seq <= n; seq++) {
		x = rand() * 100
		if (x < 40 || (x < 50 && nkeys == 0)) {
			key = "k" client "-" round "-" seq
			rt = (rand() < 0.7) ? "A" : "B"
			ci = pick(1, 18); nights = pick(1, 4); rooms = pick(1, 2)
			hold = (rand() < 0.4) ? "1 second" : ""
			nkeys++
			K[nkeys] = key; KRT[nkeys] = rt; KCI[nkeys] = ci; KN[nkeys] = nights
			KR[nkeys] = rooms; KH[nkeys] = hold
			reserve(key, rt, ci, nights, rooms, hold)
		} else if (x < 50) {
			# a retry of an earlier request of this round, same key, same arguments
			i = pick(1, nkeys)
			reserve(K[i], KRT[i], KCI[i], KN[i], KR[i], KH[i])
		} else if (x < 58) {
			reserve("", (rand() < 0.7) ? "A" : "B", pick(1, 18), pick(1, 3), 1, (rand() < 0.5) ? "10 milliseconds" : "1 second")
		} else if (x < 68) {
			printf "SELECT 'P', %d, %d, %d, r.reservation_id, r.state, r.payment_intent FROM booking.begin_payment(%s, 'pi-%d-%d-%d') r;\n", \
				client, round, seq, own("held"), client, round, seq
		} else if (x < 90) {
			printf "SELECT 'C', %d, %d, %d, r.reservation_id, r.state, r.payment_ref FROM booking.confirm_booking(%s, 'pay-%d-%d-%d') r;\n", \
				client, round, seq, own((rand() < 0.3) ? "expired" : "held,payment_pending,expired"), client, round, seq
		} else if (x < 98) {
			printf "SELECT 'H', %d, %d, %d, r.reservation_id, r.state, r.cancel_reason FROM booking.cancel_reservation(%s, 'ch %d %d %d') r;\n", \
				client, round, seq, own("held,payment_pending"), client, round, seq
		} else {
			printf "SELECT 'X', %d, %d, %d, r.reservation_id, r.state, r.cancel_reason FROM booking.cancel_reservation(%s, 'cc %d %d %d') r;\n", \
				client, round, seq, own("confirmed"), client, round, seq
		}
		printf "\\echo D|%d|%d|%d\n", client, round, seq
	}
}

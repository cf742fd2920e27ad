# shellcheck shell=bash
# test/cluster.sh: start and stop a throwaway PostgreSQL 15 cluster for the
# test suites and the demo.  Source it, then call cluster_start [extra conf
# lines...] and cluster_stop.  initdb and postgres refuse to run as root, so
# the cluster belongs to the `postgres` user; it listens only on a unix
# socket in its own directory, on a free port.  cluster_start exports
# PGHOST, PGPORT and PGUSER for the clients that follow.

PGBIN=${PGBIN:-$(pg_config --bindir)}

# as_pg runs a command as the cluster's owner (root cannot run postgres).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# free_port prints the first TCP port from $1 whose socket file is unused
# and which nothing listens on.
free_port() {
	local port=${1:-54320}
	while [ -e "/tmp/.s.PGSQL.$port" ] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		port=$((port + 1))
	done
	echo "$port"
}

cluster_start() {
	CLUSTER_DIR=$(mktemp -d /tmp/booking-cluster.XXXXXX)
	chmod 755 "$CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$CLUSTER_DIR"
	PGPORT=$(free_port "${CLUSTER_PORT:-54320}")
	as_pg "$PGBIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust --no-sync >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log"; return 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CLUSTER_DIR'"
		echo "port = $PGPORT"
		echo "max_connections = 120"
		echo "shared_preload_libraries = 'booking'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = 256MB"
		echo "max_prepared_transactions = 10"
		echo "log_min_messages = warning"
		echo "log_line_prefix = '%m [%p] %q%a '"
		for line in "$@"; do echo "$line"; done
	} >>"$CLUSTER_DIR/data/postgresql.conf"
	as_pg "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w -t 60 start >/dev/null ||
		{ cat "$CLUSTER_DIR/server.log"; return 1; }
	export PGHOST=$CLUSTER_DIR PGPORT PGUSER=postgres PGDATABASE=postgres CLUSTER_DIR
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
}

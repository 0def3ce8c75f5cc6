#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The test rig: a private PostgreSQL 15 cluster and a DNS world (NSD serving the world's zones,
# Unbound resolving in front of it, a black hole for timeouts) on 127.0.0.1, on ports picked
# here, in a directory of their own. "stop" stops exactly what "start" started.
#
#   scripts/rig.sh start DIR [--world WORLD] [--no-pg] [--no-dns]
#   scripts/rig.sh stop DIR
#   scripts/rig.sh restart-pg DIR      (immediate stop and start, for fault tests)
#   scripts/rig.sh stop-pg DIR         (immediate stop: the database stays away)
#   scripts/rig.sh start-pg DIR        (start it again, on the same port)
#
# start writes DIR/env.sh, to be sourced: ZS_PG_CONNINFO (a fresh database "zonesweep"),
# ZS_PG_ADMIN (the "postgres" database, for tests that create their own), PG* variables,
# ZS_NSD_ADDR, ZS_UNBOUND_ADDR, ZS_BLACKHOLE_ADDR, ZS_RIG_DIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PG_USER=zonesweep

usage() {
	sed -n '5,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The database server refuses to run as root: it runs as an unprivileged system user.
ensure_pg_user() {
	id "$PG_USER" >/dev/null 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] || die "cannot create system user $PG_USER: not root"
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
}

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

record_pid() { echo "$1 $2" >>"$DIR/pids"; }

start_pg() {
	local port pgdir=$DIR/pg
	ensure_pg_user
	mkdir -p "$pgdir"
	chmod 755 "$DIR"
	[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$pgdir"
	as_pg test -w "$pgdir" ||
		die "$DIR: user $PG_USER cannot reach it (a parent directory is private); use a directory under /tmp"
	as_pg "$PG_BIN/initdb" -D "$pgdir/data" -U "$PG_USER" -A trust -E UTF8 --locale=C.UTF-8 \
		>"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
	port=$(free_port)
	cat >>"$pgdir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pgdir'
fsync = off
full_page_writes = off
max_connections = 50
shared_buffers = 256MB
logging_collector = off
EOF
	as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$pgdir/server.log" >&2; die "PostgreSQL did not start"; }
	record_pid pg "$(head -n 1 "$pgdir/data/postmaster.pid")"
	as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" zonesweep
	cat >>"$DIR/env.sh" <<EOF
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=$PG_USER PGDATABASE=zonesweep
export ZS_PG_CONNINFO='host=127.0.0.1 port=$port user=$PG_USER dbname=zonesweep'
export ZS_PG_ADMIN='host=127.0.0.1 port=$port user=$PG_USER dbname=postgres'
EOF
	say "PostgreSQL 15 on 127.0.0.1:$port (data in $pgdir/data)"
}

# A UDP and TCP port that accepts queries and never answers: the "timeout" fault.
start_blackhole() {
	local port
	port=$(free_port)
	python3 - "$port" >/dev/null 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", port))
t.listen(64)
while True:
    time.sleep(3600)
EOF
	record_pid blackhole $!
	BLACKHOLE_PORT=$port
	echo "export ZS_BLACKHOLE_ADDR=127.0.0.1:$port" >>"$DIR/env.sh"
}

start_nsd() {
	local world=$1 port conf=$DIR/nsd.conf
	port=$(free_port)
	cat >"$conf" <<EOF
server:
	ip-address: 127.0.0.1@$port
	port: $port
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$world/zones"
	database: ""
	zonelistfile: "$DIR/nsd.zonelist"
	xfrdfile: "$DIR/nsd.xfrd"
	xfrdir: "$DIR"
	pidfile: "$DIR/nsd.pid"
	logfile: "$DIR/nsd.log"
	server-count: 1
	tcp-count: 200
	receive-buffer-size: 4194304
	send-buffer-size: 4194304
	hide-version: yes
	verbosity: 1
	rrl-ratelimit: 0
remote-control:
	control-enable: no
EOF
	while read -r kind name file _; do
		[ "$kind" = zone ] || continue
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$name" "$file" >>"$conf"
	done <"$world/world.conf"
	nsd-checkconf "$conf" || die "nsd configuration invalid: $conf"
	nsd -d -c "$conf" >>"$DIR/nsd.log" 2>&1 &
	record_pid nsd $!
	NSD_PORT=$port
	wait_dns "127.0.0.1" "$port" "$(awk '$1 == "zone" { print $2; exit }' "$world/world.conf")" ||
		{ cat "$DIR/nsd.log" >&2; die "NSD did not answer"; }
	echo "export ZS_NSD_ADDR=127.0.0.1:$port" >>"$DIR/env.sh"
	say "NSD on 127.0.0.1:$port serving $(grep -c '^zone ' "$world/world.conf") zones"
}

start_unbound() {
	local world=$1 port conf=$DIR/unbound.conf
	port=$(free_port)
	cat >"$conf" <<EOF
server:
	interface: 127.0.0.1
	port: $port
	do-ip6: no
	username: ""
	chroot: ""
	directory: "$DIR"
	pidfile: "$DIR/unbound.pid"
	logfile: "$DIR/unbound.log"
	use-syslog: no
	do-daemonize: no
	num-threads: 2
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	num-queries-per-thread: 4096
	outgoing-range: 8192
	so-rcvbuf: 4m
	so-sndbuf: 4m
	msg-cache-size: 128m
	rrset-cache-size: 256m
	infra-host-ttl: 60
	# Debian's Unbound drops every query from an address with 1000 recursions waiting (the
	# wait-limit of 1.20, backported): all tests share 127.0.0.1, and the world's black-holed
	# domains keep recursions waiting long after the scanner has given up on them.
	wait-limit: 0
	val-log-level: 0
	verbosity: 0
EOF
	# A signed world comes with trust anchors: Unbound then validates (the AD bit means something).
	if grep -q '^anchor ' "$world/world.conf"; then
		sed -i 's/^\tmodule-config: "iterator"$/\tmodule-config: "validator iterator"/' "$conf"
		awk -v w="$world" '$1 == "anchor" { printf "\ttrust-anchor-file: \"%s/%s\"\n", w, $2 }' \
			"$world/world.conf" >>"$conf"
		echo "export ZS_UNBOUND_VALIDATES=1" >>"$DIR/env.sh"
	fi
	# The world's reverse zones sit in ranges Unbound answers locally by default (RFC 6303).
	while read -r kind name _; do
		case "$kind:$name" in zone:*.arpa) printf '\tlocal-zone: "%s." nodefault\n' "$name" >>"$conf" ;; esac
	done <"$world/world.conf"
	for z in 2.0.192.in-addr.arpa 100.51.198.in-addr.arpa 113.0.203.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa; do
		grep -q "\"$z.\"" "$conf" || printf '\tlocal-zone: "%s." nodefault\n' "$z" >>"$conf"
	done
	# Every zone of the world is a stub zone served by NSD, so Unbound resolves iteratively but
	# never leaves loopback; the world's name servers have dead loopback addresses, so a
	# delegation that no stub covers (a lame one) fails as it would on the Internet.
	# Faults first (one pass with awk: worlds for benchmarks have tens of thousands of zones).
	awk -v bh="127.0.0.1@$BLACKHOLE_PORT" -v nsd="127.0.0.1@$NSD_PORT" '
		$1 == "fault" {
			if ($3 == "timeout") addr = bh
			else if ($3 == "refused") addr = nsd # NSD refuses names it does not serve
			else { print "unknown fault kind " $3 > "/dev/stderr"; exit 1 }
			faulty[$2] = 1
			printf "stub-zone:\n\tname: \"%s.\"\n\tstub-addr: %s\n", $2, addr
		}
		$1 == "zone" { zones[++n] = $2 }
		END {
			for (i = 1; i <= n; i++)
				if (!(zones[i] in faulty))
					printf "stub-zone:\n\tname: \"%s.\"\n\tstub-addr: %s\n", zones[i], nsd
		}' "$world/world.conf" >>"$conf" || die "$world/world.conf: bad fault line"
	unbound-checkconf "$conf" >/dev/null || die "unbound configuration invalid: $conf"
	unbound -d -c "$conf" >>"$DIR/unbound.log" 2>&1 &
	record_pid unbound $!
	wait_dns 127.0.0.1 "$port" "$(awk '$1 == "zone" { print $2; exit }' "$world/world.conf")" ||
		{ cat "$DIR/unbound.log" >&2; die "Unbound did not answer"; }
	echo "export ZS_UNBOUND_ADDR=127.0.0.1:$port" >>"$DIR/env.sh"
	say "Unbound on 127.0.0.1:$port in front of NSD"
}

# wait_dns ADDR PORT NAME: wait until a server answers an SOA query for NAME.
wait_dns() {
	local i
	for i in $(seq 1 100); do
		if drill -p "$2" -Q "$3" SOA @"$1" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

stop_all() {
	[ -f "$DIR/pids" ] || return 0
	local name pid
	# Reverse order of starting; only the processes this rig started.
	tac "$DIR/pids" | while read -r name pid; do
		case "$name" in
		pg)
			as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 ||
				kill -9 "$pid" 2>/dev/null || true
			;;
		*)
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
			;;
		esac
	done
	rm -f "$DIR/pids"
}

cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || usage
shift 2
case "$cmd" in
start)
	world="" pg=1 dns=1
	while [ $# -gt 0 ]; do
		case "$1" in
		--world) world=$(cd "$2" && pwd); shift 2 ;;
		--no-pg) pg=0; shift ;;
		--no-dns) dns=0; shift ;;
		*) usage ;;
		esac
	done
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	[ -f "$DIR/pids" ] && die "$DIR: a rig is already running there (scripts/rig.sh stop $DIR)"
	: >"$DIR/env.sh"
	echo "export ZS_RIG_DIR=$DIR" >>"$DIR/env.sh"
	trap 'stop_all' ERR
	[ "$pg" = 1 ] && start_pg
	if [ "$dns" = 1 ] && [ -n "$world" ]; then
		start_blackhole
		start_nsd "$world"
		start_unbound "$world"
	fi
	trap - ERR
	;;
stop)
	DIR=$(cd "$DIR" 2>/dev/null && pwd) || exit 0
	stop_all
	;;
restart-pg | stop-pg | start-pg)
	DIR=$(cd "$DIR" && pwd)
	if [ "$cmd" != start-pg ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null
		sed -i '/^pg /d' "$DIR/pids"
	fi
	if [ "$cmd" != stop-pg ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 start >/dev/null
		record_pid pg "$(head -n 1 "$DIR/pg/data/postmaster.pid")"
	fi
	;;
*) usage ;;
esac

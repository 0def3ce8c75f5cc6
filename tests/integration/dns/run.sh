#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs the DNS engine's integration tests: starts NSD (serving zs-int.test and other.test from
# this folder, plus a generated TXT RRset larger than 1232 bytes) and Unbound (stub zones to
# NSD) on loopback ports picked here, in a temporary directory, runs the test program with
# ZS_NSD_ADDR and ZS_UNBOUND_ADDR set, and stops both servers, whatever happens.
#
#   tests/integration/dns/run.sh BUILD/tests/integration/dns/test_dns_integration
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TEST=${1:?usage: run.sh TEST_PROGRAM}
. "$HERE/../../../scripts/lib.sh"

ensure_packages nsd unbound ldnsutils python3

TMP=$(mktemp -d /tmp/zs-dns-int.XXXXXX)
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

wait_dns() { # PORT NAME
	for _ in $(seq 1 100); do
		drill -p "$1" -Q "$2" SOA @127.0.0.1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

cp "$HERE/zs-int.test.zone" "$HERE/other.test.zone" "$TMP/"
# 12 TXT records of 250 bytes (about 3 KB): truncated over UDP at 1232, whole over TCP; the
# first string starts with a space, which must survive as is.
for i in $(seq 1 12); do
	if [ "$i" = 1 ]; then lead=" "; else lead="x"; fi
	printf 'big IN TXT "%s%s"\n' "$lead" "$(printf '%0249d' "$i" | tr 0 b)" >>"$TMP/zs-int.test.zone"
done
nsd-checkzone zs-int.test. "$TMP/zs-int.test.zone" >/dev/null || die "bad zone zs-int.test"

NSD_PORT=$(free_port)
[ -n "$NSD_PORT" ] || die "no free port"
printf '%s\n' \
	"server:" \
	"	ip-address: 127.0.0.1@$NSD_PORT" \
	"	port: $NSD_PORT" \
	"	do-ip6: no" \
	"	username: \"\"" \
	"	chroot: \"\"" \
	"	zonesdir: \"$TMP\"" \
	"	database: \"\"" \
	"	zonelistfile: \"$TMP/nsd.zonelist\"" \
	"	xfrdfile: \"$TMP/nsd.xfrd\"" \
	"	xfrdir: \"$TMP\"" \
	"	pidfile: \"$TMP/nsd.pid\"" \
	"	logfile: \"$TMP/nsd.log\"" \
	"	server-count: 1" \
	"	verbosity: 1" \
	"	rrl-ratelimit: 0" \
	"remote-control:" \
	"	control-enable: no" \
	"zone:" \
	"	name: \"zs-int.test.\"" \
	"	zonefile: \"$TMP/zs-int.test.zone\"" \
	"zone:" \
	"	name: \"other.test.\"" \
	"	zonefile: \"$TMP/other.test.zone\"" >"$TMP/nsd.conf"
nsd -d -c "$TMP/nsd.conf" >>"$TMP/nsd.log" 2>&1 &
PIDS+=($!)
wait_dns "$NSD_PORT" zs-int.test || { cat "$TMP/nsd.log" >&2; die "NSD did not start"; }

UB_PORT=$(free_port)
[ -n "$UB_PORT" ] || die "no free port"
printf '%s\n' \
	"server:" \
	"	interface: 127.0.0.1" \
	"	port: $UB_PORT" \
	"	do-ip6: no" \
	"	username: \"\"" \
	"	chroot: \"\"" \
	"	directory: \"$TMP\"" \
	"	pidfile: \"$TMP/unbound.pid\"" \
	"	logfile: \"$TMP/unbound.log\"" \
	"	use-syslog: no" \
	"	do-daemonize: no" \
	"	num-threads: 1" \
	"	access-control: 127.0.0.0/8 allow" \
	"	do-not-query-localhost: no" \
	"	module-config: \"iterator\"" \
	"	qname-minimisation: no" \
	"	local-zone: \"test.\" nodefault" \
	"	verbosity: 1" \
	"stub-zone:" \
	"	name: \"zs-int.test.\"" \
	"	stub-addr: 127.0.0.1@$NSD_PORT" \
	"stub-zone:" \
	"	name: \"other.test.\"" \
	"	stub-addr: 127.0.0.1@$NSD_PORT" >"$TMP/unbound.conf"
unbound-checkconf "$TMP/unbound.conf" >/dev/null || die "bad Unbound configuration"
unbound -d -c "$TMP/unbound.conf" >>"$TMP/unbound.log" 2>&1 &
PIDS+=($!)
wait_dns "$UB_PORT" zs-int.test || { cat "$TMP/unbound.log" >&2; die "Unbound did not start"; }

export ZS_NSD_ADDR=127.0.0.1:$NSD_PORT ZS_UNBOUND_ADDR=127.0.0.1:$UB_PORT
say "NSD on $ZS_NSD_ADDR, Unbound on $ZS_UNBOUND_ADDR"
"$TEST"

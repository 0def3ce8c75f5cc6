#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Smoke test of the zs-fault-dns program: starts it on a table, asks it two questions with
# drill (ldnsutils), one answered and one that gets the SERVFAIL fault, stops it with SIGTERM
# and checks the counters it prints.
#
#   tests/dns_fault/smoke.sh BUILD/tests/dns_fault/zs-fault-dns
set -euo pipefail

BIN=${1:?usage: smoke.sh ZS_FAULT_DNS}
command -v drill >/dev/null || { echo "smoke: drill is missing: apt-get install ldnsutils" >&2; exit 1; }
TMP=$(mktemp -d /tmp/zs-fault-smoke.XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

printf '%s\n' \
	'# the smoke table' \
	'rule smoke.example TXT' \
	'rr smoke.example. 300 IN TXT "hello" "world"' \
	'rule sf.example A fault=servfail' >"$TMP/table"
"$BIN" -t "$TMP/table" -p "$TMP/port" >"$TMP/stdout" 2>"$TMP/stderr" &
PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/port" ] && break
	sleep 0.1
done
PORT=$(cat "$TMP/port")
[ "$PORT" = "$(cat "$TMP/stdout")" ] || { echo "smoke: port file and stdout differ" >&2; exit 1; }

drill -p "$PORT" smoke.example TXT @127.0.0.1 >"$TMP/a1"
grep -q '"hello" "world"' "$TMP/a1" || { cat "$TMP/a1" >&2; echo "smoke: no TXT answer" >&2; exit 1; }
drill -p "$PORT" sf.example A @127.0.0.1 >"$TMP/a2" || true
grep -q 'rcode: SERVFAIL' "$TMP/a2" || { cat "$TMP/a2" >&2; echo "smoke: no SERVFAIL" >&2; exit 1; }

kill -TERM "$PID"
wait "$PID"
PID=""
grep -q 'udp_queries=2 ' "$TMP/stderr" || { cat "$TMP/stderr" >&2; echo "smoke: counters" >&2; exit 1; }
grep -q 'faults=1 ' "$TMP/stderr" || { cat "$TMP/stderr" >&2; echo "smoke: counters" >&2; exit 1; }
echo "smoke: ok"

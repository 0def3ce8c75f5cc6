#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Query plans of the officers' views and of the reader on a database holding two complete runs
# of N domains (default 1,000,000) with ten verdicts each, the second with 1% of the domains
# changed: EXPLAIN (ANALYZE, BUFFERS) of each query, and how long finishing a complete run
# (deriving domains, transitions, current state and rule counts) takes.
#
#   bench/db_explain.sh [--domains N] [--build DIR] [--keep]
#
# Uses the rig's PostgreSQL when ZS_PG_ADMIN is set, otherwise starts a private one. --keep
# leaves the database (its name is printed) for further queries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
domains=1000000 build=$root/build keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--domains) domains=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/zs-bench-explain.XXXXXX)
chmod 755 "$work" # the rig runs PostgreSQL as an unprivileged user, which reads files here
rig="" db=""
cleanup() {
	[ -n "$db" ] && [ "$keep" = 0 ] &&
		psql -X -q "$ZS_PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	[ -n "$rig" ] && "$root/scripts/rig.sh" stop "$rig" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${ZS_PG_ADMIN:-}" ]; then
	[ "$keep" = 0 ] || { echo "db_explain.sh: --keep needs the rig (ZS_PG_ADMIN)" >&2; exit 2; }
	rig=$work/rig
	"$root/scripts/rig.sh" start "$rig" --no-dns
	. "$rig/env.sh"
fi
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target zs_bench_db_writer -j2 >/dev/null
driver=$build/bench/zs_bench_db_writer
db=zs_explain_$$
conn=$(python3 -c 'import sys; print(" ".join([p for p in sys.argv[1].split() if not p.startswith("dbname=")] + ["dbname=" + sys.argv[2]]))' "$ZS_PG_ADMIN" "$db")
psql -X -q "$ZS_PG_ADMIN" -c "CREATE DATABASE $db"
for salt in 0 1; do
	"$driver" --db "$conn" --domains "$domains" --complete --salt "$salt" >"$work/run.out"
	. "$work/run.out"
	echo "run with salt $salt: writer $writer_seconds s, finish (history) $finish_seconds s"
done
psql -X -q "$conn" -c "VACUUM ANALYZE"
explain() {
	echo
	echo "### $1"
	echo
	echo '```'
	psql -X -q -A -t "$conn" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) $2" |
		grep -Ev '^(Planning|  Buffers: shared hit=[0-9]+$)' | cut -c1-110
	echo '```'
}
explain "Current compliance: non-compliant domains of a TLD, longest first" \
	"SELECT domain, since_at, failing_rules, contact FROM v_current_compliance WHERE tld = 'bank' AND state = 'non-compliant' ORDER BY since_at LIMIT 100"
explain "Per-rule verdict counts of a run" \
	"SELECT * FROM v_rule_failures WHERE run_id = 2"
explain "Domains that became non-compliant this week" \
	"SELECT domain, from_state, started_at FROM v_status_changes WHERE tld = 'bank' AND to_state = 'non-compliant' AND started_at > now() - interval '7 days'"
explain "A domain's history" \
	"SELECT run_id, started_at, status, failing_rules FROM v_domain_history WHERE domain = 'd0000123.bank' ORDER BY run_id"
explain "Difference between two runs" \
	"SELECT change, count(*) FROM diff_runs(1, 2) GROUP BY change"
explain "The reader's cursor (reports): a whole run in domain order" \
	"$(sed -n '/^static const char cursor_sql\[\] =/,/;$/p' "$root/db/reader.c" | grep -o '"[^"]*"' | tr -d '"' | tr -d '\n' | sed 's/^DECLARE zs_reader NO SCROLL CURSOR FOR //; s/\$1::bigint/2/')"
[ "$keep" = 1 ] && echo "database kept: $conn"

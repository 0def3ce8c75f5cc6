#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The whole sweep, with and without the database: a world of N domains (default 20,000, every
# profile of tests/world/gen_world.py except the DNS faults) served by NSD behind Unbound on
# loopback, swept after one warm-up sweep (so Unbound answers from its cache in every timed
# run). hyperfine times, in one session, the sweep storing into PostgreSQL and the same sweep
# with --no-db; both write the same JSON Lines. Goal (issue 9): with the database the sweep
# takes at most 10% longer. Peak RSS of each is measured with /usr/bin/time. The sweeps into
# PostgreSQL follow each other as nightly sweeps do: the first (timed alone) stores every
# domain's facts, the next ones (timed by hyperfine) only the facts that changed (none here;
# migration 004).
#
#   bench/sweep.sh [DOMAINS] [RUNS]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

N=${1:-20000}
RUNS=${2:-3}
ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES hyperfine time

bench_build

bench_workdir sweep

bench_world "$N"
"$ZS" db migrate --db "$ZS_PG_CONNINFO" >/dev/null

COMMON=(scan --zone "$WORK/world/bench.zone" --tld bench --policy post --resolver "$ZS_UNBOUND_ADDR"
	--quiet --overwrite --jsonl "$WORK/out.jsonl")
say "warm-up sweep (fills Unbound's cache)"
"$ZS" "${COMMON[@]}" --no-db >/dev/null

# The first sweep of the TLD stores every domain's facts; the ones after it, like nightly sweeps
# of a zone that did not change, only what changed. Each is timed (the first once, alone).
say "timing the first sweep into the empty database"
/usr/bin/time -f %e -o "$WORK/first" "$ZS" "${COMMON[@]}" --db "$ZS_PG_CONNINFO" >/dev/null
FIRST=$(tail -n 1 "$WORK/first")

say "timing $RUNS sweeps of each"
hyperfine --runs "$RUNS" --export-json "$WORK/hyperfine.json" \
	--command-name "sweep, no database" "$ZS ${COMMON[*]} --no-db" \
	--command-name "sweep into PostgreSQL" "$ZS ${COMMON[*]} --db '$ZS_PG_CONNINFO'"

rss() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}
RSS_NODB=$(rss "$ZS" "${COMMON[@]}" --no-db)
RSS_DB=$(rss "$ZS" "${COMMON[@]}" --db "$ZS_PG_CONNINFO")
# Whether the sweep ever waited for the writer: pushes refused because its queue was full.
FULL=$(psql "$ZS_PG_CONNINFO" -Atc "SELECT coalesce(sum((db_counters->>'full')::bigint), 0) FROM runs")
echo "writer queue full (pushes refused, all runs): $FULL"

python3 - "$WORK/hyperfine.json" "$N" "$RSS_NODB" "$RSS_DB" "$FIRST" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
first = float(sys.argv[5])
nodb, db = r[0], r[1]
print()
print("| sweep of %d domains | median s | domains/s | peak RSS |" % n)
print("| --- | --- | --- | --- |")
print("| no database | %.2f | %.0f | %d MB |" % (nodb["median"], n / nodb["median"], int(sys.argv[3]) // 1024))
print("| into PostgreSQL, first sweep (one run) | %.2f | %.0f | |" % (first, n / first))
print("| into PostgreSQL, next sweeps | %.2f | %.0f | %d MB |" % (db["median"], n / db["median"], int(sys.argv[4]) // 1024))
print()
print("database overhead: %+.1f%% for the next sweeps, %+.1f%% for the first (goal: at most +10%%)"
      % (100 * (db["median"] / nodb["median"] - 1), 100 * (first / nodb["median"] - 1)))
EOF

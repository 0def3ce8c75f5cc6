#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The whole sweep of about 1,000,000 domains, with and without the database (issue 9: storing
# the sweep may make it at most 10% longer). A world of REAL domains (default 40,000, every
# profile but the DNS faults) is served by NSD behind Unbound; the swept zone spreads them over
# TOTAL delegations (default 1,000,000), the others not delegated in NSD's copy of the TLD
# (NXDOMAIN from the TLD's server on loopback: bench/pad_zone.py). Four sweeps in a row, each
# timed with /usr/bin/time, all writing the same JSON Lines: without the database, into the
# empty database (a TLD's first run: every domain's facts and verdicts stored), without the
# database again, and into the database again (a nightly run: only what changed is stored).
# Each database sweep is compared with the sweep without it just before, which ran against the
# same state of Unbound's cache.
#
#   bench/sweep_1m.sh [REAL] [TOTAL]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

REAL=${1:-40000}
TOTAL=${2:-1000000}
ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES time

bench_build

bench_workdir sweep1m

bench_world "$REAL"
python3 "$ZS_ROOT/bench/pad_zone.py" "$WORK/world/bench.zone" "$WORK/padded.zone" --total "$TOTAL"
"$ZS" db migrate --db "$ZS_PG_CONNINFO" >/dev/null

sweep() { # NAME ARGS...: one timed sweep; its wall seconds in $WORK/NAME
	local name=$1
	shift
	say "sweep: $name"
	/usr/bin/time -f %e -o "$WORK/$name" "$ZS" scan --zone "$WORK/padded.zone" --tld bench \
		--policy post --resolver "$ZS_UNBOUND_ADDR" --quiet --overwrite \
		--jsonl "$WORK/out.jsonl" "$@" >"$WORK/$name.out" 2>&1
	tail -n 1 "$WORK/$name"
}
sweep nodb1 --no-db
sweep db1 --db "$ZS_PG_CONNINFO"
sweep nodb2 --no-db
sweep db2 --db "$ZS_PG_CONNINFO"
grep -h "stored (" "$WORK/db1.out" "$WORK/db2.out"

# What the database did after the sweep's last domain: the run's end less its last result.
psql "$ZS_PG_CONNINFO" -Atc "SELECT id, domains, (db_counters->>'full')::bigint, \
	round(extract(epoch FROM finished_at - started_at)::numeric, 1) FROM runs ORDER BY id" \
	>"$WORK/runs"

python3 - "$WORK" "$TOTAL" <<'PY'
import sys
work, total = sys.argv[1], int(sys.argv[2])
t = {k: float(open("%s/%s" % (work, k)).read().split()[-1]) for k in ("nodb1", "db1", "nodb2", "db2")}
runs = [l.split("|") for l in open(work + "/runs").read().split()]
print()
print("| sweep of %d delegations | wall s | domains/s | against the sweep before it |" % total)
print("| --- | --- | --- | --- |")
print("| no database | %.1f | %.0f | |" % (t["nodb1"], total / t["nodb1"]))
print("| into PostgreSQL, first run of the TLD | %.1f | %.0f | %+.1f %% |"
      % (t["db1"], total / t["db1"], 100 * (t["db1"] / t["nodb1"] - 1)))
print("| no database | %.1f | %.0f | |" % (t["nodb2"], total / t["nodb2"]))
print("| into PostgreSQL, next run (nightly) | %.1f | %.0f | %+.1f %% |"
      % (t["db2"], total / t["db2"], 100 * (t["db2"] / t["nodb2"] - 1)))
print()
for r in runs:
    print("run %s: %s domains stored, writer queue full %s times, run open %s s"
          % (r[0], r[1], r[2] or 0, r[3]))
PY

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Peak memory of the whole sweep as the zone grows (issue 5: at most 256 MB for 1,000,000
# domains, within 2x of the figure for 10,000). A world of REAL domains (default 40,000, every
# profile but the DNS faults) is served by NSD behind Unbound; zones of growing size are cut
# from it, and the largest is padded to TOTAL delegations (default 1,000,000) with domains that
# are not delegated in NSD's copy of the TLD (NXDOMAIN, asked of the TLD's server on loopback),
# one real domain every TOTAL/REAL. Each zone is swept with --no-db and its JSON Lines written;
# the peak RSS comes from /usr/bin/time.
#
#   bench/sweep_memory.sh [REAL] [TOTAL]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

REAL=${1:-40000}
TOTAL=${2:-1000000}
ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES time

bench_build

bench_workdir memory

bench_world "$REAL" --no-pg

# Zones: the first 10,000 real domains, all of them, and all of them spread over TOTAL.
python3 "$ZS_ROOT/bench/pad_zone.py" "$WORK/world/bench.zone" "$WORK/small.zone" --keep 10000
python3 "$ZS_ROOT/bench/pad_zone.py" "$WORK/world/bench.zone" "$WORK/real.zone" --all
python3 "$ZS_ROOT/bench/pad_zone.py" "$WORK/world/bench.zone" "$WORK/padded.zone" --total "$TOTAL"

printf '\n| zone | delegations | peak RSS (MB) | wall s |\n| --- | --- | --- | --- |\n'
for z in small real padded; do
	n=$("$ZS" zone "$WORK/$z.zone" --count 2>/dev/null)
	/usr/bin/time -f "%M %e" -o "$WORK/time" "$ZS" scan --zone "$WORK/$z.zone" --tld bench \
		--policy post --resolver "$ZS_UNBOUND_ADDR" --no-db --jsonl "$WORK/out.jsonl" \
		--overwrite --quiet >/dev/null 2>&1
	read -r rss wall <"$WORK/time"
	printf '| %s | %s | %d | %s |\n' "$z" "$n" "$((rss / 1024))" "$wall"
done

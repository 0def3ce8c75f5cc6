#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The DNS engine while the sweep's per-domain work runs too (issue 5): the whole sweep of a world
# of N domains (default 10,000, no DNS faults) through a warm Unbound, against dnsperf sending
# exactly the questions that sweep sends (captured from the sweep's own debug log), in alternating
# rounds. Reported per round: dnsperf's answered queries/s, the sweep's answered queries/s (its
# answers over its whole wall time, zone reading and the last domains' tail included), and their
# ratio. Goal: at least 80% of dnsperf's rate, and no answer lost.
#
#   bench/sweep_dnsperf.sh [DOMAINS] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

N=${1:-10000}
ROUNDS=${2:-5}
ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES dnsperf

bench_build

bench_workdir dnsperf

bench_world "$N" --no-pg
PORT=${ZS_UNBOUND_ADDR#*:}
SWEEP=("$ZS" scan --zone "$WORK/world/bench.zone" --tld bench --policy post
	--resolver "$ZS_UNBOUND_ADDR" --no-db --jsonl "$WORK/out.jsonl" --overwrite --quiet)

say "warm-up sweep, capturing its questions"
"${SWEEP[@]}" --debug dns 2>&1 >/dev/null | sed -nE 's/^zonesweep: debug: (.*)\/([A-Z0-9]+): queued -> udp.*/\1 \2/p' \
	>"$WORK/queries.txt"
Q=$(wc -l <"$WORK/queries.txt")
say "$Q questions per sweep"

printf '\n| round | dnsperf q/s | dnsperf lost | sweep answered/s | sweep s | sweep CPU s | sweep / dnsperf |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for r in $(seq 1 "$ROUNDS"); do
	out=$(dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries.txt" -c 10 -q 1000 -b 1024 -n 1 2>&1)
	dqps=$(echo "$out" | awk '/Queries per second/ { print $4 }')
	dlost=$(echo "$out" | awk '/Queries lost/ { print $3 }')
	/usr/bin/time -f "%e %U %S" -o "$WORK/time" "${SWEEP[@]}" >"$WORK/summary" 2>/dev/null
	read -r wall user sys <"$WORK/time"
	answered=$(sed -nE 's/.* ([0-9]+) answered.*/\1/p' "$WORK/summary")
	python3 - "$r" "$dqps" "$dlost" "$answered" "$wall" "$user" "$sys" <<'EOF'
import sys
r, dqps, dlost, answered, wall, user, sys_ = sys.argv[1:]
sq = int(answered) / float(wall)
print("| %s | %.0f | %s | %.0f | %.2f | %.2f | %.1f %% |" % (r, float(dqps), dlost, sq, float(wall),
      float(user) + float(sys_), 100 * sq / float(dqps)))
EOF
done

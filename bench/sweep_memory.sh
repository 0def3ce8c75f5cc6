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
#
# Peak memory on a hostile-size zone (issue 22 item 4: memory bounded in bytes): DOMAINS
# (default 3,000) domains that each publish 120 KB of TXT (gen_world.py's huge-txt profile),
# swept with the byte limits out of the way (--window-mb and --queue-mb at 1 TiB: the sweep as it
# was, bounded in domains only), at their defaults (256 MB) and lower; without the database, and
# into one whose results table stays locked for the sweep's first LOCK seconds (default 25), with
# a window of 100 domains, as the issue measured.
#
#   bench/sweep_memory.sh hostile [DOMAINS] [LOCK]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

if [ "${1:-}" = hostile ]; then
	DOMAINS=${2:-3000}
	LOCK=${3:-25}
	ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES time
	bench_build
	bench_workdir memory-hostile
	say "generating a world of $DOMAINS domains with 120 KB of TXT each"
	python3 "$ZS_ROOT/tests/world/gen_world.py" --out "$WORK/world" \
		--tld "huge:$DOMAINS:huge-txt" --huge-txt-kb 120 --seed 11
	"$ZS_ROOT/scripts/rig.sh" start "$RIG" --world "$WORK/world"
	# shellcheck disable=SC1091
	. "$RIG/env.sh"
	UNBOUNDED=(--window-mb 1048576 --queue-mb 1048576)
	# CASE OPTIONS...: one sweep; prints a row of the table
	sweep() {
		local name=$1 db=(--no-db --jsonl "$WORK/out.jsonl" --overwrite) locker=
		shift
		if [[ $name == database* ]]; then
			psql -X -q "$ZS_PG_ADMIN" -c "DROP DATABASE IF EXISTS zs_mem" \
				-c "CREATE DATABASE zs_mem"
			local conn=${ZS_PG_CONNINFO/dbname=zonesweep/dbname=zs_mem}
			"$ZS" db migrate --db "$conn" >/dev/null
			db=(--db "$conn")
			psql -X -q "$conn" -c "BEGIN" -c "LOCK TABLE results IN ACCESS EXCLUSIVE MODE" \
				-c "SELECT pg_sleep($LOCK)" -c "COMMIT" >/dev/null &
			locker=$!
			sleep 1 # the lock is taken before the sweep starts
		fi
		/usr/bin/time -f "%M %e" -o "$WORK/time" "$ZS" scan --zone "$WORK/world/huge.zone" \
			--tld huge --policy post --resolver "$ZS_UNBOUND_ADDR" "${db[@]}" "$@" \
			>"$WORK/summary" 2>"$WORK/log"
		[ -n "$locker" ] && wait "$locker"
		local rss wall window queue=-
		read -r rss wall <"$WORK/time"
		window=$(sed -n 's/^  memory *window peak \([0-9.]*\) MiB.*/\1/p' "$WORK/summary")
		if [[ $name == database* ]]; then
			queue=$(psql -X -Atc "SELECT round((db_counters->>'peak_bytes')::numeric / 1048576, 1)
				FROM runs" "${db[1]}")
		fi
		printf '| %s | `%s` | %d | %s | %s | %s |\n' "$name" "$*" "$((rss / 1024))" \
			"$window" "$queue" "$wall"
	}
	printf '\n| sweep | options | peak RSS (MB) | window peak (MiB) | writer peak (MiB) | wall s |\n'
	printf '| --- | --- | --- | --- | --- | --- |\n'
	sweep "no database, bytes unbounded" "${UNBOUNDED[@]}"
	sweep "no database"
	sweep "no database" --window-mb 64
	sweep "database locked ${LOCK} s, bytes unbounded" --window 100 "${UNBOUNDED[@]}"
	sweep "database locked ${LOCK} s" --window 100
	sweep "database locked ${LOCK} s" --window 100 --window-mb 64 --queue-mb 64
	exit 0
fi

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

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Benchmark of the database writer (issue 9): store N domain results (about ten verdict rows
# each) through zs_db_writer into a fresh database, then, in the same run, load the very same
# rows with psql's \copy into another fresh database as the reference. Prints rows/s of both
# and the ratio (goal: the writer at least 70% of \copy's rate). Each phase gets a fresh
# database and starts after a CHECKPOINT; rounds alternate which phase goes first, and the
# medians are compared.
#
#   bench/db_writer.sh [--domains N] [--verdicts K] [--rounds R] [--build DIR]
#
# Uses the rig's PostgreSQL when ZS_PG_ADMIN is set (source DIR/env.sh of scripts/rig.sh),
# otherwise starts a private one for the run. Builds zs_bench_db_writer in DIR (default
# build/). Needs: cmake, psql, and what the project's build needs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
domains=1000000 verdicts=10 rounds=2 build=$root/build
while [ $# -gt 0 ]; do
	case "$1" in
	--domains) domains=$2; shift 2 ;;
	--verdicts) verdicts=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

work=$(mktemp -d /tmp/zs-bench-db.XXXXXX)
chmod 755 "$work" # the rig runs PostgreSQL as an unprivileged user, which reads files here
rig=""
cleanup() {
	if [ -n "${ZS_PG_ADMIN:-}" ]; then
		for d in "${wdb:-}" "${cdb:-}"; do
			[ -n "$d" ] && psql -X -q "$ZS_PG_ADMIN" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" \
				>/dev/null 2>&1 || true
		done
	fi
	[ -n "$rig" ] && "$root/scripts/rig.sh" stop "$rig" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${ZS_PG_ADMIN:-}" ]; then
	rig=$work/rig
	"$root/scripts/rig.sh" start "$rig" --no-dns
	. "$rig/env.sh"
fi

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target zs_bench_db_writer -j2 >/dev/null
driver=$build/bench/zs_bench_db_writer

conn() { # conn DBNAME: the admin connection string with another database
	python3 - "$ZS_PG_ADMIN" "$1" <<'EOF'
import sys
parts = [p for p in sys.argv[1].split() if not p.startswith("dbname=")]
print(" ".join(parts + ["dbname=" + sys.argv[2]]))
EOF
}
# CPU seconds used so far by the PostgreSQL server: the postmaster with its reaped children and
# its live ones (/proc; only for a server on this machine whose data directory we may read).
pg_pid=$(head -n 1 "$(psql -X -A -t "$ZS_PG_ADMIN" -c 'SHOW data_directory' 2>/dev/null)/postmaster.pid" 2>/dev/null || true)
server_cpu() {
	[ -n "$pg_pid" ] && [ -r "/proc/$pg_pid/stat" ] || { echo 0; return; }
	sleep 0.5 # let the benchmark's backend exit and be reaped
	{
		sed 's/^.*) //' "/proc/$pg_pid/stat" | awk '{ print $12 + $13 + $14 + $15 }'
		for c in $(pgrep -P "$pg_pid"); do
			sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null | awk '{ print $12 + $13 }'
		done
	} | awk -v hz="$(getconf CLK_TCK)" '{ t += $1 } END { printf "%.2f", t / hz }'
}

checkpoint() { # flush what earlier phases left, so that no phase pays for another
	psql -X -q "$ZS_PG_ADMIN" -c CHECKPOINT >/dev/null 2>&1 || true
}

# writer_phase ROUND: the writer into a fresh database; sets writer_* from the driver
writer_phase() {
	wdb=zs_bench_writer_$$_$1
	psql -X -q "$ZS_PG_ADMIN" -c "CREATE DATABASE $wdb"
	"$driver" --db "$(conn $wdb)" --prepare >/dev/null # migrations outside the timing
	psql -X -q "$(conn $wdb)" -c "DELETE FROM runs"
	checkpoint
	s0=$(server_cpu)
	/usr/bin/time -f "%U %S" -o "$work/time" \
		"$driver" --db "$(conn $wdb)" --domains "$domains" --verdicts "$verdicts" >"$work/writer.out"
	s1=$(server_cpu)
	. "$work/writer.out"
	writer_server="$writer_server $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", b - a }')"
	writer_client="$writer_client $(awk '{ printf "%.1f", $1 + $2 }' "$work/time")"
	if [ ! -f "$work/results.copy" ]; then # the same rows, for \copy (not timed)
		run=$(psql -X -A -t "$(conn $wdb)" -c "SELECT max(id) FROM runs")
		psql -X -q "$(conn $wdb)" \
			-c "\\copy (SELECT * FROM results WHERE run_id = $run) TO '$work/results.copy'" \
			-c "\\copy (SELECT * FROM verdicts WHERE run_id = $run) TO '$work/verdicts.copy'"
	fi
	psql -X -q "$ZS_PG_ADMIN" -c "DROP DATABASE $wdb WITH (FORCE)"
	wdb=""
	echo "round $1: writer $writer_seconds s" >&2
	writer_times="$writer_times $writer_seconds"
}

# copy_phase ROUND: psql \copy of the same rows into a fresh database
copy_phase() {
	cdb=zs_bench_copy_$$_$1
	psql -X -q "$ZS_PG_ADMIN" -c "CREATE DATABASE $cdb"
	"$driver" --db "$(conn $cdb)" --prepare >/dev/null
	checkpoint
	s0=$(server_cpu)
	start=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$work/time" \
		psql -X -q -v ON_ERROR_STOP=1 "$(conn $cdb)" -c "\\copy results FROM '$work/results.copy'" \
		-c "\\copy verdicts FROM '$work/verdicts.copy'"
	end=$(date +%s.%N)
	s1=$(server_cpu)
	copy_server="$copy_server $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", b - a }')"
	copy_client="$copy_client $(awk '{ printf "%.1f", $1 + $2 }' "$work/time")"
	copied=$(psql -X -A -t "$(conn $cdb)" -c "SELECT (SELECT count(*) FROM results) + (SELECT count(*) FROM verdicts)")
	[ "$copied" = "$rows" ] || { echo "db_writer.sh: \\copy loaded $copied rows, expected $rows" >&2; exit 1; }
	psql -X -q "$ZS_PG_ADMIN" -c "DROP DATABASE $cdb WITH (FORCE)"
	cdb=""
	t=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
	echo "round $1: \\copy $t s" >&2
	copy_times="$copy_times $t"
}

# Rounds alternate which phase goes first; the median of each is reported.
writer_times="" copy_times="" writer_server="" copy_server="" writer_client="" copy_client=""
echo "$domains domains, $verdicts verdicts each, $rounds rounds" >&2
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		writer_phase "$r"
		rows=$((writer_results + writer_verdicts))
		copy_phase "$r"
	else
		copy_phase "$r"
		writer_phase "$r"
	fi
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ws=$(echo "$writer_times" | median)
cs=$(echo "$copy_times" | median)
wsv=$(echo "$writer_server" | median)
csv=$(echo "$copy_server" | median)
wcl=$(echo "$writer_client" | median)
ccl=$(echo "$copy_client" | median)
awk -v ws="$ws" -v cs="$cs" -v rows="$rows" -v push="$push_us_per_result" -v d="$domains" \
	-v wt="$writer_times" -v ct="$copy_times" -v wsv="$wsv" -v csv="$csv" -v wcl="$wcl" \
	-v ccl="$ccl" -v wsvs="$writer_server" -v csvs="$copy_server" 'BEGIN {
	wr = rows / ws; cr = rows / cs
	printf "domains            %d\n", d
	printf "rows               %d (results + verdicts)\n", rows
	printf "writer             %.1f s, %.0f rows/s (median; runs:%s s)\n", ws, wr, wt
	printf "psql \\copy         %.1f s, %.0f rows/s (median; runs:%s s)\n", cs, cr, ct
	printf "ratio              %.0f%% of \\copy (goal >= 70%%)\n", 100 * wr / cr
	printf "server CPU         writer %.1f s, \\copy %.1f s (median; runs:%s /%s s)\n", wsv, csv, wsvs, csvs
	printf "client CPU         writer %.1f s (incl. generating the results), psql %.1f s\n", wcl, ccl
	printf "push cost          %.2f us per result on the caller thread\n", push
}'

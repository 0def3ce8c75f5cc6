#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Benchmark of the reports (issue 10): store one complete run of N synthetic domains (through
# the real db/ writer, bench/reports_fill.c; not timed), then time, in the same run and with
# hyperfine, `zonesweep report` writing the gzip CSV and the gzip JSON Lines report of that run
# (summary file included) against PostgreSQL exporting the very same rows itself:
# `psql -f query.sql | gzip -6`, where query.sql is `COPY (<the report's SELECT>) TO STDOUT`
# and the SELECT is what `zonesweep report --sql` prints. Goal: at most 1.5 times the
# reference. Also the peak memory (max RSS, /usr/bin/time) of each report, which must not grow
# with the run: rows are streamed.
#
#   bench/reports.sh [--domains N] [--runs R] [--build DIR] [--keep] [--reuse DBNAME]
#
# --keep leaves the filled database (its name is printed) and --reuse DBNAME measures one left
# by an earlier --keep, so that a second measurement need not store the run again.
# Uses the rig's PostgreSQL when ZS_PG_ADMIN is set (source DIR/env.sh of scripts/rig.sh),
# otherwise starts a private one for the run. Needs: cmake, psql, gzip, hyperfine,
# /usr/bin/time, and what the project's build needs. Writes its figures on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
domains=1000000 runs=3 build=$root/build keep="" reuse=""
while [ $# -gt 0 ]; do
	case "$1" in
	--domains) domains=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--reuse) reuse=$2; keep=1; shift 2 ;;
	*) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

work=$(mktemp -d /tmp/zs-bench-reports.XXXXXX)
chmod 755 "$work" # the rig runs PostgreSQL as an unprivileged user, which reads files here
rig="" bdb=""
cleanup() {
	if [ -n "$bdb" ] && [ -z "$keep" ]; then
		psql -X -q "$ZS_PG_ADMIN" -c "DROP DATABASE IF EXISTS $bdb WITH (FORCE)" \
			>/dev/null 2>&1 || true
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

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target zonesweep zs_bench_reports_fill -j2 >/dev/null
zs=$build/scanner/zonesweep
fill=$build/bench/zs_bench_reports_fill

conn() { # conn DBNAME: the admin connection string with another database
	python3 - "$ZS_PG_ADMIN" "$1" <<'PY'
import sys
parts = [p for p in sys.argv[1].split() if not p.startswith("dbname=")]
print(" ".join(parts + ["dbname=" + sys.argv[2]]))
PY
}

if [ -n "$reuse" ]; then
	bdb=$reuse
	db=$(conn $bdb)
	run_id=$(psql -X -A -t "$db" -c "SELECT max(id) FROM runs WHERE status = 'complete'")
	domains=$(psql -X -A -t "$db" -c "SELECT count(*) FROM results WHERE run_id = $run_id")
	fill_seconds="(earlier)"
else
	bdb=zs_bench_reports_$$
	psql -X -q "$ZS_PG_ADMIN" -c "CREATE DATABASE $bdb"
	db=$(conn $bdb)
	echo "storing $domains domains (not timed)..." >&2
	"$fill" --db "$db" --domains "$domains" >"$work/fill.out"
	. "$work/fill.out"
	psql -X -q "$db" -c "VACUUM ANALYZE" -c CHECKPOINT
	[ -n "$keep" ] && echo "database kept: $bdb (measure again with --reuse $bdb)" >&2
fi
facts=$(psql -X -A -t "$db" -c "SELECT round(avg(length(zs_facts(r)::text))) FROM results r")
size=$(psql -X -A -t "$db" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")

# The reference: the report's own SELECT, exported by the server, compressed by gzip -6. JIT
# is off on both sides (the report turns it off for its cursor: see db/report_query.c).
{
	printf 'COPY ('
	"$zs" report --db "$db" --run "$run_id" --sql
	printf ') TO STDOUT;\n'
} >"$work/query.sql"
cat >"$work/reference.sh" <<SH
#!/usr/bin/env bash
set -o pipefail
PGOPTIONS='-c jit=off' psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/query.sql" | gzip -6 >"$work/reference.gz"
SH
chmod +x "$work/reference.sh"
report_cmd() { # report_cmd FORMAT
	echo "'$zs' report --db '$db' --run $run_id --out '$work/report.$1.gz' --overwrite"
}

hyperfine --warmup 1 --runs "$runs" --export-json "$work/hyperfine.json" \
	-n reference "$work/reference.sh" \
	-n csv "$(report_cmd csv)" \
	-n jsonl "$(report_cmd jsonl)" >&2

rss() { # rss CMD...: peak resident memory in MiB
	/usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1
	awk '{ printf "%.0f", $1 / 1024 }' "$work/rss"
}
rss_csv=$(rss "$zs" report --db "$db" --run "$run_id" --out "$work/report.csv.gz" --overwrite)
rss_jsonl=$(rss "$zs" report --db "$db" --run "$run_id" --out "$work/report.jsonl.gz" --overwrite)
rows=$(gzip -dc "$work/reference.gz" | wc -l)
[ "$rows" = "$domains" ] || { echo "reports.sh: the reference has $rows rows" >&2; exit 1; }

python3 - "$work/hyperfine.json" "$domains" "$facts" "$size" "$rss_csv" "$rss_jsonl" \
	"$(stat -c %s "$work/reference.gz")" "$(stat -c %s "$work/report.csv.gz")" \
	"$(stat -c %s "$work/report.jsonl.gz")" "$fill_seconds" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
d, facts, size, rss_csv, rss_jsonl = sys.argv[2:7]
ref_b, csv_b, jsonl_b = (int(x) for x in sys.argv[7:10])
ref = res["reference"]["median"]
print("domains            %s (facts documents of %s bytes on average; database %s; "
      "stored in %s s)" % (d, facts, size, sys.argv[10]))
print("reference          %.1f s median (COPY of the report's SELECT | gzip -6; %.1f MB)"
      % (ref, ref_b / 1e6))
for name, b, rss in (("csv", csv_b, rss_csv), ("jsonl", jsonl_b, rss_jsonl)):
    t = res[name]["median"]
    print("report %-11s %.1f s median, %.2fx the reference (goal <= 1.5x); %.1f MB; "
          "max RSS %s MiB" % (name, t, t / ref, b / 1e6, rss))
print("runs (s)           " + "; ".join("%s %s" % (k, " ".join("%.1f" % x for x in v["times"]))
                                     for k, v in res.items()))
PY

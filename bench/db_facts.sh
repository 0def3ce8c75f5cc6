#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What storing a domain's facts costs PostgreSQL, by column type (issue 9: the facts are most of
# the server's work per stored domain). A world of N domains (default 5,000, no DNS faults) is
# swept into the rig's PostgreSQL once; the facts of that run are exported as text, then loaded
# with psql's \copy into three tables, alternating, R rounds: the facts as jsonb (what
# results.facts is), as json (checked, kept as text) and as plain text, each compressed with LZ4
# like results.facts. The verdict rows and the results rows without facts are loaded the same
# way for comparison. Reported: median milliseconds per table and microseconds per domain.
#
#   bench/db_facts.sh [DOMAINS] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

N=${1:-5000}
ROUNDS=${2:-5}
ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES

bench_build

bench_workdir facts

bench_world "$N"
"$ZS" db migrate --db "$ZS_PG_CONNINFO" >/dev/null
say "sweeping $N domains into PostgreSQL"
"$ZS" scan --zone "$WORK/world/bench.zone" --tld bench --policy post --resolver "$ZS_UNBOUND_ADDR" \
	--quiet --db "$ZS_PG_CONNINFO" >/dev/null

q() { psql "$ZS_PG_CONNINFO" -qAtX -v ON_ERROR_STOP=1 "$@"; }
RUN=$(q -c "SELECT max(run_id) FROM results")
q -c "\\copy (SELECT zs_facts(r)::text FROM results r WHERE run_id = $RUN) TO '$WORK/facts.txt'"
q -c "\\copy (SELECT * FROM verdicts WHERE run_id = $RUN) TO '$WORK/verdicts.txt'"
q -c "\\copy (SELECT run_id, domain, status, warnings, mail, '{}'::jsonb, raw_owner, raw_txt,
	NULL::bytea, NULL::bigint FROM results WHERE run_id = $RUN) TO '$WORK/results.txt'"
q -c "CREATE TABLE f_jsonb (facts jsonb COMPRESSION lz4);
	CREATE TABLE f_json (facts json COMPRESSION lz4);
	CREATE TABLE f_text (facts text COMPRESSION lz4);
	CREATE TABLE v_rows (LIKE verdicts INCLUDING ALL);
	CREATE TABLE r_rows (LIKE results INCLUDING ALL)"
BYTES=$(wc -c <"$WORK/facts.txt")
say "$N facts documents, $((BYTES / N)) bytes each on average"

declare -A MS
TABLES="f_jsonb f_json f_text v_rows r_rows"
for r in $(seq 1 "$ROUNDS"); do
	for t in $TABLES; do
		case $t in
		f_*) file=$WORK/facts.txt ;;
		v_rows) file=$WORK/verdicts.txt ;;
		r_rows) file=$WORK/results.txt ;;
		esac
		q -c "TRUNCATE $t" -c "CHECKPOINT"
		start=$(date +%s%N)
		q -c "\\copy $t FROM '$file'"
		end=$(date +%s%N)
		MS[$t]="${MS[$t]:-} $(((end - start) / 1000000))"
	done
done

printf '\n| loaded with \\copy (%d domains) | median ms over %d rounds | µs per domain |\n' "$N" "$ROUNDS"
printf '| --- | --- | --- |\n'
for t in $TABLES; do
	case $t in
	f_jsonb) what="facts as jsonb (results.facts)" ;;
	f_json) what="facts as json" ;;
	f_text) what="facts as text" ;;
	v_rows) what="verdict rows (about 9 per domain)" ;;
	r_rows) what="results rows without facts" ;;
	esac
	# shellcheck disable=SC2086
	med=$(printf '%s\n' ${MS[$t]} | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	printf '| %s | %d | %d |\n' "$what" "$med" "$((med * 1000 / N))"
done

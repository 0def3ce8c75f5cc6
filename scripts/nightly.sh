#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The secretariat's nightly job (cron or the systemd timer of docs/operations.md): sweep the
# zone; if the sweep was interrupted (database away too long, machine restarted, SIGTERM),
# resume the same run until it completes or the attempts run out, so that no night is lost;
# then write the periodic reports and the notices of the run.
#
#   scripts/nightly.sh   (settings from the environment or /etc/zonesweep/nightly.conf)
#
# Settings:
#   ZS_ZONE        the zone file (plain or gzip)                          (required)
#   ZS_TLD         the TLD                                                (required)
#   ZS_DB          libpq connection string (default: PG* variables)
#   ZS_RESOLVERS   space-separated resolvers (default: /etc/resolv.conf)
#   ZS_REPORT_DIR  where periodic reports go (default /var/lib/zonesweep/reports)
#   ZS_NOTICE_DIR  where notice mailboxes go (default /var/lib/zonesweep/notices); empty: none
#   ZS_FROM        the secretariat's From address for notices
#   ZS_ATTEMPTS    resumptions after an interruption (default 5)
#   ZS_BIN         the zonesweep binary (default: zonesweep on PATH)
#   ZS_SCAN_OPTS   more options for the sweep (e.g. "--qps 2000 --max-inflight 1000")
#   ZS_REPORT_FORMATS  formats of the periodic reports (default csv,html)
# Exit status: 0 the run completed, 1 it could not be completed (it stays resumable).
set -uo pipefail

CONF=${ZS_NIGHTLY_CONF:-/etc/zonesweep/nightly.conf}
# shellcheck disable=SC1090
[ -r "$CONF" ] && . "$CONF"

: "${ZS_ZONE:?set ZS_ZONE to the zone file}"
: "${ZS_TLD:?set ZS_TLD to the TLD}"
ZS_BIN=${ZS_BIN:-zonesweep}
ZS_REPORT_DIR=${ZS_REPORT_DIR:-/var/lib/zonesweep/reports}
ZS_NOTICE_DIR=${ZS_NOTICE_DIR-/var/lib/zonesweep/notices}
ZS_ATTEMPTS=${ZS_ATTEMPTS:-5}

log() { printf 'zonesweep nightly: %s\n' "$*" >&2; }

db_args=()
[ -n "${ZS_DB:-}" ] && db_args=(--db "$ZS_DB")
res_args=()
for r in ${ZS_RESOLVERS:-}; do res_args+=(--resolver "$r"); done
# shellcheck disable=SC2206
scan_opts=(${ZS_SCAN_OPTS:-})

# The newest run of the TLD and its status, from the listing (JSON Lines).
latest_run() {
	"$ZS_BIN" runs --tld "$ZS_TLD" --limit 1 --format json "${db_args[@]}" 2>/dev/null |
		python3 -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line); print(r["id"], r["status"]); break'
}

"$ZS_BIN" db migrate "${db_args[@]}" >/dev/null || { log "database not reachable or not migrated"; exit 1; }

"$ZS_BIN" scan --zone "$ZS_ZONE" --tld "$ZS_TLD" "${db_args[@]}" "${res_args[@]}" "${scan_opts[@]}"
status=$?
attempt=0
while [ "$status" -ne 0 ] && [ "$attempt" -lt "$ZS_ATTEMPTS" ]; do
	read -r run run_status < <(latest_run) || true
	if [ "${run_status:-}" != "interrupted" ] && [ "${run_status:-}" != "running" ]; then
		log "the sweep failed (run ${run:-?} is ${run_status:-unknown}); not resumable"
		exit 1
	fi
	attempt=$((attempt + 1))
	wait_s=$((60 * attempt))
	log "run $run was interrupted; resuming in ${wait_s}s (attempt $attempt of $ZS_ATTEMPTS)"
	sleep "$wait_s"
	"$ZS_BIN" scan --zone "$ZS_ZONE" --tld "$ZS_TLD" --resume "$run" "${db_args[@]}" \
		"${res_args[@]}" "${scan_opts[@]}"
	status=$?
done
[ "$status" -eq 0 ] || { log "run still incomplete after $ZS_ATTEMPTS attempts; it stays resumable"; exit 1; }

mkdir -p "$ZS_REPORT_DIR"
for period in daily weekly monthly; do
	"$ZS_BIN" report --period "$period" --tld "$ZS_TLD" --dir "$ZS_REPORT_DIR" \
		--format "${ZS_REPORT_FORMATS:-csv,html}" "${db_args[@]}" ||
		log "$period report not written (no complete run in the period?)"
done
if [ -n "$ZS_NOTICE_DIR" ]; then
	mkdir -p "$ZS_NOTICE_DIR"
	"$ZS_BIN" notices --run latest --tld "$ZS_TLD" --only new ${ZS_FROM:+--from "$ZS_FROM"} \
		--out "$ZS_NOTICE_DIR/$ZS_TLD-$(date -u +%F).mbox.gz" "${db_args[@]}" ||
		log "notices not written"
fi
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The secretariat's nightly job (cron or the systemd timer of docs/operations.md): sweep the
# zone; if the sweep was interrupted (database away too long, machine restarted, SIGTERM or
# SIGKILL of the sweep), resume the same run until it completes or the attempts run out, so that
# no night is lost; then write the periodic reports and the notices of the run. The night sweeps
# a copy of the zone taken when it starts, so that a zone file regenerated in the meantime does
# not keep the run from being resumed (a resume must read the zone its run began with).
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
#   ZS_WORK_DIR    where the night's copy of the zone is kept (default /var/lib/zonesweep/work)
#   ZS_ATTEMPTS    resumptions after an interruption (default 5)
#   ZS_RESUME_DELAY  seconds before the first resumption, multiplied by the attempt's number (default 60)
#   ZS_BIN         the zonesweep binary (default: zonesweep on PATH)
#   ZS_SCAN_OPTS   more options for the sweep (e.g. "--qps 2000 --max-inflight 1000")
#   ZS_REPORT_FORMATS  formats of the periodic reports (default csv,html)
# Exit status: 0 the run completed and the reports were written, 1 the zone was refused, the
# sweep failed, or the run could not be completed (it stays resumable).
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
ZS_RESUME_DELAY=${ZS_RESUME_DELAY:-60}
ZS_WORK_DIR=${ZS_WORK_DIR:-/var/lib/zonesweep/work}

log() { printf 'zonesweep nightly: %s\n' "$*" >&2; }

db_args=()
[ -n "${ZS_DB:-}" ] && db_args=(--db "$ZS_DB")
res_args=()
for r in ${ZS_RESOLVERS:-}; do res_args+=(--resolver "$r"); done
# shellcheck disable=SC2206
scan_opts=(${ZS_SCAN_OPTS:-})

# The newest run of the TLD and its status ("none none" when it has none), from the listing
# (JSON Lines); fails when the database cannot be read.
latest_run() {
	"$ZS_BIN" runs --tld "$ZS_TLD" --limit 1 --format json "${db_args[@]}" 2>/dev/null |
		python3 -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line); print(r["run"], r["status"]); break
else:
    print("none none")'
}

"$ZS_BIN" db migrate "${db_args[@]}" >/dev/null || { log "database not reachable or not migrated"; exit 1; }

mkdir -p "$ZS_WORK_DIR" && zone="$ZS_WORK_DIR/$ZS_TLD.zone" &&
	cp -- "$ZS_ZONE" "$zone.tmp" && mv -- "$zone.tmp" "$zone" ||
	{ log "$ZS_ZONE: cannot copy the zone to $ZS_WORK_DIR"; exit 1; }

"$ZS_BIN" scan --zone "$zone" --tld "$ZS_TLD" "${db_args[@]}" "${res_args[@]}" "${scan_opts[@]}"
status=$?
attempt=0
while [ "$status" -ne 0 ]; do
	if info=$(latest_run); then
		read -r run run_status <<<"$info"
	else
		run="?" run_status="unknown (database not reachable)"
	fi
	case "$run_status" in
	interrupted | running | unknown*) ;;
	*)
		log "the sweep failed (run $run is $run_status): not resumable"
		exit 1
		;;
	esac
	if [ "$attempt" -ge "$ZS_ATTEMPTS" ]; then
		log "run $run still incomplete after $ZS_ATTEMPTS attempts; it stays resumable"
		exit 1
	fi
	attempt=$((attempt + 1))
	wait_s=$((ZS_RESUME_DELAY * attempt))
	log "run $run is $run_status; resuming in ${wait_s}s (attempt $attempt of $ZS_ATTEMPTS)"
	sleep "$wait_s"
	[ "$run" = "?" ] && continue # the database was away: look again
	"$ZS_BIN" scan --zone "$zone" --tld "$ZS_TLD" --resume "$run" "${db_args[@]}" \
		"${res_args[@]}" "${scan_opts[@]}"
	status=$?
done

# Tonight's run in the daily report of today; the weeks and months when they are over.
mkdir -p "$ZS_REPORT_DIR"
for period in daily weekly monthly; do
	date_args=()
	[ "$period" = daily ] && date_args=(--date "$(date -u +%F)")
	"$ZS_BIN" report --period "$period" "${date_args[@]}" --tld "$ZS_TLD" --dir "$ZS_REPORT_DIR" \
		--format "${ZS_REPORT_FORMATS:-csv,html}" "${db_args[@]}" ||
		log "$period report not written (no complete run in the period, or written already?)"
done
if [ -n "$ZS_NOTICE_DIR" ]; then
	mkdir -p "$ZS_NOTICE_DIR"
	"$ZS_BIN" notices --run latest --tld "$ZS_TLD" --only new ${ZS_FROM:+--from "$ZS_FROM"} \
		--out "$ZS_NOTICE_DIR/$ZS_TLD-$(date -u +%F).mbox.gz" "${db_args[@]}" ||
		log "notices not written"
fi
exit 0

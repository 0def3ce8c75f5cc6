#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Speed and memory of the DNS engine (issue 5), on loopback only.
#
# Throughput: NSD serves a zone of N domains (per domain: MX, TXT, _dmarc TXT and 2 of 16 DKIM
# selectors exist, so 14 of the 19 questions asked per domain, 73.7 %, are NXDOMAIN); Unbound
# (2 threads, stub zone to NSD) resolves in front of it, its cache warmed by one pass of the
# query set. In the same run, rounds alternate dnsperf (-c 10 -q 1000 -b 1024) and zs-dnsbench
# (the engine, same query set, cache off so every question goes to Unbound) over the same
# number of queries; the best round of each is compared.
#
# Memory: zs-dnsbench streams 10,000 and then 1,000,000 domains (19 questions each) straight to
# NSD and reports its peak RSS (VmHWM). Domains past the zone's N get NXDOMAIN.
#
#   bench/dns_engine.sh [--domains N] [--rounds R] [--inflight M] [--rss "10000 1000000"]
#                       [--no-rss] [--build DIR] [--keep]
#
# Prints the figures and a Markdown block for bench/RESULTS.md on stdout.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

ROOT=$ZS_ROOT
DOMAINS=10000
ROUNDS=3
INFLIGHT=1000
RSS_SIZES="10000 1000000"
BUILD=$ROOT/build-bench
KEEP=0

while [ $# -gt 0 ]; do
	case "$1" in
	--domains) DOMAINS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--inflight) INFLIGHT=$2; shift 2 ;;
	--rss) RSS_SIZES=$2; shift 2 ;;
	--no-rss) RSS_SIZES=""; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
case "$DOMAINS$ROUNDS$INFLIGHT" in *[!0-9]*) die "numbers expected" ;; esac
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 10 ] || die "--rounds: 1 to 10"

# ---- packages and build ----------------------------------------------------------------------

ensure_packages nsd unbound dnsperf hyperfine ldnsutils python3 cmake gcc time
say "building zs-dnsbench (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target zs-dnsbench >/dev/null
ENGINE=$BUILD/bench/zs-dnsbench
[ -x "$ENGINE" ] || die "zs-dnsbench was not built"

# ---- a private NSD and Unbound -----------------------------------------------------------------

TMP=$(mktemp -d /tmp/zs-dnsbench.XXXXXX)
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

wait_dns() { # PORT NAME
	local i
	for i in $(seq 1 300); do
		drill -p "$1" -Q "$2" SOA @127.0.0.1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

say "generating the zone and the query set for $DOMAINS domains in $TMP"
KEY=$(head -c 200 /dev/zero | tr '\0' 'A')
awk -v n="$DOMAINS" -v key="$KEY" 'BEGIN {
	print "$ORIGIN bench."
	print "$TTL 86400"
	print "@ IN SOA ns.bench. hostmaster.bench. 1 3600 600 604800 3600"
	print "@ IN NS ns.bench."
	print "ns IN A 127.0.0.1"
	for (i = 0; i < n; i++) {
		printf "d%d IN MX 10 mx.provider.bench.\n", i
		printf "d%d IN TXT \"v=spf1 include:_spf.provider.bench -all\"\n", i
		printf "_dmarc.d%d IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc@d%d.bench\"\n", i, i
		printf "sel1._domainkey.d%d IN TXT \"v=DKIM1; k=rsa; p=%s\" \"%s\"\n", i, key, key
		printf "sel2._domainkey.d%d IN TXT \"v=DKIM1; k=ed25519; p=%s\"\n", i, substr(key, 1, 44)
	}
}' >"$TMP/bench.zone"
nsd-checkzone bench. "$TMP/bench.zone" >/dev/null || die "the generated zone is invalid"
"$ENGINE" -P -n "$DOMAINS" >"$TMP/queries.txt"
QUERIES_PER_PASS=$(wc -l <"$TMP/queries.txt")

NSD_PORT=$(free_port)
cat >"$TMP/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$NSD_PORT
	port: $NSD_PORT
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$TMP"
	database: ""
	zonelistfile: "$TMP/nsd.zonelist"
	xfrdfile: "$TMP/nsd.xfrd"
	xfrdir: "$TMP"
	pidfile: "$TMP/nsd.pid"
	logfile: "$TMP/nsd.log"
	server-count: 1
	hide-version: yes
	verbosity: 0
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "bench."
	zonefile: "$TMP/bench.zone"
EOF
nsd-checkconf "$TMP/nsd.conf" || die "bad NSD configuration"
nsd -d -c "$TMP/nsd.conf" >>"$TMP/nsd.log" 2>&1 &
PIDS+=($!)
wait_dns "$NSD_PORT" bench || { cat "$TMP/nsd.log" >&2; die "NSD did not start"; }

UB_PORT=$(free_port)
cat >"$TMP/unbound.conf" <<EOF
server:
	interface: 127.0.0.1
	port: $UB_PORT
	do-ip6: no
	username: ""
	chroot: ""
	directory: "$TMP"
	pidfile: "$TMP/unbound.pid"
	logfile: "$TMP/unbound.log"
	use-syslog: no
	do-daemonize: no
	num-threads: 2
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	num-queries-per-thread: 4096
	outgoing-range: 8192
	so-rcvbuf: 4m
	so-sndbuf: 4m
	msg-cache-size: 256m
	rrset-cache-size: 256m
	prefetch: no
	verbosity: 0
stub-zone:
	name: "bench."
	stub-addr: 127.0.0.1@$NSD_PORT
EOF
unbound-checkconf "$TMP/unbound.conf" >/dev/null || die "bad Unbound configuration"
unbound -d -c "$TMP/unbound.conf" >>"$TMP/unbound.log" 2>&1 &
PIDS+=($!)
wait_dns "$UB_PORT" bench || { cat "$TMP/unbound.log" >&2; die "Unbound did not start"; }
say "NSD on 127.0.0.1:$NSD_PORT, Unbound on 127.0.0.1:$UB_PORT"

# ---- throughput --------------------------------------------------------------------------------

# CPU microseconds per query of the last run (user + system, from /usr/bin/time)
cpu_us() { # QUERIES
	awk -v q="$1" '{ printf "%.1f", (q > 0) ? ($1 + $2) * 1e6 / q : 0 }' "$TMP/time.out"
}

run_dnsperf() { # PASSES -> "qps completed lost"
	/usr/bin/time -o "$TMP/time.out" -f "%U %S" dnsperf -s 127.0.0.1 -p "$UB_PORT" -d "$TMP/queries.txt" -c 10 -q 1000 -b 1024 -n "$1" \
		>"$TMP/dnsperf.out" 2>&1 || { cat "$TMP/dnsperf.out" >&2; die "dnsperf failed"; }
	awk '/Queries per second:/ { qps = $4 }
	     /Queries completed:/ { done = $3 }
	     /Queries lost:/ { lost = $3 }
	     END { printf "%d %d %d\n", qps, done, lost }' "$TMP/dnsperf.out"
}

run_engine() { # PASSES -> "answered_per_s answered lost"
	/usr/bin/time -o "$TMP/time.out" -f "%U %S" \
		"$ENGINE" -s "127.0.0.1:$UB_PORT" -n "$DOMAINS" -m "$INFLIGHT" -r "$1" -C -t 5000 \
		>"$TMP/engine.out" 2>&1 || { cat "$TMP/engine.out" >&2; die "zs-dnsbench lost answers"; }
	head -n 1 "$TMP/engine.out" | tr ' ' '\n' |
		awk -F= '{ v[$1] = $2 } END { printf "%d %d %d\n", v["answered_per_s"], v["answered"], v["lost"] }'
}

say "warming Unbound's cache: one pass of $QUERIES_PER_PASS queries"
read -r _ warm_done warm_lost < <(run_dnsperf 1)
[ "$warm_lost" = 0 ] || say "warm-up lost $warm_lost queries"

PASSES=2
best_perf=0 best_engine=0 perf_lost=0 engine_lost=0
rounds_text="" ratios=""
for r in $(seq 1 "$ROUNDS"); do
	read -r pq pdone plost < <(run_dnsperf $PASSES)
	pcpu=$(cpu_us "$pdone")
	read -r eq edone elost < <(run_engine $PASSES)
	ecpu=$(cpu_us "$edone")
	rr=$(awk -v e="$eq" -v p="$pq" 'BEGIN { printf "%.1f", (p > 0) ? 100 * e / p : 0 }')
	say "round $r: dnsperf $pq q/s ($pdone completed, $plost lost, $pcpu us CPU/query), engine $eq answered/s ($edone answered, $elost lost, $ecpu us CPU/query), $rr %"
	rounds_text="$rounds_text| $r | $pq | $plost | $pcpu | $eq | $elost | $ecpu | $rr % |"$'\n'
	ratios="$ratios $rr"
	[ "$pq" -gt "$best_perf" ] && best_perf=$pq
	[ "$eq" -gt "$best_engine" ] && best_engine=$eq
	perf_lost=$((perf_lost + plost))
	engine_lost=$((engine_lost + elost))
done
ratio=$(awk -v e="$best_engine" -v p="$best_perf" 'BEGIN { printf "%.1f", (p > 0) ? 100 * e / p : 0 }')
median=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
cp "$TMP/engine.out" "$TMP/engine-last.out"

# ---- memory ------------------------------------------------------------------------------------

rss_text=""
for n in $RSS_SIZES; do
	say "memory: streaming $n domains ($((n * 19)) questions) to NSD"
	"$ENGINE" -s "127.0.0.1:$NSD_PORT" -n "$n" -m "$INFLIGHT" -t 5000 >"$TMP/rss-$n.out" 2>&1 ||
		{ cat "$TMP/rss-$n.out" >&2; die "zs-dnsbench failed on $n domains"; }
	line=$(head -n 1 "$TMP/rss-$n.out")
	rss=$(echo "$line" | tr ' ' '\n' | awk -F= '$1 == "peak_rss_kib" { print $2 }')
	qps=$(echo "$line" | tr ' ' '\n' | awk -F= '$1 == "answered_per_s" { print $2 }')
	lost=$(echo "$line" | tr ' ' '\n' | awk -F= '$1 == "lost" { print $2 }')
	say "memory: $n domains: peak RSS $((rss / 1024)) MiB, $qps answered/s, $lost lost"
	rss_text="$rss_text| $n | $((n * 19)) | $((rss / 1024)) | $qps | $lost |"$'\n'
done

cat <<EOF

## DNS engine (issue 5)

Command: \`bench/dns_engine.sh --domains $DOMAINS --rounds $ROUNDS --inflight $INFLIGHT\`
($(nproc) cores, Linux $(uname -r), Unbound $(dpkg-query -W -f='${Version}' unbound),
NSD $(dpkg-query -W -f='${Version}' nsd), dnsperf $(dpkg-query -W -f='${Version}' dnsperf)).

Throughput through Unbound (2 threads, warm cache, stub zone to NSD), $DOMAINS domains,
$QUERIES_PER_PASS questions per pass (73.7 % NXDOMAIN), $PASSES passes per round:

| round | dnsperf q/s | lost | CPU µs/query | engine answered/s | lost | CPU µs/query | engine / dnsperf |
| --- | --- | --- | --- | --- | --- | --- | --- |
$rounds_text
Best of each: dnsperf $best_perf q/s, engine $best_engine answered/s = **$ratio %** of dnsperf
(goal >= 80 %); median of the per-round ratios $median %; answers lost over all rounds:
dnsperf $perf_lost, engine $engine_lost.
EOF
if [ -n "$rss_text" ]; then
	cat <<EOF

Peak RSS of zs-dnsbench streaming domains straight to NSD (cache on, bounded at 64 MiB):

| domains | questions | peak RSS (MiB) | answered/s | lost |
| --- | --- | --- | --- | --- |
$rss_text
EOF
fi

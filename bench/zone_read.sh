#!/bin/bash
# SPDX-License-Identifier: MIT
# Zone-reading benchmark (issue 4). Generates a registry-style zone of 1,000,000 delegations
# (bench/gen_zone.py, seeded), then in one hyperfine run times:
#   - `zonesweep zone --count` on the plain file and on its gzip copy,
#   - bench/ldns_count.c: the same file read with ldns_rr_new_frm_fp_l() record by record,
#   - bench/zscanner_count.c: the same file read with Knot DNS's libzscanner (for comparison),
#   - `zcat` of the gzip copy alone,
# and measures peak memory (/usr/bin/time -v) for 100,000 and 1,000,000 delegations.
# Prints MB/s and the ratios, and writes them to $OUT/zone_read.md.
#
# usage: bench/zone_read.sh [COUNT]     (COUNT defaults to 1000000)
# env:   OUT (default $TMPDIR/zonesweep-bench), BUILD (default build-bench), RUNS (default 5)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
count=${1:-1000000}
out=${OUT:-${TMPDIR:-/tmp}/zonesweep-bench}
build=${BUILD:-$root/build-bench}
runs=${RUNS:-5}
mkdir -p "$out"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v cc >/dev/null || need+=(gcc)
pkg-config --exists ldns 2>/dev/null || need+=(libldns-dev)
pkg-config --exists libzscanner 2>/dev/null || need+=(libknot-dev)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The reader: the zonesweep binary when it has the zone command, else the stand-alone driver.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
if cmake --build "$build" -j2 --target zonesweep >/dev/null 2>&1 &&
	"$build/scanner/zonesweep" zone --help >/dev/null 2>&1; then
	reader="$build/scanner/zonesweep"
else
	cmake --build "$build" -j2 --target zs_zone_cmd >/dev/null
	reader="$build/tests/unit/zoneio/zs_zone_cmd"
fi
cc -O2 -o "$out/ldns_count" "$here/ldns_count.c" $(pkg-config --cflags --libs ldns)
cc -O2 -o "$out/zscanner_count" "$here/zscanner_count.c" $(pkg-config --cflags --libs libzscanner)

zone="$out/zone-$count.zone"
small="$out/zone-100000.zone"
if [ ! -s "$zone" ]; then
	python3 "$here/gen_zone.py" "$count" --seed 4 >"$zone"
fi
if [ ! -s "$zone.gz" ]; then
	gzip -6 -c "$zone" >"$zone.gz"
fi
if [ ! -s "$small" ]; then
	python3 "$here/gen_zone.py" 100000 --seed 4 >"$small"
fi
bytes=$(stat -c %s "$zone")

# The readers must agree before their times mean anything.
n_fast=$("$reader" zone "$zone" --count 2>/dev/null)
n_gz=$("$reader" zone "$zone.gz" --count 2>/dev/null)
n_ldns=$("$out/ldns_count" "$zone" 2>/dev/null)
n_zsc=$("$out/zscanner_count" "$zone" bank. 2>/dev/null)
if [ "$n_fast" != "$count" ] || [ "$n_gz" != "$count" ] || [ "$n_ldns" != "$count" ] ||
	[ "$n_zsc" != "$count" ]; then
	echo "delegation counts differ: zonesweep $n_fast, gzip $n_gz, ldns $n_ldns," \
		"zscanner $n_zsc, expected $count"
	exit 1
fi

hyperfine -N -w 1 -r "$runs" --export-json "$out/zone_read.json" \
	-n zonesweep-plain "$reader zone $zone --count" \
	-n zonesweep-gzip "$reader zone $zone.gz --count" \
	-n zcat "zcat $zone.gz" \
	-n zscanner "$out/zscanner_count $zone bank." \
	-n ldns "$out/ldns_count $zone"

peak() { # peak RSS in KiB of a command
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
}
rss_small=$(peak "$reader" zone "$small" --count)
rss_big=$(peak "$reader" zone "$zone" --count)
rss_ldns=$(peak "$out/ldns_count" "$zone")

python3 - "$out/zone_read.json" "$bytes" "$count" "$rss_small" "$rss_big" "$rss_ldns" \
	"$(basename "$reader")" <<'EOF' | tee "$out/zone_read.md"
import json, sys
data = json.load(open(sys.argv[1]))
size, count = int(sys.argv[2]), int(sys.argv[3])
rss_small, rss_big, rss_ldns = (int(x) for x in sys.argv[4:7])
reader = sys.argv[7]
t = {r["command"]: r for r in data["results"]}
def mean(n): return t[n]["mean"]
def sd(n): return t[n]["stddev"]
mb = size / 1e6
print(f"Zone: {count:,} delegations, {mb:.1f} MB plain (bench/gen_zone.py --seed 4); "
      f"reader: {reader}; hyperfine mean of the runs.\n")
print("| command | time (s) | speed |")
print("| --- | --- | --- |")
for n, label in [("zonesweep-plain", "`zone --count` plain"), ("zonesweep-gzip", "`zone --count` gzip"),
                 ("zcat", "`zcat` of the gzip copy"), ("zscanner", "zscanner_count (libzscanner)"),
                 ("ldns", "ldns_count (`ldns_rr_new_frm_fp_l`)")]:
    print(f"| {label} | {mean(n):.3f} ± {sd(n):.3f} | {mb / mean(n):.0f} MB/s |")
print()
print(f"- plain: {mb / mean('zonesweep-plain'):.0f} MB/s, "
      f"{mean('ldns') / mean('zonesweep-plain'):.1f}x the ldns reference (goal: 100 MB/s, 5x)")
print(f"- gzip: {mean('zonesweep-gzip') / mean('zcat'):.2f}x the time of zcat alone (goal: <= 1.5x)")
print(f"- libzscanner (callback per record, counting only): "
      f"{mean('zonesweep-plain') / mean('zscanner'):.2f}x the time of zonesweep")
users = ", ".join(f"{n} {t[n]['user']:.2f} s" for n in t)
print(f"- CPU (user) time: {users}")
print(f"- peak RSS: {rss_small / 1024:.1f} MiB for 100,000 delegations, "
      f"{rss_big / 1024:.1f} MiB for {count:,} "
      f"({(rss_big - rss_small) * 1024 / (count - 100000):.0f} bytes per added delegation); "
      f"ldns_count {rss_ldns / 1024:.1f} MiB")
EOF

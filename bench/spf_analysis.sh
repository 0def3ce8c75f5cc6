#!/bin/sh
# SPDX-License-Identifier: MIT
# SPF analysis benchmark (issue 6): builds the driver and analyses N domains (default
# 1,000,000) against a warm in-memory answer cache, with and without the shared parse cache.
# Usage: bench/spf_analysis.sh [N] [build-dir]. Figures go to stdout; copy them into
# bench/RESULTS.md under "## SPF analysis (issue 6)".
set -eu
n=${1:-1000000}
build=${2:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 --target spf_bench >/dev/null
bin="$build/tests/unit/spf/spf_bench"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
bt=$(grep '^CMAKE_BUILD_TYPE:' "$build/CMakeCache.txt" | cut -d= -f2)
echo "# build type: ${bt:-RelWithDebInfo (project default)}, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in "" --no-cache; do
	echo "## spf_bench $n $mode"
	/usr/bin/time -f "wall %e s, user %U s, max RSS %M KiB" "$bin" "$n" $mode
done

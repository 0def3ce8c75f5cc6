#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install what is missing, build with warnings as errors (and AddressSanitizer +
# UndefinedBehaviorSanitizer), start the test rig (private PostgreSQL, NSD and Unbound serving
# the generated test world, all on 127.0.0.1), run every test through ctest, stop the rig.
# Exits non-zero on any failure.
#
#   scripts/test.sh [ctest arguments...]     e.g. scripts/test.sh -L unit
#
# Environment: ZS_BUILD_DIR (default build-test), ZS_SANITIZE (default address,undefined;
# empty for none), ZS_TEST_JOBS (ctest parallelism, default 2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BUILD=${ZS_BUILD_DIR:-$ZS_ROOT/build-test}
SANITIZE=${ZS_SANITIZE-address,undefined}

ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES $ZS_ORACLE_PACKAGES dnsperf

say "building in $BUILD (warnings are errors${SANITIZE:+, sanitizers: $SANITIZE})"
build_tree "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
	-DZS_SANITIZE="$SANITIZE"

# The test world: every profile of tests/world/gen_world.py under .post and .bank.
WORLD=$BUILD/test-world
rm -rf "$WORLD"
python3 "$ZS_ROOT/tests/world/gen_world.py" --out "$WORLD" --tld post:300 --tld bank:120 --seed 7

RIG=$(mktemp -d /tmp/zs-rig.XXXXXX)
cleanup() {
	"$ZS_ROOT/scripts/rig.sh" stop "$RIG" || true
	rm -rf "$RIG"
}
trap cleanup EXIT INT TERM
"$ZS_ROOT/scripts/rig.sh" start "$RIG" --world "$WORLD"
# shellcheck disable=SC1091
. "$RIG/env.sh"
export ZS_TEST_WORLD=$WORLD ZS_BINARY=$BUILD/scanner/zonesweep
# LeakSanitizer reports of the test programs are errors; suppressions live in the tree.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ZS_ROOT/tests/lsan.supp:print_suppressions=0}

cd "$BUILD"
ctest --output-on-failure -j"${ZS_TEST_JOBS:-2}" "$@"

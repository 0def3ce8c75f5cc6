# SPDX-License-Identifier: MIT
# Shared shell functions of the project's scripts (sourced, not run).

ZS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=/usr/lib/postgresql/15/bin

# Debian packages the build, the tests and the quickstart need.
ZS_BUILD_PACKAGES="build-essential cmake pkg-config libldns-dev libuv1-dev libpq-dev zlib1g-dev
libssl-dev libpsl-dev libidn2-dev libcmocka-dev libyaml-dev"
ZS_RIG_PACKAGES="postgresql-15 postgresql-client-15 nsd unbound ldnsutils python3 iproute2 procps
gzip chromium"
# Independent implementations the oracle tests compare the scanner with (tests/oracle): pyspf,
# dkimpy, the OpenDMARC library, and dnspython, through which pyspf resolves and the tests read
# the world's zone files.
ZS_ORACLE_PACKAGES="python3-spf python3-dkim python3-dnspython libopendmarc2"

say() { printf 'zonesweep: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ensure_packages PKG...: install what is missing with apt-get, quietly; idempotent.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# The package lists may be missing on a fresh machine; refresh them once if needed.
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/zs-apt.log 2>&1; then
		apt-get update -qq >/tmp/zs-apt.log 2>&1 || true
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/zs-apt.log 2>&1 ||
			die "apt-get install ${missing[*]} failed (see /tmp/zs-apt.log)"
	fi
	# Debian starts daemons it installs; the project runs its own private instances instead.
	for p in nsd unbound; do
		case " ${missing[*]} " in *" $p "*)
			service "$p" stop >/dev/null 2>&1 || true ;;
		esac
	done
	return 0
}

# free_port: print a TCP and UDP port on 127.0.0.1 that is free right now.
free_port() {
	python3 - <<'EOF'
import socket
while True:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    print(port)
    break
EOF
}

# build_tree DIR [CMAKE_ARGS...]: configure and build into DIR.
build_tree() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cmake -S "$ZS_ROOT" -B "$dir" "$@" >"$dir/configure.log" 2>&1 ||
		{ cat "$dir/configure.log" >&2; die "cmake configure failed"; }
	if ! cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1; then
		grep -Ev '^\[ *[0-9]+%\]' "$dir/build.log" | tail -n 60 >&2
		die "build failed (full log: $dir/build.log)"
	fi
}

# bench_workdir NAME: a scratch directory for a benchmark (WORK) and its rig (RIG, started by
# the caller), both stopped and removed when the script exits.
bench_workdir() {
	WORK=$(mktemp -d "/tmp/zs-bench-$1.XXXXXX")
	chmod 755 "$WORK" # the rig runs PostgreSQL as an unprivileged user, which reads files here
	RIG=$WORK/rig
	trap bench_cleanup EXIT INT TERM
}
# The benchmarks' Release build, without the tests; sets ZS to its binary.
bench_build() {
	build_tree "$ZS_ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
	ZS=$ZS_ROOT/build-bench/scanner/zonesweep
}
# A world of N domains under .bench (every profile of tests/world/gen_world.py but the DNS
# faults) in $WORK/world, served by the rig in $RIG (further arguments go to `rig.sh start`,
# e.g. --no-pg), whose env.sh is then read.
bench_world() {
	local n=$1
	shift
	say "generating a world of $n domains"
	python3 "$ZS_ROOT/tests/world/gen_world.py" --out "$WORK/world" --tld "bench:$n" --seed 11 \
		--no-faults
	"$ZS_ROOT/scripts/rig.sh" start "$RIG" --world "$WORK/world" "$@"
	# shellcheck disable=SC1091
	. "$RIG/env.sh"
}
bench_cleanup() {
	"$ZS_ROOT/scripts/rig.sh" stop "$RIG" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}

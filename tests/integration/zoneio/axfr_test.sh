#!/bin/bash
# SPDX-License-Identifier: MIT
# Zone transfer test of `zonesweep zone --axfr` (issue 4) against a real NSD on 127.0.0.1, on a
# port this script picks, in a temporary directory. NSD serves two zones of tests/data/zoneio:
# "bank" to anyone on loopback, "post" only with a TSIG key. What the transfer yields must equal
# what reading the same zone file yields; a refused, unsigned or wrongly signed transfer and a
# server that is not there must fail. NSD is stopped by its PID when the script ends, whatever
# happens.
#
# usage: axfr_test.sh ZS_ZONE_CMD DATA_DIR
set -u
cmd=$1
data=$2

if ! command -v nsd >/dev/null 2>&1; then
	echo "FAIL: nsd is not installed: run scripts/test.sh (it installs it) or apt-get install nsd"
	exit 1
fi

tmp=$(mktemp -d)
nsd_pid=""
cleanup() {
	if [ -n "$nsd_pid" ] && kill -0 "$nsd_pid" 2>/dev/null; then
		kill "$nsd_pid"
		wait "$nsd_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
dead_port=$(free_port)
secret=$(head -c 32 /dev/urandom | base64)
wrong=$(head -c 32 /dev/urandom | base64)

cp "$data/origin-ttl.zone" "$tmp/bank.zone"
cp "$data/apex-from-soa.zone" "$tmp/post.zone"
cat >"$tmp/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$port
	username: ""
	chroot: ""
	zonesdir: "$tmp"
	pidfile: "$tmp/nsd.pid"
	database: ""
	xfrdfile: "$tmp/xfrd.state"
	zonelistfile: "$tmp/zone.list"
	logfile: "$tmp/nsd.log"
	server-count: 1
	do-ip6: no
	verbosity: 1
remote-control:
	control-enable: no
key:
	name: "zs-test-key"
	algorithm: hmac-sha256
	secret: "$secret"
zone:
	name: bank
	zonefile: bank.zone
	provide-xfr: 127.0.0.1 NOKEY
zone:
	name: post
	zonefile: post.zone
	provide-xfr: 127.0.0.1 zs-test-key
EOF
cat >"$tmp/good.key" <<EOF
key "zs-test-key" {
	algorithm hmac-sha256;
	secret "$secret";
};
EOF
echo "hmac-sha256:zs-test-key:$secret" >"$tmp/good.line"
echo "hmac-sha256:zs-test-key:$wrong" >"$tmp/wrong.line"

nsd -d -c "$tmp/nsd.conf" >"$tmp/nsd.out" 2>&1 &
nsd_pid=$!

# Wait (at most 10 s) until NSD answers a transfer.
for _ in $(seq 1 50); do
	if "$cmd" zone --axfr "127.0.0.1:$port" --tld bank --count >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$nsd_pid" 2>/dev/null; then
		echo "FAIL: nsd did not start:"
		cat "$tmp/nsd.out" "$tmp/nsd.log" 2>/dev/null
		exit 1
	fi
	sleep 0.2
done

passed=0
failed=0
check() { # name, then the command's status: 0 pass
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok: $1"
	else
		failed=$((failed + 1))
		echo "FAIL: $1"
	fi
}

same_as_file() { # name zone file [axfr options...]
	local name=$1 zone=$2 file=$3
	shift 3
	"$cmd" zone "$file" --tld "$zone" --json 2>/dev/null | sort >"$tmp/want"
	if ! "$cmd" zone --axfr "127.0.0.1:$port" --tld "$zone" "$@" --json 2>"$tmp/err" |
		sort >"$tmp/got" || [ "${PIPESTATUS[0]}" -ne 0 ]; then
		cat "$tmp/err"
		check "$name" 1
		return
	fi
	if [ ! -s "$tmp/want" ] || ! diff -u "$tmp/want" "$tmp/got"; then
		check "$name" 1
		return
	fi
	check "$name" 0
}

expect_fail() { # name pattern [axfr args...]
	local name=$1 pattern=$2
	shift 2
	"$cmd" zone "$@" --count >"$tmp/out" 2>"$tmp/err"
	local status=$?
	if [ "$status" -eq 1 ] && grep -q -- "$pattern" "$tmp/err"; then
		check "$name" 0
	else
		echo "status $status, stderr:"
		cat "$tmp/err"
		check "$name" 1
	fi
}

same_as_file "transfer without key equals the file" bank "$tmp/bank.zone"
same_as_file "transfer with a BIND key file" post "$tmp/post.zone" --tsig "$tmp/good.key"
same_as_file "transfer with an alg:name:secret key" post "$tmp/post.zone" --tsig "$tmp/good.line"
"$cmd" zone --axfr "127.0.0.1:$port" --tld post --tsig "$tmp/good.key" --count 2>"$tmp/err" >/dev/null
grep -q "serial 77, read completely" "$tmp/err"
check "the SOA serial is reported" $?
expect_fail "unsigned transfer of a TSIG zone is refused" "refused" --axfr "127.0.0.1:$port" --tld post
expect_fail "wrong TSIG secret is refused" "refused" --axfr "127.0.0.1:$port" --tld post --tsig "$tmp/wrong.line"
expect_fail "zone the server does not serve" "refused" --axfr "127.0.0.1:$port" --tld nosuch
expect_fail "no server on the port" "127.0.0.1" --axfr "127.0.0.1:$dead_port" --tld bank
expect_fail "missing key file" "good.missing" --axfr "127.0.0.1:$port" --tld post --tsig "$tmp/good.missing"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

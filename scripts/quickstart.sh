#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# From nothing to a stored sweep and its reports: install what is missing, build, start a
# private PostgreSQL and a demo DNS world on 127.0.0.1, sweep the bundled sample zone (.post,
# 300 domains, generated deterministically by tests/world/gen_world.py), store the run, write
# the reports, and print where everything is.
#
#   scripts/quickstart.sh            (the servers keep running; the script says how to stop them)
#   scripts/quickstart.sh --stop     (stop the servers the last quickstart left running)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BUILD=$ZS_ROOT/build
OUT=$ZS_ROOT/out
STATE=$OUT/quickstart-rig   # remembers where the rig of the last quickstart runs

if [ "${1:-}" = "--stop" ]; then
	if [ -f "$STATE" ]; then
		"$ZS_ROOT/scripts/rig.sh" stop "$(cat "$STATE")"
		rm -rf "$(cat "$STATE")" "$STATE"
		say "quickstart servers stopped"
	else
		say "no quickstart servers are running"
	fi
	exit 0
fi

ensure_packages $ZS_BUILD_PACKAGES $ZS_RIG_PACKAGES
say "building in $BUILD"
build_tree "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
ZS=$BUILD/scanner/zonesweep

mkdir -p "$OUT"
if [ -f "$STATE" ]; then
	"$ZS_ROOT/scripts/rig.sh" stop "$(cat "$STATE")" || true
	rm -rf "$(cat "$STATE")"
fi
WORLD=$OUT/sample-world
rm -rf "$WORLD"
python3 "$ZS_ROOT/tests/world/gen_world.py" --out "$WORLD" --tld post:300 --seed 1

RIG=$(mktemp -d /tmp/zs-quickstart.XXXXXX)
echo "$RIG" >"$STATE"
"$ZS_ROOT/scripts/rig.sh" start "$RIG" --world "$WORLD"
# shellcheck disable=SC1091
. "$RIG/env.sh"

"$ZS" db migrate --db "$ZS_PG_CONNINFO"
"$ZS" scan --zone "$WORLD/post.zone" --tld post --resolver "$ZS_UNBOUND_ADDR" \
	--db "$ZS_PG_CONNINFO" --retry-delay 2 --jsonl "$OUT/post-latest.jsonl.gz" --overwrite || true
"$ZS" report --run latest --db "$ZS_PG_CONNINFO" --out "$OUT/post-latest.csv.gz" --overwrite

cat <<EOT

Done. What the quickstart made:
  sample zone      $WORLD/post.zone
  report (CSV)     $OUT/post-latest.csv.gz        zcat $OUT/post-latest.csv.gz | head
  results (JSONL)  $OUT/post-latest.jsonl.gz
  database         $ZS_PG_CONNINFO
                   open it with: psql "$ZS_PG_CONNINFO"
The PostgreSQL, NSD and Unbound servers keep running in $RIG;
stop them with: scripts/quickstart.sh --stop
EOT

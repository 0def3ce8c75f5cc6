#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Files written to a full disk (a small tmpfs mounted in a private mount namespace, gone with
the process).

- scan --jsonl: the first failed write stops the sweep; every result it handed on is in the
  database (the database is written first), the run is interrupted and resumable (it was
  marked failed, so --resume was refused), the summary counts what the database holds (it said
  one fewer), and the JSON Lines file is not left half written.
- report: refused with one line naming the file; nothing is left under its name."""

import os
import subprocess

import zstest
from zstest import check

TLD = "post"


def on_full_disk(mnt, args, size="64k"):
    """Run args with a small file system mounted on mnt, seen by that process alone."""
    unshare = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.append("--map-root-user")
    return subprocess.run(unshare + ["sh", "-c", 'mount -t tmpfs -o size=%s tmpfs "$0" && '
                                     'exec "$@"' % size, mnt] + args,
                          capture_output=True, text=True, timeout=600)


def scan(env, db, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", os.path.join(env["ZS_TEST_WORLD"], TLD + ".zone"),
            "--tld", TLD, "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet",
            *zstest.FAST_FAULTS, *extra]


def stored(db, run_id):
    return int(db.q("SELECT count(*) FROM results WHERE run_id = %s" % run_id)[0][0])


def jsonl_to_full_disk(env, db, tmp, mnt):
    path = os.path.join(mnt, "results.jsonl")
    p = on_full_disk(mnt, scan(env, db, "--jsonl", path))
    check(p.returncode == 1, "exit %d, wanted 1:\n%s" % (p.returncode, p.stderr))
    check(path in p.stderr and "No space left on device" in p.stderr,
          "no error naming %s and the full disk:\n%s" % (path, p.stderr))
    run_id, status = db.q("SELECT id, status FROM runs")[0]
    n = stored(db, run_id)
    check(status == "interrupted", "run %s is %s, wanted interrupted:\n%s" % (run_id, status,
                                                                             p.stderr))
    check(0 < n < 300, "%d results stored: the disk filled too late or too early" % n)
    check(zstest.summary_stored(p.stdout) == n, "the summary says %d stored, the database "
          "holds %d:\n%s" % (zstest.summary_stored(p.stdout), n, p.stdout))
    check("--resume %s" % run_id in p.stderr, "no resume hint:\n" + p.stderr)
    rest = os.path.join(tmp, "rest.jsonl")
    zstest.zonesweep(*scan(env, db, "--resume", run_id, "--jsonl", rest), check_rc=0)
    check(db.q("SELECT status FROM runs WHERE id = %s" % run_id) == [["complete"]],
          "run %s not complete after the resume" % run_id)
    check(stored(db, run_id) == 300, "run %s holds %d domains" % (run_id, stored(db, run_id)))
    with open(rest) as fh:
        lines = sum(1 for _ in fh)
    check(lines == 300 - n, "the resume wrote %d lines, wanted %d" % (lines, 300 - n))
    return run_id


def report_to_full_disk(env, db, mnt, run_id):
    path = os.path.join(mnt, "report.csv")
    p = on_full_disk(mnt, [env["ZS_BINARY"], "report", "--run", run_id, "--db", db.conninfo,
                           "--out", path, "--format", "csv"], size="4k")
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 1 and len(lines) == 1 and path in lines[0]
          and "No space left on device" in lines[0],
          "report to a full disk: exit %d:\n%s" % (p.returncode, p.stderr))


def test(env, tmp):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_full_disk")
    mnt = os.path.join(tmp, "full")
    os.mkdir(mnt)
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        run_id = jsonl_to_full_disk(env, db, tmp, mnt)
        report_to_full_disk(env, db, mnt, run_id)
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

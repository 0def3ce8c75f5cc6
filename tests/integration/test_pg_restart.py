#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""PostgreSQL restarts (immediate stop, then start) in the middle of a sweep: the sweep either
completes or stops with its run marked interrupted and resumable; after resuming if needed, the
run holds every domain of the zone exactly once, with the verdicts the world expects."""

import os
import signal
import subprocess
import time

import zstest
from zstest import check

TLD = "post"


def scan(env, db, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", os.path.join(env["ZS_TEST_WORLD"], TLD + ".zone"),
            "--tld", TLD, "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet",
            *zstest.FAST_FAULTS, *extra]


def test(env, tmp):
    rig = os.environ.get("ZS_RIG_DIR")
    check(rig, "ZS_RIG_DIR is not set: run through scripts/test.sh")
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_pgrestart")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        proc = subprocess.Popen(scan(env, db, "--qps", "400", "--window", "20"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if int(db.q("SELECT count(*) FROM results")[0][0]) >= 30:
                    break
                time.sleep(0.2)
            else:
                raise zstest.Failure("no results stored before the restart")
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            subprocess.run([os.path.join(root, "scripts", "rig.sh"), "restart-pg", rig],
                           check=True, capture_output=True)
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        rows = db.q("SELECT id, status FROM runs")
        check(len(rows) == 1, "runs after the restart: %r" % rows)
        run_id, status = rows[0]
        if proc.returncode == 0:
            check(status == "complete", "exit 0 but the run is %s" % status)
        else:
            # a clean stop: the run says so and can be resumed
            check(status == "interrupted", "exit %d and run %s:\n%s" % (proc.returncode, status,
                                                                        err))
            zstest.zonesweep(*scan(env, db, "--resume", run_id), check_rc=0)
        rows = db.q("SELECT status FROM runs WHERE id = %s" % run_id)
        check(rows[0][0] == "complete", "run not complete at the end: %r" % rows)
        exp = zstest.expected(env["ZS_TEST_WORLD"], TLD)
        got = dict(db.q("SELECT domain, status FROM results WHERE run_id = %s" % run_id))
        check(set(got) == set(exp), "domains lost or extra: %d stored, %d in the zone"
              % (len(got), len(exp)))
        wrong = [d for d in exp if got[d] != exp[d]["status"]["post"]]
        check(not wrong, "statuses differ from the world's: %r" % wrong[:10])
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

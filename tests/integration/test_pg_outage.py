#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The database away for longer than the writer's patience (--db-patience 1).

After the sweep: the DNS work is done and the loop closed while the writer still holds results
(it waits behind a table lock); PostgreSQL then stops for good. The writer gives up, and the
process must not crash (it aborted in uv_async_send on the closed loop): exit 1, one line saying
the run is left running and how to resume it, the summary counting what the database holds.
The resume then completes the run with every domain of the zone."""

import os
import re

import zstest
from zstest import check

TLD = "post"


def scan(env, db, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", os.path.join(env["ZS_TEST_WORLD"], TLD + ".zone"),
            "--tld", TLD, "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet",
            *zstest.FAST_FAULTS, *extra]


def stored(db, run_id=None):
    where = "" if run_id is None else " WHERE run_id = %s" % run_id
    return int(db.q("SELECT count(*) FROM results" + where)[0][0])


def check_no_crash(rc, err):
    check(rc == 1, "exit %d, wanted 1:\n%s" % (rc, err))
    for word in ("AddressSanitizer", "Aborted", "runtime error", "Assertion"):
        check(word not in err, "%s in stderr:\n%s" % (word, err))


def resume_completes(env, db, run_id):
    zstest.zonesweep(*scan(env, db, "--resume", run_id), check_rc=0)
    rows = db.q("SELECT status FROM runs WHERE id = %s" % run_id)
    check(rows == [["complete"]], "run %s after the resume: %r" % (run_id, rows))
    exp = zstest.expected(env["ZS_TEST_WORLD"], TLD)
    got = dict(db.q("SELECT domain, status FROM results WHERE run_id = %s" % run_id))
    check(set(got) == set(exp), "domains lost or extra: %d stored, %d in the zone"
          % (len(got), len(exp)))
    wrong = [d for d in exp if got[d] != exp[d]["status"][TLD]]
    check(not wrong, "statuses differ from the world's: %r" % wrong[:10])


def gives_up_after_the_sweep(env):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_outage_after")
    lock = None
    pg_down = False
    sweep = None
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        sweep = zstest.Sweep(scan(env, db, "--db-patience", "1", "--debug", "main"))
        sweep.wait_until(lambda: stored(db) >= 30, "the first results to be stored")
        lock = zstest.TableLock(db.conninfo, "results")
        sweep.wait_line(r"sweep: \S+ -> closing")
        zstest.rig("stop-pg")
        pg_down = True
        rc, out, err = sweep.wait()
        zstest.rig("start-pg")
        pg_down = False
        check_no_crash(rc, err)
        run_id = db.q("SELECT id FROM runs")[0][0]
        lines = [l for l in err.splitlines() if "--resume %s" % run_id in l]
        check(len(lines) == 1 and "left running" in lines[0],
              "no one line saying the run is left running and how to resume it:\n" + err)
        rows = db.q("SELECT status FROM runs WHERE id = %s" % run_id)
        check(rows == [["running"]], "run %s: %r" % (run_id, rows))
        resume_completes(env, db, run_id)
    finally:
        if sweep is not None:
            sweep.kill()
        if pg_down:
            zstest.rig("start-pg")
        if lock is not None:
            lock.close()
        db.drop()


def test(env, tmp):
    gives_up_after_the_sweep(env)


if __name__ == "__main__":
    zstest.main(test)

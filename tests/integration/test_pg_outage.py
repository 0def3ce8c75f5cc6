#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The database away for longer than the writer's patience (--db-patience 1). Each time the
writer is held after its first batch (zstest.WriterHold), so that the sweep reaches a given
point with results still unwritten; then the database goes.

- After the sweep: the DNS work is done and the loop closed; PostgreSQL stops for good. The
  process must not crash (it aborted in uv_async_send on the closed loop): exit 1, one line
  saying the run is left running and how to resume it.
- Before the deferred pass: the database refuses every row (disk full). The sweep must stop
  there (the deferred pass ran, probing domains whose results had nowhere to go) and the run is
  marked interrupted.

Both times the summary counts what the database holds (it counted every domain probed), and
the resume completes the run with every domain of the zone."""

import contextlib
import os

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


def check_summary(out, db, run_id):
    n = stored(db, run_id)
    check(zstest.summary_stored(out) == n, "the summary says %d stored, the database holds %d:"
          "\n%s" % (zstest.summary_stored(out), n, out))


@contextlib.contextmanager
def held_sweep(env, name, *extra):
    """A sweep (--db-patience 1) on a database of its own, its writer held after its first
    batch (zstest.WriterHold); yields (db, hold, sweep) once that batch is stored."""
    db = zstest.Database(env["ZS_PG_ADMIN"], name)
    hold = sweep = None
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        hold = zstest.WriterHold(db)
        sweep = zstest.Sweep(scan(env, db, "--db-patience", "1", *extra))
        sweep.wait_until(lambda: stored(db) > 0, "the first batch to be stored")
        yield db, hold, sweep
    finally:
        if sweep is not None:
            sweep.kill()
        if hold is not None:
            hold.close()
        db.drop()


def gives_up_after_the_sweep(env):
    with held_sweep(env, "it_outage_after", "--debug", "main") as (db, hold, sweep):
        sweep.wait_line(r"sweep: \S+ -> closing")
        zstest.rig("stop-pg")
        try:
            rc, out, err = sweep.wait()
        finally:
            zstest.rig("start-pg")
        check_no_crash(rc, err)
        run_id = db.q("SELECT id FROM runs")[0][0]
        lines = [l for l in err.splitlines() if "--resume %s" % run_id in l]
        check(len(lines) == 1 and "left running" in lines[0],
              "no one line saying the run is left running and how to resume it:\n" + err)
        rows = db.q("SELECT status FROM runs WHERE id = %s" % run_id)
        check(rows == [["running"]], "run %s: %r" % (run_id, rows))
        check_summary(out, db, run_id)
        hold.remove()
        resume_completes(env, db, run_id)


def gives_up_before_the_deferred_pass(env):
    with held_sweep(env, "it_outage_before", "--retry-delay", "30") as (db, hold, sweep):
        sweep.wait_line(r"domains had DNS failures; retrying them in")
        hold.release(disk_full=True)
        rc, out, err = sweep.wait()
        check_no_crash(rc, err)
        lines = err.splitlines()
        gave_up = [i for i, l in enumerate(lines) if "giving up" in l]
        check(gave_up, "the writer did not give up:\n" + err)
        ran = [l for l in lines if "deferred pass: probing" in l]
        check(not [l for l in lines[gave_up[0]:] if "deferred pass: probing" in l],
              "the deferred pass ran after the writer gave up:\n" + err)
        check(("deferred pass" in out) == bool(ran),
              "the summary's deferred pass does not match what ran:\n" + out)
        run_id = db.q("SELECT id FROM runs")[0][0]
        rows = db.q("SELECT status, domains FROM runs WHERE id = %s" % run_id)
        check(rows == [["interrupted", str(stored(db, run_id))]], "run %s: %r" % (run_id, rows))
        check("--resume %s" % run_id in err, "no resume hint:\n" + err)
        check_summary(out, db, run_id)
        hold.remove()
        resume_completes(env, db, run_id)


def test(env, tmp):
    gives_up_after_the_sweep(env)
    gives_up_before_the_deferred_pass(env)


if __name__ == "__main__":
    zstest.main(test)

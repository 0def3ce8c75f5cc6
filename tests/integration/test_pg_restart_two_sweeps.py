#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One sweep per TLD across a PostgreSQL restart. The restart ends every session, and with
them the TLD's advisory lock of sweep A; the lock is the only truth of which sweep owns the
TLD, so whichever takes it first goes on and the other stops without writing another row.

- A takes its lock again when its writer reconnects: a sweep B started then exits at once
  naming A's run, which stays running and completes.
- B starts while A is frozen (SIGSTOP) across the restart: B takes the lock and marks A's run
  interrupted. A, let go, must not write another row into its run (it did, all of them, and B
  completed its own run beside it): it stops, saying another sweep took the TLD."""

import os
import signal

import zstest
from zstest import check

TLD = "post"
LOCK_TLD = 2054356993  # ZS__DB_LOCK_TLD (db/db_int.h)


def scan(env, db, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", os.path.join(env["ZS_TEST_WORLD"], TLD + ".zone"),
            "--tld", TLD, "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet",
            *zstest.FAST_FAULTS, *extra]


def slow_scan(env, db, *extra):
    return scan(env, db, "--qps", "600", "--window", "20", *extra)


def stored(db, run_id=None):
    where = "" if run_id is None else " WHERE run_id = %s" % run_id
    return int(db.q("SELECT count(*) FROM results" + where)[0][0])


def lock_held(db):
    return db.q("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE d.datname = current_database() AND l.locktype = 'advisory' "
                "AND l.classid = %d AND l.objsubid = 2 AND l.granted" % LOCK_TLD) == [["1"]]


def check_world(env, db, run_id):
    exp = zstest.expected(env["ZS_TEST_WORLD"], TLD)
    got = dict(db.q("SELECT domain, status FROM results WHERE run_id = %s" % run_id))
    check(set(got) == set(exp), "run %s: domains lost or extra: %d stored, %d in the zone"
          % (run_id, len(got), len(exp)))
    wrong = [d for d in exp if got[d] != exp[d]["status"][TLD]]
    check(not wrong, "run %s: statuses differ from the world's: %r" % (run_id, wrong[:10]))


def old_sweep_keeps_the_tld(env, db):
    a = zstest.Sweep(slow_scan(env, db, "--db-patience", "30"))
    try:
        a.wait_until(lambda: stored(db) >= 30, "sweep A's first results")
        zstest.rig("restart-pg")
        a.wait_until(lambda: lock_held(db), "sweep A to take the TLD's lock again", limit=60)
        run_a = db.q("SELECT id FROM runs")[0][0]
        p = zstest.zonesweep(*scan(env, db))
        check(p.returncode == 1 and "another sweep of TLD %s is running (run %s" % (TLD, run_a)
              in p.stderr, "sweep B: exit %d:\n%s" % (p.returncode, p.stderr))
        rows = db.q("SELECT id, status FROM runs")
        check(rows == [[run_a, "running"]], "after sweep B: %r" % rows)
        rc, out, err = a.wait()
    finally:
        a.kill()
    check(rc == 0, "sweep A: exit %d:\n%s" % (rc, err))
    check(db.q("SELECT status FROM runs WHERE id = %s" % run_a) == [["complete"]],
          "run %s not complete" % run_a)
    check_world(env, db, run_a)


def new_sweep_takes_over(env, db):
    a = zstest.Sweep(slow_scan(env, db, "--db-patience", "2"))
    b = None
    try:
        a.wait_until(lambda: stored(db) >= 30, "sweep A's first results")
        run_a = db.q("SELECT id FROM runs")[0][0]
        os.kill(a.proc.pid, signal.SIGSTOP)
        try:
            zstest.rig("restart-pg")
            b = zstest.Sweep(slow_scan(env, db))
            b.wait_until(lambda: db.q("SELECT status FROM runs WHERE id = %s" % run_a)
                         == [["interrupted"]], "sweep B to take over the TLD")
        finally:
            os.kill(a.proc.pid, signal.SIGCONT)
        rc, out, err = a.wait()
        check(rc == 1, "sweep A: exit %d, wanted 1:\n%s" % (rc, err))
        # B's claim marked A's run: its row version is B's transaction; no row of A's run may
        # come from a later one
        later = db.q("SELECT count(*) FROM results WHERE run_id = %s AND xmin::text::bigint > "
                     "(SELECT xmin::text::bigint FROM runs WHERE id = %s)" % (run_a, run_a))
        check(later == [["0"]], "sweep A wrote %s rows into run %s after sweep B took over"
              % (later[0][0], run_a))
        check("another sweep took the TLD's lock" in err,
              "sweep A does not say that another sweep took the TLD:\n" + err)
        rc, out, err = b.wait()
        check(rc == 0, "sweep B: exit %d:\n%s" % (rc, err))
    finally:
        a.kill()
        if b is not None:
            b.kill()
    rows = db.q("SELECT id, status FROM runs ORDER BY id")
    check(len(rows) == 2 and rows[0] == [run_a, "interrupted"] and rows[1][1] == "complete",
          "runs at the end: %r" % rows)
    check_world(env, db, rows[1][0])


def test(env, tmp):
    for name, case in (("keep", old_sweep_keeps_the_tld), ("takeover", new_sweep_takes_over)):
        db = zstest.Database(env["ZS_PG_ADMIN"], "it_two_" + name)
        try:
            zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
            case(env, db)
        finally:
            db.drop()


if __name__ == "__main__":
    zstest.main(test)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A sweep killed with SIGKILL in the middle, then resumed, ends with the same database as an
uninterrupted sweep of the same world: no domain lost, none twice. While the first sweep runs,
a second sweep of the same TLD exits at once with a clear message (the advisory lock). SIGTERM
stops a sweep cleanly: what was done is stored, the run is marked interrupted, the message says
how to resume it."""

import os
import signal
import subprocess

import zstest
from zstest import check, wait_for

TLD = "post"


def scan_args(env, db, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", os.path.join(env["ZS_TEST_WORLD"], TLD + ".zone"),
            "--tld", TLD, "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo,
            "--quiet", *zstest.FAST_FAULTS, *extra]


def snapshot(db, run_id):
    results = db.q("SELECT domain, status, mail, warnings FROM results WHERE run_id = %s "
                   "ORDER BY domain" % run_id)
    verdicts = db.q("SELECT domain, rule, verdict FROM verdicts WHERE run_id = %s "
                    "ORDER BY domain, rule" % run_id)
    return results, verdicts


def test(env, tmp):
    killed = zstest.Database(env["ZS_PG_ADMIN"], "it_resume")
    clean = zstest.Database(env["ZS_PG_ADMIN"], "it_clean")
    try:
        for db in (killed, clean):
            zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)

        # A slow sweep (rate-limited), killed once part of it is stored.
        proc = subprocess.Popen(scan_args(env, killed, "--qps", "400", "--window", "20"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            def stored():
                rows = killed.q("SELECT count(*) FROM results")
                return int(rows[0][0]) >= 40
            zstest.wait_for(stored, "the first results to be stored")

            # The TLD is locked while the sweep runs.
            p = zstest.zonesweep(*scan_args(env, killed)[:1], *scan_args(env, killed)[1:])
            check(p.returncode == 1, "second sweep of .%s exit %d, wanted 1:\n%s\n%s"
                  % (TLD, p.returncode, p.stdout, p.stderr))
            check("post" in p.stderr and ("running" in p.stderr or "lock" in p.stderr),
                  "second sweep's message does not say a sweep is running:\n" + p.stderr)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        rows = killed.q("SELECT id, status FROM runs")
        check(len(rows) == 1 and rows[0][1] == "running",
              "after SIGKILL the run should be left 'running': %r" % rows)
        run_id = rows[0][0]
        partial = int(killed.q("SELECT count(*) FROM results WHERE run_id = %s" % run_id)[0][0])
        check(0 < partial < 300, "the kill came too late or too early: %d stored" % partial)

        # Resume: the stored domains are skipped, the rest is swept, the run completes.
        p = zstest.zonesweep(*scan_args(env, killed, "--resume", run_id), check_rc=0)
        check("skipped" in p.stdout, "the summary does not count skipped domains:\n" + p.stdout)
        rows = killed.q("SELECT status, resumes FROM runs WHERE id = %s" % run_id)
        check(rows[0][0] == "complete" and rows[0][1] == "1", "resumed run: %r" % rows)

        # An uninterrupted sweep of the same world, for comparison.
        zstest.zonesweep(*scan_args(env, clean), check_rc=0)
        clean_id = clean.q("SELECT id FROM runs")[0][0]
        got = snapshot(killed, run_id)
        want = snapshot(clean, clean_id)
        check(len(got[0]) == 300, "resumed run holds %d domains, the zone 300" % len(got[0]))
        diff = sorted(set(map(tuple, got[0])) ^ set(map(tuple, want[0])))
        check(not diff, "results differ from an uninterrupted sweep: %r" % diff[:10])
        diff = sorted(set(map(tuple, got[1])) ^ set(map(tuple, want[1])))
        check(not diff, "verdicts differ from an uninterrupted sweep: %r" % diff[:10])
        stopped = zstest.Database(env["ZS_PG_ADMIN"], "it_term")
        try:
            sigterm(env, stopped)
        finally:
            stopped.drop()
    finally:
        killed.drop()
        clean.drop()


def sigterm(env, db):
    zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
    proc = subprocess.Popen(scan_args(env, db, "--qps", "400", "--window", "20"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        zstest.wait_for(lambda: int(db.q("SELECT count(*) FROM results")[0][0]) >= 20,
                 "results before SIGTERM")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    check(proc.returncode == 1, "SIGTERM: exit %d, wanted 1" % proc.returncode)
    check("--resume" in err and "interrupted" in err, "SIGTERM message:\n" + err)
    rows = db.q("SELECT id, status, domains FROM runs")
    check(len(rows) == 1 and rows[0][1] == "interrupted", "after SIGTERM: %r" % rows)
    stored = int(db.q("SELECT count(*) FROM results")[0][0])
    check(0 < stored < 300, "after SIGTERM %d results stored" % stored)
    zstest.zonesweep(*scan_args(env, db, "--resume", rows[0][0]), check_rc=0)
    check(int(db.q("SELECT count(*) FROM results")[0][0]) == 300, "resume after SIGTERM")


if __name__ == "__main__":
    zstest.main(test)

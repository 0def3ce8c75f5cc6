#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/nightly.sh, the secretariat's job, end to end: it migrates, sweeps into the database,
and writes the notices of the newly non-compliant domains (a valid, gzip-compressed mbox with
one message per such domain that has a contact). When its sweep is stopped (SIGTERM) or killed
(SIGKILL) half-way, it resumes the same run, which completes, and writes the reports."""

import gzip
import mailbox
import os
import signal
import subprocess

import zstest
from zstest import check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nightly_env(env, db, tmp, *scan_opts):
    return dict(os.environ, ZS_ZONE=os.path.join(env["ZS_TEST_WORLD"], "post.zone"),
                ZS_TLD="post", ZS_DB=db.conninfo, ZS_RESOLVERS=env["ZS_UNBOUND_ADDR"],
                ZS_REPORT_DIR=os.path.join(tmp, "reports"),
                ZS_NOTICE_DIR=os.path.join(tmp, "notices"),
                ZS_WORK_DIR=os.path.join(tmp, "work"),
                ZS_FROM="POST secretariat <secretariat@registry.example>",
                ZS_BIN=env["ZS_BINARY"], ZS_NIGHTLY_CONF="/nonexistent", ZS_RESUME_DELAY="1",
                ZS_ATTEMPTS="10",
                ZS_SCAN_OPTS=" ".join(zstest.FAST_FAULTS + ["--quiet", *scan_opts]))


def child_scan(parent):
    """The pid of the sweep nightly.sh runs now, or None."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % pid) as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % pid, "rb") as fh:
                argv = fh.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"scan" in argv:
            return int(pid)
    return None


def interrupted_night(env, db, tmp, interrupt, *scan_opts):
    """Run nightly.sh with a slow sweep, interrupt(nightly, sweep pid) once part of the run is
    stored; the night must still end with the run complete and the reports written."""
    zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
    night = subprocess.Popen([os.path.join(ROOT, "scripts", "nightly.sh")],
                             env=nightly_env(env, db, tmp, "--qps", "400", "--window", "20",
                                             *scan_opts),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        zstest.wait_for(lambda: int(db.q("SELECT count(*) FROM results")[0][0]) >= 40,
                        "the first results of the night")
        sweep = child_scan(night.pid)
        check(sweep is not None, "no sweep under nightly.sh")
        interrupt(sweep)
        out, err = night.communicate(timeout=600)
    finally:
        if night.poll() is None:
            night.kill()
            night.wait()
    check(night.returncode == 0, "the night ended with exit %d:\n%s" % (night.returncode, err))
    check("resuming" in err, "the night did not resume its run:\n" + err)
    rows = db.q("SELECT status, resumes, domains FROM runs")
    check(len(rows) == 1 and rows[0][0] == "complete" and rows[0][1] != "0"
          and rows[0][2] == "300", "the run after the night: %r\n%s" % (rows, err))
    reports = os.listdir(os.path.join(tmp, "reports"))
    daily = [r for r in reports if r.startswith("post-daily-")]
    check(any(r.endswith(".csv.gz") for r in daily) and any(r.endswith(".html.gz")
                                                          for r in daily),
          "tonight's daily reports written: %r\n%s" % (reports, err))


def test_interrupted(env, tmp):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        db = zstest.Database(env["ZS_PG_ADMIN"], "it_nightly_%d" % sig)
        night = os.path.join(tmp, "night-%d" % sig)
        os.mkdir(night)
        try:
            interrupted_night(env, db, night, lambda pid, s=sig: os.kill(pid, s))
        finally:
            db.drop()


def test(env, tmp):
    test_interrupted(env, tmp)
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_nightly")
    try:
        exp = zstest.expected(env["ZS_TEST_WORLD"], "post")
        bad = sorted(d for d, e in exp.items() if e["status"]["post"] == "non-compliant")
        # contacts for a few non-compliant domains: only they get a notice
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        contacts = os.path.join(tmp, "contacts.csv")
        with open(contacts, "w") as fh:
            fh.write("domain,email,name\n")
            for d in bad[:5]:
                fh.write("%s,hostmaster@%s,Registrant of %s\n" % (d, d, d))
        zstest.zonesweep(env["ZS_BINARY"], "contacts", "import", contacts, "--db", db.conninfo,
                         check_rc=0)
        p = subprocess.run([os.path.join(ROOT, "scripts", "nightly.sh")],
                           env=nightly_env(env, db, tmp),
                           capture_output=True, text=True, timeout=600)
        check(p.returncode == 0, "nightly.sh exit %d:\n%s" % (p.returncode, p.stderr))
        rows = db.q("SELECT status FROM runs")
        check(rows == [["complete"]], "runs after the night: %r" % rows)
        boxes = os.listdir(os.path.join(tmp, "notices"))
        mbox_files = [b for b in boxes if b.endswith(".mbox.gz")]
        check(len(mbox_files) == 1, "notices written: %r" % boxes)
        raw = os.path.join(tmp, "notices.mbox")
        with gzip.open(os.path.join(tmp, "notices", mbox_files[0])) as src, open(raw, "wb") as dst:
            dst.write(src.read())
        msgs = list(mailbox.mbox(raw))
        to = sorted(m["To"].split("@")[-1].rstrip(">") for m in msgs)
        check(to == sorted(bad[:5]), "notices for %r, wanted %r" % (to, bad[:5]))
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

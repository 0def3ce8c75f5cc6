# SPDX-License-Identifier: MIT
"""Helpers of the integration tests: the rig's environment, a fresh database per test, running
the real zonesweep binary, reading the expected verdicts of the test world.

Integration tests run the real binary against the real servers that scripts/test.sh starts
(scripts/rig.sh). Run alone without them, a test fails and says how to start them."""

import csv
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

REQUIRED = ("ZS_BINARY", "ZS_TEST_WORLD", "ZS_UNBOUND_ADDR", "ZS_NSD_ADDR", "ZS_PG_ADMIN",
            "ZS_BLACKHOLE_ADDR")


def env():
    missing = [k for k in REQUIRED if not os.environ.get(k)]
    if missing:
        sys.exit("%s: missing %s; run the tests through scripts/test.sh, or start the rig with "
                 "scripts/rig.sh start DIR --world WORLD and source DIR/env.sh"
                 % (os.path.basename(sys.argv[0]), ", ".join(missing)))
    return {k: os.environ[k] for k in REQUIRED}


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def psql(conninfo, sql, *args):
    """Run one SQL statement; return the rows as lists of strings (NULL is None)."""
    cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
           "-P", "null=\x1e", "-d", conninfo, "-c", sql]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.split("\n")[:-1] if out else []:
        rows.append([None if c == "\x1e" else c for c in line.split("\x1f")])
    return rows


class Database:
    """A database of its own for one test, dropped at the end."""

    def __init__(self, admin, name):
        self.admin = admin
        self.name = "%s_%d" % (name, os.getpid())
        psql(admin, 'DROP DATABASE IF EXISTS "%s"' % self.name)
        psql(admin, 'CREATE DATABASE "%s"' % self.name)
        params = dict(p.split("=", 1) for p in admin.split())
        params["dbname"] = self.name
        self.conninfo = " ".join("%s=%s" % kv for kv in params.items())

    def q(self, sql):
        return psql(self.conninfo, sql)

    def drop(self):
        psql(self.admin, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)


def zonesweep(binary, *args, check_rc=None, timeout=600):
    p = subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=timeout)
    if check_rc is not None and p.returncode != check_rc:
        raise Failure("zonesweep %s: exit %d (wanted %d)\nstdout:\n%s\nstderr:\n%s"
                      % (" ".join(args), p.returncode, check_rc, p.stdout, p.stderr))
    return p


def rig(command):
    """scripts/rig.sh COMMAND on the running rig: restart-pg, stop-pg, start-pg."""
    rig_dir = os.environ.get("ZS_RIG_DIR")
    check(rig_dir, "ZS_RIG_DIR is not set: run through scripts/test.sh")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([os.path.join(root, "scripts", "rig.sh"), command, rig_dir], check=True,
                   capture_output=True)


def wait_for(pred, what, limit=120):
    """Poll pred() until it holds; fail after limit seconds (a bound, never the verdict)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise Failure("gave up waiting for " + what)


class Sweep:
    """A zonesweep process in the background whose stderr lines can be waited for."""

    def __init__(self, args, **popen):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, **popen)
        self.out = []
        self.err = []
        self.readers = [threading.Thread(target=self._read, args=(f, lines), daemon=True)
                        for f, lines in ((self.proc.stdout, self.out),
                                         (self.proc.stderr, self.err))]
        for t in self.readers:
            t.start()

    @staticmethod
    def _read(f, lines):
        for line in f:
            lines.append(line)

    def wait_until(self, pred, what, limit=120):
        """wait_for(pred), failing at once if zonesweep exits meanwhile."""
        def ready():
            if pred():
                return True
            if self.proc.poll() is not None:
                rc, _, err = self.wait()
                raise Failure("zonesweep exited %d while waiting for %s:\n%s" % (rc, what, err))
            return False
        wait_for(ready, what, limit)

    def wait_line(self, pattern, limit=120):
        """Wait for a stderr line matching a regular expression; return it."""
        found = []

        def seen():
            found.extend(l for l in list(self.err) if re.search(pattern, l))
            if not found and self.proc.poll() is not None:
                for t in self.readers:
                    t.join()
                found.extend(l for l in self.err if re.search(pattern, l))
                if not found:
                    raise Failure("zonesweep exited %d before printing /%s/:\n%s"
                                  % (self.proc.returncode, pattern, "".join(self.err)))
            return bool(found)
        wait_for(seen, "/%s/ on zonesweep's stderr" % pattern, limit)
        return found[0]

    def wait(self, limit=300):
        """Wait for the end; return (exit status, stdout, stderr)."""
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("zonesweep still running after %d s:\n%s" % (limit, "".join(self.err)))
        for t in self.readers:
            t.join()
        return self.proc.returncode, "".join(self.out), "".join(self.err)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


class TableLock:
    """An open transaction holding a table in ACCESS EXCLUSIVE mode: whoever writes to it
    waits (the database writer, held while the sweep goes on). commit(sql) runs more
    statements in the transaction, then commits, releasing the lock."""

    def __init__(self, conninfo, table):
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.proc.stdin.write("BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n"
                              "\\echo locked\n" % table)
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        check(line.strip() == "locked", "could not lock %s: %s" % (table, line))

    def commit(self, sql=""):
        out, _ = self.proc.communicate("%s\nCOMMIT;\n" % sql, timeout=60)
        check(self.proc.returncode == 0, "psql: %s" % out)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


HOLD_KEY = 20221  # an advisory lock key of the tests' own


class WriterHold:
    """Hold the database writer after its first batch, deterministically: a statement trigger
    on results lets the first insert through (the table is empty) and makes every later one
    wait for an advisory lock this object's session holds. release() lets the writer go on,
    or makes every insert fail as on a full disk (SQLSTATE 53100) from then on. Install it
    before the sweep starts; remove() takes it away (before a resume)."""

    SQL = ("CREATE TABLE zs_fault (disk_full boolean NOT NULL); "
           "INSERT INTO zs_fault VALUES (false); "
           "CREATE FUNCTION zs_fault_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF EXISTS (SELECT 1 FROM results) THEN "
           "PERFORM pg_advisory_xact_lock_shared(%d); "
           "IF (SELECT disk_full FROM zs_fault) THEN "
           "RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END IF; "
           "END IF; RETURN NULL; END $$; "
           "CREATE TRIGGER zs_fault_hold BEFORE INSERT ON results FOR EACH STATEMENT "
           "EXECUTE FUNCTION zs_fault_hold();" % HOLD_KEY)

    def __init__(self, db):
        self.db = db
        db.q(self.SQL)
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                                      db.conninfo], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.proc.stdin.write("SELECT pg_advisory_lock(%d);\n\\echo held\n" % HOLD_KEY)
        self.proc.stdin.flush()
        line = ""
        while line.strip() in ("", "|"):
            line = self.proc.stdout.readline()
            check(line != "", "psql ended before holding the lock")
        check(line.strip() == "held", "could not take the hold's lock: %s" % line)

    def release(self, disk_full=False):
        sql = "UPDATE zs_fault SET disk_full = true;\n" if disk_full else ""
        out, _ = self.proc.communicate("%sSELECT pg_advisory_unlock(%d);\n" % (sql, HOLD_KEY),
                                       timeout=60)
        check(self.proc.returncode == 0, "psql: %s" % out)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def remove(self):
        self.close()
        self.db.q("DROP TRIGGER zs_fault_hold ON results; DROP FUNCTION zs_fault_hold(); "
                  "DROP TABLE zs_fault")


def summary_stored(stdout):
    """The number the summary gives for "domains N stored"."""
    m = re.search(r"^  domains +(\d+) stored", stdout, re.M)
    check(m, "no 'domains N stored' in the summary:\n" + stdout)
    return int(m.group(1))


def expected(world, tld):
    out = {}
    with open(os.path.join(world, "expected.jsonl")) as fh:
        for line in fh:
            e = json.loads(line)
            if e["tld"] == tld:
                out[e["domain"]] = e
    return out


def read_csv_gz(path):
    with gzip.open(path, "rt", newline="") as fh:
        return list(csv.DictReader(fh))


def zone_without(src, dst, drop, tld):
    """Copy a zone file of the test world leaving out the delegations named in drop (with the
    records below them): the world's zones name owners relative to $ORIGIN or absolute,
    continuation lines start with a blank."""
    drop = {d[: -len(tld) - 1] if d.endswith("." + tld) else d for d in drop}
    keep = True
    with open(src) as fh, open(dst, "w") as out:
        for line in fh:
            if line[:1] not in (" ", "\t", ";", "$", "@", "\n", ""):
                owner = line.split()[0].lower()
                if owner.endswith("." + tld + "."):
                    owner = owner[: -len(tld) - 2]
                keep = not any(owner == d or owner.endswith("." + d) for d in drop)
            if keep:
                out.write(line)


# Options that keep fault domains quick: the rig's black hole never answers.
FAST_FAULTS = ["--timeout", "1000", "--tries", "2", "--retry-delay", "1", "--budget", "30"]


def main(test):
    """Run test(env, tmpdir); print the outcome; exit 0 or 1."""
    e = env()
    with tempfile.TemporaryDirectory(prefix="zs-it-") as tmp:
        try:
            test(e, tmp)
        except Failure as f:
            print("FAIL: %s" % f)
            sys.exit(1)
    print("ok")
    sys.exit(0)

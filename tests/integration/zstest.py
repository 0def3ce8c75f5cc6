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
import subprocess
import sys
import tempfile

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

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bad inputs get a one-line error that names the input, and a non-zero exit: a zone file that
does not exist, a corrupt gzip zone, gzip on standard input, an unreachable resolver, an unreachable database, and a
usage error (exit 2)."""

import gzip
import os
import socket
import subprocess

import zstest
from zstest import check


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def one_line_error(p, *needles):
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 1, "exit %d, wanted 1; stderr: %s" % (p.returncode, p.stderr))
    check(len(lines) == 1, "wanted one line of error, got:\n%s" % p.stderr)
    for n in needles:
        check(n in lines[0], "error does not name %r: %s" % (n, lines[0]))


def test(env, tmp):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    zone = os.path.join(world, "post.zone")
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_errors")
    try:
        zstest.zonesweep(zs, "db", "migrate", "--db", db.conninfo, check_rc=0)
        base = ["scan", "--tld", "post", "--resolver", env["ZS_UNBOUND_ADDR"], "--db",
                db.conninfo, "--quiet"]

        missing = os.path.join(tmp, "no-such.zone")
        one_line_error(zstest.zonesweep(zs, *base, "--zone", missing), missing)

        corrupt = os.path.join(tmp, "post.zone.gz")
        with open(zone, "rb") as fh:
            data = gzip.compress(fh.read())
        with open(corrupt, "wb") as fh:
            fh.write(data[: len(data) // 2])  # truncated in the middle
        one_line_error(zstest.zonesweep(zs, *base, "--zone", corrupt), corrupt, "gzip")

        # gzip through a pipe cannot be checked before the run: say so, store nothing
        # (was "-: cannot read the zone: Illegal seek")
        p = subprocess.run([zs] + base + ["--zone", "-"], input=gzip.compress(open(zone, "rb").read()),
                           capture_output=True, timeout=120)
        p.stderr = p.stderr.decode("utf-8", "replace")
        one_line_error(p, "gzip", "standard input", "give the file name")

        dead = "127.0.0.1:%d" % closed_port()
        p = zstest.zonesweep(zs, "scan", "--tld", "post", "--zone", zone, "--resolver", dead,
                             "--db", db.conninfo, "--quiet", "--timeout", "200", "--tries", "2")
        one_line_error(p, dead)
        silent = env["ZS_BLACKHOLE_ADDR"]
        p = zstest.zonesweep(zs, "scan", "--tld", "post", "--zone", zone, "--resolver", silent,
                             "--db", db.conninfo, "--quiet", "--timeout", "200", "--tries", "2")
        one_line_error(p, silent)

        port = closed_port()
        p = zstest.zonesweep(zs, "scan", "--tld", "post", "--zone", zone, "--resolver",
                             env["ZS_UNBOUND_ADDR"], "--quiet",
                             "--db", "host=127.0.0.1 port=%d dbname=nowhere user=zonesweep" % port)
        one_line_error(p, "127.0.0.1", str(port))

        # Nothing was stored by the failed attempts, and no run claims to be complete.
        rows = db.q("SELECT count(*) FROM runs WHERE status = 'complete'")
        check(rows[0][0] == "0", "a failed sweep left a complete run")

        p = zstest.zonesweep(zs, "scan", "--zone", zone)
        check(p.returncode == 2, "usage error exit %d, wanted 2" % p.returncode)
        p = zstest.zonesweep(zs, "frobnicate")
        check(p.returncode == 2, "unknown command exit %d, wanted 2" % p.returncode)
        for cmd in ("scan", "report", "db"):
            p = zstest.zonesweep(zs, cmd, "--help")
            check(p.returncode == 0 and "usage:" in p.stdout, "%s --help" % cmd)
        p = zstest.zonesweep(zs, "--version")
        check(p.returncode == 0 and p.stdout.startswith("zonesweep "), "--version")
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

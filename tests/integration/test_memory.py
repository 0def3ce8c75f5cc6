#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Memory bounded in bytes (issue 22, item 4), against a hostile-size world: 300 domains that
each publish 120 KB of TXT records (the generator's huge-txt profile, at the apex and at
_dmarc), served by a DNS rig of its own. Every sweep runs under a memory limit (ulimit -v, see
limited()) that the default window of 1,000 domains breaks on this world: all 300 domains in
flight at once hold well over it.

1. Without the database (--no-db --jsonl), the window's byte limit (--window-mb) holds the
   sweep under the limit: every domain is written, with the world's verdicts.
2. Into a database that takes no row while the sweep runs (the results table locked): the
   writer's queue fills in bytes (--queue-mb), well before its 20,000 results, and says so;
   the sweep then waits with its window full of held results. Once the lock goes, every
   domain is stored; the writer's peak (db_counters) and the window's (the summary) stay
   within their limits."""

import json
import os
import re
import resource
import subprocess
import sys

import zstest
from zstest import check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TLD = "huge"
DOMAINS = 300
LIMIT_MB = 150  # the sweep's whole memory: about half of what the window of 1,000 domains takes
WINDOW_MB = 8
QUEUE_MB = 8


def sanitized(binary):
    with open(binary, "rb") as fh:
        return b"__asan_init" in fh.read()


def limited(binary):
    """Popen arguments holding zonesweep to LIMIT_MB of memory: RLIMIT_AS (ulimit -v) for a
    plain build. AddressSanitizer reserves terabytes of address space for its shadow memory, so
    a sanitized build gets the bound from its own allocator instead: mmap_limit_mb (the heap it
    maps, the shadow left out; it aborts past it), with no quarantine of freed blocks."""
    if sanitized(binary):
        opts = os.environ.get("ASAN_OPTIONS", "")
        opts += ":mmap_limit_mb=%d:quarantine_size_mb=0" % LIMIT_MB
        return {"env": dict(os.environ, ASAN_OPTIONS=opts.lstrip(":"))}
    size = LIMIT_MB << 20
    return {"preexec_fn": lambda: resource.setrlimit(resource.RLIMIT_AS, (size, size))}


def scan(env, world, addr, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", os.path.join(world, TLD + ".zone"), "--tld", TLD,
            "--policy", "post", "--resolver", addr, "--window", "1000",
            "--window-mb", str(WINDOW_MB), *zstest.FAST_FAULTS, *extra]


def window_peak(out):
    m = re.search(r"^  memory +window peak ([0-9.]+) MiB", out, re.M)
    check(m, "no window peak in the summary:\n" + out)
    return float(m.group(1))


def check_statuses(got, exp):
    check(set(got) == set(exp), "domains: %d, expected %d" % (len(got), len(exp)))
    wrong = [d for d in exp if got[d] != exp[d]["status"]["post"]]
    check(not wrong, "statuses differ from the world's: %r" % wrong[:10])


def without_db(env, tmp, world, addr, exp):
    out = os.path.join(tmp, "huge.jsonl")
    sweep = zstest.Sweep(scan(env, world, addr, "--no-db", "--jsonl", out), **limited(
        env["ZS_BINARY"]))
    rc, stdout, err = sweep.wait()
    check(rc == 0, "--no-db sweep under %d MiB: exit %d\n%s" % (LIMIT_MB, rc, err[-3000:]))
    with open(out) as fh:
        check_statuses({o["domain"]: o["status"] for o in map(json.loads, fh)}, exp)
    check("new domains wait for memory" in err, "the window never reached its limit:\n" + err)
    peak = window_peak(stdout)
    check(peak <= WINDOW_MB * 1.5, "window peak %.1f MiB, limit %d" % (peak, WINDOW_MB))


def db_held_back(env, world, addr, exp):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_memory")
    lock = None
    sweep = None
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        lock = zstest.TableLock(db.conninfo, "results")
        sweep = zstest.Sweep(scan(env, world, addr, "--db", db.conninfo, "--queue-mb",
                                  str(QUEUE_MB), "--debug", "main"),
                             **limited(env["ZS_BINARY"]))
        line = sweep.wait_line(r"the sweep waits for the database|sweep: \S+ -> closing")
        check("waits for the database" in line,
              "the sweep ended with every result queued, none stored: the writer's queue "
              "never pushed back")
        lock.commit()
        rc, stdout, err = sweep.wait()
        check(rc == 0, "sweep into the database under %d MiB: exit %d\n%s"
              % (LIMIT_MB, rc, err[-3000:]))
        check_statuses(dict(db.q("SELECT domain, status FROM results")), exp)
        counters = json.loads(db.q("SELECT db_counters FROM runs")[0][0])
        queued = counters["peak_bytes"] / (1 << 20)
        check(counters["full"] > 0 and QUEUE_MB <= queued <= QUEUE_MB + 1,
              "writer queue peak %.1f MiB (limit %d), %d pushes refused"
              % (queued, QUEUE_MB, counters["full"]))
        peak = window_peak(stdout)
        check(peak <= WINDOW_MB * 1.5, "window peak %.1f MiB, limit %d" % (peak, WINDOW_MB))
    finally:
        if sweep is not None:
            sweep.kill()
        if lock is not None:
            lock.close()
        db.drop()


def test(env, tmp):
    world = os.path.join(tmp, "world")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "world", "gen_world.py"),
                    "--out", world, "--tld", "%s:%d:huge-txt" % (TLD, DOMAINS),
                    "--huge-txt-kb", "120", "--seed", "3"], check=True)
    exp = zstest.expected(world, TLD)
    rig = os.path.join("/tmp", "zs-rig-memory-%d" % os.getpid())
    rig_sh = os.path.join(ROOT, "scripts", "rig.sh")
    subprocess.run([rig_sh, "start", rig, "--world", world, "--no-pg"], check=True,
                   capture_output=True)
    try:
        addr = dict(l.split("=", 1) for l in open(os.path.join(rig, "env.sh")).read()
                    .replace("export ", "").split() if "=" in l)["ZS_UNBOUND_ADDR"]
        without_db(env, tmp, world, addr, exp)
        db_held_back(env, world, addr, exp)
    finally:
        subprocess.run([rig_sh, "stop", rig], capture_output=True)
        subprocess.run(["rm", "-rf", rig])


if __name__ == "__main__":
    zstest.main(test)

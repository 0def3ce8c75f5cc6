#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Zone sanity before anything is stored: after a good run of .post, an empty file, a file of
binary garbage, the .bank zone given as --tld post, a zone of syntax errors and a zone that lost
a fifth of its delegations are each refused in one line naming the file and the reason, exit 1,
no run stored, no domain's state changed. --allow-shrink lets the smaller zone through. A zone
read from standard input is checked at the end: refused, its run is marked failed and changes
nothing. A zone file that changes between the check and the sweep fails its run too. The zone's
digest kept with the run is the sum of the SHA-256 of the delegations' wire names (computed here
independently), and a second sweep of the same zone says that its serial has not changed.

A resumed run must be resumed for its own TLD and with its own zone (issue 22): a .post run
killed half-way is refused a resume with the .bank zone, and with a .post zone of other
delegations, unless --allow-zone-change says so; its own zone resumes it."""

import hashlib
import os
import signal
import subprocess

import zstest
from zstest import check

TLD = "post"


def scan(env, db, zone, *extra, tld=TLD):
    return [env["ZS_BINARY"], "scan", "--zone", zone, "--tld", tld, "--resolver",
            env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet", *zstest.FAST_FAULTS, *extra]


def state(db):
    return db.q("SELECT domain, state, since_run, warnings FROM current_state ORDER BY domain")


def history(db):
    return (state(db), db.q("SELECT domain, run_id, from_state, to_state FROM transitions "
                            "ORDER BY domain, run_id"),
            db.q("SELECT name, removed_run FROM domains ORDER BY name"))


def wire(name):
    out = b""
    for label in name.rstrip(".").lower().split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def digest(domains):
    total = sum(int.from_bytes(hashlib.sha256(wire(d)).digest(), "big") for d in domains)
    return (total % (1 << 256)).to_bytes(32, "big").hex()


def wchan(pid):
    try:
        with open("/proc/%d/wchan" % pid) as fh:
            return fh.read()
    except OSError:
        return ""


def bytes_read(pid):
    try:
        with open("/proc/%d/io" % pid) as fh:
            return int(fh.read().split("rchar:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return -1


def refused(env, db, zone, words, *extra, tld=TLD):
    before = history(db)
    runs = db.q("SELECT count(*) FROM runs")
    p = zstest.zonesweep(*scan(env, db, zone, *extra, tld=tld))
    lines = [ln for ln in p.stderr.splitlines() if "refused" in ln]
    check(p.returncode == 1, "%s: exit %d, wanted 1:\n%s" % (zone, p.returncode, p.stderr))
    check(len(lines) == 1 and zone in lines[0] and words in lines[0],
          "%s: wanted one line naming the file and saying '%s':\n%s" % (zone, words, p.stderr))
    check(db.q("SELECT count(*) FROM runs") == runs, "%s: a run was stored" % zone)
    check(history(db) == before, "%s: the history changed" % zone)


def test(env, tmp):
    world = env["ZS_TEST_WORLD"]
    zone = os.path.join(world, TLD + ".zone")
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_zone_sanity")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        zstest.zonesweep(*scan(env, db, zone), check_rc=0)
        exp = zstest.expected(world, TLD)
        got = db.q("SELECT zone_delegations, encode(zone_digest, 'hex') FROM runs")
        check(got == [[str(len(exp)), digest(exp)]],
              "the zone kept with run 1: %r, wanted %d delegations and digest %s"
              % (got, len(exp), digest(exp)))

        empty = os.path.join(tmp, "empty.zone")
        open(empty, "w").close()
        refused(env, db, empty, "empty")
        garbage = os.path.join(tmp, "garbage.zone")
        with open(garbage, "wb") as fh:
            fh.write(bytes((i * 7919 + 13) % 256 for i in range(20000)))
        refused(env, db, garbage, "not a zone file")
        refused(env, db, os.path.join(world, "bank.zone"), "no SOA record at the apex post.")
        errors = os.path.join(tmp, "errors.zone")
        with open(zone) as src, open(errors, "w") as out:
            out.write(src.read() + "".join("bad%d IN NS\n" % i for i in range(50)))
        refused(env, db, errors, "syntax errors")
        smaller = os.path.join(tmp, "smaller.zone")
        gone = sorted(exp)[:60]
        zstest.zone_without(zone, smaller, gone, TLD)
        refused(env, db, smaller, "fewer than the 300 of run 1")
        refused(env, db, smaller, "fewer than", "--max-shrink", "15")

        # Standard input cannot be read twice: checked at the end, the run fails.
        before = history(db)
        with open(empty) as fh:
            p = subprocess.run(scan(env, db, "-"), stdin=fh, capture_output=True, text=True,
                               timeout=300)
        check(p.returncode == 1 and "-: refused: the zone is empty" in p.stderr,
              "empty zone on standard input: exit %d\n%s" % (p.returncode, p.stderr))
        check(db.q("SELECT status FROM runs WHERE id = 2") == [["failed"]],
              "the run of an empty zone on standard input: %r" % db.q("SELECT * FROM runs"))
        check(history(db) == before, "an empty zone on standard input changed the history")

        # A zone that changes between the check and the sweep: a FIFO fed twice, the second
        # time once the check has read the first zone (the bytes the process read) and the
        # sweep waits to open the FIFO again (blocked in open(): its wait channel).
        fifo = os.path.join(tmp, "changing.zone")
        os.mkfifo(fifo)
        fewer = os.path.join(tmp, "fewer.zone")
        zstest.zone_without(zone, fewer, sorted(exp)[:5], TLD)
        proc = subprocess.Popen(scan(env, db, fifo), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            read = 0
            for path in (zone, fewer):
                zstest.wait_for(lambda: proc.poll() is not None or (
                    bytes_read(proc.pid) >= read and wchan(proc.pid) == "wait_for_partner"),
                    "the sweep to open the zone")
                check(proc.poll() is None, "the sweep ended before it read the zone twice")
                with open(path) as src:
                    text = src.read()
                read = bytes_read(proc.pid) + len(text)
                with open(fifo, "w") as out:
                    out.write(text)
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        check(p.returncode == 1 and "the zone changed while it was swept" in p.stderr,
              "a zone changed under the sweep: exit %d\n%s" % (p.returncode, p.stderr))
        check(db.q("SELECT status FROM runs WHERE id = 3") == [["failed"]],
              "the run of a zone changed under the sweep: %r" % db.q("SELECT id, status FROM runs"))
        check(history(db) == before, "a zone changed under the sweep changed the history")

        # The same zone again: the serial has not changed, and the sweep says so.
        p = zstest.zonesweep(*scan(env, db, zone), check_rc=0)
        check("serial 2026112401, the same as run 1's" in p.stderr,
              "no word of the unchanged serial:\n" + p.stderr)

        # The operator says the zone did shrink.
        zstest.zonesweep(*scan(env, db, smaller, "--allow-shrink"), check_rc=0)
        removed = db.q("SELECT count(*) FROM domains WHERE removed_run IS NOT NULL")
        check(removed == [["60"]], "after --allow-shrink, %r removed" % removed)
        resume(env, db, tmp, zone, exp)
    finally:
        db.drop()


def killed_run(env, db, zone):
    """A slow sweep killed once part of it is stored: its run, left running."""
    proc = subprocess.Popen(scan(env, db, zone, "--qps", "400", "--window", "20"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        zstest.wait_for(lambda: int(db.q("SELECT count(*) FROM results r JOIN runs u ON "
                                         "u.id = r.run_id WHERE u.status = 'running'")[0][0])
                        >= 40, "results of the sweep to kill")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return db.q("SELECT id FROM runs WHERE status = 'running'")[0][0]


def resume(env, db, tmp, zone, exp):
    run = killed_run(env, db, zone)
    stored = db.q("SELECT count(*) FROM results WHERE run_id = %s" % run)
    other = os.path.join(tmp, "other.zone")
    zstest.zone_without(zone, other, sorted(exp)[-3:], TLD)

    def refused_resume(args, words):
        p = zstest.zonesweep(*args)
        check(p.returncode == 1 and words in p.stderr,
              "resume %r: exit %d, wanted 1 and '%s':\n%s" % (args[3:6], p.returncode, words,
                                                             p.stderr))
        check(db.q("SELECT count(*) FROM results WHERE run_id = %s" % run) == stored,
              "a refused resume stored results")
        check(db.q("SELECT resumes FROM runs WHERE id = %s" % run) == [["0"]],
              "a refused resume resumed the run")

    bank = os.path.join(env["ZS_TEST_WORLD"], "bank.zone")
    refused_resume(scan(env, db, bank, "--resume", run, tld="bank"),
                   "the run sweeps TLD post, not bank")
    refused_resume(scan(env, db, other, "--resume", run), "not the zone run %s began with" % run)
    with open(zone) as fh:
        p = subprocess.run(scan(env, db, "-", "--resume", run), stdin=fh, capture_output=True,
                           text=True, timeout=300)
    check(p.returncode == 1 and "cannot be compared" in p.stderr,
          "resume from standard input: exit %d\n%s" % (p.returncode, p.stderr))
    zstest.zonesweep(*scan(env, db, zone, "--resume", run), check_rc=0)
    check(db.q("SELECT status, domains FROM runs WHERE id = %s" % run) == [["complete", "300"]],
          "the run resumed with its zone: %r" % db.q("SELECT * FROM runs WHERE id = %s" % run))

    # With the operator's word, another zone resumes a run, which then records it.
    run = killed_run(env, db, zone)
    zstest.zonesweep(*scan(env, db, other, "--resume", run, "--allow-zone-change"), check_rc=0)
    kept = sorted(exp)[:-3]
    check(db.q("SELECT zone_delegations, encode(zone_digest, 'hex') FROM runs WHERE id = %s"
               % run) == [["297", digest(kept)]], "the resumed run does not record its new zone")


if __name__ == "__main__":
    zstest.main(test)

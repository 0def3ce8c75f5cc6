#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A bad run withdrawn leaves the history as if it had never been. Run A sweeps the .post zone;
run B, a bad night (a zone of 40 delegations let through with --allow-shrink), marks the other
260 domains removed and sends notices; run C sweeps the whole zone again and sees 260 "new"
domains. Withdrawing B (after C) recomputes the history: the status changes, new and removed
domains and current state are exactly those that A then C leave, derived here from the two runs'
results; B stays listed as withdrawn with its reason; report, notices and diff refuse it,
'latest' and 'previous' pass it by, history does not show it, and its notices do not hold back
C's. The next good run D then changes nothing it would not have changed after C."""

import os

import zstest
from zstest import check

TLD = "post"


def scan(env, db, zone, *extra):
    return [env["ZS_BINARY"], "scan", "--zone", zone, "--tld", TLD, "--resolver",
            env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet", *zstest.FAST_FAULTS, *extra]


def results(db, run):
    return {d: (s, int(w)) for d, s, w in db.q("SELECT domain, status, warnings FROM results "
                                               "WHERE run_id = %s" % run)}


def history_of(runs):
    """The history complete runs (id, {domain: (status, warnings)}) leave, in order, as db/run.c
    writes it: first appearances, status changes, current state with since."""
    transitions, state = set(), {}
    for run, res in runs:
        for d, (status, warnings) in res.items():
            old = state.get(d)
            if old is None or old[0] != status:
                transitions.add((d, str(run), old[0] if old else None, status))
                state[d] = (status, str(run), warnings)
            else:
                state[d] = (status, old[1], warnings)
    return transitions, state


def stored_history(db):
    transitions = {tuple(r) for r in db.q("SELECT domain, run_id, from_state, to_state "
                                          "FROM transitions")}
    state = {d: (s, since, int(w)) for d, s, since, w in db.q(
        "SELECT domain, state, since_run, warnings FROM current_state")}
    return transitions, state


def notices(env, db, tmp, run, name):
    out = os.path.join(tmp, name + ".mbox")
    p = zstest.zonesweep(env["ZS_BINARY"], "notices", "--run", run, "--out", out, "--from",
                         "POST secretariat <secretariat@registry.example>", "--db",
                         db.conninfo, check_rc=0)
    with open(out) as fh:
        return sorted(line.split("@")[-1].rstrip(">\n") for line in fh
                      if line.startswith("To:"))


def test(env, tmp):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    zone = os.path.join(world, TLD + ".zone")
    exp = zstest.expected(world, TLD)
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_withdraw")
    try:
        zstest.zonesweep(zs, "db", "migrate", "--db", db.conninfo, check_rc=0)
        small = os.path.join(tmp, "small.zone")
        kept = sorted(exp)[:40]
        zstest.zone_without(zone, small, sorted(exp)[40:], TLD)
        bad = [d for d in kept if exp[d]["status"]["post"] == "non-compliant"][:3]
        check(len(bad) == 3, "the first 40 domains hold too few non-compliant ones")
        contacts = os.path.join(tmp, "contacts.csv")
        with open(contacts, "w") as fh:
            fh.write("domain,email\n" + "".join("%s,hostmaster@%s\n" % (d, d) for d in bad))
        zstest.zonesweep(zs, "contacts", "import", contacts, "--db", db.conninfo, check_rc=0)

        zstest.zonesweep(*scan(env, db, zone), check_rc=0)                     # A = 1
        zstest.zonesweep(*scan(env, db, small, "--allow-shrink"), check_rc=0)  # B = 2
        check(db.q("SELECT count(*) FROM domains WHERE removed_run = 2") == [["260"]],
              "run B did not remove the 260 domains its zone lacked")
        check(notices(env, db, tmp, "2", "b") == sorted(bad), "run B's notices")
        zstest.zonesweep(*scan(env, db, zone), check_rc=0)                     # C = 3

        # Runs and results of another run cannot be withdrawn by mistake.
        p = zstest.zonesweep(zs, "runs", "withdraw", "2", "--db", db.conninfo)
        check(p.returncode == 2 and "--why" in p.stderr, "withdraw without --why:\n" + p.stderr)
        p = zstest.zonesweep(zs, "runs", "withdraw", "2", "--why", "a partial export",
                             "--by", "alice", "--db", db.conninfo, check_rc=0)
        check("withdrawn" in p.stdout and "1 later run" in p.stdout, "withdraw:\n" + p.stdout)
        p = zstest.zonesweep(zs, "runs", "withdraw", "2", "--why", "again", "--db",
                             db.conninfo)
        check(p.returncode == 1 and "withdrawn already" in p.stderr, "twice:\n" + p.stderr)

        a, c = results(db, 1), results(db, 3)
        want = history_of([(1, a), (3, c)])
        got = stored_history(db)
        check(got[0] == want[0], "status changes after the withdrawal: %d extra, %d missing: %r"
              % (len(got[0] - want[0]), len(want[0] - got[0]),
                 sorted(got[0] ^ want[0])[:5]))
        check(got[1] == want[1], "current state after the withdrawal differs: %r"
              % sorted(set(got[1].items()) ^ set(want[1].items()))[:5])
        check(db.q("SELECT count(*) FROM domains WHERE removed_run IS NOT NULL "
                   "OR first_seen_run <> 1") == [["0"]], "domains still marked by run B")

        # B stays listed, with its reason; nothing reads it as a run any more.
        rows = [r for r in db.q("SELECT run_id, status, withdrawn_by, withdrawn_why, "
                                "withdrawn_status FROM v_runs ORDER BY run_id")]
        check(rows[1] == ["2", "withdrawn", "alice", "a partial export", "complete"],
              "run B as listed: %r" % rows)
        p = zstest.zonesweep(zs, "runs", "--db", db.conninfo, check_rc=0)
        check("withdrawn" in p.stdout and "a partial export" in p.stdout,
              "runs does not show the withdrawal:\n" + p.stdout)
        for args in (["report", "--run", "2", "--out", os.path.join(tmp, "r.csv.gz")],
                     ["notices", "--run", "2", "--out", os.path.join(tmp, "n.mbox"), "--from",
                      "x@example.org"],
                     ["diff", "1", "2"]):
            p = zstest.zonesweep(zs, *args, "--db", db.conninfo)
            check(p.returncode == 1 and "run 2 was withdrawn on" in p.stderr,
                  "%s of the withdrawn run: exit %d\n%s" % (args[0], p.returncode, p.stderr))
        p = zstest.zonesweep(zs, "diff", "previous", "latest", "--db", db.conninfo,
                             check_rc=0)
        check("run 1 -> run 3" in p.stdout, "previous/latest:\n" + p.stdout)
        p = zstest.zonesweep(zs, "history", bad[0], "--db", db.conninfo, check_rc=0)
        runs_listed = [ln.split()[0] for ln in p.stdout.splitlines()[4:] if ln.strip()]
        check("2" not in runs_listed, "history lists the withdrawn run:\n" + p.stdout)
        # run B's notices no longer hold back run C's (--min-days 14)
        check(notices(env, db, tmp, "3", "c") == sorted(bad), "run C's notices")

        # The next good run changes what it would have changed after C.
        zstest.zonesweep(*scan(env, db, zone), check_rc=0)                     # D = 4
        d = results(db, 4)
        changed = {(x, "4", c[x][0], d[x][0]) for x in d if c[x][0] != d[x][0]}
        got = {t for t in stored_history(db)[0] if t[1] == "4"}
        check(got == changed, "run D's status changes: %r, wanted %r" % (got, changed))
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

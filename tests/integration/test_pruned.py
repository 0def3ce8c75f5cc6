#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pruned runs say so (issue 20): after `db prune --keep-runs 2`, every command asked for the
results of the pruned run (report of the run and of a domain, notices, diff with it, by id or as
'previous') fails with "run N was pruned on DATE (its results are no longer kept)", exit 1,
rather than reporting an empty run or inventing changes; the runs kept still answer, and a
domain's history still shows the pruned run's status changes."""

import os

import zstest
from zstest import check

TLD = "post"


def test(env, tmp):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    exp = sorted(zstest.expected(world, TLD))
    zone = os.path.join(tmp, "twenty.zone")
    zstest.zone_without(os.path.join(world, TLD + ".zone"), zone, exp[20:], TLD)
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_pruned")
    try:
        zstest.zonesweep(zs, "db", "migrate", "--db", db.conninfo, check_rc=0)
        for _ in range(3):
            zstest.zonesweep(zs, "scan", "--zone", zone, "--tld", TLD, "--resolver",
                             env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet",
                             *zstest.FAST_FAULTS, check_rc=0)
        zstest.zonesweep(zs, "db", "prune", "--keep-runs", "2", "--db", db.conninfo,
                         check_rc=0)
        day = db.q("SELECT to_char(pruned_at, 'YYYY-MM-DD') FROM runs WHERE id = 1")[0][0]
        check(day is not None, "run 1 was not pruned: %r" % db.q("SELECT * FROM runs"))
        said = "run 1 was pruned on %s (its results are no longer kept)" % day
        for args in (["report", "--run", "1", "--out", os.path.join(tmp, "r.csv")],
                     ["report", "--domain", exp[0], "--run", "1", "--format", "json"],
                     ["notices", "--run", "1", "--out", os.path.join(tmp, "n.mbox"), "--from",
                      "secretariat@registry.example"],
                     ["diff", "1", "2"], ["diff", "2", "1"], ["diff", "previous", "2"]):
            p = zstest.zonesweep(zs, *args, "--db", db.conninfo)
            check(p.returncode == 1 and said in p.stderr and p.stdout == "",
                  "%s: exit %d, wanted 1 and '%s':\n%s%s" % (" ".join(args), p.returncode, said,
                                                             p.stdout, p.stderr))
        check(not os.path.exists(os.path.join(tmp, "r.csv")), "a report of the pruned run")
        p = zstest.zonesweep(zs, "diff", "2", "3", "--db", db.conninfo, check_rc=0)
        check("run 2 -> run 3" in p.stdout, "diff of kept runs:\n" + p.stdout)
        p = zstest.zonesweep(zs, "history", exp[0], "--db", db.conninfo, check_rc=0)
        check("first seen" in p.stdout and "(pruned)" in p.stdout,
              "history of a domain across the pruned run:\n" + p.stdout)
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

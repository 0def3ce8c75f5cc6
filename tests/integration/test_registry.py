#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the registry knows beyond the zone reaches the sweep: a DKIM selector declared by the
registrant is probed (its key is found, the DKIM rule passes where it failed without it), and
an exemption (fTLD's implementation phase) turns FTLD-DMARC-REJECT from fail into warn, with
the exemption named in the reason. Commands: selectors import, exempt, scan, history."""

import os

import zstest
from zstest import check


def verdict(db, run_id, domain, rule):
    rows = db.q("SELECT verdict, reason FROM verdicts WHERE run_id = %s AND domain = '%s' "
                "AND rule = '%s'" % (run_id, domain, rule))
    check(len(rows) == 1, "%s %s: no verdict stored" % (domain, rule))
    return rows[0]


def latest_run(db, tld):
    return db.q("SELECT r.id FROM runs r JOIN tlds t ON t.id = r.tld_id WHERE t.name = '%s' "
                "ORDER BY r.id DESC LIMIT 1" % tld)[0][0]


def test(env, tmp):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_registry")
    try:
        zstest.zonesweep(zs, "db", "migrate", "--db", db.conninfo, check_rc=0)
        post = zstest.expected(world, "post")
        bank = zstest.expected(world, "bank")
        custom = sorted(d for d, e in post.items() if e["profile"] == "dkim-custom-selector")
        lenient = sorted(d for d, e in bank.items() if e["profile"] == "dmarc-none")
        check(custom and lenient, "the world lacks the profiles this test needs")
        for d in custom:
            check(post[d]["verdicts"]["post"]["POST-MX-DKIM"] == "fail",
                  "%s: the world expects DKIM to fail without a declaration" % d)

        # Declare the selector of the first custom domain only.
        declared, undeclared = custom[0], custom[1:]
        # Thousands of declared selectors for one domain never push the common list out: a
        # good key at selector1 is still found; where no key is found, the selectors left
        # unasked make DKIM unknown (error), never a failure.
        good = sorted(d for d, e in post.items() if e["profile"] == "good-mail")[0]
        hidden = sorted(d for d, e in post.items() if e["profile"] == "dkim-undiscoverable")[0]
        many = " ".join("decl%d" % i for i in range(5000))
        sel_file = os.path.join(tmp, "selectors.txt")
        with open(sel_file, "w") as fh:
            fh.write("# registrant declarations\n%s zs2026q4\n" % declared)
            fh.write("%s %s\n%s %s\n" % (good, many, hidden, many))
        zstest.zonesweep(zs, "selectors", "import", sel_file, "--db", db.conninfo, check_rc=0)

        # Exempt one lenient .bank domain from p=reject until far in the future.
        exempt = lenient[0]
        zstest.zonesweep(zs, "exempt", exempt, "FTLD-DMARC-REJECT", "--until", "2099-12-31",
                         "--why", "implementation phase", "--db", db.conninfo, check_rc=0)

        for tld in ("post", "bank"):
            zstest.zonesweep(zs, "scan", "--zone", os.path.join(world, tld + ".zone"), "--tld",
                             tld, "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo,
                             "--quiet", *zstest.FAST_FAULTS, check_rc=0)

        run = latest_run(db, "post")
        v, reason = verdict(db, run, declared, "POST-MX-DKIM")
        check(v == "pass" and "zs2026q4" in reason,
              "%s: declared selector not used: %s (%s)" % (declared, v, reason))
        for d in undeclared:
            v, reason = verdict(db, run, d, "POST-MX-DKIM")
            check(v == "fail", "%s: undeclared selector should not be found: %s" % (d, v))
        v, reason = verdict(db, run, good, "POST-MX-DKIM")
        check(v == "pass" and "selector1" in reason,
              "%s: 5000 declared selectors pushed selector1 out: %s (%s)" % (good, v, reason))
        v, reason = verdict(db, run, hidden, "POST-MX-DKIM")
        check(v == "error" and "4968 declared selectors were not probed" in reason,
              "%s: unprobed declarations: %s (%s)" % (hidden, v, reason))

        run = latest_run(db, "bank")
        v, reason = verdict(db, run, exempt, "FTLD-DMARC-REJECT")
        check(v == "warn" and "exempt until 2099-12-31" in reason and "implementation" in reason,
              "%s: exemption not applied: %s (%s)" % (exempt, v, reason))
        for d in lenient[1:]:
            v, _ = verdict(db, run, d, "FTLD-DMARC-REJECT")
            check(v == "fail", "%s: not exempt, should fail: %s" % (d, v))

        # The domain's history shows the run and its status.
        p = zstest.zonesweep(zs, "history", exempt, "--db", db.conninfo, check_rc=0)
        check(exempt in p.stdout or "bank" in p.stdout, "history shows nothing:\n" + p.stdout)
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

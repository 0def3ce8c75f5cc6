#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The DKIM selector levers on the test world, through the rig's resolver: keys at selectors
common in the wild (the list), at a provider's own selector named by the domain's SPF include
and MX hosts (the built-in provider table), and at a provider's selector that one registrant
declared (declared.txt) and the sweep learns for the provider's other domains. Every domain's
verdicts must be the world's verdicts_declared; the keys each lever found are printed in the
closing summary and stored with the run (dns_counters.dkim_keys). What a run learned is kept
with it: with the declaration withdrawn, the next run still finds every key of the provider,
the declaring domain's included, in its main pass."""

import json
import os
import re

import zstest
from zstest import check

TLD = "post"


def sweep(env, db):
    world = env["ZS_TEST_WORLD"]
    p = zstest.zonesweep(env["ZS_BINARY"], "scan", "--zone", os.path.join(world, TLD + ".zone"),
                         "--tld", TLD, "--resolver", env["ZS_UNBOUND_ADDR"], "--db",
                         db.conninfo, "--quiet", *zstest.FAST_FAULTS, check_rc=0)
    m = re.search(r"DKIM keys +(\d+) at selectors of the list, (\d+) of the domains' providers, "
                  r"(\d+) learned at their other domains, (\d+) declared", p.stdout)
    check(m, "no DKIM line in the summary:\n" + p.stdout)
    printed = dict(zip(("list", "provider", "learned", "declared"), map(int, m.groups())))
    run_id, counters = db.q("SELECT r.id, r.dns_counters::text FROM runs r JOIN tlds t "
                            "ON t.id = r.tld_id WHERE t.name = '%s' ORDER BY r.id DESC "
                            "LIMIT 1" % TLD)[0]
    counters = json.loads(counters)
    check(counters.get("dkim_keys") == printed,
          "stored %r, printed %r" % (counters.get("dkim_keys"), printed))
    return run_id, printed, counters.get("dkim_relearn")


def compare(db, run_id, exp):
    got = {}
    # v_verdicts: a run stores the verdicts that did not change since the previous one once
    for dom, rule, verdict in db.q("SELECT domain, rule, verdict FROM v_verdicts "
                                   "WHERE run_id = %s" % run_id):
        got.setdefault(dom, {})[rule] = verdict
    bad = []
    for dom, e in sorted(exp.items()):
        for rule, want in e["verdicts_declared"]["post"].items():
            if got.get(dom, {}).get(rule) != want:
                bad.append("%s %s: stored %s, expected %s (profile %s)"
                           % (dom, rule, got.get(dom, {}).get(rule), want, e["profile"]))
    check(not bad, "%d mismatches:\n  %s" % (len(bad), "\n  ".join(bad[:30])))


def test(env, tmp):
    world = env["ZS_TEST_WORLD"]
    exp = zstest.expected(world, TLD)
    count = {}
    for e in exp.values():
        count[e["profile"]] = count.get(e["profile"], 0) + 1
    for profile in ("dkim-common-selector", "dkim-provider-selector", "dkim-learned"):
        check(count.get(profile, 0) >= 2, "the world has too few %s domains" % profile)
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_dkim_levers")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        zstest.zonesweep(env["ZS_BINARY"], "selectors", "import",
                         os.path.join(world, "declared.txt"), "--db", db.conninfo, check_rc=0)
        run_id, keys, relearn = sweep(env, db)
        compare(db, run_id, exp)
        # one key per domain of these profiles, each found by its lever alone
        check(keys["provider"] >= count["dkim-provider-selector"],
              "provider lever: %r" % keys)
        check(keys["learned"] >= count["dkim-learned"] - 1, "learned lever: %r" % keys)
        check(keys["declared"] >= 1, "declared lever: %r" % keys)
        check(keys["list"] >= count["dkim-common-selector"], "list lever: %r" % keys)
        check(relearn >= count["dkim-learned"] - 1,
              "%r domains probed again for learned selectors" % relearn)

        db.q("DELETE FROM dkim_selectors")
        run_id, keys, relearn = sweep(env, db)
        compare(db, run_id, exp)
        check(keys["declared"] == 0 and keys["learned"] >= count["dkim-learned"],
              "second run, learned from the first: %r" % keys)
        check(relearn == 0, "second run: %r domains probed again" % relearn)
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

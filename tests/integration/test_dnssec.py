#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""DNSSEC facts against a signed world: the TLD zone and the domains with DS records are signed
with fresh keys (ldnsutils), and a validating Unbound (trust anchor: the TLD's key) answers.
The sweep reads "signed" from the zone's DS records and, with --resolver-validates, records
that every answer for a signed domain's own names carried the AD bit; `check` asks the DS RRset
itself. Unsigned domains are insecure (no AD). The sweep's verdicts still match the world."""

import json
import os
import subprocess
import sys

import zstest
from zstest import check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test(env, tmp):
    world = os.path.join(tmp, "world")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "world", "gen_world.py"),
                    "--out", world, "--tld", "sec:60", "--seed", "5", "--no-faults", "--dnssec"],
                   check=True)
    rig = os.path.join("/tmp", "zs-rig-dnssec-%d" % os.getpid())
    rig_sh = os.path.join(ROOT, "scripts", "rig.sh")
    subprocess.run([rig_sh, "start", rig, "--world", world, "--no-pg"], check=True,
                   capture_output=True)
    try:
        addr = dict(l.split("=", 1) for l in open(os.path.join(rig, "env.sh")).read()
                    .replace("export ", "").split() if "=" in l)["ZS_UNBOUND_ADDR"]
        exp = {}
        with open(os.path.join(world, "expected.jsonl")) as fh:
            for line in fh:
                e = json.loads(line)
                exp[e["domain"]] = e
        signed = [d for d, e in exp.items() if e["facts"]["signed"]]
        check(signed and len(signed) < len(exp), "the world needs signed and unsigned domains")

        out = os.path.join(tmp, "sec.jsonl")
        zstest.zonesweep(env["ZS_BINARY"], "scan", "--zone", os.path.join(world, "sec.zone"),
                         "--tld", "sec", "--policy", "ftld", "--resolver", addr,
                         "--resolver-validates", "--no-db", "--jsonl", out, "--quiet",
                         *zstest.FAST_FAULTS, check_rc=0)
        with open(out) as fh:
            got = {o["domain"]: o for o in map(json.loads, fh)}
        check(set(got) == set(exp), "domains of the signed zone: %d, expected %d"
              % (len(got), len(exp)))
        bad = []
        for d, e in exp.items():
            o = got[d]
            # validated: every answer for its own names was secure; a CNAME into an unsigned
            # zone makes one of them insecure
            s = e["facts"]["signed"] and not e["facts"]["cname_out"]
            if o["dnssec"]["signed"] != e["facts"]["ds"]:
                bad.append("%s: signed %s, zone has DS %s" % (d, o["dnssec"]["signed"],
                                                              e["facts"]["ds"]))
            if o["dnssec"]["validated"] != s:
                bad.append("%s: validated %s, domain signed %s" % (d, o["dnssec"]["validated"], s))
            for rule, v in e["verdicts"]["ftld"].items():
                if o["rules"][rule]["verdict"] != v:
                    bad.append("%s %s: %s, expected %s" % (d, rule, o["rules"][rule]["verdict"],
                                                           v))
        check(not bad, "%d mismatches:\n  %s" % (len(bad), "\n  ".join(bad[:20])))

        # check asks the DS RRset when it has no zone
        d = sorted(d for d in signed if not exp[d]["facts"]["cname_out"])[0]
        p = zstest.zonesweep(env["ZS_BINARY"], "check", "--json", "--resolver", addr,
                             "--resolver-validates", "--policy", "ftld", d)
        o = json.loads(p.stdout)
        check(o["dnssec"]["known"] and o["dnssec"]["signed"] and o["dnssec"]["validated"],
              "check of signed %s: %r" % (d, o["dnssec"]))
        check(o["rules"]["FTLD-DNSSEC"]["verdict"] == "pass", "check: FTLD-DNSSEC %r"
              % o["rules"]["FTLD-DNSSEC"])
    finally:
        subprocess.run([rig_sh, "stop", rig], capture_output=True)
        subprocess.run(["rm", "-rf", rig])


if __name__ == "__main__":
    zstest.main(test)

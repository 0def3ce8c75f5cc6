#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The one-domain commands against the rig: `check` (human and --json, exit status, names it
refuses, a domain that does not exist, an IDN, a silent resolver), `spf`
(analysis and check_host with --ip, --json keys), `policy` (list, show, check with file:line
errors) and `zone --count`."""

import json
import os

import zstest
from zstest import check


def pick(exp, profile):
    return sorted(d for d, e in exp.items() if e["profile"] == profile)[0]


def test(env, tmp):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    res = ["--resolver", env["ZS_UNBOUND_ADDR"], "--timeout", "400", "--tries", "2"]
    post = zstest.expected(world, "post")
    good = pick(post, "good-mail")
    bad = pick(post, "nomail-bad-spf")
    broken = pick(post, "timeout")

    # check --json: one object per domain, the verdicts the world expects, facts with statuses
    p = zstest.zonesweep(zs, "check", "--json", *res, "--budget", "20", good, bad)
    check(p.returncode == 1, "check with a non-compliant domain exit %d, wanted 1" % p.returncode)
    objs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    check([o["domain"] for o in objs] == [good, bad], "check --json domains: %r" % objs)
    for o in objs:
        for key in ("domain", "policy", "status", "rules", "mx", "spf", "dmarc", "dkim", "rdns",
                    "mta_sts", "tls_rpt", "bimi", "dnssec"):
            check(key in o, "check --json lacks %s" % key)
        for part in ("mx", "spf", "dmarc", "dkim", "rdns", "mta_sts", "tls_rpt", "bimi"):
            check("status" in o[part], "check --json: %s has no DNS status" % part)
        want = post[o["domain"]]["verdicts"]["post"]
        got = {r: v["verdict"] for r, v in o["rules"].items()}
        check(all(got[r] == v for r, v in want.items()),
              "%s: check verdicts %r, world %r" % (o["domain"], got, want))
    p = zstest.zonesweep(zs, "check", *res, "--color", "never", good)
    check(p.returncode == 0 and "compliant" in p.stdout and "[PASS]" in p.stdout,
          "check of a compliant domain:\n" + p.stdout)
    p = zstest.zonesweep(zs, "check", *res, "--color", "never", bad)
    check("fix:" in p.stdout and 'IN TXT "v=spf1 -all"' in p.stdout,
          "check of a failing domain shows no fix:\n" + p.stdout)
    # a domain behind a DNS fault is not "non-compliant"
    p = zstest.zonesweep(zs, "check", "--json", *res, "--budget", "10", broken)
    o = json.loads(p.stdout)
    check(o["status"] == "indeterminate", "%s: %s, not indeterminate" % (broken, o["status"]))
    p = zstest.zonesweep(zs, "check", *res, "not a domain")
    check(p.returncode == 2, "check of a non-name exit %d, wanted 2" % p.returncode)
    # one strict name check, never a question for a name that cannot exist
    for name in ("a..b.post", "x" * 64 + ".post", "trail-.post", "under_score.post", "post"):
        p = zstest.zonesweep(zs, "check", *res, name)
        check(p.returncode == 2 and "not a domain name" in p.stderr,
              "check %s exit %d, wanted 2:\n%s" % (name, p.returncode, p.stderr))
    # a name that does not exist is no compliance verdict: its own status and exit code
    p = zstest.zonesweep(zs, "check", *res, "--color", "never", "no-such-domain.post")
    check(p.returncode == 3 and "does not exist" in p.stdout and "compliant" not in p.stdout,
          "check of a nonexistent domain exit %d:\n%s" % (p.returncode, p.stdout))
    p = zstest.zonesweep(zs, "check", "--json", *res, "no-such-domain.post", good)
    objs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    check(p.returncode == 3 and objs[0]["status"] == "nonexistent" and
          objs[1]["status"] == "compliant", "check --json nonexistent + good: %d %r"
          % (p.returncode, objs))
    p = zstest.zonesweep(zs, "check", "--json", *res, "no-such-domain.post", bad)
    check(p.returncode == 1, "a failing domain beside a nonexistent one exit %d" % p.returncode)
    # an internationalised name is asked in its A-label form
    p = zstest.zonesweep(zs, "check", "--json", *res, "BÜCHER.post")
    check(json.loads(p.stdout)["domain"] == "xn--bcher-kva.post",
          "check of an IDN: %s %s" % (p.stdout, p.stderr))
    # a resolver that does not answer is named at once, in one line, before any domain
    silent = env["ZS_BLACKHOLE_ADDR"]
    p = zstest.zonesweep(zs, "check", "--resolver", silent, good)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 1 and len(lines) == 1 and "does not answer" in lines[0]
          and silent.split(":")[0] in lines[0] and p.stdout == "",
          "check with a silent resolver: exit %d\n%s" % (p.returncode, p.stderr))

    # spf: the analysis and check_host
    p = zstest.zonesweep(zs, "spf", "--json", *res, good)
    o = json.loads(p.stdout)
    for key in ("domain", "result", "records", "error", "lookups", "void_lookups", "all",
                "authorizes_hosts", "ipv4_addresses"):
        check(key in o, "spf --json lacks %s" % key)
    check(p.returncode == 0 and o["result"] == "valid" and o["all"] == "-" and
          o["authorizes_hosts"], "spf analysis of %s: %r" % (good, o))
    toomany = pick(post, "spf-toomany")
    p = zstest.zonesweep(zs, "spf", "--json", *res, toomany)
    o = json.loads(p.stdout)
    check(p.returncode == 1 and o["error"] == "lookup_limit" and o["lookups"] > 10,
          "spf analysis of %s: %r" % (toomany, o))
    # both paths: the static walk finds the record valid, the unlisted senders' check_host()
    # meets the third void lookup at exists:%{i}
    unlisted = pick(post, "spf-unlisted-voids")
    p = zstest.zonesweep(zs, "spf", "--json", *res, unlisted)
    o = json.loads(p.stdout)
    check(p.returncode == 1 and o["result"] == "permerror" and o["error"] == "void_limit" and
          o["tree"][0]["result"] == "valid" and
          [u["result"] for u in o["unlisted"]] == ["permerror", "permerror"] and
          "exists:%{i}._spf." in o["error_detail"]["message"],
          "spf analysis of %s: %r" % (unlisted, o))
    p = zstest.zonesweep(zs, "spf", *res, unlisted)
    check("unlisted IPv4 sender 203.0.113.254: permerror void_limit" in p.stdout and
          "unlisted IPv6 sender 2001:db8:ffff::1: permerror void_limit" in p.stdout and
          "%s: valid" % unlisted in p.stdout,
          "spf of %s does not show both paths:\n%s" % (unlisted, p.stdout))
    # the provider's range authorizes 192.0.2.10; an address outside gets -all
    p = zstest.zonesweep(zs, "spf", *res, "--ip", "192.0.2.10", good)
    check(p.returncode == 0 and "pass" in p.stdout, "check_host pass:\n" + p.stdout)
    p = zstest.zonesweep(zs, "spf", "--json", *res, "--ip", "203.0.113.250", good)
    check(p.returncode == 1 and json.loads(p.stdout)["result"] == "fail", "check_host fail")
    p = zstest.zonesweep(zs, "spf", *res, "--ip", "not-an-ip", good)
    check(p.returncode == 2, "spf --ip garbage exit %d" % p.returncode)

    # policy
    p = zstest.zonesweep(zs, "policy", "list", check_rc=0)
    check("post" in p.stdout and "ftld" in p.stdout, "policy list:\n" + p.stdout)
    p = zstest.zonesweep(zs, "policy", "show", "ftld", check_rc=0)
    check("rule FTLD-DMARC-REJECT" in p.stdout, "policy show ftld")
    shown = os.path.join(tmp, "shown.policy")
    with open(shown, "w") as fh:
        fh.write(p.stdout)
    zstest.zonesweep(zs, "policy", "check", shown, check_rc=0)
    broken_policy = os.path.join(tmp, "broken.policy")
    with open(broken_policy, "w") as fh:
        fh.write("policy x\nversion 1\nrule A\n\tapplies mail\n\tcheck spf-valid bogus=1\n"
                 "\tseverity fail\n")
    p = zstest.zonesweep(zs, "policy", "check", broken_policy)
    check(p.returncode == 1 and broken_policy + ":5:" in p.stderr,
          "policy check does not name file:line:\n" + p.stderr)

    # zone --count
    p = zstest.zonesweep(zs, "zone", os.path.join(world, "post.zone"), "--tld", "post", "--count",
                         check_rc=0)
    check(p.stdout.strip().split()[0] == str(len(post)), "zone --count: %s" % p.stdout)


if __name__ == "__main__":
    zstest.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""RFC 7208 check_host() for a sender the domain does not list, by pyspf and by the scanner,
for every delegated domain of the test world, both through the rig's Unbound: the forger's path,
the one a compliance verdict rests on. The scanner's results are the sweep's own: its SPF
analysis runs check_host() for an IPv4 and an IPv6 documentation address no record lists
(scanner/policy/spf_unlisted.c), and one `zonesweep check --json` over every domain gives them;
where the analysis decided without the paths (no record, an invalid one, a failed lookup),
`zonesweep spf DOMAIN --ip ADDR` evaluates them. Three comparisons, each with its ledger in
differences.json:
  - world-spf-unlisted: each path's result, scanner beside pyspf;
  - world-spf-valid: the analysis' verdict (valid, not valid, unknown on a failed lookup)
    beside pyspf's: valid when neither path ends in permerror or none (issue 15 item 3);
  - world-facts-spf-valid: the world's declared spf_valid beside pyspf's, so that the world's
    expected verdicts, which the integration tests hold the sweep to, rest on an oracle.

Comparisons are keyed by the domain's world profile and its SPF records with the domain
written {d} (and the address family for the paths), so the list survives a change of seed."""

import concurrent.futures
import json
import os
import subprocess

import oracles
from oracles import Failure

# The sweep's unlisted senders (ZS_SPF_UNLISTED_IPV4/IPV6 in scanner/policy/spf_eval.h): outside
# every range the world's records authorize. A forger's message as check_host() sees it: from
# postmaster@DOMAIN, HELO "unknown".
UNLISTED = (("v4", "203.0.113.254"), ("v6", "2001:db8:ffff::1"))
HELO = "unknown"
PYSPF_TIMEOUT = 3  # seconds per lookup: the world's black-holed names end in temperror


def world_domains(world):
    """[(domain, key)]: the key names the domain's profile and its SPF records (the domain
    written {d}), which a profile may pick among several."""
    profiles = oracles.world_profiles(world)
    spf = {}
    for labels, record in oracles.world_txt(world):
        domain, _, name = oracles.world_place(labels, profiles)
        if name == "@" and record[:6].lower() == b"v=spf1":
            spf.setdefault(domain, []).append(oracles.world_template(record, domain))
    return [(d, "%s: %s" % (p, " | ".join(sorted(spf.get(d, ["(no SPF record)"])))))
            for d, p in sorted(profiles.items())]


def scanner_facts(unbound, domains):
    """The sweep's SPF facts of every domain, from one `zonesweep check --json`."""
    p = subprocess.run([oracles.binary(), "check", "--json", "--resolver", unbound, "--timeout",
                        "400", "--tries", "2", "--budget", "30"] + domains,
                       capture_output=True, timeout=900)
    if p.returncode not in (0, 1, 3):
        raise Failure("zonesweep check: exit %d\n%s"
                      % (p.returncode, p.stderr.decode(errors="replace")))
    facts = {}
    for line in p.stdout.split(b"\n"):
        if line:
            o = json.loads(line)
            facts[o["domain"]] = o["spf"]
    missing = sorted(set(domains) - set(facts))
    if missing:
        raise Failure("zonesweep check --json: no object for %s" % ", ".join(missing[:5]))
    return facts


def scanner_path(spf, index, unbound, domain, ip):
    """(result, detail) of the scanner's check_host() for the unlisted sender @p ip: the
    analysis' path when it ran, else `zonesweep spf --ip`."""
    path = spf["unlisted"][index]
    if path["evaluated"]:
        if path["ip"] != ip:
            raise Failure("%s: the sweep's unlisted sender is %s, this test asks %s (keep UNLISTED "
                          "equal to ZS_SPF_UNLISTED_* of scanner/policy/spf_eval.h)"
                          % (domain, path["ip"], ip))
        return path["result"], (path["error_detail"] or {}).get("message") or path["error"]
    p = subprocess.run(
        [oracles.binary(), "spf", "--json", "--resolver", unbound, "--timeout", "400",
         "--tries", "2", "--ip", ip, "--sender", "postmaster@" + domain, "--helo", HELO,
         domain], capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        raise Failure("zonesweep spf --ip %s %s: exit %d\n%s"
                      % (ip, domain, p.returncode, p.stderr))
    o = json.loads(p.stdout)
    return o["result"], (o.get("error_detail") or {}).get("message") or o.get("error")


def pyspf_valid(results):
    """Valid, not valid or "unknown" from pyspf's results of the unlisted paths."""
    if "temperror" in results:
        return "unknown"
    return not any(r in ("permerror", "none") for r in results)


def facts_check(world, keys, results):
    """The world's declared spf_valid beside pyspf's; domains whose lookups fail are left out
    (the world declares no validity for them).
    @param results  domain -> [pyspf result per address]"""
    with open(os.path.join(world, "expected.jsonl")) as fh:
        facts = {e["domain"]: e["facts"] for e in map(json.loads, fh)}
    ledger = oracles.Ledger("world-facts-spf-valid", ours="the world's facts")
    for d, key in keys:
        if pyspf_valid(results[d]) != "unknown":
            ledger.compare(key, facts[d]["spf_valid"], pyspf_valid(results[d]),
                           " (%s; pyspf: %s)" % (d, ", ".join(results[d])))
    return ledger


def test():
    unbound = oracles.resolver_addr()
    world = oracles.world_dir()
    oracles.pyspf_resolver(unbound, PYSPF_TIMEOUT)
    keys = world_domains(world)
    # pyspf mostly waits on the resolver (the world's black-holed names take its whole
    # timeout): it runs in threads beside the scanner
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as waits, \
            concurrent.futures.ThreadPoolExecutor(max_workers=2) as procs:
        theirs = {(d, ip): waits.submit(oracles.pyspf_check_host, ip, d, "postmaster@" + d,
                                        HELO, PYSPF_TIMEOUT)
                  for d, _ in keys for _, ip in UNLISTED}
        facts = scanner_facts(unbound, [d for d, _ in keys])
        ours = {(d, ip): procs.submit(scanner_path, facts[d], i, unbound, d, ip)
                for d, _ in keys for i, (_, ip) in enumerate(UNLISTED)}
        paths = oracles.Ledger("world-spf-unlisted")
        valid = oracles.Ledger("world-spf-valid")
        results = {}
        for d, key in keys:
            for fam, ip in UNLISTED:
                result, detail = ours[(d, ip)].result()
                pyspf_result, why = theirs[(d, ip)].result()
                results.setdefault(d, []).append(pyspf_result)
                paths.compare("%s %s" % (fam, key), result, pyspf_result,
                              " (%s from %s; zonesweep: %s; pyspf: %s)" % (d, ip, detail, why))
            verdict = facts[d]["result"]
            valid.compare(key, "unknown" if verdict == "temperror" else verdict == "valid",
                          pyspf_valid(results[d]),
                          " (%s; zonesweep: %s, %s; pyspf: %s)"
                          % (d, verdict, facts[d]["error"], ", ".join(results[d])))
    oracles.finish_ledgers([paths, valid, facts_check(world, keys, results)])


if __name__ == "__main__":
    oracles.main(test)

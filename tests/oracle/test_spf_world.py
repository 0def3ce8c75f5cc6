#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""RFC 7208 check_host() for a sender the domain does not list, by pyspf and by the scanner
(`zonesweep spf DOMAIN --ip ADDR`), for every delegated domain of the test world, both through
the rig's Unbound. The addresses are documentation addresses that no record of the world
authorizes, one IPv4 and one IPv6: the forger's path, the one a compliance verdict rests on.
Results must agree, or the difference be listed in differences.json with the RFC 7208 section
that decides it.

Comparisons are keyed by the address family, the domain's world profile and its SPF records
with the domain written {d}, so the list survives a change of seed."""

import concurrent.futures
import json
import os
import subprocess

import oracles
from oracles import Failure

# Outside every range the world's records authorize (the world's own hosts are numbered from
# 198.51.100.1 and 203.0.113.1 up to .250, its providers use 192.0.2.0/24, 2001:db8:1::/48 to
# 2001:db8:3::/48).
UNLISTED = (("v4", "203.0.113.254"), ("v6", "2001:db8::5"))
PYSPF_TIMEOUT = 3  # seconds per lookup: the world's black-holed names end in temperror


def resolver():
    addr = os.environ.get("ZS_UNBOUND_ADDR")
    if not addr:
        raise Failure("ZS_UNBOUND_ADDR is not set: run the tests through scripts/test.sh, or "
                      "start the rig with scripts/rig.sh start DIR --world WORLD and source "
                      "DIR/env.sh")
    return addr


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


def scanner_check_host(resolver, domain, ip):
    p = subprocess.run(
        [oracles.binary(), "spf", "--json", "--resolver", resolver, "--timeout", "400",
         "--tries", "2", "--ip", ip, "--sender", "postmaster@" + domain, "--helo", domain,
         domain], capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        raise Failure("zonesweep spf --ip %s %s: exit %d\n%s"
                      % (ip, domain, p.returncode, p.stderr))
    o = json.loads(p.stdout)
    err = o.get("error_detail") or {}
    return o["result"], err.get("message") or o.get("error")


def facts_check(world, keys, results):
    """The world's declared spf_valid beside pyspf's: a domain's SPF is valid when check_host()
    for each unlisted sender ends in neither permerror nor none (a single record, no error on
    the forger's path: issue 15 item 3). Domains whose lookups fail (temperror) are left out.
    @param results  domain -> [pyspf result per address]"""
    with open(os.path.join(world, "expected.jsonl")) as fh:
        facts = {e["domain"]: e["facts"] for e in map(json.loads, fh)}
    ledger = oracles.Ledger("world-facts-spf-valid", ours="the world's facts")
    for d, key in keys:
        got = results[d]
        if "temperror" in got:
            continue
        ledger.compare(key, facts[d]["spf_valid"],
                       not any(r in ("permerror", "none") for r in got),
                       " (%s; pyspf: %s)" % (d, ", ".join(got)))
    return ledger


def test():
    unbound = resolver()
    world = oracles.world_dir()
    oracles.pyspf_resolver(unbound, PYSPF_TIMEOUT)
    keys = world_domains(world)
    jobs = [(d, key, fam, ip) for d, key in keys for fam, ip in UNLISTED]
    ledger = oracles.Ledger("world-spf-unlisted")
    results = {}
    # pyspf mostly waits on the resolver (the world's black-holed names take its whole
    # timeout): it runs in threads of its own beside the scanner's processes
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as procs, \
            concurrent.futures.ThreadPoolExecutor(max_workers=8) as waits:
        ours = [procs.submit(scanner_check_host, unbound, d, ip) for d, _, _, ip in jobs]
        theirs = [waits.submit(oracles.pyspf_check_host, ip, d, "postmaster@" + d, d,
                               PYSPF_TIMEOUT) for d, _, _, ip in jobs]
        for (d, key, fam, ip), mine, other in zip(jobs, ours, theirs):
            result, detail = mine.result()
            pyspf_result, why = other.result()
            results.setdefault(d, []).append(pyspf_result)
            ledger.compare("%s %s" % (fam, key), result, pyspf_result,
                           " (%s from %s; zonesweep: %s; pyspf: %s)" % (d, ip, detail, why))
    oracles.finish_ledgers([ledger, facts_check(world, keys, results)])

if __name__ == "__main__":
    oracles.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every SPF, DMARC and DKIM key record the test world publishes, read from the world's zone
files by dnspython's zone parser, through the scanner's parsers (`zonesweep parse`) and an
independent reading: pyspf's record syntax (TXT records starting with v=spf1, at any name),
OpenDMARC's record (TXT records at _dmarc names), dkimpy's key (TXT records at names below a
_domainkey label): whether a verifier can use the key, its type and its RSA bits. Every
difference must be listed in differences.json.

Comparisons are keyed by the world profile of the domain and the record's name below it
(every domain of a profile publishes the same kind of record), so the list survives a change
of seed; records of the providers' zone are keyed "(provider) NAME"."""

import glob
import json
import os

import oracles
from oracles import Failure


def world_dir():
    w = os.environ.get("ZS_TEST_WORLD")
    if not w or not os.path.isfile(os.path.join(w, "expected.jsonl")):
        raise Failure("ZS_TEST_WORLD is not a generated world: run the tests through "
                      "scripts/test.sh, or generate one with tests/world/gen_world.py")
    return w


def profiles(world):
    """Delegated domain -> its profile."""
    with open(os.path.join(world, "expected.jsonl")) as fh:
        return {e["domain"]: e["profile"] for e in map(json.loads, fh)}


def txt_records(world):
    """[(owner labels, record bytes)] for every TXT record of the world's zones; a record is
    its character-strings joined."""
    import dns.rdataclass
    import dns.rdatatype
    import dns.zone

    out = []
    for path in sorted(glob.glob(os.path.join(world, "zones", "*.zone"))):
        zone = dns.zone.from_file(path, relativize=False, check_origin=False)
        for name, node in sorted(zone.nodes.items()):
            rds = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
            labels = [l.decode().lower() for l in name.labels if l]
            for rd in rds or []:
                out.append((labels, b"".join(rd.strings)))
    return out


def key_of(labels, domains):
    """"<profile> <name below the domain>" ("@" for the domain itself), or "(provider) NAME"
    outside the delegated domains."""
    for i in range(len(labels)):
        domain = ".".join(labels[i:])
        if domain in domains:
            return "%s %s" % (domains[domain], ".".join(labels[:i]) or "@")
    return "(provider) " + ".".join(labels)


def test():
    world = world_dir()
    domains = profiles(world)
    txt = txt_records(world)
    spf = [(l, r) for l, r in txt if r[:6].lower() == b"v=spf1"]
    dmarc = [(l, r) for l, r in txt if l[:1] == ["_dmarc"]]
    dkim = [(l, r) for l, r in txt if "_domainkey" in l[1:]]
    for what, found in (("SPF", spf), ("DMARC", dmarc), ("DKIM key", dkim)):
        if not found:
            raise Failure("%s: no %s record found in the world's zones" % (world, what))
    def items(records):
        return [(key_of(l, domains), r, "%s: %r" % (".".join(l), r[:120])) for l, r in records]

    oracles.compare_all([("world-spf-syntax", "spf", items(spf)),
                         ("world-dmarc", "dmarc", items(dmarc)),
                         ("world-dkim", "dkim", items(dkim))])


if __name__ == "__main__":
    oracles.main(test)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every SPF, DMARC and DKIM key record the test world publishes, read from the world's zone
files, through the scanner's parsers (`zonesweep parse`) and an independent reading: pyspf's
record syntax (TXT records starting with v=spf1, at any name), OpenDMARC's record (TXT records
at _dmarc names), dkimpy's key (TXT records at names below a _domainkey label): whether a
verifier can use the key, its type and its RSA bits. Every difference must be listed in
differences.json.

Comparisons are keyed by the world profile of the domain, the record's name below it and, for
SPF and DMARC, the record with the domain written {d} (a profile may pick among several
records), so the list survives a change of seed; DKIM keys are random, and keyed without their
text. Records of the providers' zone are keyed "(provider) NAME"."""

import oracles
from oracles import Failure


def items(records, profiles, with_text):
    """compare_records() items: (key, record, where) for [(labels, record)]."""
    out = []
    for labels, record in records:
        domain, profile, name = oracles.world_place(labels, profiles)
        key = "%s %s" % (profile, name)
        if with_text:
            key += ": " + oracles.world_template(record, domain)
        out.append((key, record, "%s: %r" % (".".join(labels), record[:120])))
    return out


def test():
    world = oracles.world_dir()
    profiles = oracles.world_profiles(world)
    txt = oracles.world_txt(world)
    spf = [(l, r) for l, r in txt if r[:6].lower() == b"v=spf1"]
    dmarc = [(l, r) for l, r in txt if l[:1] == ["_dmarc"]]
    dkim = [(l, r) for l, r in txt if "_domainkey" in l[1:]]
    for what, found in (("SPF", spf), ("DMARC", dmarc), ("DKIM key", dkim)):
        if not found:
            raise Failure("%s: no %s record found in the world's zones" % (world, what))
    oracles.compare_all([("world-spf-syntax", "spf", items(spf, profiles, True)),
                         ("world-dmarc", "dmarc", items(dmarc, profiles, True)),
                         ("world-dkim", "dkim", items(dkim, profiles, False))])


if __name__ == "__main__":
    oracles.main(test)

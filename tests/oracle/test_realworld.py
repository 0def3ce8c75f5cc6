#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Real records (../shared/realworld: SPF, DMARC and DKIM key records that real domains
published) through the scanner's parsers (`zonesweep parse`, no DNS), each beside an
independent reading: pyspf's record syntax, OpenDMARC's DMARC record, dkimpy's key. Every
difference must be listed in differences.json (keyed by the record itself) with the RFC section
that decides it."""

import csv
import os

import oracles
from oracles import Failure


def read_tsv(name):
    """The records of one file as oracles.compare_records() items: (record, record bytes,
    "owner at source"); records are kept byte for byte."""
    path = os.path.join(oracles.shared_dir(), "realworld", name)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or rows[0] != ["record", "owner", "source"]:
        raise Failure("%s: the header is not record, owner, source" % path)
    items = []
    for i, row in enumerate(rows[1:], 2):
        if len(row) != 3:
            raise Failure("%s:%d: %d fields, wanted 3" % (path, i, len(row)))
        items.append((row[0], row[0].encode(), "%s at %s" % (row[1], row[2])))
    return items


def test():
    oracles.compare_all([("realworld-" + kind, kind, read_tsv(kind + ".tsv"))
                         for kind in ("spf", "dmarc", "dkim")])

if __name__ == "__main__":
    oracles.main(test)

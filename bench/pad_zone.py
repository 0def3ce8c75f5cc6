#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cut or pad a generated world's TLD zone for the whole-sweep benchmarks.

  pad_zone.py SRC OUT --keep N     the zone's first N owners
  pad_zone.py SRC OUT --all        all its owners
  pad_zone.py SRC OUT --total N    all its owners spread over N delegations, the others
                                   padding-K, not delegated in NSD's copy of the TLD (NXDOMAIN
                                   from the TLD's server on loopback)
"""
import argparse
import re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--keep", type=int)
    g.add_argument("--total", type=int)
    g.add_argument("--all", action="store_true")
    a = ap.parse_args()
    head, groups, cur = [], [], None
    for line in open(a.src).read().split("\n"):
        if not line.strip():
            continue
        if not groups and cur is None and not re.match(r"^[a-zA-Z0-9-]+ \d+ IN NS", line):
            head.append(line)
            continue
        if line[0] not in " \t":
            cur = [line]
            groups.append(cur)
        else:
            cur.append(line)
    if a.keep is not None or a.all:
        body = ["\n".join(g) + "\n" for g in groups[:a.keep]]
    else:
        step = max(1, a.total // len(groups))
        it = iter(groups)
        body = []
        for k in range(a.total):
            g = next(it, None) if k % step == 0 else None
            body.append("\n".join(g) + "\n" if g else
                        "padding-%d 3600 IN NS ns1.dns-host.example.\n" % k)
    with open(a.out, "w") as f:
        f.write("\n".join(head) + "\n" + "".join(body))


if __name__ == "__main__":
    main()

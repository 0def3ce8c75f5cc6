#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End to end: sweep the test world's .post zone through the rig's Unbound (in front of NSD)
into a fresh PostgreSQL database, then check, domain by domain, what landed in the database,
in the JSON Lines output and in the gzip CSV report, against the world's expected facts."""

import json
import gzip
import os

import zstest
from zstest import check


def expected_rules(e):
    """The verdicts the rules a run stores must reach, from the facts the world published."""
    f = e["facts"]
    faults = f["faults"]
    want = dict(e["verdicts"]["post"])
    # The walking skeleton's two presence checks.
    if "all" in faults:
        want["SPF-PRESENT"] = want["DMARC-PRESENT"] = "error"
    else:
        want["SPF-PRESENT"] = "pass" if f["spf_count"] == 1 else "fail"
        want["DMARC-PRESENT"] = ("error" if "dmarc" in faults
                                 else "pass" if f["dmarc_count"] == 1 else "fail")
    return want, faults


def test(env, tmp):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_sweep")
    try:
        run(env, tmp, db)
    finally:
        db.drop()


def run(env, tmp, db):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    exp = zstest.expected(world, "post")
    jsonl = os.path.join(tmp, "post.jsonl.gz")
    zstest.zonesweep(zs, "db", "migrate", "--db", db.conninfo, check_rc=0)
    p = zstest.zonesweep(zs, "scan", "--zone", os.path.join(world, "post.zone"), "--tld", "post",
                         "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo,
                         "--jsonl", jsonl, "--quiet", *zstest.FAST_FAULTS, check_rc=0)
    check("compliant" in p.stdout and "zonesweep scan of .post" in p.stdout,
          "no summary printed:\n" + p.stdout)

    runs = db.q("SELECT id, status, zone_complete, zone_serial FROM runs")
    check(len(runs) == 1, "want one run, got %r" % runs)
    run_id, status, complete, serial = runs[0]
    check(status == "complete" and complete == "t", "run not complete: %r" % runs[0])
    check(serial == "2026112401", "zone serial not stored: %r" % serial)

    rows = db.q("SELECT domain, status, mail, facts::text FROM results WHERE run_id = %s" % run_id)
    got = {r[0]: r for r in rows}
    check(len(rows) == len(got), "a domain was stored twice")
    check(set(got) == set(exp), "stored domains differ from the zone: missing %s, extra %s"
          % (sorted(set(exp) - set(got))[:5], sorted(set(got) - set(exp))[:5]))

    verdicts = {}
    for dom, rule, verdict in db.q("SELECT domain, rule, verdict FROM verdicts WHERE run_id = %s"
                                   % run_id):
        verdicts.setdefault(dom, {})[rule] = verdict

    bad = []
    for dom, e in sorted(exp.items()):
        want, faults = expected_rules(e)
        have = verdicts.get(dom, {})
        for rule, v in want.items():
            if rule in have and have[rule] != v:
                bad.append("%s %s: stored %s, expected %s (profile %s)"
                           % (dom, rule, have[rule], v, e["profile"]))
        # A DNS failure is never a "fail": domains behind faults are indeterminate.
        if "all" in faults:
            check(got[dom][1] == "indeterminate",
                  "%s (%s) behind a DNS fault is %s, not indeterminate"
                  % (dom, e["profile"], got[dom][1]))
        want_status = e["status"]["post"]
        if set(e["verdicts"]["post"]) <= set(have):
            if got[dom][1] != want_status:
                bad.append("%s: status %s, expected %s (profile %s)"
                           % (dom, got[dom][1], want_status, e["profile"]))
    checked = sum(1 for d in exp for r in expected_rules(exp[d])[0] if r in verdicts.get(d, {}))
    check(checked >= 2 * len(exp), "only %d verdicts could be compared" % checked)
    check(not bad, "%d mismatches:\n  %s" % (len(bad), "\n  ".join(bad[:40])))
    check_skeleton_facts(exp, got)
    check_raw_bytes(db, run_id, exp)

    # The JSON Lines output holds the same domains and statuses.
    with gzip.open(jsonl, "rt") as fh:
        lines = [json.loads(l) for l in fh]
    check({l["domain"]: l["status"] for l in lines} == {d: r[1] for d, r in got.items()},
          "JSON Lines output differs from the database")

    # The report lists every domain once, with its stored status.
    report = os.path.join(tmp, "post.csv.gz")
    zstest.zonesweep(zs, "report", "--run", "latest", "--db", db.conninfo, "--out", report,
                     check_rc=0)
    rows = zstest.read_csv_gz(report)
    check(len(rows) == len(exp), "report has %d rows, zone %d domains" % (len(rows), len(exp)))
    for r in rows:
        check(r["status"] == got[r["domain"]][1], "report status differs for %s" % r["domain"])
    # A second report to the same name is refused without --overwrite.
    p = zstest.zonesweep(zs, "report", "--run", "latest", "--db", db.conninfo, "--out", report)
    check(p.returncode == 1 and "--overwrite" in p.stderr, "existing report overwritten")


def check_skeleton_facts(exp, got):
    """The facts of every domain record what the world published (counts of SPF, DMARC)."""
    for dom, e in exp.items():
        f = e["facts"]
        if f["faults"]:
            continue
        facts = json.loads(got[dom][3])
        spf = facts.get("spf", {})
        if "count" in spf:
            check(spf["count"] == f["spf_count"], "%s: %d SPF records found, world has %d"
                  % (dom, spf["count"], f["spf_count"]))


def check_raw_bytes(db, run_id, exp):
    """Hostile TXT bytes (NUL, invalid UTF-8, CR LF) are stored byte-exact."""
    hostile = [d for d, e in exp.items() if e["profile"] == "hostile"]
    check(hostile, "the world has no hostile domain")
    want = b"bin\x00ary\x80\xff\r\nBcc: victim@example.com"
    for dom in hostile:
        rows = db.q("SELECT encode(t, 'hex') FROM results, unnest(raw_txt) AS t "
                    "WHERE run_id = %s AND domain = '%s'" % (run_id, dom))
        blobs = [bytes.fromhex(r[0]) for r in rows]
        check(want in blobs, "%s: raw TXT bytes not stored exactly: %r" % (dom, blobs))


if __name__ == "__main__":
    zstest.main(test)

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


def expected_rules(e, policy):
    """The verdicts the world's facts call for, and the faults behind the domain."""
    return e["verdicts"][policy], e["facts"]["faults"]


def test(env, tmp):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_sweep")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        # .post under the UPU policy, .bank under the fTLD requirement
        run(env, tmp, db, "post", "post")
        run(env, tmp, db, "bank", "ftld")
        sweep_again(env, db, "post", "post")
    finally:
        db.drop()


def sweep_again(env, db, tld, policy):
    """A second sweep of an unchanged world stores no domain's facts, raw TXT records or verdicts
    again: every domain away from DNS faults points at the first run's (facts and raw records
    are written in a canonical order, so resolvers rotating RRsets change nothing), and reads
    back the same through zs_facts(), zs_raw_owner(), zs_raw_txt() and v_verdicts."""
    world = env["ZS_TEST_WORLD"]
    exp = zstest.expected(world, tld)
    p = zstest.zonesweep(env["ZS_BINARY"], "scan", "--zone", os.path.join(world, tld + ".zone"),
                         "--tld", tld, "--policy", policy, "--resolver", env["ZS_UNBOUND_ADDR"],
                         "--db", db.conninfo, "--quiet", *zstest.FAST_FAULTS, check_rc=0)
    first, second = [int(r[0]) for r in db.q(
        "SELECT r.id FROM runs r JOIN tlds t ON t.id = r.tld_id WHERE t.name = '%s' "
        "ORDER BY r.id" % tld)]
    rows = {r[0]: r[1:] for r in db.q(
        "SELECT b.domain, b.facts IS NULL, b.facts_run, zs_facts(b)::text = zs_facts(a)::text "
        "AND zs_raw_owner(b) = zs_raw_owner(a) AND zs_raw_txt(b) = zs_raw_txt(a) "
        "AND (b.raw_txt IS NULL) = (b.facts IS NULL), "
        "b.verdicts_run, (SELECT count(*) FROM verdicts v WHERE v.run_id = b.run_id "
        "AND v.domain = b.domain) FROM results b JOIN results a ON a.run_id = %d "
        "AND a.domain = b.domain WHERE b.run_id = %d" % (first, second))}
    check(set(rows) == set(exp), "second run: %d domains, zone %d" % (len(rows), len(exp)))

    def verdicts(run):
        out = {}
        for dom, rule, verdict, reason in db.q(
                "SELECT domain, rule, verdict, reason FROM v_verdicts WHERE run_id = %d" % run):
            out.setdefault(dom, {})[rule] = (verdict, reason)
        return out
    v1, v2 = verdicts(first), verdicts(second)
    quiet = [d for d, e in sorted(exp.items()) if not e["facts"]["faults"]]
    changed = [d for d in quiet if not (rows[d][0] == "t" and rows[d][1] == str(first))]
    check(not changed, "%d domains without faults stored their facts again: %s"
          % (len(changed), changed[:10]))
    changed = [d for d in quiet if rows[d][3] != str(first)]
    check(not changed, "%d domains without faults stored their verdicts again: %s"
          % (len(changed), changed[:10]))
    for d, (null, holder, same, vholder, stored) in rows.items():
        if null == "t":
            check(same == "t", "%s: facts or raw TXT records read through the pointer differ, "
                  "or stored beside it" % d)
        if vholder:
            check(stored == "0", "%s: verdict rows stored besides the pointer" % d)
            check(v2.get(d) == v1.get(d) and v2.get(d),
                  "%s: verdicts read through the pointer differ: %r, first run %r"
                  % (d, v2.get(d), v1.get(d)))
        else:
            check(stored != "0", "%s: neither a pointer nor verdict rows" % d)
    unchanged = sum(1 for r in rows.values() if r[0] == "t")
    vunchanged = sum(1 for r in rows.values() if r[3])
    check("(since the previous run, %d with facts and %d with verdicts unchanged)"
          % (unchanged, vunchanged) in p.stderr,
          "the sweep did not say how many facts and verdicts were unchanged:\n" + p.stderr)


def run(env, tmp, db, tld, policy):
    zs = env["ZS_BINARY"]
    world = env["ZS_TEST_WORLD"]
    exp = zstest.expected(world, tld)
    jsonl = os.path.join(tmp, tld + ".jsonl.gz")
    p = zstest.zonesweep(zs, "scan", "--zone", os.path.join(world, tld + ".zone"), "--tld", tld,
                         "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo,
                         "--jsonl", jsonl, "--quiet", *zstest.FAST_FAULTS, check_rc=0)
    check("compliant" in p.stdout and "zonesweep scan of ." + tld in p.stdout,
          "no summary printed:\n" + p.stdout)

    runs = db.q("SELECT r.id, r.status, r.zone_complete, r.zone_serial, p.name FROM runs r "
                "JOIN tlds t ON t.id = r.tld_id JOIN policies p ON p.id = r.policy_id "
                "WHERE t.name = '%s'" % tld)
    check(len(runs) == 1, "want one run of .%s, got %r" % (tld, runs))
    run_id, status, complete, serial, run_policy = runs[0]
    check(run_policy == policy, "run of .%s recorded policy %s" % (tld, run_policy))
    check(status == "complete" and complete == "t", "run not complete: %r" % runs[0])
    check(serial == "2026112401", "zone serial not stored: %r" % serial)

    rows = db.q("SELECT domain, status, mail, zs_facts(r)::text FROM results r WHERE run_id = %s" % run_id)
    got = {r[0]: r for r in rows}
    check(len(rows) == len(got), "a domain was stored twice")
    check(set(got) == set(exp), "stored domains differ from the zone: missing %s, extra %s"
          % (sorted(set(exp) - set(got))[:5], sorted(set(got) - set(exp))[:5]))

    verdicts = {}
    reasons = {}
    for dom, rule, verdict, reason in db.q("SELECT domain, rule, verdict, reason FROM verdicts "
                                           "WHERE run_id = %s" % run_id):
        verdicts.setdefault(dom, {})[rule] = verdict
        reasons.setdefault(dom, {})[rule] = reason

    bad = []
    for dom, e in sorted(exp.items()):
        want, faults = expected_rules(e, policy)
        have = verdicts.get(dom, {})
        for rule, v in want.items():
            if have.get(rule) != v:
                bad.append("%s %s: stored %s, expected %s (profile %s)"
                           % (dom, rule, have.get(rule), v, e["profile"]))
        # what some verdicts must say (the generator's words for a fact, e.g. the request to
        # declare a DKIM selector nobody can guess)
        for rule, words in e.get("reasons", {}).get(policy, {}).items():
            said = reasons.get(dom, {}).get(rule) or ""
            if words not in said:
                bad.append("%s %s: reason %r does not say %r (profile %s)"
                           % (dom, rule, said, words, e["profile"]))
        # A DNS failure is never a "fail": domains behind faults are indeterminate.
        if "all" in faults:
            check(got[dom][1] == "indeterminate",
                  "%s (%s) behind a DNS fault is %s, not indeterminate"
                  % (dom, e["profile"], got[dom][1]))
        if got[dom][1] != e["status"][policy]:
            bad.append("%s: status %s, expected %s (profile %s)"
                       % (dom, got[dom][1], e["status"][policy], e["profile"]))
    check(not bad, "%d mismatches:\n  %s" % (len(bad), "\n  ".join(bad[:40])))
    check_facts(exp, got)
    check_raw_bytes(db, run_id, exp)

    # The JSON Lines output holds the same domains and statuses.
    with gzip.open(jsonl, "rt") as fh:
        lines = [json.loads(l) for l in fh]
    check({l["domain"]: l["status"] for l in lines} == {d: r[1] for d, r in got.items()},
          "JSON Lines output differs from the database")

    # The report lists every domain once, with its stored status.
    report = os.path.join(tmp, tld + ".csv.gz")
    zstest.zonesweep(zs, "report", "--run", "latest", "--tld", tld, "--db", db.conninfo,
                     "--out", report, check_rc=0)
    rows = zstest.read_csv_gz(report)
    check(len(rows) == len(exp), "report has %d rows, zone %d domains" % (len(rows), len(exp)))
    for r in rows:
        check(r["status"] == got[r["domain"]][1], "report status differs for %s" % r["domain"])
    # A second report to the same name is refused without --overwrite.
    p = zstest.zonesweep(zs, "report", "--run", "latest", "--tld", tld, "--db", db.conninfo,
                         "--out", report)
    check(p.returncode == 1 and "--overwrite" in p.stderr, "existing report overwritten")


def check_facts(exp, got):
    """The stored facts record what the world published: counts of SPF and DMARC records,
    the DMARC policy, the largest DKIM key, the mail kind, and every part's DNS status."""
    for dom, e in exp.items():
        f = e["facts"]
        facts = json.loads(got[dom][3])
        s = facts["summary"]
        for part in ("mx", "spf", "dmarc", "dkim", "rdns", "mta_sts", "tls_rpt", "bimi"):
            check(part + "_status" in s, "%s: no DNS status for %s" % (dom, part))
        if f["faults"]:
            if "all" in f["faults"]:
                check(s["mx_status"] not in ("noerror", "nodata", "nxdomain"),
                      "%s: MX status %s behind a DNS fault" % (dom, s["mx_status"]))
            continue
        check(s["spf_count"] == f["spf_count"], "%s: %d SPF records found, world has %d"
              % (dom, s["spf_count"], f["spf_count"]))
        check(s["dmarc_count"] == f["dmarc_count"], "%s: %d DMARC records found, world has %d"
              % (dom, s["dmarc_count"], f["dmarc_count"]))
        if f["dmarc_valid"]:
            check(s["dmarc_p"] == f["dmarc_p"], "%s: p=%s, world has %s"
                  % (dom, s["dmarc_p"], f["dmarc_p"]))
        check(s["dkim_rsa_bits"] == f["dkim_rsa_bits"], "%s: DKIM %d bits, world has %d"
              % (dom, s["dkim_rsa_bits"], f["dkim_rsa_bits"]))
        kind = {"mail": "hosts", "null": "null", "none": "none"}[f["mx"]]
        check(s["mx_kind"] == kind, "%s: MX kind %s, world has %s" % (dom, s["mx_kind"], kind))
        check(s["dnssec_signed"] == f["ds"], "%s: DNSSEC signed %s, zone says %s"
              % (dom, s["dnssec_signed"], f["ds"]))


def check_raw_bytes(db, run_id, exp):
    """Hostile TXT bytes (NUL, invalid UTF-8, CR LF) are stored byte-exact."""
    hostile = [d for d, e in exp.items() if e["profile"] == "hostile"]
    check(hostile, "the world has no hostile domain")
    want = b"bin\x00ary\x80\xff\r\nBcc: victim@example.com"
    for dom in hostile:
        rows = db.q("SELECT encode(t, 'hex') FROM results r, unnest(zs_raw_txt(r)) AS t "
                    "WHERE run_id = %s AND domain = '%s'" % (run_id, dom))
        blobs = [bytes.fromhex(r[0]) for r in rows]
        check(want in blobs, "%s: raw TXT bytes not stored exactly: %r" % (dom, blobs))


if __name__ == "__main__":
    zstest.main(test)

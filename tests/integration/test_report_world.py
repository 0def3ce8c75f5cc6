#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reports on the test world, through the real binary: sweep .post into a fresh database and
write its report in every format; check each against the database (every domain once, its
status and verdicts, the summary's counts), check that no CSV cell can start a formula and
that the hostile domain's TXT bytes come out escaped, render the HTML report in headless
Chromium (it loads without errors, runs its script under the page's CSP, shows the counts,
sorts; a screenshot is kept under the build directory), write the periodic reports and the
hostile domain's compliance report; then the edge runs: a zone without delegations (zero
domains), a zone of domains behind DNS faults only (all indeterminate), and a sweep stopped
by SIGINT while it waits for its deferred retry pass (an interrupted run, marked as such in
its report)."""

import csv
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

import zstest
from zstest import check

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise zstest.Failure("chromium is not installed (Debian package 'chromium'; "
                         "scripts/test.sh installs it)")


def render(html_path, url_suffix="", screenshot=None):
    """Load a page in headless Chromium with a fresh profile; return (DOM, console log)."""
    profile = tempfile.mkdtemp(prefix="zs-chromium-")
    try:
        url = "file://" + os.path.abspath(html_path) + url_suffix
        args = [chromium()] + CHROMIUM_FLAGS + [
            "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
            "--window-size=1400,2200"]
        if screenshot is not None:
            p = subprocess.run(args + ["--screenshot=" + screenshot, url],
                               capture_output=True, text=True, timeout=120)
            check(os.path.exists(screenshot) and os.path.getsize(screenshot) > 1000,
                  "no screenshot written: %s" % p.stderr[-2000:])
        p = subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True,
                           timeout=120)
        check(p.returncode == 0, "chromium failed: %s" % p.stderr[-2000:])
        return p.stdout, p.stderr
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def page_errors(log):
    """Console errors, uncaught exceptions and CSP refusals in Chromium's log."""
    bad = []
    for line in log.splitlines():
        if "CONSOLE" in line or "Content Security Policy" in line or "Uncaught" in line:
            bad.append(line)
    return bad


def element(dom, ident):
    m = re.search(r'id="%s"[^>]*>([^<]*)<' % re.escape(ident), dom)
    check(m is not None, "element #%s not in the page" % ident)
    return m.group(1)


def read_gz(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return fh.read()


def sweep(env, db, zone, tld, *extra, check_rc=0):
    return zstest.zonesweep(env["ZS_BINARY"], "scan", "--zone", zone, "--tld", tld,
                            "--resolver", env["ZS_UNBOUND_ADDR"], "--db", db.conninfo,
                            "--quiet", *zstest.FAST_FAULTS, *extra, check_rc=check_rc)


def report(env, db, *args, check_rc=0):
    return zstest.zonesweep(env["ZS_BINARY"], "report", "--db", db.conninfo, *args,
                            check_rc=check_rc)


def test(env, tmp):
    world = env["ZS_TEST_WORLD"]
    exp = zstest.expected(world, "post")
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_report")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        sweep(env, db, os.path.join(world, "post.zone"), "post")
        run_id = db.q("SELECT max(id) FROM runs")[0][0]
        stored = {d: (s, None) for d, s in db.q("SELECT domain, status FROM results")}
        verdicts = {}
        for d, rule, v in db.q("SELECT domain, rule, verdict FROM verdicts"):
            verdicts.setdefault(d, {})[rule] = v
        counts = {s: sum(1 for x in stored.values() if x[0] == s)
                  for s in ("compliant", "non-compliant", "indeterminate")}
        check(set(stored) == set(exp), "the sweep did not store the zone's domains")

        check_csv(env, db, tmp, stored, verdicts, counts)
        check_jsonl_json(env, db, tmp, stored, counts)
        check_html(env, db, tmp, stored, counts)
        check_domain_report(env, db, tmp, exp)
        check_periodic(env, db, tmp, run_id)
        check_edge_runs(env, db, tmp, world, exp)
    finally:
        db.drop()


def check_csv(env, db, tmp, stored, verdicts, counts):
    out = os.path.join(tmp, "post.csv.gz")
    report(env, db, "--run", "latest", "--tld", "post", "--out", out)
    text = read_gz(out)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    body = [dict(zip(header, r)) for r in rows[1:]]
    check(len(body) == len(stored), "CSV has %d rows, %d stored" % (len(body), len(stored)))
    rules = sorted({r for v in verdicts.values() for r in v})
    check(all(r in header for r in rules), "CSV lacks rule columns: %s" % header)
    for r in body:
        d = r["domain"]
        check(r["status"] == stored[d][0], "%s: CSV status %s" % (d, r["status"]))
        for rule in rules:
            check(r[rule] == verdicts[d][rule], "%s %s: CSV %s, stored %s"
                  % (d, rule, r[rule], verdicts[d][rule]))
        for key in ("mx_kind", "spf_record", "spf_lookups", "dmarc_p", "dkim_selectors",
                    "dkim_rsa_bits", "rdns", "dnssec_signed", "status_since"):
            check(key in r, "CSV has no %s column" % key)
    # RFC 4180 and spreadsheets: no cell may start a formula; no raw control byte anywhere
    for row in rows:
        for cell in row:
            check(not cell or cell[0] not in "=+-@\t\r",
                  "a CSV cell starts a formula: %r" % cell)
    check(not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text), "raw control byte in CSV")
    summary = read_gz(os.path.join(tmp, "post.summary.csv.gz"))
    srows = list(csv.DictReader(io.StringIO(summary, newline="")))
    got = {r["field"]: r["value"] for r in srows if r["section"] == "counts"}
    for status, n in counts.items():
        check(got[status] == str(n), "summary %s: %s, stored %d" % (status, got[status], n))
    check(any(r["section"] == "dns" and r["field"] == "questions" and int(r["value"]) > 0
              for r in srows), "summary has no DNS figures")


def check_jsonl_json(env, db, tmp, stored, counts):
    out = os.path.join(tmp, "post.jsonl.gz")
    report(env, db, "--run", "latest", "--tld", "post", "--out", out)
    lines = [json.loads(l) for l in read_gz(out).splitlines()]
    check({l["domain"]: l["status"] for l in lines} == {d: s[0] for d, s in stored.items()},
          "JSON Lines report differs from the database")
    summary = json.loads(read_gz(os.path.join(tmp, "post.summary.json.gz")))
    check(summary["counts"]["domains"] == len(stored), "JSONL summary: wrong domain count")
    out = os.path.join(tmp, "post.json")
    report(env, db, "--run", "latest", "--tld", "post", "--out", out)
    with open(out, encoding="utf-8") as fh:
        doc = json.load(fh)
    check(len(doc["domains"]) == len(stored), "JSON report: wrong number of domains")
    for status, n in counts.items():
        check(doc["summary"]["counts"][status] == n, "JSON summary: %s" % status)
    check(doc["summary"]["run"]["status"] == "complete", "JSON summary: run status")


def check_html(env, db, tmp, stored, counts):
    out = os.path.join(tmp, "post.html")
    report(env, db, "--run", "latest", "--tld", "post", "--out", out)
    artifacts = os.path.join(os.path.dirname(os.path.abspath(env["ZS_BINARY"])), "..",
                             "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, "report-post.png")
    dom, log = render(out, screenshot=shot)
    check(not page_errors(log), "the page logged errors:\n%s" % "\n".join(page_errors(log)))
    check('data-ready="1"' in dom, "the page's script did not run (CSP or an exception)")
    check(not re.search(r"<body[^>]*data-error=", dom), "the page's script failed")
    check(element(dom, "n-domains") == str(len(stored)), "page: domain count")
    for status, n in counts.items():
        check(element(dom, "n-" + status) == str(n), "page: %s count" % status)
    check(element(dom, "rows-shown") == str(len(stored)), "page: rows shown")
    check(dom.count("<script") == 1, "a <script> element came from DNS data")
    check("<svg" in dom and 'id="trend"' in dom and 'id="rule-chart"' in dom,
          "page: charts missing")
    # the table sorts: by status, descending, non-compliant rows come first
    dom2, log2 = render(out, "#sort=status:desc")
    check(not page_errors(log2), "sorted page logged errors")
    tbody = dom2[dom2.index('id="domains"'):]
    first = re.search(r"<tbody>\s*<tr><td>[^<]*</td><td class=\"([a-z-]+)\"", tbody)
    check(first is not None and first.group(1) == "non-compliant",
          "sorting by status did not put non-compliant first")
    print("screenshot: %s" % os.path.normpath(shot))


def check_domain_report(env, db, tmp, exp):
    hostile = sorted(d for d, e in exp.items() if e["profile"] == "hostile")[0]
    out = os.path.join(tmp, "hostile.json")
    report(env, db, "--domain", hostile.upper() + ".", "--format", "json", "--out", out)
    with open(out, encoding="utf-8") as fh:
        doc = json.load(fh)
    check(doc["domain"] == hostile and doc["tool"].startswith("zonesweep "),
          "domain report: wrong header")
    records = [r["data"] for r in doc["records"]]
    check("bin\\x00ary\\x80\\xff\\x0d\\x0aBcc: victim@example.com" in records,
          "domain report: hostile bytes not escaped as expected: %r" % records)
    items = {a["item"]: a["status"] for a in doc["attestations"]}
    check(items.get("POST-NO-OPEN-RELAY") == "no statement", "attestation items missing")
    rules = {r["id"]: r for r in doc["rules"]}
    check(rules["POST-MX-SPF"]["verdict"] == "fail" and "v=spf1 mx -all" in
          rules["POST-MX-SPF"]["fix"], "domain report: the failing rule has no fix")
    out = os.path.join(tmp, "hostile.html")
    report(env, db, "--domain", hostile, "--out", out)
    dom, log = render(out)
    check(not page_errors(log), "domain page logged errors")
    check('data-ready="1"' in dom and dom.count("<script") == 1,
          "domain page: script missing or DNS markup rendered")
    check("&lt;script&gt;alert(1)&lt;/script&gt;" in dom, "domain page: TXT not shown")


def check_periodic(env, db, tmp, run_id):
    day = db.q("SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM runs "
               "WHERE id = %s" % run_id)[0][0]
    outdir = os.path.join(tmp, "periodic")
    os.makedirs(outdir)
    args = ["--period", "daily", "--date", day, "--tld", "post", "--dir", outdir,
            "--format", "csv,html"]
    report(env, db, *args)
    names = sorted(os.listdir(outdir))
    want = sorted("post-daily-%s.%s.gz" % (day, f) for f in ("csv", "summary.csv", "html"))
    check(names == want, "periodic report names: %s, wanted %s" % (names, want))
    p = report(env, db, *args, check_rc=1)
    check("--overwrite" in p.stderr, "an existing periodic report was not refused")
    report(env, db, *args, "--overwrite")
    p = report(env, db, "--period", "monthly", "--date", "2001-01-15", "--dir", outdir,
               check_rc=1)
    check("no complete run" in p.stderr, "an empty period is not reported: %s" % p.stderr)


def sub_zone(world, tld, keep):
    """The TLD zone with only the delegations of the domains in keep (labels)."""
    out, owner, started = [], None, False
    with open(os.path.join(world, tld + ".zone")) as fh:
        for line in fh:
            if line[:1] not in (" ", "\t", "\n", ";", "$", ""):
                owner = line.split()[0].lower()
                if owner.endswith("." + tld + "."):  # an absolute name
                    owner = owner[:-len(tld) - 2]
            if owner not in ("@", "_dmarc", None) and not owner.startswith("("):
                started = True
            if not started:
                out.append(line)
                continue
            if owner is not None and any(owner == k or owner.endswith("." + k) for k in keep):
                out.append(line)
    return "".join(out)


def check_edge_runs(env, db, tmp, world, exp):
    # a zone without delegations (a new TLD, swept with --allow-empty): a complete run of zero
    # domains
    empty = os.path.join(tmp, "empty.zone")
    with open(empty, "w") as fh:
        fh.write(sub_zone(world, "post", set()))
    other = zstest.Database(env["ZS_PG_ADMIN"], "it_report_edge")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", other.conninfo,
                         check_rc=0)
        sweep(env, other, empty, "post", "--allow-empty")
        out = os.path.join(tmp, "empty.csv")
        report(env, other, "--run", "latest", "--out", out)
        with open(out, newline="") as fh:
            rows = list(csv.reader(fh))
        check(len(rows) == 1 and rows[0][0] == "domain", "empty run: %r" % rows)
        with open(os.path.join(tmp, "empty.summary.csv"), newline="") as fh:
            s = {(r["section"], r["field"]): r["value"] for r in csv.DictReader(fh)}
        check(s[("counts", "domains")] == "0" and s[("counts", "compliance_rate")] == "",
              "empty run summary: %r" % s)
        out = os.path.join(tmp, "empty.html")
        report(env, other, "--run", "latest", "--out", out)
        dom, log = render(out)
        check(not page_errors(log) and element(dom, "n-domains") == "0",
              "empty run page")

        # domains behind DNS faults only: every one indeterminate
        faulty = {d.split(".")[0] for d, e in exp.items() if "all" in e["facts"]["faults"]}
        check(faulty, "the world has no domain behind a DNS fault")
        zone = os.path.join(tmp, "faulty.zone")
        with open(zone, "w") as fh:
            fh.write(sub_zone(world, "post", faulty))
        sweep(env, other, zone, "post")
        out = os.path.join(tmp, "faulty.json")
        report(env, other, "--run", "latest", "--out", out)
        with open(out) as fh:
            doc = json.load(fh)
        c = doc["summary"]["counts"]
        check(c["domains"] == len(faulty) and c["indeterminate"] == len(faulty),
              "all-indeterminate run: %r" % c)
        check(all(d["status"] == "indeterminate" for d in doc["domains"]),
              "a domain behind a fault is not indeterminate")
    finally:
        other.drop()

    # a sweep stopped with SIGINT while its deferred retry pass is still waiting
    stopped = zstest.Database(env["ZS_PG_ADMIN"], "it_report_stop")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", stopped.conninfo,
                         check_rc=0)
        p = subprocess.Popen([env["ZS_BINARY"], "scan", "--zone",
                              os.path.join(world, "post.zone"), "--tld", "post",
                              "--resolver", env["ZS_UNBOUND_ADDR"], "--db", stopped.conninfo,
                              "--quiet", "--timeout", "400", "--tries", "2", "--budget", "30",
                              "--retry-delay", "600"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # the sweep says when it starts waiting for its deferred pass: stop it then
            waiting = False
            for line in p.stderr:
                if "retrying them in" in line:
                    waiting = True
                    break
            check(waiting, "the sweep ended without waiting for a deferred pass")
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        status = stopped.q("SELECT status FROM runs")[0][0]
        check(status == "interrupted", "a stopped sweep left its run %s" % status)
        out = os.path.join(tmp, "stopped.csv")
        r = report(env, stopped, "--run", "latest", "--out", out)
        check("interrupted" in r.stderr, "the command does not say the run was interrupted")
        with open(os.path.join(tmp, "stopped.summary.csv"), newline="") as fh:
            rows = list(csv.DictReader(fh))
        check(any(x["field"] == "status" and x["value"] == "interrupted" for x in rows),
              "interrupted run not marked in its summary")
        check(any(x["field"] == "note" and "interrupted" in x["value"] for x in rows),
              "interrupted run has no note")
        out = os.path.join(tmp, "stopped.html")
        report(env, stopped, "--run", "latest", "--out", out)
        dom, log = render(out)
        check(element(dom, "run-status") == "interrupted", "page does not say interrupted")
        check('class="notes partial"' in dom, "page shows no warning for a partial run")
    finally:
        stopped.drop()


if __name__ == "__main__":
    zstest.main(test)

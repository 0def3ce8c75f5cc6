#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Notices on the test world, through the real binary: sweep .post (UPU policy) and .bank
(fTLD), give most non-compliant domains a registrant contact, generate the notices, and read the mbox back with Python's
mailbox and email packages (strict policy: any defect fails). Every message must be valid
RFC 5322 with MIME UTF-8 text, go to the domain's contact, name every failing rule with the
fix the policy gives for it (every line of the rule's remediation text, rendered for the
domain: suggested SPF and DMARC records, the records found) and the records exactly as found; nothing from DNS may reach a header. Then the notice log:
the same notices are not generated again within --min-days, --only new and --only persisting
select as they say, edited templates are used and a broken one is refused with file:line."""

import csv
import email
import email.policy
import email.utils
import gzip
import io
import json
import mailbox
import os
import re

import zstest
from zstest import check

FROM = "UPU .POST Secretariat <secretariat@post.example>"
HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type",
           "content-transfer-encoding", "auto-submitted", "reply-to"}


def notices(env, db, out, *args, tld="post", check_rc=0):
    return zstest.zonesweep(env["ZS_BINARY"], "notices", "--run", "latest", "--tld", tld,
                            "--db", db.conninfo, "--from", FROM, "--out", out, *args,
                            check_rc=check_rc)


def read_mbox(path, tmp):
    plain = os.path.join(tmp, os.path.basename(path) + ".plain")
    with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
        dst.write(src.read())
    box = mailbox.mbox(plain, create=False)
    msgs = []
    for key in box.keys():
        raw = box.get_bytes(key)
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        msgs.append(msg)
    box.close()
    return msgs


def policy_fixes(env, policy):
    """Each rule's fix lines from `zonesweep policy show` (placeholders kept), and the rules
    about domains that send mail (applies mail)."""
    out = zstest.zonesweep(env["ZS_BINARY"], "policy", "show", policy, check_rc=0).stdout
    fixes, sending, rule = {}, set(), None
    for line in out.splitlines():
        m = re.match(r"rule (\S+)", line)
        if m:
            rule = m.group(1)
            fixes[rule] = []
        m = re.match(r"\s+fix (.*)", line)
        if m and rule:
            fixes[rule].append(m.group(1))
        if rule and re.match(r"\s+applies\s+mail\s*$", line):
            sending.add(rule)
    return fixes, sending


def expected_fix_lines(lines, domain, summary, dmarc_tags, sends):
    """The fix lines a notice must carry, rendered for the domain as the policy's placeholders
    say (docs/policies.md): the records found, the suggested SPF for the mail hosts (or, for a
    rule about domains that send mail and a domain without MX hosts, the form naming its
    provider), the DMARC record the policy asks for."""
    mail = summary["mx_kind"] == "hosts" and summary["mx_status"] in ("noerror", "nodata")
    spf = ("v=spf1 mx -all" if mail else
           "v=spf1 include:<your mail provider's SPF domain> -all" if sends else "v=spf1 -all")
    values = {
        "{domain}": domain,
        "{min-bits}": "2048",
        "{suggest-spf}": spf,
        "{suggest-dmarc}": "v=DMARC1; p=reject;%s rua=mailto:dmarc-reports@%s"
                           % (dmarc_tags, domain),
        "{found-spf}": summary["spf_record"] or "(none)",
        "{found-dmarc}": summary["dmarc_record"] or "(none)",
    }
    out = []
    for line in lines:
        for k, v in values.items():
            line = line.replace(k, v)
        out.append(line)
    return out


def dmarc_tags(env, policy):
    """The tags the policy's suggested DMARC record carries besides p= and rua=."""
    text = zstest.zonesweep(env["ZS_BINARY"], "policy", "show", policy, check_rc=0).stdout
    tags = ""
    if "check dmarc-sp" in text:
        tags += " sp=reject;"
    if "check dmarc-alignment" in text:
        tags += " adkim=s; aspf=s;"
    return tags


def zone_txt(data):
    """TXT bytes in zone-file presentation form, as the notices write them."""
    parts = []
    for i in range(0, max(len(data), 1), 255):
        chunk = data[i:i + 255]
        s = ""
        for b in chunk:
            if b in (0x22, 0x5c):
                s += "\\" + chr(b)
            elif b < 0x20 or b >= 0x7f:
                s += "\\%03d" % b
            else:
                s += chr(b)
        parts.append('"%s"' % s)
    return " ".join(parts)


def test(env, tmp):
    world = env["ZS_TEST_WORLD"]
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_notices")
    try:
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        for tld, policy in (("post", "post"), ("bank", "ftld")):
            zstest.zonesweep(env["ZS_BINARY"], "scan", "--zone",
                             os.path.join(world, tld + ".zone"), "--tld", tld, "--resolver",
                             env["ZS_UNBOUND_ADDR"], "--db", db.conninfo, "--quiet",
                             *zstest.FAST_FAULTS, check_rc=0)
            bad = sorted(r[0] for r in db.q("SELECT domain FROM results WHERE status = "
                                            "'non-compliant' AND domain LIKE '%%.%s'" % tld))
            check(len(bad) > 20, "too few non-compliant domains in .%s" % tld)
            # every third without a contact; names with quotes and non-ASCII letters
            with_contact = [d for i, d in enumerate(bad) if i % 3 != 0]
            for i, d in enumerate(with_contact):
                name = ["", "Zoë Ünlü", 'Registrar "Quoted" & Co', "Plain Name"][i % 4]
                db.q("INSERT INTO contacts (domain, email, name) VALUES ('%s', 'dns@%s', "
                     "'%s')" % (d, d, name.replace("'", "''")))
            check_first_notices(env, db, tmp, tld, policy, bad, with_contact)
            if tld == "post":
                post_contacts = with_contact
        check_log_and_selection(env, db, tmp, post_contacts)
        check_templates(env, db, tmp)
    finally:
        db.drop()


def check_first_notices(env, db, tmp, tld, policy, bad, with_contact):
    out = os.path.join(tmp, "notices-%s.mbox.gz" % tld)
    p = notices(env, db, out, "--deadline", "2027-01-31", "--reply-to", "help@post.example",
                tld=tld)
    check("%d messages" % len(with_contact) in p.stderr, "summary line: %s" % p.stderr)
    msgs = read_mbox(out, tmp)
    check(len(msgs) == len(with_contact), "%d messages for %d domains with a contact"
          % (len(msgs), len(with_contact)))

    failing = {}
    for d, rule in db.q("SELECT domain, rule FROM verdicts WHERE verdict = 'fail'"):
        failing.setdefault(d, []).append(rule)
    reasons = {(d, rule): why for d, rule, why in
               db.q("SELECT domain, rule, reason FROM v_verdicts WHERE verdict = 'fail'")}
    summary = {d: json.loads(f)["summary"] for d, f in db.q("SELECT domain, zs_facts(r)::text "
                                                             "FROM results r")}
    raw = {}
    for d, owner, data in db.q("SELECT domain, o, encode(t, 'hex') FROM results r, "
                               "unnest(zs_raw_owner(r), zs_raw_txt(r)) AS u(o, t)"):
        raw.setdefault(d, []).append((owner, bytes.fromhex(data)))
    fixes, sending = policy_fixes(env, policy)
    tags = dmarc_tags(env, policy)
    ids = set()
    for msg in msgs:
        check(not msg.defects, "message defects: %r" % msg.defects)
        names = {k.lower() for k in msg.keys()}
        check(names <= HEADERS, "unexpected header fields: %s" % (names - HEADERS))
        check(msg.get_content_type() == "text/plain" and
              msg.get_content_charset() == "utf-8", "not MIME UTF-8 text")
        check(msg["MIME-Version"] == "1.0", "no MIME-Version")
        check(email.utils.parsedate_to_datetime(msg["Date"]) is not None, "bad Date")
        check(msg["Message-ID"] not in ids, "duplicate Message-ID")
        ids.add(msg["Message-ID"])
        check(msg["From"].addresses[0].addr_spec == "secretariat@post.example", "From")
        check(msg["Reply-To"].addresses[0].addr_spec == "help@post.example", "Reply-To")
        to = msg["To"].addresses
        check(len(to) == 1, "To must name one address")
        domain = to[0].addr_spec.split("@", 1)[1]
        check(domain in with_contact, "notice to a domain without a contact: %s" % domain)
        check(msg["Subject"].startswith(domain + ":"), "Subject: %s" % msg["Subject"])
        body = msg.get_content()
        flat = [l.strip() for l in body.splitlines()]
        check("2027-01-31" in body, "%s: no deadline in the body" % domain)
        for rule in failing[domain]:
            check(("%s:" % rule) in body, "%s: failing rule %s not named" % (domain, rule))
            for line in expected_fix_lines(fixes[rule], domain, summary[domain], tags,
                                           rule in sending):
                check(line.strip() in flat, "%s %s: fix line missing: %r"
                      % (domain, rule, line))
        # what is wrong with the SPF record (a mail-sending domain without MX included)
        for rule in (r for r in failing[domain] if r.endswith("-SPF")):
            check("What the check found: " + reasons[(domain, rule)] in flat,
                  "%s %s: the notice does not say what is wrong: %r"
                  % (domain, rule, reasons[(domain, rule)]))
        # the evidence of SPF rules: every TXT record at the domain, exactly as found
        if any(r.endswith("-SPF") for r in failing[domain]):
            for owner, data in raw.get(domain, []):
                if owner == domain:
                    want = "%s. IN TXT %s" % (owner, zone_txt(data))
                    check(want in flat, "%s: record not shown as found: %r" % (domain, want))
        check(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", body), "control bytes in a body")
    if policy == "ftld":
        # domains without MX whose broken SPF record lists senders send mail: noticed for it
        told = [m["To"].addresses[0].addr_spec.split("@", 1)[1] for m in msgs]
        check(any(d.startswith("nomx-spf-") and "FTLD-SPF" in failing[d] for d in told),
              "no notice to a mail-sending domain without MX about its SPF record")
    check(any("Zoë Ünlü" == m["To"].addresses[0].display_name for m in msgs),
          "a non-ASCII display name did not survive")
    hostile = [m for m in msgs if m["To"].addresses[0].addr_spec.split("@")[1].startswith(
        "hostile-")]
    for m in hostile:
        check("Bcc" not in m and "bcc" not in {k.lower() for k in m.keys()},
              "a Bcc header was injected")
        check('IN TXT "bin\\000ary\\128\\255\\013\\010Bcc: victim@example.com"'
              in m.get_content(), "hostile record not shown as found")

    # the domains without a contact, listed beside the mbox
    with gzip.open(os.path.join(tmp, "notices-%s.no-contact.csv.gz" % tld), "rt",
                   newline="") as fh:
        listed = [r["domain"] for r in csv.DictReader(fh)]
    check(sorted(listed) == sorted(set(bad) - set(with_contact)),
          "the no-contact list is not the domains without a contact")
    logged = db.q("SELECT domain, recipient, kind, array_length(rules, 1) FROM notices "
                  "WHERE domain LIKE '%%.%s'" % tld)
    check(len(logged) == len(msgs), "notice log has %d rows, %d messages"
          % (len(logged), len(msgs)))
    check(all(r[1] == "dns@" + r[0] and r[2] == "non-compliant" for r in logged),
          "notice log rows are wrong")


def check_log_and_selection(env, db, tmp, with_contact):
    # again, within the default 14 days: nothing new
    out = os.path.join(tmp, "again.mbox.gz")
    p = notices(env, db, out)
    check(" 0 messages" in p.stderr and "%d skipped" % len(with_contact) in p.stderr,
          "notices generated twice: %s" % p.stderr)
    check(read_mbox(out, tmp) == [], "the second mbox is not empty")
    # a dry run writes them without logging
    before = db.q("SELECT count(*) FROM notices")[0][0]
    out = os.path.join(tmp, "dry.mbox.gz")
    notices(env, db, out, "--min-days", "0", "--dry-run")
    check(len(read_mbox(out, tmp)) == len(with_contact), "dry run wrote no notices")
    check(db.q("SELECT count(*) FROM notices")[0][0] == before, "a dry run logged")
    # only new: on the first run every non-compliant domain is new
    out = os.path.join(tmp, "new.mbox.gz")
    notices(env, db, out, "--only", "new", "--min-days", "0", "--dry-run")
    check(len(read_mbox(out, tmp)) == len(with_contact), "--only new on the first run")
    # only persisting for 5 days: the domains whose status dates back 10 days...
    old = with_contact[::2]
    db.q("UPDATE transitions SET at = at - interval '10 days' WHERE domain IN (%s)"
         % ",".join("'%s'" % d for d in old))
    out = os.path.join(tmp, "persisting.mbox.gz")
    # ... but they had their notice within those 5 days: no reminder yet
    notices(env, db, out, "--only", "persisting", "--min-days", "5", "--dry-run")
    check(read_mbox(out, tmp) == [], "a reminder came within --min-days of the notice")
    # ten days after the first notice, the persisting ones get a reminder
    db.q("UPDATE notices SET generated_at = generated_at - interval '10 days'")
    notices(env, db, out, "--only", "persisting", "--min-days", "5", "--overwrite")
    got = sorted(m["To"].addresses[0].addr_spec[4:] for m in read_mbox(out, tmp))
    check(got == sorted(old), "--only persisting selected %d of %d" % (len(got), len(old)))


def check_templates(env, db, tmp):
    tdir = os.path.join(tmp, "templates")
    os.makedirs(tdir)
    src = os.path.join(os.path.dirname(__file__), "..", "..", "reports", "templates")
    for name in ("notice-body.txt", "notice-rule.txt"):
        with open(os.path.join(src, name)) as a, open(os.path.join(tdir, name), "w") as b:
            b.write(a.read())
    with open(os.path.join(tdir, "notice-subject.txt"), "w") as fh:
        fh.write("[.POST] Action needed for {{domain}} ({{failing_count}} rules)\n")
    out = os.path.join(tmp, "edited.mbox.gz")
    notices(env, db, out, "--min-days", "0", "--dry-run", "--templates", tdir)
    msgs = read_mbox(out, tmp)
    check(msgs and all(m["Subject"].startswith("[.POST] Action needed for ") for m in msgs),
          "the edited subject template was not used")
    with open(os.path.join(tdir, "notice-subject.txt"), "w") as fh:
        fh.write("## comment\nAction needed for {{domian}}\n")
    p = notices(env, db, os.path.join(tmp, "broken.mbox.gz"), "--templates", tdir,
                check_rc=2)
    check("notice-subject.txt:2: unknown placeholder {{domian}}" in p.stderr,
          "a broken template is not refused with file:line: %s" % p.stderr)
    check(not os.path.exists(os.path.join(tmp, "broken.mbox.gz")), "broken run left a file")
    p = notices(env, db, os.path.join(tmp, "x.mbox.gz"), "--from",
                "Evil <a@b.example>\r\nBcc: victim@example.com", check_rc=2)
    check("From" in p.stderr, "a From with CR LF was not refused: %s" % p.stderr)


if __name__ == "__main__":
    zstest.main(test)

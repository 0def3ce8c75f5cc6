#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The registry's data is checked on the way in (issue 20): a rule id an exemption names must be
a rule of the policy the TLD is swept with, an attested item one of its attestation items (a
checked rule cannot be attested), each refusal listing the valid ones; domain names follow the
registered-domain syntax in commands and in imported files (named by file:line, nothing stored);
dates are real days, an exemption ends after today, an attestation is not dated in the future.
Exemptions and attestations record who did it (--by, else the operating system's user) and can
be revoked, and a revoked attestation no longer counts."""

import datetime
import json
import os
import pwd

import zstest
from zstest import check

DOMAIN = "good-mail-0.post"


def test(env, tmp):
    zs = env["ZS_BINARY"]
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_registry_data")
    me = pwd.getpwuid(os.geteuid()).pw_name
    today = datetime.datetime.now(datetime.timezone.utc).date()
    later = (today + datetime.timedelta(days=400)).isoformat()
    try:
        zstest.zonesweep(zs, "db", "migrate", "--db", db.conninfo, check_rc=0)

        def refused(words, *args, rc=2):
            p = zstest.zonesweep(zs, args[0], "--db", db.conninfo, *args[1:])
            check(p.returncode == rc and all(w in p.stderr for w in words),
                  "%s: exit %d, wanted %d and %r:\n%s" % (" ".join(args), p.returncode, rc,
                                                          words, p.stderr))

        exempt = ["exempt", DOMAIN]
        until = ["--until", later, "--why", "implementation phase"]
        refused(["NO-SUCH-RULE is not a rule", "POST-MX-SPF", "POST-MX-DMARC"],
                *exempt, "NO-SUCH-RULE", *until)
        refused(["POST-SMTP-AUTH is an attestation item"], *exempt, "POST-SMTP-AUTH", *until)
        refused(["--until 2027-13-45: no such day"], *exempt, "POST-MX-DMARC", "--until",
                "2027-13-45", "--why", "x")
        refused(["not a date (YYYY-MM-DD)"], *exempt, "POST-MX-DMARC", "--until", "next week",
                "--why", "x")
        refused(["no such day"], *exempt, "POST-MX-DMARC", "--until", "2027-02-30", "--why", "x")
        refused(["not later than today"], *exempt, "POST-MX-DMARC", "--until",
                today.isoformat(), "--why", "x")
        for name in ("bad..name.post", "-x.post", "post", "a_b.post", "%s.post" % ("a" * 64)):
            refused(["%s: not a domain name" % name], "exempt", *until, "--", name,
                    "POST-MX-DMARC")
        attest = ["attest", DOMAIN]
        refused(["POST-MX-SPF is a rule checked from the DNS: it cannot be attested",
                 "POST-SMTP-AUTH", "POST-NO-OPEN-RELAY"], *attest, "POST-MX-SPF", "--ref", "r")
        refused(["FOO is not an attestation item", "POST-SMTP-AUTH"], *attest, "FOO", "--ref",
                "r")
        refused(["in the future"], *attest, "POST-SMTP-AUTH", "--ref", "r", "--on", later)
        check(db.q("SELECT (SELECT count(*) FROM exemptions) + (SELECT count(*) FROM "
                   "attestations)") == [["0"]], "a refused record was stored")

        # Imports name the line and store nothing.
        sel = os.path.join(tmp, "selectors.txt")
        with open(sel, "w") as fh:
            fh.write("%s s1\nbad..name.post s2\n" % DOMAIN)
        refused(["%s:2: invalid domain 'bad..name.post'" % sel],
                "selectors", "import", sel, rc=1)
        contacts = os.path.join(tmp, "contacts.csv")
        with open(contacts, "w") as fh:
            fh.write("domain,email\n%s,a@example.org\n-x.post,b@example.org\n" % DOMAIN)
        refused(["%s:3: invalid domain '-x.post'" % contacts], "contacts", "import",
                contacts, rc=1)
        check(db.q("SELECT (SELECT count(*) FROM dkim_selectors) + (SELECT count(*) FROM "
                   "contacts)") == [["0"]], "a refused import stored rows")

        # Another policy, when the operator names it.
        zstest.zonesweep(zs, *exempt, "FTLD-DMARC-REJECT", *until, "--policy", "ftld", "--db",
                         db.conninfo, check_rc=0)

        # Who did it, and revocations.
        zstest.zonesweep(zs, *exempt, "POST-MX-DMARC", *until, "--by", "alice", "--db",
                         db.conninfo, check_rc=0)
        zstest.zonesweep(zs, *attest, "POST-SMTP-AUTH", "--ref", "report 2026", "--on",
                         today.isoformat(), "--db", db.conninfo, check_rc=0)
        rows = db.q("SELECT id, created_by FROM exemptions WHERE rule = 'POST-MX-DMARC'")
        check(rows[0][1] == "alice", "the exemption's author: %r" % rows)
        ex_id = rows[0][0]
        rows = db.q("SELECT id, attested_by, created_by FROM attestations")
        check(rows[0][1:] == [me, me], "the attestation's author: %r, wanted %s" % (rows, me))
        at_id = rows[0][0]
        p = zstest.zonesweep(zs, "attest", "--list", DOMAIN, "--format", "json", "--db",
                             db.conninfo, check_rc=0)
        listed = [json.loads(ln) for ln in p.stdout.splitlines()]
        check([(str(r["id"]), r["item"]) for r in listed] == [(at_id, "POST-SMTP-AUTH")],
              "attest --list:\n" + p.stdout)
        zstest.zonesweep(zs, "attest", "--revoke", at_id, "--by", "bob", "--db", db.conninfo,
                         check_rc=0)
        p = zstest.zonesweep(zs, "attest", "--list", DOMAIN, "--db", db.conninfo, check_rc=0)
        check("POST-SMTP-AUTH" not in p.stdout, "a revoked attestation is listed:\n" + p.stdout)
        refused(["no attestation %s in force" % at_id], "attest", "--revoke", at_id, rc=1)
        zstest.zonesweep(zs, "exempt", "--revoke", ex_id, "--by", "carol", "--db", db.conninfo,
                         check_rc=0)
        check(db.q("SELECT revoked_by FROM attestations") == [["bob"]] and
              db.q("SELECT revoked_by FROM exemptions WHERE id = %s" % ex_id) == [["carol"]],
              "who revoked is not recorded")
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

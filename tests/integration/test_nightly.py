#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/nightly.sh, the secretariat's job, end to end: it migrates, sweeps into the database,
and writes the notices of the newly non-compliant domains (a valid, gzip-compressed mbox with
one message per such domain that has a contact)."""

import gzip
import mailbox
import os
import subprocess

import zstest
from zstest import check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test(env, tmp):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_nightly")
    try:
        exp = zstest.expected(env["ZS_TEST_WORLD"], "post")
        bad = sorted(d for d, e in exp.items() if e["status"]["post"] == "non-compliant")
        # contacts for a few non-compliant domains: only they get a notice
        zstest.zonesweep(env["ZS_BINARY"], "db", "migrate", "--db", db.conninfo, check_rc=0)
        contacts = os.path.join(tmp, "contacts.csv")
        with open(contacts, "w") as fh:
            fh.write("domain,email,name\n")
            for d in bad[:5]:
                fh.write("%s,hostmaster@%s,Registrant of %s\n" % (d, d, d))
        zstest.zonesweep(env["ZS_BINARY"], "contacts", "import", contacts, "--db", db.conninfo,
                         check_rc=0)
        run_env = dict(os.environ, ZS_ZONE=os.path.join(env["ZS_TEST_WORLD"], "post.zone"),
                       ZS_TLD="post", ZS_DB=db.conninfo, ZS_RESOLVERS=env["ZS_UNBOUND_ADDR"],
                       ZS_REPORT_DIR=os.path.join(tmp, "reports"),
                       ZS_NOTICE_DIR=os.path.join(tmp, "notices"),
                       ZS_FROM="POST secretariat <secretariat@registry.example>",
                       ZS_BIN=env["ZS_BINARY"], ZS_NIGHTLY_CONF="/nonexistent",
                       ZS_SCAN_OPTS=" ".join(zstest.FAST_FAULTS + ["--quiet"]))
        p = subprocess.run([os.path.join(ROOT, "scripts", "nightly.sh")], env=run_env,
                           capture_output=True, text=True, timeout=600)
        check(p.returncode == 0, "nightly.sh exit %d:\n%s" % (p.returncode, p.stderr))
        rows = db.q("SELECT status FROM runs")
        check(rows == [["complete"]], "runs after the night: %r" % rows)
        boxes = os.listdir(os.path.join(tmp, "notices"))
        mbox_files = [b for b in boxes if b.endswith(".mbox.gz")]
        check(len(mbox_files) == 1, "notices written: %r" % boxes)
        raw = os.path.join(tmp, "notices.mbox")
        with gzip.open(os.path.join(tmp, "notices", mbox_files[0])) as src, open(raw, "wb") as dst:
            dst.write(src.read())
        msgs = list(mailbox.mbox(raw))
        to = sorted(m["To"].split("@")[-1].rstrip(">") for m in msgs)
        check(to == sorted(bad[:5]), "notices for %r, wanted %r" % (to, bad[:5]))
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)

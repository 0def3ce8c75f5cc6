#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a test world: a TLD zone, the authoritative zones that answer for its domains, and
the verdicts a correct scanner must reach for each domain.

The world is what the project proves itself on. Each domain is built from a *profile* that
publishes a known set of records (good mail domains, parked domains, and every way SPF, DMARC,
DKIM, MX and reverse DNS go wrong in the wild, plus DNS faults and hostile bytes). The expected
verdicts are computed here from the facts each profile declares, by a second, independent
implementation of the rules (see expected_verdicts()), not by the scanner's code.

Output directory layout:
  zones/<zone>.zone   every zone NSD serves (the TLD zone, each domain, providers, reverse)
  world.conf          "zone NAME FILE" lines for the rig, and "fault NAME KIND" lines
                      (KIND timeout: the rig forwards NAME to a server that never answers)
  expected.jsonl      one object per delegated domain: profile, facts, verdicts per policy
                      (and "verdicts_declared": the verdicts once declared.txt is imported)
  declared.txt        DKIM selectors the registry knows from registrants ("DOMAIN SELECTOR"
                      lines, for `zonesweep selectors import`)
  <tld>.zone          the TLD zone again, as a registry would publish it (the scan input)

The output depends only on the arguments: the same seed gives the same world, byte for byte.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys

TTL = 3600
DEAD_NS = "127.255.255.53"

# ---------------------------------------------------------------------------------------------
# DER encodings of public keys, so that DKIM records carry keys of a known size. A public key
# only has to parse: the modulus is a random odd number with its top bit set.


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # keeps a leading 0 when the top bit is set
    return der(0x02, b)


def rsa_spki(rng, bits):
    n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    rsa_key = der(0x30, der_int(n) + der_int(65537))
    alg = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return der(0x30, alg + der(0x03, b"\x00" + rsa_key))


def b64(data):
    import base64

    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------------------------------
# Zone text helpers


PLAIN = re.compile(rb"[ !#-\[\]-~]*")  # printable ASCII but '"' and '\\': kept as they are


def txt_rdata(value):
    """TXT rdata in master-file form: a str is split into 255-byte strings; a list is kept."""
    parts = value if isinstance(value, list) else None
    if parts is None:
        raw = value.encode("utf-8", "surrogateescape")
        parts = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    out = []
    for p in parts:
        if isinstance(p, str):
            p = p.encode("utf-8", "surrogateescape")
        if PLAIN.fullmatch(p):
            out.append('"%s"' % p.decode())
            continue
        s = ""
        for c in p:
            if c == 0x22 or c == 0x5C:
                s += "\\" + chr(c)
            elif c < 0x20 or c >= 0x7F:
                s += "\\%03d" % c
            else:
                s += chr(c)
        out.append('"%s"' % s)
    return " ".join(out)


class Zone:
    def __init__(self, name):
        self.name = name
        self.lines = []

    def add(self, owner, rtype, rdata, ttl=TTL):
        self.lines.append((owner, ttl, rtype, rdata))

    def text(self, serial=2026112401):
        out = [
            "$ORIGIN %s." % self.name,
            "$TTL %d" % TTL,
            "@ IN SOA ns1.dns-host.example. hostmaster.dns-host.example. "
            "%d 7200 3600 1209600 300" % serial,
            "@ IN NS ns1.dns-host.example.",
        ]
        for owner, ttl, rtype, rdata in self.lines:
            out.append("%s %d IN %s %s" % (owner, ttl, rtype, rdata))
        return "\n".join(out) + "\n"


class DSRef:
    """The DS rdata of a delegation, filled in when the zone file is written."""

    def __init__(self, domain):
        self.domain = domain


def reverse_name(addr):
    if ":" in addr:
        import ipaddress

        full = ipaddress.IPv6Address(addr).exploded.replace(":", "")
        return ".".join(reversed(full)) + ".ip6.arpa"
    return ".".join(reversed(addr.split("."))) + ".in-addr.arpa"


# ---------------------------------------------------------------------------------------------
# The world


class World:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.zones = {}
        self.faults = []
        self.expected = []
        self.tld_zones = {}  # tld -> Zone, in the order the TLDs were generated
        self.v4_next = 1
        self.v6_next = 1
        self.late_lines = {}  # tld -> lines that come at the end of its zone file
        self.ds_rdata = {}  # delegated domain -> its DS rdata
        self.declared = {}  # tld -> (domain, selector) declared to the registry
        self.provider()

    def zone(self, name):
        if name not in self.zones:
            self.zones[name] = Zone(name)
        return self.zones[name]

    def reverse(self, addr, target):
        if ":" in addr:
            z = self.zone("8.b.d.0.1.0.0.2.ip6.arpa")
        else:
            z = self.zone(".".join(reversed(addr.split(".")[:3])) + ".in-addr.arpa")
        z.add(reverse_name(addr) + ".", "PTR", target + ".")

    def new_v4(self):
        # 198.51.100.0/24 and 203.0.113.0/24 (documentation ranges) for the domains' own hosts
        n = self.v4_next
        self.v4_next += 1
        if n < 250:
            return "198.51.100.%d" % n
        if n < 500:
            return "203.0.113.%d" % (n - 249)
        # large worlds (benchmarks): the benchmarking range 198.18.0.0/15 (RFC 2544)
        n -= 500
        if n >= 2 * 256 * 250:
            raise SystemExit("gen_world: too many mail hosts for the address plan")
        return "198.%d.%d.%d" % (18 + n // (256 * 250), (n // 250) % 256, 1 + n % 250)

    def new_v6(self):
        n = self.v6_next
        self.v6_next += 1
        return "2001:db8:1::%x" % n

    def provider(self):
        """A mail provider, a DNS host and a few shared records under "example"."""
        ex = self.zone("example")
        # The world's name servers have addresses where nothing listens (loopback, never outside):
        # the rig makes every served zone a stub zone, so only lame delegations reach them.
        ex.add("ns1.dns-host", "A", DEAD_NS)
        ex.add("ns2.dns-host", "A", DEAD_NS)
        for i in (10, 11):
            ex.add("mx%d.mailhost" % (i - 9), "A", "192.0.2.%d" % i)
            self.reverse("192.0.2.%d" % i, "mx%d.mailhost.example" % (i - 9))
        ex.add("_spf.mailhost", "TXT", txt_rdata("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:2::/48 -all"))
        # A provider whose record nests includes (4 DNS-querying terms when expanded).
        ex.add("_spf.bigmail", "TXT",
               txt_rdata("v=spf1 include:_spf1.bigmail.example include:_spf2.bigmail.example ~all"))
        ex.add("_spf1.bigmail", "TXT", txt_rdata("v=spf1 ip4:192.0.2.128/25 -all"))
        ex.add("_spf2.bigmail", "TXT", txt_rdata("v=spf1 include:_spf3.bigmail.example -all"))
        ex.add("_spf3.bigmail", "TXT", txt_rdata("v=spf1 ip6:2001:db8:3::/48 -all"))
        # Eleven chained includes: an SPF record that includes _chain0 is over the limit.
        for i in range(11):
            nxt = "include:_chain%d.spam.example " % (i + 1) if i < 10 else ""
            ex.add("_chain%d.spam" % i, "TXT", txt_rdata("v=spf1 %s?all" % nxt))
        # A shared DMARC record that domains reach through a CNAME.
        ex.add("_dmarc.shared-dmarc", "TXT", txt_rdata("v=DMARC1; p=reject; rua=mailto:agg@shared-dmarc.example"))
        # The report destination of external rua= authorizes every domain (RFC 7489 7.1).
        ex.add("*._report._dmarc.shared-dmarc", "TXT", txt_rdata("v=DMARC1"))
        # An MX host whose address has a PTR that does not resolve back.
        ex.add("mx.lonely", "A", "192.0.2.20")
        self.reverse("192.0.2.20", "host-20.unresolvable.example")
        # A DKIM key shared through CNAME.
        ex.add("shared._domainkey.mailhost", "TXT", self.dkim_txt(2048))
        # A mail provider under its real names, so that what finds its customers' keys is the
        # provider table the scanner ships (Mailgun: SPF include:mailgun.org, MX mxa/mxb,
        # keys at pdk1/pdk2 behind CNAMEs into mailgun.com, documentation.mailgun.com).
        mg = self.zone("mailgun.org")
        mg.add("@", "TXT", txt_rdata("v=spf1 ip4:192.0.2.96/28 -all"))
        for host, i in (("mxa", 30), ("mxb", 31)):
            mg.add(host, "A", "192.0.2.%d" % i)
            self.reverse("192.0.2.%d" % i, "%s.mailgun.org" % host)
        self.zone("mailgun.com")
        # A provider no table knows, whose customers' keys sit at its own selector.
        ex.add("mx.relaymail", "A", "192.0.2.40")
        self.reverse("192.0.2.40", "mx.relaymail.example")
        ex.add("_spf.relaymail", "TXT", txt_rdata("v=spf1 ip4:192.0.2.40 -all"))

    def dkim_txt(self, bits, extra=""):
        if bits == "ed25519":
            key = b64(bytes(self.rng.getrandbits(8) for _ in range(32)))
            return txt_rdata("v=DKIM1; k=ed25519; p=" + key)
        if bits == 0:
            return txt_rdata("v=DKIM1; p=")
        return txt_rdata("v=DKIM1; k=rsa; %sp=%s" % (extra, b64(rsa_spki(self.rng, bits))))

    # -- the TLD zone -------------------------------------------------------------------------

    def delegate(self, tld, domain, owner_text=None, ds=False, in_bailiwick=False, split=False):
        label = domain[: -len(tld) - 1]
        owner = owner_text or label
        t = self.tld_zones.setdefault(tld, Zone(tld))
        if in_bailiwick:
            t.add(owner, "NS", "ns1.%s" % label)
            t.add("ns1.%s" % label, "A", DEAD_NS)
        else:
            t.add(owner, "NS", "ns1.dns-host.example.")
        if ds:
            # a DS of a key nobody holds, unless the world is signed (generate() then puts the
            # real DS of the child's key here)
            self.ds_rdata[domain] = "%d 13 2 %064X" % (self.rng.randrange(65536),
                                                        self.rng.getrandbits(256))
            t.add(owner, "DS", DSRef(domain))
        if split:
            # the second NS of this domain comes much later in the file (non-adjacent records)
            self.late_lines.setdefault(tld, []).append((owner, TTL, "NS", "ns2.dns-host.example."))
        else:
            t.add(owner, "NS", "ns2.dns-host.example.")

    def tld_text(self, tld):
        head = [
            "; %s zone, generated by tests/world/gen_world.py" % tld,
            "$ORIGIN %s." % tld,
            "$TTL %d" % TTL,
            "@ IN SOA ns1.dns-host.example. hostmaster.dns-host.example. (",
            "\t2026112401 ; serial",
            "\t7200 3600 1209600 300 )",
            "\tIN NS ns1.dns-host.example.",
            "\tIN NS ns2.dns-host.example.",
            # The TLD's own DMARC record (a public suffix domain record): not a delegation.
            '_dmarc IN TXT "v=DMARC1; p=reject; psd=y"',
        ]
        body = []
        prev = None
        for owner, ttl, rtype, rdata in self.tld_zones[tld].lines + self.late_lines.get(tld, []):
            if isinstance(rdata, DSRef):
                rdata = self.ds_rdata[rdata.domain]
            # omit repeated owners, as registries' zone files do
            shown = "\t" if owner == prev else owner
            body.append("%s %d IN %s %s" % (shown, ttl, rtype, rdata) if shown != "\t"
                        else "\t%d IN %s %s" % (ttl, rtype, rdata))
            prev = owner
        return "\n".join(head + body) + "\n"


# ---------------------------------------------------------------------------------------------
# Profiles. Each publishes records for one domain and returns the facts a scanner must find.
# Facts use the vocabulary of the rules: mx ("mail", "null", "none"), spf_count, spf_valid,
# spf_authorizes, spf_senders (some v=spf1 record names a sender: a pass-qualified a, mx, ip4,
# ip6, include, exists, ptr or all, or redirect=, whether the record is valid or not), spf_all,
# dmarc_count, dmarc_valid, dmarc_p, dmarc_pct, dmarc_sp, dmarc_adkim,
# dmarc_aspf, dkim_rsa_bits (largest valid RSA key, 0 if none), dkim_wildcard_empty, rdns
# ("ok", "missing", "mismatch", "unresolvable"), and faults: the lookups that fail.


def mail_host(w, d, zone, rdns="ok", name="mail", v6=False):
    addr = w.new_v4()
    zone.add(name, "A", addr)
    host = "%s.%s" % (name, d)
    if rdns == "ok":
        w.reverse(addr, host)
    elif rdns == "mismatch":
        w.reverse(addr, "nowhere.%s" % d)
    elif rdns == "root":
        w.reverse(addr, "")  # "PTR .": a name that cannot resolve back
    if v6:
        a6 = w.new_v6()
        zone.add(name, "AAAA", a6)
        if rdns == "ok":
            w.reverse(a6, host)
    return host


def std_dkim(w, z, bits=2048, selector="selector1"):
    z.add("%s._domainkey" % selector, "TXT", w.dkim_txt(bits))


def base_facts():
    # cname_out: some own name is a CNAME into another (unsigned) zone
    return dict(mx="mail", mx_count=1, ds=False, cname_out=False, spf_count=1, spf_valid=True, spf_authorizes=True,
                spf_senders=True, spf_all="-",
                dmarc_count=1, dmarc_valid=True, dmarc_p="reject", dmarc_pct=100, dmarc_sp=None,
                dmarc_adkim="r", dmarc_aspf="r", dmarc_broken=0, dkim_rsa_bits=2048,
                dkim_wildcard_empty=False,
                rdns="ok", faults=[])


def p_good_mail(w, d, z):
    mail_host(w, d, z, v6=True)
    z.add("@", "MX", "10 mail")
    z.add("@", "TXT", txt_rdata("v=spf1 mx include:_spf.mailhost.example -all"))
    z.add("@", "TXT", txt_rdata("google-site-verification=abc123"))
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s; rua=mailto:dmarc@%s" % d))
    std_dkim(w, z)
    f = base_facts()
    f.update(dmarc_sp="reject", dmarc_adkim="s", dmarc_aspf="s")
    return f


def p_provider_mail(w, d, z):
    z.add("@", "MX", "10 mx1.mailhost.example.")
    z.add("@", "MX", "20 mx2.mailhost.example.")
    z.add("@", "TXT", txt_rdata("v=spf1 include:_spf.mailhost.example -all"))
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=quarantine; pct=50; rua=mailto:agg@shared-dmarc.example"))
    z.add("google._domainkey", "CNAME", "shared._domainkey.mailhost.example.")
    f = base_facts()
    f.update(dmarc_p="quarantine", dmarc_pct=50, cname_out=True)
    return f


def p_good_nomail(w, d, z):
    z.add("@", "MX", "0 .")
    z.add("@", "TXT", txt_rdata("v=spf1 -all"))
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"))
    z.add("*._domainkey", "TXT", txt_rdata("v=DKIM1; p="))
    f = base_facts()
    f.update(mx="null", spf_authorizes=False, spf_senders=False, dkim_rsa_bits=0, dkim_wildcard_empty=True,
             dmarc_sp="reject", dmarc_adkim="s", dmarc_aspf="s", rdns=None)
    return f


def p_parked_bare(w, d, z):
    # no MX, no records at all: a non-mail domain that publishes nothing
    z.add("www", "A", "192.0.2.80")
    f = base_facts()
    f.update(mx="none", spf_count=0, spf_valid=False, spf_authorizes=False, spf_senders=False, spf_all=None,
             dmarc_count=0, dmarc_valid=False, dmarc_p=None, dkim_rsa_bits=0, rdns=None)
    return f


def mail_domain(w, d, z, spf=None, dmarc="v=DMARC1; p=reject", dkim=2048, rdns="ok"):
    mail_host(w, d, z, rdns=rdns)
    z.add("@", "MX", "10 mail")
    for rec in ([spf] if isinstance(spf, str) else spf or []):
        z.add("@", "TXT", txt_rdata(rec))
    for rec in ([dmarc] if isinstance(dmarc, str) else dmarc or []):
        z.add("_dmarc", "TXT", txt_rdata(rec))
    if dkim:
        std_dkim(w, z, dkim)
    f = base_facts()
    f["rdns"] = rdns
    f["dkim_rsa_bits"] = dkim if isinstance(dkim, int) else 0
    return f


def p_no_spf(w, d, z):
    f = mail_domain(w, d, z, spf=None)
    f.update(spf_count=0, spf_valid=False, spf_authorizes=False, spf_senders=False, spf_all=None)
    return f


def p_two_spf(w, d, z):
    f = mail_domain(w, d, z, spf=["v=spf1 mx -all", "v=spf1 a -all"])
    f.update(spf_count=2, spf_valid=False)
    return f


def p_spf_syntax(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 ip4:300.1.1.1 mx -all")
    f.update(spf_valid=False)
    return f


def p_spf_plus_all(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx +all")
    f.update(spf_all="+")
    return f


def p_spf_toomany(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx include:_chain0.spam.example -all")
    f.update(spf_valid=False)
    return f


def p_spf_split(w, d, z):
    # one TXT record of two character-strings, joined without a separator (RFC 7208 3.3)
    f = mail_domain(w, d, z, spf=None)
    z.add("@", "TXT", txt_rdata(["v=spf1 mx ip4:198.51.100.0/24 ",
                                  "include:_spf.bigmail.example -all"]))
    return f


def p_spf_softfail_redirect(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 redirect=_spf.bigmail.example")
    f.update(spf_all="~")
    return f


def p_spf_unlisted_voids(w, d, z):
    # two relays that are gone, then a per-address whitelist: the static terms leave two void
    # lookups, and for every sender the record does not list, exists:%{i} is the third
    # (RFC 7208 4.6.4): permerror, so "-all" never applies to a forger
    f = mail_domain(w, d, z, spf="v=spf1 mx a:relay-old.%s a:relay-backup.%s "
                    "exists:%%{i}._spf.%s -all" % (d, d, d))
    z.add("192.0.2.10._spf", "A", "127.0.0.2")  # the one address it lists
    f.update(spf_valid=False)
    return f


def p_spf_unlisted_include(w, d, z):
    # a per-address include: the unlisted sender's name has no SPF record (include_none)
    f = mail_domain(w, d, z, spf="v=spf1 mx include:%%{ir}.%%{v}._spf.%s -all" % d)
    z.add("10.2.0.192.in-addr._spf", "TXT", txt_rdata("v=spf1 ip4:192.0.2.10 -all"))
    f.update(spf_valid=False)
    return f


def p_spf_type99_only(w, d, z):
    f = mail_domain(w, d, z, spf=None)
    z.add("@", "SPF", txt_rdata("v=spf1 mx -all"))
    f.update(spf_count=0, spf_valid=False, spf_authorizes=False, spf_senders=False, spf_all=None)
    return f


def p_spf_no_hosts(w, d, z):
    # a mail domain whose SPF authorizes nobody
    f = mail_domain(w, d, z, spf="v=spf1 -all")
    f.update(spf_authorizes=False, spf_senders=False)
    return f


def p_dmarc_none(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dmarc="v=DMARC1; p=none; rua=mailto:d@%s" % d)
    f.update(dmarc_p="none")
    return f


def p_dmarc_missing(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dmarc=None)
    f.update(dmarc_count=0, dmarc_valid=False, dmarc_p=None)
    return f


def p_dmarc_two(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dmarc=["v=DMARC1; p=reject", "v=DMARC1; p=none"])
    f.update(dmarc_count=2, dmarc_valid=False, dmarc_p=None)
    return f


def p_dmarc_invalid(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dmarc="v=DMARC1; p=bogus")
    f.update(dmarc_valid=False, dmarc_p=None)
    return f


# A valid p= beside one broken tag, as real records have them (../shared/realworld/dmarc.tsv and
# the examples): receivers discard the broken tag and apply p= (RFC 7489 6.3).
DMARC_BROKEN_TAG = [
    # record, the policy in force, the alignment in force (adkim, aspf)
    ("v=DMARC1; p=reject; rua=dmarcreports@{d}; fo=1; ri=86400", "reject", ("r", "r")),
    ("v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}; adkim=s; aspf=s fo=1", "quarantine", ("s", "r")),
    ("v=DMARC1; p=none; rua=mailto:a@{d}, ruf=mailto:b@{d};", "none", ("r", "r")),
    ("v=DMARC1; p=reject; pct=1OO; sp=reject", "reject", ("r", "r")),
]


def p_dmarc_broken_tag(w, d, z):
    record, p, (adkim, aspf) = w.rng.choice(DMARC_BROKEN_TAG)
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dmarc=record.format(d=d))
    f.update(dmarc_p=p, dmarc_adkim=adkim, dmarc_aspf=aspf, dmarc_broken=1,
             dmarc_sp="reject" if "sp=reject" in record else None)
    return f


def p_dmarc_cname(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dmarc=None)
    z.add("_dmarc", "CNAME", "_dmarc.shared-dmarc.example.")
    f["cname_out"] = True
    return f


def p_dkim_1024(w, d, z):
    return mail_domain(w, d, z, spf="v=spf1 mx -all", dkim=1024)


def p_dkim_ed25519(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dkim=None)
    z.add("ed._domainkey", "TXT", w.dkim_txt("ed25519"))
    z.add("default._domainkey", "TXT", w.dkim_txt("ed25519"))
    return f


def p_dkim_custom_selector(w, d, z):
    # a good key at a selector no list guesses: found only when the registrant declares it
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dkim=None)
    z.add("zs2026q4._domainkey", "TXT", w.dkim_txt(2048))
    z.add("_domainkey", "TXT", txt_rdata("o=-"))  # an old DomainKeys policy record
    f.update(dkim_rsa_bits=0, dkim_declared_bits=2048, dkim_selector="zs2026q4")
    return f


# Selectors common in the wild that the scanner's first list (34 selectors) lacked: among the
# fifty seen at most domains by the zkemail DKIM archive (zkemail/archive.prove.email,
# util/dnsbatch/selector_frequencies_gt1.txt). A key there is found by any scanner that probes
# the selectors measured to be common.
COMMON_SELECTORS = ("m1", "pic", "mx", "intercom", "hs1", "dk", "kl", "10dkim1", "zendesk1",
                    "email", "mta", "sm")


def p_dkim_common_selector(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dkim=None)
    sel = w.rng.choice(COMMON_SELECTORS)
    z.add("%s._domainkey" % sel, "TXT", w.dkim_txt(2048))
    f.update(dkim_rsa_bits=2048, dkim_selector=sel)
    return f


def hosted_domain(w, z, mx_hosts, spf_include, selector, key_zone, key_owner):
    """A domain whose mail a provider handles: its MX hosts, an SPF record including the
    provider's, DMARC p=reject, and its DKIM key in the provider's zone behind a CNAME."""
    for i, host in enumerate(mx_hosts):
        z.add("@", "MX", "%d %s." % (10 * (i + 1), host))
    z.add("@", "TXT", txt_rdata("v=spf1 include:%s -all" % spf_include))
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=reject"))
    w.zone(key_zone).add(key_owner, "TXT", w.dkim_txt(2048))
    z.add("%s._domainkey" % selector, "CNAME", "%s.%s." % (key_owner, key_zone))
    f = base_facts()
    f.update(mx_count=len(mx_hosts), cname_out=True, dkim_selector=selector)
    return f


def p_dkim_provider_selector(w, d, z):
    # mail through Mailgun, named by the MX hosts and the SPF include; the key at pdk1, which
    # no common list holds, as Mailgun publishes it: a CNAME into mailgun.com
    return hosted_domain(w, z, ["mxa.mailgun.org", "mxb.mailgun.org"], "mailgun.org", "pdk1",
                         "mailgun.com", "pdk1._domainkey.%s.dkim1" % d.split(".")[0])


def p_dkim_learned(w, d, z):
    # mail through relaymail.example (MX and SPF include), the key at the provider's own
    # selector rm2026 behind a CNAME into its zone: no list or table knows it. The first such
    # domain of each TLD is declared to the registry (declared.txt); a scanner that learns
    # across the zone then finds the key at every other domain of the provider too.
    f = hosted_domain(w, z, ["mx.relaymail.example"], "_spf.relaymail.example", "rm2026",
                      "example", "rm2026.%s.dkim.relaymail" % d.split(".")[0])
    w.declared.setdefault(d.split(".", 1)[1], (d, "rm2026"))
    # without a declaration nothing asks rm2026: no answer of the domain leaves its zone
    f.update(dkim_rsa_bits=0, dkim_hidden_bits=2048, cname_out=False)
    return f


def p_dkim_undiscoverable(w, d, z):
    # a key at a selector nobody can guess and nothing names: _domainkey exists (an empty
    # non-terminal), so the scanner must say it could not find the key and ask for the
    # selector, never report "no DKIM"
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dkim=None)
    z.add("q%06x._domainkey" % w.rng.getrandbits(24), "TXT", w.dkim_txt(2048))
    f.update(dkim_rsa_bits=0, reasons={"post": {"POST-MX-DKIM": "zonesweep selectors import"}})
    return f


def p_dkim_revoked(w, d, z):
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", dkim=None)
    z.add("selector1._domainkey", "TXT", w.dkim_txt(0))
    return f


def p_mail_no_dkim(w, d, z):
    # a mail domain that never set up DKIM: nothing below _domainkey (NXDOMAIN, RFC 8020), so
    # no key can exist; among the commonest .POST violations in a real zone
    f = mail_domain(w, d, z, spf="v=spf1 mx include:_spf.mailhost.example -all",
                    dmarc="v=DMARC1; p=none; rua=mailto:dmarc@%s" % d, dkim=None)
    f.update(dkim_rsa_bits=0, dmarc_p="none")
    return f


def p_rdns_ptr_root(w, d, z):
    # the mail host's address has a PTR naming the root: not forward-confirmed (a mismatch),
    # never a failed lookup
    f = mail_domain(w, d, z, spf="v=spf1 mx -all", rdns="root")
    f["rdns"] = "mismatch"
    return f


def p_rdns_missing(w, d, z):
    return mail_domain(w, d, z, spf="v=spf1 mx -all", rdns="missing")


def p_rdns_mismatch(w, d, z):
    return mail_domain(w, d, z, spf="v=spf1 mx -all", rdns="mismatch")


def p_mx_unresolvable(w, d, z):
    z.add("@", "MX", "10 nohost")
    z.add("@", "TXT", txt_rdata("v=spf1 ip4:198.51.100.1 -all"))
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=reject"))
    std_dkim(w, z)
    f = base_facts()
    f.update(rdns="unresolvable")
    return f


def p_nomail_bad_spf(w, d, z):
    f = p_good_nomail(w, d, z)
    z.lines = [l for l in z.lines if not (l[2] == "TXT" and "spf1" in l[3])]
    z.add("@", "TXT", txt_rdata("v=spf1 ~all"))
    f.update(spf_all="~")
    return f


def p_nomail_no_wildcard(w, d, z):
    f = p_good_nomail(w, d, z)
    z.lines = [l for l in z.lines if l[0] != "*._domainkey"]
    f.update(dkim_wildcard_empty=False)
    return f


def p_nomail_dmarc_none(w, d, z):
    f = p_good_nomail(w, d, z)
    z.lines = [l for l in z.lines if l[0] != "_dmarc"]
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=none"))
    f.update(dmarc_p="none", dmarc_sp=None, dmarc_adkim="r", dmarc_aspf="r")
    return f


def p_big_txt(w, d, z):
    f = p_good_mail(w, d, z)
    # an apex TXT RRset well over 1232 bytes: only TCP gets it whole
    for i in range(12):
        z.add("@", "TXT", txt_rdata("verification-token-%02d=" % i + "x" * 120))
    return f


HUGE_TXT_KB = 120  # set by --huge-txt-kb


def p_huge_txt(w, d, z):
    # a hostile size: HUGE_TXT_KB of TXT records that say nothing, at the apex and at _dmarc
    # (records there that are not DMARC records are discarded, RFC 7489 6.6.3), at most 60 KB
    # at each name (one DNS message holds 64 KiB)
    f = p_good_mail(w, d, z)
    left = HUGE_TXT_KB * 1024
    for owner in ("@", "_dmarc"):
        size = min(left, 60 * 1024)
        left -= size
        for i in range(size // 1024):
            z.add(owner, "TXT", txt_rdata("filler-%03d=" % i + "%04x" % i * 253))
    return f


def p_hostile(w, d, z):
    f = mail_domain(w, d, z, spf=None)
    z.add("@", "TXT", txt_rdata('=HYPERLINK("http://attacker.invalid","click")'))
    z.add("@", "TXT", txt_rdata("<script>alert(1)</script>"))
    z.add("@", "TXT", txt_rdata([b"bin\x00ary\x80\xff\r\nBcc: victim@example.com"]))
    z.add("_dmarc", "TXT", txt_rdata("+cmd|' /C calc'!A0"))
    f.update(spf_count=0, spf_valid=False, spf_authorizes=False, spf_senders=False, spf_all=None)
    return f


def p_many_mx(w, d, z):
    # ip4 rather than mx: an "mx" mechanism over more than 10 MX records is a permerror
    f = mail_domain(w, d, z, spf="v=spf1 ip4:198.51.100.0/24 include:_spf.mailhost.example -all")
    for i in range(11):
        z.add("@", "MX", "%d mx%d.mailhost.example." % (20 + i, 1 + i % 2))
    f["mx_count"] = 12
    return f


def p_spf_mx_over_limit(w, d, z):
    # the mx mechanism of a domain with 12 MX records: permerror (RFC 7208 4.6.4)
    f = mail_domain(w, d, z, spf="v=spf1 mx -all")
    for i in range(11):
        z.add("@", "MX", "%d mx%d.mailhost.example." % (20 + i, 1 + i % 2))
    f.update(mx_count=12, spf_valid=False)
    return f


def nomx_sender(w, d, z, spf):
    """A domain without MX that sends mail through others, with a broken SPF record (a list:
    several records): receivers reject its record, fTLD's FTLD-SPF fails."""
    z.add("www", "A", "192.0.2.80")
    for rec in spf if isinstance(spf, list) else [spf]:
        z.add("@", "TXT", txt_rdata(rec))
    z.add("_dmarc", "TXT", txt_rdata("v=DMARC1; p=reject; rua=mailto:agg@shared-dmarc.example"))
    f = base_facts()
    f.update(mx="none", spf_count=len(spf) if isinstance(spf, list) else 1, spf_valid=False,
             spf_senders=True, dkim_rsa_bits=0, rdns=None)
    return f


def p_nomx_spf_two(w, d, z):
    return nomx_sender(w, d, z, ["v=spf1 include:_spf.mailhost.example -all",
                                 "v=spf1 ip4:198.51.100.0/24 -all"])


def p_nomx_spf_toomany(w, d, z):
    return nomx_sender(w, d, z, "v=spf1 include:_chain0.spam.example -all")


def p_nomx_spf_include_none(w, d, z):
    # the provider's SPF name is gone: include of a name without SPF
    return nomx_sender(w, d, z, "v=spf1 include:_spf.oldmail.example -all")


def p_nomx_spf_syntax(w, d, z):
    return nomx_sender(w, d, z, "v=spf1 include:_spf.mailhost.example ip4:198.51.100.300 -all")


def p_nomx_spf_voids(w, d, z):
    # three hosts that are gone: the third void lookup (RFC 7208 4.6.4)
    return nomx_sender(w, d, z, "v=spf1 a:relay1.%s a:relay2.%s a:relay3.%s -all" % (d, d, d))


def p_timeout(w, d, z):
    p_good_mail(w, d, z)
    w.faults.append((d, "timeout"))
    f = base_facts()
    f["faults"] = ["all"]
    return f


def p_dmarc_timeout(w, d, z):
    f = p_good_mail(w, d, z)
    w.faults.append(("_dmarc." + d, "timeout"))
    f["faults"] = ["dmarc"]
    return f


def p_dkim_timeout(w, d, z):
    f = p_good_mail(w, d, z)
    w.faults.append(("_domainkey." + d, "timeout"))
    f["faults"] = ["dkim"]
    return f


def p_lame(w, d, z):
    # delegated in the TLD zone, but no server has the zone
    f = base_facts()
    f["faults"] = ["all"]
    return f


PROFILES = [
    # name, weight, builder, options for delegate()
    ("good-mail", 12, p_good_mail),
    ("provider-mail", 8, p_provider_mail),
    ("good-nomail", 8, p_good_nomail),
    ("parked-bare", 4, p_parked_bare),
    ("no-spf", 3, p_no_spf),
    ("two-spf", 2, p_two_spf),
    ("spf-syntax", 2, p_spf_syntax),
    ("spf-plus-all", 2, p_spf_plus_all),
    ("spf-toomany", 2, p_spf_toomany),
    ("spf-split", 2, p_spf_split),
    ("spf-redirect-softfail", 2, p_spf_softfail_redirect),
    ("spf-unlisted-voids", 1, p_spf_unlisted_voids),
    ("spf-unlisted-include", 1, p_spf_unlisted_include),
    ("spf-type99-only", 1, p_spf_type99_only),
    ("spf-no-hosts", 1, p_spf_no_hosts),
    ("dmarc-none", 3, p_dmarc_none),
    ("dmarc-missing", 3, p_dmarc_missing),
    ("dmarc-two", 1, p_dmarc_two),
    ("dmarc-invalid", 2, p_dmarc_invalid),
    ("dmarc-broken-tag", 2, p_dmarc_broken_tag),
    ("dmarc-cname", 2, p_dmarc_cname),
    ("dkim-1024", 2, p_dkim_1024),
    ("dkim-ed25519-only", 1, p_dkim_ed25519),
    ("dkim-revoked", 1, p_dkim_revoked),
    ("dkim-custom-selector", 1, p_dkim_custom_selector),
    ("mail-no-dkim", 10, p_mail_no_dkim),
    ("dkim-common-selector", 3, p_dkim_common_selector),
    ("dkim-provider-selector", 2, p_dkim_provider_selector),
    ("dkim-learned", 3, p_dkim_learned),
    ("dkim-undiscoverable", 2, p_dkim_undiscoverable),
    ("rdns-missing", 2, p_rdns_missing),
    ("rdns-ptr-root", 1, p_rdns_ptr_root),
    ("rdns-mismatch", 2, p_rdns_mismatch),
    ("mx-unresolvable", 1, p_mx_unresolvable),
    ("nomail-bad-spf", 2, p_nomail_bad_spf),
    ("nomail-no-dkim-wildcard", 2, p_nomail_no_wildcard),
    ("nomail-dmarc-none", 2, p_nomail_dmarc_none),
    ("big-txt", 1, p_big_txt),
    ("hostile", 1, p_hostile),
    ("many-mx", 1, p_many_mx),
    ("spf-mx-over-limit", 1, p_spf_mx_over_limit),
    ("nomx-spf-two", 1, p_nomx_spf_two),
    ("nomx-spf-toomany", 1, p_nomx_spf_toomany),
    ("nomx-spf-include-none", 1, p_nomx_spf_include_none),
    ("nomx-spf-syntax", 1, p_nomx_spf_syntax),
    ("nomx-spf-voids", 1, p_nomx_spf_voids),
    ("timeout", 1, p_timeout),
    ("dmarc-timeout", 1, p_dmarc_timeout),
    ("dkim-timeout", 1, p_dkim_timeout),
    ("lame", 1, p_lame),
]


# ---------------------------------------------------------------------------------------------
# The rules, restated independently of the scanner (docs/policies.md is their manual).


def expected_verdicts(f, today="2026-11-24", declared=False):
    """The verdicts of each policy; with @declared, once the world's declared.txt is imported
    (keys only a declared selector, or learning from one, reaches count then)."""
    if declared:
        f = dict(f, dkim_rsa_bits=max(f["dkim_rsa_bits"], f.get("dkim_hidden_bits", 0)))
    failed = f["faults"]
    allf = "all" in failed
    post = {}
    ftld = {}
    if allf:
        for r in ("POST-MX-SPF", "POST-MX-DKIM", "POST-MX-DMARC", "POST-MX-RDNS",
                  "POST-NOMX-SPF", "POST-NOMX-DKIM", "POST-NOMX-DMARC"):
            post[r] = "error"
        for r in ("FTLD-DMARC-VALID", "FTLD-DMARC-REJECT", "FTLD-SPF", "FTLD-DMARC-STRICT",
                  "FTLD-DMARC-SP", "FTLD-DMARC-TAGS", "FTLD-SPF-ALL"):
            ftld[r] = "error"
        post["POST-SPF-ALL"] = post["POST-MX-WELLFORMED"] = post["POST-DMARC-TAGS"] = "error"
        ftld["FTLD-DNSSEC"] = "pass" if f["ds"] else "warn"
        return post, ftld
    mail = f["mx"] == "mail"
    spf_ok = f["spf_count"] == 1 and f["spf_valid"]
    dmarc_ok = f["dmarc_count"] == 1 and f["dmarc_valid"]
    dmarc_err = "dmarc" in failed
    dkim_err = "dkim" in failed

    def v(cond):
        return "pass" if cond else "fail"

    if mail:
        post["POST-MX-SPF"] = v(spf_ok and f["spf_authorizes"] and f["spf_all"] != "+")
        post["POST-MX-DKIM"] = "error" if dkim_err else v(f["dkim_rsa_bits"] >= 2048)
        post["POST-MX-DMARC"] = "error" if dmarc_err else v(dmarc_ok)
        post["POST-MX-RDNS"] = {"ok": "pass", "mismatch": "warn"}.get(f["rdns"], "fail")
        for r in ("POST-NOMX-SPF", "POST-NOMX-DKIM", "POST-NOMX-DMARC"):
            post[r] = "na"
    else:
        for r in ("POST-MX-SPF", "POST-MX-DKIM", "POST-MX-DMARC", "POST-MX-RDNS"):
            post[r] = "na"
        post["POST-NOMX-SPF"] = v(f["spf_count"] == 1 and f["spf_valid"] and f["spf_all"] == "-"
                                  and not f["spf_authorizes"])
        post["POST-NOMX-DKIM"] = "error" if dkim_err else v(f["dkim_wildcard_empty"])
        post["POST-NOMX-DMARC"] = "error" if dmarc_err else v(dmarc_ok and f["dmarc_p"] == "reject")

    spf_all = "na" if not spf_ok else "pass" if f["spf_all"] == "-" else "warn"
    post["POST-SPF-ALL"] = spf_all
    post["POST-MX-WELLFORMED"] = "warn" if f["mx_count"] > 10 else "pass"
    ftld["FTLD-SPF-ALL"] = spf_all
    # fTLD's "domain used to send email": a non-null MX, or SPF that names senders, valid or not
    sending = mail or f["spf_senders"]
    # a record in force whose other tags are broken: a warning of its own (RFC 7489 6.3)
    tags = "error" if dmarc_err else "na" if not dmarc_ok else "warn" if f["dmarc_broken"] else "pass"
    post["POST-DMARC-TAGS"] = ftld["FTLD-DMARC-TAGS"] = tags
    if dmarc_err:
        for r in ("FTLD-DMARC-VALID", "FTLD-DMARC-REJECT", "FTLD-DMARC-STRICT", "FTLD-DMARC-SP"):
            ftld[r] = "error"
    else:
        ftld["FTLD-DMARC-VALID"] = v(dmarc_ok)
        ftld["FTLD-DMARC-REJECT"] = v(dmarc_ok and f["dmarc_p"] == "reject" and f["dmarc_pct"] == 100)
        if dmarc_ok:
            ftld["FTLD-DMARC-STRICT"] = "pass" if (f["dmarc_adkim"], f["dmarc_aspf"]) == ("s", "s") else "warn"
            ftld["FTLD-DMARC-SP"] = "pass" if f["dmarc_sp"] is not None else "warn"
        else:
            ftld["FTLD-DMARC-STRICT"] = "na"
            ftld["FTLD-DMARC-SP"] = "na"
    ftld["FTLD-SPF"] = v(spf_ok) if sending else "na"
    ftld["FTLD-DNSSEC"] = "pass" if f["ds"] else "warn"
    return post, ftld


def status_of(verdicts):
    vals = set(verdicts.values())
    if "fail" in vals:
        return "non-compliant"
    if "error" in vals:
        return "indeterminate"
    return "compliant"


FAULT_PROFILES = ("timeout", "dmarc-timeout", "dkim-timeout", "lame")


# Profiles that only a TLD of their own uses (--tld NAME:COUNT:PROFILE).
ONLY_PROFILES = [
    ("huge-txt", 0, p_huge_txt),
]


def populate(w, tld, count, faults=True, only=None):
    profiles = [p for p in PROFILES if faults or p[0] not in FAULT_PROFILES]
    if only is not None:
        profiles = [p for p in PROFILES + ONLY_PROFILES if p[0] == only]
        profiles = [(name, 1, builder) for name, _, builder in profiles]
    plan = list(profiles)  # every profile at least once, then weighted draws
    weights = [p[1] for p in profiles]
    while len(plan) < count:
        plan.append(w.rng.choices(profiles, weights)[0])
    for i, (pname, _, builder) in enumerate(plan[:count]):
        label = "%s-%d" % (pname, i)
        d = "%s.%s" % (label, tld)
        # a domain that no server answers for has no zone of its own
        z = w.zone(d) if pname not in ("lame", "timeout") else Zone(d)
        facts = builder(w, d, z)
        r = w.rng.random()
        owner_text = None
        if r < 0.05:
            owner_text = label.upper()  # owners are case-insensitive
        elif r < 0.10:
            owner_text = d + "."  # absolute owner
        facts["ds"] = w.rng.random() < 0.3
        w.delegate(tld, d, owner_text=owner_text, ds=facts["ds"],
                   in_bailiwick=w.rng.random() < 0.1, split=w.rng.random() < 0.05)
        post, ftld = expected_verdicts(facts)
        dpost, dftld = expected_verdicts(facts, declared=True)
        w.expected.append(dict(domain=d, tld=tld, profile=pname, facts=facts,
                               verdicts={"post": post, "ftld": ftld},
                               status={"post": status_of(post), "ftld": status_of(ftld)},
                               verdicts_declared={"post": dpost, "ftld": dftld},
                               reasons=facts.pop("reasons", {})))


def sign_zone(out, name, path):
    """Sign a zone file with a new ECDSA P-256 key (ldns-keygen, ldns-signzone, from Debian's
    ldnsutils); the signed file is path + ".signed". Returns the DS rdata and the DS file."""
    keys = os.path.join(out, "keys")
    os.makedirs(keys, exist_ok=True)
    r = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", name], cwd=keys,
                       capture_output=True, text=True, check=True)
    base = os.path.join(keys, r.stdout.strip())
    subprocess.run(["ldns-signzone", "-o", name, "-f", path + ".signed", path, base], check=True,
                   capture_output=True)
    with open(base + ".ds") as fh:
        fields = fh.read().split()
    return " ".join(fields[3:]), base + ".ds"


def generate(out, tlds, seed, faults=True, dnssec=False):
    w = World(seed)
    for tld, count, only in tlds:
        populate(w, tld, count, faults, only)
    os.makedirs(os.path.join(out, "zones"), exist_ok=True)
    conf = []
    signed = set()
    for name in sorted(w.zones):
        path = os.path.join(out, "zones", name + ".zone")
        with open(path, "w") as fh:
            fh.write(w.zones[name].text())
        if dnssec and name in w.ds_rdata:
            w.ds_rdata[name], _ = sign_zone(out, name, path)
            signed.add(name)
    for tld in w.tld_zones:
        text = w.tld_text(tld)
        path = os.path.join(out, "zones", tld + ".zone")
        with open(path, "w") as fh:
            fh.write(text)
        if dnssec:
            _, anchor = sign_zone(out, tld, path)
            conf.append("anchor %s" % os.path.relpath(anchor, out))
            shutil.copyfile(path + ".signed", os.path.join(out, tld + ".zone"))
            signed.add(tld)
        else:
            with open(os.path.join(out, tld + ".zone"), "w") as fh:
                fh.write(text)
        conf.append("zone %s %s.zone%s" % (tld, tld, ".signed" if tld in signed else ""))
    for name in sorted(w.zones):
        conf.append("zone %s %s.zone%s" % (name, name, ".signed" if name in signed else ""))
    for name, kind in w.faults:
        conf.append("fault %s %s" % (name, kind))
    with open(os.path.join(out, "world.conf"), "w") as fh:
        fh.write("\n".join(conf) + "\n")
    with open(os.path.join(out, "declared.txt"), "w") as fh:
        fh.write("# DKIM selectors registrants declared (zonesweep selectors import)\n")
        for tld in sorted(w.declared):
            fh.write("%s %s\n" % w.declared[tld])
    with open(os.path.join(out, "expected.jsonl"), "w") as fh:
        for e in sorted(w.expected, key=lambda e: e["domain"]):
            e["facts"]["signed"] = e["domain"] in signed
            fh.write(json.dumps(e, sort_keys=True) + "\n")


def main():
    global HUGE_TXT_KB
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--tld", action="append", metavar="TLD[:COUNT[:PROFILE]]",
                    help="a TLD of the world and its number of domains, all of one profile "
                    "when PROFILE is given (repeatable; default post:300)")
    ap.add_argument("--huge-txt-kb", type=int, default=HUGE_TXT_KB, metavar="KB",
                    help="TXT each domain of the huge-txt profile publishes (default %(default)s, "
                    "at most 120)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-faults", action="store_true",
                    help="leave out the DNS-fault profiles (for benchmarks)")
    ap.add_argument("--dnssec", action="store_true",
                    help="sign the TLD zones and the domains with DS records (new keys each "
                    "time: the output is not deterministic)")
    a = ap.parse_args()
    tlds = []
    HUGE_TXT_KB = a.huge_txt_kb
    if not 1 <= HUGE_TXT_KB <= 120:
        ap.error("--huge-txt-kb %d: between 1 and 120" % HUGE_TXT_KB)
    known = [p[0] for p in PROFILES + ONLY_PROFILES]
    for spec in a.tld or ["post:300"]:
        name, _, count = spec.partition(":")
        count, _, only = count.partition(":")
        if only and only not in known:
            ap.error("--tld %s: unknown profile %s" % (spec, only))
        name = name.lower().strip(".")
        try:
            n = int(count) if count else 300
        except ValueError:
            ap.error("--tld %s: COUNT is not a number" % spec)
        if not name or n < 1:
            ap.error("--tld %s: needs a name and a count of at least 1" % spec)
        tlds.append((name, n, only or None))
    generate(a.out, tlds, a.seed, faults=not a.no_faults, dnssec=a.dnssec)


if __name__ == "__main__":
    sys.exit(main())

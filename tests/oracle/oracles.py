# SPDX-License-Identifier: MIT
"""Independent implementations the scanner is compared with, and the ledger of the differences
that remain.

The oracles are other people's code, installed from Debian and run by Debian's own
/usr/bin/python3 (scripts/lib.sh installs them):
  - pyspf (python3-spf): RFC 7208 check_host() and its record syntax;
  - dkimpy (python3-dkim): the DKIM key record as its verifier reads it (dkim.evaluate_pk(),
    then the verifier's 1024-bit minimum, RFC 8301 3.2);
  - OpenDMARC (libopendmarc2, the library of the opendmarc milter): a DMARC record as that
    receiver reads it (opendmarc_policy_parse_dmarc()).

Each comparison keeps a ledger: every disagreement must be listed in differences.json with the
RFC section that decides it and why, and every listed disagreement must still happen, so the
list stays true. A test fails on a new, unlisted difference and on a listed one that is gone.
"""

import ctypes
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIFFERENCES = os.path.join(HERE, "differences.json")


class Failure(Exception):
    pass


def binary():
    zs = os.environ.get("ZS_BINARY")
    if not zs:
        raise Failure("ZS_BINARY is not set: run the tests through scripts/test.sh (ctest sets "
                      "it to the zonesweep it built)")
    return zs


def shared_dir():
    """../shared beside the repository (the real-world records)."""
    d = os.environ.get("ZS_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")
    if not os.path.isdir(os.path.join(d, "realworld")):
        raise Failure("%s/realworld: not found; the real-world records live in ../shared beside "
                      "the repository (ZS_SHARED_DIR overrides)" % d)
    return d


# ---------------------------------------------------------------------------------------------
# The scanner's side


def scanner_parse(kind, records):
    """Run `zonesweep parse KIND` on records (str or bytes), one per line; return its JSON
    objects, one per record."""
    raw = [r.encode() if isinstance(r, str) else r for r in records]
    for r in raw:
        if b"\n" in r:
            raise Failure("a record holding a newline cannot go through `zonesweep parse`: %r" % r)
    p = subprocess.run([binary(), "parse", kind], input=b"".join(r + b"\n" for r in raw),
                       capture_output=True, timeout=300)
    if p.returncode not in (0, 1) or p.stderr:
        raise Failure("zonesweep parse %s: exit %d\n%s"
                      % (kind, p.returncode, p.stderr.decode(errors="replace")))
    # split on LF only: str.splitlines() would also split inside a record holding U+2028
    out = [json.loads(line) for line in p.stdout.split(b"\n") if line]
    if len(out) != len(raw):
        raise Failure("zonesweep parse %s: %d records in, %d objects out"
                      % (kind, len(raw), len(out)))
    return out


def scanner_dkim(obj):
    """The reading compared with dkimpy's: usable, key type, RSA bits."""
    usable = obj["status"] == "valid"
    return {"usable": usable, "type": obj["type"] if usable else None,
            "bits": obj["bits"] if usable and obj["type"] == "rsa" else None}


def scanner_dmarc(obj):
    """The reading compared with OpenDMARC's: the policy in force, or None."""
    e = obj.get("effective")
    if e is None:
        return None
    return {"p": e["p"], "sp": e["sp"], "pct": e["pct"], "adkim": e["adkim"], "aspf": e["aspf"]}


# ---------------------------------------------------------------------------------------------
# The test world


def resolver_addr():
    """The rig's Unbound ("127.0.0.1:PORT")."""
    addr = os.environ.get("ZS_UNBOUND_ADDR")
    if not addr:
        raise Failure("ZS_UNBOUND_ADDR is not set: run the tests through scripts/test.sh, or "
                      "start the rig with scripts/rig.sh start DIR --world WORLD and source "
                      "DIR/env.sh")
    return addr


def world_dir():
    w = os.environ.get("ZS_TEST_WORLD")
    if not w or not os.path.isfile(os.path.join(w, "expected.jsonl")):
        raise Failure("ZS_TEST_WORLD is not a generated world: run the tests through "
                      "scripts/test.sh, or generate one with tests/world/gen_world.py")
    return w


def world_profiles(world):
    """Delegated domain -> its profile."""
    with open(os.path.join(world, "expected.jsonl")) as fh:
        return {e["domain"]: e["profile"] for e in map(json.loads, fh)}


def world_txt(world):
    """[(owner labels, record bytes)] for every TXT record of the world's zones (read by
    dnspython's zone parser); a record is its character-strings joined."""
    import dns.rdataclass
    import dns.rdatatype
    import dns.zone

    out = []
    for path in sorted(glob.glob(os.path.join(world, "zones", "*.zone"))):
        zone = dns.zone.from_file(path, relativize=False, check_origin=False)
        for name, node in sorted(zone.nodes.items()):
            rds = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
            labels = [l.decode().lower() for l in name.labels if l]
            for rd in rds or []:
                out.append((labels, b"".join(rd.strings)))
    return out


def world_place(labels, profiles):
    """(domain, profile, name below it: "@" for the domain itself) of an owner name, or
    (None, "(provider)", the whole name) outside the delegated domains."""
    for i in range(len(labels)):
        domain = ".".join(labels[i:])
        if domain in profiles:
            return domain, profiles[domain], ".".join(labels[:i]) or "@"
    return None, "(provider)", ".".join(labels)


def world_template(record, domain):
    """A record's text with its domain written {d}: the same for every domain of a profile."""
    text = record.decode("utf-8", "backslashreplace")
    return text.replace(domain, "{d}") if domain else text


# ---------------------------------------------------------------------------------------------
# pyspf


class NoDNS(Exception):
    """Raised by the DNS stub: evaluation went past the record's own syntax."""


def _pyspf():
    try:
        import spf
    except ImportError as e:
        raise Failure("pyspf is missing (%s): install Debian's python3-spf and run this with "
                      "/usr/bin/python3" % e)
    return spf


def pyspf_syntax(record, domain="realworld.example"):
    """pyspf's strict reading of one record without DNS: (is_record, valid, message).

    check() validates every term of the record before it evaluates any (spf.query.check0),
    and its DNS goes through spf.DNSLookup, replaced here by a stub: a lookup means the
    syntax was accepted. PTR lookups answer empty, so that a %{p} macro expands ("unknown")
    instead of stopping the validation half-way."""
    spf = _pyspf()

    def stub(name, qtype, *args, **kwargs):
        if qtype == "PTR":
            return []
        raise NoDNS(name)

    saved = spf.DNSLookup
    spf.DNSLookup = stub
    try:
        q = spf.query(i="192.0.2.1", s="postmaster@" + domain, h=domain, strict=True)
        res, _, msg = q.check(spf=record)
    except NoDNS:
        return True, True, None
    finally:
        spf.DNSLookup = saved
    if res == "none":
        return False, False, None
    if res == "permerror":
        return True, False, msg
    return True, True, None


def pyspf_resolver(addr, timeout):
    """Send pyspf's DNS (dnspython) to the resolver at addr ("127.0.0.1:PORT")."""
    _pyspf()
    import dns.resolver

    host, _, port = addr.rpartition(":")
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [host]
    r.port = int(port)
    r.timeout = timeout
    r.lifetime = timeout
    dns.resolver.default_resolver = r


def pyspf_check_host(ip, domain, sender, helo, timeout):
    """RFC 7208 check_host() by pyspf: (result, explanation)."""
    spf = _pyspf()
    q = spf.query(i=ip, s=sender, h=helo, receiver="zonesweep", strict=True, timeout=timeout)
    res, _, msg = q.check()
    return res, msg


# ---------------------------------------------------------------------------------------------
# dkimpy


def dkimpy_key(record):
    """dkimpy's reading of a key record (bytes): usable, key type, RSA bits, and why not."""
    try:
        import dkim
    except ImportError as e:
        raise Failure("dkimpy is missing (%s): install Debian's python3-dkim and run this with "
                      "/usr/bin/python3" % e)
    try:
        _, bits, ktag, _ = dkim.evaluate_pk(b"selector._domainkey.example.", record)
    except dkim.KeyFormatError as e:
        return {"usable": False, "type": None, "bits": None}, str(e)
    ktype = ktag.decode()
    # the verifier's minimum (dkim.DKIM(minkey=1024)): a smaller RSA key verifies nothing
    minkey = 1024
    if ktype == "rsa" and bits < minkey:
        return {"usable": False, "type": None, "bits": None}, "public key too small: %d" % bits
    return {"usable": True, "type": ktype, "bits": bits if ktype == "rsa" else None}, None


# ---------------------------------------------------------------------------------------------
# OpenDMARC


_opendmarc = None


def _libopendmarc():
    global _opendmarc
    if _opendmarc is None:
        try:
            lib = ctypes.CDLL("libopendmarc.so.2")
        except OSError as e:
            raise Failure("libopendmarc.so.2 is missing (%s): install Debian's libopendmarc2" % e)
        lib.opendmarc_policy_connect_init.restype = ctypes.c_void_p
        lib.opendmarc_policy_connect_init.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.opendmarc_policy_connect_shutdown.restype = ctypes.c_void_p
        lib.opendmarc_policy_connect_shutdown.argtypes = [ctypes.c_void_p]
        lib.opendmarc_policy_parse_dmarc.restype = ctypes.c_int
        lib.opendmarc_policy_parse_dmarc.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                                     ctypes.c_char_p]
        lib.opendmarc_policy_status_to_str.restype = ctypes.c_char_p
        lib.opendmarc_policy_status_to_str.argtypes = [ctypes.c_int]
        for f in ("p", "sp", "pct", "adkim", "aspf"):
            fn = getattr(lib, "opendmarc_policy_fetch_" + f)
            fn.restype = ctypes.c_int
            fn.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        _opendmarc = lib
    return _opendmarc


def opendmarc_record(record, domain=b"realworld.example"):
    """OpenDMARC's reading of one record: (the policy in force or None, its status text)."""
    lib = _libopendmarc()
    ctx = lib.opendmarc_policy_connect_init(b"192.0.2.1", 0)
    if not ctx:
        raise Failure("opendmarc_policy_connect_init failed")
    try:
        st = lib.opendmarc_policy_parse_dmarc(ctx, domain, record)
        msg = lib.opendmarc_policy_status_to_str(st).decode()
        if st != 0:
            return None, msg
        v = {}
        for f in ("p", "sp", "pct", "adkim", "aspf"):
            x = ctypes.c_int(0)
            getattr(lib, "opendmarc_policy_fetch_" + f)(ctx, ctypes.byref(x))
            v[f] = x.value
    finally:
        lib.opendmarc_policy_connect_shutdown(ctx)
    policy = {ord("n"): "none", ord("q"): "quarantine", ord("r"): "reject"}
    align = {ord("r"): "r", ord("s"): "s"}
    return {"p": policy[v["p"]], "sp": policy.get(v["sp"], policy[v["p"]]), "pct": v["pct"],
            "adkim": align.get(v["adkim"]), "aspf": align.get(v["aspf"])}, msg


# ---------------------------------------------------------------------------------------------
# The ledger of differences


def show(v):
    return json.dumps(v, sort_keys=True)


class Ledger:
    """The differences listed for one comparison (a section of differences.json), matched
    against what a run observes.

    An entry: {"key": ..., "scanner": ..., "oracle": ..., "rfc": ..., "why": ...} where key
    names what is compared (a record, or a world profile and address) and scanner/oracle are
    the two readings exactly as the test renders them: "scanner" is ours (zonesweep's, or the
    world's declared facts), "oracle" the independent one. An optional "changes_with" names
    the work expected to remove the difference."""

    def __init__(self, section, ours="zonesweep"):
        with open(DIFFERENCES) as fh:
            data = json.load(fh)
        self.section = section
        self.ours = ours  # who gives the first reading, in messages
        self.entries = {}
        for e in data.get(section, []):
            lacks = [f for f in ("key", "scanner", "oracle") if f not in e]
            lacks += [f for f in ("key", "rfc", "why") if not e.get(f)]
            if lacks:
                raise Failure("%s: %s: an entry lacks %s: %r"
                              % (DIFFERENCES, section, ", ".join(lacks), e))
            if e["key"] in self.entries:
                raise Failure("%s: %s: %r is listed twice" % (DIFFERENCES, section, e["key"]))
            self.entries[e["key"]] = e
        self.seen = set()
        self.compared = 0
        self.agreed = 0
        self.unexpected = 0
        self.problems = []

    def compare(self, key, scanner, oracle, context=""):
        """Record one comparison of the scanner's reading with the oracle's."""
        self.compared += 1
        listed = self.entries.get(key)
        if scanner == oracle:
            self.agreed += 1
            if listed is not None:
                self.problems.append("%s: listed difference no longer happens (both read %s)%s"
                                     % (key, show(scanner), context))
            return
        if listed is None:
            self.unexpected += 1
            self.problems.append("%s: unlisted difference: %s %s, oracle %s%s"
                                 % (key, self.ours, show(scanner), show(oracle), context))
            return
        if listed["scanner"] != scanner or listed["oracle"] != oracle:
            self.unexpected += 1
            self.problems.append("%s: difference changed: %s %s, oracle %s (listed: %s, "
                                 "%s)%s" % (key, self.ours, show(scanner), show(oracle),
                                            show(listed["scanner"]), show(listed["oracle"]),
                                            context))
        self.seen.add(key)

    def finish(self):
        """Print the figures; raise Failure listing every problem."""
        for key in sorted(set(self.entries) - self.seen):
            if not any(p.startswith(key + ":") for p in self.problems):
                self.problems.append("%s: listed difference was not met in this run (its case "
                                     "is gone from the data: remove the entry)" % key)
        print("%s: %d compared, %d agree (%.1f %%), %d differ as listed (%d listed)"
              % (self.section, self.compared, self.agreed,
                 100.0 * self.agreed / self.compared if self.compared else 0.0,
                 self.compared - self.agreed - self.unexpected, len(self.entries)))
        if self.problems:
            raise Failure("%s: %d problems (list a real difference in %s with the RFC section "
                          "that decides it, or fix the scanner):\n  %s"
                          % (self.section, len(self.problems), DIFFERENCES,
                             "\n  ".join(self.problems)))


def errors(obj):
    """The messages of a parsed record's error findings, joined."""
    return "; ".join(f["message"] for f in obj.get("findings", []) if f["severity"] == "error")


def spf_reading(record, obj):
    """(scanner's reading, pyspf's, note) of an SPF record (bytes) and its parse object."""
    is_spf, valid, why = pyspf_syntax(record.decode("utf-8", "surrogateescape"))
    err = obj["error"]
    note = "".join(["; zonesweep: %s at %d" % (err["message"], err["position"]) if err else "",
                    "; pyspf: " + why if why else ""])
    return {"spf": obj["spf"], "valid": obj["valid"]}, {"spf": is_spf, "valid": valid}, note


def dmarc_reading(record, obj):
    """(scanner's reading, OpenDMARC's, note) of a DMARC record (bytes)."""
    if b"\0" in record:
        raise Failure("%r: a NUL byte cannot reach OpenDMARC's C string" % record)
    theirs, status = opendmarc_record(record)
    return (scanner_dmarc(obj), theirs,
            "; zonesweep: %s; OpenDMARC: %s" % (errors(obj) or "no error", status))


def dkim_reading(record, obj):
    """(scanner's reading, dkimpy's, note) of a DKIM key record (bytes)."""
    theirs, why = dkimpy_key(record)
    return (scanner_dkim(obj), theirs,
            "; zonesweep: %s; dkimpy: %s" % (errors(obj) or "no error", why or "usable"))


READINGS = {"spf": spf_reading, "dmarc": dmarc_reading, "dkim": dkim_reading}


def compare_records(section, kind, items):
    """Parse records of KIND ("spf", "dmarc", "dkim") with `zonesweep parse` and compare each
    reading with the oracle's in the ledger SECTION.
    @param items  [(key, record bytes, where)]: where names the record in messages
    @return the Ledger, not finished"""
    ledger = Ledger(section)
    got = scanner_parse(kind, [r for _, r, _ in items])
    for (key, record, where), obj in zip(items, got):
        mine, theirs, note = READINGS[kind](record, obj)
        ledger.compare(key, mine, theirs, " (%s%s)" % (where, note))
    return ledger


def finish_ledgers(ledgers):
    """Finish every ledger; raise one Failure holding all their problems."""
    problems = []
    for ledger in ledgers:
        try:
            ledger.finish()
        except Failure as f:
            problems.append(str(f))
    if problems:
        raise Failure("\n".join(problems))


def compare_all(jobs):
    """compare_records() for each (section, kind, items) of jobs, then finish_ledgers()."""
    finish_ledgers([compare_records(section, kind, items) for section, kind, items in jobs])


def main(test):
    """Run test(); print the outcome; exit 0 or 1."""
    try:
        test()
    except Failure as f:
        print("FAIL: %s" % f)
        sys.exit(1)
    print("ok")
    sys.exit(0)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of scanner/dns/wire.c: names, the query packet, the strict check of replies
 * (every reason to reject one), classification by rcode and the decoding of answers (records,
 * CNAME chains and loops, negative TTLs, cache lifetimes). Replies are built with ldns, or by
 * hand where they must be malformed.
 */
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "scanner/dns/wire_int.h"
#include "tests/dns_entry_equal.h"
#include "tests/unit/dns/dns_test.h"
#include "tests/unit/test.h"

/* A reply built with ldns: the question, the answer and authority records (zone-file lines). */
struct reply {
	uint8_t *wire;
	size_t len;
};

static struct reply make_reply(uint16_t id, const char *qname, uint16_t qtype, uint8_t rcode,
                               const char *const *answer, const char *const *authority)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	ldns_rr *q = ldns_rr_new();
	ldns_rr_set_owner(q, ldns_dname_new_frm_str(qname));
	ldns_rr_set_type(q, (ldns_rr_type)qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q));
	for (size_t i = 0; answer != NULL && answer[i] != NULL; i++) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, answer[i], 3600, NULL, NULL),
		                 LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr));
	}
	for (size_t i = 0; authority != NULL && authority[i] != NULL; i++) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, authority[i], 3600, NULL, NULL),
		                 LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr));
	}
	struct reply r = { NULL, 0 };
	assert_int_equal(ldns_pkt2wire(&r.wire, p, &r.len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return r;
}

static struct zs__dns_entry *decode(const struct reply *rep, const struct zs__dns_question *q,
                                    unsigned max_cname)
{
	struct zs__dns_entry *e = NULL;
	assert_int_equal(zs__dns_reply_check(rep->wire, rep->len, zs__dns_get_id(rep->wire), q),
	                 ZS_DNS_REPLY_OK);
	assert_int_equal(zs__dns_reply_decode(rep->wire, rep->len, q, max_cname, &e), 0);
	/* every decoding test is also one of the engine's decoder against the ldns reference */
	struct zs__dns_entry *ref = NULL;
	assert_int_equal(zs__dns_reply_decode_ldns(rep->wire, rep->len, q, max_cname, &ref), 0);
	assert_true(zs_test_entry_equal(e, ref));
	zs__dns_entry_unref(ref);
	return e;
}

/* ---- names -------------------------------------------------------------------------------- */

static void test_wire_name_from_text_lowers_and_accepts_final_dot(void **state)
{
	struct zs__dns_question a = zs_test_question("Example.COM", ZS_RR_A);
	struct zs__dns_question b = zs_test_question("example.com.", ZS_RR_A);
	assert_int_equal(a.name_len, 13);
	assert_memory_equal(a.name, "\7example\3com\0", 13);
	assert_int_equal(b.name_len, a.name_len);
	assert_memory_equal(a.name, b.name, a.name_len);
	struct zs__dns_question root = zs_test_question("", ZS_RR_NS);
	assert_int_equal(root.name_len, 1);
	struct zs__dns_question esc = zs_test_question("a\\.b.example", ZS_RR_TXT);
	assert_memory_equal(esc.name, "\3a.b\7example\0", 14);
}

static void test_wire_name_from_text_rejects_bad_names(void **state)
{
	struct zs__dns_question q;
	char label[80];
	memset(label, 'a', 64);
	(void)snprintf(label + 64, sizeof(label) - 64, ".com");
	assert_int_equal(zs__dns_name_from_text(label, &q), ZS_ERR_PARSE);
	char longname[400];
	size_t o = 0;
	for (int i = 0; i < 60; i++) {
		o += (size_t)snprintf(longname + o, sizeof(longname) - o, "abcd.");
	}
	assert_true(o > 255);
	assert_int_equal(zs__dns_name_from_text(longname, &q), ZS_ERR_PARSE);
	assert_int_equal(zs__dns_name_from_text("a..b", &q), ZS_ERR_PARSE);
}

static void test_wire_name_from_text_agrees_with_ldns(void **state)
{
	const char *const names[] = {
		"example.com",
		"Example.COM.",
		"_dmarc.example.com",
		"a\\.b.example",
		"a\\032b.example",
		"\\065\\066.com",
		"x\\\\y.example.",
		"*.example",
		"sel1._domainkey.example.co.uk",
		"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct zs__dns_question q;
		assert_int_equal(zs__dns_name_from_text(names[i], &q), 0);
		ldns_rdf *rdf = ldns_dname_new_frm_str(names[i]);
		assert_non_null(rdf);
		ldns_dname2canonical(rdf);
		assert_int_equal(q.name_len, ldns_rdf_size(rdf));
		assert_memory_equal(q.name, ldns_rdf_data(rdf), q.name_len);
		ldns_rdf_deep_free(rdf);
	}
	/* the longest name: 255 bytes with the root label; one more byte is too long */
	char name[300];
	size_t o = 0;
	for (int i = 0; i < 3; i++) {
		memset(name + o, 'a', 63);
		o += 63;
		name[o++] = '.';
	}
	memset(name + o, 'b', 61);
	o += 61;
	name[o] = '\0';
	struct zs__dns_question q;
	assert_int_equal(zs__dns_name_from_text(name, &q), 0);
	assert_int_equal(q.name_len, 255);
	name[o] = 'b';
	name[o + 1] = '\0';
	assert_int_equal(zs__dns_name_from_text(name, &q), ZS_ERR_PARSE);
	/* bad escapes and empty labels */
	const char *const bad[] = { "a\\", "a\\25", "a\\256.com", "..", ".a", "a..b", "a.b.." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(zs__dns_name_from_text(bad[i], &q), ZS_ERR_PARSE);
	}
}

static void test_wire_name_to_text_escapes_and_lowers(void **state)
{
	char out[ZS_DNS_TEXT_MAX];
	const uint8_t w[] = "\5Mx\x20.\\\3COM";
	assert_int_equal(zs__dns_name_to_text(w, sizeof(w), out, sizeof(out)), 14);
	assert_string_equal(out, "mx\\032\\.\\\\.com");
	assert_int_equal(zs__dns_name_to_text((const uint8_t *)"\0", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* no root label, label past the end, too small a buffer */
	assert_int_equal(zs__dns_name_to_text((const uint8_t *)"\3com", 4, out, sizeof(out)), -1);
	assert_int_equal(zs__dns_name_to_text((const uint8_t *)"\011com\0", 5, out, sizeof(out)),
	                 -1);
	assert_int_equal(zs__dns_name_to_text((const uint8_t *)"\3com\0", 5, out, 3), -1);
	assert_int_equal(zs__dns_name_to_text((const uint8_t *)"\3com\0", 5, NULL, 0), 3);
}

static void test_wire_name_equal_ignores_case_only(void **state)
{
	assert_true(
	        zs__dns_name_equal((const uint8_t *)"\3ABC\0", 5, (const uint8_t *)"\3abc\0", 5));
	assert_false(
	        zs__dns_name_equal((const uint8_t *)"\3abd\0", 5, (const uint8_t *)"\3abc\0", 5));
	assert_false(
	        zs__dns_name_equal((const uint8_t *)"\3abc\0", 5, (const uint8_t *)"\2ab\0", 4));
}

/* ---- query -------------------------------------------------------------------------------- */

static void test_wire_query_build_has_edns_rd_and_question(void **state)
{
	struct zs__dns_question q = zs_test_question("Example.com", ZS_RR_MX);
	uint8_t buf[ZS_DNS_QUERY_MAX];
	size_t len = 0;
	assert_int_equal(zs__dns_query_build(&q, 1232, true, buf, &len), 0);
	assert_int_equal((buf[0] << 8) | buf[1], (int)len);
	zs__dns_set_id(buf + 2, 0xbeef);
	assert_int_equal(zs__dns_get_id(buf + 2), 0xbeef);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, buf + 2, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), 0xbeef);
	assert_true(ldns_pkt_rd(p));
	assert_true(ldns_pkt_ad(p));
	assert_false(ldns_pkt_qr(p));
	assert_true(ldns_pkt_edns(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_get_type(qr), LDNS_RR_TYPE_MX);
	char *owner = ldns_rdf2str(ldns_rr_owner(qr));
	assert_string_equal(owner, "example.com.");
	free(owner);
	ldns_pkt_free(p);

	/* a question built from a reply must pass the check against itself */
	struct reply rep = make_reply(7, "example.com.", ZS_RR_MX, 0, NULL, NULL);
	assert_int_equal(zs__dns_reply_check(rep.wire, rep.len, 7, &q), ZS_DNS_REPLY_OK);
	free(rep.wire);
}

/* ---- check -------------------------------------------------------------------------------- */

static void test_wire_reply_check_rejects_each_mismatch(void **state)
{
	struct zs__dns_question q = zs_test_question("www.example.com", ZS_RR_A);
	const char *const an[] = { "www.example.com. 60 IN A 192.0.2.1", NULL };
	struct reply rep = make_reply(0x1234, "WWW.Example.COM.", ZS_RR_A, 0, an, NULL);
	uint8_t pkt[512];
	assert_true(rep.len <= sizeof(pkt));

	assert_int_equal(zs__dns_reply_check(rep.wire, rep.len, 0x1234, &q), ZS_DNS_REPLY_OK);
	assert_int_equal(zs__dns_reply_check(rep.wire, rep.len, 0x1235, &q), ZS_DNS_REPLY_ID);
	memcpy(pkt, rep.wire, rep.len);
	pkt[2] &= 0x7f; /* QR=0 */
	assert_int_equal(zs__dns_reply_check(pkt, rep.len, 0x1234, &q), ZS_DNS_REPLY_NOT_RESPONSE);
	memcpy(pkt, rep.wire, rep.len);
	pkt[2] |= 0x10; /* opcode 2 */
	assert_int_equal(zs__dns_reply_check(pkt, rep.len, 0x1234, &q), ZS_DNS_REPLY_OPCODE);
	memcpy(pkt, rep.wire, rep.len);
	pkt[5] = 0; /* QDCOUNT=0 */
	assert_int_equal(zs__dns_reply_check(pkt, rep.len, 0x1234, &q), ZS_DNS_REPLY_QDCOUNT);
	pkt[5] = 2;
	assert_int_equal(zs__dns_reply_check(pkt, rep.len, 0x1234, &q), ZS_DNS_REPLY_QDCOUNT);
	assert_int_equal(zs__dns_reply_check(rep.wire, 11, 0x1234, &q), ZS_DNS_REPLY_MALFORMED);

	struct zs__dns_question other = zs_test_question("www.example.org", ZS_RR_A);
	assert_int_equal(zs__dns_reply_check(rep.wire, rep.len, 0x1234, &other),
	                 ZS_DNS_REPLY_QUESTION);
	struct zs__dns_question aaaa = zs_test_question("www.example.com", ZS_RR_AAAA);
	assert_int_equal(zs__dns_reply_check(rep.wire, rep.len, 0x1234, &aaaa),
	                 ZS_DNS_REPLY_QUESTION);
	struct zs__dns_question chaos = q;
	chaos.qclass = 3;
	assert_int_equal(zs__dns_reply_check(rep.wire, rep.len, 0x1234, &chaos),
	                 ZS_DNS_REPLY_QUESTION);
	/* the answer cut anywhere inside is malformed */
	for (size_t cut = 30; cut < rep.len; cut++) {
		assert_int_equal(zs__dns_reply_check(rep.wire, cut, 0x1234, &q),
		                 ZS_DNS_REPLY_MALFORMED);
	}
	free(rep.wire);
}

/* Header (ID 1, QR, QDCOUNT 1, counts given) and the question "\1a\0" type A class IN. */
static size_t raw_header(uint8_t *p, unsigned an, unsigned ns, unsigned ar)
{
	const uint8_t h[] = { 0, 1,           0x81, 0x80, 0, 1, 0, (uint8_t)an, 0, (uint8_t)ns,
		              0, (uint8_t)ar, 1,    'a',  0, 0, 1, 0,           1 };
	memcpy(p, h, sizeof(h));
	return sizeof(h);
}

static void test_wire_reply_check_rejects_malformed(void **state)
{
	struct zs__dns_question q = zs_test_question("a", ZS_RR_A);
	uint8_t p[256];
	size_t o;
	const uint8_t rr_a[] = { 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };

	/* the well-formed base case: owner compressed to the question */
	o = raw_header(p, 1, 0, 0);
	p[o++] = 0xc0;
	p[o++] = 12;
	memcpy(p + o, rr_a, sizeof(rr_a));
	assert_int_equal(zs__dns_reply_check(p, o + sizeof(rr_a), 1, &q), ZS_DNS_REPLY_OK);

	/* a pointer to itself, and a pointer forwards */
	o = raw_header(p, 1, 0, 0);
	p[o] = 0xc0;
	p[o + 1] = (uint8_t)o;
	memcpy(p + o + 2, rr_a, sizeof(rr_a));
	assert_int_equal(zs__dns_reply_check(p, o + 2 + sizeof(rr_a), 1, &q),
	                 ZS_DNS_REPLY_MALFORMED);
	p[o + 1] = (uint8_t)(o + 2);
	assert_int_equal(zs__dns_reply_check(p, o + 2 + sizeof(rr_a), 1, &q),
	                 ZS_DNS_REPLY_MALFORMED);

	/* a label of 64 (0x40 is an extended label type) */
	o = raw_header(p, 1, 0, 0);
	p[o++] = 0x40;
	memset(p + o, 'x', 64);
	o += 64;
	p[o++] = 0;
	memcpy(p + o, rr_a, sizeof(rr_a));
	assert_int_equal(zs__dns_reply_check(p, o + sizeof(rr_a), 1, &q), ZS_DNS_REPLY_MALFORMED);

	/* RDLENGTH past the end; more records announced than present */
	o = raw_header(p, 1, 0, 0);
	p[o++] = 0xc0;
	p[o++] = 12;
	memcpy(p + o, rr_a, sizeof(rr_a));
	p[o + 9] = 5;
	assert_int_equal(zs__dns_reply_check(p, o + sizeof(rr_a), 1, &q), ZS_DNS_REPLY_MALFORMED);
	o = raw_header(p, 2, 0, 0);
	p[o++] = 0xc0;
	p[o++] = 12;
	memcpy(p + o, rr_a, sizeof(rr_a));
	assert_int_equal(zs__dns_reply_check(p, o + sizeof(rr_a), 1, &q), ZS_DNS_REPLY_MALFORMED);

	/* a TSIG (we never sign), two OPT records */
	const uint8_t tsig[] = { 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0 };
	const uint8_t opt[] = { 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0 };
	o = raw_header(p, 0, 0, 1);
	memcpy(p + o, tsig, sizeof(tsig));
	assert_int_equal(zs__dns_reply_check(p, o + sizeof(tsig), 1, &q), ZS_DNS_REPLY_MALFORMED);
	o = raw_header(p, 0, 0, 1);
	memcpy(p + o, opt, sizeof(opt));
	assert_int_equal(zs__dns_reply_check(p, o + sizeof(opt), 1, &q), ZS_DNS_REPLY_OK);
	o = raw_header(p, 0, 0, 2);
	memcpy(p + o, opt, sizeof(opt));
	memcpy(p + o + sizeof(opt), opt, sizeof(opt));
	assert_int_equal(zs__dns_reply_check(p, o + 2 * sizeof(opt), 1, &q),
	                 ZS_DNS_REPLY_MALFORMED);
	assert_string_equal(zs__dns_verdict_name(ZS_DNS_REPLY_QUESTION), "question");
}

static void test_wire_rcode_status_table(void **state)
{
	assert_int_equal(zs__dns_rcode_status(0, true), ZS_DNS_NOERROR);
	assert_int_equal(zs__dns_rcode_status(0, false), ZS_DNS_NODATA);
	assert_int_equal(zs__dns_rcode_status(1, false), ZS_DNS_FORMERR);
	assert_int_equal(zs__dns_rcode_status(2, false), ZS_DNS_SERVFAIL);
	assert_int_equal(zs__dns_rcode_status(3, false), ZS_DNS_NXDOMAIN);
	assert_int_equal(zs__dns_rcode_status(4, false), ZS_DNS_OTHER);
	assert_int_equal(zs__dns_rcode_status(5, true), ZS_DNS_REFUSED);
	assert_int_equal(zs__dns_rcode_status(9, false), ZS_DNS_OTHER);
}

/* ---- decode ------------------------------------------------------------------------------- */

static void test_wire_decode_mx_txt_a_aaaa(void **state)
{
	struct zs__dns_question q = zs_test_question("example.com", ZS_RR_MX);
	const char *const mx[] = { "example.com. 300 IN MX 10 MX1.Example.COM.",
		                   "example.com. 200 IN MX 20 mx2.example.com.",
		                   "other.example. 5 IN MX 1 ignored.example.", NULL };
	struct reply rep = make_reply(9, "example.com.", ZS_RR_MX, 0, mx, NULL);
	struct zs__dns_entry *e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_NOERROR);
	assert_int_equal(e->ans.count, 2);
	assert_int_equal(e->ans.rr[0].u.mx.pref, 10);
	assert_string_equal(e->ans.rr[0].u.mx.host, "mx1.example.com");
	assert_int_equal(e->ans.rr[1].u.mx.pref, 20);
	assert_string_equal(e->ans.rr[1].u.mx.host, "mx2.example.com");
	assert_int_equal(e->ans.rr[1].ttl, 200);
	assert_int_equal(e->ttl, 200);
	assert_int_equal(e->node.type, ZS_RR_MX);
	assert_memory_equal(e->node.name, q.name, q.name_len);
	zs__dns_entry_unref(e);
	free(rep.wire);

	q = zs_test_question("example.com", ZS_RR_TXT);
	const char *const txt[] = { "example.com. 60 IN TXT \"v=spf1 \" \"include:x.example\" \"\"",
		                    "example.com. 60 IN TXT \"a\\000b\"", NULL };
	rep = make_reply(9, "example.com.", ZS_RR_TXT, 0, txt, NULL);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.count, 2);
	assert_int_equal(e->ans.rr[0].u.txt.count, 3);
	assert_int_equal(e->ans.rr[0].u.txt.len[0], 7);
	assert_memory_equal(e->ans.rr[0].u.txt.str[0], "v=spf1 ", 7);
	assert_memory_equal(e->ans.rr[0].u.txt.str[1], "include:x.example", 17);
	assert_int_equal(e->ans.rr[0].u.txt.len[2], 0);
	assert_int_equal(e->ans.rr[1].u.txt.count, 1);
	assert_int_equal(e->ans.rr[1].u.txt.len[0], 3);
	assert_memory_equal(e->ans.rr[1].u.txt.str[0], "a\0b", 3);
	zs__dns_entry_unref(e);
	free(rep.wire);

	q = zs_test_question("h.example", ZS_RR_A);
	const char *const a[] = { "h.example. 60 IN A 192.0.2.7", NULL };
	rep = make_reply(9, "h.example.", ZS_RR_A, 0, a, NULL);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.count, 1);
	assert_memory_equal(e->ans.rr[0].u.a, "\xc0\x00\x02\x07", 4);
	zs__dns_entry_unref(e);
	free(rep.wire);

	q = zs_test_question("h.example", ZS_RR_AAAA);
	const char *const aaaa[] = { "h.example. 60 IN AAAA 2001:db8::1", NULL };
	rep = make_reply(9, "h.example.", ZS_RR_AAAA, 0, aaaa, NULL);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.count, 1);
	assert_memory_equal(e->ans.rr[0].u.aaaa, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	zs__dns_entry_unref(e);
	free(rep.wire);
}

static void test_wire_decode_follows_cname_chain(void **state)
{
	struct zs__dns_question q = zs_test_question("_dmarc.example.com", ZS_RR_TXT);
	const char *const an[] = {
		"_dmarc.example.com. 100 IN CNAME Hop1.Provider.NET.",
		"hop1.provider.net. 50 IN CNAME final.provider.net.",
		"final.provider.net. 300 IN TXT \"v=DMARC1; p=none\"",
		"_dmarc.example.com. 300 IN TXT \"not at the end of the chain\"",
		NULL,
	};
	struct reply rep = make_reply(3, "_dmarc.example.com.", ZS_RR_TXT, 0, an, NULL);
	struct zs__dns_entry *e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_NOERROR);
	assert_int_equal(e->ans.cname_count, 2);
	assert_string_equal(e->ans.cname[0], "hop1.provider.net");
	assert_string_equal(e->ans.cname[1], "final.provider.net");
	assert_int_equal(e->ans.count, 1);
	assert_memory_equal(e->ans.rr[0].u.txt.str[0], "v=DMARC1; p=none", 16);
	assert_int_equal(e->ttl, 50); /* the smallest TTL on the way */
	zs__dns_entry_unref(e);

	/* one CNAME allowed: the chain is too long */
	e = decode(&rep, &q, 1);
	assert_int_equal(e->ans.status, ZS_DNS_CNAME_LOOP);
	assert_int_equal(e->ans.count, 0);
	assert_int_equal(e->ttl, 0);
	zs__dns_entry_unref(e);
	free(rep.wire);

	/* asking for the CNAME itself does not follow it */
	q = zs_test_question("_dmarc.example.com", ZS_RR_CNAME);
	rep = make_reply(3, "_dmarc.example.com.", ZS_RR_CNAME, 0, an, NULL);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.count, 1);
	assert_int_equal(e->ans.cname_count, 0);
	assert_string_equal(e->ans.rr[0].u.name, "hop1.provider.net");
	zs__dns_entry_unref(e);
	free(rep.wire);
}

static void test_wire_decode_detects_cname_loop(void **state)
{
	struct zs__dns_question q = zs_test_question("a.example", ZS_RR_A);
	const char *const an[] = { "a.example. 60 IN CNAME b.example.",
		                   "b.example. 60 IN CNAME A.EXAMPLE.", NULL };
	struct reply rep = make_reply(3, "a.example.", ZS_RR_A, 0, an, NULL);
	struct zs__dns_entry *e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_CNAME_LOOP);
	assert_int_equal(e->ans.cname_count, 1);
	assert_string_equal(e->ans.cname[0], "b.example");
	assert_int_equal(e->ttl, 0);
	zs__dns_entry_unref(e);
	free(rep.wire);
}

static void test_wire_decode_negative_ttl(void **state)
{
	struct zs__dns_question q = zs_test_question("nx.example", ZS_RR_TXT);
	const char *const soa[] = {
		"example. 900 IN SOA ns.example. host.example. 1 3600 600 86400 300", NULL
	};
	struct reply rep = make_reply(3, "nx.example.", ZS_RR_TXT, 3, NULL, soa);
	struct zs__dns_entry *e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_NXDOMAIN);
	assert_int_equal(e->ans.rcode, 3);
	assert_int_equal(e->ans.neg_ttl, 300); /* min(SOA TTL 900, MINIMUM 300) */
	assert_int_equal(e->ttl, 300);
	zs__dns_entry_unref(e);
	free(rep.wire);

	const char *const soa2[] = {
		"example. 30 IN SOA ns.example. host.example. 1 3600 600 86400 300", NULL
	};
	rep = make_reply(3, "nx.example.", ZS_RR_TXT, 0, NULL, soa2);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_NODATA);
	assert_int_equal(e->ans.neg_ttl, 30);
	zs__dns_entry_unref(e);
	free(rep.wire);

	/* without an SOA a negative answer is not cacheable */
	rep = make_reply(3, "nx.example.", ZS_RR_TXT, 0, NULL, NULL);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_NODATA);
	assert_int_equal(e->ttl, 0);
	zs__dns_entry_unref(e);
	free(rep.wire);

	/* failures are never cacheable and carry no record */
	const char *const an[] = { "nx.example. 60 IN TXT \"x\"", NULL };
	rep = make_reply(3, "nx.example.", ZS_RR_TXT, 2, an, soa);
	e = decode(&rep, &q, 8);
	assert_int_equal(e->ans.status, ZS_DNS_SERVFAIL);
	assert_int_equal(e->ans.count, 0);
	assert_int_equal(e->ttl, 0);
	zs__dns_entry_unref(e);
	free(rep.wire);
}

static void test_wire_decode_ad_bit_and_status_entry(void **state)
{
	struct zs__dns_question q = zs_test_question("h.example", ZS_RR_A);
	const char *const a[] = { "h.example. 60 IN A 192.0.2.7", NULL };
	struct reply rep = make_reply(9, "h.example.", ZS_RR_A, 0, a, NULL);
	rep.wire[3] |= 0x20; /* AD */
	struct zs__dns_entry *e = decode(&rep, &q, 8);
	assert_true(e->ans.ad);
	zs__dns_entry_unref(e);
	free(rep.wire);

	e = zs__dns_entry_new_status(&q, ZS_DNS_TIMEOUT, 0);
	assert_int_equal(e->ans.status, ZS_DNS_TIMEOUT);
	assert_int_equal(e->ans.count, 0);
	assert_null(e->ans.rr);
	assert_int_equal(e->ttl, 0);
	assert_ptr_equal(zs__dns_entry_ref(e), e);
	zs__dns_entry_unref(e);
	zs__dns_entry_unref(e);
	zs__dns_entry_unref(NULL);
}

static void test_wire_decode_rejects_bad_rdata(void **state)
{
	struct zs__dns_question q = zs_test_question("a", ZS_RR_A);
	uint8_t p[64];
	size_t o = raw_header(p, 1, 0, 0);
	const uint8_t rr_a3[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 192, 0, 2 };
	memcpy(p + o, rr_a3, sizeof(rr_a3));
	o += sizeof(rr_a3);
	struct zs__dns_entry *e = NULL;
	/* structurally sound, but an A record of 3 bytes */
	assert_int_equal(zs__dns_reply_check(p, o, 1, &q), ZS_DNS_REPLY_OK);
	assert_int_equal(zs__dns_reply_decode(p, o, &q, 8, &e), ZS_ERR_PARSE);
	assert_null(e);
}

/* A record the answer does not use may be malformed: ldns then refuses the whole reply. */
static void test_wire_decode_ignores_unused_malformed_records(void **state)
{
	struct zs__dns_question q = zs_test_question("a", ZS_RR_A);
	uint8_t p[128];
	size_t o = raw_header(p, 2, 0, 1);
	const uint8_t rr_a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
	/* an RRSIG of three bytes in the answer, an AAAA of five in the additional section */
	const uint8_t rr_sig3[] = { 0xc0, 12, 0, 46, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3 };
	const uint8_t rr_aaaa5[] = { 0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5 };
	memcpy(p + o, rr_a, sizeof(rr_a));
	o += sizeof(rr_a);
	memcpy(p + o, rr_sig3, sizeof(rr_sig3));
	o += sizeof(rr_sig3);
	memcpy(p + o, rr_aaaa5, sizeof(rr_aaaa5));
	o += sizeof(rr_aaaa5);
	assert_int_equal(zs__dns_reply_check(p, o, 1, &q), ZS_DNS_REPLY_OK);
	struct zs__dns_entry *e = NULL;
	assert_int_equal(zs__dns_reply_decode(p, o, &q, 8, &e), 0);
	assert_int_equal(e->ans.status, ZS_DNS_NOERROR);
	assert_int_equal(e->ans.count, 1);
	assert_memory_equal(e->ans.rr[0].u.a, "\300\0\2\1", 4);
	zs__dns_entry_unref(e);
	struct zs__dns_entry *ref = NULL;
	assert_int_equal(zs__dns_reply_decode_ldns(p, o, &q, 8, &ref), ZS_ERR_PARSE);
	assert_null(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_name_from_text_lowers_and_accepts_final_dot),
		cmocka_unit_test(test_wire_name_from_text_rejects_bad_names),
		cmocka_unit_test(test_wire_name_from_text_agrees_with_ldns),
		cmocka_unit_test(test_wire_name_to_text_escapes_and_lowers),
		cmocka_unit_test(test_wire_name_equal_ignores_case_only),
		cmocka_unit_test(test_wire_query_build_has_edns_rd_and_question),
		cmocka_unit_test(test_wire_reply_check_rejects_each_mismatch),
		cmocka_unit_test(test_wire_reply_check_rejects_malformed),
		cmocka_unit_test(test_wire_rcode_status_table),
		cmocka_unit_test(test_wire_decode_mx_txt_a_aaaa),
		cmocka_unit_test(test_wire_decode_follows_cname_chain),
		cmocka_unit_test(test_wire_decode_detects_cname_loop),
		cmocka_unit_test(test_wire_decode_negative_ttl),
		cmocka_unit_test(test_wire_decode_ad_bit_and_status_entry),
		cmocka_unit_test(test_wire_decode_rejects_bad_rdata),
		cmocka_unit_test(test_wire_decode_ignores_unused_malformed_records),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

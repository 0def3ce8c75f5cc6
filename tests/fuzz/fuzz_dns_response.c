/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the DNS engine's reply path (scanner/dns/wire.c): the strict check of a
 * datagram against a question, then, when it is accepted, its decoding into an answer entry
 * (CNAME chains, records of every decoded type, negative TTLs), the same decoding compared
 * with the ldns-based reference (compare_with_ldns()), and the
 * conversion of wire names to text. The question is taken from the input itself when it holds
 * one, so that the fuzzer reaches the decoder, and is also a fixed one. The input is also read
 * as a presentation name (names come from untrusted records: SPF includes, MX hosts).
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/dns/wire_int.h"
#include "tests/dns_entry_equal.h"
#include "tests/fuzz/fuzz.h"

/* The question at offset 12, uncompressed, as a resolver would have asked it. */
static int question_of(const uint8_t *data, size_t size, struct zs__dns_question *q)
{
	size_t o = 12;
	while (o < size && data[o] != 0) {
		if (data[o] > 63) {
			return -1;
		}
		o += 1 + (size_t)data[o];
	}
	if (o >= size || o + 5 > size || o + 1 - 12 > ZS_DNS_NAME_MAX) {
		return -1;
	}
	q->name_len = (uint8_t)(o + 1 - 12);
	for (size_t i = 0; i < q->name_len; i++) {
		uint8_t c = data[12 + i];
		q->name[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
	}
	q->type = (uint16_t)((data[o + 1] << 8) | data[o + 2]);
	q->qclass = (uint16_t)((data[o + 3] << 8) | data[o + 4]);
	return 0;
}

static void use_entry(const struct zs__dns_entry *e)
{
	volatile size_t sink = 0;
	for (size_t i = 0; i < e->ans.cname_count; i++) {
		sink += strlen(e->ans.cname[i]);
	}
	for (size_t i = 0; i < e->ans.count; i++) {
		const struct zs_rr *rr = &e->ans.rr[i];
		switch (rr->type) {
		case ZS_RR_MX:
			sink += strlen(rr->u.mx.host) + rr->u.mx.pref;
			break;
		case ZS_RR_NS:
		case ZS_RR_CNAME:
		case ZS_RR_PTR:
		case ZS_RR_SOA:
			sink += strlen(rr->u.name);
			break;
		case ZS_RR_TXT:
		case ZS_RR_SPF:
			for (size_t k = 0; k < rr->u.txt.count; k++) {
				sink += rr->u.txt.len[k];
				if (rr->u.txt.len[k] > 0) {
					sink += rr->u.txt.str[k][rr->u.txt.len[k] - 1];
				}
			}
			break;
		default:
			sink += rr->u.a[0];
			break;
		}
	}
	(void)sink;
}

static void try_question(const uint8_t *data, size_t size, const struct zs__dns_question *q)
{
	uint16_t id = size >= 2 ? zs__dns_get_id(data) : 0;
	if (zs__dns_reply_check(data, size, id, q) != ZS_DNS_REPLY_OK) {
		return;
	}
	(void)zs__dns_reply_truncated(data);
	(void)zs__dns_reply_rcode(data);
	for (unsigned max_cname = 1; max_cname <= 8; max_cname += 7) {
		struct zs__dns_entry *e = NULL;
		if (zs__dns_reply_decode(data, size, q, max_cname, &e) == 0) {
			use_entry(e);
			zs__dns_entry_unref(e);
		}
	}
}

/*
 * The engine's decoder against the ldns reference, on the message as ldns parsed it and wrote
 * it back: a clean encoding of the same records. (On raw input they may differ where a record
 * is malformed: ldns reads a record's fields without holding them to its length and goes on
 * from wherever they ended, the engine frames every record by its length.)
 */
static void compare_with_ldns(const uint8_t *data, size_t size, const struct zs__dns_question *q)
{
	ldns_pkt *pkt = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) {
		return;
	}
	if (ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK) {
		for (unsigned max_cname = 1; max_cname <= 8; max_cname += 7) {
			struct zs__dns_entry *e = NULL;
			struct zs__dns_entry *ref = NULL;
			int ret = zs__dns_reply_decode(wire, len, q, max_cname, &e);
			int ref_ret = zs__dns_reply_decode_ldns(wire, len, q, max_cname, &ref);
			if ((ret == 0) != (ref_ret == 0) ||
			    (ret == 0 && !zs_test_entry_equal(e, ref))) {
				__builtin_trap();
			}
			zs__dns_entry_unref(ref);
			zs__dns_entry_unref(e);
		}
	}
	free(wire);
	ldns_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zs__dns_question q;
	char text[ZS_DNS_TEXT_MAX];

	memset(&q, 0, sizeof(q));
	if (question_of(data, size, &q) == 0) {
		try_question(data, size, &q);
		compare_with_ldns(data, size, &q);
		(void)zs__dns_name_to_text(q.name, q.name_len, text, sizeof(text));
	}
	if (zs__dns_name_from_text("example.com", &q) == 0) {
		q.type = ZS_RR_TXT;
		q.qclass = ZS_DNS_CLASS_IN;
		try_question(data, size, &q);
	}
	(void)zs__dns_name_to_text(data, size, text, sizeof(text));

	char name[ZS_DNS_TEXT_MAX];
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = '\0';
	if (zs__dns_name_from_text(name, &q) == 0) {
		/* a name read back from its wire form reads the same again */
		struct zs__dns_question again;
		if (zs__dns_name_to_text(q.name, q.name_len, text, sizeof(text)) < 0 ||
		    zs__dns_name_from_text(text, &again) != 0 || again.name_len != q.name_len ||
		    memcmp(again.name, q.name, q.name_len) != 0) {
			__builtin_trap();
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Whether two decoded answer entries say exactly the same thing: what the unit tests and the
 * fuzz target check of the engine's decoder against its ldns-based reference (wire_ldns.c).
 */
#pragma once

#include <stdbool.h>
#include <string.h>

#include "scanner/dns/wire_int.h"

static inline bool zs_test_rr_equal(const struct zs_rr *a, const struct zs_rr *b)
{
	if (a->type != b->type || a->ttl != b->ttl) {
		return false;
	}
	switch (a->type) {
	case ZS_RR_A:
		return memcmp(a->u.a, b->u.a, 4) == 0;
	case ZS_RR_AAAA:
		return memcmp(a->u.aaaa, b->u.aaaa, 16) == 0;
	case ZS_RR_MX:
		return a->u.mx.pref == b->u.mx.pref && strcmp(a->u.mx.host, b->u.mx.host) == 0;
	case ZS_RR_NS:
	case ZS_RR_CNAME:
	case ZS_RR_PTR:
	case ZS_RR_SOA:
		return strcmp(a->u.name, b->u.name) == 0;
	case ZS_RR_TXT:
	case ZS_RR_SPF:
		if (a->u.txt.count != b->u.txt.count) {
			return false;
		}
		for (size_t i = 0; i < a->u.txt.count; i++) {
			if (a->u.txt.len[i] != b->u.txt.len[i] ||
			    memcmp(a->u.txt.str[i], b->u.txt.str[i], a->u.txt.len[i]) != 0 ||
			    a->u.txt.str[i][a->u.txt.len[i]] != '\0') {
				return false;
			}
		}
		return true;
	default:
		return true;
	}
}

static inline bool zs_test_entry_equal(const struct zs__dns_entry *a, const struct zs__dns_entry *b)
{
	const struct zs_answer *x = &a->ans;
	const struct zs_answer *y = &b->ans;
	if (a->ttl != b->ttl || a->size != b->size || a->node.name_len != b->node.name_len ||
	    a->node.type != b->node.type ||
	    memcmp(a->node.name, b->node.name, a->node.name_len) != 0 || x->status != y->status ||
	    x->ad != y->ad || x->rcode != y->rcode || x->neg_ttl != y->neg_ttl ||
	    x->count != y->count || x->cname_count != y->cname_count) {
		return false;
	}
	for (size_t i = 0; i < x->cname_count; i++) {
		if (strcmp(x->cname[i], y->cname[i]) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < x->count; i++) {
		if (!zs_test_rr_equal(&x->rr[i], &y->rr[i])) {
			return false;
		}
	}
	return true;
}

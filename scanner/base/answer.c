/* SPDX-License-Identifier: MIT */
/* Names of DNS statuses and record types; TXT joining. */
#include "scanner/base/answer.h"

#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"

static const char *const status_names[] = {
#define XX(name, text, msg) text,
	ZS_DNS_STATUS_MAP(XX)
#undef XX
};

static const char *const status_msgs[] = {
#define XX(name, text, msg) msg,
	ZS_DNS_STATUS_MAP(XX)
#undef XX
};

const char *zs_dns_status_name(enum zs_dns_status s)
{
	return (unsigned)s < ZS_DNS_STATUS_COUNT_ ? status_names[s] : "invalid";
}

const char *zs_dns_status_msg(enum zs_dns_status s)
{
	return (unsigned)s < ZS_DNS_STATUS_COUNT_ ? status_msgs[s] : "invalid status";
}

int zs_dns_status_parse(const char *name, enum zs_dns_status *out)
{
	for (int s = 0; s < ZS_DNS_STATUS_COUNT_; s++) {
		if (strcmp(name, status_names[s]) == 0) {
			*out = (enum zs_dns_status)s;
			return 0;
		}
	}
	return ZS_ERR_NOTFOUND;
}

bool zs_dns_status_is_answer(enum zs_dns_status s)
{
	return s == ZS_DNS_NOERROR || s == ZS_DNS_NODATA || s == ZS_DNS_NXDOMAIN;
}

bool zs_dns_status_is_failure(enum zs_dns_status s)
{
	return !zs_dns_status_is_answer(s) && s != ZS_DNS_NOT_ASKED;
}

const char *zs_rr_type_name(uint16_t type)
{
	static __thread char other[16];

	switch (type) {
	case ZS_RR_A:
		return "A";
	case ZS_RR_NS:
		return "NS";
	case ZS_RR_CNAME:
		return "CNAME";
	case ZS_RR_SOA:
		return "SOA";
	case ZS_RR_PTR:
		return "PTR";
	case ZS_RR_MX:
		return "MX";
	case ZS_RR_TXT:
		return "TXT";
	case ZS_RR_AAAA:
		return "AAAA";
	case ZS_RR_DS:
		return "DS";
	case ZS_RR_SPF:
		return "SPF";
	default:
		(void)snprintf(other, sizeof(other), "TYPE%u", type);
		return other;
	}
}

char *zs_rr_txt_join(struct zs_arena *arena, const struct zs_rr *rr, size_t *len)
{
	size_t total = 0;
	for (size_t i = 0; i < rr->u.txt.count; i++) {
		total += rr->u.txt.len[i];
	}
	char *p = zs_arena_alloc(arena, total + 1);
	size_t o = 0;
	for (size_t i = 0; i < rr->u.txt.count; i++) {
		memcpy(p + o, rr->u.txt.str[i], rr->u.txt.len[i]);
		o += rr->u.txt.len[i];
	}
	p[o] = '\0';
	*len = o;
	return p;
}

static void dup_rr(struct zs_arena *arena, struct zs_rr *dst, const struct zs_rr *src)
{
	*dst = *src;
	switch (src->type) {
	case ZS_RR_MX:
		dst->u.mx.host = zs_arena_strdup(arena, src->u.mx.host);
		break;
	case ZS_RR_PTR:
	case ZS_RR_CNAME:
	case ZS_RR_NS:
		dst->u.name = zs_arena_strdup(arena, src->u.name);
		break;
	case ZS_RR_TXT:
	case ZS_RR_SPF: {
		size_t n = src->u.txt.count;
		const uint8_t **str = zs_arena_calloc(arena, n, sizeof(*str));
		uint16_t *len = zs_arena_calloc(arena, n, sizeof(*len));
		for (size_t i = 0; i < n; i++) {
			len[i] = src->u.txt.len[i];
			str[i] = zs_arena_memdup(arena, src->u.txt.str[i], len[i]);
		}
		dst->u.txt.str = str;
		dst->u.txt.len = len;
		break;
	}
	default:
		break;
	}
}

struct zs_answer *zs_answer_dup(struct zs_arena *arena, const struct zs_answer *ans)
{
	struct zs_answer *copy = zs_arena_alloc(arena, sizeof(*copy));
	*copy = *ans;
	struct zs_rr *rr = zs_arena_calloc(arena, ans->count, sizeof(*rr));
	for (size_t i = 0; i < ans->count; i++) {
		dup_rr(arena, &rr[i], &ans->rr[i]);
	}
	copy->rr = ans->count > 0 ? rr : NULL;
	const char **cname = zs_arena_calloc(arena, ans->cname_count, sizeof(*cname));
	for (size_t i = 0; i < ans->cname_count; i++) {
		cname[i] = zs_arena_strdup(arena, ans->cname[i]);
	}
	copy->cname = ans->cname_count > 0 ? cname : NULL;
	return copy;
}

int zs_rdata_order(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c != 0 ? c : (alen > blen) - (alen < blen);
}

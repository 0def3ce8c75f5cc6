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

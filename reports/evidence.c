/* SPDX-License-Identifier: MIT */
/* Which records and facts are the evidence of each check. */
#include "reports/evidence.h"

#include <string.h>

/* Whether owner is exactly prefix + domain. */
static bool under(const char *owner, const char *prefix, const char *domain)
{
	size_t p = strlen(prefix);
	size_t d = strlen(domain);
	size_t o = strlen(owner);
	if (o != p + d || strncmp(owner, prefix, p) != 0) {
		return false;
	}
	return strcmp(owner + p, domain) == 0;
}

static bool in_domainkey(const char *owner, const char *domain)
{
	static const char label[] = "._domainkey.";
	size_t d = strlen(domain);
	size_t o = strlen(owner);
	size_t l = sizeof(label) - 1;
	if (o <= l + d || strcmp(owner + o - d, domain) != 0) {
		return false;
	}
	return strncmp(owner + o - d - l, label, l) == 0;
}

bool zs_evidence_owner_matches(enum zs_check c, const char *domain, const char *owner)
{
	switch (c) {
	case ZS_CHECK_SPF_VALID:
	case ZS_CHECK_SPF_ALL:
	case ZS_CHECK_SPF_NO_PTR:
		return strcmp(owner, domain) == 0;
	case ZS_CHECK_DMARC_VALID:
	case ZS_CHECK_DMARC_ALIGNMENT:
	case ZS_CHECK_DMARC_SP:
	case ZS_CHECK_DMARC_RUA:
	case ZS_CHECK_DMARC_TAGS:
		return under(owner, "_dmarc.", domain);
	case ZS_CHECK_DKIM_RSA:
	case ZS_CHECK_DKIM_WILDCARD_REVOKED:
		return in_domainkey(owner, domain);
	case ZS_CHECK_MTA_STS:
		return under(owner, "_mta-sts.", domain);
	case ZS_CHECK_TLS_RPT:
		return under(owner, "_smtp._tls.", domain);
	case ZS_CHECK_RDNS:
	case ZS_CHECK_MX_SANE:
	case ZS_CHECK_DNSSEC:
	case ZS_CHECK_COUNT_:
		break;
	}
	return false;
}

size_t zs_evidence_facts(enum zs_check c, enum zs_db_fact *out, size_t max)
{
	static const enum zs_db_fact spf[] = { ZS_DB_FACT_SPF_STATUS, ZS_DB_FACT_SPF_RECORD,
		                               ZS_DB_FACT_SPF_LOOKUPS, ZS_DB_FACT_SPF_ALL };
	static const enum zs_db_fact dmarc[] = { ZS_DB_FACT_DMARC_STATUS, ZS_DB_FACT_DMARC_RECORD,
		                                 ZS_DB_FACT_DMARC_P,      ZS_DB_FACT_DMARC_SP,
		                                 ZS_DB_FACT_DMARC_PCT,    ZS_DB_FACT_DMARC_ADKIM,
		                                 ZS_DB_FACT_DMARC_ASPF };
	static const enum zs_db_fact dkim[] = { ZS_DB_FACT_DKIM_STATUS, ZS_DB_FACT_DKIM_SELECTORS,
		                                ZS_DB_FACT_DKIM_RSA_BITS };
	static const enum zs_db_fact mx[] = { ZS_DB_FACT_MX_STATUS, ZS_DB_FACT_MX_KIND,
		                              ZS_DB_FACT_MX_HOSTS, ZS_DB_FACT_RDNS_STATUS,
		                              ZS_DB_FACT_RDNS };
	static const enum zs_db_fact dnssec[] = { ZS_DB_FACT_DNSSEC_SIGNED };
	const enum zs_db_fact *list = NULL;
	size_t n = 0;

	switch (c) {
	case ZS_CHECK_SPF_VALID:
	case ZS_CHECK_SPF_ALL:
	case ZS_CHECK_SPF_NO_PTR:
		list = spf;
		n = sizeof(spf) / sizeof(spf[0]);
		break;
	case ZS_CHECK_DMARC_VALID:
	case ZS_CHECK_DMARC_ALIGNMENT:
	case ZS_CHECK_DMARC_SP:
	case ZS_CHECK_DMARC_RUA:
	case ZS_CHECK_DMARC_TAGS:
		list = dmarc;
		n = sizeof(dmarc) / sizeof(dmarc[0]);
		break;
	case ZS_CHECK_DKIM_RSA:
	case ZS_CHECK_DKIM_WILDCARD_REVOKED:
		list = dkim;
		n = sizeof(dkim) / sizeof(dkim[0]);
		break;
	case ZS_CHECK_RDNS:
	case ZS_CHECK_MX_SANE:
		list = mx;
		n = sizeof(mx) / sizeof(mx[0]);
		break;
	case ZS_CHECK_DNSSEC:
		list = dnssec;
		n = 1;
		break;
	case ZS_CHECK_MTA_STS:
	case ZS_CHECK_TLS_RPT:
	case ZS_CHECK_COUNT_:
		break;
	}
	n = n < max ? n : max;
	for (size_t i = 0; i < n; i++) {
		out[i] = list[i];
	}
	return n;
}

void zs_evidence_render_facts(const struct zs_db_report_row *row, struct zs_facts *f)
{
	const char *kind = row->facts[ZS_DB_FACT_MX_KIND];
	const char *status = row->facts[ZS_DB_FACT_MX_STATUS];

	memset(f, 0, sizeof(*f));
	f->domain = row->domain;
	f->spf.record = row->facts[ZS_DB_FACT_SPF_RECORD];
	f->dmarc.record = row->facts[ZS_DB_FACT_DMARC_RECORD];
	f->mx.status = ZS_DNS_NOT_ASKED;
	if (status == NULL || zs_dns_status_parse(status, &f->mx.status) != 0) {
		f->mx.status = ZS_DNS_NOT_ASKED;
	}
	f->mx.kind = kind != NULL && strcmp(kind, "hosts") == 0  ? ZS_FACT_MX_HOSTS
	             : kind != NULL && strcmp(kind, "null") == 0 ? ZS_FACT_MX_NULL
	                                                         : ZS_FACT_MX_NONE;
}

const struct zs_rule *zs_evidence_rule(const struct zs_policy *p, const char *id)
{
	for (size_t i = 0; p != NULL && i < p->rule_count; i++) {
		if (strcmp(p->rules[i].id, id) == 0) {
			return &p->rules[i];
		}
	}
	return NULL;
}

/* SPDX-License-Identifier: MIT */
/* The facts summary as JSON: flat keys, so that SQL (facts->'summary'->>'spf_record') and the
 * report writers read them without knowing the record machines' own layouts. */
#include "scanner/policy/facts.h"

#include <stdio.h>
#include <string.h>

#include "scanner/base/json.h"

static void kchar(struct zs_json *j, const char *key, char c)
{
	char s[2] = { c, '\0' };
	zs_json_kstr(j, key, c != 0 ? s : NULL);
}

static void ktext(struct zs_json *j, const char *key, const char *s)
{
	zs_json_kdata(j, key, s, s != NULL ? strlen(s) : 0);
}

static void krecord(struct zs_json *j, const char *prefix, const struct zs_fact_record *r)
{
	char key[64];
	(void)snprintf(key, sizeof(key), "%s_status", prefix);
	zs_json_kstr(j, key, zs_dns_status_name(r->status));
	(void)snprintf(key, sizeof(key), "%s_present", prefix);
	zs_json_kbool(j, key, r->present);
	(void)snprintf(key, sizeof(key), "%s_valid", prefix);
	zs_json_kbool(j, key, r->valid);
}

void zs_facts_json(struct zs_json *j, const struct zs_facts *f)
{
	static const char *const mx_kinds[] = { "none", "null", "hosts" };
	static const char *const rdns[] = { "ok", "mismatch", "missing", "unresolvable", "none" };

	zs_json_obj_begin(j);
	zs_json_kstr(j, "mx_status", zs_dns_status_name(f->mx.status));
	zs_json_kstr(j, "mx_kind", mx_kinds[f->mx.kind]);
	zs_json_kint(j, "mx_count", (long long)f->mx.count);
	zs_json_kbool(j, "mx_null_misused", f->mx.null_misused);
	zs_json_key(j, "mx_hosts");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < f->mx.host_count; i++) {
		zs_json_str(j, f->mx.hosts[i]);
	}
	zs_json_arr_end(j);

	zs_json_kstr(j, "spf_status", zs_dns_status_name(f->spf.status));
	zs_json_kint(j, "spf_count", (long long)f->spf.count);
	zs_json_kbool(j, "spf_valid", f->spf.valid);
	ktext(j, "spf_error", f->spf.error);
	ktext(j, "spf_record", f->spf.record);
	kchar(j, "spf_all", f->spf.all);
	zs_json_kbool(j, "spf_authorizes", f->spf.authorizes);
	zs_json_kbool(j, "spf_senders", f->spf.senders);
	zs_json_kbool(j, "spf_ptr", f->spf.uses_ptr);
	zs_json_kint(j, "spf_lookups", f->spf.lookups);
	zs_json_kint(j, "spf_ipv4", (long long)f->spf.ipv4);
	zs_json_kbool(j, "spf_type99_only", f->spf.type99_only);

	zs_json_kstr(j, "dmarc_status", zs_dns_status_name(f->dmarc.status));
	zs_json_kint(j, "dmarc_count", (long long)f->dmarc.count);
	zs_json_kbool(j, "dmarc_valid", f->dmarc.valid);
	ktext(j, "dmarc_error", f->dmarc.error);
	zs_json_kint(j, "dmarc_discarded", (long long)f->dmarc.discarded);
	ktext(j, "dmarc_broken", f->dmarc.broken);
	ktext(j, "dmarc_record", f->dmarc.record);
	zs_json_kstr(j, "dmarc_p", f->dmarc.p);
	zs_json_kstr(j, "dmarc_sp", f->dmarc.sp);
	zs_json_kint(j, "dmarc_pct", f->dmarc.pct);
	kchar(j, "dmarc_adkim", f->dmarc.adkim);
	kchar(j, "dmarc_aspf", f->dmarc.aspf);
	zs_json_kbool(j, "dmarc_rua", f->dmarc.has_rua);
	zs_json_kbool(j, "dmarc_inherited", f->dmarc.inherited);
	zs_json_kstr(j, "dmarc_inherited_from", f->dmarc.inherited_from);
	zs_json_kstr(j, "dmarc_inherited_p", f->dmarc.inherited_p);

	zs_json_kstr(j, "dkim_status", zs_dns_status_name(f->dkim.status));
	zs_json_kbool(j, "dkim_nothing_below", f->dkim.nothing_below);
	zs_json_kint(j, "dkim_keys", (long long)f->dkim.keys);
	zs_json_kint(j, "dkim_probed", (long long)f->dkim.probed);
	zs_json_kint(j, "dkim_unprobed", (long long)f->dkim.unprobed);
	zs_json_kint(j, "dkim_rsa_bits", f->dkim.best_rsa_bits);
	zs_json_kstr(j, "dkim_selector", f->dkim.best_selector);
	zs_json_kbool(j, "dkim_ed25519", f->dkim.ed25519);
	zs_json_kbool(j, "dkim_wildcard", f->dkim.wildcard);
	zs_json_kbool(j, "dkim_wildcard_revoked", f->dkim.wildcard_revoked);

	zs_json_kstr(j, "rdns_status", zs_dns_status_name(f->rdns.status));
	zs_json_kstr(j, "rdns", rdns[f->rdns.state]);
	ktext(j, "rdns_detail", f->rdns.detail);

	krecord(j, "mta_sts", &f->mta_sts);
	krecord(j, "tls_rpt", &f->tls_rpt);
	krecord(j, "bimi", &f->bimi);

	zs_json_kstr(j, "dnssec_status", zs_dns_status_name(f->dnssec.status));
	zs_json_kbool(j, "dnssec_known", f->dnssec.known);
	zs_json_kbool(j, "dnssec_signed", f->dnssec.signed_delegation);
	zs_json_kbool(j, "dnssec_validated", f->dnssec.validated);
	zs_json_obj_end(j);
}

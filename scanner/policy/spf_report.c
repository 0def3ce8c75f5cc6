/* SPDX-License-Identifier: MIT */
/*
 * JSON and text forms of an SPF report. The tree is written as a flat list in depth-first
 * order with a depth per node: include chains may nest deeper than the JSON writer's fixed
 * nesting limit, and a flat list also maps directly onto rows in the database. Counts that do
 * not fit 64 bits (IPv6 addresses) are written as exact decimal integers.
 */
#include "scanner/policy/spf_report.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/escape.h"

/* Decimal digits of a 128-bit count. */
static void u128_text(unsigned __int128 v, bool full, char *out, size_t size)
{
	char tmp[48];
	size_t n = 0;

	if (full) {
		(void)snprintf(out, size, "340282366920938463463374607431768211456");
		return;
	}
	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0 && n < sizeof(tmp));
	size_t o = 0;
	while (n > 0 && o + 1 < size) {
		out[o++] = tmp[--n];
	}
	out[o] = '\0';
}

static void json_qualifier(struct zs_json *j, const char *key, char q)
{
	char s[2] = { q, '\0' };
	zs_json_kstr(j, key, q != 0 ? s : NULL);
}

static void json_finding(struct zs_json *j, const struct zs_spf_finding *f)
{
	zs_json_obj_begin(j);
	zs_json_kstr(j, "code", zs_spf_code_name(f->code));
	zs_json_kstr(j, "severity", zs_spf_severity_name(zs_spf_code_severity(f->code)));
	if (f->domain != NULL) {
		zs_json_kdata(j, "domain", f->domain, strlen(f->domain));
	} else {
		zs_json_knull(j, "domain");
	}
	if (f->pos >= 0) {
		zs_json_kint(j, "position", f->pos);
	} else {
		zs_json_knull(j, "position");
	}
	zs_json_kdata(j, "message", f->message, strlen(f->message));
	if (f->dns_name != NULL) {
		zs_json_key(j, "dns");
		zs_json_obj_begin(j);
		zs_json_kdata(j, "name", f->dns_name, strlen(f->dns_name));
		zs_json_kstr(j, "type", zs_rr_type_name(f->dns_type));
		zs_json_kstr(j, "status", zs_dns_status_name(f->dns_status));
		zs_json_obj_end(j);
	}
	zs_json_obj_end(j);
}

static const char *node_kind_name(enum zs_spf_node_kind k)
{
	return k == ZS_SPF_NODE_ROOT ? "root" : k == ZS_SPF_NODE_INCLUDE ? "include" : "redirect";
}

static void kdata_or_null(struct zs_json *j, const char *key, const char *s, size_t n)
{
	if (s != NULL) {
		zs_json_kdata(j, key, s, n);
	} else {
		zs_json_knull(j, key);
	}
}

static void json_nodes(struct zs_json *j, const struct zs_spf_report *r,
                       const struct zs_spf_node *n, int depth)
{
	for (; n != NULL; n = n->next) {
		zs_json_obj_begin(j);
		zs_json_kint(j, "depth", depth);
		zs_json_kstr(j, "kind", node_kind_name(n->kind));
		kdata_or_null(j, "term", n->term, n->term != NULL ? strlen(n->term) : 0);
		json_qualifier(j, "qualifier", n->qualifier);
		kdata_or_null(j, "domain", n->domain, n->domain != NULL ? strlen(n->domain) : 0);
		kdata_or_null(j, "record", n->record, n->record_len);
		zs_json_kstr(j, "result", zs_spf_result_name(n->result));
		zs_json_kstr(j, "error",
		             n->error != ZS_SPF_CODE_NONE ? zs_spf_code_name(n->error) : NULL);
		zs_json_kint(j, "lookups", n->lookups);
		zs_json_kint(j, "void_lookups", n->void_lookups);
		json_qualifier(j, "all", n->all);
		if (r->analysis) {
			zs_json_kint(j, "ipv4_addresses", (long long)n->ipv4_addresses);
		}
		zs_json_obj_end(j);
		json_nodes(j, r, n->child, depth + 1);
	}
}

static void json_ip(struct zs_json *j, const char *key, const struct zs_spf_ip *ip)
{
	char text[INET6_ADDRSTRLEN];
	int af = ip->family == 4 ? AF_INET : AF_INET6;
	zs_json_kstr(j, key, inet_ntop(af, ip->addr, text, sizeof(text)));
}

static void json_unlisted(struct zs_json *j, const struct zs_spf_unlisted *u)
{
	zs_json_obj_begin(j);
	zs_json_kbool(j, "evaluated", u->evaluated);
	if (u->evaluated) {
		json_ip(j, "ip", &u->ip);
		zs_json_kstr(j, "result", zs_spf_result_name(u->result));
		zs_json_kstr(j, "error",
		             u->error != ZS_SPF_CODE_NONE ? zs_spf_code_name(u->error) : NULL);
		zs_json_key(j, "error_detail");
		if (u->error_finding != NULL) {
			json_finding(j, u->error_finding);
		} else {
			zs_json_null(j);
		}
		kdata_or_null(j, "matched", u->matched,
		              u->matched != NULL ? strlen(u->matched) : 0);
		kdata_or_null(j, "matched_domain", u->matched_domain,
		              u->matched_domain != NULL ? strlen(u->matched_domain) : 0);
		zs_json_kint(j, "lookups", u->lookups);
		zs_json_kint(j, "void_lookups", u->void_lookups);
	}
	zs_json_obj_end(j);
}

int zs_spf_report_json(const struct zs_spf_report *r, struct zs_json *j)
{
	char num[48];

	zs_json_obj_begin(j);
	zs_json_kdata(j, "domain", r->domain, strlen(r->domain));
	zs_json_kstr(j, "mode", r->analysis ? "analysis" : "check");
	zs_json_kstr(j, "result", zs_spf_result_name(r->result));
	zs_json_key(j, "records");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->record_count; i++) {
		zs_json_data(j, r->records[i].data, r->records[i].len);
	}
	zs_json_arr_end(j);
	if (r->analysis) {
		zs_json_key(j, "type99_records");
		zs_json_arr_begin(j);
		for (size_t i = 0; i < r->type99_count; i++) {
			zs_json_data(j, r->type99[i].data, r->type99[i].len);
		}
		zs_json_arr_end(j);
	}
	zs_json_kstr(j, "error", r->error != ZS_SPF_CODE_NONE ? zs_spf_code_name(r->error) : NULL);
	zs_json_key(j, "error_detail");
	if (r->error_finding != NULL) {
		json_finding(j, r->error_finding);
	} else {
		zs_json_null(j);
	}
	zs_json_kint(j, "lookups", r->lookups);
	zs_json_kint(j, "void_lookups", r->void_lookups);
	json_qualifier(j, "all", r->all);
	if (r->analysis) {
		zs_json_kint(j, "void_lookups_ipv4", r->void_lookups_ipv4);
		zs_json_kint(j, "void_lookups_ipv6", r->void_lookups_ipv6);
		zs_json_kbool(j, "authorizes_hosts", r->authorizes_hosts);
		zs_json_kint(j, "ipv4_addresses", (long long)r->ipv4_addresses);
		u128_text(r->ipv6_addresses, r->ipv6_all, num, sizeof(num));
		zs_json_key(j, "ipv6_addresses");
		zs_json_raw(j, num);
		zs_json_key(j, "unlisted");
		zs_json_arr_begin(j);
		json_unlisted(j, &r->unlisted[0]);
		json_unlisted(j, &r->unlisted[1]);
		zs_json_arr_end(j);
	} else {
		zs_json_knull(j, "authorizes_hosts");
		zs_json_knull(j, "ipv4_addresses");
		zs_json_knull(j, "ipv6_addresses");
	}
	zs_json_kbool(j, "ptr", r->ptr);
	zs_json_kbool(j, "dynamic", r->dynamic);
	zs_json_kbool(j, "truncated", r->truncated);
	if (!r->analysis) {
		kdata_or_null(j, "explanation", r->explanation,
		              r->explanation != NULL ? strlen(r->explanation) : 0);
		kdata_or_null(j, "matched", r->matched,
		              r->matched != NULL ? strlen(r->matched) : 0);
		kdata_or_null(j, "matched_domain", r->matched_domain,
		              r->matched_domain != NULL ? strlen(r->matched_domain) : 0);
	}
	zs_json_key(j, "findings");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->finding_count; i++) {
		json_finding(j, &r->findings[i]);
	}
	zs_json_arr_end(j);
	zs_json_kbool(j, "findings_truncated", r->findings_truncated);
	zs_json_key(j, "tree");
	zs_json_arr_begin(j);
	json_nodes(j, r, r->tree, 0);
	zs_json_arr_end(j);
	zs_json_obj_end(j);
	return zs_json_error(j);
}

/* ------------------------------------------------------------------------------------------ */

static int indent(struct zs_buf *out, int depth)
{
	int ret = 0;
	for (int i = 0; i < depth && ret == 0; i++) {
		ret = zs_buf_puts(out, "  ");
	}
	return ret;
}

static int put_data(struct zs_buf *out, const char *s, size_t n)
{
	return s != NULL ? zs_escape_data(out, s, n) : zs_buf_puts(out, "(none)");
}

static int tree_nodes(const struct zs_spf_report *r, const struct zs_spf_node *n, int depth,
                      struct zs_buf *out)
{
	int ret = 0;

	for (; n != NULL && ret == 0; n = n->next) {
		ret = indent(out, depth);
		if (n->kind == ZS_SPF_NODE_ROOT) {
			ret = ret != 0 ? ret : put_data(out, n->domain, strlen(n->domain));
		} else {
			ret = ret != 0 ? ret : put_data(out, n->term, strlen(n->term));
			if (ret == 0 && n->domain != NULL && n->term != NULL &&
			    strstr(n->term, n->domain) == NULL) {
				ret = zs_buf_puts(out, " -> ");
				ret = ret != 0 ? ret : put_data(out, n->domain, strlen(n->domain));
			}
		}
		ret = ret != 0 ? ret
		               : zs_buf_printf(out, ": %s%s%s, %u lookup%s",
		                               zs_spf_result_name(n->result),
		                               n->error != ZS_SPF_CODE_NONE ? " " : "",
		                               n->error != ZS_SPF_CODE_NONE
		                                       ? zs_spf_code_name(n->error)
		                                       : "",
		                               n->lookups, n->lookups == 1 ? "" : "s");
		if (ret == 0 && n->void_lookups > 0) {
			ret = zs_buf_printf(out, ", %u void", n->void_lookups);
		}
		if (ret == 0 && r->analysis && n->ipv4_addresses > 0) {
			ret = zs_buf_printf(out, ", %llu IPv4",
			                    (unsigned long long)n->ipv4_addresses);
		}
		if (ret == 0 && n->record != NULL) {
			ret = zs_buf_putc(out, '\n');
			ret = ret != 0 ? ret : indent(out, depth + 2);
			ret = ret != 0 ? ret : zs_buf_putc(out, '"');
			ret = ret != 0 ? ret : put_data(out, n->record, n->record_len);
			ret = ret != 0 ? ret : zs_buf_putc(out, '"');
		}
		ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
		ret = ret != 0 ? ret : tree_nodes(r, n->child, depth + 1, out);
	}
	return ret;
}

/* "unlisted IPv4 sender 203.0.113.254: fail (-all in example.com), 2 lookups, 0 void". */
static int unlisted_line(const struct zs_spf_unlisted *u, const char *family, struct zs_buf *out)
{
	char text[INET6_ADDRSTRLEN];

	if (!u->evaluated) {
		return zs_buf_printf(
		        out, "unlisted %s sender: not evaluated (the analysis decided)\n", family);
	}
	int ret = zs_buf_printf(
	        out, "unlisted %s sender %s: %s%s%s", family,
	        inet_ntop(u->ip.family == 4 ? AF_INET : AF_INET6, u->ip.addr, text, sizeof(text)),
	        zs_spf_result_name(u->result), u->error != ZS_SPF_CODE_NONE ? " " : "",
	        u->error != ZS_SPF_CODE_NONE ? zs_spf_code_name(u->error) : "");
	if (ret == 0 && u->matched != NULL) {
		ret = zs_buf_puts(out, " (");
		ret = ret != 0 ? ret : put_data(out, u->matched, strlen(u->matched));
		ret = ret != 0 ? ret : zs_buf_puts(out, " in ");
		ret = ret != 0 ? ret : put_data(out, u->matched_domain, strlen(u->matched_domain));
		ret = ret != 0 ? ret : zs_buf_putc(out, ')');
	}
	ret = ret != 0 ? ret
	               : zs_buf_printf(out, ", %u lookup%s, %u void\n", u->lookups,
	                               u->lookups == 1 ? "" : "s", u->void_lookups);
	if (ret == 0 && u->error_finding != NULL) {
		ret = zs_buf_puts(out, "  ");
		ret = ret != 0 ? ret
		               : put_data(out, u->error_finding->message,
		                          strlen(u->error_finding->message));
		ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
	}
	return ret;
}

int zs_spf_report_tree(const struct zs_spf_report *r, struct zs_buf *out)
{
	char num[48];
	int ret = tree_nodes(r, r->tree, 0, out);

	ret = ret != 0 ? ret
	               : zs_buf_printf(out, "result: %s%s%s\n", zs_spf_result_name(r->result),
	                               r->error != ZS_SPF_CODE_NONE ? " " : "",
	                               r->error != ZS_SPF_CODE_NONE ? zs_spf_code_name(r->error)
	                                                            : "");
	ret = ret != 0 ? ret
	               : zs_buf_printf(out, "lookups: %u, void lookups: %u, all: %c\n", r->lookups,
	                               r->void_lookups, r->all != 0 ? r->all : '-');
	if (ret == 0 && r->analysis) {
		u128_text(r->ipv6_addresses, r->ipv6_all, num, sizeof(num));
		ret = zs_buf_printf(out, "authorizes hosts: %s, IPv4 addresses: %llu, IPv6: %s%s\n",
		                    r->authorizes_hosts ? "yes" : "no",
		                    (unsigned long long)r->ipv4_addresses, num,
		                    r->dynamic ? " (and client-dependent terms)" : "");
	}
	for (int fam = 0; fam < 2 && ret == 0 && r->analysis; fam++) {
		ret = unlisted_line(&r->unlisted[fam], fam == 0 ? "IPv4" : "IPv6", out);
	}
	if (ret == 0 && !r->analysis && r->matched != NULL) {
		ret = zs_buf_puts(out, "matched: ");
		ret = ret != 0 ? ret : put_data(out, r->matched, strlen(r->matched));
		ret = ret != 0 ? ret : zs_buf_puts(out, " in ");
		ret = ret != 0 ? ret : put_data(out, r->matched_domain, strlen(r->matched_domain));
		ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
	}
	if (ret == 0 && r->explanation != NULL) {
		ret = zs_buf_puts(out, "explanation: ");
		ret = ret != 0 ? ret : put_data(out, r->explanation, strlen(r->explanation));
		ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
	}
	for (size_t i = 0; i < r->finding_count && ret == 0; i++) {
		const struct zs_spf_finding *f = &r->findings[i];
		ret = zs_buf_printf(out, "%-7s %s",
		                    zs_spf_severity_name(zs_spf_code_severity(f->code)),
		                    zs_spf_code_name(f->code));
		if (ret == 0 && f->domain != NULL) {
			ret = zs_buf_putc(out, ' ');
			ret = ret != 0 ? ret : put_data(out, f->domain, strlen(f->domain));
			if (ret == 0 && f->pos >= 0) {
				ret = zs_buf_printf(out, "@%ld", f->pos);
			}
		}
		ret = ret != 0 ? ret : zs_buf_puts(out, ": ");
		ret = ret != 0 ? ret : put_data(out, f->message, strlen(f->message));
		ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
	}
	return ret;
}

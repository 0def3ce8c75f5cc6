/* SPDX-License-Identifier: MIT */
/*
 * Findings: what the record parsers and discovery machines found wrong (or worth saying) about a
 * domain's DMARC, DKIM, MX, MTA-STS, TLS-RPT and BIMI data. A finding is data, not a log line:
 * a stable code (the string stored in the database and matched by policy rules and tests), a
 * fixed severity, and a one-line message written for the registrant in which every byte that
 * came from DNS is escaped. One X-macro table gives every code its enum value, its name and its
 * severity, so docs/records.md, the database and the tests agree on one list.
 *
 * Severity means: ERROR makes the record it is attached to invalid (a receiver would ignore it
 * or cannot use it), WARN is a problem that leaves the record usable, INFO is a fact.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct zs_arena;
struct zs_json;

enum zs_severity {
	ZS_SEV_INFO,
	ZS_SEV_WARN,
	ZS_SEV_ERROR,
};

/* XX(enum suffix, stable code, severity) */
#define ZS_FINDING_MAP(XX)                                                 \
	XX(TXT_MANY_RECORDS, "txt.many_records", WARN)                     \
	XX(DMARC_EMPTY, "dmarc.empty", ERROR)                              \
	XX(DMARC_SYNTAX, "dmarc.syntax", ERROR)                            \
	XX(DMARC_LEADING_SPACE, "dmarc.leading_space", ERROR)              \
	XX(DMARC_V_NOT_FIRST, "dmarc.v_not_first", ERROR)                  \
	XX(DMARC_V_INVALID, "dmarc.v_invalid", ERROR)                      \
	XX(DMARC_TAG_DUPLICATE, "dmarc.tag_duplicate", ERROR)              \
	XX(DMARC_TAG_UNKNOWN, "dmarc.tag_unknown", WARN)                   \
	XX(DMARC_TAG_EMPTY, "dmarc.tag_empty", WARN)                       \
	XX(DMARC_TAG_REMOVED, "dmarc.tag_removed", INFO)                   \
	XX(DMARC_TAG_DISCARDED, "dmarc.tag_discarded", WARN)               \
	XX(DMARC_P_MISSING, "dmarc.p_missing", ERROR)                      \
	XX(DMARC_P_MISSING_RUA, "dmarc.p_missing_rua", WARN)               \
	XX(DMARC_P_NOT_SECOND, "dmarc.p_not_second", WARN)                 \
	XX(DMARC_VALUE_INVALID, "dmarc.value_invalid", ERROR)              \
	XX(DMARC_URI_INVALID, "dmarc.uri_invalid", ERROR)                  \
	XX(DMARC_URI_SIZE, "dmarc.uri_size_obsolete", WARN)                \
	XX(DMARC_URI_NOT_MAILTO, "dmarc.uri_not_mailto", WARN)             \
	XX(DMARC_MAILTO_INVALID, "dmarc.mailto_invalid", WARN)             \
	XX(DMARC_URI_TOO_MANY, "dmarc.uri_too_many", WARN)                 \
	XX(DMARC_RUA_MISSING, "dmarc.rua_missing", INFO)                   \
	XX(DMARC_SP_NONE, "dmarc.sp_none", WARN)                           \
	XX(DMARC_PCT_PARTIAL, "dmarc.pct_partial", WARN)                   \
	XX(DMARC_TESTING, "dmarc.testing", WARN)                           \
	XX(DMARC_FO_REDUNDANT, "dmarc.fo_redundant", INFO)                 \
	XX(DMARC_FO_WITHOUT_RUF, "dmarc.fo_without_ruf", INFO)             \
	XX(DMARC_RF_UNKNOWN, "dmarc.rf_unknown", WARN)                     \
	XX(DMARC_PARKED_P_WEAK, "dmarc.parked_p_weak", WARN)               \
	XX(DMARC_PARKED_SP_WEAK, "dmarc.parked_sp_weak", WARN)             \
	XX(DMARC_MULTIPLE, "dmarc.multiple", ERROR)                        \
	XX(DMARC_UNRELATED_TXT, "dmarc.unrelated_txt", INFO)               \
	XX(DMARC_SPF_AT_DMARC, "dmarc.spf_at_dmarc", WARN)                 \
	XX(DMARC_RECORD_AT_APEX, "dmarc.record_at_apex", WARN)             \
	XX(DMARC_CNAME, "dmarc.cname", INFO)                               \
	XX(DMARC_LOOKUP_FAILED, "dmarc.lookup_failed", WARN)               \
	XX(DMARC_INHERITED, "dmarc.inherited", INFO)                       \
	XX(DMARC_INHERITED_PSD, "dmarc.inherited_psd", INFO)               \
	XX(DMARC_REPORT_UNAUTHORIZED, "dmarc.report_unauthorized", WARN)   \
	XX(DMARC_REPORT_AUTH_INVALID, "dmarc.report_auth_invalid", WARN)   \
	XX(DMARC_REPORT_AUTH_FAILED, "dmarc.report_auth_failed", WARN)     \
	XX(DMARC_REPORT_AUTH_WILDCARD, "dmarc.report_auth_wildcard", INFO) \
	XX(DMARC_REPORT_NO_MX, "dmarc.report_dest_no_mx", WARN)            \
	XX(DMARC_REPORT_NULL_MX, "dmarc.report_dest_null_mx", WARN)        \
	XX(DMARC_REPORT_MX_FAILED, "dmarc.report_dest_mx_failed", INFO)    \
	XX(DMARC_REPORT_LIMIT, "dmarc.report_dest_limit", WARN)            \
	XX(DKIM_SYNTAX, "dkim.syntax", ERROR)                              \
	XX(DKIM_TRAILING_SPACE, "dkim.trailing_space", WARN)               \
	XX(DKIM_V_NOT_FIRST, "dkim.v_not_first", ERROR)                    \
	XX(DKIM_V_INVALID, "dkim.v_invalid", ERROR)                        \
	XX(DKIM_TAG_DUPLICATE, "dkim.tag_duplicate", ERROR)                \
	XX(DKIM_TAG_UNKNOWN, "dkim.tag_unknown", INFO)                     \
	XX(DKIM_P_MISSING, "dkim.p_missing", ERROR)                        \
	XX(DKIM_REVOKED, "dkim.revoked", INFO)                             \
	XX(DKIM_K_UNKNOWN, "dkim.k_unknown", ERROR)                        \
	XX(DKIM_KEY_BASE64, "dkim.key_base64", ERROR)                      \
	XX(DKIM_KEY_DER, "dkim.key_der", ERROR)                            \
	XX(DKIM_KEY_ED25519_LENGTH, "dkim.key_ed25519_length", ERROR)      \
	XX(DKIM_KEY_TYPE_MISMATCH, "dkim.key_type_mismatch", ERROR)        \
	XX(DKIM_KEY_TOO_BIG, "dkim.key_too_big", ERROR)                    \
	XX(DKIM_RSA_WEAK, "dkim.rsa_weak", ERROR)                          \
	XX(DKIM_RSA_SHORT, "dkim.rsa_short", WARN)                         \
	XX(DKIM_RSA_HUGE, "dkim.rsa_huge", WARN)                           \
	XX(DKIM_RSA_INVALID, "dkim.rsa_invalid", ERROR)                    \
	XX(DKIM_H_NO_KNOWN, "dkim.h_no_known", ERROR)                      \
	XX(DKIM_H_SHA1, "dkim.h_sha1", WARN)                               \
	XX(DKIM_H_UNKNOWN, "dkim.h_unknown", INFO)                         \
	XX(DKIM_S_NOT_EMAIL, "dkim.s_not_email", WARN)                     \
	XX(DKIM_TESTING, "dkim.testing", WARN)                             \
	XX(DKIM_MULTIPLE, "dkim.multiple", ERROR)                          \
	XX(DKIM_NOT_A_KEY, "dkim.not_a_key", INFO)                         \
	XX(DKIM_NO_DOMAINKEY, "dkim.no_domainkey", INFO)                   \
	XX(DKIM_WILDCARD, "dkim.wildcard", INFO)                           \
	XX(DKIM_WILDCARD_MATCH, "dkim.wildcard_match", INFO)               \
	XX(DKIM_SELECTOR_INVALID, "dkim.selector_invalid", WARN)           \
	XX(DKIM_SELECTOR_LIMIT, "dkim.selector_limit", WARN)               \
	XX(DKIM_CNAME, "dkim.cname", INFO)                                 \
	XX(DKIM_LOOKUP_FAILED, "dkim.lookup_failed", WARN)                 \
	XX(MX_NULL_MIXED, "mx.null_mixed", ERROR)                          \
	XX(MX_NULL_PREF, "mx.null_pref", WARN)                             \
	XX(MX_NULL_WITH_SPF, "mx.null_with_spf", WARN)                     \
	XX(MX_TARGET_IP_LITERAL, "mx.target_ip_literal", ERROR)            \
	XX(MX_TARGET_SYNTAX, "mx.target_syntax", WARN)                     \
	XX(MX_TARGET_CNAME, "mx.target_cname", WARN)                       \
	XX(MX_TARGET_UNRESOLVABLE, "mx.target_unresolvable", ERROR)        \
	XX(MX_ADDRESS_SPECIAL, "mx.address_special", WARN)                 \
	XX(MX_TOO_MANY, "mx.too_many", WARN)                               \
	XX(MX_DUPLICATE, "mx.duplicate", WARN)                             \
	XX(MX_HOST_LIMIT, "mx.host_limit", WARN)                           \
	XX(MX_LOOKUP_FAILED, "mx.lookup_failed", WARN)                     \
	XX(MX_PTR_MISSING, "mx.ptr_missing", WARN)                         \
	XX(MX_FCRDNS_MISMATCH, "mx.fcrdns_mismatch", WARN)                 \
	XX(MTASTS_SYNTAX, "mtasts.syntax", ERROR)                          \
	XX(MTASTS_V_NOT_FIRST, "mtasts.v_not_first", ERROR)                \
	XX(MTASTS_TAG_DUPLICATE, "mtasts.tag_duplicate", ERROR)            \
	XX(MTASTS_ID_MISSING, "mtasts.id_missing", ERROR)                  \
	XX(MTASTS_ID_INVALID, "mtasts.id_invalid", ERROR)                  \
	XX(MTASTS_EXT_INVALID, "mtasts.ext_invalid", ERROR)                \
	XX(MTASTS_MULTIPLE, "mtasts.multiple", ERROR)                      \
	XX(MTASTS_LOOKUP_FAILED, "mtasts.lookup_failed", WARN)             \
	XX(TLSRPT_SYNTAX, "tlsrpt.syntax", ERROR)                          \
	XX(TLSRPT_V_NOT_FIRST, "tlsrpt.v_not_first", ERROR)                \
	XX(TLSRPT_TAG_DUPLICATE, "tlsrpt.tag_duplicate", ERROR)            \
	XX(TLSRPT_RUA_MISSING, "tlsrpt.rua_missing", ERROR)                \
	XX(TLSRPT_URI_INVALID, "tlsrpt.uri_invalid", ERROR)                \
	XX(TLSRPT_URI_SCHEME, "tlsrpt.uri_scheme", WARN)                   \
	XX(TLSRPT_EXT_INVALID, "tlsrpt.ext_invalid", ERROR)                \
	XX(TLSRPT_MULTIPLE, "tlsrpt.multiple", ERROR)                      \
	XX(TLSRPT_LOOKUP_FAILED, "tlsrpt.lookup_failed", WARN)             \
	XX(BIMI_SYNTAX, "bimi.syntax", ERROR)                              \
	XX(BIMI_V_NOT_FIRST, "bimi.v_not_first", ERROR)                    \
	XX(BIMI_TAG_DUPLICATE, "bimi.tag_duplicate", ERROR)                \
	XX(BIMI_TAG_UNKNOWN, "bimi.tag_unknown", INFO)                     \
	XX(BIMI_L_MISSING, "bimi.l_missing", ERROR)                        \
	XX(BIMI_L_NOT_HTTPS, "bimi.l_not_https", ERROR)                    \
	XX(BIMI_L_NOT_SVG, "bimi.l_not_svg", WARN)                         \
	XX(BIMI_A_NOT_HTTPS, "bimi.a_not_https", ERROR)                    \
	XX(BIMI_A_MISSING, "bimi.a_missing", INFO)                         \
	XX(BIMI_DECLINED, "bimi.declined", INFO)                           \
	XX(BIMI_MULTIPLE, "bimi.multiple", ERROR)                          \
	XX(BIMI_LOOKUP_FAILED, "bimi.lookup_failed", WARN)

enum zs_finding_code {
#define XX(name, code, sev) ZS_FIND_##name,
	ZS_FINDING_MAP(XX)
#undef XX
	        ZS_FIND_COUNT_
};

/** One finding. */
struct zs_finding {
	enum zs_finding_code code;
	const char *message; /**< one line, printable UTF-8 (DNS bytes escaped); in the arena */
};

/** Most findings kept per list; the ones beyond are counted in @a dropped, never lost silently. */
enum { ZS_FINDINGS_MAX = 64 };

/** A list of findings, grown in an arena. Zero-initialised storage is an empty list. */
struct zs_findings {
	struct zs_finding *item;
	size_t count;
	size_t cap;
	size_t dropped; /**< findings not kept because the list was full */
};

/**
 * The stable code of a finding ("dmarc.p_missing").
 * @return a static string, "invalid" for a value outside the table
 */
const char *zs_finding_name(enum zs_finding_code code);

/**
 * The severity of a finding code.
 * @return the severity (ZS_SEV_ERROR for a value outside the table)
 */
enum zs_severity zs_finding_severity(enum zs_finding_code code);

/**
 * Name of a severity ("error", "warn", "info").
 * @return a static string
 */
const char *zs_severity_name(enum zs_severity sev);

/**
 * Look a finding code up by its stable name.
 * @param[out] out  the code, set only on success
 * @return 0 or ZS_ERR_NOTFOUND
 */
int zs_finding_parse(const char *name, enum zs_finding_code *out);

/**
 * Add a finding whose message is formatted like printf. Untrusted bytes must already be escaped
 * (see zs__quote() in record_int.h).
 * @param arena  where the list and the message are allocated
 * @param f      the list
 */
void zs_findings_add(struct zs_arena *arena, struct zs_findings *f, enum zs_finding_code code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * Whether a list holds a finding with this code.
 * @return true when it does
 */
bool zs_findings_has(const struct zs_findings *f, enum zs_finding_code code);

/**
 * The first finding with this code.
 * @return the finding (owned by the list), or NULL
 */
const struct zs_finding *zs_findings_find(const struct zs_findings *f, enum zs_finding_code code);

/**
 * Count the findings of one severity.
 * @return the count (dropped findings are not counted: they may be of any severity)
 */
size_t zs_findings_count(const struct zs_findings *f, enum zs_severity sev);

/**
 * Write the list as a JSON array of {"code", "severity", "message"} objects; when findings were
 * dropped, a last object with code "findings.dropped" says how many.
 */
void zs_findings_json(struct zs_json *j, const struct zs_findings *f);

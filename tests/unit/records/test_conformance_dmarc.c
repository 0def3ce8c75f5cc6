/* SPDX-License-Identifier: MIT */
/*
 * Conformance runner for ../shared/conformance/dmarc/ (every file, each by its "kind") and the
 * Public Suffix List tests. Each file is one implementation's verdicts; where the project
 * deliberately decides otherwise the vector is listed below with the reason, and the runner
 * checks that the project's own verdict (and the finding that explains it) holds, so a
 * deviation is tested, never skipped. A listed deviation that starts agreeing with the source
 * fails the run too, so the list stays true. Per-file pass rates are printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scanner/base/answer.h"
#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/dmarc.h"
#include "scanner/policy/psl.h"
#include "tests/unit/records/conformance.h"
#include "tests/unit/records/fakedns.h"
#include "tests/unit/records/yamltree.h"
#include "tests/unit/test.h"

#define DMARC_DIR ZS_SHARED_DIR "/conformance/dmarc"
#define PSL_DIR   ZS_SHARED_DIR "/conformance/psl"

/*
 * Vectors whose verdict the project does not share. "ours" is the project's verdict in the
 * vector file's terms; "finding" is the finding that must explain it (docs/records.md, section
 * "Where the sources disagree").
 */
static struct conf_deviation deviations[] = {
	{ "mox-dmarc-parse-009", "valid", ZS_FIND_DMARC_P_NOT_SECOND,
	  "p= after sp=: RFC 9989 allows p= anywhere, so the record is valid with a warning "
	  "(dmarc.p_not_second); RFC 7489's ABNF, which mox follows, wants p= second" },
	{ "mox-dmarc-parse-037", "invalid", ZS_FIND_DMARC_VALUE_INVALID,
	  "sp=invalid: a value outside the grammar is an error in the published record "
	  "(checkdmarc-039, opendmarc-009 agree); like mox, receivers still apply it (p=none from "
	  "the valid rua=, sp= discarded: dmarc.tag_discarded), which `applies` reports" },
	{ "opendmarc-parse-005", "invalid", ZS_FIND_DMARC_VALUE_INVALID,
	  "p=n: neither RFC's ABNF allows abbreviations; OpenDMARC accepts any prefix" },
	{ "opendmarc-parse-012", "valid", ZS_FIND_DMARC_RF_UNKNOWN,
	  "rf=bob is a well-formed Keyword (RFC 7489 ABNF), so only a warning "
	  "(dmarc.rf_unknown); OpenDMARC accepts only the formats it knows" },
	{ "opendmarc-parse-019", "valid", ZS_FIND_DMARC_RF_UNKNOWN,
	  "rf=000...0 is a well-formed Keyword; unknown format, warning only" },
	{ "checkdmarc-028", "invalid", ZS_FIND_DMARC_VALUE_INVALID,
	  "pct=150: not valid as published (mox and OpenDMARC agree); receivers discard the tag "
	  "and apply the record with pct=100 (RFC 7489 6.3, `applies`); checkdmarc (RFC 9989, pct "
	  "removed) only warns" },
	{ "checkdmarc-029", "invalid", ZS_FIND_DMARC_VALUE_INVALID, "pct=-1: as checkdmarc-028" },
	{ "checkdmarc-030", "invalid", ZS_FIND_DMARC_VALUE_INVALID, "pct=abc: as checkdmarc-028" },
	{ "checkdmarc-031", "invalid", ZS_FIND_DMARC_VALUE_INVALID,
	  "ri=abc: not valid as published (mox 019, OpenDMARC 013); the record applies with "
	  "ri=86400" },
	{ "checkdmarc-lookup-003", "record", ZS_FIND_DMARC_UNRELATED_TXT,
	  "non-DMARC TXT beside the record: RFC 7489 6.6.3 and RFC 9989 say to discard it, so "
	  "the record stands (info dmarc.unrelated_txt); checkdmarc errors unless told not to" },
	{ "checkdmarc-lookup-005", "no-record", ZS_FIND_DMARC_RECORD_AT_APEX,
	  "v=DMARC1 only at the apex: receivers find no policy, so the outcome is no record, with "
	  "the warning dmarc.record_at_apex; checkdmarc reports an error outcome" },
};

#define NDEV (sizeof(deviations) / sizeof(deviations[0]))

static struct zs_psl *psl;

/* ---- kind: dmarc-record (mox, OpenDMARC) ---- */

static bool str_is(const char *got, const struct ynode *want)
{
	if (ynull(want)) {
		return got == NULL;
	}
	return got != NULL && strcmp(got, ystr(want)) == 0;
}

static bool uris_match(const struct zs_dmarc_uri *u, size_t count, const struct ynode *want)
{
	if (want == NULL || want->type != Y_SEQ || want->count != count) {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const struct ynode *w = want->items[i];
		if (strcmp(u[i].uri, ystr(ymap(w, "uri"))) != 0) {
			return false;
		}
		const char *ms = ystr(ymap(w, "max_size"));
		if ((ms != NULL) != u[i].has_size) {
			return false;
		}
		if (ms != NULL && strtoull(ms, NULL, 10) != u[i].size) {
			return false;
		}
		const char *unit = ystr(ymap(w, "unit"));
		char got[2] = { u[i].unit, '\0' };
		if ((unit == NULL && u[i].unit != 0) || (unit != NULL && strcmp(unit, got) != 0)) {
			return false;
		}
	}
	return true;
}

static bool list_match(const char *const *got, size_t count, const struct ynode *want)
{
	if (want == NULL || want->type != Y_SEQ || want->count != count) {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(got[i], ystr(want->items[i])) != 0) {
			return false;
		}
	}
	return true;
}

/* Compare a record after defaults with mox's "effective" mapping. */
static bool effective_match(const struct zs_dmarc_record *r, const struct ynode *e,
                            const char **why)
{
	const char *p = r->p_from_rua ? "none" : zs_dmarc_policy_name(r->p);
	const char *sp = r->sp == ZS_DMARC_POLICY_UNSET ? NULL : zs_dmarc_policy_name(r->sp);
	const char *adkim = r->adkim == ZS_DMARC_ALIGN_STRICT ? "s" : "r";
	const char *aspf = r->aspf == ZS_DMARC_ALIGN_STRICT ? "s" : "r";
	char pct[16];
	char ri[16];
	(void)snprintf(pct, sizeof(pct), "%d", r->pct >= 0 ? r->pct : 100);
	(void)snprintf(ri, sizeof(ri), "%u", r->has_ri ? r->ri : 86400u);
	const char *fo[8];
	size_t fo_count = 0;
	char fo_chars[8][2];
	for (size_t i = 0; r->fo[i] != '\0'; i++) {
		fo_chars[i][0] = r->fo[i];
		fo_chars[i][1] = '\0';
		fo[fo_count++] = fo_chars[i];
	}
	if (fo_count == 0) {
		fo[fo_count++] = "0";
	}
	const char *afrf = "afrf";
	const char *const *rf = r->rf_count > 0 ? r->rf : &afrf;
	size_t rf_count = r->rf_count > 0 ? r->rf_count : 1;

	if (!str_is("DMARC1", ymap(e, "v")) || !str_is(p, ymap(e, "p"))) {
		*why = "v or p differs";
	} else if (!str_is(sp, ymap(e, "sp"))) {
		*why = "sp differs";
	} else if (!str_is(adkim, ymap(e, "adkim")) || !str_is(aspf, ymap(e, "aspf"))) {
		*why = "alignment differs";
	} else if (!str_is(pct, ymap(e, "pct")) || !str_is(ri, ymap(e, "ri"))) {
		*why = "pct or ri differs";
	} else if (!list_match(fo, fo_count, ymap(e, "fo"))) {
		*why = "fo differs";
	} else if (!list_match(rf, rf_count, ymap(e, "rf"))) {
		*why = "rf differs";
	} else if (!uris_match(r->rua, r->rua_count, ymap(e, "rua")) ||
	           !uris_match(r->ruf, r->ruf_count, ymap(e, "ruf"))) {
		*why = "rua or ruf differs";
	} else {
		return true;
	}
	return false;
}

static void run_record(struct zs_arena *a, const struct ynode *doc, struct conf_tally *t)
{
	const struct ynode *vs = ymap(doc, "vectors");
	for (size_t i = 0; vs != NULL && i < vs->count; i++) {
		const struct ynode *v = vs->items[i];
		const char *id = ystr(ymap(v, "id"));
		const struct ynode *rec = ymap(v, "record");
		struct zs_dmarc_record r;
		zs_dmarc_parse(a, rec->str, rec->len, 0, &r);
		const char *ours = r.valid ? "valid" : "invalid";
		const char *why = "verdict differs";
		bool ok = strcmp(ours, ystr(ymap(v, "expect"))) == 0;
		const struct ynode *eff = ymap(v, "effective");
		if (ok && eff != NULL) {
			ok = effective_match(&r, eff, &why);
		}
		conf_judge(t, deviations, NDEV, id, ok, ours, &r.findings, why);
	}
}

/* ---- checkdmarc warnings, in our terms ---- */

struct warning_map {
	const char *substring; /* checkdmarc's wording */
	enum zs_finding_code code;
	const char *ours; /* a substring our message must hold too, or NULL */
};

static const struct warning_map warning_map[] = {
	{ "pct tag was removed in RFC 9989", ZS_FIND_DMARC_TAG_REMOVED, "the pct tag" },
	{ "rf tag was removed in RFC 9989", ZS_FIND_DMARC_TAG_REMOVED, "the rf tag" },
	{ "ri tag was removed in RFC 9989", ZS_FIND_DMARC_TAG_REMOVED, "the ri tag" },
	{ "removed in RFC 9989", ZS_FIND_DMARC_TAG_REMOVED, NULL },
	{ "A missing p tag is equivalent to p=none in RFC 9989, but a p tag is required in older "
	  "versions of DMARC.",
	  ZS_FIND_DMARC_P_MISSING_RUA, NULL },
	{ "Unknown DMARC tag 'xyz'", ZS_FIND_DMARC_TAG_UNKNOWN, "xyz" },
	{ "redundant", ZS_FIND_DMARC_FO_REDUNDANT, NULL },
	{ "sp tag value of none", ZS_FIND_DMARC_SP_NONE, NULL },
	{ "subdomain policy", ZS_FIND_DMARC_PARKED_SP_WEAK, "parked" },
	{ "parked", ZS_FIND_DMARC_PARKED_P_WEAK, NULL },
	{ "parked", ZS_FIND_DMARC_PARKED_SP_WEAK, NULL },
	{ "p tag does not immediately follow the v tag", ZS_FIND_DMARC_P_NOT_SECOND, NULL },
	{ "size limit (`!size`) on rua URI", ZS_FIND_DMARC_URI_SIZE, "on rua URI" },
	{ "size limit (`!size`) on ruf URI", ZS_FIND_DMARC_URI_SIZE, "on ruf URI" },
	{ "obsolete in RFC 9989", ZS_FIND_DMARC_URI_SIZE, NULL },
	{ "no MX records", ZS_FIND_DMARC_REPORT_NO_MX, NULL },
	{ "more than two rua URIs", ZS_FIND_DMARC_URI_TOO_MANY, "rua" },
	{ "more than two ruf URIs", ZS_FIND_DMARC_URI_TOO_MANY, "ruf" },
	{ "ruf email address", ZS_FIND_DMARC_REPORT_MX_FAILED, "ruf email address" },
	{ "no effect", ZS_FIND_DMARC_RECORD_AT_APEX, NULL },
	{ "rua", ZS_FIND_DMARC_RUA_MISSING, NULL },
};

static bool finding_with(const struct zs_findings *const *lists, size_t nlists,
                         enum zs_finding_code code, const char *sub)
{
	for (size_t l = 0; l < nlists; l++) {
		const struct zs_findings *f = lists[l];
		for (size_t i = 0; i < f->count; i++) {
			if (f->item[i].code == code &&
			    (sub == NULL || strstr(f->item[i].message, sub) != NULL)) {
				return true;
			}
		}
	}
	return false;
}

/*
 * Whether a checkdmarc warning (its exact wording in the vector file) is present among our
 * findings: any map entry for that wording whose finding we produced.
 * @return 1 present, 0 absent, -1 the wording is not in the map (the runner must learn it)
 */
static int warning_present(const struct zs_findings *const *lists, size_t nlists,
                           const char *warning)
{
	bool mapped = false;
	for (size_t i = 0; i < sizeof(warning_map) / sizeof(warning_map[0]); i++) {
		const struct warning_map *m = &warning_map[i];
		if (strcasecmp(m->substring, warning) != 0) {
			continue;
		}
		mapped = true;
		if (finding_with(lists, nlists, m->code, m->ours)) {
			return 1;
		}
	}
	return mapped ? 0 : -1;
}

static bool warnings_check(const struct ynode *v, const struct zs_findings *const *lists,
                           size_t nlists, const char **why)
{
	const struct ynode *wc = ymap(v, "warnings_contain");
	for (size_t i = 0; wc != NULL && i < wc->count; i++) {
		int p = warning_present(lists, nlists, ystr(wc->items[i]));
		if (p != 1) {
			*why = p < 0 ? "a warning wording missing from the runner's map"
			             : "a warning is missing";
			return false;
		}
	}
	const struct ynode *wa = ymap(v, "warnings_absent");
	for (size_t i = 0; wa != NULL && i < wa->count; i++) {
		if (warning_present(lists, nlists, ystr(wa->items[i])) != 0) {
			*why = "a warning that must be absent is present";
			return false;
		}
	}
	return true;
}

/* checkdmarc's error classes, in our terms */
static bool error_check(const char *cls, const struct zs_findings *f)
{
	static const struct {
		const char *cls;
		enum zs_finding_code code;
	} map[] = {
		{ "InvalidDMARCTagValue", ZS_FIND_DMARC_VALUE_INVALID },
		{ "InvalidDMARCTag", ZS_FIND_DMARC_TAG_DUPLICATE },
		{ "InvalidDMARCReportURI", ZS_FIND_DMARC_URI_INVALID },
		{ "DMARCSyntaxError", ZS_FIND_DMARC_SYNTAX },
		{ "SPFRecordFoundWhereDMARCRecordShouldBe", ZS_FIND_DMARC_V_INVALID },
	};
	if (cls == NULL) {
		return true;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].cls, cls) == 0) {
			return zs_findings_has(f, map[i].code);
		}
	}
	return false;
}

/* The effective-tag assertions of checkdmarc: {tag: {value, explicit}}. */
static bool lint_effective(const struct zs_dmarc_record *r, const struct ynode *eff)
{
	struct zs_dmarc_effective e;
	zs_dmarc_effective(r, false, &e);
	for (size_t i = 0; eff != NULL && i < eff->count; i++) {
		const char *tag = eff->keys[i];
		const char *value = ystr(ymap(eff->items[i], "value"));
		const char *explicit_s = ystr(ymap(eff->items[i], "explicit"));
		char flag[2] = { 0, 0 };
		const char *got = NULL;
		bool set = false;
		if (strcmp(tag, "p") == 0) {
			got = zs_dmarc_policy_name(e.domain);
			set = r->p != ZS_DMARC_POLICY_UNSET;
		} else if (strcmp(tag, "np") == 0) {
			got = zs_dmarc_policy_name(e.nonexistent);
			set = r->np != ZS_DMARC_POLICY_UNSET;
		} else if (strcmp(tag, "psd") == 0) {
			flag[0] = e.psd;
			got = flag;
			set = r->psd != 0;
		} else if (strcmp(tag, "t") == 0) {
			flag[0] = r->t != 0 ? r->t : 'n';
			got = flag;
			set = r->t != 0;
		} else {
			return false;
		}
		if (strcmp(got, value) != 0) {
			return false;
		}
		if (explicit_s != NULL && (strcmp(explicit_s, "true") == 0) != set) {
			return false;
		}
	}
	return true;
}

/* Whether each tag of "tags_absent" was dropped: unknown, or flagged as removed by RFC 9989. */
static bool tags_absent_check(const struct ynode *ta, const struct zs_dmarc_record *r)
{
	for (size_t i = 0; ta != NULL && i < ta->count; i++) {
		const char *tag = ystr(ta->items[i]);
		char removed[32];
		(void)snprintf(removed, sizeof(removed), "the %s tag", tag);
		const struct zs_findings *lists[] = { &r->findings };
		if (!finding_with(lists, 1, ZS_FIND_DMARC_TAG_UNKNOWN, tag) &&
		    !finding_with(lists, 1, ZS_FIND_DMARC_TAG_REMOVED, removed)) {
			return false;
		}
	}
	return true;
}

/*
 * Run the destination checks of checkdmarc's "context" through the real machine: the MX of
 * each destination from context.mx (an empty list is a domain without MX), every MX lookup
 * failing for mx_lookup_fails, and an authorization record for every external destination
 * when external_destination_authorized.
 */
static const struct zs_dmarc_result *run_context(struct zs_arena *a, const char *domain,
                                                 const struct ynode *rec, const struct ynode *ctx)
{
	struct fake_zone *z = fake_zone_new(a);
	char *name = zs_arena_printf(a, "_dmarc.%s", domain);
	fake_txt_bytes(z, name, rec->str, rec->len);
	const struct ynode *mx = ymap(ctx, "mx");
	for (size_t i = 0; mx != NULL && i < mx->count; i++) {
		const struct ynode *hosts = mx->items[i];
		if (hosts->count == 0) {
			fake_exists(z, mx->keys[i]);
		}
		for (size_t k = 0; k < hosts->count; k++) {
			fake_mx(z, mx->keys[i], 10, ystr(hosts->items[k]));
		}
	}
	struct zs_dmarc_record probe;
	zs_dmarc_parse(a, rec->str, rec->len, 0, &probe);
	bool fails = ystr(ymap(ctx, "mx_lookup_fails")) != NULL;
	bool auth = ystr(ymap(ctx, "external_destination_authorized")) != NULL;
	for (int pass = 0; pass < 2; pass++) {
		const struct zs_dmarc_uri *u = pass == 0 ? probe.rua : probe.ruf;
		size_t n = pass == 0 ? probe.rua_count : probe.ruf_count;
		for (size_t i = 0; i < n; i++) {
			if (u[i].mailto_domain == NULL) {
				continue;
			}
			if (fails) {
				fake_fail(z, u[i].mailto_domain, ZS_RR_MX, ZS_DNS_SERVFAIL);
			}
			if (auth) {
				fake_txt(z,
				         zs_arena_printf(a, "%s._report._dmarc.%s", domain,
				                         u[i].mailto_domain),
				         "v=DMARC1");
			}
		}
	}
	struct zs_dmarc_opts opts = { .psl = psl };
	struct zs_dmarc_ctx *c = zs_dmarc_new(a, domain, &opts);
	if (fake_drive(z, &zs_dmarc_lookup_ops, c, 8, FAKE_FIFO, NULL) != 0) {
		return NULL;
	}
	return zs_dmarc_result(c);
}

static void run_record_lint(struct zs_arena *a, const struct ynode *doc, struct conf_tally *t)
{
	const struct ynode *vs = ymap(doc, "vectors");
	for (size_t i = 0; vs != NULL && i < vs->count; i++) {
		const struct ynode *v = vs->items[i];
		const char *id = ystr(ymap(v, "id"));
		const struct ynode *rec = ymap(v, "record");
		const struct ynode *ctx = ymap(v, "context");
		const char *domain = ystr(ymap(v, "domain"));
		if (domain == NULL || domain[0] == '\0') {
			domain = "example.com";
		}
		struct zs_dmarc_record r;
		zs_dmarc_parse(a, rec->str, rec->len, 0, &r);
		if (ctx != NULL && ystr(ymap(ctx, "parked")) != NULL) {
			zs_dmarc_check_parked(a, &r);
		}
		const struct zs_findings *lists[2] = { &r.findings, NULL };
		size_t nlists = 1;
		if (ctx != NULL &&
		    (ymap(ctx, "mx") != NULL || ymap(ctx, "mx_lookup_fails") != NULL ||
		     ymap(ctx, "external_destination_authorized") != NULL)) {
			const struct zs_dmarc_result *res = run_context(a, domain, rec, ctx);
			if (res == NULL) {
				conf_judge(t, deviations, NDEV, id, false, "error", NULL,
				           "the machine broke its contract");
				continue;
			}
			lists[nlists++] = &res->findings;
		}
		const char *ours = r.valid ? "valid" : "invalid";
		const char *why = "verdict differs";
		bool ok = strcmp(ours, ystr(ymap(v, "expect"))) == 0;
		if (ok && !r.valid &&
		    !error_check(ystr(ymap(v, "checkdmarc_error")), &r.findings)) {
			ok = false;
			why = "no finding of the error's class";
		}
		if (ok && r.valid && !lint_effective(&r, ymap(v, "effective"))) {
			ok = false;
			why = "effective tags differ";
		}
		if (ok) {
			ok = warnings_check(v, lists, nlists, &why);
		}
		if (ok && !tags_absent_check(ymap(v, "tags_absent"), &r)) {
			ok = false;
			why = "a tag that must be dropped was neither unknown nor flagged as removed";
		}
		conf_judge(t, deviations, NDEV, id, ok, ours, &r.findings, why);
	}
}

/* ---- discovery ---- */

static struct fake_zone *zone_from(struct zs_arena *a, const struct ynode *scen)
{
	struct fake_zone *z = fake_zone_new(a);
	const struct ynode *zt = ymap(scen, "zone_txt");
	for (size_t i = 0; zt != NULL && i < zt->count; i++) {
		const struct ynode *recs = zt->items[i];
		for (size_t k = 0; k < recs->count; k++) {
			fake_txt_bytes(z, zt->keys[i], recs->items[k]->str, recs->items[k]->len);
		}
	}
	const struct ynode *tf = ymap(scen, "temp_fail");
	for (size_t i = 0; tf != NULL && i < tf->count; i++) {
		fake_fail(z, ystr(ymap(tf->items[i], "name")), ZS_RR_TXT, ZS_DNS_SERVFAIL);
	}
	return z;
}

/* The outcome in the vector files' words, and the policy domain it came from. */
static const char *mox_outcome(const struct zs_dmarc_result *r, const char **policy_domain,
                               const struct zs_dmarc_record **rec)
{
	const struct zs_dmarc_site *s = &r->own;
	if (s->outcome == ZS_DMARC_NONE && r->inherited != NULL) {
		s = r->inherited;
	}
	*policy_domain = s->domain;
	*rec = s->record;
	switch (s->outcome) {
	case ZS_DMARC_RECORD:
		return s->record->valid ? "record" : "syntax-error";
	case ZS_DMARC_MULTIPLE:
		return "multiple-records";
	case ZS_DMARC_DNS_ERROR:
		return "dns-error";
	case ZS_DMARC_NONE:
		*policy_domain = r->domain;
		return "no-record";
	}
	return "?";
}

static void run_mox_lookup(struct zs_arena *a, const struct ynode *scen, const struct ynode *v,
                           struct conf_tally *t)
{
	const char *id = ystr(ymap(v, "id"));
	const struct ynode *exp = ymap(v, "expect");
	struct fake_zone *z = zone_from(a, scen);
	struct zs_dmarc_opts opts = { .psl = psl };
	struct zs_dmarc_ctx *c = zs_dmarc_new(a, ystr(ymap(v, "from_domain")), &opts);
	if (fake_drive(z, &zs_dmarc_lookup_ops, c, 8, FAKE_REVERSE, NULL) != 0) {
		conf_judge(t, deviations, NDEV, id, false, "error", NULL,
		           "the machine broke its contract");
		return;
	}
	const struct zs_dmarc_result *r = zs_dmarc_result(c);
	const char *pd = NULL;
	const struct zs_dmarc_record *rec = NULL;
	const char *ours = mox_outcome(r, &pd, &rec);
	const char *why = "outcome differs";
	bool ok = strcmp(ours, ystr(ymap(exp, "outcome"))) == 0;
	if (ok && strcmp(pd, ystr(ymap(exp, "policy_domain"))) != 0) {
		ok = false;
		why = "policy domain differs";
	}
	if (ok && ymap(exp, "effective") != NULL) {
		ok = rec != NULL && effective_match(rec, ymap(exp, "effective"), &why);
	}
	conf_judge(t, deviations, NDEV, id, ok, ours, &r->findings, why);
}

static void run_mox_extreport(struct zs_arena *a, const struct ynode *scen, const struct ynode *v,
                              struct conf_tally *t)
{
	const char *id = ystr(ymap(v, "id"));
	const char *pd = ystr(ymap(v, "policy_domain"));
	const char *dest = ystr(ymap(v, "report_destination_domain"));
	const struct ynode *exp = ymap(v, "expect");
	struct fake_zone *z = zone_from(a, scen);
	/* the policy domain publishes a record that sends reports to the destination */
	fake_txt(z, zs_arena_printf(a, "_dmarc.%s", pd),
	         zs_arena_printf(a, "v=DMARC1; p=none; rua=mailto:dmarc@%s", dest));
	struct zs_dmarc_opts opts = { .psl = psl, .flags = ZS_DMARC_NO_REPORT_MX };
	struct zs_dmarc_ctx *c = zs_dmarc_new(a, pd, &opts);
	if (fake_drive(z, &zs_dmarc_lookup_ops, c, 8, FAKE_FIFO, NULL) != 0) {
		conf_judge(t, deviations, NDEV, id, false, "error", NULL,
		           "the machine broke its contract");
		return;
	}
	const struct zs_dmarc_result *r = zs_dmarc_result(c);
	const struct zs_dmarc_dest *d = r->dest_count == 1 ? &r->dest[0] : NULL;
	const char *ours = "?";
	if (d != NULL) {
		switch (d->auth) {
		case ZS_DMARC_AUTH_AUTHORIZED:
			ours = "record";
			break;
		case ZS_DMARC_AUTH_NO_RECORD:
			ours = "no-record";
			break;
		case ZS_DMARC_AUTH_INVALID:
			ours = "syntax-error";
			break;
		case ZS_DMARC_AUTH_DNS_ERROR:
			ours = "dns-error";
			break;
		default:
			break;
		}
	}
	bool authorized = d != NULL && d->auth == ZS_DMARC_AUTH_AUTHORIZED;
	const char *why = "authorization differs";
	bool ok = d != NULL && d->external && strcmp(ours, ystr(ymap(exp, "outcome"))) == 0 &&
	          authorized == (strcmp(ystr(ymap(exp, "authorized")), "true") == 0);
	if (ok && strcmp(d->auth_name, ystr(ymap(v, "queried_name"))) != 0) {
		ok = false;
		why = "queried name differs";
	}
	conf_judge(t, deviations, NDEV, id, ok, ours, &r->findings, why);
}

static void run_discovery(struct zs_arena *a, const struct ynode *doc, struct conf_tally *t)
{
	const struct ynode *scens = ymap(doc, "scenarios");
	for (size_t s = 0; scens != NULL && s < scens->count; s++) {
		const struct ynode *scen = scens->items[s];
		const struct ynode *tests = ymap(scen, "tests");
		for (size_t i = 0; tests != NULL && i < tests->count; i++) {
			const struct ynode *v = tests->items[i];
			if (ymap(v, "from_domain") != NULL) {
				run_mox_lookup(a, scen, v, t);
			} else {
				run_mox_extreport(a, scen, v, t);
			}
		}
	}
}

static void run_discovery_lint(struct zs_arena *a, const struct ynode *doc, struct conf_tally *t)
{
	const struct ynode *vs = ymap(doc, "vectors");
	for (size_t i = 0; vs != NULL && i < vs->count; i++) {
		const struct ynode *v = vs->items[i];
		const char *id = ystr(ymap(v, "id"));
		const char *from = ystr(ymap(v, "from_domain"));
		const struct ynode *exp = ymap(v, "expect");
		struct fake_zone *z = zone_from(a, v);
		struct zs_dmarc_opts opts = { .psl = psl };
		struct zs_dmarc_ctx *c = zs_dmarc_new(a, from, &opts);
		struct zs_lookup apex = { .id = 0, .type = ZS_RR_TXT, .name = from };
		struct zs_answer apex_ans;
		fake_resolve(z, &apex, a, &apex_ans);
		zs_dmarc_note_apex(c, &apex_ans);
		if (fake_drive(z, &zs_dmarc_lookup_ops, c, 8, FAKE_FIFO, NULL) != 0) {
			conf_judge(t, deviations, NDEV, id, false, "error", NULL,
			           "the machine broke its contract");
			continue;
		}
		const struct zs_dmarc_result *r = zs_dmarc_result(c);
		const char *pd = NULL;
		const struct zs_dmarc_record *rec = NULL;
		const char *mox = mox_outcome(r, &pd, &rec);
		const char *ours = strcmp(mox, "record") == 0      ? "record"
		                   : strcmp(mox, "no-record") == 0 ? "no-record"
		                                                   : "error";
		const char *why = "outcome differs";
		bool ok = strcmp(ours, ystr(ymap(exp, "outcome"))) == 0;
		const char *want_pd = ystr(ymap(exp, "policy_domain"));
		if (ok && want_pd != NULL && strcmp(pd, want_pd) != 0) {
			ok = false;
			why = "policy domain differs";
		}
		const char *want_rec = ystr(ymap(exp, "record"));
		if (ok && want_rec != NULL && (rec == NULL || strcmp(rec->text, want_rec) != 0)) {
			ok = false;
			why = "record differs";
		}
		const struct zs_findings *lists[] = { &r->findings };
		if (ok) {
			ok = warnings_check(exp, lists, 1, &why);
		}
		const struct ynode *qn = ymap(exp, "queried_names");
		if (ok && qn != NULL) {
			size_t k = 0;
			for (size_t q = 0; q < r->log.count && ok; q++) {
				if (strncmp(r->log.q[q]->name, "_dmarc.", 7) != 0) {
					continue;
				}
				ok = k < qn->count &&
				     strcmp(r->log.q[q]->name, ystr(qn->items[k])) == 0;
				k++;
			}
			if (!ok || k != qn->count) {
				ok = false;
				why = "queried names differ";
			}
		}
		conf_judge(t, deviations, NDEV, id, ok, ours, &r->findings, why);
	}
}

static void run_file(const char *dir, const char *file, size_t *failures)
{
	struct zs_arena a;
	zs_arena_init(&a);
	char *path = zs_arena_printf(&a, "%s/%s", dir, file);
	struct ynode *doc = ytree_load(&a, path);
	struct conf_tally t = { 0 };
	const char *kind = ystr(ymap(doc, "kind"));
	if (kind == NULL) {
		printf("  FAIL %s: no kind\n", file);
		t.fail++;
	} else if (strcmp(kind, "dmarc-record") == 0) {
		run_record(&a, doc, &t);
	} else if (strcmp(kind, "dmarc-record-lint") == 0) {
		run_record_lint(&a, doc, &t);
	} else if (strcmp(kind, "dmarc-discovery") == 0) {
		run_discovery(&a, doc, &t);
	} else if (strcmp(kind, "dmarc-discovery-lint") == 0) {
		run_discovery_lint(&a, doc, &t);
	} else {
		printf("  FAIL %s: unknown kind %s\n", file, kind);
		t.fail++;
	}
	if (t.total == 0) {
		printf("  FAIL %s: no vectors run\n", file);
		t.fail++;
	}
	conf_report(file, &t);
	*failures += t.fail;
	zs_arena_deinit(&a);
}

static void test_conformance_dmarc_all_files(void **state)
{
	char *names[64];
	size_t n = conf_list_yaml(DMARC_DIR, names, 64);
	assert_true(n >= 5);
	size_t failures = 0;
	for (size_t i = 0; i < n; i++) {
		run_file(DMARC_DIR, names[i], &failures);
		zs_free(names[i]);
	}
	failures += conf_unseen(deviations, NDEV);
	assert_int_equal(failures, 0);
}

/* ---- the Public Suffix List tests ---- */

static void test_conformance_psl_tests_txt(void **state)
{
	FILE *f = fopen(PSL_DIR "/tests.txt", "r");
	assert_non_null(f);
	char line[512];
	struct conf_tally t = { 0 };
	struct zs_arena a;
	zs_arena_init(&a);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || strncmp(line, "//", 2) == 0) {
			continue;
		}
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		*sp = '\0';
		const char *input = strcmp(line, "null") == 0 ? NULL : line;
		const char *want = strcmp(sp + 1, "null") == 0 ? NULL : sp + 1;
		const char *got = zs_psl_org_domain(psl, input, &a);
		bool ok = (want == NULL && got == NULL) ||
		          (want != NULL && got != NULL && strcmp(want, got) == 0);
		t.total++;
		if (ok) {
			t.pass++;
		} else {
			t.fail++;
			printf("  FAIL psl %s: want %s, got %s\n", line, want ? want : "null",
			       got ? got : "null");
		}
	}
	(void)fclose(f);
	zs_arena_deinit(&a);
	conf_report("psl/tests.txt", &t);
	assert_int_equal(t.total, 78);
	assert_int_equal(t.fail, 0);
}

static int setup(void **state)
{
	return zs_psl_open_file(PSL_DIR "/public_suffix_list.dat", &psl) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	zs_psl_close(psl);
	psl = NULL;
	return 0;
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conformance_psl_tests_txt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conformance_dmarc_all_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

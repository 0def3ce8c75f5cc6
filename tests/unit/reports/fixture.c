/* SPDX-License-Identifier: MIT */
/* The reports' fixture: fixed runs written through zs_db_run_begin/writer/finish. */
#include "tests/unit/reports/fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/policy/facts.h"
#include "tests/unit/test.h"

enum { RULES = 9 };

static const char *const post_rules[RULES] = {
	"POST-MX-DKIM",   "POST-MX-DMARC",   "POST-MX-RDNS",  "POST-MX-SPF",  "POST-MX-WELLFORMED",
	"POST-NOMX-DKIM", "POST-NOMX-DMARC", "POST-NOMX-SPF", "POST-SPF-ALL",
};

/* One domain of a run: what differs from a good mail domain. */
struct fx {
	const char *name;
	bool mail;
	const char *fail;  /**< a failing rule, or NULL */
	const char *fail2; /**< a second one */
	const char *error; /**< a rule that could not be checked */
	const char *warn;
	const char *reason; /**< the failing rule's reason */
	const char *spf;    /**< SPF record in the facts */
	const char *dmarc;
	unsigned dkim_bits;
	const char *raw_owner; /**< one raw TXT record at this owner ("" for the domain) */
	const char *raw;       /**< its bytes */
	size_t raw_len;
};

static const char hostile_raw[] = "bin\0ary\x80\xff\r\nBcc: victim@example.com";

static const struct fx run_a[] = {
	{ .name = "a-good.post", .mail = true },
	{ .name = "b-fixme.post",
	  .mail = true,
	  .fail = "POST-MX-SPF",
	  .reason = "no SPF record",
	  .spf = NULL },
	{ .name = "c-gone.post", .mail = true },
	{ .name = "d-flaky.post", .mail = true, .error = "POST-MX-DKIM" },
};

static const struct fx run_b[] = {
	{ .name = "a-good.post",
	  .mail = true,
	  .fail = "POST-MX-DMARC",
	  .reason = "no DMARC record at _dmarc.a-good.post",
	  .dmarc = NULL },
	{ .name = "b-fixme.post", .mail = true },
	{ .name = "d-flaky.post", .mail = true, .error = "POST-MX-DKIM" },
	{ .name = "e-new.post",
	  .mail = false,
	  .fail = "POST-NOMX-SPF",
	  .fail2 = "POST-NOMX-DMARC",
	  .reason = "the SPF record must be exactly \"v=spf1 -all\"",
	  .spf = "=HYPERLINK(\"http://attacker.invalid\",\"click\")",
	  .dmarc = "+cmd|' /C calc'!A0",
	  .raw_owner = "",
	  .raw = hostile_raw,
	  .raw_len = sizeof(hostile_raw) - 1 },
	{ .name = "f-hostile.post",
	  .mail = true,
	  .fail = "POST-MX-DKIM",
	  .warn = "POST-SPF-ALL",
	  .reason = "found \"<script>alert(1)</script>\"\r\nBcc: victim@example.com",
	  .spf = "v=spf1 include:\x80\xff -all\t@SUM(1+1)",
	  .dkim_bits = 1024,
	  .raw_owner = "_dmarc.",
	  .raw = "<script>alert(\"x\")</script>",
	  .raw_len = 27 },
};

static const struct fx run_c[] = {
	{ .name = "a-good.post", .mail = true },
	{ .name = "b-fixme.post", .mail = true, .fail = "POST-MX-SPF", .reason = "no SPF record" },
};

static const struct fx run_indet[] = {
	{ .name = "x-timeout.insurance", .mail = true, .error = "POST-MX-SPF" },
	{ .name = "y-servfail.insurance", .mail = false, .error = "POST-NOMX-DMARC" },
};

static enum zs_db_verdict verdict_of(const struct fx *d, const char *rule)
{
	if ((d->fail != NULL && strcmp(d->fail, rule) == 0) ||
	    (d->fail2 != NULL && strcmp(d->fail2, rule) == 0)) {
		return ZS_DB_FAIL;
	}
	if (d->error != NULL && strcmp(d->error, rule) == 0) {
		return ZS_DB_ERROR;
	}
	if (d->warn != NULL && strcmp(d->warn, rule) == 0) {
		return ZS_DB_WARN;
	}
	bool mx_rule = strncmp(rule, "POST-MX-", 8) == 0 && strcmp(rule, "POST-MX-WELLFORMED") != 0;
	bool nomx_rule = strncmp(rule, "POST-NOMX-", 10) == 0;
	if ((mx_rule && !d->mail) || (nomx_rule && d->mail)) {
		return ZS_DB_NA;
	}
	return ZS_DB_PASS;
}

static void facts_json(const struct fx *d, struct zs_buf *out)
{
	char host[128];
	const char *hosts[1] = { host };
	struct zs_facts f = { .domain = d->name };
	struct zs_json j;

	snprintf(host, sizeof(host), "mail.%s", d->name);
	f.mx.kind = d->mail ? ZS_FACT_MX_HOSTS : ZS_FACT_MX_NONE;
	f.mx.count = d->mail ? 1 : 0;
	f.mx.hosts = hosts;
	f.mx.host_count = d->mail ? 1 : 0;
	bool no_spf = d->fail != NULL && strcmp(d->fail, "POST-MX-SPF") == 0;
	f.spf.record = d->spf != NULL ? d->spf : d->mail && !no_spf ? "v=spf1 mx -all" : NULL;
	f.spf.count = f.spf.record != NULL;
	f.spf.valid = f.spf.record != NULL && d->spf == NULL;
	f.spf.all = f.spf.record != NULL ? (d->warn != NULL ? '~' : '-') : 0;
	f.spf.lookups = d->mail ? 1 : 0;
	f.dmarc.record = d->dmarc != NULL ? d->dmarc
	                 : d->fail != NULL && strcmp(d->fail, "POST-MX-DMARC") == 0
	                         ? NULL
	                         : "v=DMARC1; p=reject";
	f.dmarc.count = f.dmarc.record != NULL;
	f.dmarc.valid = f.dmarc.record != NULL && d->dmarc == NULL;
	f.dmarc.p = f.dmarc.valid ? "reject" : NULL;
	f.dmarc.pct = 100;
	f.dmarc.adkim = 'r';
	f.dmarc.aspf = 'r';
	f.dkim.keys = d->mail ? 1 : 0;
	f.dkim.best_rsa_bits = d->mail ? (d->dkim_bits != 0 ? d->dkim_bits : 2048) : 0;
	f.dkim.best_selector = d->mail ? "selector1" : NULL;
	f.rdns.state = d->mail ? ZS_FACT_RDNS_OK : ZS_FACT_RDNS_NONE;
	f.dnssec.known = true;
	f.dnssec.signed_delegation = d->mail;
	if (d->error != NULL) {
		f.dkim.status = ZS_DNS_TIMEOUT;
	}

	zs_json_init(&j, out);
	zs_json_obj_begin(&j);
	zs_json_key(&j, "dkim");
	zs_json_obj_begin(&j);
	zs_json_key(&j, "selectors");
	zs_json_arr_begin(&j);
	if (d->mail) {
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "selector", "selector1");
		zs_json_kbool(&j, "wildcard_match", false);
		zs_json_key(&j, "keys");
		zs_json_arr_begin(&j);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "status", "valid");
		zs_json_kstr(&j, "type", "rsa");
		zs_json_kint(&j, "bits", f.dkim.best_rsa_bits);
		zs_json_obj_end(&j);
		zs_json_arr_end(&j);
		zs_json_obj_end(&j);
	}
	zs_json_arr_end(&j);
	zs_json_obj_end(&j);
	zs_json_key(&j, "summary");
	zs_facts_json(&j, &f);
	zs_json_obj_end(&j);
	assert_int_equal(zs_json_error(&j), 0);
}

static void push(struct zs_db_writer *w, const struct fx *d)
{
	struct zs_db_verdict_row v[RULES];
	struct zs_db_raw_txt raw[2];
	char owners[2][160];
	struct zs_buf facts;
	unsigned warnings = 0;
	bool fail = false;
	bool error = false;

	for (int k = 0; k < RULES; k++) {
		v[k].rule = post_rules[k];
		v[k].verdict = verdict_of(d, post_rules[k]);
		v[k].reason = v[k].verdict == ZS_DB_FAIL && d->reason != NULL ? d->reason
		              : v[k].verdict == ZS_DB_ERROR
		                      ? "timeout: the data could not be fetched"
		              : v[k].verdict == ZS_DB_NA   ? "does not apply"
		              : v[k].verdict == ZS_DB_WARN ? "ends in ~all"
		                                           : "ok";
		warnings += v[k].verdict == ZS_DB_WARN;
		fail = fail || v[k].verdict == ZS_DB_FAIL;
		error = error || v[k].verdict == ZS_DB_ERROR;
	}
	zs_buf_init(&facts, 1024 * 1024);
	facts_json(d, &facts);
	snprintf(owners[0], sizeof(owners[0]), "_dmarc.%s", d->name);
	raw[0] = (struct zs_db_raw_txt){ .owner = owners[0],
		                         .data = (const uint8_t *)"v=DMARC1; p=reject",
		                         .len = 18 };
	size_t nraw = 1;
	if (d->raw != NULL) {
		snprintf(owners[1], sizeof(owners[1]), "%s%s", d->raw_owner, d->name);
		raw[1] = (struct zs_db_raw_txt){ .owner = owners[1],
			                         .data = (const uint8_t *)d->raw,
			                         .len = d->raw_len };
		nraw = 2;
	}
	struct zs_db_result res = {
		.domain = d->name,
		.status = fail    ? ZS_DB_NON_COMPLIANT
		          : error ? ZS_DB_INDETERMINATE
		                  : ZS_DB_COMPLIANT,
		.warnings = warnings,
		.mail = d->mail ? ZS_DB_MAIL : ZS_DB_NON_MAIL,
		.facts_json = zs_buf_cstr(&facts),
		.verdicts = v,
		.verdict_count = RULES,
		.raw = raw,
		.raw_count = nraw,
	};
	assert_int_equal(zs_db_writer_push(w, &res), 0);
	zs_buf_deinit(&facts);
}

static int64_t store_run(struct zs_db *db, const char *tld, const struct fx *d, size_t n,
                         enum zs_db_run_status status)
{
	struct zs_db_run_params p = {
		.tld = tld,
		.policy = "post",
		.policy_version = "1.1",
		.zone_source = "/zones/fixture.zone",
		.zone_serial = 2026112001,
		.scanner_version = "0.1.0",
	};
	struct zs_db_run_end end = {
		.status = status,
		.zone_complete = status == ZS_DB_RUN_COMPLETE,
		.dns_json =
		        "{\"questions\": 120, \"sent\": 131, \"answered\": 118, \"timeouts\": 13, "
		        "\"seconds\": 3.25, \"status\": {\"noerror\": 90, \"nxdomain\": 20, "
		        "\"nodata\": 4, \"servfail\": 2, \"timeout\": 4}}",
	};
	struct zs_db_writer_opts wo = { .flush_ms = 600000 };
	struct zs_db_writer *w = NULL;
	int64_t id = 0;

	if (zs_db_run_begin(db, &p, &id) != 0) {
		fail_msg("zs_db_run_begin: %s", zs_db_error(db));
	}
	assert_int_equal(zs_db_writer_new(db, id, &wo, &w), 0);
	for (size_t i = 0; i < n; i++) {
		push(w, &d[i]);
	}
	assert_int_equal(zs_db_writer_finish(w, NULL), 0);
	if (zs_db_run_finish(db, id, &end) != 0) {
		fail_msg("zs_db_run_finish: %s", zs_db_error(db));
	}
	return id;
}

void fixture_build(const char *conninfo, void (*exec)(const char *sql, void *arg), void *arg,
                   struct fixture *out)
{
	struct zs_db *db = NULL;
	char sql[1024];

	if (zs_db_open(conninfo, &db) != 0) {
		fail_msg("zs_db_open: %s", zs_db_error(NULL));
	}
	out->run_a =
	        store_run(db, "post", run_a, sizeof(run_a) / sizeof(run_a[0]), ZS_DB_RUN_COMPLETE);
	out->run_b =
	        store_run(db, "post", run_b, sizeof(run_b) / sizeof(run_b[0]), ZS_DB_RUN_COMPLETE);
	out->run_c = store_run(db, "post", run_c, sizeof(run_c) / sizeof(run_c[0]),
	                       ZS_DB_RUN_INTERRUPTED);
	out->run_empty = store_run(db, "bank", NULL, 0, ZS_DB_RUN_COMPLETE);
	out->run_indet = store_run(db, "insurance", run_indet,
	                           sizeof(run_indet) / sizeof(run_indet[0]), ZS_DB_RUN_COMPLETE);
	zs_db_close(db);

	/* Fixed times: run N starts a day after run N-1 (the other TLDs' runs beside run B). */
	snprintf(sql, sizeof(sql),
	         "UPDATE runs SET started_at = to_timestamp(%" PRId64 " + 86400 * CASE id "
	         "WHEN %" PRId64 " THEN 0 WHEN %" PRId64 " THEN 1 WHEN %" PRId64 " THEN 2 "
	         "ELSE 1 END + 60 * id), finished_at = to_timestamp(%" PRId64 " + 86400 * CASE id "
	         "WHEN %" PRId64 " THEN 0 WHEN %" PRId64 " THEN 1 WHEN %" PRId64 " THEN 2 "
	         "ELSE 1 END + 60 * id + 754)",
	         FIXTURE_T0, out->run_a, out->run_b, out->run_c, FIXTURE_T0, out->run_a, out->run_b,
	         out->run_c);
	exec(sql, arg);
	exec("UPDATE transitions t SET at = r.started_at FROM runs r WHERE r.id = t.run_id", arg);
	exec("UPDATE current_state c SET since_at = r.started_at FROM runs r "
	     "WHERE r.id = c.since_run",
	     arg);
}

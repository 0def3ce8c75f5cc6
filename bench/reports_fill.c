/* SPDX-License-Identifier: MIT */
/*
 * Benchmark driver of bench/reports.sh: store one complete run of N synthetic domains through
 * the real db/ writer, each with a facts document of realistic size and shape (the flat
 * summary written by zs_facts_json(), and per-part details with lists of queries as the
 * record machines write them), nine verdicts and three raw TXT records; then finish the run,
 * which derives its history (transitions, current state, rule counts) as a sweep does.
 *
 *   zs_bench_reports_fill --db CONNINFO --domains N [--tld T]
 *
 * Prints "run_id=ID" and "fill_seconds=S" for the script.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/policy/facts.h"

static const char *const rules[] = {
	"POST-MX-DKIM",   "POST-MX-DMARC",   "POST-MX-RDNS",  "POST-MX-SPF",  "POST-MX-WELLFORMED",
	"POST-NOMX-DKIM", "POST-NOMX-DMARC", "POST-NOMX-SPF", "POST-SPF-ALL",
};
static const char *const selectors[] = { "google",  "selector1", "selector2", "k1", "k2",
	                                 "k3",      "mandrill",  "s1",        "s2", "smtpapi",
	                                 "default", "dkim",      "mail",      "mx", "everlytic" };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A facts document like the sweep's: details first, the flat summary last. */
static void facts(struct zs_buf *b, const char *domain, unsigned i, bool mail)
{
	char host[300];
	char name[300];
	const char *hosts[1] = { host };
	struct zs_facts f = { .domain = domain };
	struct zs_json j;

	snprintf(host, sizeof(host), "mail.%s", domain);
	f.mx.kind = mail ? ZS_FACT_MX_HOSTS : ZS_FACT_MX_NONE;
	f.mx.count = mail;
	f.mx.hosts = hosts;
	f.mx.host_count = mail;
	f.spf.count = 1;
	f.spf.valid = i % 7 != 0;
	f.spf.record = mail ? "v=spf1 mx include:_spf.mailhost.example -all" : "v=spf1 -all";
	f.spf.all = '-';
	f.spf.lookups = mail ? 2 : 0;
	f.dmarc.count = 1;
	f.dmarc.valid = true;
	f.dmarc.record = "v=DMARC1; p=reject; rua=mailto:dmarc@example.post";
	f.dmarc.p = i % 5 == 0 ? "none" : "reject";
	f.dmarc.pct = 100;
	f.dmarc.adkim = 'r';
	f.dmarc.aspf = 'r';
	f.dkim.keys = mail;
	f.dkim.best_rsa_bits = mail ? (i % 11 == 0 ? 1024 : 2048) : 0;
	f.dkim.best_selector = mail ? "selector1" : NULL;
	f.rdns.state = mail ? ZS_FACT_RDNS_OK : ZS_FACT_RDNS_NONE;
	f.dnssec.known = true;
	f.dnssec.signed_delegation = i % 3 == 0;

	zs_json_init(&j, b);
	zs_json_obj_begin(&j);
	zs_json_key(&j, "dkim");
	zs_json_obj_begin(&j);
	zs_json_key(&j, "queries");
	zs_json_arr_begin(&j);
	for (size_t k = 0; k < sizeof(selectors) / sizeof(selectors[0]); k++) {
		snprintf(name, sizeof(name), "%s._domainkey.%s", selectors[k], domain);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "name", name);
		zs_json_kstr(&j, "type", "TXT");
		zs_json_kstr(&j, "status", k == 1 && mail ? "noerror" : "nxdomain");
		zs_json_obj_end(&j);
	}
	zs_json_arr_end(&j);
	zs_json_key(&j, "selectors");
	zs_json_arr_begin(&j);
	if (mail) {
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "selector", "selector1");
		zs_json_kbool(&j, "wildcard_match", false);
		zs_json_key(&j, "keys");
		zs_json_arr_begin(&j);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "status", "valid");
		zs_json_kstr(&j, "type", "rsa");
		zs_json_kint(&j, "bits", f.dkim.best_rsa_bits);
		zs_json_kstr(&j, "text",
		             "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCA"
		             "QEA8bKuHQZG5btqmBzBWKbUTQS05CHB5d3m0iuY7ekP39JBuXIlk19lHOC"
		             "Fu4th6lkr8mdpurW9fVrvDu1FjkfBXZPa1LQSqMEMXFBciaQO13CPhkzVs"
		             "jvfTUOHsTWIiCwo8jncOxM1eeYGik77iPJROEDj0oNUzpkr9PqDokIKgsi"
		             "I7Wc4aLu3tv+uBr43NuXPX4yydwCNiIkamEVEgHrYce/FpVI4QA1C+91bZ"
		             "FBUe4C7qKwC+6cn34r8hLB2M3vaECPQF9wWuATTWysY2QDqOZbm82YF7Bn"
		             "59zedGsptGg8tA8UgJGXggE4q3xvQ4mtsVEoLPLezLzLomBnLVIwTewIDAQAB");
		zs_json_obj_end(&j);
		zs_json_arr_end(&j);
		zs_json_obj_end(&j);
	}
	zs_json_arr_end(&j);
	zs_json_obj_end(&j);
	for (int part = 0; part < 4; part++) {
		static const char *const parts[] = { "mx", "spf", "dmarc", "sts" };
		zs_json_key(&j, parts[part]);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "status", "noerror");
		zs_json_key(&j, "queries");
		zs_json_arr_begin(&j);
		for (int q = 0; q < 6; q++) {
			snprintf(name, sizeof(name), "%s%d.%s", parts[part], q, domain);
			zs_json_obj_begin(&j);
			zs_json_kstr(&j, "name", name);
			zs_json_kstr(&j, "type", q % 2 == 0 ? "TXT" : "A");
			zs_json_kstr(&j, "status", q == 0 ? "noerror" : "nxdomain");
			zs_json_kint(&j, "rtt_ms", 3 + (i + (unsigned)q) % 40);
			zs_json_obj_end(&j);
		}
		zs_json_arr_end(&j);
		zs_json_key(&j, "findings");
		zs_json_arr_begin(&j);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "code", "info.checked");
		zs_json_kstr(&j, "message", "the part was checked and its records parsed");
		zs_json_kstr(&j, "severity", "info");
		zs_json_obj_end(&j);
		zs_json_arr_end(&j);
		zs_json_obj_end(&j);
	}
	zs_json_key(&j, "summary");
	zs_facts_json(&j, &f);
	zs_json_obj_end(&j);
}

int main(int argc, char **argv)
{
	const char *conninfo = "";
	const char *tld = "post";
	long domains = 1000000;
	struct zs_db *db = NULL;
	struct zs_db_writer *w = NULL;
	int64_t run = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0) {
			conninfo = argv[i + 1];
		} else if (strcmp(argv[i], "--domains") == 0) {
			char *end = NULL;
			errno = 0;
			domains = strtol(argv[i + 1], &end, 10);
			if (errno != 0 || *end != '\0' || domains < 0) {
				fprintf(stderr, "reports_fill: --domains %s: not a count\n",
				        argv[i + 1]);
				return 2;
			}
		} else if (strcmp(argv[i], "--tld") == 0) {
			tld = argv[i + 1];
		}
	}
	if (zs_db_open(conninfo, &db) != 0 || zs_db_migrate(db, 0, NULL) != 0) {
		fprintf(stderr, "reports_fill: %s%s\n", zs_db_error(NULL), zs_db_error(db));
		return 1;
	}
	struct zs_db_run_params p = { .tld = tld,
		                      .policy = "post",
		                      .policy_version = "1.1",
		                      .zone_source = "bench",
		                      .zone_serial = 1,
		                      .scanner_version = "bench" };
	double t0 = now();
	if (zs_db_run_begin(db, &p, &run) != 0 || zs_db_writer_new(db, run, NULL, &w) != 0) {
		fprintf(stderr, "reports_fill: %s\n", zs_db_error(db));
		return 1;
	}
	struct zs_buf fbuf;
	zs_buf_init(&fbuf, 1 << 20);
	for (long i = 0; i < domains; i++) {
		char domain[64];
		char apex_txt[96];
		char owner[96];
		struct zs_db_verdict_row v[9];
		bool mail = i % 4 != 0;
		unsigned u = (unsigned)i;
		snprintf(domain, sizeof(domain), "d%07ld-%u.%s", i, u * 2654435761u % 1000, tld);
		snprintf(owner, sizeof(owner), "_dmarc.%s", domain);
		snprintf(apex_txt, sizeof(apex_txt), "google-site-verification=%08x%08x", u * 7919u,
		         u ^ 0x5bd1e995u);
		zs_buf_reset(&fbuf);
		facts(&fbuf, domain, u, mail);
		bool fail = u % 7 == 0 || (mail && u % 11 == 0);
		bool error = !fail && u % 53 == 0;
		for (int k = 0; k < 9; k++) {
			bool mx = strncmp(rules[k], "POST-MX-", 8) == 0 && k != 4;
			bool nomx = strncmp(rules[k], "POST-NOMX-", 10) == 0;
			v[k].rule = rules[k];
			v[k].verdict = (mx && !mail) || (nomx && mail) ? ZS_DB_NA : ZS_DB_PASS;
			v[k].reason = v[k].verdict == ZS_DB_NA
			                      ? "applies to domains that send no mail"
			                      : "one valid record";
		}
		if (fail) {
			v[mail ? 0 : 7].verdict = ZS_DB_FAIL;
			v[mail ? 0 : 7].reason =
			        "the largest RSA key found (selector selector1) has "
			        "1024 bits; the policy asks for 2048";
		} else if (error) {
			v[1].verdict = ZS_DB_ERROR;
			v[1].reason = "timeout: _dmarc could not be fetched";
		}
		const char *spf =
		        mail ? "v=spf1 mx include:_spf.mailhost.example -all" : "v=spf1 -all";
		struct zs_db_raw_txt raw[3] = {
			{ .owner = domain, .data = (const uint8_t *)spf, .len = strlen(spf) },
			{ .owner = domain,
			  .data = (const uint8_t *)apex_txt,
			  .len = strlen(apex_txt) },
			{ .owner = owner,
			  .data = (const uint8_t
			                   *)"v=DMARC1; p=reject; rua=mailto:dmarc@example.post",
			  .len = 50 },
		};
		struct zs_db_result res = {
			.domain = domain,
			.status = fail    ? ZS_DB_NON_COMPLIANT
			          : error ? ZS_DB_INDETERMINATE
			                  : ZS_DB_COMPLIANT,
			.mail = mail ? ZS_DB_MAIL : ZS_DB_NON_MAIL,
			.facts_json = zs_buf_cstr(&fbuf),
			.verdicts = v,
			.verdict_count = 9,
			.raw = raw,
			.raw_count = 3,
		};
		int ret;
		while ((ret = zs_db_writer_push(w, &res)) == ZS_ERR_AGAIN) {
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL); /* back-pressure: the writer catches up */
		}
		if (ret != 0) {
			fprintf(stderr, "reports_fill: push: %s\n", zs_err_name(ret));
			return 1;
		}
	}
	zs_buf_deinit(&fbuf);
	struct zs_db_run_end end = { .status = ZS_DB_RUN_COMPLETE,
		                     .zone_complete = true,
		                     .dns_json = "{\"questions\": 48000000, \"sent\": 47000000, "
		                                 "\"answered\": 46500000, \"timeouts\": 500000}" };
	if (zs_db_writer_finish(w, NULL) != 0 || zs_db_run_finish(db, run, &end) != 0) {
		fprintf(stderr, "reports_fill: %s\n", zs_db_error(db));
		return 1;
	}
	printf("run_id=%" PRId64 "\nfill_seconds=%.1f\n", run, now() - t0);
	zs_db_close(db);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Driver of bench/db_writer.sh: stores N synthetic domain results (realistic facts JSON of
 * about 500 bytes, K verdicts with reasons, two raw TXT records) through the writer, as a sweep
 * would, and prints how long it took from the first push until everything was committed, and
 * how much time the caller's thread (the DNS loop, in a sweep) spent in zs_db_writer_push().
 *
 *   zs_bench_db_writer --db CONNINFO [--domains N] [--verdicts K] [--batch B] [--prepare]
 *                      [--complete] [--salt S]
 *
 * --prepare only migrates and begins the run (for the \copy reference database); --complete
 * finishes the run as complete (deriving history) and times that too; --salt S changes the
 * status of 1% of the domains, so that a second run has status changes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "scanner/base/err.h"

struct waker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t wakes;
};

static void wake(void *arg)
{
	struct waker *k = arg;
	pthread_mutex_lock(&k->mu);
	k->wakes++;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_long(const char *s, const char *name)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "zs_bench_db_writer: invalid %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

static const char *const rules[] = {
	"FTLD-DMARC-VALID", "FTLD-DMARC-REJECT", "FTLD-SPF",     "FTLD-DMARC-STRICT",
	"FTLD-DMARC-SP",    "ZS-SPF-SOFTFAIL",   "ZS-MTA-STS",   "ZS-TLS-RPT",
	"ZS-DNSSEC",        "ZS-BIMI",           "ZS-DKIM-WEAK", "ZS-MX-RDNS",
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "domains", required_argument, NULL, 'n' },
		{ "verdicts", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "prepare", no_argument, NULL, 'p' },
		{ "complete", no_argument, NULL, 'c' },
		{ "salt", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conninfo = NULL;
	long domains = 1000000;
	long verdicts = 10;
	long batch = 0;
	bool prepare = false;
	bool complete = false;
	long salt = 0;
	int c = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			conninfo = optarg;
			break;
		case 'n':
			domains = arg_long(optarg, "--domains");
			break;
		case 'k':
			verdicts = arg_long(optarg, "--verdicts");
			break;
		case 'b':
			batch = arg_long(optarg, "--batch");
			break;
		case 'p':
			prepare = true;
			break;
		case 'c':
			complete = true;
			break;
		case 's':
			salt = arg_long(optarg, "--salt");
			break;
		default:
			fprintf(stderr, "usage: zs_bench_db_writer --db CONNINFO [--domains N] "
			                "[--verdicts K] [--batch B] [--prepare]\n");
			return 2;
		}
	}
	if (verdicts > (long)(sizeof(rules) / sizeof(rules[0]))) {
		fprintf(stderr, "zs_bench_db_writer: at most %zu verdicts\n",
		        sizeof(rules) / sizeof(rules[0]));
		return 2;
	}

	struct zs_db *db = NULL;
	if (zs_db_open(conninfo, &db) != 0) {
		fprintf(stderr, "%s\n", zs_db_error(NULL));
		return 1;
	}
	int64_t run = 0;
	struct zs_db_run_params p = { .tld = "bank",
		                      .policy = "ftld",
		                      .policy_version = "1",
		                      .zone_source = "bench",
		                      .zone_serial = 1 };
	if (zs_db_migrate(db, 0, NULL) != 0 || zs_db_run_begin(db, &p, &run) != 0) {
		fprintf(stderr, "%s\n", zs_db_error(db));
		return 1;
	}
	if (prepare) {
		printf("run %" PRId64 "\n", run);
		zs_db_close(db);
		return 0;
	}

	struct waker k = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct zs_db_writer_opts o = { .batch_max = (size_t)batch, .wake = wake, .wake_arg = &k };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	if (zs_db_writer_new(db, run, &o, &w) != 0) {
		fprintf(stderr, "%s\n", zs_db_error(db));
		return 1;
	}
	/* Templates built once, with the domain's seven digits patched in per result: the
	 * benchmark measures the writer, not snprintf (a sweep's results come from the policy
	 * evaluation, whose cost is the sweep's). */
	static const char dom0[] = "d0000000.bank";
	char domain[64];
	char facts[1024];
	char reasons[12][96];
	char txt0[160];
	char txt1[160];
	char owner1[96];
	snprintf(domain, sizeof(domain), "%s", dom0);
	snprintf(facts, sizeof(facts),
	         "{\"mx\": {\"status\": \"noerror\", \"hosts\": [{\"host\": \"mx1.%s\", "
	         "\"pref\": 10, \"addrs\": [\"192.0.2.17\"], \"ptr\": \"mx1.%s\"}]}, "
	         "\"spf\": {\"status\": \"noerror\", \"records\": [\"v=spf1 mx "
	         "include:_spf.%s -all\"], \"lookups\": 2, \"valid\": true}, "
	         "\"dmarc\": {\"status\": \"noerror\", \"record\": \"v=DMARC1; p=reject; "
	         "rua=mailto:dmarc@%s\", \"p\": \"reject\", \"pct\": 100}, "
	         "\"dkim\": {\"selectors\": [{\"name\": \"s1\", \"type\": \"rsa\", "
	         "\"bits\": 2048}]}, \"dnssec\": {\"signed\": false}}",
	         dom0, dom0, dom0, dom0);
	for (long r = 0; r < verdicts; r++) {
		snprintf(reasons[r], sizeof(reasons[r]), "%s: checked %s (%ld)", rules[r], dom0, r);
	}
	snprintf(txt0, sizeof(txt0), "v=spf1 mx include:_spf.%s -all", dom0);
	snprintf(txt1, sizeof(txt1), "v=DMARC1; p=reject; rua=mailto:dmarc@%s", dom0);
	snprintf(owner1, sizeof(owner1), "_dmarc.%s", dom0);
	char *patch[32];
	size_t npatch = 0;
	char *texts[16] = { domain, facts, txt0, txt1, owner1 };
	size_t ntexts = 5;
	for (long r = 0; r < verdicts; r++) {
		texts[ntexts++] = reasons[r];
	}
	for (size_t t = 0; t < ntexts; t++) {
		for (char *at = strstr(texts[t], dom0); at != NULL; at = strstr(at + 1, dom0)) {
			patch[npatch++] = at + 1; /* the seven digits */
		}
	}
	struct zs_db_verdict_row v[12];
	struct zs_db_raw_txt raw[2];
	double push_time = 0;
	double start = now();
	for (long i = 0; i < domains; i++) {
		char digits[8];
		long x = i;
		for (int d = 6; d >= 0; d--, x /= 10) {
			digits[d] = (char)('0' + x % 10);
		}
		for (size_t q = 0; q < npatch; q++) {
			memcpy(patch[q], digits, 7);
		}
		for (long r = 0; r < verdicts; r++) {
			v[r] = (struct zs_db_verdict_row){
				.rule = rules[r],
				.verdict = (enum zs_db_verdict)((i + r) % ZS_DB_VERDICT_COUNT_),
				.reason = reasons[r],
			};
		}
		raw[0] = (struct zs_db_raw_txt){ domain, (const uint8_t *)txt0, strlen(txt0) };
		raw[1] = (struct zs_db_raw_txt){ owner1, (const uint8_t *)txt1, strlen(txt1) };
		struct zs_db_result res = {
			.domain = domain,
			.status = (enum zs_db_status)((i % 100 == 0 ? i + salt : i) %
			                              ZS_DB_STATUS_COUNT_),
			.warnings = (unsigned)(i % 3),
			.mail = (enum zs_db_mail)(i % 2),
			.facts_json = facts,
			.verdicts = v,
			.verdict_count = (size_t)verdicts,
			.raw = raw,
			.raw_count = 2,
		};
		for (;;) {
			pthread_mutex_lock(&k.mu);
			uint64_t seen = k.wakes;
			pthread_mutex_unlock(&k.mu);
			double t0 = now();
			int ret = zs_db_writer_push(w, &res);
			push_time += now() - t0;
			if (ret == 0) {
				break;
			}
			if (ret != ZS_ERR_AGAIN) {
				fprintf(stderr, "push: %s\n", zs_err_name(ret));
				return 1;
			}
			pthread_mutex_lock(&k.mu);
			while (k.wakes == seen) {
				pthread_cond_wait(&k.cv, &k.mu);
			}
			pthread_mutex_unlock(&k.mu);
		}
	}
	int ret = zs_db_writer_finish(w, &st);
	double elapsed = now() - start;
	if (ret != 0) {
		fprintf(stderr, "writer: %s\n", zs_err_name(ret));
		return 1;
	}
	/* Without --complete the run is left running (the database is dropped): the benchmark
	 * measures the writer, not the finishing of a run. */
	if (complete) {
		struct zs_db_run_end end = { .status = ZS_DB_RUN_COMPLETE, .zone_complete = true };
		double t0 = now();
		if (zs_db_run_finish(db, run, &end) != 0) {
			fprintf(stderr, "%s\n", zs_db_error(db));
			return 1;
		}
		printf("finish_seconds=%.3f\n", now() - t0);
	}
	zs_db_close(db);
	uint64_t rows = st.results + st.verdicts;
	printf("writer_seconds=%.3f\n", elapsed);
	printf("writer_results=%" PRIu64 "\n", st.results);
	printf("writer_verdicts=%" PRIu64 "\n", st.verdicts);
	printf("writer_rows_per_s=%.0f\n", (double)rows / elapsed);
	printf("writer_batches=%" PRIu64 "\n", st.batches);
	printf("writer_queue_full=%" PRIu64 "\n", st.full);
	printf("push_us_per_result=%.2f\n", push_time * 1e6 / (double)(domains > 0 ? domains : 1));
	return 0;
}

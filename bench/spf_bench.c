/* SPDX-License-Identifier: MIT */
/*
 * Benchmark driver for the SPF analysis (issue 6): analyses N domains (default 1,000,000)
 * whose answers all sit in a warm in-memory cache (the fake DNS of the tests, a hash table),
 * so the figure is what the evaluator costs per domain when DNS is not the bottleneck.
 *
 * The mix imitates a TLD: most domains include one or two big providers (synthetic records
 * shaped like Google's, Microsoft's, SendGrid's..., with nested includes and many address
 * ranges), some use their own a/mx/ip4, some redirect to a hosting provider, some list only
 * addresses, a few are broken (syntax, +all, over the lookup limit, two records, include of
 * nothing), some have void lookups, and some have no SPF at all (which also asks type 99).
 *
 * Usage: spf_bench [N] [--no-cache]. Prints records/s for the whole loop (evaluator + answer
 * cache lookups) and for the evaluator alone, questions per domain and the verdicts. By default
 * the contexts share a zs_spf_cache (providers parsed once per run, as the sweep should do);
 * --no-cache parses every record in every context.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/base/mem.h"
#include "scanner/policy/spf_eval.h"
#include "tests/unit/spf/fakedns.h"

static double now(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static void add_ranges(char *rec, size_t size, const char *head, int n4, int n6, uint32_t seed,
                       const char *tail)
{
	size_t o = (size_t)snprintf(rec, size, "%s", head);
	for (int i = 0; i < n4 && o < size; i++) {
		uint32_t r = mix(seed + (uint32_t)i);
		o += (size_t)snprintf(rec + o, size - o, " ip4:%u.%u.%u.0/%u", 20 + r % 200,
		                      (r >> 8) & 255, (r >> 16) & 255, 16 + (r >> 24) % 9);
	}
	for (int i = 0; i < n6 && o < size; i++) {
		uint32_t r = mix(seed * 7 + (uint32_t)i);
		o += (size_t)snprintf(rec + o, size - o, " ip6:2001:%x:%x::/%u", r & 0xffff,
		                      (r >> 16) & 0xffff, 32 + (r >> 28));
	}
	if (o < size) {
		(void)snprintf(rec + o, size - o, "%s", tail);
	}
}

static void providers(struct zs_fakedns *fd)
{
	char rec[2048];

	zs_fakedns_add_text(fd, "_spf.google.com", ZS_RR_TXT,
	                    "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com "
	                    "include:_netblocks3.google.com ~all");
	add_ranges(rec, sizeof(rec), "v=spf1", 15, 0, 1, " ~all");
	zs_fakedns_add_text(fd, "_netblocks.google.com", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 0, 12, 2, " ~all");
	zs_fakedns_add_text(fd, "_netblocks2.google.com", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 8, 0, 3, " ~all");
	zs_fakedns_add_text(fd, "_netblocks3.google.com", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 10, 5, 4,
	           " include:spfd.protection.outlook.com -all");
	zs_fakedns_add_text(fd, "spf.protection.outlook.com", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 3, 1, 5, " -all");
	zs_fakedns_add_text(fd, "spfd.protection.outlook.com", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 9, 0, 6, " ~all");
	zs_fakedns_add_text(fd, "sendgrid.net", ZS_RR_TXT, rec);
	zs_fakedns_add_text(fd, "sendgrid.net", ZS_RR_TXT, "google-site-verification=abcdef");
	zs_fakedns_add_text(fd, "mailgun.org", ZS_RR_TXT,
	                    "v=spf1 include:_spf.mailgun.org include:_spf.eu.mailgun.org ~all");
	add_ranges(rec, sizeof(rec), "v=spf1", 6, 0, 7, " ~all");
	zs_fakedns_add_text(fd, "_spf.mailgun.org", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 4, 0, 8, " ~all");
	zs_fakedns_add_text(fd, "_spf.eu.mailgun.org", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 5, 0, 9, " ?all");
	zs_fakedns_add_text(fd, "servers.mcsv.net", ZS_RR_TXT, rec);
	add_ranges(rec, sizeof(rec), "v=spf1", 7, 0, 10, " -all");
	zs_fakedns_add_text(fd, "amazonses.com", ZS_RR_TXT, rec);
	for (int k = 0; k < 10; k++) {
		char owner[64];
		char host[64];
		(void)snprintf(owner, sizeof(owner), "_spf.hoster%d.example", k);
		(void)snprintf(
		        rec, sizeof(rec),
		        "v=spf1 ip4:203.0.%d.0/24 a:mail.hoster%d.example mx:hoster%d.example "
		        "~all",
		        k, k, k);
		zs_fakedns_add_text(fd, owner, ZS_RR_TXT, rec);
		(void)snprintf(owner, sizeof(owner), "mail.hoster%d.example", k);
		(void)snprintf(host, sizeof(host), "198.51.100.%d", k + 1);
		(void)zs_fakedns_add_addr(fd, owner, host);
		(void)snprintf(owner, sizeof(owner), "hoster%d.example", k);
		(void)snprintf(host, sizeof(host), "mx%d.hoster%d.example", 1, k);
		zs_fakedns_add_mx(fd, owner, 10, host);
		(void)snprintf(owner, sizeof(owner), "mx1.hoster%d.example", k);
		(void)snprintf(host, sizeof(host), "198.51.100.%d", k + 101);
		(void)zs_fakedns_add_addr(fd, owner, host);
		(void)zs_fakedns_add_addr(fd, owner, "2001:db8:100::1");
	}
}

static const char *const provider_names[] = { "_spf.google.com", "sendgrid.net", "mailgun.org",
	                                      "servers.mcsv.net", "amazonses.com" };

static void domain(struct zs_fakedns *fd, unsigned i)
{
	char name[64];
	char sub[96];
	char rec[1024];
	char addr[64];
	uint32_t r = mix(i + 0x9e3779b9U);
	unsigned kind = r % 100;

	(void)snprintf(name, sizeof(name), "d%u.example", i);
	if (kind < 30) {
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, "v=spf1 include:_spf.google.com ~all");
	} else if (kind < 42) {
		zs_fakedns_add_text(fd, name, ZS_RR_TXT,
		                    "v=spf1 include:spf.protection.outlook.com -all");
	} else if (kind < 57) {
		(void)snprintf(rec, sizeof(rec), "v=spf1 mx a ip4:192.0.%u.%u/28 include:%s ~all",
		               (r >> 8) & 255, (r >> 16) & 240, provider_names[(r >> 24) % 5]);
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, rec);
		(void)snprintf(addr, sizeof(addr), "198.18.%u.%u", (r >> 8) & 255, (r >> 16) & 255);
		(void)zs_fakedns_add_addr(fd, name, addr);
		(void)snprintf(sub, sizeof(sub), "mx.%s", name);
		zs_fakedns_add_mx(fd, name, 10, sub);
		(void)zs_fakedns_add_addr(fd, sub, addr);
	} else if (kind < 67) {
		(void)snprintf(rec, sizeof(rec),
		               "v=spf1 ip4:192.0.2.%u ip4:198.51.%u.0/29 ip6:2001:db8:%x::/64 -all",
		               r & 255, (r >> 8) & 255, (r >> 16) & 0xffff);
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, rec);
	} else if (kind < 75) {
		(void)snprintf(rec, sizeof(rec), "v=spf1 redirect=_spf.hoster%u.example",
		               (r >> 8) % 10);
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, rec);
	} else if (kind < 81) {
		zs_fakedns_add_text(fd, name, ZS_RR_TXT,
		                    "v=spf1 include:_spf.google.com include:sendgrid.net "
		                    "include:mailgun.org include:servers.mcsv.net ~all");
	} else if (kind < 85) {
		static const char *const broken[] = {
			"v=spf1 ip4:192.0.2.1/33 -all",
			"v=spf1 a mx +all",
			"v=spf1 include:_spf.google.com include:spf.protection.outlook.com "
			"include:sendgrid.net include:mailgun.org include:servers.mcsv.net "
			"include:amazonses.com include:_spf.hoster1.example a mx ~all",
			"v=spf1 include:nowhere.example -all",
		};
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, broken[(r >> 8) % 4]);
		if ((r >> 8) % 5 == 4) {
			zs_fakedns_add_text(fd, name, ZS_RR_TXT, "v=spf1 -all");
		}
	} else if (kind < 90) {
		(void)snprintf(rec, sizeof(rec), "v=spf1 a:mail.%s mx include:_spf.google.com -all",
		               name);
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, rec);
	} else {
		(void)snprintf(rec, sizeof(rec), "google-site-verification=%08x%08x", r, mix(r));
		zs_fakedns_add_text(fd, name, ZS_RR_TXT, rec);
	}
}

int main(int argc, char **argv)
{
	unsigned n = 1000000;
	bool use_cache = true;
	for (int i = 1; i < argc; i++) {
		char *end;
		unsigned long v = strtoul(argv[i], &end, 10);
		if (strcmp(argv[i], "--no-cache") == 0) {
			use_cache = false;
		} else if (*end != '\0' || v == 0 || v > 100000000) {
			fprintf(stderr, "usage: spf_bench [N] [--no-cache]\n");
			return 2;
		} else {
			n = (unsigned)v;
		}
	}
	struct zs_spf_cache *cache = use_cache ? zs_spf_cache_new(0) : NULL;
	struct zs_spf_analysis_opts opts = { .cache = cache };
	struct zs_fakedns *fd = zs_fakedns_new();
	double t0 = now();
	providers(fd);
	for (unsigned i = 0; i < n; i++) {
		domain(fd, i);
	}
	double t1 = now();
	double c1 = cpu_now();

	unsigned long results[ZS_SPF_VALID + 1] = { 0 };
	unsigned long questions = 0;
	unsigned long steps = 0;
	unsigned long lookups = 0;
	double in_dns = 0;
	struct zs_arena a;
	zs_arena_init(&a);
	for (unsigned i = 0; i < n; i++) {
		char name[64];
		(void)snprintf(name, sizeof(name), "d%u.example", i);
		struct zs_spf_ctx *ctx = zs_spf_analysis_new(name, &opts);
		const struct zs_spf_need *need;
		size_t k;
		while (zs_spf_step(ctx, &need, &k) == ZS_SPF_NEED) {
			for (size_t j = 0; j < k; j++) {
				struct zs_answer ans;
				double q0 = now();
				zs_fakedns_query(fd, need[j].name, need[j].type, &a, &ans);
				in_dns += now() - q0;
				(void)zs_spf_answer(ctx, need[j].name, need[j].type, &ans);
			}
			zs_arena_deinit(&a);
			questions += k;
			steps++;
		}
		const struct zs_spf_report *r = zs_spf_report(ctx);
		results[r->result]++;
		lookups += r->lookups;
		zs_spf_ctx_free(ctx);
	}
	double t2 = now();
	double cpu = cpu_now() - c1;
	double total = t2 - t1;
	double dns_share = in_dns / total; /* measured in wall time: the same share of CPU */

	printf("domains          %u (zone built in %.2f s), shared parse cache %s\n", n, t1 - t0,
	       use_cache ? "on" : "off");
	printf("analysis         %.2f s wall, %.0f records/s; %.2f s CPU, %.0f records per CPU s\n",
	       total, n / total, cpu, n / cpu);
	printf("evaluator only   %.0f records per CPU s (answer cache lookups: %.0f%% of the time)\n",
	       n / (cpu * (1 - dns_share)), 100 * dns_share);
	printf("questions        %.2f per domain, %.2f steps per domain, %.2f lookups counted\n",
	       (double)questions / n, (double)(steps + n) / n, (double)lookups / n);
	printf("verdicts         valid %lu, none %lu, permerror %lu, temperror %lu\n",
	       results[ZS_SPF_VALID], results[ZS_SPF_NONE], results[ZS_SPF_PERMERROR],
	       results[ZS_SPF_TEMPERROR]);
	zs_fakedns_free(fd);
	zs_spf_cache_free(cache);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * zs-dnsbench: pushes the benchmark's query set through the DNS engine (scanner/dns) and
 * reports answered questions per second, lost answers and peak memory. The query set is a
 * sweep's: for each domain dN.<zone>, MX and TXT of the domain, TXT of _dmarc, TXT of 16 DKIM
 * selectors (sel1..sel16._domainkey); it is generated on the fly, never held in memory, so that
 * the peak RSS measured is the engine's. With -P it prints the same set in dnsperf's input
 * format instead, so that dnsperf and the engine ask exactly the same questions.
 *
 *   zs-dnsbench -s ADDR[:PORT] -n DOMAINS [-z ZONE] [-m MAX_INFLIGHT] [-w WINDOW] [-r PASSES]
 *               [-t TIMEOUT_MS] [-q QPS] [-C] [-c CACHE_MAX] [-u UDP_SOCKETS]
 *   zs-dnsbench -P -n DOMAINS [-z ZONE]
 *
 * The report is one line of key=value pairs on stdout, then the engine's counters as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/dns/resolver.h"

enum { QUESTIONS_PER_DOMAIN = 19, SELECTORS = 16 };

struct bench {
	uv_loop_t *loop;
	struct zs_resolver *r;
	const char *zone;
	uint64_t domains;
	uint64_t total;  /**< questions to ask */
	uint64_t next;   /**< next question to ask */
	uint64_t done;   /**< answers received */
	uint64_t window; /**< questions pending at most */
	uint64_t status[ZS_DNS_STATUS_COUNT_];
	uint64_t started_ns;
	uint64_t ended_ns;
	struct zs_buf stats; /**< the engine's counters as JSON, taken before it closes */
};

/* Question k of the set: domain k / 19 (modulo the domain count), kind k % 19. */
static void question(const struct bench *b, uint64_t k, char *name, size_t cap, uint16_t *type)
{
	uint64_t d = (k / QUESTIONS_PER_DOMAIN) % b->domains;
	unsigned kind = (unsigned)(k % QUESTIONS_PER_DOMAIN);

	switch (kind) {
	case 0:
		(void)snprintf(name, cap, "d%llu.%s", (unsigned long long)d, b->zone);
		*type = ZS_RR_MX;
		break;
	case 1:
		(void)snprintf(name, cap, "d%llu.%s", (unsigned long long)d, b->zone);
		*type = ZS_RR_TXT;
		break;
	case 2:
		(void)snprintf(name, cap, "_dmarc.d%llu.%s", (unsigned long long)d, b->zone);
		*type = ZS_RR_TXT;
		break;
	default:
		(void)snprintf(name, cap, "sel%u._domainkey.d%llu.%s", kind - 2,
		               (unsigned long long)d, b->zone);
		*type = ZS_RR_TXT;
		break;
	}
}

static void top_up(struct bench *b);

static void on_answer(const struct zs_answer *a, void *arg)
{
	struct bench *b = arg;
	b->status[a->status]++;
	b->done++;
	if (b->done == b->total) {
		struct zs_json j;
		b->ended_ns = uv_hrtime();
		zs_json_init(&j, &b->stats);
		(void)zs_resolver_stats_json(b->r, &j);
		zs_resolver_close(b->r, NULL, NULL);
		return;
	}
	top_up(b);
}

static void top_up(struct bench *b)
{
	while (b->next < b->total && zs_resolver_pending(b->r) < b->window) {
		char name[256];
		uint16_t type;
		question(b, b->next++, name, sizeof(name), &type);
		if (zs_resolver_query(b->r, name, type, on_answer, b, NULL) != 0) {
			fprintf(stderr, "zs-dnsbench: query refused\n");
			exit(1);
		}
	}
}

static long peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0) {
			char *end = NULL;
			kib = strtol(line + 6, &end, 10);
		}
	}
	if (f != NULL) {
		(void)fclose(f);
	}
	return kib;
}

static uint64_t parse_u64(const char *text, const char *what)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0') {
		fprintf(stderr, "zs-dnsbench: bad %s: %s\n", what, text);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: zs-dnsbench -s ADDR[:PORT] -n DOMAINS [-z ZONE] [-m MAX_INFLIGHT] "
	                "[-w WINDOW] [-r PASSES] [-t TIMEOUT_MS] [-q QPS] [-C] [-c CACHE_MAX] "
	                "[-u UDP_SOCKETS]\n"
	                "       zs-dnsbench -P -n DOMAINS [-z ZONE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b;
	struct zs_resolver_opts o;
	const char *server = NULL;
	bool print = false;
	uint64_t passes = 1;

	memset(&b, 0, sizeof(b));
	memset(&o, 0, sizeof(o));
	b.zone = "bench";
	o.max_inflight = 1000;
	for (int opt = getopt(argc, argv, "s:n:z:m:w:r:t:q:Cc:u:P"); opt != -1;
	     opt = getopt(argc, argv, "s:n:z:m:w:r:t:q:Cc:u:P")) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'n':
			b.domains = parse_u64(optarg, "domain count");
			break;
		case 'z':
			b.zone = optarg;
			break;
		case 'm':
			o.max_inflight = (unsigned)parse_u64(optarg, "max inflight");
			break;
		case 'w':
			b.window = parse_u64(optarg, "window");
			break;
		case 'r':
			passes = parse_u64(optarg, "passes");
			break;
		case 't':
			o.timeout_ms = (unsigned)parse_u64(optarg, "timeout");
			break;
		case 'q':
			o.qps = (double)parse_u64(optarg, "qps");
			break;
		case 'C':
			o.no_cache = true;
			break;
		case 'c':
			o.cache_max = parse_u64(optarg, "cache size");
			break;
		case 'u':
			o.udp_sockets = (unsigned)parse_u64(optarg, "UDP sockets");
			break;
		case 'P':
			print = true;
			break;
		default:
			usage();
		}
	}
	if (b.domains == 0 || passes == 0) {
		usage();
	}
	b.total = b.domains * QUESTIONS_PER_DOMAIN * passes;
	if (print) {
		for (uint64_t k = 0; k < b.domains * QUESTIONS_PER_DOMAIN; k++) {
			char name[256];
			uint16_t type;
			question(&b, k, name, sizeof(name), &type);
			printf("%s %s\n", name, zs_rr_type_name(type));
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (server == NULL) {
		usage();
	}
	if (zs_resolver_parse_addr(server, &o.servers[0]) != 0) {
		fprintf(stderr, "zs-dnsbench: bad server address %s\n", server);
		return 2;
	}
	o.server_count = 1;
	if (b.window == 0) {
		b.window = 2 * (uint64_t)o.max_inflight;
	}
	b.loop = uv_default_loop();
	int ret = zs_resolver_new(b.loop, &o, &b.r);
	if (ret != 0) {
		fprintf(stderr, "zs-dnsbench: %s\n", zs_err_str(ret));
		return 1;
	}
	zs_buf_init(&b.stats, 1 << 20);
	b.started_ns = uv_hrtime();
	top_up(&b);
	(void)uv_run(b.loop, UV_RUN_DEFAULT);

	double secs = (double)(b.ended_ns - b.started_ns) / 1e9;
	uint64_t answered =
	        b.status[ZS_DNS_NOERROR] + b.status[ZS_DNS_NODATA] + b.status[ZS_DNS_NXDOMAIN];
	printf("questions=%llu answered=%llu lost=%llu noerror=%llu nodata=%llu nxdomain=%llu "
	       "timeout=%llu servfail=%llu seconds=%.3f answered_per_s=%.0f peak_rss_kib=%ld\n",
	       (unsigned long long)b.total, (unsigned long long)answered,
	       (unsigned long long)(b.total - answered),
	       (unsigned long long)b.status[ZS_DNS_NOERROR],
	       (unsigned long long)b.status[ZS_DNS_NODATA],
	       (unsigned long long)b.status[ZS_DNS_NXDOMAIN],
	       (unsigned long long)b.status[ZS_DNS_TIMEOUT],
	       (unsigned long long)b.status[ZS_DNS_SERVFAIL], secs,
	       secs > 0 ? (double)answered / secs : 0.0, peak_rss_kib());
	printf("%s\n", zs_buf_cstr(&b.stats));
	zs_buf_deinit(&b.stats);
	return uv_loop_close(b.loop) == 0 && answered == b.total ? 0 : 1;
}

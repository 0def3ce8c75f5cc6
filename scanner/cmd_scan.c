/* SPDX-License-Identifier: MIT */
/*
 * zonesweep scan: the nightly sweep. Reads the zone, probes every delegated domain through the
 * resolvers, stores each result (PostgreSQL and/or JSON Lines) and prints a one-screen
 * summary. A run that cannot complete is marked as such; nothing already stored is lost.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/output.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/sweep.h"

struct scan_ctx {
	const char *tld;
	struct zs_out *jsonl;
	struct zs_buf line;
	uint64_t jsonl_lines;
};

static void scan_usage(FILE *f)
{
	fprintf(f,
		"usage: zonesweep scan --zone FILE --tld TLD [options]\n"
		"\n"
		"Sweep every delegated domain of a TLD zone: query its mail records through the\n"
		"resolvers, evaluate them, store the results, and print a summary.\n"
		"\n"
		"input:\n"
		"  --zone FILE          the TLD zone file (plain or gzip), or - for stdin\n"
		"  --tld TLD            the zone's apex, e.g. post or bank\n"
		"  --strict             stop at the first zone syntax error (default: skip, count)\n"
		"  --allow-include      permit $INCLUDE of files under the zone file's directory\n"
		"DNS:\n"
		"  --resolver ADDR[:PORT]  a recursive resolver (repeatable; default: the first\n"
		"                       nameserver of /etc/resolv.conf)\n"
		"  --max-inflight N     queries on the wire at once (default 500)\n"
		"  --qps N              global query rate limit (default: none)\n"
		"  --timeout MS         first per-query timeout, doubled on each try (default 2000)\n"
		"  --tries N            tries per question (default 3)\n"
		"  --window N           domains in flight (default 1000)\n"
		"  --budget SECONDS     time allowed per domain (default 60)\n"
		"  --no-retry           no deferred retry pass for domains with DNS failures\n"
		"  --retry-delay SECONDS  pause before the deferred pass (default 5)\n"
		"  --resolver-validates the resolvers validate DNSSEC (the AD bit is meaningful)\n"
		"output:\n"
		"  --jsonl FILE         write one JSON object per domain (gzip unless *.jsonl)\n"
		"  --overwrite          replace an existing --jsonl file\n"
		"  --quiet              no progress output\n"
		"  --debug GROUPS       debug logs for groups (main,zone,dns,policy,db,report,all)\n"
		"\n"
		"Exit status: 0 the sweep completed, 1 it failed or was interrupted, 2 usage error.\n");
}

static int emit_result(void *arg, const struct zs_probe_result *r)
{
	struct scan_ctx *ctx = arg;

	if (ctx->jsonl != NULL) {
		struct zs_json j;
		zs_buf_reset(&ctx->line);
		zs_json_init(&j, &ctx->line);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "domain", r->domain);
		zs_json_kstr(&j, "status", r->status);
		zs_json_kstr(&j, "mail", r->mail_kind);
		zs_json_kint(&j, "warnings", r->warnings);
		zs_json_key(&j, "rules");
		zs_json_obj_begin(&j);
		for (size_t i = 0; i < r->verdict_count; i++) {
			zs_json_key(&j, r->verdicts[i].rule);
			zs_json_obj_begin(&j);
			zs_json_kstr(&j, "verdict", r->verdicts[i].verdict);
			zs_json_kstr(&j, "reason", r->verdicts[i].reason);
			zs_json_obj_end(&j);
		}
		zs_json_obj_end(&j);
		zs_json_key(&j, "facts");
		zs_json_raw(&j, zs_buf_cstr(&r->facts));
		zs_json_obj_end(&j);
		int ret = zs_json_error(&j);
		if (ret == 0) {
			ret = zs_buf_putc(&ctx->line, '\n');
		}
		if (ret == 0) {
			ret = zs_out_write(ctx->jsonl, ctx->line.data, ctx->line.len);
		}
		if (ret != 0) {
			return ret;
		}
		ctx->jsonl_lines++;
	}
	return 0;
}

static void print_summary(const struct scan_ctx *ctx, const struct zs_sweep_summary *s)
{
	const struct zs_resolver_stats *d = &s->dns;
	double rate = s->domains > 0 ? 100.0 * (double)s->compliant / (double)s->domains : 0;

	printf("zonesweep scan of .%s\n", ctx->tld);
	printf("  zone        %llu delegations read, %llu records, %llu syntax errors%s",
	       (unsigned long long)s->zone.delegations, (unsigned long long)s->zone.records,
	       (unsigned long long)s->zone.errors, s->zone.complete ? "" : ", READ INCOMPLETELY");
	if (s->zone.has_serial) {
		printf(", serial %u", s->zone.serial);
	}
	printf("\n");
	printf("  domains     %llu stored", (unsigned long long)s->domains);
	if (s->skipped > 0) {
		printf(", %llu skipped (already stored)", (unsigned long long)s->skipped);
	}
	printf("\n");
	printf("  compliant       %8llu  (%.1f%%)\n", (unsigned long long)s->compliant, rate);
	printf("  non-compliant   %8llu\n", (unsigned long long)s->non_compliant);
	printf("  indeterminate   %8llu  (DNS failures: could not check)\n",
	       (unsigned long long)s->indeterminate);
	if (s->deferred > 0) {
		printf("  deferred pass   %8llu domains retried, %llu recovered\n",
		       (unsigned long long)s->deferred, (unsigned long long)s->recovered);
	}
	printf("  DNS         %llu questions, %llu sent, %llu answered, %llu timeouts, "
	       "%llu retries, %llu TCP fallbacks, %llu mismatched, cache hits %llu, "
	       "coalesced %llu\n",
	       (unsigned long long)d->questions, (unsigned long long)d->sent,
	       (unsigned long long)d->answered, (unsigned long long)d->timeouts,
	       (unsigned long long)d->retried, (unsigned long long)d->tcp_fallbacks,
	       (unsigned long long)d->mismatched, (unsigned long long)d->cache_hits,
	       (unsigned long long)d->coalesced);
	printf("  time        %.1f s (%.0f domains/s)%s\n", s->seconds,
	       s->seconds > 0 ? (double)s->domains / s->seconds : 0.0,
	       s->interrupted ? ", INTERRUPTED" : "");
}

int zs_cmd_scan(int argc, char **argv)
{
	enum {
		OPT_ZONE = 256,
		OPT_TLD,
		OPT_STRICT,
		OPT_ALLOW_INCLUDE,
		OPT_RESOLVER,
		OPT_MAX_INFLIGHT,
		OPT_QPS,
		OPT_TIMEOUT,
		OPT_TRIES,
		OPT_WINDOW,
		OPT_BUDGET,
		OPT_NO_RETRY,
		OPT_RETRY_DELAY,
		OPT_VALIDATES,
		OPT_JSONL,
		OPT_OVERWRITE,
		OPT_QUIET,
		OPT_DEBUG,
		OPT_HELP,
	};
	static const struct option longopts[] = {
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "tld", required_argument, NULL, OPT_TLD },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "allow-include", no_argument, NULL, OPT_ALLOW_INCLUDE },
		{ "resolver", required_argument, NULL, OPT_RESOLVER },
		{ "max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT },
		{ "qps", required_argument, NULL, OPT_QPS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "tries", required_argument, NULL, OPT_TRIES },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "no-retry", no_argument, NULL, OPT_NO_RETRY },
		{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
		{ "resolver-validates", no_argument, NULL, OPT_VALIDATES },
		{ "jsonl", required_argument, NULL, OPT_JSONL },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "debug", required_argument, NULL, OPT_DEBUG },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct zs_sweep_opts o = { .progress = true };
	struct scan_ctx ctx = { 0 };
	const char *jsonl_path = NULL;
	bool overwrite = false;
	unsigned v;
	int c;
	int bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ZONE:
			o.zone_path = optarg;
			break;
		case OPT_TLD:
			ctx.tld = optarg;
			break;
		case OPT_STRICT:
			o.zone.strict = true;
			break;
		case OPT_ALLOW_INCLUDE:
			o.zone.allow_include = true;
			break;
		case OPT_RESOLVER:
			bad |= zs_cli_add_resolver(&o.resolver, optarg);
			break;
		case OPT_MAX_INFLIGHT:
			bad |= zs_cli_uint("max-inflight", optarg, 1, 65536, &o.resolver.max_inflight);
			break;
		case OPT_QPS:
			bad |= zs_cli_double("qps", optarg, &o.resolver.qps);
			break;
		case OPT_TIMEOUT:
			bad |= zs_cli_uint("timeout", optarg, 10, 120000, &o.resolver.timeout_ms);
			break;
		case OPT_TRIES:
			bad |= zs_cli_uint("tries", optarg, 1, 20, &o.resolver.tries);
			break;
		case OPT_WINDOW:
			bad |= zs_cli_uint("window", optarg, 1, 1000000, &o.window);
			break;
		case OPT_BUDGET:
			bad |= zs_cli_uint("budget", optarg, 1, 3600, &v);
			o.budget_ms = v * 1000;
			break;
		case OPT_NO_RETRY:
			o.no_retry = true;
			break;
		case OPT_RETRY_DELAY:
			bad |= zs_cli_uint("retry-delay", optarg, 0, 3600, &v);
			o.retry_delay_ms = v == 0 ? 1 : v * 1000;
			break;
		case OPT_VALIDATES:
			o.resolver.validating = true;
			break;
		case OPT_JSONL:
			jsonl_path = optarg;
			break;
		case OPT_OVERWRITE:
			overwrite = true;
			break;
		case OPT_QUIET:
			o.progress = false;
			break;
		case OPT_DEBUG:
			if (zs_log_enable_debug(optarg) != 0) {
				zs_log_error(ZS_LOG_MAIN, "--debug: unknown group in '%s'", optarg);
				bad = 1;
			}
			break;
		case OPT_HELP:
			scan_usage(stdout);
			return ZS_EXIT_OK;
		default:
			zs_cli_usage_hint("scan");
			return ZS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		zs_log_error(ZS_LOG_MAIN, "scan: unexpected argument '%s'", argv[optind]);
		bad = 1;
	}
	if (o.zone_path == NULL || ctx.tld == NULL) {
		zs_log_error(ZS_LOG_MAIN, "scan: --zone and --tld are required");
		bad = 1;
	}
	if (bad != 0) {
		zs_cli_usage_hint("scan");
		return ZS_EXIT_USAGE;
	}
	if (zs_cli_default_resolver(&o.resolver) != 0) {
		return ZS_EXIT_USAGE;
	}
	o.zone.origin = ctx.tld;
	o.zone.verify_gzip = true;
	o.emit = emit_result;
	o.emit_arg = &ctx;

	struct zs_sweep *sweep = NULL;
	int ret = zs_sweep_new(&o, &sweep);
	if (ret != 0) {
		zs_log_error(ZS_LOG_ZONE, "%s: cannot read the zone: %s", o.zone_path,
			     zs_err_str(ret));
		return ZS_EXIT_FAIL;
	}
	if (jsonl_path != NULL) {
		ret = zs_out_open(jsonl_path, overwrite ? ZS_OUT_OVERWRITE : 0, &ctx.jsonl);
		if (ret != 0) {
			zs_log_error(ZS_LOG_REPORT, "%s: %s%s", jsonl_path, zs_err_str(ret),
				     ret == -EEXIST ? " (use --overwrite)" : "");
			zs_sweep_free(sweep);
			return ZS_EXIT_FAIL;
		}
	}
	zs_buf_init(&ctx.line, 64 * 1024 * 1024);

	struct zs_sweep_summary sum = { 0 };
	ret = zs_sweep_run(sweep, &sum);
	zs_sweep_free(sweep);

	int status = ZS_EXIT_OK;
	if (ret != 0) {
		zs_log_error(ZS_LOG_MAIN, "scan of %s: %s", o.zone_path, zs_err_str(ret));
		status = ZS_EXIT_FAIL;
	}
	if (ctx.jsonl != NULL) {
		int cret = zs_out_commit(ctx.jsonl);
		if (cret != 0) {
			zs_log_error(ZS_LOG_REPORT, "%s: %s", jsonl_path, zs_err_str(cret));
			status = ZS_EXIT_FAIL;
		} else {
			fprintf(stderr, "zonesweep: %llu results written to %s\n",
				(unsigned long long)ctx.jsonl_lines, jsonl_path);
		}
	}
	zs_buf_deinit(&ctx.line);
	print_summary(&ctx, &sum);
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * zonesweep spf: one domain's SPF policy. Without --ip, the analysis a registry makes without
 * a sending address (validity, lookups after expansion, terminal all, addresses authorized)
 * and, beside it, check_host() for the senders the record does not list; with --ip, RFC 7208
 * check_host() for that client. The evaluator is the sweep's, driven here
 * by the DNS engine on a loop of its own.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/spf_eval.h"
#include "scanner/policy/spf_report.h"
#include "scanner/session.h"

struct spf_run {
	struct zs_session session;
	struct zs_spf_ctx *ctx;
	unsigned open; /* questions in flight */
};

struct spf_question {
	struct spf_run *run;
	char *name;
	uint16_t type;
};

static void spf_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep spf DOMAIN [--ip ADDR [--sender ADDR] [--helo NAME]] [options]\n"
	        "\n"
	        "Without --ip: analyse the domain's SPF policy (records, validity and why, DNS\n"
	        "lookups after expanding include and redirect, void lookups, the terminal all,\n"
	        "addresses authorized), and check_host() for an IPv4 and an IPv6 sender the record\n"
	        "does not list (" ZS_SPF_UNLISTED_IPV4 ", " ZS_SPF_UNLISTED_IPV6
	        "): the record is valid\n"
	        "only when neither ends in permerror. With --ip: the RFC 7208 check_host() result\n"
	        "for that client.\n"
	        "\n"
	        "  --ip ADDR              the client address (IPv4 or IPv6)\n"
	        "  --sender ADDR          the MAIL FROM address (default postmaster@DOMAIN)\n"
	        "  --helo NAME            the HELO/EHLO name (for %%{h})\n"
	        "  --resolver ADDR[:PORT] a recursive resolver (repeatable; default: the first\n"
	        "                         nameserver of /etc/resolv.conf)\n"
	        "  --timeout MS           first per-query timeout (default 2000)\n"
	        "  --json                 one JSON object\n"
	        "\n"
	        "Exit status: 0 the result is pass (with --ip) or the record is valid, 1 otherwise,\n"
	        "2 usage error.\n");
}

static void pump(struct spf_run *run);

static void on_answer(const struct zs_answer *ans, void *arg)
{
	struct spf_question *q = arg;
	struct spf_run *run = q->run;

	(void)zs_spf_answer(run->ctx, q->name, q->type, ans);
	zs_free(q->name);
	zs_free(q);
	run->open--;
	pump(run);
}

static void pump(struct spf_run *run)
{
	const struct zs_spf_need *need;
	size_t n = 0;

	if (zs_spf_step(run->ctx, &need, &n) == ZS_SPF_DONE) {
		if (run->open == 0) {
			zs_session_finish(&run->session);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct spf_question *q = zs_calloc(1, sizeof(*q));
		q->run = run;
		q->name = zs_strdup(need[i].name);
		q->type = need[i].type;
		if (zs_resolver_query(run->session.res, q->name, q->type, on_answer, q, NULL) !=
		    0) {
			static const struct zs_answer failed = { .status = ZS_DNS_NETERR };
			(void)zs_spf_answer(run->ctx, q->name, q->type, &failed);
			zs_free(q->name);
			zs_free(q);
			continue;
		}
		run->open++;
	}
	if (run->open == 0 && n > 0) {
		pump(run); /* every question was answered at once above: go on */
	}
}

int zs_cmd_spf(int argc, char **argv)
{
	enum { OPT_IP = 256, OPT_SENDER, OPT_HELO, OPT_JSON, OPT_HELP };
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, OPT_IP },
		{ "sender", required_argument, NULL, OPT_SENDER },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ "json", no_argument, NULL, OPT_JSON },
		ZS_CLI_DNS_OPTIONS,
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct zs_resolver_opts ropts = { 0 };
	struct zs_spf_check_params cp = { 0 };
	const char *ip = NULL;
	bool json = false;
	int bad = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IP:
			ip = optarg;
			break;
		case OPT_SENDER:
			cp.sender = optarg;
			break;
		case OPT_HELO:
			cp.helo = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_HELP:
			spf_usage(stdout);
			return ZS_EXIT_OK;
		default:
			if (zs_cli_dns_option(c, optarg, &ropts, &bad)) {
				break;
			}
			zs_cli_usage_hint("spf");
			return ZS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		zs_log_error(ZS_LOG_MAIN, "spf: give exactly one domain");
		bad = 1;
	}
	if (ip == NULL && (cp.sender != NULL || cp.helo != NULL)) {
		zs_log_error(ZS_LOG_MAIN, "spf: --sender and --helo go with --ip");
		bad = 1;
	}
	if (ip != NULL && zs_spf_ip_parse(ip, &cp.ip) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--ip: '%s' is not an IPv4 or IPv6 address", ip);
		bad = 1;
	}
	if (bad != 0) {
		zs_cli_usage_hint("spf");
		return ZS_EXIT_USAGE;
	}
	if (zs_cli_default_resolver(&ropts) != 0) {
		return ZS_EXIT_USAGE;
	}
	if (zs_session_resolvers_answer(&ropts) != 0) {
		return ZS_EXIT_FAIL;
	}

	struct spf_run run = { 0 };
	const char *domain = argv[optind];
	if (zs_session_open(&run.session, &ropts) != 0) {
		return ZS_EXIT_FAIL;
	}
	if (ip != NULL) {
		cp.domain = domain;
		cp.now = (uint64_t)time(NULL);
		cp.receiver = "zonesweep";
		run.ctx = zs_spf_check_new(&cp);
	} else {
		run.ctx = zs_spf_analysis_new(domain, NULL);
	}
	pump(&run);
	zs_session_run(&run.session);
	zs_session_close(&run.session);

	const struct zs_spf_report *r = zs_spf_report(run.ctx);
	struct zs_buf out;
	int ret;
	zs_buf_init(&out, 64 * 1024 * 1024);
	if (json) {
		struct zs_json j;
		zs_json_init(&j, &out);
		ret = zs_spf_report_json(r, &j);
		if (ret == 0) {
			ret = zs_buf_putc(&out, '\n');
		}
	} else {
		ret = zs_buf_printf(&out, "%s: %s\n", domain, zs_spf_result_name(r->result));
		if (ret == 0) {
			ret = zs_spf_report_tree(r, &out);
		}
	}
	if (ret == 0) {
		fputs(zs_buf_cstr(&out), stdout);
	}
	int status = ip != NULL ? (r->result == ZS_SPF_PASS ? ZS_EXIT_OK : ZS_EXIT_FAIL)
	                        : (r->result == ZS_SPF_VALID ? ZS_EXIT_OK : ZS_EXIT_FAIL);
	zs_buf_deinit(&out);
	zs_spf_ctx_free(run.ctx);
	return ret == 0 ? status : ZS_EXIT_FAIL;
}

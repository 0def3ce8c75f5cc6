/* SPDX-License-Identifier: MIT */
/*
 * `zonesweep zone`: read a TLD zone (file, gzip, stdin or zone transfer) the way a scan does
 * and print its delegations (--list, the default), their count (--count), or one JSON object per
 * delegation with its NS names, DS summary and glue (--json). A summary of the read goes to
 * stderr: records, syntax errors with the first one's file:line, the SOA serial, and whether
 * the zone was read completely. The exit status is 0 only when it was.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/commands.h"
#include "zoneio/reader.h"

enum zone_output { OUT_LIST, OUT_COUNT, OUT_JSON };

static void usage(FILE *f)
{
	fputs("usage: zonesweep zone FILE [options]\n"
	      "       zonesweep zone --axfr HOST[:PORT] --tld TLD [--tsig KEYFILE] [options]\n"
	      "Read a TLD zone and print its delegations: each domain once, lower case.\n"
	      "FILE is a master file, plain or gzip (by its magic bytes), or - for stdin.\n"
	      "\n"
	      "  --tld TLD          the zone's apex (default: the SOA owner or first $ORIGIN)\n"
	      "  --list             print one domain a line (default)\n"
	      "  --count            print the number of delegations\n"
	      "  --json             print one JSON object a line: name, ns, ds, glue\n"
	      "  --strict           stop at the first syntax error (default: skip and count)\n"
	      "  --allow-include    allow $INCLUDE of files under the zone file's directory\n"
	      "  --verify-gzip      check a gzip file's integrity before reading it\n"
	      "  --max-errors N     syntax errors kept for the summary (default 20)\n"
	      "  --engine fast|ldns the master-file parser (ldns: the slow reference)\n"
	      "  --axfr HOST[:PORT] transfer the zone from its primary (needs --tld)\n"
	      "  --tsig KEYFILE     TSIG key for the transfer (BIND key file or alg:name:secret)\n"
	      "  -h, --help         this help\n"
	      "\n"
	      "Exit status: 0 the zone was read completely, 1 it was not (or could not be\n"
	      "opened), 2 usage error.\n",
	      f);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "zonesweep zone: %s%s%s\n", msg, arg != NULL ? ": " : "",
	        arg != NULL ? arg : "");
	fputs("zonesweep zone: try 'zonesweep zone --help'\n", stderr);
	return ZS_EXIT_USAGE;
}

static void print_json(struct zs_buf *b, const struct zs_delegation *d)
{
	struct zs_json j;
	zs_buf_reset(b);
	zs_json_init(&j, b);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "name", d->name);
	zs_json_key(&j, "ns");
	zs_json_arr_begin(&j);
	for (size_t i = 0; i < d->ns_count; i++) {
		zs_json_str(&j, d->ns[i]);
	}
	zs_json_arr_end(&j);
	zs_json_key(&j, "ds");
	zs_json_arr_begin(&j);
	for (size_t i = 0; i < d->ds_count; i++) {
		zs_json_obj_begin(&j);
		zs_json_kint(&j, "keytag", d->ds[i].keytag);
		zs_json_kint(&j, "algorithm", d->ds[i].algorithm);
		zs_json_kint(&j, "digest_type", d->ds[i].digest_type);
		zs_json_obj_end(&j);
	}
	zs_json_arr_end(&j);
	zs_json_key(&j, "glue");
	zs_json_arr_begin(&j);
	for (size_t i = 0; i < d->glue_count; i++) {
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "ns", d->glue_ns[i]);
		zs_json_kstr(&j, "address", d->glue[i]);
		zs_json_obj_end(&j);
	}
	zs_json_arr_end(&j);
	zs_json_obj_end(&j);
	(void)zs_buf_putc(b, '\n');
	(void)fwrite(b->data, 1, b->len, stdout);
}

static void print_summary(const char *input, const struct zs_zone_stats *st, int ret)
{
	fprintf(stderr, "%s: %llu delegations, %llu records, %llu bytes, %llu syntax errors", input,
	        (unsigned long long)st->delegations, (unsigned long long)st->records,
	        (unsigned long long)st->bytes, (unsigned long long)st->errors);
	if (st->late_records > 0) {
		fprintf(stderr, ", %llu late records", (unsigned long long)st->late_records);
	}
	if (st->out_of_zone > 0) {
		fprintf(stderr, ", %llu out of zone", (unsigned long long)st->out_of_zone);
	}
	if (st->has_serial) {
		fprintf(stderr, ", serial %u", (unsigned)st->serial);
	}
	if (st->complete) {
		fputs(", read completely\n", stderr);
	} else {
		fprintf(stderr, ", NOT read completely: %s\n", zs_err_str(ret));
	}
	if (st->errors_kept > 0) {
		const struct zs_zone_error *e = &st->first_errors[0];
		fprintf(stderr, "%s: first syntax error: %s:%lu: %s\n", input, e->file, e->line,
		        e->msg);
	}
}

int zs_cmd_zone(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tld", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "count", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		{ "allow-include", no_argument, NULL, 'i' },
		{ "verify-gzip", no_argument, NULL, 'v' },
		{ "max-errors", required_argument, NULL, 'm' },
		{ "engine", required_argument, NULL, 'e' },
		{ "axfr", required_argument, NULL, 'a' },
		{ "tsig", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zs_zone_opts opts = { 0 };
	enum zone_output output = OUT_LIST;
	const char *axfr = NULL;
	const char *tsig = NULL;
	int outputs = 0;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opts.origin = optarg;
			break;
		case 'l':
			output = OUT_LIST;
			outputs++;
			break;
		case 'c':
			output = OUT_COUNT;
			outputs++;
			break;
		case 'j':
			output = OUT_JSON;
			outputs++;
			break;
		case 's':
			opts.strict = true;
			break;
		case 'i':
			opts.allow_include = true;
			break;
		case 'v':
			opts.verify_gzip = true;
			break;
		case 'm': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 1 || v > 100000) {
				return usage_error("--max-errors wants a number from 1 to 100000",
				                   optarg);
			}
			opts.max_errors_kept = (size_t)v;
			break;
		}
		case 'e':
			if (strcmp(optarg, "fast") == 0) {
				opts.engine = ZS_ZONE_ENGINE_FAST;
			} else if (strcmp(optarg, "ldns") == 0) {
				opts.engine = ZS_ZONE_ENGINE_LDNS;
			} else {
				return usage_error("--engine is fast or ldns", optarg);
			}
			break;
		case 'a':
			axfr = optarg;
			break;
		case 'k':
			tsig = optarg;
			break;
		case 'h':
			usage(stdout);
			return ZS_EXIT_OK;
		case ':':
			return usage_error("option needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (outputs > 1) {
		return usage_error("give one of --list, --count, --json", NULL);
	}
	if (axfr != NULL && (optind != argc || opts.origin == NULL)) {
		return usage_error("--axfr takes --tld and no FILE", NULL);
	}
	if (axfr == NULL && optind != argc - 1) {
		return usage_error("give one zone FILE (or - for stdin)", NULL);
	}
	if (axfr == NULL && tsig != NULL) {
		return usage_error("--tsig goes with --axfr", NULL);
	}

	const char *input = axfr != NULL ? axfr : argv[optind];
	struct zs_zone_reader *r = NULL;
	int ret = axfr != NULL ? zs_zone_reader_open_axfr(axfr, opts.origin, tsig, &opts, &r)
	                       : zs_zone_reader_open(input, &opts, &r);
	if (ret != 0) {
		if (ret == ZS_ERR_PARSE && axfr == NULL) {
			fprintf(stderr, "zonesweep zone: --tld %s: not a domain name\n",
			        opts.origin);
		} else {
			fprintf(stderr, "zonesweep zone: %s: %s\n", input, zs_err_str(ret));
		}
		return ZS_EXIT_FAIL;
	}

	struct zs_buf line;
	zs_buf_init(&line, 16u * 1024 * 1024);
	const struct zs_delegation *d = NULL;
	for (;;) {
		ret = zs_zone_reader_next(r, &d);
		if (ret != 0) {
			break;
		}
		if (output == OUT_LIST) {
			(void)fputs(d->name, stdout);
			(void)fputc('\n', stdout);
		} else if (output == OUT_JSON) {
			print_json(&line, d);
		}
	}
	const struct zs_zone_stats *st = zs_zone_reader_stats(r);
	if (output == OUT_COUNT) {
		printf("%llu\n", (unsigned long long)st->delegations);
	}
	int status = st->complete ? ZS_EXIT_OK : ZS_EXIT_FAIL;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "zonesweep zone: writing the output failed\n");
		status = ZS_EXIT_FAIL;
	}
	print_summary(input, st, ret);
	zs_buf_deinit(&line);
	zs_zone_reader_close(r);
	return status;
}

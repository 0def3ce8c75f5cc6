/* SPDX-License-Identifier: MIT */
/*
 * zonesweep parse: run one of the sweep's record parsers (SPF, DMARC, DKIM key) on records
 * given as text, without DNS, and print what it made of each as one JSON object per line. It
 * shows an operator what the scanner reads in a record before any sweep, and lets tests put
 * the parsers beside independent implementations (pyspf, dkimpy, OpenDMARC) on real records.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/dkim.h"
#include "scanner/policy/dmarc.h"
#include "scanner/policy/spf.h"

static void parse_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep parse spf|dmarc|dkim [RECORD...]\n"
	        "\n"
	        "Parse records with the sweep's parsers, without DNS, and print one JSON object\n"
	        "per record (JSON Lines, in input order). The records are the arguments or, when\n"
	        "there are none, the lines of standard input (one record per line: a record\n"
	        "cannot hold a newline in that form). A record is the TXT record's strings joined.\n"
	        "\n"
	        "  spf    SPF record (RFC 7208): whether it is one, its terms, the syntax error and\n"
	        "         its byte position (keys: text, spf, valid, error, dns_terms, terms)\n"
	        "  dmarc  DMARC record (RFC 7489): tags, findings, the policy in force (effective)\n"
	        "  dkim   DKIM key record (RFC 6376 3.6.1): status, key type, RSA bits, findings\n"
	        "\n"
	        "Exit status: 0 every record is valid (a DKIM key: usable by a verifier), 1 one is\n"
	        "not or the input could not be read, 2 usage error.\n");
}

/* One parser: writes the record's JSON object and says whether the record is valid. */
typedef bool (*record_fn)(struct zs_arena *a, const char *text, size_t len, struct zs_json *j);

static void spf_term_json(struct zs_json *j, const struct zs_spf_record *r,
                          const struct zs_spf_term *t)
{
	char qualifier[2] = { t->qualifier, '\0' };

	zs_json_obj_begin(j);
	zs_json_kint(j, "position", t->pos);
	zs_json_kdata(j, "term", r->text + t->pos, t->len);
	zs_json_kstr(j, "kind", zs_spf_kind_name(t->kind));
	zs_json_kstr(j, "qualifier", t->qualifier != 0 ? qualifier : NULL);
	zs_json_kdata(j, "spec", t->spec, t->spec != NULL ? strlen(t->spec) : 0);
	if (t->name != NULL) {
		zs_json_kdata(j, "name", t->name, strlen(t->name));
	}
	zs_json_obj_end(j);
}

static bool spf_json(struct zs_arena *a, const char *text, size_t len, struct zs_json *j)
{
	struct zs_spf_record *r = NULL;
	struct zs_spf_syntax err = { 0 };
	int ret = zs_spf_record_parse(a, text, len, &r, &err);

	zs_json_obj_begin(j);
	zs_json_kdata(j, "text", text, len);
	zs_json_kbool(j, "spf", ret != ZS_ERR_NOTFOUND);
	zs_json_kbool(j, "valid", ret == 0);
	zs_json_key(j, "error");
	if (ret == 0) {
		zs_json_null(j);
	} else {
		zs_json_obj_begin(j);
		zs_json_kint(j, "position", ret == ZS_ERR_PARSE ? (long long)err.pos : 0);
		zs_json_kstr(j, "message",
		             ret == ZS_ERR_PARSE      ? err.msg
		             : ret == ZS_ERR_NOTFOUND ? "not an SPF record: it does not start with "
		                                        "\"v=spf1\" followed by a space or the end"
		                                      : "longer than any TXT record can be");
		zs_json_obj_end(j);
	}
	if (ret == 0) {
		zs_json_kint(j, "dns_terms", r->dns_terms);
		zs_json_key(j, "terms");
		zs_json_arr_begin(j);
		for (size_t i = 0; i < r->count; i++) {
			spf_term_json(j, r, &r->terms[i]);
		}
		zs_json_arr_end(j);
	}
	zs_json_obj_end(j);
	return ret == 0;
}

static bool dmarc_json(struct zs_arena *a, const char *text, size_t len, struct zs_json *j)
{
	struct zs_dmarc_record r;

	zs_dmarc_parse(a, text, len, 0, &r);
	zs_dmarc_record_json(j, &r);
	return r.valid;
}

static bool dkim_json(struct zs_arena *a, const char *text, size_t len, struct zs_json *j)
{
	struct zs_dkim_key k;

	zs_dkim_key_parse(a, text, len, &k);
	zs_dkim_key_json(j, &k);
	return k.status == ZS_DKIM_VALID;
}

/*
 * Parse one record and print its line.
 * @param where  names the record in errors: "(standard input)" or "argument"
 * @param index  its line or argument number, from 1
 * @return 1 valid, 0 not valid, or ZS_ERR_TOOBIG (logged) for a record longer than any TXT
 *         record can be
 */
static int print_record(record_fn fn, const char *text, size_t len, const char *where, size_t index)
{
	struct zs_arena a;
	struct zs_buf out;
	struct zs_json j;

	if (len > ZS_SPF_RECORD_MAX) {
		zs_log_error(ZS_LOG_MAIN, "%s:%zu: longer than %d bytes", where, index,
		             ZS_SPF_RECORD_MAX);
		return ZS_ERR_TOOBIG;
	}
	zs_arena_init(&a);
	/* the largest object a record of ZS_SPF_RECORD_MAX bytes gives is a few times its size */
	zs_buf_init(&out, 64u * ZS_SPF_RECORD_MAX);
	zs_json_init(&j, &out);
	bool valid = fn(&a, text, len, &j);
	int ret = zs_json_error(&j);
	if (ret == 0) {
		ret = zs_buf_putc(&out, '\n');
	}
	if (ret == 0) {
		fputs(zs_buf_cstr(&out), stdout);
	} else {
		zs_log_error(ZS_LOG_MAIN, "%s:%zu: %s", where, index, zs_err_name(ret));
	}
	zs_buf_deinit(&out);
	zs_arena_deinit(&a);
	return ret != 0 ? ret : valid ? 1 : 0;
}

/* Records from standard input, one per line; stops at the first that cannot be printed. */
static int parse_stdin(record_fn fn)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	size_t lineno = 0;
	int status = ZS_EXIT_OK;

	errno = 0;
	while ((n = getline(&line, &cap, stdin)) != -1) {
		size_t len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n') {
			len--;
		}
		int ret = print_record(fn, line, len, "(standard input)", ++lineno);
		if (ret <= 0) {
			status = ZS_EXIT_FAIL;
		}
		if (ret < 0) {
			break;
		}
		errno = 0;
	}
	if (n == -1 && errno != 0) {
		zs_log_error(ZS_LOG_MAIN, "(standard input): %s", strerror(errno));
		status = ZS_EXIT_FAIL;
	}
	free(line); /* getline() allocates with the C library */
	return status;
}

int zs_cmd_parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		record_fn fn;
	} kinds[] = { { "spf", spf_json }, { "dmarc", dmarc_json }, { "dkim", dkim_json } };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			parse_usage(stdout);
			return ZS_EXIT_OK;
		}
		zs_cli_usage_hint("parse");
		return ZS_EXIT_USAGE;
	}
	record_fn fn = NULL;
	for (size_t i = 0; optind < argc && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(argv[optind], kinds[i].name) == 0) {
			fn = kinds[i].fn;
		}
	}
	if (fn == NULL) {
		zs_log_error(ZS_LOG_MAIN, "parse: give the kind of record: spf, dmarc or dkim");
		zs_cli_usage_hint("parse");
		return ZS_EXIT_USAGE;
	}
	if (optind + 1 == argc) {
		return parse_stdin(fn);
	}
	int status = ZS_EXIT_OK;
	for (int i = optind + 1; i < argc; i++) {
		if (print_record(fn, argv[i], strlen(argv[i]), "argument", (size_t)(i - optind)) <=
		    0) {
			status = ZS_EXIT_FAIL;
		}
	}
	return status;
}

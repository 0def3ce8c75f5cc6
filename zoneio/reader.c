/* SPDX-License-Identifier: MIT */
/*
 * The zone reader object: opens the record source chosen by the options (the fast tokenizer,
 * the ldns reference or a zone transfer), pulls records from it through the delegation filter
 * (deleg.c) until a delegation is complete, and keeps the figures of the run: bytes, records,
 * errors with the first few remembered by file:line, the SOA serial, and whether the input was
 * read to its end. $INCLUDE paths are checked here, once for every parser.
 */
#include "zoneio/reader.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "zoneio/reader_int.h"

struct zs_zone_reader *zs__zone_reader_new(const struct zs_zone_opts *opts)
{
	struct zs_zone_reader *r = zs_calloc(1, sizeof(*r));
	if (opts != NULL) {
		r->opts = *opts;
	}
	if (r->opts.max_errors_kept == 0) {
		r->opts.max_errors_kept = ZS__DEFAULT_ERRORS;
	}
	zs_arena_init(&r->arena);
	r->errors = zs_calloc(r->opts.max_errors_kept, sizeof(*r->errors));
	r->stats.first_errors = r->errors;
	r->opts.origin = NULL; /* the caller's string is not kept */
	zs__deleg_init(&r->deleg);
	return r;
}

int zs__zone_error(struct zs_zone_reader *r, const char *file, unsigned long line, const char *fmt,
                   ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->stats.errors++;
	if (r->stats.errors_kept < r->opts.max_errors_kept) {
		struct zs_zone_error *e = &r->errors[r->stats.errors_kept++];
		e->file = zs_arena_strdup(&r->arena, file != NULL ? file : "-");
		e->line = line;
		e->msg = zs_arena_strdup(&r->arena, msg);
		if (!r->opts.quiet) {
			zs_log_warn(ZS_LOG_ZONE, "%s:%lu: %s", e->file, line, msg);
		}
	}
	return r->opts.strict ? ZS_ERR_PARSE : 0;
}

char *zs__zone_base_dir(const char *path)
{
	char *dir = NULL;
	if (strcmp(path, "-") != 0) {
		char *real = realpath(path, NULL);
		if (real != NULL) {
			dir = zs_strdup(dirname(real));
			free(real);
		}
	}
	return dir;
}

int zs__zone_include_path(struct zs_zone_reader *r, const char *base_dir, const char *arg,
                          char **out, const char **why)
{
	char *joined = NULL;
	char *real = NULL;
	size_t blen;

	if (!r->opts.allow_include) {
		*why = "includes are not allowed (--allow-include)";
		return ZS_ERR_REFUSED;
	}
	if (base_dir == NULL) {
		*why = "no directory to include from (stdin or transfer)";
		return ZS_ERR_REFUSED;
	}
	/* No ".." component, whatever the file system says. */
	for (const char *p = arg; *p != '\0';) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "a path with .. is not allowed";
			return ZS_ERR_REFUSED;
		}
		p += n;
		if (*p == '/') {
			p++;
		}
	}
	if (arg[0] == '/') {
		joined = zs_strdup(arg);
	} else {
		size_t n = strlen(base_dir) + strlen(arg) + 2;
		joined = zs_malloc(n);
		(void)snprintf(joined, n, "%s/%s", base_dir, arg);
	}
	real = realpath(joined, NULL);
	zs_free(joined);
	if (real == NULL) {
		*why = "file not found";
		return ZS_ERR_REFUSED;
	}
	/* Symbolic links must not lead out of the zone's directory either. */
	blen = strlen(base_dir);
	if (strncmp(real, base_dir, blen) != 0 || (real[blen] != '/' && blen != 1)) {
		free(real);
		*why = "outside the zone file's directory";
		return ZS_ERR_REFUSED;
	}
	struct stat st;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(real);
		*why = "not a regular file";
		return ZS_ERR_REFUSED;
	}
	if (r->includes == ZS__INCLUDE_FILES) {
		free(real);
		*why = "more $INCLUDEs than a zone may read (" ZS__STR(ZS__INCLUDE_FILES) ")";
		return ZS_ERR_REFUSED;
	}
	if ((uint64_t)st.st_size > ZS__INCLUDE_BYTES - r->include_bytes) {
		free(real);
		*why = "the included files would exceed 4 GiB";
		return ZS_ERR_REFUSED;
	}
	r->includes++;
	r->include_bytes += (uint64_t)st.st_size;
	*out = zs_strdup(real);
	free(real);
	return 0;
}

static int parse_origin(const char *text, uint8_t *wire)
{
	ldns_rdf *rdf = NULL;
	size_t n = strlen(text);
	char *abs = zs_malloc(n + 2);
	int ret = ZS_ERR_PARSE;

	memcpy(abs, text, n + 1);
	if (n == 0 || text[n - 1] != '.' || (n >= 2 && text[n - 2] == '\\')) {
		abs[n] = '.';
		abs[n + 1] = '\0';
	}
	if (ldns_str2rdf_dname(&rdf, abs) == LDNS_STATUS_OK && ldns_rdf_size(rdf) <= ZS__NAME_MAX) {
		memcpy(wire, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
		zs__name_lower(wire);
		ret = 0;
	}
	ldns_rdf_deep_free(rdf);
	zs_free(abs);
	return ret;
}

int zs__zone_reader_set_origin(struct zs_zone_reader *r, const char *origin)
{
	uint8_t apex[ZS__NAME_MAX];
	int ret = parse_origin(origin, apex);
	if (ret == 0) {
		zs__deleg_set_apex(&r->deleg, apex);
	}
	return ret;
}

int zs_zone_reader_open(const char *path, const struct zs_zone_opts *opts,
                        struct zs_zone_reader **out)
{
	struct zs_zone_reader *r = zs__zone_reader_new(opts);
	int ret;

	if (opts != NULL && opts->origin != NULL) {
		ret = zs__zone_reader_set_origin(r, opts->origin);
		if (ret != 0) {
			goto fail;
		}
	}
	switch (r->opts.engine) {
	case ZS_ZONE_ENGINE_LDNS:
		ret = zs__ldns_src_open(r, path, &r->src);
		break;
	case ZS_ZONE_ENGINE_FAST:
	default:
		ret = zs__fast_src_open(r, path, &r->src);
		break;
	}
	if (ret != 0) {
		goto fail;
	}
	*out = r;
	return 0;
fail:
	zs_zone_reader_close(r);
	return ret;
}

int zs_zone_reader_next(struct zs_zone_reader *r, const struct zs_delegation **out)
{
	ZS_REQUIRE(r != NULL && out != NULL);
	if (r->sticky != 0) {
		return r->sticky;
	}
	if (r->at_eof) {
		return ZS_ERR_EOF;
	}
	for (;;) {
		struct zs__zone_rr rr;
		const struct zs_delegation *d = NULL;
		int ret = r->src->next(r->src, &rr);
		if (ret == ZS_ERR_EOF) {
			r->at_eof = true;
			r->stats.complete = true;
			if (zs__deleg_finish(r, &d)) {
				*out = d;
				return 0;
			}
			return ZS_ERR_EOF;
		}
		if (ret == 0) {
			ret = zs__deleg_add(r, &rr, &d);
		}
		if (ret != 0) {
			r->sticky = ret;
			return ret;
		}
		if (d != NULL) {
			*out = d;
			return 0;
		}
	}
}

const struct zs_zone_stats *zs_zone_reader_stats(const struct zs_zone_reader *r)
{
	return &r->stats;
}

int zs_zone_survey(const char *path, const struct zs_zone_opts *opts, struct zs_zone_stats *out,
                   char *first_error, size_t first_error_len)
{
	struct zs_zone_opts o = *opts;
	struct zs_zone_reader *r = NULL;
	const struct zs_delegation *d = NULL;

	o.quiet = true;
	o.max_errors_kept = 1;
	memset(out, 0, sizeof(*out));
	(void)snprintf(first_error, first_error_len, "%s", "");
	int ret = zs_zone_reader_open(path, &o, &r);
	if (ret != 0) {
		return ret;
	}
	while ((ret = zs_zone_reader_next(r, &d)) == 0) {
	}
	*out = r->stats;
	out->first_errors = NULL;
	out->errors_kept = 0;
	if (r->stats.errors_kept > 0) {
		(void)snprintf(first_error, first_error_len, "%s:%lu: %s", r->errors[0].file,
		               r->errors[0].line, r->errors[0].msg);
	}
	zs_zone_reader_close(r);
	return ret == ZS_ERR_EOF ? 0 : ret;
}

void zs_zone_reader_close(struct zs_zone_reader *r)
{
	if (r == NULL) {
		return;
	}
	if (r->src != NULL) {
		r->src->close(r->src);
	}
	zs__deleg_deinit(&r->deleg);
	zs_arena_deinit(&r->arena);
	zs_free(r->errors);
	zs_free(r);
}

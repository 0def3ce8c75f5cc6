/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the zoneio tests: render what a reader yields as text (one line per
 * delegation, then the figures of the run), so that golden files and the differential test
 * compare whole zones at once, and read a file into memory.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "zoneio/reader.h"

#define ZS_TEST_RENDER_MAX (64u * 1024 * 1024)

/** Options read from a ";! ..." first line of a test zone. */
struct zs_test_case_opts {
	struct zs_zone_opts opts;
	char origin[256];
	int fast_only;
};

static inline void zs_test_case_opts_read(const char *path, struct zs_test_case_opts *c)
{
	char line[512];
	FILE *f = fopen(path, "r");
	memset(c, 0, sizeof(*c));
	if (f == NULL) {
		return;
	}
	if (fgets(line, sizeof(line), f) != NULL && strncmp(line, ";!", 2) == 0) {
		for (char *w = line + 2; *w != '\0';) {
			size_t n = strcspn(w, " \t\n");
			char word[256];
			(void)snprintf(word, sizeof(word), "%.*s", (int)n, w);
			if (strncmp(word, "origin=", 7) == 0) {
				(void)snprintf(c->origin, sizeof(c->origin), "%s", word + 7);
				c->opts.origin = c->origin;
			} else if (strcmp(word, "strict") == 0) {
				c->opts.strict = true;
			} else if (strcmp(word, "include") == 0) {
				c->opts.allow_include = true;
			} else if (strcmp(word, "fast-only") == 0) {
				c->fast_only = 1;
			}
			w += n;
			w += strspn(w, " \t\n");
		}
	}
	(void)fclose(f);
}

/**
 * Read a whole zone and render it. error-line lines are written only when @p lines is set.
 * @return the text (zs_free), *ret_out the status that ended the reading
 */
static inline char *zs_test_render(const char *path, const struct zs_zone_opts *opts, int lines,
                                   int *ret_out)
{
	struct zs_buf b;
	struct zs_zone_reader *r = NULL;
	const struct zs_delegation *d = NULL;
	int ret;

	zs_buf_init(&b, ZS_TEST_RENDER_MAX);
	ret = zs_zone_reader_open(path, opts, &r);
	if (ret != 0) {
		(void)zs_buf_printf(&b, "open %s\n", zs_err_name(ret));
		*ret_out = ret;
		return zs_buf_steal(&b);
	}
	for (ret = zs_zone_reader_next(r, &d); ret == 0; ret = zs_zone_reader_next(r, &d)) {
		(void)zs_buf_puts(&b, d->name);
		for (size_t i = 0; i < d->ns_count; i++) {
			(void)zs_buf_printf(&b, "%s%s", i == 0 ? " ns=" : ",", d->ns[i]);
		}
		for (size_t i = 0; i < d->ds_count; i++) {
			(void)zs_buf_printf(&b, "%s%u/%u/%u", i == 0 ? " ds=" : ",",
			                    (unsigned)d->ds[i].keytag, (unsigned)d->ds[i].algorithm,
			                    (unsigned)d->ds[i].digest_type);
		}
		for (size_t i = 0; i < d->glue_count; i++) {
			(void)zs_buf_printf(&b, "%s%s/%s", i == 0 ? " glue=" : ",", d->glue_ns[i],
			                    d->glue[i]);
		}
		(void)zs_buf_putc(&b, '\n');
	}
	const struct zs_zone_stats *st = zs_zone_reader_stats(r);
	if (ret != ZS_ERR_EOF) {
		(void)zs_buf_printf(&b, "end %s\n", zs_err_name(ret));
	}
	if (st->has_serial) {
		(void)zs_buf_printf(&b, "serial %u\n", (unsigned)st->serial);
	}
	(void)zs_buf_printf(&b, "records %llu\nerrors %llu\n", (unsigned long long)st->records,
	                    (unsigned long long)st->errors);
	for (size_t i = 0; lines && i < st->errors_kept; i++) {
		(void)zs_buf_printf(&b, "error-line %lu\n", st->first_errors[i].line);
	}
	(void)zs_buf_printf(&b, "late %llu\nout-of-zone %llu\n",
	                    (unsigned long long)st->late_records,
	                    (unsigned long long)st->out_of_zone);
	(void)zs_buf_printf(&b, "complete %d\n", st->complete ? 1 : 0);
	zs_zone_reader_close(r);
	*ret_out = ret;
	return zs_buf_steal(&b);
}

/** Read a file. @return its content, NUL-terminated (zs_free), or NULL */
static inline char *zs_test_slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	struct zs_buf b;
	char chunk[65536];
	size_t n;
	if (f == NULL) {
		return NULL;
	}
	zs_buf_init(&b, ZS_TEST_RENDER_MAX * 4);
	for (n = fread(chunk, 1, sizeof(chunk), f); n > 0; n = fread(chunk, 1, sizeof(chunk), f)) {
		if (zs_buf_append(&b, chunk, n) != 0) {
			break;
		}
	}
	(void)fclose(f);
	if (len_out != NULL) {
		*len_out = b.len;
	}
	return zs_buf_steal(&b);
}

/** Drop the lines starting with @p prefix from a text, in place. */
static inline void zs_test_drop_lines(char *text, const char *prefix)
{
	char *out = text;
	size_t plen = strlen(prefix);
	for (char *p = text; *p != '\0';) {
		char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, prefix, plen) != 0) {
			memmove(out, p, n);
			out += n;
		}
		p += n;
	}
	*out = '\0';
}

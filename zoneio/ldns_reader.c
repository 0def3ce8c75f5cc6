/* SPDX-License-Identifier: MIT */
/*
 * The reference master-file parser: ldns reads each logical line (ldns_fget_token_l_st() joins
 * parenthesised lines and drops comments) and parses it with ldns_rr_new_frm_str(), exactly what
 * ldns_rr_new_frm_fp_l() does inside. We take the line ourselves only to see the directives:
 * ldns does not implement $INCLUDE, and $ORIGIN and $TTL must be undone when an included file
 * ends (RFC 1035 section 5.1). It is slow (ldns builds a full ldns_rr per record) but independent
 * of the fast tokenizer, which the differential test compares with it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "zoneio/reader_int.h"

#define LINE_MAX_BYTES 65536

struct frame {
	struct zs__input *in;
	FILE *fp;
	char *path;
	int line;
	ldns_rdf *saved_origin; /**< the includer's origin, restored when this file ends */
	ldns_rdf *saved_prev;
};

struct ldns_src {
	struct zs__zone_src base;
	struct zs_zone_reader *r;
	struct frame frames[ZS__INCLUDE_DEPTH + 1];
	int depth; /**< frames in use */
	char *base_dir;
	ldns_rdf *origin;
	ldns_rdf *prev;
	uint32_t ttl;
	uint64_t done_bytes; /**< bytes of the files already finished */
	struct zs__rr_bufs names;
	char line[LINE_MAX_BYTES]; /**< one logical line, bounded */
};

static int push_file(struct ldns_src *s, const char *path)
{
	struct frame *f = &s->frames[s->depth];
	int ret = zs__input_open(path, s->r->opts.verify_gzip, &f->in);
	if (ret != 0) {
		return ret;
	}
	f->fp = zs__input_file(f->in);
	f->path = zs_strdup(path);
	f->line = 1;
	f->saved_origin = NULL;
	f->saved_prev = NULL;
	s->depth++;
	return 0;
}

static void pop_file(struct ldns_src *s)
{
	struct frame *f = &s->frames[--s->depth];
	s->done_bytes += zs__input_bytes(f->in);
	zs__input_close(f->in);
	zs_free(f->path);
	if (s->depth > 0) {
		ldns_rdf_deep_free(s->origin);
		ldns_rdf_deep_free(s->prev);
		s->origin = f->saved_origin;
		s->prev = f->saved_prev;
	}
	memset(f, 0, sizeof(*f));
}

static void copy_name(uint8_t *dst, const ldns_rdf *rdf)
{
	size_t n = ldns_rdf_size(rdf);
	if (n > ZS__NAME_MAX) {
		n = ZS__NAME_MAX;
	}
	memcpy(dst, ldns_rdf_data(rdf), n);
	zs__name_lower(dst);
}

/* Split a directive line into at most three words (comments are already gone). */
static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;
	while (*p != '\0' && n < max) {
		while (isspace((unsigned char)*p)) {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		w[n++] = p;
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			p++;
		}
		if (*p != '\0') {
			*p++ = '\0';
		}
	}
	while (isspace((unsigned char)*p)) {
		p++;
	}
	return *p == '\0' ? n : -1;
}

/* A name given to $ORIGIN or $INCLUDE, made absolute against the current origin. */
static ldns_rdf *directive_name(struct ldns_src *s, const char *text)
{
	ldns_rdf *name = NULL;
	if (ldns_str2rdf_dname(&name, text) != LDNS_STATUS_OK) {
		return NULL;
	}
	if (!ldns_dname_str_absolute(text)) {
		if (s->origin == NULL || ldns_dname_cat(name, s->origin) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(name);
			return NULL;
		}
	}
	return name;
}

static int do_include(struct ldns_src *s, struct frame *f, int line, char **w, int n)
{
	struct zs_zone_reader *r = s->r;
	char *path = NULL;
	const char *why = NULL;
	ldns_rdf *origin = NULL;
	int ret;

	if (n < 2 || n > 3) {
		return zs__zone_error(r, f->path, (unsigned long)line,
		                      "$INCLUDE needs a file name");
	}
	if (zs__zone_include_path(r, s->base_dir, w[1], &path, &why) != 0) {
		return zs__zone_error(r, f->path, (unsigned long)line, "$INCLUDE %s refused: %s",
		                      w[1], why);
	}
	if (s->depth > ZS__INCLUDE_DEPTH) {
		zs_free(path);
		return zs__zone_error(r, f->path, (unsigned long)line,
		                      "$INCLUDE nested deeper than %d", ZS__INCLUDE_DEPTH);
	}
	if (n == 3) {
		origin = directive_name(s, w[2]);
		if (origin == NULL) {
			zs_free(path);
			return zs__zone_error(r, f->path, (unsigned long)line,
			                      "$INCLUDE origin %s is not a domain name", w[2]);
		}
	}
	ret = push_file(s, path);
	if (ret != 0) {
		ldns_rdf_deep_free(origin);
		ret = zs__zone_error(r, f->path, (unsigned long)line, "$INCLUDE %s: %s", w[1],
		                     zs_err_str(ret));
		zs_free(path);
		return ret;
	}
	zs_free(path);
	struct frame *inc = &s->frames[s->depth - 1];
	inc->saved_origin = s->origin;
	inc->saved_prev = s->prev;
	s->origin = origin != NULL ? origin : (s->origin ? ldns_rdf_clone(s->origin) : NULL);
	s->prev = NULL;
	return 0;
}

static int do_directive(struct ldns_src *s, struct frame *f, char *line, int lineno)
{
	struct zs_zone_reader *r = s->r;
	char *w[3];
	int n = split_words(line, w, 3);

	if (n >= 1 && strcmp(w[0], "$INCLUDE") == 0) {
		return do_include(s, f, lineno, w, n);
	}
	if (n == 2 && strcmp(w[0], "$ORIGIN") == 0) {
		ldns_rdf *origin = directive_name(s, w[1]);
		if (origin == NULL) {
			return zs__zone_error(r, f->path, (unsigned long)lineno,
			                      "$ORIGIN %s is not an absolute domain name", w[1]);
		}
		ldns_rdf_deep_free(s->origin);
		s->origin = origin;
		return 0;
	}
	if (n == 2 && strcmp(w[0], "$TTL") == 0) {
		const char *end = NULL;
		uint32_t ttl = ldns_str2period(w[1], &end);
		if (end == NULL || *end != '\0' || end == w[1]) {
			return zs__zone_error(r, f->path, (unsigned long)lineno, "bad $TTL %s",
			                      w[1]);
		}
		s->ttl = ttl;
		return 0;
	}
	return zs__zone_error(r, f->path, (unsigned long)lineno,
	                      "unknown or malformed directive %s", n >= 1 ? w[0] : line);
}

void zs__ldns_convert(const ldns_rr *rr, const ldns_rdf *origin, struct zs__rr_bufs *b,
                      struct zs__zone_rr *out)
{
	memset(out, 0, sizeof(*out));
	copy_name(b->owner, ldns_rr_owner(rr));
	out->owner = b->owner;
	if (origin != NULL) {
		copy_name(b->origin, origin);
		out->origin = b->origin;
	}
	out->type = (uint16_t)ldns_rr_get_type(rr);
	out->rclass = (uint16_t)ldns_rr_get_class(rr);
	const ldns_rdf *f0 = ldns_rr_rd_count(rr) > 0 ? ldns_rr_rdf(rr, 0) : NULL;
	switch (out->type) {
	case ZS__RR_NS:
		if (f0 != NULL && ldns_rdf_get_type(f0) == LDNS_RDF_TYPE_DNAME) {
			copy_name(b->target, f0);
			out->u.ns = b->target;
		} else {
			out->type = 0;
		}
		break;
	case ZS__RR_A:
		if (f0 != NULL && ldns_rdf_size(f0) == 4) {
			memcpy(out->u.a, ldns_rdf_data(f0), 4);
		} else {
			out->type = 0;
		}
		break;
	case ZS__RR_AAAA:
		if (f0 != NULL && ldns_rdf_size(f0) == 16) {
			memcpy(out->u.aaaa, ldns_rdf_data(f0), 16);
		} else {
			out->type = 0;
		}
		break;
	case ZS__RR_DS:
		if (ldns_rr_rd_count(rr) >= 3 && ldns_rdf_size(f0) == 2 &&
		    ldns_rdf_size(ldns_rr_rdf(rr, 1)) == 1 &&
		    ldns_rdf_size(ldns_rr_rdf(rr, 2)) == 1) {
			out->u.ds.keytag = ldns_rdf2native_int16(f0);
			out->u.ds.algorithm = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
			out->u.ds.digest_type = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		} else {
			out->type = 0;
		}
		break;
	case ZS__RR_SOA:
		if (ldns_rr_rd_count(rr) >= 3 && ldns_rdf_size(ldns_rr_rdf(rr, 2)) == 4) {
			out->u.serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
		} else {
			out->type = 0;
		}
		break;
	default:
		break;
	}
}

static int ldns_src_next(struct zs__zone_src *base, struct zs__zone_rr *out)
{
	struct ldns_src *s = (struct ldns_src *)base;
	struct zs_zone_reader *r = s->r;
	char *line = s->line;
	int ret;

	for (;;) {
		struct frame *f = &s->frames[s->depth - 1];
		size_t limit = LINE_MAX_BYTES;
		ldns_status st = ldns_fget_token_l_st(f->fp, &line, &limit, true,
		                                      LDNS_PARSE_SKIP_SPACE, &f->line);
		int lineno = f->line > 1 ? f->line - 1 : 1;
		r->stats.bytes = s->done_bytes;
		for (int i = 0; i < s->depth; i++) {
			r->stats.bytes += zs__input_bytes(s->frames[i].in);
		}
		if (st == LDNS_STATUS_SYNTAX_EMPTY && (feof(f->fp) || ferror(f->fp))) {
			ret = zs__input_error(f->in);
			if (ret != 0) {
				(void)zs__zone_error(r, f->path, (unsigned long)lineno, "%s",
				                     zs_err_str(ret));
				goto done;
			}
			if (s->depth == 1) {
				ret = ZS_ERR_EOF;
				goto done;
			}
			pop_file(s);
			continue;
		}
		if (st == LDNS_STATUS_SYNTAX_EMPTY) {
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			ret = zs__zone_error(r, f->path, (unsigned long)lineno, "%s",
			                     ldns_get_errorstr_by_id(st));
			if (ret != 0) {
				goto done;
			}
			continue;
		}
		if (line[0] == '$') {
			ret = do_directive(s, f, line, lineno);
			if (ret != 0) {
				goto done;
			}
			continue;
		}
		ldns_rr *rr = NULL;
		st = ldns_rr_new_frm_str(&rr, line, s->ttl, s->origin, &s->prev);
		if (st != LDNS_STATUS_OK) {
			ret = zs__zone_error(r, f->path, (unsigned long)lineno, "%s",
			                     ldns_get_errorstr_by_id(st));
			if (ret != 0) {
				goto done;
			}
			continue;
		}
		zs__ldns_convert(rr, s->origin, &s->names, out);
		out->file = f->path;
		out->line = (unsigned long)lineno;
		ldns_rr_free(rr);
		ret = 0;
		goto done;
	}
done:
	return ret;
}

static void ldns_src_close(struct zs__zone_src *base)
{
	struct ldns_src *s = (struct ldns_src *)base;
	while (s->depth > 0) {
		pop_file(s);
	}
	ldns_rdf_deep_free(s->origin);
	ldns_rdf_deep_free(s->prev);
	zs_free(s->base_dir);
	zs_free(s);
}

int zs__ldns_src_open(struct zs_zone_reader *r, const char *path, struct zs__zone_src **out)
{
	struct ldns_src *s = zs_calloc(1, sizeof(*s));
	int ret;

	s->base.next = ldns_src_next;
	s->base.close = ldns_src_close;
	s->r = r;
	s->ttl = 3600;
	if (r->deleg.has_apex) {
		s->origin = ldns_dname_new_frm_data((uint16_t)zs__name_len(r->deleg.apex),
		                                    r->deleg.apex);
	}
	s->base_dir = zs__zone_base_dir(path);
	ret = push_file(s, path);
	if (ret != 0) {
		goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	ldns_src_close(&s->base);
	return ret;
}

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

/*
 * ldns reads through stdio, and its tokenizer drops a NUL byte without a word ("b\0c" becomes
 * "bc"), where the fast tokenizer rejects the record. So the stream under ldns notes the line of
 * every NUL byte it hands over, and a record on such a line is refused here.
 */
struct nul_lines {
	unsigned long read_line; /**< line of the next byte handed to stdio */
	unsigned long *line;     /**< lines holding a NUL byte, not yet passed by the parser */
	size_t head, count, cap;
};

struct frame {
	struct zs__input *in;
	FILE *fp;
	char *path;
	int line;
	ldns_rdf *saved_origin; /**< the includer's origin, restored when this file ends */
	ldns_rdf *saved_prev;
	struct nul_lines nul;
};

static void nul_note(struct nul_lines *n, unsigned long line)
{
	if (n->count > 0 && n->line[n->head + n->count - 1] == line) {
		return;
	}
	if (n->head + n->count == n->cap) {
		if (n->head > 0) {
			memmove(n->line, n->line + n->head, n->count * sizeof(*n->line));
			n->head = 0;
		}
		if (n->count == n->cap) {
			n->cap = n->cap == 0 ? 16 : n->cap * 2;
			n->line = zs_realloc(n->line, n->cap * sizeof(*n->line));
		}
	}
	n->line[n->head + n->count++] = line;
}

/* The first line in [from, to] that holds a NUL byte, or 0; lines before @p from are passed. */
static unsigned long nul_take(struct nul_lines *n, unsigned long from, unsigned long to)
{
	unsigned long found = 0;
	while (n->count > 0 && n->line[n->head] <= to) {
		if (found == 0 && n->line[n->head] >= from) {
			found = n->line[n->head];
		}
		n->head++;
		n->count--;
	}
	return found;
}

static ssize_t frame_read(void *cookie, char *buf, size_t size)
{
	struct frame *f = cookie;
	ssize_t got = zs__input_read(f->in, buf, size);
	for (ssize_t i = 0; i < got; i++) {
		if (buf[i] == '\n') {
			f->nul.read_line++;
		} else if (buf[i] == '\0') {
			nul_note(&f->nul, f->nul.read_line);
		}
	}
	return got < 0 ? -1 : got; /* the error stays in zs__input_error() */
}

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

/* @param flags  ZS__INPUT_REGULAR for a $INCLUDE */
static int push_file(struct ldns_src *s, const char *path, unsigned flags)
{
	struct frame *f = &s->frames[s->depth];
	int ret = zs__input_open(path, flags | (s->r->opts.verify_gzip ? ZS__INPUT_VERIFY : 0),
	                         &f->in);
	if (ret != 0) {
		return ret;
	}
	cookie_io_functions_t io = { .read = frame_read };
	f->fp = fopencookie(f, "r", io);
	ZS_REQUIRE(f->fp != NULL);
	f->nul.read_line = 1;
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
	(void)fclose(f->fp);
	zs__input_close(f->in);
	zs_free(f->nul.line);
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
	ret = push_file(s, path, ZS__INPUT_REGULAR);
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
		int first = f->line;
		ldns_status st = ldns_fget_token_l_st(f->fp, &line, &limit, true,
		                                      LDNS_PARSE_SKIP_SPACE, &f->line);
		int lineno = f->line > 1 ? f->line - 1 : 1;
		unsigned long nul = nul_take(&f->nul, (unsigned long)first, (unsigned long)lineno);
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
		if (st == LDNS_STATUS_OK && nul != 0) {
			ret = zs__zone_error(r, f->path, nul, "a NUL byte in the record");
			if (ret != 0) {
				goto done;
			}
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
	ret = push_file(s, path, 0);
	if (ret != 0) {
		goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	ldns_src_close(&s->base);
	return ret;
}

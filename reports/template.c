/* SPDX-License-Identifier: MIT */
/* Notice templates: parsed once into literal and placeholder segments, rendered per notice. */
#include "reports/template.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"

enum { TEMPLATE_MAX = 1024 * 1024 };

struct segment {
	const char *text; /**< literal text, or NULL for a placeholder */
	size_t len;
	size_t value; /**< placeholder: index into the values */
};

struct zs_template {
	struct zs_arena arena;
	struct segment *seg;
	size_t count;
	size_t cap;
};

static void add(struct zs_template *t, const char *text, size_t len, size_t value)
{
	if (text != NULL && len == 0) {
		return;
	}
	if (t->count == t->cap) {
		size_t cap = t->cap == 0 ? 16 : t->cap * 2;
		struct segment *s = zs_arena_calloc(&t->arena, cap, sizeof(*s));
		if (t->count > 0) {
			memcpy(s, t->seg, t->count * sizeof(*s));
		}
		t->seg = s;
		t->cap = cap;
	}
	t->seg[t->count++] = (struct segment){ .text = text, .len = len, .value = value };
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* One line (with its newline, if any); placeholders must not span lines. */
static int parse_line(struct zs_template *t, const char *line, size_t len, const char *origin,
                      unsigned lineno, const char *const *names, size_t nnames, struct zs_buf *errs)
{
	size_t start = 0;
	int ret = 0;

	for (size_t i = 0; i + 1 < len; i++) {
		if (line[i] != '{' || line[i + 1] != '{') {
			continue;
		}
		size_t n = 0;
		while (i + 2 + n < len && name_char(line[i + 2 + n])) {
			n++;
		}
		if (i + 3 + n >= len || line[i + 2 + n] != '}' || line[i + 3 + n] != '}' ||
		    n == 0) {
			if (errs != NULL) {
				(void)zs_buf_printf(errs, "%s:%u: '{{' opens no {{placeholder}}\n",
				                    origin, lineno);
			}
			ret = ZS_ERR_PARSE;
			break;
		}
		size_t k = 0;
		while (k < nnames &&
		       (strlen(names[k]) != n || strncmp(names[k], line + i + 2, n) != 0)) {
			k++;
		}
		if (k == nnames) {
			if (errs != NULL) {
				(void)zs_buf_printf(errs, "%s:%u: unknown placeholder {{%.*s}}\n",
				                    origin, lineno, (int)n, line + i + 2);
			}
			ret = ZS_ERR_PARSE;
			i += 3 + n;
			continue;
		}
		add(t, line + start, i - start, 0);
		add(t, NULL, 0, k);
		i += 3 + n;
		start = i + 1;
	}
	add(t, line + start, len - start, 0);
	return ret;
}

int zs_template_parse(const char *text, size_t len, const char *origin, const char *const *names,
                      size_t nnames, struct zs_template **out, struct zs_buf *errs)
{
	struct zs_template *t = zs_calloc(1, sizeof(*t));
	unsigned lineno = 0;
	int ret = 0;

	zs_arena_init(&t->arena);
	/* the segments point into the template's own copy of the text */
	char *copy = zs_arena_memdup(&t->arena, text, len + 1);
	copy[len] = '\0';
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(copy + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (copy + i)) + 1 : len - i;
		lineno++;
		if (n >= 2 && copy[i] == '#' && copy[i + 1] == '#') {
			i += n; /* a comment line */
			continue;
		}
		if (memchr(copy + i, '\0', n) != NULL ||
		    (memchr(copy + i, '\r', n) != NULL && !(n >= 2 && copy[i + n - 2] == '\r'))) {
			if (errs != NULL) {
				(void)zs_buf_printf(errs, "%s:%u: NUL or stray carriage return\n",
				                    origin, lineno);
			}
			ret = ZS_ERR_PARSE;
		}
		int r = parse_line(t, copy + i, n, origin, lineno, names, nnames, errs);
		ret = ret != 0 ? ret : r;
		i += n;
	}
	if (ret != 0) {
		zs_template_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

int zs_template_load(const char *dir, const char *name, const char *const *names, size_t nnames,
                     struct zs_template **out, struct zs_buf *errs)
{
	struct zs_buf text;
	char path[4096];
	int ret = 0;

	if (dir == NULL) {
		for (size_t i = 0; i < zs_notice_templates_count; i++) {
			const struct zs_embedded_file *f = &zs_notice_templates[i];
			if (strcmp(f->name, name) == 0) {
				snprintf(path, sizeof(path), "builtin:%s", name);
				return zs_template_parse(f->text, f->len, path, names, nnames, out,
				                         errs);
			}
		}
		return ZS_ERR_NOTFOUND;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		ret = -errno;
		if (errs != NULL) {
			(void)zs_buf_printf(errs, "%s: %s\n", path, strerror(errno));
		}
		return ret;
	}
	zs_buf_init(&text, TEMPLATE_MAX);
	char chunk[8192];
	size_t n = 0;
	while (ret == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		ret = zs_buf_append(&text, chunk, n);
	}
	if (ret == 0 && ferror(fp)) {
		ret = -EIO;
	}
	fclose(fp);
	if (ret == 0) {
		ret = zs_template_parse(text.data != NULL ? text.data : "", text.len, path, names,
		                        nnames, out, errs);
	} else if (errs != NULL) {
		(void)zs_buf_printf(errs, "%s: %s\n", path,
		                    ret == ZS_ERR_TOOBIG ? "larger than 1 MiB" : zs_err_str(ret));
	}
	zs_buf_deinit(&text);
	return ret;
}

int zs_template_render(const struct zs_template *t, const char *const *values, struct zs_buf *out)
{
	int ret = 0;
	for (size_t i = 0; i < t->count && ret == 0; i++) {
		const struct segment *s = &t->seg[i];
		if (s->text != NULL) {
			ret = zs_buf_append(out, s->text, s->len);
		} else if (values[s->value] != NULL) {
			ret = zs_buf_puts(out, values[s->value]);
		}
	}
	return ret;
}

void zs_template_free(struct zs_template *t)
{
	if (t == NULL) {
		return;
	}
	zs_arena_deinit(&t->arena);
	zs_free(t);
}

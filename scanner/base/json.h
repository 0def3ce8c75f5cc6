/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer onto a zs_buf. Commas and nesting are tracked by the writer, so
 * callers only say what comes next. Text that came from DNS goes through zs_json_data(), which
 * applies the data escaping of escape.h: the output is always valid UTF-8 without control
 * bytes or NUL (PostgreSQL's jsonb accepts it) and the original bytes can be recovered exactly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/buf.h"

enum { ZS_JSON_MAX_DEPTH = 32 };

struct zs_json {
	struct zs_buf *out;                /**< where the text goes; not owned */
	int depth;                         /**< open containers */
	bool has_items[ZS_JSON_MAX_DEPTH]; /**< whether a comma is due at each depth */
	bool after_key;                    /**< a key was written, its value is next */
	int err;                           /**< first error (ZS_ERR_TOOBIG), sticky */
};

/** Start writing JSON at the end of @p out. */
void zs_json_init(struct zs_json *j, struct zs_buf *out);
/** The first error met, or 0 when everything fit. */
int zs_json_error(const struct zs_json *j);

void zs_json_obj_begin(struct zs_json *j);
void zs_json_obj_end(struct zs_json *j);
void zs_json_arr_begin(struct zs_json *j);
void zs_json_arr_end(struct zs_json *j);
/** Write an object key (trusted text: JSON-escaped only). */
void zs_json_key(struct zs_json *j, const char *key);
/** Write trusted text as a string; NULL writes null. */
void zs_json_str(struct zs_json *j, const char *s);
/** Write untrusted bytes as a string, with the data escaping of escape.h; NULL writes null. */
void zs_json_data(struct zs_json *j, const void *p, size_t n);
void zs_json_int(struct zs_json *j, long long v);
void zs_json_double(struct zs_json *j, double v);
void zs_json_bool(struct zs_json *j, bool v);
void zs_json_null(struct zs_json *j);
/** Insert an already serialised JSON value verbatim. */
void zs_json_raw(struct zs_json *j, const char *json);

/* key + value in one call */
void zs_json_kstr(struct zs_json *j, const char *key, const char *s);
void zs_json_kdata(struct zs_json *j, const char *key, const void *p, size_t n);
void zs_json_kint(struct zs_json *j, const char *key, long long v);
void zs_json_kbool(struct zs_json *j, const char *key, bool v);
void zs_json_knull(struct zs_json *j, const char *key);

/* SPDX-License-Identifier: MIT */
/* Streaming JSON writer. */
#include "scanner/base/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/escape.h"

void zs_json_init(struct zs_json *j, struct zs_buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

int zs_json_error(const struct zs_json *j)
{
	return j->err;
}

static void put(struct zs_json *j, const char *s, size_t n)
{
	if (j->err == 0) {
		j->err = zs_buf_append(j->out, s, n);
	}
}

/* Called before every value and key: writes the comma a sibling needs. */
static void before_item(struct zs_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->has_items[j->depth - 1]) {
			put(j, ",", 1);
		}
		j->has_items[j->depth - 1] = true;
	}
}

/* Bytes a JSON string cannot hold as they are: controls, '"', '\\', DEL, and '<', '>', '&'
 * (escaped so that the JSON stays safe inside an HTML <script> block). */
static const bool json_special[256] = {
	[0x00 ... 0x1f] = true, ['"'] = true, ['\\'] = true, ['<'] = true,
	['>'] = true,           ['&'] = true, [0x7f] = true,
};

static void put_escape(struct zs_json *j, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
	switch (c) {
	case '"':
	case '\\':
		esc[1] = (char)c;
		put(j, esc, 2);
		return;
	case '\n':
		put(j, "\\n", 2);
		return;
	case '\t':
		put(j, "\\t", 2);
		return;
	case '\r':
		put(j, "\\r", 2);
		return;
	default:
		put(j, esc, sizeof(esc));
		return;
	}
}

/* JSON-escape text that is already valid UTF-8 without control bytes, or escape it first. */
static void put_string(struct zs_json *j, const char *s, size_t n)
{
	if (j->err == 0) {
		j->err = zs_buf_reserve(j->out, n + 2);
	}
	put(j, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (json_special[c]) {
			put(j, s + start, i - start);
			put_escape(j, c);
			start = i + 1;
		}
	}
	put(j, s + start, n - start);
	put(j, "\"", 1);
}

static void open_container(struct zs_json *j, const char *c)
{
	before_item(j);
	put(j, c, 1);
	if (j->depth >= ZS_JSON_MAX_DEPTH) {
		j->err = ZS_ERR_TOOBIG;
		return;
	}
	j->has_items[j->depth++] = false;
}

static void close_container(struct zs_json *j, const char *c)
{
	if (j->depth > 0) {
		j->depth--;
	}
	put(j, c, 1);
}

void zs_json_obj_begin(struct zs_json *j)
{
	open_container(j, "{");
}

void zs_json_obj_end(struct zs_json *j)
{
	close_container(j, "}");
}

void zs_json_arr_begin(struct zs_json *j)
{
	open_container(j, "[");
}

void zs_json_arr_end(struct zs_json *j)
{
	close_container(j, "]");
}

void zs_json_key(struct zs_json *j, const char *key)
{
	before_item(j);
	put_string(j, key, strlen(key));
	put(j, ":", 1);
	j->after_key = true;
}

void zs_json_str(struct zs_json *j, const char *s)
{
	if (s == NULL) {
		zs_json_null(j);
		return;
	}
	zs_json_data(j, s, strlen(s));
}

void zs_json_data(struct zs_json *j, const void *p, size_t n)
{
	if (p == NULL) {
		zs_json_null(j);
		return;
	}
	before_item(j);
	if (zs_data_is_plain(p, n)) {
		put_string(j, p, n);
		return;
	}
	struct zs_buf tmp;
	zs_buf_init(&tmp, j->out->max);
	int ret = zs_escape_data(&tmp, p, n);
	if (ret != 0 && j->err == 0) {
		j->err = ret;
	}
	put_string(j, zs_buf_cstr(&tmp), tmp.len);
	zs_buf_deinit(&tmp);
}

void zs_json_int(struct zs_json *j, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);
	before_item(j);
	put(j, num, (size_t)n);
}

void zs_json_double(struct zs_json *j, double v)
{
	char num[64];
	if (!isfinite(v)) {
		zs_json_null(j);
		return;
	}
	int n = snprintf(num, sizeof(num), "%.6g", v);
	before_item(j);
	put(j, num, (size_t)n);
}

void zs_json_bool(struct zs_json *j, bool v)
{
	before_item(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void zs_json_null(struct zs_json *j)
{
	before_item(j);
	put(j, "null", 4);
}

void zs_json_raw(struct zs_json *j, const char *json)
{
	before_item(j);
	put(j, json, strlen(json));
}

void zs_json_kstr(struct zs_json *j, const char *key, const char *s)
{
	zs_json_key(j, key);
	zs_json_str(j, s);
}

void zs_json_kdata(struct zs_json *j, const char *key, const void *p, size_t n)
{
	zs_json_key(j, key);
	zs_json_data(j, p, n);
}

void zs_json_kint(struct zs_json *j, const char *key, long long v)
{
	zs_json_key(j, key);
	zs_json_int(j, v);
}

void zs_json_kbool(struct zs_json *j, const char *key, bool v)
{
	zs_json_key(j, key);
	zs_json_bool(j, v);
}

void zs_json_knull(struct zs_json *j, const char *key)
{
	zs_json_key(j, key);
	zs_json_null(j);
}

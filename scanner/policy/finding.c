/* SPDX-License-Identifier: MIT */
/*
 * Findings lists: the code table, arena-grown lists with a hard cap (what does not fit is
 * counted and said, never dropped silently) and their JSON form.
 */
#include "scanner/policy/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"

static const char *const finding_names[] = {
#define XX(name, code, sev) code,
	ZS_FINDING_MAP(XX)
#undef XX
};

static const enum zs_severity finding_sevs[] = {
#define XX(name, code, sev) ZS_SEV_##sev,
	ZS_FINDING_MAP(XX)
#undef XX
};

const char *zs_finding_name(enum zs_finding_code code)
{
	return (unsigned)code < ZS_FIND_COUNT_ ? finding_names[code] : "invalid";
}

enum zs_severity zs_finding_severity(enum zs_finding_code code)
{
	return (unsigned)code < ZS_FIND_COUNT_ ? finding_sevs[code] : ZS_SEV_ERROR;
}

const char *zs_severity_name(enum zs_severity sev)
{
	switch (sev) {
	case ZS_SEV_INFO:
		return "info";
	case ZS_SEV_WARN:
		return "warn";
	case ZS_SEV_ERROR:
		return "error";
	}
	return "invalid";
}

int zs_finding_parse(const char *name, enum zs_finding_code *out)
{
	for (int i = 0; i < ZS_FIND_COUNT_; i++) {
		if (strcmp(name, finding_names[i]) == 0) {
			*out = (enum zs_finding_code)i;
			return 0;
		}
	}
	return ZS_ERR_NOTFOUND;
}

void zs_findings_add(struct zs_arena *arena, struct zs_findings *f, enum zs_finding_code code,
                     const char *fmt, ...)
{
	ZS_REQUIRE((unsigned)code < ZS_FIND_COUNT_);
	if (f->count == ZS_FINDINGS_MAX) {
		f->dropped++;
		return;
	}
	if (f->count == f->cap) {
		size_t cap = f->cap == 0 ? 4 : f->cap * 2;
		struct zs_finding *item = zs_arena_calloc(arena, cap, sizeof(*item));
		if (f->count > 0) {
			memcpy(item, f->item, f->count * sizeof(*item));
		}
		f->item = item;
		f->cap = cap;
	}

	/* formatted through a bounded buffer: a message is one line, never a whole record */
	struct zs_buf b;
	va_list ap;
	zs_buf_init(&b, 4096);
	va_start(ap, fmt);
	if (zs_buf_vprintf(&b, fmt, ap) != 0) {
		(void)zs_buf_puts(&b, "(message too long)");
	}
	va_end(ap);
	char *msg = zs_arena_strndup(arena, zs_buf_cstr(&b), b.len);
	zs_buf_deinit(&b);

	f->item[f->count].code = code;
	f->item[f->count].message = msg;
	f->count++;
}

const struct zs_finding *zs_findings_find(const struct zs_findings *f, enum zs_finding_code code)
{
	for (size_t i = 0; i < f->count; i++) {
		if (f->item[i].code == code) {
			return &f->item[i];
		}
	}
	return NULL;
}

bool zs_findings_has(const struct zs_findings *f, enum zs_finding_code code)
{
	return zs_findings_find(f, code) != NULL;
}

size_t zs_findings_count(const struct zs_findings *f, enum zs_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < f->count; i++) {
		if (zs_finding_severity(f->item[i].code) == sev) {
			n++;
		}
	}
	return n;
}

void zs_findings_json(struct zs_json *j, const struct zs_findings *f)
{
	zs_json_arr_begin(j);
	for (size_t i = 0; i < f->count; i++) {
		zs_json_obj_begin(j);
		zs_json_kstr(j, "code", zs_finding_name(f->item[i].code));
		zs_json_kstr(j, "severity", zs_severity_name(zs_finding_severity(f->item[i].code)));
		zs_json_kstr(j, "message", f->item[i].message);
		zs_json_obj_end(j);
	}
	if (f->dropped > 0) {
		zs_json_obj_begin(j);
		zs_json_kstr(j, "code", "findings.dropped");
		zs_json_kstr(j, "severity", "info");
		char msg[64];
		(void)snprintf(msg, sizeof(msg), "%zu more findings were not kept", f->dropped);
		zs_json_kstr(j, "message", msg);
		zs_json_kint(j, "count", (long long)f->dropped);
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
}

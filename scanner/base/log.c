/* SPDX-License-Identifier: MIT */
/*
 * A deliberately small logger: one line per message on stderr, prefixed with the program name
 * and level. Control bytes in the formatted text are escaped so that DNS data that reaches a
 * message can never move the cursor of an operator's terminal.
 */
#include "scanner/base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"

static enum zs_log_level log_level = ZS_LOG_LEVEL_INFO;
static bool log_debug[ZS_LOG_GROUP_COUNT_];
static bool status_line;

static const char *const group_names[ZS_LOG_GROUP_COUNT_] = {
	[ZS_LOG_MAIN] = "main",     [ZS_LOG_ZONE] = "zone", [ZS_LOG_DNS] = "dns",
	[ZS_LOG_POLICY] = "policy", [ZS_LOG_DB] = "db",     [ZS_LOG_REPORT] = "report",
};

static const char *const level_names[] = {
	[ZS_LOG_LEVEL_ERROR] = "error",
	[ZS_LOG_LEVEL_WARN] = "warning",
	[ZS_LOG_LEVEL_INFO] = "info",
	[ZS_LOG_LEVEL_DEBUG] = "debug",
};

void zs_log_set_level(enum zs_log_level level)
{
	log_level = level;
}

int zs_log_enable_debug(const char *list)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (int g = 0; g < ZS_LOG_GROUP_COUNT_; g++) {
			bool all = n == 3 && strncmp(p, "all", 3) == 0;
			if (all ||
			    (strlen(group_names[g]) == n && strncmp(p, group_names[g], n) == 0)) {
				log_debug[g] = true;
				found = true;
			}
		}
		if (!found) {
			return ZS_ERR_USAGE;
		}
		p += n;
		if (*p == ',') {
			p++;
		}
	}
	return 0;
}

void zs_log_set_status_line(bool active)
{
	status_line = active;
}

bool zs_log_enabled(enum zs_log_group group, enum zs_log_level level)
{
	if (level == ZS_LOG_LEVEL_DEBUG) {
		return log_debug[group] || log_level >= ZS_LOG_LEVEL_DEBUG;
	}
	return level <= log_level;
}

void zs_log_msg(enum zs_log_group group, enum zs_log_level level, const char *fmt, ...)
{
	char text[2048];
	char safe[sizeof(text) * 4];
	size_t o = 0;
	va_list ap;

	if (!zs_log_enabled(group, level)) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			o += (size_t)snprintf(safe + o, sizeof(safe) - o, "\\x%02x", *c);
		} else {
			safe[o++] = (char)*c;
		}
	}
	safe[o] = '\0';
	if (status_line) {
		fputs("\r\033[K", stderr);
	}
	if (level == ZS_LOG_LEVEL_INFO) {
		fprintf(stderr, "zonesweep: %s\n", safe);
	} else {
		fprintf(stderr, "zonesweep: %s: %s\n", level_names[level], safe);
	}
}

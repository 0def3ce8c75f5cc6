/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr by group and level. Messages start with their subject (a domain, a
 * file:line), are lower case, and carry no final period. Debug output is switched on per group.
 */
#pragma once

#include <stdbool.h>

enum zs_log_group {
	ZS_LOG_MAIN,
	ZS_LOG_ZONE,
	ZS_LOG_DNS,
	ZS_LOG_POLICY,
	ZS_LOG_DB,
	ZS_LOG_REPORT,
	ZS_LOG_GROUP_COUNT_
};

enum zs_log_level {
	ZS_LOG_LEVEL_ERROR,
	ZS_LOG_LEVEL_WARN,
	ZS_LOG_LEVEL_INFO,
	ZS_LOG_LEVEL_DEBUG,
};

/**
 * Set the most verbose level printed for every group (default ZS_LOG_LEVEL_INFO).
 * @param level  the level
 */
void zs_log_set_level(enum zs_log_level level);

/**
 * Turn debug messages on for the groups named in a comma-separated list ("dns,db" or "all").
 * @param list  group names
 * @return 0, or ZS_ERR_USAGE for an unknown name
 */
int zs_log_enable_debug(const char *list);

/**
 * Say that a status line (a progress line redrawn with "\r") is on the terminal: messages then
 * clear it first, so that they never land in its middle; the next redraw brings it back.
 */
void zs_log_set_status_line(bool active);

/**
 * Whether a message of this group and level would be printed.
 * @return true when it would
 */
bool zs_log_enabled(enum zs_log_group group, enum zs_log_level level);

/**
 * Print one message; use the zs_log_* macros instead.
 */
void zs_log_msg(enum zs_log_group group, enum zs_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define zs_log_error(group, ...) zs_log_msg((group), ZS_LOG_LEVEL_ERROR, __VA_ARGS__)
#define zs_log_warn(group, ...)  zs_log_msg((group), ZS_LOG_LEVEL_WARN, __VA_ARGS__)
#define zs_log_info(group, ...)  zs_log_msg((group), ZS_LOG_LEVEL_INFO, __VA_ARGS__)
#define zs_log_debug(group, ...)                                              \
	do {                                                                  \
		if (zs_log_enabled((group), ZS_LOG_LEVEL_DEBUG)) {            \
			zs_log_msg((group), ZS_LOG_LEVEL_DEBUG, __VA_ARGS__); \
		}                                                             \
	} while (0)

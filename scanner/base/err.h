/* SPDX-License-Identifier: MIT */
/*
 * Error codes of zonesweep. A status is an int: 0 is success, system errors are -errno and the
 * project's own codes count down from -1000. One X-macro table gives every code its enum
 * value, its name and its message, as libuv's UV_ERRNO_MAP does.
 */
#pragma once

#define ZS_ERR_MAP(XX)                                  \
	XX(PARSE, "syntax error")                       \
	XX(EOF, "end of input")                         \
	XX(TIMEOUT, "no answer before the deadline")    \
	XX(LIMIT, "a configured limit was reached")     \
	XX(TOOBIG, "value larger than allowed")         \
	XX(GZIP, "corrupt or truncated gzip stream")    \
	XX(DB, "database error")                        \
	XX(DBSCHEMA, "database schema needs migration") \
	XX(LOCKED, "another sweep holds the lock")      \
	XX(NOTFOUND, "not found")                       \
	XX(USAGE, "invalid usage")                      \
	XX(LOOP, "loop detected")                       \
	XX(DNS, "DNS error")                            \
	XX(INCOMPLETE, "input read incompletely")       \
	XX(INTERRUPTED, "interrupted")                  \
	XX(REFUSED, "refused by policy")                \
	XX(AGAIN, "try again")                          \
	XX(GZIP_STREAM,                                 \
	   "gzip from standard input or a pipe cannot be checked before the run: give the file name")

enum zs_err {
	ZS_ERR_BASE_ = -1000,
#define XX(name, msg) ZS_ERR_##name,
	ZS_ERR_MAP(XX)
#undef XX
	        ZS_ERR_LAST_
};

/**
 * The symbolic name of a status.
 * @param ret  0, a ZS_ERR_* code or -errno
 * @return a static string such as "ZS_ERR_PARSE", "ENOENT" or "OK"
 */
const char *zs_err_name(int ret);

/**
 * A one-line human message for a status.
 * @param ret  0, a ZS_ERR_* code or -errno
 * @return a static string (strerror() text for -errno)
 */
const char *zs_err_str(int ret);

/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the record modules of scanner/policy (DMARC, DKIM, MX, MTA-STS, TLS-RPT,
 * BIMI), not part of the library's API: the query log behind every discovery machine, DNS name
 * building, the one tag=value tokenizer that DMARC, DKIM and the SMTP TXT records all use, TXT
 * record selection that stays bounded on huge RRsets, URI checks, and quoting of untrusted
 * bytes for messages.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/policy/lookup.h"

struct zs_arena;
struct zs_json;

/* ---- query log ---- */

/**
 * Append a question to a log; it is handed out by the next zs__query_log_emit().
 * @param name  copied into @p a
 * @return the question, owned by the log (stable address)
 */
struct zs_query *zs__query_log_add(struct zs_arena *a, struct zs_query_log *log, uint16_t type,
                                   const char *name, int purpose, size_t index);

/**
 * Hand out up to @p max questions not handed out yet, in the order they were added.
 * @return how many were written into @p need
 */
size_t zs__query_log_emit(struct zs_query_log *log, struct zs_lookup *need, size_t max);

/**
 * Record the answer to a handed-out question: status, AD bit and CNAME chain (copied).
 * @return the question, or NULL when @p id is unknown, not handed out or already answered
 */
struct zs_query *zs__query_log_answer(struct zs_arena *a, struct zs_query_log *log, uint32_t id,
                                      const struct zs_answer *ans);

/** Whether every handed-out question has its answer. */
bool zs__query_log_idle(const struct zs_query_log *log);

/**
 * The step result for a machine that has nothing left to add: NEED_LOOKUP when questions were
 * emitted, WAIT when answers are outstanding, DONE otherwise.
 */
int zs__query_log_step(struct zs_query_log *log, struct zs_lookup *need, size_t max, size_t *n);

/**
 * The step function of every machine: hand out questions, and when none is left and every
 * answer is in, call @p finalize once (it sets nothing up for later questions).
 * @param finished  the machine's "finalized" flag
 */
int zs__machine_step(struct zs_query_log *log, struct zs_lookup *need, size_t max, size_t *n,
                     bool *finished, void (*finalize)(void *ctx), void *ctx);

/**
 * Define zs_<kind>_lookup_ops from zs_<kind>_step() and zs_<kind>_answer(), whose first
 * parameter is a struct zs_<kind>_ctx pointer.
 */
#define ZS__DEFINE_LOOKUP_OPS(kind)                                                          \
	static int kind##_ops_step(void *ctx, struct zs_lookup *need, size_t max, size_t *n) \
	{                                                                                    \
		return zs_##kind##_step(ctx, need, max, n);                                  \
	}                                                                                    \
	static int kind##_ops_answer(void *ctx, uint32_t id, const struct zs_answer *a)      \
	{                                                                                    \
		return zs_##kind##_answer(ctx, id, a);                                       \
	}                                                                                    \
	const struct zs_lookup_ops zs_##kind##_lookup_ops = { kind##_ops_step, kind##_ops_answer }

/** Write "key": [names...] as data strings, nothing when @p count is 0 and @p always false. */
void zs__names_json(struct zs_json *j, const char *key, const char *const *names, size_t count,
                    bool always);

/* ---- names ---- */

/** Longest name in presentation form without the final dot. */
enum { ZS__DNAME_MAX = 253 };

/**
 * Whether @p name (no final dot) can be asked: 1 to 253 bytes, labels of 1 to 63 bytes.
 */
bool zs__dname_valid(const char *name, size_t len);

/**
 * Join names with dots ("sel", "_domainkey", "example.com"), without checking the result.
 * @param count  2 to 8 parts
 * @param len  set to the length of the result
 * @return the name in @p a
 */
char *zs__dname_concat(struct zs_arena *a, const char *const *parts, size_t count, size_t *len);

/**
 * Build "prefix.domain".
 * @return the name in @p a, or NULL when it would not be a valid name
 */
const char *zs__dname_join(struct zs_arena *a, const char *prefix, const char *domain);

/** Number of labels of a name ("" has 0). */
size_t zs__dname_labels(const char *name);

/** The parent of a name (the text after the first dot), or NULL for a single label. */
const char *zs__dname_parent(const char *name);

/** The name made of the @p n rightmost labels of @p name (a suffix of it). */
const char *zs__dname_rightmost(const char *name, size_t n);

/**
 * Whether a name is a host name: labels of letters, digits and inner hyphens (RFC 952, 1123).
 */
bool zs__hostname_valid(const char *s, size_t n);

/** Whether @p name equals @p parent or lies below it. */
bool zs__dname_within(const char *name, const char *parent);

/** ASCII lower-case copy of @p n bytes, in @p a. */
char *zs__lower(struct zs_arena *a, const char *s, size_t n);

/* ---- text ---- */

/** Space or horizontal tab (RFC 5234 WSP). */
static inline bool zs__is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/**
 * Quote untrusted bytes for a finding message: data escaping of scanner/base/escape.h, at most
 * 60 bytes shown, longer input ends in "... (N bytes)" so nothing is cut without notice.
 * @return text in @p a
 */
const char *zs__quote(struct zs_arena *a, const void *p, size_t n);

/**
 * The next line of a configuration text (selector list, provider table), with its "#" comment,
 * surrounding whitespace and CR removed.
 * @param pos   where to read from; advanced past the line
 * @param line  the 1-based number of the line returned (counts every line, blank ones too)
 * @param[out] b, e  the content is text[b, e) (empty on a blank or comment line)
 * @return false when the text has no more lines
 */
bool zs__config_line(const char *text, size_t len, size_t *pos, size_t *line, size_t *b, size_t *e);

/**
 * Read a whole small file into @p a, NUL-terminated.
 * @param max  the largest size accepted
 * @return 0, ZS_ERR_TOOBIG or -errno
 */
int zs__read_file(struct zs_arena *a, const char *path, size_t max, char **out, size_t *len);

/** Whether @p n bytes equal the C string @p lit, ignoring ASCII case. */
bool zs__eq_nocase(const char *s, size_t n, const char *lit);

/** Whether @p n bytes equal the C string @p lit exactly. */
bool zs__eq(const char *s, size_t n, const char *lit);

/**
 * Parse a decimal number of 1 to 20 digits, nothing else.
 * @return false when it is not one or does not fit in 64 bits
 */
bool zs__parse_u64(const char *s, size_t n, uint64_t *out);

/* ---- lists inside a value ("a:b", "u1, u2") ---- */

/** Walks the items of a value separated by one byte, whitespace around each item dropped. */
struct zs__split {
	const char *s;
	size_t n;
	size_t pos;
	char sep;
	bool done;
};

/** Start walking @p n bytes split on @p sep. */
void zs__split_init(struct zs__split *it, const char *s, size_t n, char sep);

/**
 * The next item (which may be empty: "a::b" has three).
 * @return false at the end
 */
bool zs__split_next(struct zs__split *it, const char **item, size_t *len);

/** How many items zs__split_next() will give: the separators plus one. */
size_t zs__split_count(const char *s, size_t n, char sep);

/* ---- tag=value lists (RFC 6376 3.2, RFC 7489 6.4, RFC 8461 3.1, RFC 8460 3) ---- */

enum zs__tag_err {
	ZS__TAG_OK,
	ZS__TAG_EMPTY,     /**< nothing between two ";" */
	ZS__TAG_NO_EQUALS, /**< no "=" in the element */
	ZS__TAG_BAD_NAME,  /**< the name is not ALPHA *(ALPHA / DIGIT / "_") (or see EXT_NAMES) */
	ZS__TAG_BAD_VALUE, /**< a byte outside %x21-3A / %x3C-7E inside the value */
};

struct zs__tag {
	const char *name;
	size_t name_len;
	const char *value; /**< without surrounding whitespace; may be empty */
	size_t value_len;
	size_t pos; /**< offset of the element in the record */
	enum zs__tag_err err;
	size_t err_pos; /**< offset of the offending byte */
};

/** Most elements the tokenizer keeps; a longer list sets @a too_many. */
enum { ZS__TAGS_MAX = 256 };

/** Flags of zs__taglist_parse(). */
enum {
	ZS__TAGS_FWS = 1 << 0,       /**< CR and LF count as whitespace too (DKIM's FWS) */
	ZS__TAGS_EXT_NAMES = 1 << 1, /**< names may start with a digit and hold "-" and "." */
};

struct zs__taglist {
	struct zs__tag *tag;
	size_t count;
	bool leading_space;  /**< whitespace before the first element */
	bool trailing_space; /**< whitespace after the final ";" */
	bool trailing_sep;   /**< the list ends with ";" */
	bool too_many;       /**< more than ZS__TAGS_MAX elements; the rest were not read */
};

/**
 * Split a record into tag=value elements separated by ";". Whitespace around names, "=" and
 * values is dropped; problems are marked per element, never fatal.
 */
void zs__taglist_parse(struct zs_arena *a, const char *s, size_t n, unsigned flags,
                       struct zs__taglist *out);

/* ---- TXT RRsets ---- */

/** Records of one kind kept from an RRset; the rest are counted. */
enum { ZS__TXT_KEEP = 16 };

struct zs__txt_select {
	struct zs_txt *match; /**< records for which the predicate held, up to ZS__TXT_KEEP */
	size_t match_count;
	size_t match_total;   /**< all of them */
	struct zs_txt *other; /**< the other TXT records, up to ZS__TXT_KEEP */
	size_t other_count;
	size_t other_total;
};

/**
 * Join each TXT record of an answer and sort it by a predicate (e.g. "starts with v=DMARC1").
 * Records of other types in the answer are ignored.
 */
void zs__txt_select(struct zs_arena *a, const struct zs_answer *ans,
                    bool (*is_match)(const char *text, size_t len), struct zs__txt_select *out);

/** Write TXT records as a JSON array of data strings. */
void zs__txt_json(struct zs_json *j, const struct zs_txt *txt, size_t count);

/** Write "other_txt": [...] and "other_total": n, the TXT records a site ignored. */
void zs__other_txt_json(struct zs_json *j, const struct zs_txt *txt, size_t count, size_t total);

/** Write "findings": [...] and "queries": [...], the tail of every result object. */
struct zs_findings;
void zs__evidence_json(struct zs_json *j, const struct zs_findings *f,
                       const struct zs_query_log *log);

/* ---- URIs ---- */

/**
 * Whether @p n bytes are an absolute URI of RFC 3986 (scheme ":" rest, only URI characters,
 * well-formed percent escapes, no ",", "!" or whitespace).
 * @param[out] scheme_len  length of the scheme, when it is one
 */
bool zs__uri_valid(const char *s, size_t n, size_t *scheme_len);

/**
 * The domain of a "mailto:" URI's first address, lower case.
 * @return the domain in @p a, or NULL when the URI has no usable address
 */
const char *zs__mailto_domain(struct zs_arena *a, const char *s, size_t n);

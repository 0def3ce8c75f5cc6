/* SPDX-License-Identifier: MIT */
/*
 * A DNS world from a table, for the tests of the discovery machines: records per owner name,
 * CNAME chains followed as a resolver would, wildcards (RFC 4592: closest encloser, empty
 * non-terminals exist), NXDOMAIN versus NODATA, and forced failures (SERVFAIL, TIMEOUT) per
 * name and type. A driver runs any machine through its struct zs_lookup_ops, answering in a
 * chosen order, with each answer built in a scratch arena that is released right after the
 * answer call, so a machine that keeps a pointer into an answer is caught by ASan.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/base/mem.h"
#include "scanner/policy/lookup.h"

struct fake_zone;

/** An empty world; its memory lives in @p a. */
struct fake_zone *fake_zone_new(struct zs_arena *a);

/** A TXT record of one text, split into 255-byte character-strings. */
void fake_txt(struct fake_zone *z, const char *owner, const char *text);
/** A TXT record of arbitrary bytes (may hold NUL), split into 255-byte strings. */
void fake_txt_bytes(struct fake_zone *z, const char *owner, const void *p, size_t n);
/** A TXT record made of @p count given character-strings. */
void fake_txt_strings(struct fake_zone *z, const char *owner, const char *const *strs,
                      size_t count);
void fake_mx(struct fake_zone *z, const char *owner, uint16_t pref, const char *host);
void fake_a(struct fake_zone *z, const char *owner, const char *addr);
void fake_aaaa(struct fake_zone *z, const char *owner, const char *addr);
void fake_ptr(struct fake_zone *z, const char *owner, const char *target);
void fake_cname(struct fake_zone *z, const char *owner, const char *target);
/** Make @p owner exist with no record at all (every question for it gets NODATA). */
void fake_exists(struct fake_zone *z, const char *owner);
/** Every question for (owner, type) gets @p status; type 0 means every type. */
void fake_fail(struct fake_zone *z, const char *owner, uint16_t type, enum zs_dns_status status);

/**
 * Answer one question as a resolver would.
 * @param scratch  where the answer's records are built
 */
void fake_resolve(struct fake_zone *z, const struct zs_lookup *q, struct zs_arena *scratch,
                  struct zs_answer *out);

/** How the driver orders answers. */
enum fake_order {
	FAKE_FIFO,    /**< answer in the order asked */
	FAKE_REVERSE, /**< answer the newest outstanding question first */
};

/** What a drive did. */
struct fake_stats {
	size_t questions; /**< questions handed out */
	size_t steps;
	size_t max_outstanding;
};

/**
 * Run a machine to the end against the world.
 * @param window  the most questions asked for per step
 * @return 0, or -1 when the machine broke the contract (test failure message printed)
 */
int fake_drive(struct fake_zone *z, const struct zs_lookup_ops *ops, void *ctx, size_t window,
               enum fake_order order, struct fake_stats *stats);

/* SPDX-License-Identifier: MIT */
/*
 * A fake DNS for the SPF tests and the benchmark: a table of owner names and records that
 * answers questions with struct zs_answer, as the DNS engine would. It follows the rules of
 * the OpenSPF suite's zone data (shared/conformance/README.md section 1.3): SPF entries answer
 * TXT questions when a name has no TXT entry of its own (TXT synthesis), "TXT: NONE" marks a
 * name without TXT, TIMEOUT makes every type without records of its own time out, CNAME chains
 * are followed (a loop or a chain longer than 8 is ZS_DNS_CNAME_LOOP, as a resolver reports
 * it), names are compared without case and final dot, unknown names are NXDOMAIN.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/base/mem.h"
#include "scanner/policy/spf_eval.h"

struct zs_fakedns;

/** Counters of one resolution (zs_fakedns_resolve()). */
struct zs_fakedns_stats {
	unsigned steps;     /**< zs_spf_step() calls */
	unsigned queries;   /**< questions answered */
	unsigned max_batch; /**< most questions handed out by one step */
};

/** @return a new, empty fake DNS; never NULL */
struct zs_fakedns *zs_fakedns_new(void);
/** Free it and every record; NULL is a no-op. */
void zs_fakedns_free(struct zs_fakedns *fd);
/** Forget every name (a new scenario). */
void zs_fakedns_clear(struct zs_fakedns *fd);

/** Add an A or AAAA record from its text. @return 0 or ZS_ERR_PARSE */
int zs_fakedns_add_addr(struct zs_fakedns *fd, const char *owner, const char *addr);
/** Add an MX record; "" is the root (null MX). */
void zs_fakedns_add_mx(struct zs_fakedns *fd, const char *owner, uint16_t pref, const char *host);
/** Add a PTR or CNAME record (type ZS_RR_PTR or ZS_RR_CNAME). */
void zs_fakedns_add_name(struct zs_fakedns *fd, const char *owner, uint16_t type,
                         const char *target);
/**
 * Add a TXT or SPF (type 99) record made of @p n character-strings (copied; strings over 255
 * bytes are cut into several).
 */
void zs_fakedns_add_txt(struct zs_fakedns *fd, const char *owner, uint16_t type,
                        const char *const *str, const size_t *len, size_t n);
/** Add a one-string TXT or SPF record from a C string. */
void zs_fakedns_add_text(struct zs_fakedns *fd, const char *owner, uint16_t type, const char *text);
/** Mark the owner as having no TXT record ("TXT: NONE"): its SPF entries are not turned into TXT.
 */
void zs_fakedns_add_txt_none(struct zs_fakedns *fd, const char *owner);
/** Questions for types the owner has no records of time out. */
void zs_fakedns_add_timeout(struct zs_fakedns *fd, const char *owner);
/** Answer every question for the owner with this status (SERVFAIL, BADNAME...). */
void zs_fakedns_set_status(struct zs_fakedns *fd, const char *owner, enum zs_dns_status status);

/**
 * Answer one question.
 * @param a    receives the records of @p out
 * @param[out] out  the answer, pointing into @p a and into @p fd
 */
void zs_fakedns_query(const struct zs_fakedns *fd, const char *name, uint16_t type,
                      struct zs_arena *a, struct zs_answer *out);

/**
 * Drive an SPF context to the end, answering every question from @p fd.
 * @param reverse  answer each batch in reverse order, stepping after each answer
 * @param[out] st  may be NULL
 * @return 0, or ZS_ERR_LOOP when the context stalls or needs more than 10000 steps
 */
int zs_fakedns_resolve(const struct zs_fakedns *fd, struct zs_spf_ctx *ctx, bool reverse,
                       struct zs_fakedns_stats *st);

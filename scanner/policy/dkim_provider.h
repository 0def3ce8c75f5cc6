/* SPDX-License-Identifier: MIT */
/*
 * The mail services a domain's own records name, and the DKIM selectors each service publishes
 * its customers' keys at (policies/dkim-providers.txt, replaceable by the operator).
 *
 * Selectors are not published anywhere, but a domain says who sends its mail: its SPF record
 * includes the service's record (include:_spf.google.com), its MX hosts are the service's
 * (aspmx.l.google.com), and the selectors it already answered are often CNAMEs into the
 * service's zone (selector1-example-com._domainkey.example.onmicrosoft.com). Each service uses a
 * few fixed selectors (google, selector1/selector2, s1/s2), so a match names the selectors worth
 * asking at that domain, whatever the common list holds.
 *
 * File format: one provider per line, "#" starts a comment:
 *
 *   NAME selectors=SEL[,SEL...] [spf=SUFFIX,...] [mx=SUFFIX,...] [cname=SUFFIX,...]
 *
 * NAME is lower-case letters, digits and "-"; a SUFFIX matches a name equal to it or below it
 * (label by label, any case: "google.com" matches "aspmx.l.google.com", not "notgoogle.com").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct zs_arena;

/** Where a provider's name was seen. */
enum zs_dkim_evidence {
	ZS_DKIM_EV_SPF,   /**< an include: or redirect= target of the domain's SPF record */
	ZS_DKIM_EV_MX,    /**< an MX host */
	ZS_DKIM_EV_CNAME, /**< the CNAME target of one of the domain's selectors */
	ZS_DKIM_EV_COUNT_,
};

/** Most selectors one provider lists; most providers in a table. */
enum { ZS_DKIM_PROVIDER_SELECTORS = 8, ZS_DKIM_PROVIDERS_MAX = 256 };

struct zs_dkim_provider {
	const char *name;       /**< lower case; unique in its table */
	const char **selectors; /**< lower case, at least one */
	size_t selector_count;
	const char **suffixes[ZS_DKIM_EV_COUNT_]; /**< lower case, no final dot */
	size_t suffix_count[ZS_DKIM_EV_COUNT_];
	size_t line; /**< where the table defines it */
};

struct zs_dkim_providers {
	const struct zs_dkim_provider *p;
	size_t count;
};

/** The field name of an evidence kind ("spf", "mx", "cname"). @return a static string */
const char *zs_dkim_evidence_name(enum zs_dkim_evidence e);

/**
 * Read a provider table.
 * @param arena     the table lives here
 * @param[out] out  filled on success
 * @param[out] err_line  on ZS_ERR_PARSE, the 1-based line
 * @param[out] err_msg   on ZS_ERR_PARSE, what is wrong there (static text)
 * @return 0, ZS_ERR_PARSE or ZS_ERR_TOOBIG (more than ZS_DKIM_PROVIDERS_MAX providers)
 */
int zs_dkim_providers_parse(struct zs_arena *arena, const char *text, size_t len,
                            struct zs_dkim_providers *out, size_t *err_line, const char **err_msg);

/**
 * Read a provider table file (see zs_dkim_providers_parse()), at most 64 KiB.
 * @return 0, ZS_ERR_PARSE (err_line and err_msg set), ZS_ERR_TOOBIG or -errno
 */
int zs_dkim_providers_load(struct zs_arena *arena, const char *path, struct zs_dkim_providers *out,
                           size_t *err_line, const char **err_msg);

/**
 * The provider a name identifies, seen as @p kind evidence.
 * @param name  any case, a final dot allowed
 * @return the first provider of the table with a matching suffix of that kind, or NULL
 */
const struct zs_dkim_provider *zs_dkim_providers_match(const struct zs_dkim_providers *t,
                                                       enum zs_dkim_evidence kind,
                                                       const char *name);

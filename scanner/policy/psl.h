/* SPDX-License-Identifier: MIT */
/*
 * The Public Suffix List, through libpsl: the RFC 7489 section 3.2 Organizational Domain of a
 * name (its registrable domain: the public suffix plus one label) and whether a name is a public
 * suffix. In production the list is the system's (libpsl's newest of its built-in copy and
 * /usr/share/publicsuffix); tests load a fixed snapshot from a file so their answers never change
 * with the installed package. A list is read-only once opened and may be shared by every probe.
 */
#pragma once

#include <stdbool.h>

struct zs_arena;
struct zs_psl;

/**
 * Open the system's list (libpsl's psl_latest(): the newest of the built-in list and the
 * distribution's file).
 * @param[out] out  on success, owned by the caller (zs_psl_close())
 * @return 0 or ZS_ERR_NOTFOUND when libpsl has no list at all
 */
int zs_psl_open_system(struct zs_psl **out);

/**
 * Open a list from a file in the public_suffix_list.dat format.
 * @param[out] out  on success, owned by the caller (zs_psl_close())
 * @return 0 or ZS_ERR_PARSE when libpsl cannot load the file
 */
int zs_psl_open_file(const char *path, struct zs_psl **out);

/** Close a list; NULL is a no-op. */
void zs_psl_close(struct zs_psl *psl);

/**
 * The Organizational Domain of @p name (RFC 7489 section 3.2): its registrable domain.
 * @param name  a domain name, any ASCII case, no final dot
 * @return the lower-case registrable domain in @p arena, or NULL when @p name is a public suffix,
 *         is not registrable (a leading dot, an empty label) or is NULL
 */
const char *zs_psl_org_domain(const struct zs_psl *psl, const char *name, struct zs_arena *arena);

/**
 * Whether @p name is a public suffix (wildcard and exception rules applied; an unlisted TLD is
 * one, by the list's default rule).
 * @return true when it is
 */
bool zs_psl_is_public_suffix(const struct zs_psl *psl, const char *name, struct zs_arena *arena);

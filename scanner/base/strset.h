/* SPDX-License-Identifier: MIT */
/*
 * A set of strings with an optional value per string (open addressing, linear probing), for
 * membership tests such as "was this domain already stored by the interrupted run" and small
 * per-domain tables (declared DKIM selectors, exemptions). Strings are copied into the set's
 * arena, which callers may also use for the values.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/mem.h"

struct zs_strset {
	struct zs_arena arena; /**< the strings */
	const char **slots;    /**< NULL = empty */
	void **values;         /**< the value of each slot (NULL unless set) */
	uint32_t *hashes;
	size_t cap; /**< a power of two */
	size_t count;
};

/** Initialise an empty set in caller storage. */
void zs_strset_init(struct zs_strset *s);
/** Free everything the set holds. */
void zs_strset_deinit(struct zs_strset *s);
/** Add a string (copied). @return true when it was not in the set yet */
bool zs_strset_add(struct zs_strset *s, const char *str);
/** Whether the set holds the string. */
bool zs_strset_has(const struct zs_strset *s, const char *str);
/**
 * The value slot of a string, adding the string (with a NULL value) when absent.
 * @return where the value is kept; valid until the next addition
 */
void **zs_strset_slot(struct zs_strset *s, const char *str);
/** The value of a string. @return the value, or NULL when absent (or not set) */
void *zs_strset_get(const struct zs_strset *s, const char *str);

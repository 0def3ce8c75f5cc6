/* SPDX-License-Identifier: MIT */
/*
 * A set of strings (open addressing, linear probing), for membership tests such as "was this
 * domain already stored by the interrupted run". Strings are copied into the set's arena.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/mem.h"

struct zs_strset {
	struct zs_arena arena; /**< the strings */
	const char **slots;    /**< NULL = empty */
	uint32_t *hashes;
	size_t cap;            /**< a power of two */
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

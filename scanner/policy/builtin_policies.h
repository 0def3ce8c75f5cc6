/* SPDX-License-Identifier: MIT */
/* The files of policies/ (rulesets, the DKIM selector list) embedded in the binary, generated
 * by cmake/embed_text.cmake. */
#pragma once

#include <stddef.h>

struct zs_embedded_file {
	const char *name; /**< the file name: "post.policy" */
	const char *text; /**< the file's bytes, NUL-terminated */
	size_t len;       /**< without the NUL */
};

extern const struct zs_embedded_file zs_builtin_policies[];
extern const size_t zs_builtin_policies_count;

/**
 * An embedded file of policies/ by its file name.
 * @return the file, or NULL
 */
const struct zs_embedded_file *zs_builtin_file(const char *name);

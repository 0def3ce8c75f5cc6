/* SPDX-License-Identifier: MIT */
/*
 * A whole YAML document as a tree, read with libyaml's event parser, for the conformance
 * runners. The vector files use only block and flow collections and scalars (no anchors, no
 * tags), which is all this handles.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "scanner/base/mem.h"

enum ynode_type {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
};

struct ynode {
	enum ynode_type type;
	const char *str; /**< scalar text (NUL-terminated) */
	size_t len;
	bool plain;           /**< an unquoted scalar (so "null" means null) */
	size_t count;         /**< items of a sequence, pairs of a map */
	struct ynode **items; /**< sequence items, or map values */
	const char **keys;    /**< map keys */
};

/**
 * Load the first document of a file.
 * @return the root in @p a, or NULL (message printed) on error
 */
struct ynode *ytree_load(struct zs_arena *a, const char *path);

/** The value of a map key, or NULL. */
const struct ynode *ymap(const struct ynode *map, const char *key);

/** A scalar's text, or NULL for a missing node, a non-scalar or a plain null. */
const char *ystr(const struct ynode *n);

/** Whether the node is missing or a plain null / ~. */
bool ynull(const struct ynode *n);

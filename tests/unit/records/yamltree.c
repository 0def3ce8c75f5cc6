/* SPDX-License-Identifier: MIT */
/* Loads a YAML document into a tree (see yamltree.h). */
#include "tests/unit/records/yamltree.h"

#include <stdio.h>
#include <string.h>

#include <yaml.h>

struct builder {
	struct zs_arena *a;
	yaml_parser_t p;
};

static void append(struct zs_arena *a, struct ynode *parent, const char *key, struct ynode *child)
{
	struct ynode **items = zs_arena_calloc(a, parent->count + 1, sizeof(*items));
	const char **keys = zs_arena_calloc(a, parent->count + 1, sizeof(*keys));
	for (size_t i = 0; i < parent->count; i++) {
		items[i] = parent->items[i];
		keys[i] = parent->keys != NULL ? parent->keys[i] : NULL;
	}
	items[parent->count] = child;
	keys[parent->count] = key;
	parent->items = items;
	parent->keys = keys;
	parent->count++;
}

/* Read the node that starts with @p ev (already taken from the parser). */
static struct ynode *read_node(struct builder *b, yaml_event_t *ev)
{
	struct ynode *n = zs_arena_calloc(b->a, 1, sizeof(*n));
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->type = Y_SCALAR;
		n->str = zs_arena_strndup(b->a, (const char *)ev->data.scalar.value,
		                          ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		n->type = map ? Y_MAP : Y_SEQ;
		for (;;) {
			yaml_event_t e;
			if (!yaml_parser_parse(&b->p, &e)) {
				return NULL;
			}
			if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				return n;
			}
			const char *key = NULL;
			if (map) {
				if (e.type != YAML_SCALAR_EVENT) {
					yaml_event_delete(&e);
					return NULL;
				}
				key = zs_arena_strndup(b->a, (const char *)e.data.scalar.value,
				                       e.data.scalar.length);
				yaml_event_delete(&e);
				if (!yaml_parser_parse(&b->p, &e)) {
					return NULL;
				}
			}
			struct ynode *child = read_node(b, &e);
			yaml_event_delete(&e);
			if (child == NULL) {
				return NULL;
			}
			append(b->a, n, key, child);
		}
	}
	default:
		return NULL;
	}
}

struct ynode *ytree_load(struct zs_arena *a, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		return NULL;
	}
	struct builder b = { .a = a };
	struct ynode *root = NULL;
	yaml_parser_initialize(&b.p);
	yaml_parser_set_input_file(&b.p, f);
	for (;;) {
		yaml_event_t e;
		if (!yaml_parser_parse(&b.p, &e)) {
			fprintf(stderr, "%s:%zu: %s\n", path, b.p.problem_mark.line + 1,
			        b.p.problem != NULL ? b.p.problem : "YAML error");
			break;
		}
		if (e.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if (e.type == YAML_SCALAR_EVENT || e.type == YAML_SEQUENCE_START_EVENT ||
		    e.type == YAML_MAPPING_START_EVENT) {
			root = read_node(&b, &e);
			yaml_event_delete(&e);
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&b.p);
	(void)fclose(f);
	return root;
}

const struct ynode *ymap(const struct ynode *map, const char *key)
{
	if (map == NULL || map->type != Y_MAP) {
		return NULL;
	}
	for (size_t i = 0; i < map->count; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			return map->items[i];
		}
	}
	return NULL;
}

bool ynull(const struct ynode *n)
{
	return n == NULL ||
	       (n->type == Y_SCALAR && n->plain &&
	        (strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0 || n->len == 0));
}

const char *ystr(const struct ynode *n)
{
	if (ynull(n) || n->type != Y_SCALAR) {
		return NULL;
	}
	return n->str;
}

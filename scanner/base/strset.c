/* SPDX-License-Identifier: MIT */
/* String set with open addressing; grows at 50% load. */
#include "scanner/base/strset.h"

#include <string.h>

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void zs_strset_init(struct zs_strset *s)
{
	memset(s, 0, sizeof(*s));
	zs_arena_init(&s->arena);
}

void zs_strset_deinit(struct zs_strset *s)
{
	zs_free(s->slots);
	zs_free(s->values);
	zs_free(s->hashes);
	zs_arena_deinit(&s->arena);
	memset(s, 0, sizeof(*s));
}

static size_t find_slot(const struct zs_strset *s, const char *str, uint32_t h)
{
	size_t mask = s->cap - 1;
	size_t i = h & mask;
	while (s->slots[i] != NULL && (s->hashes[i] != h || strcmp(s->slots[i], str) != 0)) {
		i = (i + 1) & mask;
	}
	return i;
}

static void grow(struct zs_strset *s)
{
	size_t old_cap = s->cap;
	const char **old_slots = s->slots;
	void **old_values = s->values;
	uint32_t *old_hashes = s->hashes;

	s->cap = old_cap == 0 ? 64 : old_cap * 2;
	s->slots = zs_calloc(s->cap, sizeof(*s->slots));
	s->values = zs_calloc(s->cap, sizeof(*s->values));
	s->hashes = zs_calloc(s->cap, sizeof(*s->hashes));
	for (size_t i = 0; i < old_cap; i++) {
		if (old_slots[i] != NULL) {
			size_t j = find_slot(s, old_slots[i], old_hashes[i]);
			s->slots[j] = old_slots[i];
			s->values[j] = old_values[i];
			s->hashes[j] = old_hashes[i];
		}
	}
	zs_free(old_slots);
	zs_free(old_values);
	zs_free(old_hashes);
}

/* The slot of a string, added when absent; *added tells which. */
static size_t insert(struct zs_strset *s, const char *str, bool *added)
{
	if ((s->count + 1) * 2 > s->cap) {
		grow(s);
	}
	uint32_t h = hash_str(str);
	size_t i = find_slot(s, str, h);
	*added = s->slots[i] == NULL;
	if (*added) {
		s->slots[i] = zs_arena_strdup(&s->arena, str);
		s->hashes[i] = h;
		s->count++;
	}
	return i;
}

bool zs_strset_add(struct zs_strset *s, const char *str)
{
	bool added;
	(void)insert(s, str, &added);
	return added;
}

void **zs_strset_slot(struct zs_strset *s, const char *str)
{
	bool added;
	size_t i = insert(s, str, &added); /* before reading s->values: insert may grow it */
	return &s->values[i];
}

void *zs_strset_get(const struct zs_strset *s, const char *str)
{
	if (s->count == 0) {
		return NULL;
	}
	size_t i = find_slot(s, str, hash_str(str));
	return s->slots[i] != NULL ? s->values[i] : NULL;
}

bool zs_strset_has(const struct zs_strset *s, const char *str)
{
	if (s->count == 0) {
		return false;
	}
	uint32_t h = hash_str(str);
	return s->slots[find_slot(s, str, h)] != NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * The learned-selector table of dkim_learn.h: a string set from provider to a short array of
 * selectors, each with the counts of both layers. Ranks are fixed when an entry becomes usable,
 * so the selectors a probe gets never change while a pass runs.
 */
#include "scanner/policy/dkim_learn.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/base/strset.h"

struct learned_sel {
	const char *name;
	uint32_t prior; /* domains in previous runs */
	uint32_t seen;  /* domains in this run */
	uint32_t rank;  /* fixed when it became usable */
	bool usable;
};

struct learned_provider {
	const char *name;
	struct learned_sel sel[ZS_DKIM_LEARN_KEEP];
	size_t count;
};

struct zs_dkim_learned {
	struct zs_strset providers; /* name -> struct learned_provider, in its arena */
	size_t max_providers;
	uint64_t dropped;
};

struct zs_dkim_learned *zs_dkim_learned_new(size_t max_providers)
{
	ZS_REQUIRE(max_providers > 0);
	struct zs_dkim_learned *t = zs_calloc(1, sizeof(*t));
	zs_strset_init(&t->providers);
	t->max_providers = max_providers;
	return t;
}

void zs_dkim_learned_free(struct zs_dkim_learned *t)
{
	if (t == NULL) {
		return;
	}
	zs_strset_deinit(&t->providers);
	zs_free(t);
}

/* The entry of (provider, selector), added when there is room; NULL (counted) when not. */
static struct learned_sel *entry(struct zs_dkim_learned *t, const char *provider,
                                 const char *selector)
{
	struct learned_provider *p = zs_strset_get(&t->providers, provider);
	if (p == NULL) {
		if (t->providers.count == t->max_providers) {
			t->dropped++;
			return NULL;
		}
		p = zs_arena_calloc(&t->providers.arena, 1, sizeof(*p));
		p->name = zs_arena_strdup(&t->providers.arena, provider);
		*zs_strset_slot(&t->providers, provider) = p;
	}
	for (size_t i = 0; i < p->count; i++) {
		if (strcmp(p->sel[i].name, selector) == 0) {
			return &p->sel[i];
		}
	}
	if (p->count == ZS_DKIM_LEARN_KEEP) {
		t->dropped++;
		return NULL;
	}
	struct learned_sel *s = &p->sel[p->count++];
	s->name = zs_arena_strdup(&t->providers.arena, selector);
	return s;
}

int zs_dkim_learned_seed(struct zs_dkim_learned *t, const char *provider, const char *selector,
                         uint32_t domains)
{
	struct learned_sel *s = entry(t, provider, selector);
	if (s == NULL) {
		return ZS_ERR_TOOBIG;
	}
	s->prior = domains;
	s->rank = domains;
	s->usable = true;
	return 0;
}

int zs_dkim_learned_note(struct zs_dkim_learned *t, const char *provider, const char *selector)
{
	struct learned_sel *s = entry(t, provider, selector);
	if (s == NULL) {
		return ZS_ERR_TOOBIG;
	}
	if (s->seen < UINT32_MAX) {
		s->seen++;
	}
	return 0;
}

/* Most-seen first, then by name: the same table always gives the same order. */
static int by_rank(const void *a, const void *b)
{
	const struct learned_sel *x = *(const struct learned_sel *const *)a;
	const struct learned_sel *y = *(const struct learned_sel *const *)b;
	if (x->rank != y->rank) {
		return x->rank > y->rank ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

size_t zs_dkim_learned_get(const struct zs_dkim_learned *t, const char *provider, const char **out,
                           size_t max)
{
	const struct learned_provider *p =
	        t != NULL ? zs_strset_get(&t->providers, provider) : NULL;
	const struct learned_sel *usable[ZS_DKIM_LEARN_KEEP];
	size_t n = 0;
	if (p == NULL) {
		return 0;
	}
	for (size_t i = 0; i < p->count; i++) {
		if (p->sel[i].usable) {
			usable[n++] = &p->sel[i];
		}
	}
	qsort(usable, n, sizeof(usable[0]), by_rank);
	n = n < max ? n : max;
	for (size_t i = 0; i < n; i++) {
		out[i] = usable[i]->name;
	}
	return n;
}

void zs_dkim_learned_promote(struct zs_dkim_learned *t)
{
	for (size_t i = 0; i < t->providers.cap; i++) {
		struct learned_provider *p = t->providers.values[i];
		for (size_t k = 0; p != NULL && k < p->count; k++) {
			struct learned_sel *s = &p->sel[k];
			if (s->seen > 0) {
				s->usable = true;
				s->rank = s->prior + s->seen;
			}
		}
	}
}

static int by_name(const void *a, const void *b)
{
	const struct zs_dkim_learned_entry *x = a;
	const struct zs_dkim_learned_entry *y = b;
	int c = strcmp(x->provider, y->provider);
	return c != 0 ? c : strcmp(x->selector, y->selector);
}

int zs_dkim_learned_each(const struct zs_dkim_learned *t, zs_dkim_learned_fn fn, void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < t->providers.cap; i++) {
		const struct learned_provider *p = t->providers.values[i];
		for (size_t k = 0; p != NULL && k < p->count; k++) {
			n += p->sel[k].seen > 0;
		}
	}
	struct zs_dkim_learned_entry *all = zs_calloc(n > 0 ? n : 1, sizeof(*all));
	size_t k = 0;
	for (size_t i = 0; i < t->providers.cap; i++) {
		const struct learned_provider *p = t->providers.values[i];
		for (size_t j = 0; p != NULL && j < p->count; j++) {
			if (p->sel[j].seen > 0) {
				all[k++] = (struct zs_dkim_learned_entry){ p->name, p->sel[j].name,
					                                   p->sel[j].seen };
			}
		}
	}
	qsort(all, n, sizeof(*all), by_name);
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		ret = fn(&all[i], arg);
	}
	zs_free(all);
	return ret;
}

uint64_t zs_dkim_learned_dropped(const struct zs_dkim_learned *t)
{
	return t->dropped;
}

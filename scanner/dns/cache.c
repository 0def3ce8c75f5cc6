/* SPDX-License-Identifier: MIT */
/*
 * Hash tables keyed by (name, type) and the run-wide answer cache (see cache_int.h). The table
 * doubles its slots before it is half full; the cache keeps a doubly linked list in use order
 * so that eviction is O(1) per entry.
 */
#include <assert.h>
#include <string.h>

#include "scanner/base/mem.h"
#include "scanner/dns/cache_int.h"

enum { TABLE_FIRST_SLOTS = 256 };

/* ---- SipHash-2-4 (Aumasson and Bernstein), over the name bytes then the type --------------- */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static void sip_block(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

static uint64_t load64_le(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--) {
		x = (x << 8) | p[i];
	}
	return x;
}

uint64_t zs__dns_table_hash(const struct zs__dns_table *t, const uint8_t *name, size_t len,
                            uint16_t type)
{
	uint8_t msg[ZS_DNS_NAME_MAX + 2];
	size_t n = len < ZS_DNS_NAME_MAX ? len : ZS_DNS_NAME_MAX;
	memcpy(msg, name, n);
	msg[n] = (uint8_t)(type >> 8);
	msg[n + 1] = (uint8_t)type;
	n += 2;

	uint64_t v[4] = {
		t->key[0] ^ 0x736f6d6570736575ULL,
		t->key[1] ^ 0x646f72616e646f6dULL,
		t->key[0] ^ 0x6c7967656e657261ULL,
		t->key[1] ^ 0x7465646279746573ULL,
	};
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		sip_block(v, load64_le(msg + i));
	}
	uint8_t last[8] = { 0 };
	memcpy(last, msg + i, n - i);
	last[7] = (uint8_t)n;
	sip_block(v, load64_le(last));
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++) {
		sip_round(v);
	}
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- table ------------------------------------------------------------------------------- */

/*
 * Open addressing with linear probing. A slot holds the node's hash beside the pointer, so a
 * probe compares hashes in the slot array and touches a node only when its hash matches: one
 * cache miss per lookup instead of one per chain link. The table is at most half full, which
 * keeps the expected probe short (about 1.5 slots for a hit, 2.5 for a miss); removal shifts
 * the following slots back (no tombstones), so probes never lengthen with churn.
 */

void zs__dns_table_init(struct zs__dns_table *t, const uint8_t key[16])
{
	t->slots = zs_calloc(TABLE_FIRST_SLOTS, sizeof(*t->slots));
	t->mask = TABLE_FIRST_SLOTS - 1;
	t->count = 0;
	t->key[0] = load64_le(key);
	t->key[1] = load64_le(key + 8);
}

void zs__dns_table_deinit(struct zs__dns_table *t)
{
	zs_free(t->slots);
	t->slots = NULL;
	t->count = 0;
}

struct zs__dns_node *zs__dns_table_find(const struct zs__dns_table *t, uint64_t hash,
                                        const uint8_t *name, size_t len, uint16_t type)
{
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		const struct zs__dns_slot *s = &t->slots[i];
		if (s->node == NULL) {
			return NULL;
		}
		if (s->hash == hash && s->node->type == type && s->node->name_len == len &&
		    memcmp(s->node->name, name, len) == 0) {
			return s->node;
		}
	}
}

static void table_place(struct zs__dns_slot *slots, size_t mask, uint64_t hash,
                        struct zs__dns_node *n)
{
	size_t i = hash & mask;
	while (slots[i].node != NULL) {
		i = (i + 1) & mask;
	}
	slots[i].hash = hash;
	slots[i].node = n;
}

static void table_grow(struct zs__dns_table *t)
{
	size_t size = (t->mask + 1) * 2;
	struct zs__dns_slot *slots = zs_calloc(size, sizeof(*slots));
	for (size_t i = 0; i <= t->mask; i++) {
		if (t->slots[i].node != NULL) {
			table_place(slots, size - 1, t->slots[i].hash, t->slots[i].node);
		}
	}
	zs_free(t->slots);
	t->slots = slots;
	t->mask = size - 1;
}

void zs__dns_table_insert(struct zs__dns_table *t, struct zs__dns_node *n)
{
	if ((t->count + 1) * 2 > t->mask + 1) {
		table_grow(t);
	}
	table_place(t->slots, t->mask, n->hash, n);
	t->count++;
}

void zs__dns_table_remove(struct zs__dns_table *t, struct zs__dns_node *n)
{
	size_t i = n->hash & t->mask;
	while (t->slots[i].node != n) {
		assert(t->slots[i].node != NULL);
		if (t->slots[i].node == NULL) {
			return; /* not in the table */
		}
		i = (i + 1) & t->mask;
	}
	/* Shift back every following node of the run whose home slot is not in (i, j]. */
	for (size_t j = (i + 1) & t->mask; t->slots[j].node != NULL; j = (j + 1) & t->mask) {
		size_t home = t->slots[j].hash & t->mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (!stays) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].node = NULL;
	t->count--;
}

/* ---- cache ------------------------------------------------------------------------------- */

void zs__dns_cache_init(struct zs__dns_cache *c, size_t max_entries, size_t max_bytes,
                        const uint8_t key[16])
{
	memset(c, 0, sizeof(*c));
	zs__dns_table_init(&c->table, key);
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
}

static void lru_unlink(struct zs__dns_cache *c, struct zs__dns_entry *e)
{
	if (e->lru_prev != NULL) {
		e->lru_prev->lru_next = e->lru_next;
	} else {
		c->lru_head = e->lru_next;
	}
	if (e->lru_next != NULL) {
		e->lru_next->lru_prev = e->lru_prev;
	} else {
		c->lru_tail = e->lru_prev;
	}
	e->lru_prev = NULL;
	e->lru_next = NULL;
}

static void lru_push_front(struct zs__dns_cache *c, struct zs__dns_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head != NULL) {
		c->lru_head->lru_prev = e;
	} else {
		c->lru_tail = e;
	}
	c->lru_head = e;
}

static void cache_drop(struct zs__dns_cache *c, struct zs__dns_entry *e)
{
	zs__dns_table_remove(&c->table, &e->node);
	lru_unlink(c, e);
	c->bytes -= e->size;
	e->cached = false;
	zs__dns_entry_unref(e);
}

void zs__dns_cache_deinit(struct zs__dns_cache *c)
{
	while (c->lru_head != NULL) {
		cache_drop(c, c->lru_head);
	}
	zs__dns_table_deinit(&c->table);
}

struct zs__dns_entry *zs__dns_cache_get(struct zs__dns_cache *c, uint64_t hash, const uint8_t *name,
                                        size_t len, uint16_t type, uint64_t now)
{
	if (c->table.count == 0) {
		return NULL;
	}
	struct zs__dns_node *n = zs__dns_table_find(&c->table, hash, name, len, type);
	if (n == NULL) {
		return NULL;
	}
	struct zs__dns_entry *e = (struct zs__dns_entry *)n; /* node is the first member */
	if (now >= e->expires) {
		c->expired++;
		cache_drop(c, e);
		return NULL;
	}
	lru_unlink(c, e);
	lru_push_front(c, e);
	return zs__dns_entry_ref(e);
}

bool zs__dns_cache_put(struct zs__dns_cache *c, struct zs__dns_entry *e, uint64_t hash,
                       uint32_t ttl_cap, uint64_t now)
{
	uint32_t ttl = e->ttl < ttl_cap ? e->ttl : ttl_cap;

	if (ttl == 0 || e->node.name == NULL || e->cached || c->max_entries == 0 ||
	    (c->max_bytes > 0 && e->size > c->max_bytes)) {
		return false;
	}
	e->node.hash = hash;
	struct zs__dns_node *old = zs__dns_table_find(&c->table, e->node.hash, e->node.name,
	                                              e->node.name_len, e->node.type);
	if (old != NULL) {
		cache_drop(c, (struct zs__dns_entry *)old);
	}
	while (c->lru_tail != NULL && (c->table.count >= c->max_entries ||
	                               (c->max_bytes > 0 && c->bytes + e->size > c->max_bytes))) {
		c->evictions++;
		cache_drop(c, c->lru_tail);
	}
	e->expires = now + (uint64_t)ttl * 1000;
	e->cached = true;
	zs__dns_table_insert(&c->table, &e->node);
	lru_push_front(c, zs__dns_entry_ref(e));
	c->bytes += e->size;
	c->inserts++;
	return true;
}

size_t zs__dns_cache_count(const struct zs__dns_cache *c)
{
	return c->table.count;
}

/* SPDX-License-Identifier: MIT */
/*
 * The resolver's tables keyed by (name, type): an open-addressing hash table of intrusive nodes,
 * hashed with a keyed SipHash so that names taken from DNS data cannot be chosen to collide,
 * and the run-wide answer cache built on it: TTLs honoured (capped), negative answers kept for
 * their SOA minimum (RFC 2308), bounded in entries and in bytes with least-recently-used
 * eviction. Time is passed in (loop milliseconds), so everything here is pure and testable.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/dns/wire_int.h"

/** A slot of the table: the node and its hash, so that probes rarely touch other nodes. */
struct zs__dns_slot {
	uint64_t hash;
	struct zs__dns_node *node; /**< NULL: empty */
};

/** A hash table of struct zs__dns_node (linear probing); it grows, it never owns the nodes. */
struct zs__dns_table {
	struct zs__dns_slot *slots;
	size_t mask;  /**< slot count - 1 (a power of two) */
	size_t count; /**< nodes in the table */
	uint64_t key[2];
};

/**
 * Initialise an empty table.
 * @param key  the SipHash key (16 random bytes)
 */
void zs__dns_table_init(struct zs__dns_table *t, const uint8_t key[16]);

/** Release the buckets (not the nodes). */
void zs__dns_table_deinit(struct zs__dns_table *t);

/**
 * SipHash-2-4 of (name, type) under the table's key. Tables initialised with the same key give
 * the same hash, so the resolver hashes a question once for its cache and its lookups.
 */
uint64_t zs__dns_table_hash(const struct zs__dns_table *t, const uint8_t *name, size_t len,
                            uint16_t type);

/**
 * Find the node of (name, type).
 * @param hash  zs__dns_table_hash() of the key
 * @return the node, or NULL
 */
struct zs__dns_node *zs__dns_table_find(const struct zs__dns_table *t, uint64_t hash,
                                        const uint8_t *name, size_t len, uint16_t type);

/** Insert a node whose key and hash are set; the key must not be in the table. */
void zs__dns_table_insert(struct zs__dns_table *t, struct zs__dns_node *n);

/** Remove a node that is in the table. */
void zs__dns_table_remove(struct zs__dns_table *t, struct zs__dns_node *n);

/** The answer cache. */
struct zs__dns_cache {
	struct zs__dns_table table;
	struct zs__dns_entry *lru_head; /**< most recently used */
	struct zs__dns_entry *lru_tail; /**< least recently used, evicted first */
	size_t max_entries;
	size_t max_bytes;
	size_t bytes;       /**< bytes of the entries held */
	uint64_t inserts;   /**< entries stored */
	uint64_t evictions; /**< entries dropped to make room */
	uint64_t expired;   /**< entries dropped because their TTL ran out */
};

/**
 * Initialise an empty cache.
 * @param max_entries  entries kept at most (0: nothing is cached)
 * @param max_bytes  bytes of entries kept at most (0: no limit but @p max_entries)
 * @param key  the hash key (16 random bytes): the key of the table whose hashes the caller
 *             passes to zs__dns_cache_get() and zs__dns_cache_put()
 */
void zs__dns_cache_init(struct zs__dns_cache *c, size_t max_entries, size_t max_bytes,
                        const uint8_t key[16]);

/** Drop every entry (their references) and the table. */
void zs__dns_cache_deinit(struct zs__dns_cache *c);

/**
 * Look an answer up; an expired entry is dropped and not returned.
 * @param hash  zs__dns_table_hash() of (name, type) under the cache's key
 * @param now  loop time in ms
 * @return a new reference to the entry (zs__dns_entry_unref() it), or NULL
 */
struct zs__dns_entry *zs__dns_cache_get(struct zs__dns_cache *c, uint64_t hash, const uint8_t *name,
                                        size_t len, uint16_t type, uint64_t now);

/**
 * Store an answer for min(e->ttl, ttl_cap) seconds, replacing any entry of the same key and
 * evicting the least recently used entries beyond the bounds. An entry with ttl 0, without a
 * key, or larger than the byte bound is not stored.
 * @param e  the entry; the cache takes a reference of its own when it stores it
 * @param hash  zs__dns_table_hash() of the entry's key under the cache's key
 * @return true when stored
 */
bool zs__dns_cache_put(struct zs__dns_cache *c, struct zs__dns_entry *e, uint64_t hash,
                       uint32_t ttl_cap, uint64_t now);

/** Entries held. */
size_t zs__dns_cache_count(const struct zs__dns_cache *c);

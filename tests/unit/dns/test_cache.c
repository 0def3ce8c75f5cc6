/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of scanner/dns/cache.c: the (name, type) hash table, and the answer cache's
 * TTLs (capped), negative entries, least-recently-used eviction by count and by bytes,
 * replacement and reference counting. Time is passed in, so nothing here waits.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/dns/cache_int.h"
#include "scanner/dns/wire_int.h"
#include "tests/unit/dns/dns_test.h"
#include "tests/unit/test.h"

static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static struct zs__dns_entry *entry(const char *name, uint16_t type, enum zs_dns_status status,
                                   uint32_t ttl)
{
	struct zs__dns_question q = zs_test_question(name, type);
	struct zs__dns_entry *e = zs__dns_entry_new_status(&q, status, 0);
	e->ttl = ttl;
	return e;
}

static struct zs__dns_entry *get(struct zs__dns_cache *c, const char *name, uint16_t type,
                                 uint64_t now)
{
	struct zs__dns_question q = zs_test_question(name, type);
	uint64_t hash = zs__dns_table_hash(&c->table, q.name, q.name_len, type);
	return zs__dns_cache_get(c, hash, q.name, q.name_len, type, now);
}

static bool put(struct zs__dns_cache *c, struct zs__dns_entry *e, uint32_t ttl_cap, uint64_t now)
{
	uint64_t hash = e->node.name != NULL ? zs__dns_table_hash(&c->table, e->node.name,
	                                                          e->node.name_len, e->node.type)
	                                     : 0;
	return zs__dns_cache_put(c, e, hash, ttl_cap, now);
}

struct node_item {
	struct zs__dns_node node;
	uint8_t name[ZS_DNS_NAME_MAX];
};

static void test_cache_table_insert_find_remove_grow(void **state)
{
	struct zs__dns_table t;
	enum { N = 2000 };
	struct node_item *items = zs_calloc(N, sizeof(*items));

	zs__dns_table_init(&t, key);
	for (int i = 0; i < N; i++) {
		char name[32];
		(void)snprintf(name, sizeof(name), "n%d.example", i);
		struct zs__dns_question q =
		        zs_test_question(name, (uint16_t)(i % 2 ? ZS_RR_TXT : ZS_RR_MX));
		memcpy(items[i].name, q.name, q.name_len);
		items[i].node.name = items[i].name;
		items[i].node.name_len = q.name_len;
		items[i].node.type = q.type;
		items[i].node.hash = zs__dns_table_hash(&t, q.name, q.name_len, q.type);
		zs__dns_table_insert(&t, &items[i].node);
	}
	assert_int_equal(t.count, N);
	assert_true(t.mask + 1 >= N); /* it grew */
	for (int i = 0; i < N; i++) {
		struct zs__dns_node *n = &items[i].node;
		assert_ptr_equal(zs__dns_table_find(&t, n->hash, n->name, n->name_len, n->type), n);
		/* same name, the other type: another key */
		uint16_t other = n->type == ZS_RR_MX ? ZS_RR_TXT : ZS_RR_MX;
		uint64_t h = zs__dns_table_hash(&t, n->name, n->name_len, other);
		assert_true(h != n->hash);
		assert_null(zs__dns_table_find(&t, h, n->name, n->name_len, other));
	}
	for (int i = 0; i < N; i += 2) {
		zs__dns_table_remove(&t, &items[i].node);
	}
	assert_int_equal(t.count, N / 2);
	for (int i = 0; i < N; i++) {
		struct zs__dns_node *n = &items[i].node;
		struct zs__dns_node *f =
		        zs__dns_table_find(&t, n->hash, n->name, n->name_len, n->type);
		assert_ptr_equal(f, i % 2 ? n : NULL);
	}
	zs__dns_table_deinit(&t);
	zs_free(items);
}

/*
 * Removal under heavy collisions: hashes chosen so that runs of occupied slots form, cross
 * the end of the slot array and hold nodes away from their home slot; a random sequence of
 * inserts and removals is checked against a plain array after every step.
 */
static void test_cache_table_collisions_and_wraparound(void **state)
{
	struct zs__dns_table t;
	enum { N = 100, STEPS = 20000 };
	struct node_item *items = zs_calloc(N, sizeof(*items));
	bool in[N] = { false };
	uint64_t rng = 88172645463325252ULL;

	zs__dns_table_init(&t, key);
	for (int i = 0; i < N; i++) {
		char name[32];
		(void)snprintf(name, sizeof(name), "c%d.example", i);
		struct zs__dns_question q = zs_test_question(name, ZS_RR_TXT);
		memcpy(items[i].name, q.name, q.name_len);
		items[i].node.name = items[i].name;
		items[i].node.name_len = q.name_len;
		items[i].node.type = q.type;
		/* homes in the last four slots and the first two of the 256 the table starts with
		 */
		items[i].node.hash = (uint64_t)(252 + i % 6) & 0xff;
	}
	for (int step = 0; step < STEPS; step++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		int i = (int)(rng % N);
		if (in[i]) {
			zs__dns_table_remove(&t, &items[i].node);
		} else {
			zs__dns_table_insert(&t, &items[i].node);
		}
		in[i] = !in[i];
		size_t count = 0;
		for (int k = 0; k < N; k++) {
			struct zs__dns_node *n = &items[k].node;
			struct zs__dns_node *f =
			        zs__dns_table_find(&t, n->hash, n->name, n->name_len, n->type);
			assert_ptr_equal(f, in[k] ? n : NULL);
			count += in[k];
		}
		assert_int_equal(t.count, count);
	}
	assert_int_equal(t.mask, 255); /* never more than half full: it did not grow */
	zs__dns_table_deinit(&t);
	zs_free(items);
}

static void test_cache_hash_depends_on_key(void **state)
{
	struct zs__dns_table a;
	struct zs__dns_table b;
	uint8_t key2[16];
	memcpy(key2, key, sizeof(key2));
	key2[0] ^= 1;
	zs__dns_table_init(&a, key);
	zs__dns_table_init(&b, key2);
	struct zs__dns_question q = zs_test_question("example.com", ZS_RR_TXT);
	assert_true(zs__dns_table_hash(&a, q.name, q.name_len, q.type) !=
	            zs__dns_table_hash(&b, q.name, q.name_len, q.type));
	assert_true(zs__dns_table_hash(&a, q.name, q.name_len, q.type) ==
	            zs__dns_table_hash(&a, q.name, q.name_len, q.type));
	zs__dns_table_deinit(&a);
	zs__dns_table_deinit(&b);
}

static void test_cache_ttl_and_cap(void **state)
{
	struct zs__dns_cache c;
	zs__dns_cache_init(&c, 100, 0, key);

	struct zs__dns_entry *e = entry("a.example", ZS_RR_TXT, ZS_DNS_NOERROR, 60);
	assert_true(put(&c, e, 86400, 1000));
	zs__dns_entry_unref(e);
	struct zs__dns_entry *hit = get(&c, "A.Example.", ZS_RR_TXT, 1000 + 59999);
	assert_non_null(hit);
	assert_int_equal(hit->ans.status, ZS_DNS_NOERROR);
	zs__dns_entry_unref(hit);
	assert_null(get(&c, "a.example", ZS_RR_MX, 1000));
	assert_null(get(&c, "a.example", ZS_RR_TXT, 1000 + 60000)); /* expired */
	assert_int_equal(c.expired, 1);
	assert_int_equal(zs__dns_cache_count(&c), 0);

	/* the cap shortens a long TTL */
	e = entry("b.example", ZS_RR_TXT, ZS_DNS_NOERROR, 86400);
	assert_true(put(&c, e, 10, 0));
	zs__dns_entry_unref(e);
	hit = get(&c, "b.example", ZS_RR_TXT, 9999);
	assert_non_null(hit);
	zs__dns_entry_unref(hit);
	assert_null(get(&c, "b.example", ZS_RR_TXT, 10000));

	/* TTL 0 and keyless entries are not stored */
	e = entry("c.example", ZS_RR_TXT, ZS_DNS_SERVFAIL, 0);
	assert_false(put(&c, e, 86400, 0));
	zs__dns_entry_unref(e);
	e = zs__dns_entry_new_status(NULL, ZS_DNS_BADNAME, 0);
	e->ttl = 100;
	assert_false(put(&c, e, 86400, 0));
	zs__dns_entry_unref(e);
	zs__dns_cache_deinit(&c);
}

static void test_cache_negative_entries(void **state)
{
	struct zs__dns_cache c;
	zs__dns_cache_init(&c, 100, 0, key);
	struct zs__dns_entry *e = entry("nx.example", ZS_RR_TXT, ZS_DNS_NXDOMAIN, 300);
	e->ans.neg_ttl = 300;
	assert_true(put(&c, e, 86400, 0));
	zs__dns_entry_unref(e);
	struct zs__dns_entry *hit = get(&c, "nx.example", ZS_RR_TXT, 299999);
	assert_non_null(hit);
	assert_int_equal(hit->ans.status, ZS_DNS_NXDOMAIN);
	assert_int_equal(hit->ans.neg_ttl, 300);
	zs__dns_entry_unref(hit);
	assert_null(get(&c, "nx.example", ZS_RR_TXT, 300000));
	zs__dns_cache_deinit(&c);
}

static void test_cache_evicts_least_recently_used(void **state)
{
	struct zs__dns_cache c;
	zs__dns_cache_init(&c, 3, 0, key);
	const char *names[] = { "1.example", "2.example", "3.example", "4.example" };
	for (int i = 0; i < 3; i++) {
		struct zs__dns_entry *e = entry(names[i], ZS_RR_A, ZS_DNS_NOERROR, 100);
		assert_true(put(&c, e, 86400, 0));
		zs__dns_entry_unref(e);
	}
	/* use 1: 2 becomes the least recently used */
	struct zs__dns_entry *hit = get(&c, "1.example", ZS_RR_A, 0);
	zs__dns_entry_unref(hit);
	struct zs__dns_entry *e = entry(names[3], ZS_RR_A, ZS_DNS_NOERROR, 100);
	assert_true(put(&c, e, 86400, 0));
	zs__dns_entry_unref(e);
	assert_int_equal(zs__dns_cache_count(&c), 3);
	assert_int_equal(c.evictions, 1);
	assert_null(get(&c, "2.example", ZS_RR_A, 0));
	for (int i = 0; i < 4; i++) {
		if (i == 1) {
			continue;
		}
		hit = get(&c, names[i], ZS_RR_A, 0);
		assert_non_null(hit);
		zs__dns_entry_unref(hit);
	}
	zs__dns_cache_deinit(&c);
}

static void test_cache_bounded_in_bytes(void **state)
{
	struct zs__dns_cache c;
	struct zs__dns_entry *probe = entry("xxx.example", ZS_RR_A, ZS_DNS_NOERROR, 100);
	size_t each = probe->size;
	zs__dns_entry_unref(probe);

	zs__dns_cache_init(&c, 1000000, 10 * each, key);
	for (int i = 0; i < 1000; i++) {
		char name[32];
		(void)snprintf(name, sizeof(name), "%03d.example", i);
		struct zs__dns_entry *e = entry(name, ZS_RR_A, ZS_DNS_NOERROR, 100);
		assert_true(put(&c, e, 86400, 0));
		zs__dns_entry_unref(e);
		assert_true(c.bytes <= 10 * each);
	}
	assert_int_equal(zs__dns_cache_count(&c), 10);
	assert_int_equal(c.evictions, 990);
	struct zs__dns_entry *hit = get(&c, "999.example", ZS_RR_A, 0);
	assert_non_null(hit);
	zs__dns_entry_unref(hit);
	assert_null(get(&c, "000.example", ZS_RR_A, 0));
	zs__dns_cache_deinit(&c);
}

static void test_cache_replaces_and_keeps_held_entries(void **state)
{
	struct zs__dns_cache c;
	zs__dns_cache_init(&c, 1, 0, key);
	struct zs__dns_entry *first = entry("a.example", ZS_RR_A, ZS_DNS_NODATA, 100);
	assert_true(put(&c, first, 86400, 0));
	/* the same key: replaced, and the holder of the old one still reads it */
	struct zs__dns_entry *second = entry("a.example", ZS_RR_A, ZS_DNS_NOERROR, 100);
	assert_true(put(&c, second, 86400, 0));
	assert_int_equal(zs__dns_cache_count(&c), 1);
	assert_false(first->cached);
	assert_int_equal(first->ans.status, ZS_DNS_NODATA);
	zs__dns_entry_unref(first);
	struct zs__dns_entry *hit = get(&c, "a.example", ZS_RR_A, 0);
	assert_ptr_equal(hit, second);
	/* evicted by another key while held */
	struct zs__dns_entry *third = entry("b.example", ZS_RR_A, ZS_DNS_NOERROR, 100);
	assert_true(put(&c, third, 86400, 0));
	assert_false(hit->cached);
	assert_int_equal(hit->ans.status, ZS_DNS_NOERROR);
	zs__dns_entry_unref(hit);
	zs__dns_entry_unref(second);
	zs__dns_entry_unref(third);
	/* an entry larger than the byte bound, and a cache of size 0 */
	zs__dns_cache_deinit(&c);
	zs__dns_cache_init(&c, 0, 0, key);
	third = entry("b.example", ZS_RR_A, ZS_DNS_NOERROR, 100);
	assert_false(put(&c, third, 86400, 0));
	zs__dns_cache_deinit(&c);
	zs__dns_cache_init(&c, 10, 8, key);
	assert_false(put(&c, third, 86400, 0));
	zs__dns_entry_unref(third);
	zs__dns_cache_deinit(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_table_insert_find_remove_grow),
		cmocka_unit_test(test_cache_table_collisions_and_wraparound),
		cmocka_unit_test(test_cache_hash_depends_on_key),
		cmocka_unit_test(test_cache_ttl_and_cap),
		cmocka_unit_test(test_cache_negative_entries),
		cmocka_unit_test(test_cache_evicts_least_recently_used),
		cmocka_unit_test(test_cache_bounded_in_bytes),
		cmocka_unit_test(test_cache_replaces_and_keeps_held_entries),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Wire-format domain names for the zone reader: comparison, the text form handed to callers,
 * and a set of 128-bit name hashes that remembers which delegations were already yielded.
 * Names are kept lower case from the moment they are parsed, so comparing is memcmp and equal
 * names hash equal however they were written. The set stores only the hashes (16 bytes a slot,
 * grown at 80% load), so its memory is about 32 bytes per delegation whatever the file size; two
 * names colliding on 128 bits are not a practical concern, and a random seed keeps a hostile
 * zone from aiming at one probe chain. The set is cut into 64 segments that grow one at a time,
 * so that a doubling never needs a second copy of the whole set.
 */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "zoneio/reader_int.h"

size_t zs__name_len(const uint8_t *name)
{
	size_t i = 0;
	while (name[i] != 0) {
		i += (size_t)name[i] + 1;
	}
	return i + 1;
}

unsigned zs__name_labels(const uint8_t *name)
{
	unsigned n = 0;
	for (size_t i = 0; name[i] != 0; i += (size_t)name[i] + 1) {
		n++;
	}
	return n;
}

void zs__name_lower(uint8_t *name)
{
	size_t i = 0;
	while (name[i] != 0) {
		size_t end = i + 1 + name[i];
		for (size_t j = i + 1; j < end; j++) {
			if (name[j] >= 'A' && name[j] <= 'Z') {
				name[j] = (uint8_t)(name[j] + ('a' - 'A'));
			}
		}
		i = end;
	}
}

bool zs__name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = zs__name_len(a);
	return la == zs__name_len(b) && memcmp(a, b, la) == 0;
}

bool zs__name_below(const uint8_t *name, const uint8_t *apex, bool strict)
{
	unsigned nl = zs__name_labels(name);
	unsigned al = zs__name_labels(apex);
	if (nl < al || (strict && nl == al)) {
		return false;
	}
	const uint8_t *p = name;
	for (unsigned i = 0; i < nl - al; i++) {
		p += *p + 1;
	}
	return zs__name_eq(p, apex);
}

/* Bytes written as \X (1) or \DDD (2) in the text form of a name. */
static uint8_t escapes[256];
static pthread_once_t escapes_once = PTHREAD_ONCE_INIT;

static void escapes_init(void)
{
	for (int c = 0; c < 256; c++) {
		escapes[c] = (c <= ' ' || c >= 0x7f) ? 2 : 0;
	}
	escapes['.'] = escapes['\\'] = escapes['"'] = escapes[';'] = 1;
	escapes['('] = escapes[')'] = escapes['@'] = escapes['$'] = 1;
}

size_t zs__name_to_text(const uint8_t *name, char *out)
{
	static const char digits[] = "0123456789";
	const uint8_t *esc = escapes;
	(void)pthread_once(&escapes_once, escapes_init);
	size_t o = 0;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	for (size_t i = 0; name[i] != 0; i += (size_t)name[i] + 1) {
		const uint8_t *label = name + i + 1;
		uint8_t len = name[i];
		uint8_t any = 0;
		if (i > 0) {
			out[o++] = '.';
		}
		for (size_t j = 0; j < len; j++) {
			out[o + j] = (char)label[j];
			any |= esc[label[j]];
		}
		if (any == 0) {
			o += len;
			continue;
		}
		for (size_t j = 0; j < len; j++) {
			uint8_t c = label[j];
			if (esc[c] == 1) {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (esc[c] == 2) {
				out[o++] = '\\';
				out[o++] = digits[c / 100];
				out[o++] = digits[(c / 10) % 10];
				out[o++] = digits[c % 10];
			} else {
				out[o++] = (char)c;
			}
		}
	}
	out[o] = '\0';
	return o;
}

/* MurmurHash3 x64 128 (public domain, Austin Appleby), over the wire name. */
static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static void hash128(const uint8_t *p, size_t len, uint64_t seed, uint64_t out[2])
{
	const uint64_t c1 = 0x87c37b91114253d5ULL;
	const uint64_t c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = seed;
	uint64_t h2 = seed;
	size_t blocks = len / 16;
	for (size_t i = 0; i < blocks; i++) {
		uint64_t k1;
		uint64_t k2;
		memcpy(&k1, p + i * 16, 8);
		memcpy(&k2, p + i * 16 + 8, 8);
		k1 *= c1;
		k1 = rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
		h1 = rotl64(h1, 27);
		h1 += h2;
		h1 = h1 * 5 + 0x52dce729;
		k2 *= c2;
		k2 = rotl64(k2, 33);
		k2 *= c1;
		h2 ^= k2;
		h2 = rotl64(h2, 31);
		h2 += h1;
		h2 = h2 * 5 + 0x38495ab5;
	}
	const uint8_t *tail = p + blocks * 16;
	size_t rest = len & 15;
	uint64_t k1 = 0;
	uint64_t k2 = 0;
	for (size_t i = rest; i > 8; i--) {
		k2 |= (uint64_t)tail[i - 1] << (8 * (i - 9));
	}
	for (size_t i = rest < 8 ? rest : 8; i > 0; i--) {
		k1 |= (uint64_t)tail[i - 1] << (8 * (i - 1));
	}
	k2 *= c2;
	k2 = rotl64(k2, 33);
	k2 *= c1;
	h2 ^= k2;
	k1 *= c1;
	k1 = rotl64(k1, 31);
	k1 *= c2;
	h1 ^= k1;
	h1 ^= len;
	h2 ^= len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	out[0] = h1;
	out[1] = h2 | 1; /* never the empty pair */
}

void zs__nameset_init(struct zs__nameset *s)
{
	memset(s, 0, sizeof(*s));
	if (getrandom(&s->seed, sizeof(s->seed), GRND_NONBLOCK) != (ssize_t)sizeof(s->seed)) {
		s->seed = 0x9e3779b97f4a7c15ULL;
	}
}

void zs__nameset_deinit(struct zs__nameset *s)
{
	for (size_t i = 0; i < ZS__NAMESET_SEGMENTS; i++) {
		zs_free(s->seg[i].slots);
	}
	memset(s->seg, 0, sizeof(s->seg));
	s->count = 0;
}

static struct zs__nameset_seg *segment(const struct zs__nameset *s, const uint64_t h[2])
{
	return (struct zs__nameset_seg *)&s->seg[h[1] >> 58];
}

static uint64_t *probe(const struct zs__nameset_seg *g, const uint64_t h[2])
{
	size_t mask = g->cap - 1;
	for (size_t i = h[0] & mask;; i = (i + 1) & mask) {
		uint64_t *slot = &g->slots[2 * i];
		if ((slot[0] == h[0] && slot[1] == h[1]) || (slot[0] == 0 && slot[1] == 0)) {
			return slot;
		}
	}
}

static void grow(struct zs__nameset_seg *g)
{
	struct zs__nameset_seg old = *g;
	g->cap = old.cap == 0 ? 64 : old.cap * 2;
	g->slots = zs_calloc(g->cap, 2 * sizeof(uint64_t));
	for (size_t i = 0; i < old.cap; i++) {
		uint64_t *from = &old.slots[2 * i];
		if (from[0] != 0 || from[1] != 0) {
			uint64_t *to = probe(g, from);
			to[0] = from[0];
			to[1] = from[1];
		}
	}
	zs_free(old.slots);
}

void zs__nameset_hash(const struct zs__nameset *s, const uint8_t *name, uint64_t h[2])
{
	hash128(name, zs__name_len(name), s->seed, h);
	const struct zs__nameset_seg *g = segment(s, h);
	if (g->cap > 0) {
		/* Bring the slot into cache while the group is being read: the set is far larger
		 * than the cache, and this probe would otherwise wait on memory. */
		__builtin_prefetch(&g->slots[2 * (h[0] & (g->cap - 1))], 1, 3);
	}
}

bool zs__nameset_add_hash(struct zs__nameset *s, const uint64_t h[2])
{
	struct zs__nameset_seg *g = segment(s, h);
	if ((uint64_t)(g->count + 1) * 5 > (uint64_t)g->cap * 4) {
		grow(g);
	}
	uint64_t *slot = probe(g, h);
	if (slot[0] != 0 || slot[1] != 0) {
		return false;
	}
	slot[0] = h[0];
	slot[1] = h[1];
	g->count++;
	s->count++;
	return true;
}

bool zs__nameset_add(struct zs__nameset *s, const uint8_t *name)
{
	uint64_t h[2];
	hash128(name, zs__name_len(name), s->seed, h);
	return zs__nameset_add_hash(s, h);
}

bool zs__nameset_has(const struct zs__nameset *s, const uint8_t *name)
{
	uint64_t h[2];
	if (s->count == 0) {
		return false;
	}
	hash128(name, zs__name_len(name), s->seed, h);
	const struct zs__nameset_seg *g = segment(s, h);
	if (g->cap == 0) {
		return false;
	}
	const uint64_t *slot = probe(g, h);
	return slot[0] != 0 || slot[1] != 0;
}

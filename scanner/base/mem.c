/* SPDX-License-Identifier: MIT */
/*
 * Never-failing allocation and the per-domain arena. In debug builds freed arena chunks are
 * filled with a poison byte so that a use after the domain ended shows up at once in tests
 * (sanitizer builds see it as a use after free anyway).
 */
#include "scanner/base/mem.h"

#include <assert.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *(*mem_malloc)(size_t) = malloc;
static void *(*mem_realloc)(void *, size_t) = realloc;
static void *(*mem_calloc)(size_t, size_t) = calloc;
static void (*mem_free)(void *) = free;

void zs_require_failed(const char *file, int line, const char *expr)
{
	fprintf(stderr, "zonesweep: %s:%d: requirement failed: %s\n", file, line, expr);
	abort();
}

static void oom(size_t size) __attribute__((noreturn));
static void oom(size_t size)
{
	fprintf(stderr, "zonesweep: out of memory allocating %zu bytes\n", size);
	abort();
}

int zs_replace_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                         void *(*calloc_fn)(size_t, size_t), void (*free_fn)(void *))
{
	mem_malloc = malloc_fn;
	mem_realloc = realloc_fn;
	mem_calloc = calloc_fn;
	mem_free = free_fn;
	return 0;
}

void *zs_malloc(size_t size)
{
	void *p = mem_malloc(size == 0 ? 1 : size);
	if (p == NULL) {
		oom(size);
	}
	return p;
}

void *zs_calloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		oom(SIZE_MAX);
	}
	void *p = mem_calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
	if (p == NULL) {
		oom(n * size);
	}
	return p;
}

void *zs_realloc(void *p, size_t size)
{
	void *q = mem_realloc(p, size == 0 ? 1 : size);
	if (q == NULL) {
		oom(size);
	}
	return q;
}

void *zs_reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		oom(SIZE_MAX);
	}
	return zs_realloc(p, n * size);
}

char *zs_strdup(const char *s)
{
	return zs_strndup(s, strlen(s));
}

char *zs_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = zs_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void zs_free(void *p)
{
	if (p != NULL) {
		mem_free(p);
	}
}

struct zs_arena_chunk {
	struct zs_arena_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

/* A domain's probe uses a few tens of KiB: start there rather than grow through small chunks. */
enum { ARENA_FIRST_CHUNK = 16 * 1024, ARENA_MAX_CHUNK = 128 * 1024, ARENA_POISON = 0xa5 };

void zs_arena_init(struct zs_arena *a)
{
	a->head = NULL;
	a->chunk_size = ARENA_FIRST_CHUNK;
	a->total = 0;
	a->meter = NULL;
}

void zs_meter_add(struct zs_meter *m, size_t n)
{
	for (; m != NULL; m = m->parent) {
		m->bytes += n;
		m->peak = m->bytes > m->peak ? m->bytes : m->peak;
	}
}

void zs_meter_sub(struct zs_meter *m, size_t n)
{
	for (; m != NULL; m = m->parent) {
		assert(m->bytes >= n);
		m->bytes -= n;
	}
}

void zs_arena_set_meter(struct zs_arena *a, struct zs_meter *meter)
{
	zs_meter_sub(a->meter, a->total);
	a->meter = meter;
	zs_meter_add(meter, a->total);
}

void zs_arena_deinit(struct zs_arena *a)
{
	struct zs_arena_chunk *c = a->head;
	struct zs_meter *meter = a->meter;

	while (c != NULL) {
		struct zs_arena_chunk *next = c->next;
#ifndef NDEBUG
		memset(c->data, ARENA_POISON, c->used); /* a use after the end shows at once */
#endif
		zs_free(c);
		c = next;
	}
	zs_meter_sub(meter, a->total);
	zs_arena_init(a);
	a->meter = meter;
}

void *zs_arena_alloc(struct zs_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	size_t need = (size + align - 1) & ~(align - 1);
	struct zs_arena_chunk *c = a->head;

	if (need < size) {
		oom(size);
	}
	if (c == NULL || c->size - c->used < need) {
		size_t csize = a->chunk_size;
		if (need > csize / 4) {
			csize = need; /* a large block gets a chunk of its own */
		} else if (a->chunk_size < ARENA_MAX_CHUNK) {
			a->chunk_size *= 2;
		}
		c = zs_malloc(sizeof(*c) + csize);
		c->size = csize;
		c->used = 0;
		if (a->head != NULL && csize == need) {
			/* keep allocating from the current chunk: put the big one behind it */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		a->total += csize;
		zs_meter_add(a->meter, csize);
	}
	void *p = c->data + c->used;
	c->used += need;
	return p;
}

void *zs_arena_calloc(struct zs_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		oom(SIZE_MAX);
	}
	void *p = zs_arena_alloc(a, n * size);
	memset(p, 0, n * size);
	return p;
}

char *zs_arena_strndup(struct zs_arena *a, const char *s, size_t n)
{
	char *p = zs_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *zs_arena_strdup(struct zs_arena *a, const char *s)
{
	return zs_arena_strndup(a, s, strlen(s));
}

void *zs_arena_memdup(struct zs_arena *a, const void *p, size_t n)
{
	if (n == 0) {
		return NULL;
	}
	void *q = zs_arena_alloc(a, n);
	memcpy(q, p, n);
	return q;
}

char *zs_arena_printf(struct zs_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_list ap2;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		n = 0;
	}
	char *p = zs_arena_alloc(a, (size_t)n + 1);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

/* SPDX-License-Identifier: MIT */
/*
 * Memory: allocation that never returns NULL (running out of memory is fatal, as in Redis and
 * BIND 9), a replaceable allocator so that unit tests can route every allocation through
 * cmocka's leak checker, and an arena that frees everything one domain made in one call.
 */
#pragma once

#include <stddef.h>

/** Abort with file:line when a caller breaks a contract; active in every build. */
#define ZS_REQUIRE(expr)                                              \
	do {                                                          \
		if (!(expr)) {                                        \
			zs_require_failed(__FILE__, __LINE__, #expr); \
		}                                                     \
	} while (0)

/** Called by ZS_REQUIRE(); prints the failed expression and aborts. */
void zs_require_failed(const char *file, int line, const char *expr) __attribute__((noreturn));

/**
 * Replace the allocator (tests only; call before the first allocation).
 * @return 0
 */
int zs_replace_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                         void *(*calloc_fn)(size_t, size_t), void (*free_fn)(void *));

/** malloc() that aborts on failure. @return never NULL */
void *zs_malloc(size_t size) __attribute__((malloc));
/** calloc() that checks the multiplication and aborts on failure. @return never NULL */
void *zs_calloc(size_t n, size_t size) __attribute__((malloc));
/** realloc() that aborts on failure. @return never NULL */
void *zs_realloc(void *p, size_t size);
/** reallocarray(): realloc of n * size, overflow-checked. @return never NULL */
void *zs_reallocarray(void *p, size_t n, size_t size);
/** strdup() that aborts on failure. @return never NULL, owned by the caller */
char *zs_strdup(const char *s) __attribute__((malloc));
/** strndup() that aborts on failure. @return never NULL, owned by the caller */
char *zs_strndup(const char *s, size_t n) __attribute__((malloc));
/** free(); NULL is a no-op */
void zs_free(void *p);

/**
 * A count of the bytes something holds, kept as they are taken and released. Meters add up:
 * each change of a meter is made to its parent too (a probe's meter counts its arenas and adds
 * up into its sweep's, which then holds the bytes of every probe alive at any moment).
 */
struct zs_meter {
	size_t bytes;
	size_t peak;             /**< the most bytes counted at once */
	struct zs_meter *parent; /**< NULL, or a meter that sees every change of this one */
};

/** Count @p n more bytes in @p m and its parents; NULL is a no-op. */
void zs_meter_add(struct zs_meter *m, size_t n);
/** Count @p n bytes fewer (released) in @p m and its parents; NULL is a no-op. */
void zs_meter_sub(struct zs_meter *m, size_t n);

/**
 * An arena: many small allocations released together by zs_arena_deinit(). Chunks grow
 * geometrically; a request larger than a chunk gets a chunk of its own.
 */
struct zs_arena {
	struct zs_arena_chunk *head; /**< newest chunk, where allocation happens */
	size_t chunk_size;           /**< size of the next regular chunk */
	size_t total;                /**< bytes held, for accounting */
	struct zs_meter *meter;      /**< NULL, or a meter that follows total */
};

/** Initialise an empty arena in caller storage. */
void zs_arena_init(struct zs_arena *a);
/**
 * Count the arena's bytes in @p meter from now on: what it holds is added at once, chunks
 * taken later are added and chunks released subtracted. NULL stops counting (what was
 * counted is subtracted).
 * @param meter  not owned; must outlive the arena or the next call
 */
void zs_arena_set_meter(struct zs_arena *a, struct zs_meter *meter);
/** Release every allocation of the arena; the arena may be reused, with the same meter. */
void zs_arena_deinit(struct zs_arena *a);
/** Allocate size bytes aligned for any type. @return never NULL, owned by @p a */
void *zs_arena_alloc(struct zs_arena *a, size_t size);
/** Allocate zeroed memory for n elements. @return never NULL, owned by @p a */
void *zs_arena_calloc(struct zs_arena *a, size_t n, size_t size);
/** Copy a string into the arena. @return never NULL, owned by @p a */
char *zs_arena_strdup(struct zs_arena *a, const char *s);
/** Copy n bytes into the arena and add a NUL. @return never NULL, owned by @p a */
char *zs_arena_strndup(struct zs_arena *a, const char *s, size_t n);
/** Copy n bytes into the arena. @return never NULL (NULL only when n == 0), owned by @p a */
void *zs_arena_memdup(struct zs_arena *a, const void *p, size_t n);
/** printf into the arena. @return never NULL, owned by @p a */
char *zs_arena_printf(struct zs_arena *a, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

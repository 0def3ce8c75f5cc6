/* SPDX-License-Identifier: MIT */
/*
 * Common header of the cmocka unit tests: routes zs_malloc() and friends through cmocka's
 * leak-checking allocator (as Knot Resolver's tests/unit/test.h does), so that every test
 * fails when it leaks.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scanner/base/mem.h"

static inline void *zs_test_malloc(size_t n)
{
	return _test_malloc(n, __FILE__, __LINE__);
}

static inline void *zs_test_calloc(size_t n, size_t size)
{
	return _test_calloc(n, size, __FILE__, __LINE__);
}

static inline void *zs_test_realloc(void *p, size_t n)
{
	return _test_realloc(p, n, __FILE__, __LINE__);
}

static inline void zs_test_free(void *p)
{
	_test_free(p, __FILE__, __LINE__);
}

/** Call first in main() of a unit test that wants leak checking. */
static inline void zs_test_use_cmocka_allocator(void)
{
	(void)zs_replace_allocator(zs_test_malloc, zs_test_realloc, zs_test_calloc, zs_test_free);
}

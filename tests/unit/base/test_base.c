/* SPDX-License-Identifier: MIT */
/* Unit tests of scanner/base: errors, buffers, arena, escaping, JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/answer.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/base/strset.h"
#include "tests/unit/test.h"

static void test_err_name_codes(void **state)
{
	assert_string_equal(zs_err_name(0), "OK");
	assert_string_equal(zs_err_name(ZS_ERR_PARSE), "ZS_ERR_PARSE");
	assert_string_equal(zs_err_name(ZS_ERR_AGAIN), "ZS_ERR_AGAIN");
	assert_string_equal(zs_err_name(-ENOENT), "ENOENT");
	assert_string_equal(zs_err_str(ZS_ERR_TIMEOUT), "no answer before the deadline");
}

static void test_buf_append_respects_max(void **state)
{
	struct zs_buf b;
	zs_buf_init(&b, 8);
	assert_int_equal(zs_buf_puts(&b, "abcd"), 0);
	assert_int_equal(zs_buf_puts(&b, "efghi"), ZS_ERR_TOOBIG);
	assert_string_equal(zs_buf_cstr(&b), "abcd");
	assert_int_equal(zs_buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(zs_buf_cstr(&b), "abcd1234");
	assert_int_equal(zs_buf_putc(&b, 'x'), ZS_ERR_TOOBIG);
	zs_buf_deinit(&b);
	zs_buf_init(&b, 8);
	assert_int_equal(zs_buf_puts(&b, "{}"), 0);
	assert_int_equal(zs_buf_insert(&b, 1, "a:1", 3), 0);
	assert_string_equal(zs_buf_cstr(&b), "{a:1}");
	assert_int_equal(zs_buf_insert(&b, 0, "xyzw", 4), ZS_ERR_TOOBIG);
	assert_string_equal(zs_buf_cstr(&b), "{a:1}");
	zs_buf_deinit(&b);
}

static void test_arena_alloc_many_and_large(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	for (int i = 0; i < 1000; i++) {
		char *s = zs_arena_printf(&a, "name-%d", i);
		assert_true(strncmp(s, "name-", 5) == 0);
	}
	char *big = zs_arena_alloc(&a, 100000);
	memset(big, 1, 100000);
	char *after = zs_arena_strdup(&a, "after");
	assert_string_equal(after, "after");
	zs_arena_deinit(&a);
	zs_arena_deinit(&a); /* twice is harmless */
}

static void test_arena_meter_adds_up_arenas(void **state)
{
	struct zs_arena a;
	struct zs_arena b;
	struct zs_meter sweep = { 0 };
	struct zs_meter probe = { .parent = &sweep };
	zs_arena_init(&a);
	zs_arena_init(&b);
	(void)zs_arena_alloc(&a, 1000);
	zs_arena_set_meter(&a, &sweep); /* what a holds already counts */
	assert_int_equal(sweep.bytes, a.total);
	zs_arena_set_meter(&b, &probe);
	for (int i = 0; i < 100; i++) {
		(void)zs_arena_alloc(&a, 5000);
		(void)zs_arena_alloc(&b, 300000); /* chunks of their own */
	}
	assert_true(b.total >= 100 * 300000);
	assert_int_equal(probe.bytes, b.total);
	assert_int_equal(sweep.bytes, a.total + b.total);
	size_t most = b.total;
	zs_arena_deinit(&b);
	assert_int_equal(probe.bytes, 0);
	assert_int_equal(probe.peak, most); /* the peak stays */
	assert_int_equal(sweep.bytes, a.total);
	(void)zs_arena_alloc(&b, 10); /* the meter survives deinit */
	assert_int_equal(sweep.bytes, a.total + b.total);
	zs_arena_set_meter(&a, NULL);
	assert_int_equal(sweep.bytes, b.total);
	zs_arena_deinit(&a);
	zs_arena_deinit(&b);
	assert_int_equal(sweep.bytes, 0);
}

static void test_escape_data_roundtrip(void **state)
{
	const char raw[] = "v=spf1\0 \x80\xff\\ \xc3\xa9 \t<x>";
	struct zs_buf e, d;
	zs_buf_init(&e, 1024);
	zs_buf_init(&d, 1024);
	assert_false(zs_data_is_plain(raw, sizeof(raw) - 1));
	assert_int_equal(zs_escape_data(&e, raw, sizeof(raw) - 1), 0);
	assert_string_equal(zs_buf_cstr(&e), "v=spf1\\x00 \\x80\\xff\\x5c \xc3\xa9 \\x09<x>");
	assert_int_equal(zs_unescape_data(&d, e.data, e.len), 0);
	assert_int_equal(d.len, sizeof(raw) - 1);
	assert_memory_equal(d.data, raw, d.len);
	zs_buf_reset(&d);
	assert_int_equal(zs_unescape_data(&d, "\\x4", 3), ZS_ERR_PARSE);
	assert_int_equal(zs_unescape_data(&d, "\\q41", 4), ZS_ERR_PARSE);
	zs_buf_deinit(&e);
	zs_buf_deinit(&d);
}

static void test_utf8_rejects_overlong_and_surrogates(void **state)
{
	assert_int_equal(zs_utf8_seq_len((const unsigned char *)"\xc0\x80", 2), 0);
	assert_int_equal(zs_utf8_seq_len((const unsigned char *)"\xed\xa0\x80", 3), 0);
	assert_int_equal(zs_utf8_seq_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(zs_utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(zs_utf8_seq_len((const unsigned char *)"\xe2\x82", 2), 0);
}

static void test_json_writer_nesting_and_escapes(void **state)
{
	struct zs_buf b;
	struct zs_json j;
	zs_buf_init(&b, 4096);
	zs_json_init(&j, &b);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "a", "x\"y");
	zs_json_key(&j, "list");
	zs_json_arr_begin(&j);
	zs_json_int(&j, 1);
	zs_json_bool(&j, true);
	zs_json_null(&j);
	zs_json_data(&j, "\x01<", 2);
	zs_json_arr_end(&j);
	zs_json_key(&j, "o");
	zs_json_obj_begin(&j);
	zs_json_obj_end(&j);
	zs_json_kstr(&j, "n", NULL);
	zs_json_obj_end(&j);
	assert_int_equal(zs_json_error(&j), 0);
	assert_string_equal(zs_buf_cstr(&b),
	                    "{\"a\":\"x\\\"y\",\"list\":[1,true,null,\"\\\\x01\\u003c\"],\"o\":{},"
	                    "\"n\":null}");
	zs_buf_deinit(&b);
}

static void test_json_writer_overflow_is_sticky(void **state)
{
	struct zs_buf b;
	struct zs_json j;
	zs_buf_init(&b, 10);
	zs_json_init(&j, &b);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "key", "a long value");
	zs_json_obj_end(&j);
	assert_int_equal(zs_json_error(&j), ZS_ERR_TOOBIG);
	zs_buf_deinit(&b);
}

static void test_dns_status_names_roundtrip(void **state)
{
	for (int s = 0; s < ZS_DNS_STATUS_COUNT_; s++) {
		enum zs_dns_status back;
		assert_int_equal(zs_dns_status_parse(zs_dns_status_name(s), &back), 0);
		assert_int_equal(back, s);
	}
	assert_true(zs_dns_status_is_answer(ZS_DNS_NXDOMAIN));
	assert_false(zs_dns_status_is_answer(ZS_DNS_TIMEOUT));
	/* a question rightly not asked is neither an answer nor a failure */
	assert_false(zs_dns_status_is_answer(ZS_DNS_NOT_ASKED));
	assert_false(zs_dns_status_is_failure(ZS_DNS_NOT_ASKED));
	assert_false(zs_dns_status_is_failure(ZS_DNS_NXDOMAIN));
	assert_true(zs_dns_status_is_failure(ZS_DNS_SERVFAIL));
	assert_true(zs_dns_status_is_failure(ZS_DNS_BADNAME));
	assert_string_equal(zs_rr_type_name(65), "TYPE65");
}

static void test_strset_add_has_grow(void **state)
{
	struct zs_strset set;
	char name[32];
	zs_strset_init(&set);
	assert_false(zs_strset_has(&set, "a.post"));
	for (int i = 0; i < 1000; i++) {
		(void)snprintf(name, sizeof(name), "d%d.post", i);
		assert_true(zs_strset_add(&set, name));
	}
	assert_false(zs_strset_add(&set, "d7.post"));
	assert_true(zs_strset_has(&set, "d999.post"));
	assert_false(zs_strset_has(&set, "d1000.post"));
	assert_int_equal(set.count, 1000);
	assert_null(zs_strset_get(&set, "d7.post"));
	*zs_strset_slot(&set, "d7.post") = &set;
	*zs_strset_slot(&set, "new.post") = &set.count;
	assert_ptr_equal(zs_strset_get(&set, "d7.post"), &set);
	assert_ptr_equal(zs_strset_get(&set, "new.post"), &set.count);
	assert_null(zs_strset_get(&set, "absent.post"));
	assert_int_equal(set.count, 1001);
	zs_strset_deinit(&set);
}

static void test_strset_slot_on_empty_set_grows_first(void **state)
{
	struct zs_strset set;
	zs_strset_init(&set);
	*zs_strset_slot(&set, "first.post") = &set; /* the first slot makes the table */
	assert_ptr_equal(zs_strset_get(&set, "first.post"), &set);
	zs_strset_deinit(&set);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_name_codes),
		cmocka_unit_test(test_buf_append_respects_max),
		cmocka_unit_test(test_arena_alloc_many_and_large),
		cmocka_unit_test(test_arena_meter_adds_up_arenas),
		cmocka_unit_test(test_escape_data_roundtrip),
		cmocka_unit_test(test_utf8_rejects_overlong_and_surrogates),
		cmocka_unit_test(test_json_writer_nesting_and_escapes),
		cmocka_unit_test(test_json_writer_overflow_is_sticky),
		cmocka_unit_test(test_dns_status_names_roundtrip),
		cmocka_unit_test(test_strset_add_has_grow),
		cmocka_unit_test(test_strset_slot_on_empty_set_grows_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

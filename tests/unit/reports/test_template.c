/* SPDX-License-Identifier: MIT */
/* Notice templates: parsing with file:line errors, rendering, the built-in ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/notice.h"
#include "reports/template.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "tests/unit/test.h"

static const char *const names[] = { "domain", "deadline" };

static void render_is(const char *text, const char *const *values, const char *want)
{
	struct zs_template *t = NULL;
	struct zs_buf out;
	assert_int_equal(zs_template_parse(text, strlen(text), "t", names, 2, &t, NULL), 0);
	zs_buf_init(&out, 4096);
	assert_int_equal(zs_template_render(t, values, &out), 0);
	assert_string_equal(zs_buf_cstr(&out), want);
	zs_buf_deinit(&out);
	zs_template_free(t);
}

static void test_template_render(void **state)
{
	const char *values[] = { "x.post", "2026-12-24" };
	(void)state;
	render_is("Fix {{domain}} by {{deadline}}.\n", values, "Fix x.post by 2026-12-24.\n");
	render_is("## a comment\n{{domain}}{{domain}}\n## another\nend", values,
	          "x.postx.post\nend");
	render_is("no placeholders { } {x}\n", values, "no placeholders { } {x}\n");
	/* values are inserted as given, never parsed as template text */
	const char *tricky[] = { "{{deadline}}", NULL };
	render_is("{{domain}}|{{deadline}}", tricky, "{{deadline}}|");
}

static void test_template_errors_name_the_line(void **state)
{
	struct zs_template *t = NULL;
	struct zs_buf errs;
	(void)state;
	zs_buf_init(&errs, 4096);
	const char *text = "ok {{domain}}\n## fine\nbad {{domian}}\n{{ domain }}\nx\0y\n";
	assert_int_equal(zs_template_parse(text, 52, "notice-body.txt", names, 2, &t, &errs),
	                 ZS_ERR_PARSE);
	assert_null(t);
	assert_non_null(
	        strstr(zs_buf_cstr(&errs), "notice-body.txt:3: unknown placeholder {{domian}}\n"));
	assert_non_null(
	        strstr(zs_buf_cstr(&errs), "notice-body.txt:4: '{{' opens no {{placeholder}}\n"));
	assert_non_null(strstr(zs_buf_cstr(&errs), "notice-body.txt:5: NUL"));
	zs_buf_deinit(&errs);
}

static void test_template_builtin_notices_load(void **state)
{
	static const char *const files[] = { "notice-subject.txt", "notice-body.txt",
		                             "notice-rule.txt" };
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;
		const char *const *p = zs_notice_placeholders(files[i], &n);
		struct zs_template *t = NULL;
		struct zs_buf errs;
		assert_non_null(p);
		zs_buf_init(&errs, 4096);
		assert_int_equal(zs_template_load(NULL, files[i], p, n, &t, &errs), 0);
		assert_int_equal(errs.len, 0);
		zs_template_free(t);
		zs_buf_deinit(&errs);
	}
	assert_null(zs_notice_placeholders("other.txt", &(size_t){ 0 }));
}

static void test_template_load_from_directory(void **state)
{
	char dir[] = "/tmp/zs-template-test.XXXXXX";
	char path[128];
	struct zs_template *t = NULL;
	struct zs_buf errs;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notice-subject.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("## edited\r\nAction needed for {{domain}}\r\n", f);
	fclose(f);
	zs_buf_init(&errs, 4096);
	assert_int_equal(zs_template_load(dir, "notice-subject.txt", names, 2, &t, &errs), 0);
	zs_template_free(t);
	assert_int_equal(zs_template_load(dir, "missing.txt", names, 2, &t, &errs), -2);
	assert_non_null(strstr(zs_buf_cstr(&errs), "missing.txt"));
	unlink(path);
	rmdir(dir);
	zs_buf_deinit(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_render),
		cmocka_unit_test(test_template_errors_name_the_line),
		cmocka_unit_test(test_template_builtin_notices_load),
		cmocka_unit_test(test_template_load_from_directory),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

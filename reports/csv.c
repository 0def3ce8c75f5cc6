/* SPDX-License-Identifier: MIT */
/* CSV cells with quoting and formula neutralisation. */
#include "reports/csv.h"

#include <string.h>

#include "scanner/base/escape.h"

static bool is_formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

int zs_csv_cell(struct zs_buf *line, bool first, const char *p, size_t n)
{
	struct zs_buf esc;
	int ret = 0;

	if (!first && (ret = zs_buf_putc(line, ',')) != 0) {
		return ret;
	}
	if (p == NULL || n == 0) {
		return 0;
	}
	/* Escaping first: control bytes become "\xNN", so no raw CR or tab survives. */
	zs_buf_init(&esc, line->max);
	if (zs_data_is_plain(p, n)) {
		ret = zs_buf_append(&esc, p, n);
	} else {
		ret = zs_escape_data(&esc, p, n);
	}
	if (ret != 0) {
		goto out;
	}
	const char *s = zs_buf_cstr(&esc);
	bool neutralise = is_formula_start(s[0]);
	bool quote =
	        neutralise || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[esc.len - 1] == ' ';
	if (quote) {
		ret = zs_buf_putc(line, '"');
	}
	if (ret == 0 && neutralise) {
		ret = zs_buf_putc(line, '\'');
	}
	for (size_t i = 0; ret == 0 && i < esc.len; i++) {
		if (s[i] == '"') {
			ret = zs_buf_putc(line, '"');
		}
		if (ret == 0) {
			ret = zs_buf_putc(line, s[i]);
		}
	}
	if (ret == 0 && quote) {
		ret = zs_buf_putc(line, '"');
	}
out:
	zs_buf_deinit(&esc);
	return ret;
}

int zs_csv_cell_str(struct zs_buf *line, bool first, const char *s)
{
	return zs_csv_cell(line, first, s, s != NULL ? strlen(s) : 0);
}

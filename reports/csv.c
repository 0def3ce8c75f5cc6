/* SPDX-License-Identifier: MIT */
/* CSV cells with quoting and formula neutralisation. */
#include "reports/csv.h"

#include <string.h>

#include "reports/text.h"
#include "scanner/base/escape.h"

static bool is_formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* Append the cell's text, quoted when it must be and with its quotes doubled. */
static int put_cell(struct zs_buf *line, const char *s, size_t n)
{
	bool neutralise = is_formula_start(s[0]);
	bool quote = neutralise || s[0] == ' ' || s[n - 1] == ' ';
	for (size_t i = 0; i < n && !quote; i++) {
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	}
	if (!quote) {
		return zs_buf_append(line, s, n);
	}
	int ret = zs_buf_putc(line, '"');
	if (ret == 0 && neutralise) {
		ret = zs_buf_putc(line, '\'');
	}
	size_t start = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (s[i] == '"') {
			ret = zs_buf_append(line, s + start, i + 1 - start);
			start = i; /* the quote goes out twice */
		}
	}
	ret = ret != 0 ? ret : zs_buf_append(line, s + start, n - start);
	return ret != 0 ? ret : zs_buf_putc(line, '"');
}

static int cell(struct zs_buf *line, bool first, const char *p, size_t n, bool data)
{
	struct zs_buf esc;
	int ret = 0;

	if (!first && (ret = zs_buf_putc(line, ',')) != 0) {
		return ret;
	}
	if (p == NULL || n == 0) {
		return 0;
	}
	if (data ? zs_data_is_plain(p, n) : zs_text_is_shown(p, n)) {
		return put_cell(line, p, n);
	}
	/* Escaping first: control bytes become "\xNN", so no raw CR or tab survives. */
	zs_buf_init(&esc, line->max);
	ret = data ? zs_escape_data(&esc, p, n) : zs_text_shown(&esc, p, n);
	if (ret == 0) {
		ret = put_cell(line, esc.data, esc.len);
	}
	zs_buf_deinit(&esc);
	return ret;
}

int zs_csv_cell(struct zs_buf *line, bool first, const char *p, size_t n)
{
	return cell(line, first, p, n, true);
}

int zs_csv_cell_str(struct zs_buf *line, bool first, const char *s)
{
	return cell(line, first, s, s != NULL ? strlen(s) : 0, true);
}

int zs_csv_cell_shown(struct zs_buf *line, bool first, const char *s)
{
	return cell(line, first, s, s != NULL ? strlen(s) : 0, false);
}

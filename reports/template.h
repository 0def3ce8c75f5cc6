/* SPDX-License-Identifier: MIT */
/*
 * Templates of the notices, editable by the secretariat (reports/templates/, built into the
 * binary; --templates DIR reads them from a directory instead). The syntax is deliberately
 * small: text with {{name}} placeholders, and lines beginning with "##" as comments that are
 * dropped. Each template has a fixed set of placeholder names; a template that names another
 * one is refused when it is loaded, with file:line, so a typo never reaches a registrant.
 * docs/notices.md lists the placeholders.
 */
#pragma once

#include <stddef.h>

#include "scanner/base/buf.h"
#include "scanner/policy/builtin_policies.h"

/** The templates of reports/templates/, embedded by cmake/embed_text.cmake. */
extern const struct zs_embedded_file zs_notice_templates[];
extern const size_t zs_notice_templates_count;

struct zs_template;

/**
 * Parse a template.
 * @param text    the template's text (need not be NUL-terminated)
 * @param origin  its name for messages (a file name)
 * @param names   the placeholder names it may use; a placeholder renders the value of the
 *                same index in zs_template_render()
 * @param[out] out   on success, the template (zs_template_free())
 * @param[out] errs  on ZS_ERR_PARSE, "origin:line: message" lines (may be NULL)
 * @return 0 or ZS_ERR_PARSE
 */
int zs_template_parse(const char *text, size_t len, const char *origin, const char *const *names,
                      size_t nnames, struct zs_template **out, struct zs_buf *errs);

/**
 * Load a template by file name ("notice-body.txt"): from @p dir when given, else the built-in
 * one, and parse it.
 * @return 0, ZS_ERR_NOTFOUND (no such built-in), ZS_ERR_PARSE (errs filled), ZS_ERR_TOOBIG
 *         (over 1 MiB), or -errno
 */
int zs_template_load(const char *dir, const char *name, const char *const *names, size_t nnames,
                     struct zs_template **out, struct zs_buf *errs);

/**
 * Render a template: its text with each placeholder replaced by values[index] (NULL renders
 * as nothing). The values are inserted as given: escaping is the caller's.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_template_render(const struct zs_template *t, const char *const *values, struct zs_buf *out);

/** Free a template; NULL is a no-op. */
void zs_template_free(struct zs_template *t);

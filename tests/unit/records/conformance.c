/* SPDX-License-Identifier: MIT */
/* Shared pieces of the conformance runners (see conformance.h). */
#include "tests/unit/records/conformance.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/mem.h"

void conf_judge(struct conf_tally *t, struct conf_deviation *dev, size_t ndev, const char *id,
                bool ok, const char *ours, const struct zs_findings *f, const char *why)
{
	struct conf_deviation *d = NULL;
	for (size_t i = 0; i < ndev && d == NULL; i++) {
		if (strcmp(dev[i].id, id) == 0) {
			d = &dev[i];
		}
	}
	t->total++;
	if (d == NULL) {
		if (ok) {
			t->pass++;
			return;
		}
		t->fail++;
		printf("  FAIL %s: %s (ours: %s)\n", id, why != NULL ? why : "", ours);
		for (size_t i = 0; f != NULL && i < f->count; i++) {
			printf("    %s: %s\n", zs_finding_name(f->item[i].code),
			       f->item[i].message);
		}
		return;
	}
	d->seen = true;
	if (ok) {
		t->fail++;
		printf("  FAIL %s: listed as a deviation but now agrees with the source\n", id);
	} else if (strcmp(ours, d->ours) != 0 || (f != NULL && !zs_findings_has(f, d->finding))) {
		t->fail++;
		printf("  FAIL %s: deviation expects %s with %s, got %s\n", id, d->ours,
		       zs_finding_name(d->finding), ours);
	} else {
		t->deviation++;
		printf("  deviation %s: %s\n", id, d->reason);
	}
}

void conf_report(const char *file, const struct conf_tally *t)
{
	printf("conformance %s: %zu/%zu pass, %zu documented deviations, %zu failures\n", file,
	       t->pass, t->total, t->deviation, t->fail);
}

size_t conf_unseen(const struct conf_deviation *dev, size_t ndev)
{
	size_t n = 0;
	for (size_t i = 0; i < ndev; i++) {
		if (!dev[i].seen) {
			printf("  FAIL deviation %s names no vector\n", dev[i].id);
			n++;
		}
	}
	return n;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

size_t conf_list_yaml(const char *dir, char **names, size_t max)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		return 0;
	}
	size_t n = 0;
	for (struct dirent *e = readdir(d); e != NULL && n < max; e = readdir(d)) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0) {
			names[n++] = zs_strdup(e->d_name);
		}
	}
	(void)closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	return n;
}

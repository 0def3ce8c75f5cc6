/* SPDX-License-Identifier: MIT */
/*
 * What the conformance runners share: the list of vectors whose verdict the project does not
 * share (each with the project's own verdict and the finding that explains it), the judging of
 * one vector against the source and against that list, per-file tallies, and the listing of a
 * vector directory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "scanner/policy/finding.h"

struct conf_deviation {
	const char *id;
	const char *ours;             /**< the project's verdict, in the vector file's terms */
	enum zs_finding_code finding; /**< the finding that must explain it */
	const char *reason;
	bool seen;
};

struct conf_tally {
	size_t total;
	size_t pass;
	size_t deviation;
	size_t fail;
};

/**
 * Judge one vector. Not listed: @p ok decides. Listed: the vector must disagree with the source
 * (@p ok false), our verdict must be the listed one and @p f (when not NULL) must hold the
 * listed finding; a listed vector that agrees with the source fails, so the list stays true.
 */
void conf_judge(struct conf_tally *t, struct conf_deviation *dev, size_t ndev, const char *id,
                bool ok, const char *ours, const struct zs_findings *f, const char *why);

/** Print a file's line "conformance FILE: P/N pass, D documented deviations, F failures". */
void conf_report(const char *file, const struct conf_tally *t);

/** Print and count the listed deviations no vector named. @return how many */
size_t conf_unseen(const struct conf_deviation *dev, size_t ndev);

/**
 * The *.yaml files of a directory, sorted; names are zs_strdup()ed (free each with zs_free()).
 * @return how many (at most @p max), or 0 when the directory cannot be read
 */
size_t conf_list_yaml(const char *dir, char **names, size_t max);

/* SPDX-License-Identifier: MIT */
/*
 * A small, fixed history of runs stored through the real db/ writer, for the reports' golden
 * tests: .post run A (complete), run B (complete: a domain newly non-compliant, one fixed, one
 * new, one removed, hostile bytes in facts, reasons and raw TXT records), run C (interrupted,
 * partial), a .bank run without domains and an .insurance run whose domains are all
 * indeterminate. Every time in the database is then set to a fixed value, so reports made
 * with FIXTURE_NOW are byte for byte the same on every machine.
 */
#pragma once

#include <stdint.h>

#include "db/db.h"

/** The fixture's runs. */
struct fixture {
	int64_t run_a;
	int64_t run_b;
	int64_t run_c;     /**< interrupted */
	int64_t run_empty; /**< .bank, no domain */
	int64_t run_indet; /**< .insurance, only indeterminate domains */
};

/** The reports' date: 2026-11-23 12:00:00 UTC. */
#define FIXTURE_NOW INT64_C(1795435200)

/** When run A started (the others start a day apart): 2026-11-20 06:00:00 UTC. */
#define FIXTURE_T0 INT64_C(1795154400)

/**
 * Store the fixture in a migrated database and fix its times.
 * @param conninfo  the database
 * @param exec      runs SQL on the database (the test's helper), for the times
 */
void fixture_build(const char *conninfo, void (*exec)(const char *sql, void *arg), void *arg,
                   struct fixture *out);

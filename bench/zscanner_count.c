/* SPDX-License-Identifier: MIT */
/*
 * A comparison point of the zone-reading benchmark (bench/zone_read.sh): reads a zone file with
 * Knot DNS's libzscanner (Debian libknot-dev), a callback per record, and prints the number of
 * delegations (owners of NS records below the apex, counted once per run of records of the same
 * owner), as bench/ldns_count.c does with ldns.
 *
 * usage: zscanner_count ZONEFILE ORIGIN
 */
#include <ctype.h>
#include <libzscanner/scanner.h>
#include <stdio.h>
#include <string.h>

struct count {
	unsigned long records;
	unsigned long delegations;
	unsigned long errors;
	uint8_t apex[256];
	size_t apex_len;
	uint8_t last[256];
	size_t last_len;
};

static void lower(uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		name[i] = (uint8_t)tolower(name[i]);
	}
}

static void on_record(zs_scanner_t *s)
{
	struct count *c = s->process.data;
	c->records++;
	if (s->r_type != 2) {
		return;
	}
	uint8_t owner[256];
	size_t len = s->r_owner_length;
	memcpy(owner, s->r_owner, len);
	lower(owner, len);
	if (len == c->apex_len && memcmp(owner, c->apex, len) == 0) {
		return;
	}
	if (len == c->last_len && memcmp(owner, c->last, len) == 0) {
		return;
	}
	c->delegations++;
	memcpy(c->last, owner, len);
	c->last_len = len;
}

static void on_error(zs_scanner_t *s)
{
	struct count *c = s->process.data;
	c->errors++;
}

int main(int argc, char **argv)
{
	zs_scanner_t s;
	struct count c = { 0 };
	if (argc != 3) {
		fprintf(stderr, "usage: zscanner_count ZONEFILE ORIGIN\n");
		return 2;
	}
	if (zs_init(&s, argv[2], 1, 3600) != 0 || zs_set_input_file(&s, argv[1]) != 0 ||
	    zs_set_processing(&s, on_record, on_error, &c) != 0) {
		fprintf(stderr, "%s: %s\n", argv[1], zs_strerror(s.error.code));
		zs_deinit(&s);
		return 1;
	}
	/* The apex in wire form, lower case: the origin as the scanner holds it. */
	memcpy(c.apex, s.zone_origin, s.zone_origin_length);
	c.apex_len = s.zone_origin_length;
	lower(c.apex, c.apex_len);
	if (zs_parse_all(&s) != 0) {
		fprintf(stderr, "%s: %s\n", argv[1], zs_strerror(s.error.code));
	}
	zs_deinit(&s);
	printf("%lu\n", c.delegations);
	fprintf(stderr, "%s: %lu records, %lu errors\n", argv[1], c.records, c.errors);
	return 0;
}

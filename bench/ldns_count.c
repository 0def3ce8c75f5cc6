/* SPDX-License-Identifier: MIT */
/*
 * The reference of the zone-reading benchmark (bench/zone_read.sh): reads a zone file with
 * ldns_rr_new_frm_fp_l() record by record, as a plain ldns program would, and prints the number
 * of delegations (owners of NS records below the apex, counted once per run of records of the
 * same owner). Built by the benchmark script: cc -O2 ldns_count.c -lldns.
 *
 * usage: ldns_count ZONEFILE
 */
#include <stdio.h>

#include <ldns/ldns.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ldns_count ZONEFILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	ldns_rdf *origin = NULL;
	ldns_rdf *prev = NULL;
	ldns_rdf *apex = NULL;
	ldns_rdf *last = NULL;
	uint32_t ttl = 3600;
	int line = 1;
	unsigned long records = 0;
	unsigned long delegations = 0;
	unsigned long errors = 0;
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);
		if (st != LDNS_STATUS_OK) {
			if (st != LDNS_STATUS_SYNTAX_EMPTY && st != LDNS_STATUS_SYNTAX_TTL &&
			    st != LDNS_STATUS_SYNTAX_ORIGIN && !feof(f)) {
				errors++;
			}
			continue;
		}
		records++;
		ldns_rdf *owner = ldns_rr_owner(rr);
		ldns_dname2canonical(owner);
		if (apex == NULL && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			apex = ldns_rdf_clone(owner);
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && apex != NULL &&
		    ldns_dname_compare(owner, apex) != 0 &&
		    (last == NULL || ldns_dname_compare(owner, last) != 0)) {
			delegations++;
			ldns_rdf_deep_free(last);
			last = ldns_rdf_clone(owner);
		}
		ldns_rr_free(rr);
	}
	fclose(f);
	printf("%lu\n", delegations);
	fprintf(stderr, "%s: %lu records, %lu errors\n", argv[1], records, errors);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(apex);
	ldns_rdf_deep_free(last);
	return 0;
}

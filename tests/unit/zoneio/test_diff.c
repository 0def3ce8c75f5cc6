/* SPDX-License-Identifier: MIT */
/*
 * Differential test of the two master-file parsers: the fast tokenizer must derive exactly the
 * delegations (names, NS, DS, glue), serial and record and error counts that the ldns reference
 * derives, on every test zone and on randomly generated zones that mix in the tricky parts of
 * the syntax: $ORIGIN and $TTL changes, relative, absolute, escaped and mixed-case owners, @,
 * omitted owners, TTLs with units, parentheses and comments inside records, quoted strings with
 * ; ( ) and escaped quotes, unknown types in RFC 3597 form, known types in \# form, DNSSEC
 * mnemonics, glue, occluded and glue-only names, non-adjacent groups and a few bad records.
 * The generator is seeded, so a failure names the seed that reproduces it.
 */
#include <dirent.h>
#include <unistd.h>

#include "scanner/base/log.h"
#include "tests/unit/test.h"
#include "tests/unit/zoneio/zone_test_util.h"

#define DATA        ZS_TEST_DATA "/zoneio"
#define RANDOM_RUNS 300

static int compare_engines(const char *path, const struct zs_zone_opts *base, const char *what)
{
	struct zs_zone_opts o = *base;
	int ret_fast;
	int ret_ldns;
	o.engine = ZS_ZONE_ENGINE_FAST;
	char *fast = zs_test_render(path, &o, 0, &ret_fast);
	o.engine = ZS_ZONE_ENGINE_LDNS;
	char *ref = zs_test_render(path, &o, 0, &ret_ldns);
	int differ = strcmp(fast, ref) != 0 || ret_fast != ret_ldns;
	if (differ) {
		print_error("%s: engines differ\n--- ldns\n%s--- fast\n%s", what, ref, fast);
	}
	zs_free(fast);
	zs_free(ref);
	return differ;
}

static void test_diff_test_zones(void **state)
{
	DIR *dir = opendir(DATA);
	struct dirent *e;
	int zones = 0;
	int differ = 0;
	assert_non_null(dir);
	for (e = readdir(dir); e != NULL; e = readdir(dir)) {
		size_t n = strlen(e->d_name);
		char path[1024];
		struct zs_test_case_opts c;
		if (n < 6 || strcmp(e->d_name + n - 5, ".zone") != 0) {
			continue;
		}
		(void)snprintf(path, sizeof(path), "%s/%s", DATA, e->d_name);
		zs_test_case_opts_read(path, &c);
		if (c.fast_only) {
			continue; /* what ldns gets wrong is in the golden files */
		}
		zones++;
		differ += compare_engines(path, &c.opts, e->d_name);
	}
	closedir(dir);
	assert_true(zones >= 10);
	assert_int_equal(differ, 0);
}

/* xorshift64*: deterministic across platforms. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545F4914F6CDD1DULL;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static bool chance(unsigned percent)
{
	return pick(100) < percent;
}

/* A label, sometimes in mixed case or with escapes (that name the same or other bytes). */
static void put_label(FILE *f, unsigned id)
{
	static const char *const words[] = { "alpha", "bravo",   "charlie", "delta",
		                             "echo",  "foxtrot", "golf",    "hotel" };
	const char *w = words[id % 8];
	for (size_t i = 0; w[i] != '\0'; i++) {
		char c = w[i];
		if (chance(10)) {
			c = (char)(c - 'a' + 'A');
		}
		if (chance(3)) {
			fprintf(f, "\\%03u", (unsigned)(unsigned char)c);
		} else {
			fputc(c, f);
		}
	}
	fprintf(f, "%u", id / 8);
	if (id % 17 == 3) {
		fputs("\\.", f); /* a dot inside the label */
	} else if (id % 17 == 5) {
		fputs("\\032", f); /* a space */
	}
}

struct gen {
	FILE *f;
	int origin; /**< 0: the apex "bank."; 1: "sub.bank." */
};

/* A name below the apex or below sub.bank: relative to the origin in force, or absolute. */
static void put_owner(struct gen *g, unsigned id, bool sub)
{
	put_label(g->f, id);
	if (chance(20) || (!sub && g->origin == 1)) {
		fputs(sub ? ".Sub.bank." : ".BANK.", g->f);
	} else if (sub && g->origin == 0) {
		fputs(".sub", g->f);
	}
}

static void put_ttl_class(FILE *f)
{
	static const char *const ttls[] = { "3600", "1h", "1h30m", "86400", "2d", "300" };
	if (chance(40)) {
		fprintf(f, " %s", ttls[pick(6)]);
	}
	if (chance(50)) {
		fputs(chance(80) ? " IN" : " CLASS1", f);
	}
}

static void put_ns_target(FILE *f, unsigned host)
{
	switch (pick(4)) {
	case 0:
		fprintf(f, "ns%u.dns%u.net.", pick(3), host);
		break;
	case 1:
		fprintf(f, "NS%u.Dns%u.NET.", pick(3), host);
		break;
	case 2:
		fprintf(f, "( ns%u.example%u.org. ) ; in parentheses", pick(3), host);
		break;
	default:
		fprintf(f, "ns.dns%u.net.", host);
		break;
	}
}

static void put_noise(FILE *f)
{
	switch (pick(8)) {
	case 0:
		fputs("; a comment line (with parentheses and \"quotes\"\n", f);
		break;
	case 1:
		fputs("\n", f);
		break;
	case 2:
		fputs("@ TXT \"v=spf1 -all; (x)\" \"say \\\"hi\\\"\" plain\\;text\n", f);
		break;
	case 3:
		fputs("@ TYPE65280 \\# 4 0a0b0c0d\n", f);
		break;
	case 4:
		fputs("$TTL 2h\n", f);
		break;
	case 5:
		fputs("www A 192.0.2.80 ; an address at a name that owns no NS\n", f);
		break;
	case 6:
		fputs("bad-a A 192.0.2.300\n", f);
		break;
	default:
		fputs("bad-type FOOTYPE 1 2 3\n", f);
		break;
	}
}

static void put_delegation(struct gen *g, unsigned id)
{
	FILE *f = g->f;
	bool sub = chance(15);
	bool glue = chance(20);
	unsigned nns = 1 + pick(4);
	put_owner(g, id, sub);
	put_ttl_class(f);
	fputs(" NS ", f);
	if (glue) {
		fputs("ns1.", f);
		put_owner(g, id, sub);
	} else {
		put_ns_target(f, pick(50));
	}
	fputs(chance(20) ? " ; first NS\n" : "\n", f);
	for (unsigned k = 1; k < nns; k++) {
		fputs("\t", f);
		put_ttl_class(f);
		if (chance(10)) {
			/* an NS in RFC 3597 form: ns.x. */
			fputs(" TYPE2 \\# 6 026e73017800\n", f);
			continue;
		}
		fputs(" NS ", f);
		put_ns_target(f, pick(50));
		fputs("\n", f);
	}
	if (chance(35)) {
		static const char *const algs[] = { "8", "13", "RSASHA256", "ecdsap256sha256",
			                            "15" };
		fprintf(f, "\tDS %u %s %u ( 0123456789ABCDEF\n\t\t0123456789abcdef ) ; digest\n",
		        pick(65536), algs[pick(5)], 1 + pick(2));
	}
	if (chance(5)) {
		fputs("\tDS \\# 6 1267080201ff\n", f);
	}
	if (glue) {
		fputs("ns1.", f);
		put_owner(g, id, sub);
		fprintf(f, " A 198.51.100.%u\n", pick(256));
		if (chance(50)) {
			fprintf(f, "\tAAAA 2001:DB8::%x\n", pick(65536));
		}
		if (chance(30)) {
			fputs("\tA \\# 4 c0000201\n", f);
		}
	}
	if (chance(10)) {
		/* occluded: a name and an NS below the delegation */
		fputs("deep.", f);
		put_owner(g, id, sub);
		fputs(" NS ns.occluded.net.\n", f);
	}
}

static void generate(const char *path, uint64_t seed)
{
	FILE *f = fopen(path, "w");
	struct gen g = { .f = f, .origin = 0 };
	assert_non_null(f);
	rnd_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	fputs("$ORIGIN bank.\n$TTL 3600\n", f);
	fprintf(f, "@ IN SOA ns1.nic hostmaster.nic ( %u ; serial\n\t3600 900 1w 300 )\n",
	        (unsigned)pick(1000000));
	fputs("@ NS ns1.nic\nns1.nic A 192.0.2.1\n", f);
	unsigned count = 20 + pick(150);
	for (unsigned id = 0; id < count; id++) {
		if (chance(8)) {
			g.origin = 1 - g.origin;
			fputs(g.origin == 1 ? "$ORIGIN sub.bank.\n" : "$ORIGIN bank.\n", f);
		}
		if (chance(15)) {
			put_noise(f);
		}
		put_delegation(&g, chance(5) && id > 0 ? id - 1 : id); /* some non-adjacent */
	}
	assert_int_equal(fclose(f), 0);
}

static void test_diff_random_zones(void **state)
{
	char path[512];
	const char *dir = getenv("TMPDIR");
	int differ = 0;
	(void)snprintf(path, sizeof(path), "%s/zs_test_diff_%d.zone", dir != NULL ? dir : "/tmp",
	               (int)getpid());
	for (uint64_t seed = 1; seed <= RANDOM_RUNS; seed++) {
		char what[64];
		struct zs_zone_opts o = { 0 };
		generate(path, seed);
		(void)snprintf(what, sizeof(what), "random zone, seed %llu",
		               (unsigned long long)seed);
		if (compare_engines(path, &o, what) != 0) {
			differ++;
			break; /* keep the file of the first seed that differs */
		}
	}
	if (differ == 0 && getenv("ZS_DIFF_KEEP") == NULL) {
		(void)unlink(path);
	} else {
		print_error("the zone is in %s\n", path);
	}
	assert_int_equal(differ, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_test_zones),
		cmocka_unit_test(test_diff_random_zones),
	};
	zs_test_use_cmocka_allocator();
	zs_log_set_level(ZS_LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

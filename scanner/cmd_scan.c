/* SPDX-License-Identifier: MIT */
/*
 * zonesweep scan: the nightly sweep. Reads the zone, probes every delegated domain through the
 * resolvers, stores each result (PostgreSQL and/or JSON Lines) and prints a one-screen
 * summary. A run that cannot complete is marked as such; nothing already stored is lost.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "db/reader.h"
#include "db/run.h"
#include "db/writer.h"
#include "reports/output.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/base/strset.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/dkim_learn.h"
#include "scanner/policy/dkim_provider.h"
#include "scanner/policy/psl.h"
#include "scanner/policy/ruleset.h"
#include "scanner/session.h"
#include "scanner/sweep.h"
#include "zoneio/check.h"

struct scan_ctx {
	const char *tld;
	const char *policy;
	const char *policy_version;
	struct zs_out *jsonl;
	struct zs_buf line;
	uint64_t jsonl_lines;
	int jsonl_err;    /* the first failed write: the file is abandoned */
	struct zs_db *db; /* NULL with --no-db */
	struct zs_db_writer *writer;
	unsigned db_patience_ms; /* --db-patience; 0: the writer's default */
	int64_t run_id;
	struct zs_strset stored;        /* --resume: domains the run already has */
	struct zs_db_verdict_row *rows; /* scratch for converting verdicts */
	size_t rows_cap;
	struct zs_db_raw_txt *raws;
	size_t raws_cap;
	size_t queue_bytes;              /* --queue-mb, for the writer (0: its default) */
	char resolvers[256];             /* the --resolver texts, for messages */
	struct zs_strset extras;         /* domain -> struct domain_extra, from the database */
	struct zs_dkim_learned *learned; /* the sweep's learned DKIM selectors, or NULL */
	/* zone sanity (zoneio/check.h): the zone read once before the run begins */
	bool surveyed;                    /* false for standard input: checked at the end */
	struct zs_zone_stats survey;      /* what that read found */
	struct zs_zone_baseline baseline; /* the TLD's previous complete run */
	struct zs_zone_limits limits;
	bool allow_zone_change; /* --resume with a zone other than the run's */
};

/* Most providers whose learned DKIM selectors a sweep keeps (dkim_learn.h), and most learned
 * selectors kept with the run for the next one. */
enum { LEARN_PROVIDERS_MAX = 10000, LEARN_STORED_MAX = 10000 };

/* What the registry knows of a domain beyond the zone: declared selectors, exemptions. */
struct domain_extra {
	const char **selectors;
	size_t selector_count;
	size_t selector_cap;
	struct zs_exemption *exemptions;
	size_t exemption_count;
	size_t exemption_cap;
};

static struct domain_extra *extra_of(struct scan_ctx *ctx, const char *domain)
{
	void **slot = zs_strset_slot(&ctx->extras, domain);
	if (*slot == NULL) {
		*slot = zs_arena_calloc(&ctx->extras.arena, 1, sizeof(struct domain_extra));
	}
	return *slot;
}

/* Grow an arena array by one element (the arena keeps the old copy until the end). */
static void *arena_push(struct zs_arena *a, void *base, size_t *count, size_t *cap, size_t size)
{
	if (*count == *cap) {
		*cap = *cap == 0 ? 4 : *cap * 2;
		void *grown = zs_arena_calloc(a, *cap, size);
		if (*count > 0) {
			memcpy(grown, base, *count * size);
		}
		base = grown;
	}
	(*count)++;
	return base;
}

static int add_selector(const char *domain, const char *selector, void *arg)
{
	struct scan_ctx *ctx = arg;
	struct domain_extra *x = extra_of(ctx, domain);
	x->selectors = arena_push(&ctx->extras.arena, x->selectors, &x->selector_count,
	                          &x->selector_cap, sizeof(*x->selectors));
	x->selectors[x->selector_count - 1] = zs_arena_strdup(&ctx->extras.arena, selector);
	return 0;
}

static int add_exemption(const struct zs_db_exemption *e, void *arg)
{
	struct scan_ctx *ctx = arg;
	struct zs_arena *a = &ctx->extras.arena;
	struct domain_extra *x = extra_of(ctx, e->domain);
	x->exemptions = arena_push(a, x->exemptions, &x->exemption_count, &x->exemption_cap,
	                           sizeof(*x->exemptions));
	struct zs_exemption *ex = &x->exemptions[x->exemption_count - 1];
	ex->rule = zs_arena_strdup(a, e->rule);
	ex->until = zs_arena_strdup(a, e->until);
	ex->why = e->why != NULL ? zs_arena_strdup(a, e->why) : NULL;
	return 0;
}

/* A selector the last complete run learned: usable from the start of this one. */
static int seed_learned(const struct zs_db_dkim_learned *l, void *arg)
{
	(void)zs_dkim_learned_seed(arg, l->provider, l->selector, l->domains);
	return 0;
}

static void domain_info(void *arg, struct zs_probe_domain *dom)
{
	struct scan_ctx *ctx = arg;
	const struct domain_extra *x = zs_strset_get(&ctx->extras, dom->name);
	if (x != NULL) {
		dom->declared_selectors = x->selectors;
		dom->declared_count = x->selector_count;
		dom->exemptions = x->exemptions;
		dom->exemption_count = x->exemption_count;
	}
}

static int push_db(struct scan_ctx *ctx, const struct zs_probe_result *r)
{
	struct zs_db_result res = { .domain = r->domain,
		                    .warnings = (unsigned)r->warnings,
		                    .facts_json = zs_buf_cstr(&r->facts) };
	int ret = zs_db_status_parse(r->status, &res.status);
	if (ret == 0) {
		ret = zs_db_mail_parse(r->mail_kind, &res.mail);
	}
	if (ret != 0) {
		return ret;
	}
	if (r->verdict_count > ctx->rows_cap) {
		ctx->rows_cap = r->verdict_count * 2;
		ctx->rows = zs_reallocarray(ctx->rows, ctx->rows_cap, sizeof(*ctx->rows));
	}
	for (size_t i = 0; i < r->verdict_count; i++) {
		ctx->rows[i].rule = r->verdicts[i].rule;
		ctx->rows[i].reason = r->verdicts[i].reason;
		ret = zs_db_verdict_parse(r->verdicts[i].verdict, &ctx->rows[i].verdict);
		if (ret != 0) {
			return ret;
		}
	}
	if (r->raw_count > ctx->raws_cap) {
		ctx->raws_cap = r->raw_count * 2;
		ctx->raws = zs_reallocarray(ctx->raws, ctx->raws_cap, sizeof(*ctx->raws));
	}
	for (size_t i = 0; i < r->raw_count; i++) {
		ctx->raws[i].owner = r->raw[i].owner;
		ctx->raws[i].data = r->raw[i].data;
		ctx->raws[i].len = r->raw[i].len;
	}
	res.verdicts = ctx->rows;
	res.verdict_count = r->verdict_count;
	res.raw = ctx->raws;
	res.raw_count = r->raw_count;
	return zs_db_writer_push(ctx->writer, &res);
}

static void scan_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep scan --zone FILE --tld TLD [options]\n"
	        "\n"
	        "Sweep every delegated domain of a TLD zone: query its mail records through the\n"
	        "resolvers, evaluate them, store the results, and print a summary.\n"
	        "\n"
	        "input:\n"
	        "  --zone FILE          the TLD zone file (plain or gzip), or - for stdin\n"
	        "  --tld TLD            the zone's apex, e.g. post or bank\n"
	        "  --strict             stop at the first zone syntax error (default: skip, count)\n"
	        "  --allow-include      permit $INCLUDE of files under the zone file's directory\n"
	        "  --max-zone-errors PCT  refuse a zone with more syntax errors (default 1)\n"
	        "  --max-shrink PCT     refuse a zone with this share fewer delegations than the\n"
	        "                       previous complete run's (default 10)\n"
	        "  --allow-shrink       the zone did shrink: no --max-shrink limit\n"
	        "  --allow-empty        the zone has no delegation yet (a new TLD)\n"
	        "DNS:\n" ZS_CLI_DNS_HELP "  --window N           domains in flight (default 1000)\n"
	        "  --window-mb MB       memory the domains in flight and their results waiting\n"
	        "                       to be stored may take (default 256)\n"
	        "  --budget SECONDS     time allowed per domain (default 60)\n"
	        "  --no-retry           no deferred retry pass for domains with DNS failures\n"
	        "  --retry-delay SECONDS  pause before the deferred pass (default 5)\n"
	        "storage:\n"
	        "  --db CONNINFO        PostgreSQL connection string or URI (default: the PG*\n"
	        "                       environment variables and ~/.pgpass, as psql)\n"
	        "  --no-db              do not store in a database (needs --jsonl)\n"
	        "  --resume RUN         continue an interrupted run, skipping stored domains\n"
	        "  --db-patience SECONDS  how long the database may stay unreachable before the\n"
	        "                       sweep stops, its run resumable (default 60)\n"
	        "  --queue-mb MB        memory the results queued for the database may take\n"
	        "                       (default 256)\n"
	        "  --allow-zone-change  let --resume continue with a zone other than the run's\n"
	        "policy:\n"
	        "  --policy NAME|FILE   the ruleset (default: post for .post, ftld for .bank and\n"
	        "                       .insurance, baseline otherwise)\n"
	        "  --selectors FILE     DKIM selectors to probe, one per line (default: the\n"
	        "                       built-in list of common selectors)\n"
	        "  --providers FILE     mail providers and the DKIM selectors they use (default:\n"
	        "                       the built-in table)\n"
	        "  --no-learn           do not probe selectors learned at other domains of the\n"
	        "                       same provider (in this run or the previous ones)\n"
	        "output:\n"
	        "  --jsonl FILE         write one JSON object per domain (gzip unless *.jsonl)\n"
	        "  --overwrite          replace an existing --jsonl file\n"
	        "  --quiet              no progress output\n"
	        "  --debug GROUPS       debug logs for groups (main,zone,dns,policy,db,report,all)\n"
	        "\n"
	        "\n"
	        "Before a run is stored, the zone is read once and refused (one line saying why,\n"
	        "nothing stored) when it has no SOA at the apex, no delegation, too many syntax\n"
	        "errors, or too few delegations; a resumed run must read the zone it began with.\n"
	        "\n"
	        "Exit status: 0 the sweep completed, 1 the zone was refused or the sweep failed or\n"
	        "was interrupted, 2 usage error.\n");
}

static int emit_result(void *arg, const struct zs_probe *p)
{
	struct scan_ctx *ctx = arg;
	const struct zs_probe_result *r = zs_probe_result(p);

	/* the database first: when it pushes back, nothing else is written twice */
	if (ctx->writer != NULL) {
		int ret = push_db(ctx, r);
		if (ret != 0) {
			return ret;
		}
	}
	if (ctx->jsonl != NULL) {
		zs_buf_reset(&ctx->line);
		int ret = zs_probe_result_json(p, &ctx->line);
		if (ret == 0) {
			ret = zs_buf_putc(&ctx->line, '\n');
		}
		if (ret == 0) {
			ret = zs_out_write(ctx->jsonl, ctx->line.data, ctx->line.len);
			ctx->jsonl_err = ret;
		}
		if (ret != 0) {
			return ret;
		}
		ctx->jsonl_lines++;
	}
	return 0;
}

/* What the summary says was stored: what the database holds when there is one (the sweep's
 * own counts include results the writer could not store), else what the JSON Lines file got. */
struct tally {
	uint64_t stored;
	uint64_t status[ZS_DB_STATUS_COUNT_];
	uint64_t quarantined;
	uint64_t lost; /* probed, handed on, and not stored */
};

static struct tally tally_of(const struct scan_ctx *ctx, const struct zs_sweep_summary *s,
                             const struct zs_db_writer_stats *ws)
{
	struct tally t = { 0 };
	if (ctx->db != NULL) {
		for (int i = 0; i < ZS_DB_STATUS_COUNT_; i++) {
			t.status[i] = ws->stored[i];
			t.stored += ws->stored[i];
		}
		t.quarantined = ws->quarantined;
		t.lost = ws->lost;
	} else if (ctx->jsonl_err == 0) {
		t.status[ZS_DB_COMPLIANT] = s->compliant;
		t.status[ZS_DB_NON_COMPLIANT] = s->non_compliant;
		t.status[ZS_DB_INDETERMINATE] = s->indeterminate;
		t.stored = s->domains;
	} else {
		t.lost = s->domains; /* the file was abandoned */
	}
	return t;
}

static void print_summary(const struct scan_ctx *ctx, const struct zs_sweep_summary *s,
                          const struct tally *t)
{
	const struct zs_resolver_stats *d = &s->dns;
	uint64_t compliant = t->status[ZS_DB_COMPLIANT];
	double rate = t->stored > 0 ? 100.0 * (double)compliant / (double)t->stored : 0;

	printf("zonesweep scan of .%s\n", ctx->tld);
	printf("  zone        %llu delegations read, %llu records, %llu syntax errors%s",
	       (unsigned long long)s->zone.delegations, (unsigned long long)s->zone.records,
	       (unsigned long long)s->zone.errors, s->zone.complete ? "" : ", READ INCOMPLETELY");
	if (s->zone.has_serial) {
		printf(", serial %u", s->zone.serial);
	}
	printf("\n");
	printf("  domains     %llu stored", (unsigned long long)t->stored);
	if (t->quarantined > 0) {
		printf(", %llu quarantined", (unsigned long long)t->quarantined);
	}
	if (t->lost > 0) {
		printf(", %llu probed but not stored", (unsigned long long)t->lost);
	}
	if (s->skipped > 0) {
		printf(", %llu skipped (already stored)", (unsigned long long)s->skipped);
	}
	printf("\n");
	printf("  compliant       %8llu  (%.1f%%)\n", (unsigned long long)compliant, rate);
	printf("  non-compliant   %8llu\n", (unsigned long long)t->status[ZS_DB_NON_COMPLIANT]);
	printf("  indeterminate   %8llu  (DNS failures: could not check)\n",
	       (unsigned long long)t->status[ZS_DB_INDETERMINATE]);
	if (s->deferred > 0) {
		printf("  deferred pass   %8llu domains retried, %llu recovered\n",
		       (unsigned long long)s->deferred, (unsigned long long)s->recovered);
	}
	printf("  DKIM keys   %llu at selectors of the list, %llu of the domains' providers, "
	       "%llu learned at their other domains, %llu declared",
	       (unsigned long long)s->dkim_keys[ZS_DKIM_FROM_LIST],
	       (unsigned long long)s->dkim_keys[ZS_DKIM_FROM_PROVIDER],
	       (unsigned long long)s->dkim_keys[ZS_DKIM_FROM_LEARNED],
	       (unsigned long long)s->dkim_keys[ZS_DKIM_FROM_DECLARED]);
	if (s->dkim_relearn > 0) {
		printf(" (%llu domains probed again for learned selectors)",
		       (unsigned long long)s->dkim_relearn);
	}
	printf("\n");
	printf("  DNS         %llu questions, %llu sent, %llu answered, %llu timeouts, "
	       "%llu retries, %llu TCP fallbacks, %llu mismatched, cache hits %llu, "
	       "coalesced %llu\n",
	       (unsigned long long)d->questions, (unsigned long long)d->sent,
	       (unsigned long long)d->answered, (unsigned long long)d->timeouts,
	       (unsigned long long)d->retried, (unsigned long long)d->tcp_fallbacks,
	       (unsigned long long)d->mismatched, (unsigned long long)d->cache_hits,
	       (unsigned long long)d->coalesced);
	if (d->udp_drops > 0) {
		printf("              %llu answers dropped by the kernel (UDP receive buffer full): "
		       "they count as timeouts\n",
		       (unsigned long long)d->udp_drops);
	}
	printf("  memory      window peak %.1f MiB%s\n", (double)s->peak_bytes / (1 << 20),
	       s->memory_bound ? " (at its limit, new domains waited)" : "");
	printf("  time        %.1f s (%.0f domains/s)%s\n", s->seconds,
	       s->seconds > 0 ? (double)s->domains / s->seconds : 0.0,
	       s->interrupted || s->sink_failed ? ", INTERRUPTED" : "");
}

/* The writer's state, asked when it wakes the sweep: once it gave up, the sweep stops. */
static int sink_status(void *arg)
{
	struct scan_ctx *ctx = arg;
	return ctx->writer != NULL ? zs_db_writer_status(ctx->writer) : 0;
}

static bool already_stored(void *arg, const char *domain)
{
	struct scan_ctx *ctx = arg;
	return zs_strset_has(&ctx->stored, domain);
}

static int remember_stored(const char *domain, void *arg)
{
	struct scan_ctx *ctx = arg;
	(void)zs_strset_add(&ctx->stored, domain);
	return 0;
}

/* The DNS engine's counters as a JSON object, stored with the run. */
/* One learned selector as stored with the run, while there is room. */
static int learned_json(const struct zs_dkim_learned_entry *e, void *arg)
{
	struct zs_json *j = arg;
	zs_json_obj_begin(j);
	zs_json_kdata(j, "provider", e->provider, strlen(e->provider));
	zs_json_kdata(j, "selector", e->selector, strlen(e->selector));
	zs_json_kint(j, "domains", (long long)e->domains);
	zs_json_obj_end(j);
	return 0;
}

static int learned_count(const struct zs_dkim_learned_entry *e, void *arg)
{
	size_t *n = arg;
	return ++*n > LEARN_STORED_MAX ? ZS_ERR_TOOBIG : 0;
}

static void dns_json(struct zs_buf *out, const struct zs_sweep_summary *s,
                     const struct zs_dkim_learned *learned)
{
	const struct zs_resolver_stats *d = &s->dns;
	struct zs_json j;

	zs_json_init(&j, out);
	zs_json_obj_begin(&j);
	zs_json_kint(&j, "questions", (long long)d->questions);
	zs_json_kint(&j, "sent", (long long)d->sent);
	zs_json_kint(&j, "answered", (long long)d->answered);
	zs_json_kint(&j, "retried", (long long)d->retried);
	zs_json_kint(&j, "timeouts", (long long)d->timeouts);
	zs_json_kint(&j, "truncated", (long long)d->truncated);
	zs_json_kint(&j, "tcp_fallbacks", (long long)d->tcp_fallbacks);
	zs_json_kint(&j, "mismatched", (long long)d->mismatched);
	zs_json_kint(&j, "cache_hits", (long long)d->cache_hits);
	zs_json_kint(&j, "coalesced", (long long)d->coalesced);
	zs_json_kint(&j, "peak_inflight", (long long)d->peak_inflight);
	zs_json_kint(&j, "udp_drops", (long long)d->udp_drops);
	zs_json_key(&j, "status");
	zs_json_obj_begin(&j);
	for (int i = 0; i < ZS_DNS_STATUS_COUNT_; i++) {
		if (d->status[i] > 0) {
			zs_json_kint(&j, zs_dns_status_name((enum zs_dns_status)i),
			             (long long)d->status[i]);
		}
	}
	zs_json_obj_end(&j);
	zs_json_kint(&j, "deferred", (long long)s->deferred);
	zs_json_kint(&j, "recovered", (long long)s->recovered);
	/* the keys each DKIM lever found (docs/database.md, "dns_counters") */
	zs_json_key(&j, "dkim_keys");
	zs_json_obj_begin(&j);
	for (int o = 0; o < ZS_DKIM_ORIGIN_COUNT_; o++) {
		zs_json_kint(&j, zs_dkim_origin_name((enum zs_dkim_origin)o),
		             (long long)s->dkim_keys[o]);
	}
	zs_json_obj_end(&j);
	zs_json_kint(&j, "dkim_relearn", (long long)s->dkim_relearn);
	/* what this run learned, for the next one (zs_db_dkim_learned_each()) */
	size_t n = 0;
	zs_json_key(&j, "dkim_learned");
	zs_json_arr_begin(&j);
	if (learned != NULL && zs_dkim_learned_each(learned, learned_count, &n) == 0) {
		(void)zs_dkim_learned_each(learned, learned_json, &j);
	} else if (learned != NULL) {
		zs_log_warn(ZS_LOG_DB,
		            "more than %d learned DKIM selectors: none kept for the "
		            "next run",
		            LEARN_STORED_MAX);
	}
	zs_json_arr_end(&j);
	zs_json_key(&j, "seconds");
	zs_json_double(&j, s->seconds);
	zs_json_obj_end(&j);
}

/* The TLD's previous complete run (before @p before when not 0), that the zone is compared
 * with; none leaves the baseline empty. */
static int load_baseline(struct scan_ctx *ctx, int64_t before)
{
	struct zs_db_run_zone z;
	int ret = zs_db_run_last_zone(ctx->db, ctx->tld, before, &z);
	if (ret == ZS_ERR_NOTFOUND) {
		return 0;
	}
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
		return ret;
	}
	ctx->baseline = (struct zs_zone_baseline){
		.run_id = z.run_id,
		.delegations = z.delegations > 0 ? (uint64_t)z.delegations : 0,
		.has_serial = z.serial >= 0,
		.serial = (uint32_t)z.serial,
	};
	return 0;
}

/* Refuse a zone unfit to be swept into the history (zoneio/check.h), in one line naming the
 * file; say so when its serial is the previous run's. */
static int check_zone(const struct scan_ctx *ctx, const char *path, const struct zs_zone_stats *z)
{
	char why[512];
	if (zs_zone_check(z, ctx->tld, &ctx->baseline, &ctx->limits, why, sizeof(why)) != 0) {
		zs_log_error(ZS_LOG_ZONE, "%s: refused: %s", path, why);
		return ZS_ERR_REFUSED;
	}
	if (ctx->baseline.run_id > 0 && ctx->baseline.has_serial && z->has_serial &&
	    ctx->baseline.serial == z->serial) {
		zs_log_warn(ZS_LOG_ZONE,
		            "%s: serial %u, the same as run %lld's: the zone was not updated since",
		            path, z->serial, (long long)ctx->baseline.run_id);
	}
	return 0;
}

/* Whether a run's zone is the one read now: the delegations' digest when the run has it, else
 * the SOA serial. */
static bool same_zone(const struct zs_db_run *run, const struct zs_zone_stats *z)
{
	if (run->has_zone_digest) {
		return memcmp(run->zone_digest, z->digest, sizeof(z->digest)) == 0;
	}
	return run->zone_serial >= 0 && z->has_serial && (uint32_t)run->zone_serial == z->serial;
}

/* A run is resumed for its own TLD, and with the zone it began with unless the operator says
 * otherwise (--allow-zone-change: the run then records the new zone). */
static int check_resume(struct scan_ctx *ctx, const char *path)
{
	struct zs_db_run *run = NULL;
	int ret = zs_db_run_get(ctx->db, ctx->run_id, &run);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
		return ret;
	}
	ret = ZS_ERR_REFUSED;
	if (strcmp(run->tld, ctx->tld) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--resume %lld: the run sweeps TLD %s, not %s",
		             (long long)run->id, run->tld, ctx->tld);
	} else if (ctx->surveyed && same_zone(run, &ctx->survey)) {
		ret = 0;
	} else if (!ctx->allow_zone_change) {
		char was[64] = "serial unknown";
		if (run->zone_serial >= 0) {
			(void)snprintf(was, sizeof(was), "serial %lld",
			               (long long)run->zone_serial);
		}
		zs_log_error(ZS_LOG_ZONE,
		             "%s: refused: not the zone run %lld began with (%s; %s): give "
		             "--allow-zone-change to resume with it, or start a new run",
		             path, (long long)run->id, was,
		             ctx->surveyed ? "this zone's delegations differ"
		                           : "a zone on standard input cannot be compared");
	} else {
		zs_log_warn(ZS_LOG_ZONE, "%s: not the zone run %lld began with: resuming with it",
		            path, (long long)run->id);
		const struct zs_zone_stats *z = &ctx->survey;
		int64_t serial = z->has_serial ? (int64_t)z->serial : -1;
		ret = !ctx->surveyed ? 0
		                     : zs_db_run_set_zone(ctx->db, run->id, serial,
		                                          (int64_t)z->delegations, z->digest);
		if (ret != 0) {
			zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
		}
	}
	zs_db_run_free(run);
	return ret;
}

/* Open the database and begin (or resume) the run. */
static int db_begin(struct scan_ctx *ctx, const struct zs_sweep_opts *o, const char *conninfo,
                    const char *resume, const struct zs_zone_stats *zst, struct zs_sweep *sweep)
{
	int ret = zs_db_open(conninfo, &ctx->db);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(NULL));
		return ret;
	}
	ret = zs_db_check_schema(ctx->db);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
		return ret;
	}
	if (resume != NULL) {
		ret = zs_db_run_resolve(ctx->db, resume, ctx->tld, &ctx->run_id);
		if (ret != 0) {
			zs_log_error(ZS_LOG_DB, "--resume %s: %s", resume, zs_db_error(ctx->db));
			return ret;
		}
		ret = check_resume(ctx, o->zone_path);
		ret = ret != 0 ? ret : load_baseline(ctx, ctx->run_id);
		if (ret == 0 && ctx->surveyed) {
			ret = check_zone(ctx, o->zone_path, &ctx->survey);
		}
		if (ret != 0) {
			return ret;
		}
		ret = zs_db_run_resume(ctx->db, ctx->run_id);
		if (ret == 0) {
			ret = zs_db_run_stored(ctx->db, ctx->run_id, remember_stored, ctx);
		}
		if (ret != 0) {
			zs_log_error(ZS_LOG_DB, "--resume %s: %s", resume, zs_db_error(ctx->db));
			return ret;
		}
		zs_log_info(ZS_LOG_DB, "resuming run %lld: %zu domains already stored",
		            (long long)ctx->run_id, ctx->stored.count);
	} else {
		ret = load_baseline(ctx, 0);
		if (ret == 0 && ctx->surveyed) {
			ret = check_zone(ctx, o->zone_path, &ctx->survey);
		}
		if (ret != 0) {
			return ret;
		}
		struct zs_db_run_params p = {
			.tld = ctx->tld,
			.policy = ctx->policy,
			.policy_version = ctx->policy_version,
			.zone_source = o->zone_path,
			.zone_serial = zst->has_serial ? (int64_t)zst->serial : -1,
			.zone_delegations = ctx->surveyed ? (int64_t)ctx->survey.delegations : -1,
			.zone_digest = ctx->surveyed ? ctx->survey.digest : NULL,
			.scanner_version = ZS_VERSION,
		};
		if (ctx->surveyed) {
			p.zone_serial = ctx->survey.has_serial ? (int64_t)ctx->survey.serial : -1;
		}
		ret = zs_db_run_begin(ctx->db, &p, &ctx->run_id);
		if (ret != 0) {
			zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
			return ret;
		}
	}
	ret = zs_db_selectors_each(ctx->db, ctx->tld, add_selector, ctx);
	if (ret == 0 && ctx->learned != NULL) {
		ret = zs_db_dkim_learned_each(ctx->db, ctx->tld, seed_learned, ctx->learned);
	}
	if (ret == 0) {
		ret = zs_db_exemptions_each(ctx->db, ctx->tld, add_exemption, ctx);
	}
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
		return ret;
	}
	struct zs_db_writer_opts wo = {
		.queue_bytes = ctx->queue_bytes,
		.give_up_ms = ctx->db_patience_ms,
		.wake = zs_sweep_wake,
		.wake_arg = sweep,
	};
	ret = zs_db_writer_new(ctx->db, ctx->run_id, &wo, &ctx->writer);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(ctx->db));
	}
	return ret;
}

/* Say how the run ended in the database, in one line (and how to go on). */
static void report_end(const struct scan_ctx *ctx, const struct zs_db_run_end *end, int ret,
                       const struct zs_db_writer_stats *ws)
{
	long long id = (long long)ctx->run_id;

	if (ret == ZS_ERR_LOCKED) {
		zs_log_error(ZS_LOG_DB,
		             "run %lld: %s: this sweep stopped; the %llu results it stored stay in "
		             "run %lld",
		             id, zs_db_error(ctx->db), (unsigned long long)ws->results, id);
	} else if (ret != 0) {
		zs_log_error(
		        ZS_LOG_DB,
		        "run %lld is left running, not marked %s (%s); nothing stored is lost: "
		        "continue it with: zonesweep scan ... --resume %lld",
		        id, zs_db_run_status_name(end->status), zs_db_error(ctx->db), id);
	} else if (end->status != ZS_DB_RUN_FAILED) {
		fprintf(stderr,
		        "zonesweep: run %lld stored (%s): %llu results (since the previous run, "
		        "%llu with facts and %llu with verdicts unchanged), %llu quarantined\n",
		        id, zs_db_run_status_name(end->status), (unsigned long long)ws->results,
		        (unsigned long long)ws->facts_unchanged,
		        (unsigned long long)ws->verdicts_unchanged,
		        (unsigned long long)ws->quarantined);
		if (end->status == ZS_DB_RUN_INTERRUPTED) {
			fprintf(stderr,
			        "zonesweep: continue it with: zonesweep scan ... --resume %lld\n",
			        id);
		}
	}
}

/* The zone of a sweep that went to its end, checked again before the run enters the history:
 * a zone read from standard input was not checked before; a file replaced or rewritten while it
 * was swept is no longer the zone that was. @return true when the run must fail instead */
static bool zone_fails_at_end(const struct scan_ctx *ctx, const char *path,
                              const struct zs_zone_stats *z)
{
	const struct zs_zone_stats *s = &ctx->survey;
	if (!ctx->surveyed) {
		return check_zone(ctx, path, z) != 0;
	}
	if (z->delegations == s->delegations && z->has_serial == s->has_serial &&
	    z->serial == s->serial && memcmp(z->digest, s->digest, sizeof(z->digest)) == 0) {
		return false;
	}
	zs_log_error(ZS_LOG_ZONE,
	             "%s: refused: the zone changed while it was swept (%llu delegations, serial "
	             "%u when checked; %llu, serial %u at the end)",
	             path, (unsigned long long)s->delegations, s->serial,
	             (unsigned long long)z->delegations, z->serial);
	return true;
}

/* Finish the run in the database: whatever happened, the run ends in a definite state. */
static int db_finish(struct scan_ctx *ctx, const char *path, int sweep_ret,
                     const struct zs_sweep_summary *sum, struct zs_db_writer_stats *ws)
{
	int wret = zs_db_writer_finish(ctx->writer, ws);
	struct zs_buf dns;
	const char *first[8];
	size_t nfirst = 0;

	ctx->writer = NULL;
	for (size_t i = 0; i < sum->zone.errors_kept && nfirst < 8; i++) {
		const struct zs_zone_error *e = &sum->zone.first_errors[i];
		first[nfirst++] = zs_strdup(e->msg);
	}
	zs_buf_init(&dns, 4 * 1024 * 1024);
	dns_json(&dns, sum, ctx->learned);
	struct zs_buf writer;
	zs_buf_init(&writer, 64 * 1024);
	(void)zs_db_writer_stats_json(ws, &writer);
	struct zs_db_run_end end = {
		.zone_complete = sum->zone.complete,
		.zone_errors = sum->zone.errors,
		.zone_first_errors = first,
		.zone_first_error_count = nfirst,
		.dns_json = zs_buf_cstr(&dns),
		.db_json = zs_buf_cstr(&writer),
		.has_zone_serial = sum->zone.has_serial,
		.zone_serial = sum->zone.serial,
		.zone_delegations = -1,
	};
	if (!ctx->surveyed && sum->zone.complete) {
		end.zone_delegations = (int64_t)sum->zone.delegations;
		end.zone_digest = sum->zone.digest;
	}
	bool refused = sweep_ret == 0 && wret == 0 && zone_fails_at_end(ctx, path, &sum->zone);
	if (refused) {
		end.status = ZS_DB_RUN_FAILED;
	} else if (sweep_ret == 0 && wret == 0) {
		end.status = ZS_DB_RUN_COMPLETE;
	} else if (sweep_ret == ZS_ERR_INTERRUPTED || sum->sink_failed || wret != 0) {
		/* what was not stored (--jsonl on a full disk, no database) can be resumed */
		end.status = ZS_DB_RUN_INTERRUPTED;
	} else {
		end.status = ZS_DB_RUN_FAILED;
	}
	int ret = zs_db_run_finish(ctx->db, ctx->run_id, &end);
	report_end(ctx, &end, ret, ws);
	if (ret == 0 && refused) {
		fprintf(stderr, "zonesweep: run %lld marked failed: it changes no domain's state\n",
		        (long long)ctx->run_id);
		ret = ZS_ERR_REFUSED;
	}
	for (size_t i = 0; i < nfirst; i++) {
		zs_free((void *)first[i]);
	}
	zs_buf_deinit(&dns);
	zs_buf_deinit(&writer);
	return ret != 0 ? ret : wret;
}

static int scan_run(struct scan_ctx *ctx, struct zs_sweep_opts *o, const char *conninfo,
                    const char *resume, const char *jsonl_path, bool overwrite)
{
	struct zs_sweep *sweep = NULL;
	struct zs_sweep_summary sum = { 0 };
	struct zs_db_writer_stats ws = { 0 };
	int status = ZS_EXIT_OK;

	if (resume != NULL) {
		o->skip = already_stored;
		o->skip_arg = ctx;
	}
	o->domain_info = domain_info;
	o->domain_info_arg = ctx;
	o->sink_status = sink_status;
	if (conninfo != NULL && strcmp(o->zone_path, "-") != 0) {
		char first[320];
		int sret =
		        zs_zone_survey(o->zone_path, &o->zone, &ctx->survey, first, sizeof(first));
		if (sret != 0) {
			zs_log_error(ZS_LOG_ZONE, "%s: cannot read the zone: %s%s%s%s",
			             o->zone_path, zs_err_str(sret), first[0] != '\0' ? " (" : "",
			             first, first[0] != '\0' ? ")" : "");
			return ZS_EXIT_FAIL;
		}
		ctx->surveyed = true;
		o->zone.verify_gzip = false; /* the survey read the whole stream */
	}
	int ret = zs_sweep_new(o, &sweep);
	if (ret != 0) {
		zs_log_error(ZS_LOG_ZONE, "%s: cannot read the zone: %s", o->zone_path,
		             zs_err_str(ret));
		return ZS_EXIT_FAIL;
	}
	if (conninfo != NULL) {
		ret = db_begin(ctx, o, conninfo, resume, zs_sweep_zone_stats(sweep), sweep);
		if (ret != 0) {
			goto out;
		}
	}
	if (jsonl_path != NULL) {
		ret = zs_out_open(jsonl_path, overwrite ? ZS_OUT_OVERWRITE : 0, &ctx->jsonl);
		if (ret != 0) {
			zs_log_error(ZS_LOG_REPORT, "%s: %s%s", jsonl_path, zs_err_str(ret),
			             ret == -EEXIST ? " (use --overwrite)" : "");
			goto out;
		}
	}

	int sweep_ret = zs_sweep_run(sweep, &sum);
	if (sweep_ret == ZS_ERR_DNS && !sum.started) {
		zs_log_error(ZS_LOG_DNS,
		             "--resolver %s: no answer for the SOA of %s (%s); is the "
		             "resolver running and reachable?",
		             ctx->resolvers, o->preflight, zs_dns_status_msg(sum.preflight));
		status = ZS_EXIT_FAIL;
	} else if (sweep_ret != 0) {
		if (!sum.sink_failed) { /* else the sink said why */
			zs_log_error(ZS_LOG_MAIN, "scan of %s: %s", o->zone_path,
			             zs_err_str(sweep_ret));
		}
		status = ZS_EXIT_FAIL;
	}
	if (ctx->db != NULL && db_finish(ctx, o->zone_path, sweep_ret, &sum, &ws) != 0) {
		status = ZS_EXIT_FAIL;
	}
	if (ctx->jsonl != NULL) {
		ret = ctx->jsonl_err;
		if (ret != 0) {
			zs_out_abort(ctx->jsonl);
		} else {
			ret = zs_out_commit(ctx->jsonl);
		}
		ctx->jsonl = NULL;
		if (ret != 0) {
			zs_log_error(ZS_LOG_REPORT, "%s: %s: the file is not written", jsonl_path,
			             zs_err_str(ret));
			ctx->jsonl_err = ret;
			status = ZS_EXIT_FAIL;
		} else {
			fprintf(stderr, "zonesweep: %llu results written to %s\n",
			        (unsigned long long)ctx->jsonl_lines, jsonl_path);
		}
	}
	if (sum.started) {
		struct tally t = tally_of(ctx, &sum, &ws);
		print_summary(ctx, &sum, &t);
	}
	ret = 0;
out:
	if (ret != 0) {
		status = ZS_EXIT_FAIL;
		if (ctx->writer != NULL) {
			(void)zs_db_writer_finish(ctx->writer, NULL);
		}
	}
	zs_out_abort(ctx->jsonl);
	zs_db_close(ctx->db);
	zs_sweep_free(sweep);
	return status;
}

/* A percentage option, as a share from 0 to 1. @return 0 or 1 (logged) */
static int share_option(const char *name, const char *text, double *out)
{
	double v = 0;
	if (zs_cli_double(name, text, &v) != 0) {
		return 1;
	}
	if (v > 100) {
		zs_log_error(ZS_LOG_MAIN, "--%s: a percentage from 0 to 100", name);
		return 1;
	}
	*out = v / 100.0;
	return 0;
}

int zs_cmd_scan(int argc, char **argv)
{
	enum {
		OPT_ZONE = 256,
		OPT_TLD,
		OPT_STRICT,
		OPT_ALLOW_INCLUDE,
		OPT_WINDOW,
		OPT_WINDOW_MB,
		OPT_QUEUE_MB,
		OPT_BUDGET,
		OPT_NO_RETRY,
		OPT_RETRY_DELAY,
		OPT_JSONL,
		OPT_OVERWRITE,
		OPT_QUIET,
		OPT_DEBUG,
		OPT_DB,
		OPT_NO_DB,
		OPT_RESUME,
		OPT_DB_PATIENCE,
		OPT_ALLOW_ZONE_CHANGE,
		OPT_MAX_ZONE_ERRORS,
		OPT_MAX_SHRINK,
		OPT_ALLOW_SHRINK,
		OPT_ALLOW_EMPTY,
		OPT_POLICY,
		OPT_SELECTORS,
		OPT_PROVIDERS,
		OPT_NO_LEARN,
		OPT_HELP,
	};
	static const struct option longopts[] = {
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "tld", required_argument, NULL, OPT_TLD },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "allow-include", no_argument, NULL, OPT_ALLOW_INCLUDE },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "window-mb", required_argument, NULL, OPT_WINDOW_MB },
		{ "queue-mb", required_argument, NULL, OPT_QUEUE_MB },
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "no-retry", no_argument, NULL, OPT_NO_RETRY },
		{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
		ZS_CLI_DNS_OPTIONS,
		{ "jsonl", required_argument, NULL, OPT_JSONL },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "debug", required_argument, NULL, OPT_DEBUG },
		{ "db", required_argument, NULL, OPT_DB },
		{ "no-db", no_argument, NULL, OPT_NO_DB },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "db-patience", required_argument, NULL, OPT_DB_PATIENCE },
		{ "allow-zone-change", no_argument, NULL, OPT_ALLOW_ZONE_CHANGE },
		{ "max-zone-errors", required_argument, NULL, OPT_MAX_ZONE_ERRORS },
		{ "max-shrink", required_argument, NULL, OPT_MAX_SHRINK },
		{ "allow-shrink", no_argument, NULL, OPT_ALLOW_SHRINK },
		{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "selectors", required_argument, NULL, OPT_SELECTORS },
		{ "providers", required_argument, NULL, OPT_PROVIDERS },
		{ "no-learn", no_argument, NULL, OPT_NO_LEARN },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct zs_sweep_opts o = { .progress = true };
	struct scan_ctx ctx = {
		.limits = { .max_error_share = ZS_ZONE_MAX_ERROR_SHARE,
		            .max_shrink = ZS_ZONE_MAX_SHRINK },
	};
	const char *jsonl_path = NULL;
	const char *conninfo = NULL;
	const char *resume = NULL;
	const char *selectors_path = NULL;
	const char *providers_path = NULL;
	bool no_learn = false;
	bool no_db = false;
	bool overwrite = false;
	unsigned v;
	int c;
	int bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ZONE:
			o.zone_path = optarg;
			break;
		case OPT_TLD:
			ctx.tld = optarg;
			break;
		case OPT_STRICT:
			o.zone.strict = true;
			break;
		case OPT_ALLOW_INCLUDE:
			o.zone.allow_include = true;
			break;
		case ZS_CLI_OPT_RESOLVER:
			(void)zs_cli_dns_option(c, optarg, &o.resolver, &bad);
			(void)snprintf(ctx.resolvers + strlen(ctx.resolvers),
			               sizeof(ctx.resolvers) - strlen(ctx.resolvers), "%s%s",
			               ctx.resolvers[0] != '\0' ? "," : "", optarg);
			break;
		case OPT_WINDOW:
			bad |= zs_cli_uint("window", optarg, 1, 1000000, &o.window);
			break;
		case OPT_WINDOW_MB:
			bad |= zs_cli_uint("window-mb", optarg, 1, 1024 * 1024, &v);
			o.window_bytes = (size_t)v << 20;
			break;
		case OPT_QUEUE_MB:
			bad |= zs_cli_uint("queue-mb", optarg, 1, 1024 * 1024, &v);
			ctx.queue_bytes = (size_t)v << 20;
			break;
		case OPT_BUDGET:
			bad |= zs_cli_uint("budget", optarg, 1, 3600, &v);
			o.budget_ms = v * 1000;
			break;
		case OPT_NO_RETRY:
			o.no_retry = true;
			break;
		case OPT_RETRY_DELAY:
			bad |= zs_cli_uint("retry-delay", optarg, 0, 3600, &v);
			o.retry_delay_ms = v == 0 ? 1 : v * 1000;
			break;
		case OPT_JSONL:
			jsonl_path = optarg;
			break;
		case OPT_OVERWRITE:
			overwrite = true;
			break;
		case OPT_QUIET:
			o.progress = false;
			break;
		case OPT_DEBUG:
			if (zs_log_enable_debug(optarg) != 0) {
				zs_log_error(ZS_LOG_MAIN, "--debug: unknown group in '%s'", optarg);
				bad = 1;
			}
			break;
		case OPT_DB:
			conninfo = optarg;
			break;
		case OPT_NO_DB:
			no_db = true;
			break;
		case OPT_RESUME:
			resume = optarg;
			break;
		case OPT_DB_PATIENCE:
			bad |= zs_cli_uint("db-patience", optarg, 1, 86400, &v);
			ctx.db_patience_ms = v * 1000;
			break;
		case OPT_ALLOW_ZONE_CHANGE:
			ctx.allow_zone_change = true;
			break;
		case OPT_MAX_ZONE_ERRORS:
			bad |= share_option("max-zone-errors", optarg, &ctx.limits.max_error_share);
			break;
		case OPT_MAX_SHRINK:
			bad |= share_option("max-shrink", optarg, &ctx.limits.max_shrink);
			break;
		case OPT_ALLOW_SHRINK:
			ctx.limits.allow_shrink = true;
			break;
		case OPT_ALLOW_EMPTY:
			ctx.limits.allow_empty = true;
			break;
		case OPT_POLICY:
			ctx.policy = optarg;
			break;
		case OPT_SELECTORS:
			selectors_path = optarg;
			break;
		case OPT_PROVIDERS:
			providers_path = optarg;
			break;
		case OPT_NO_LEARN:
			no_learn = true;
			break;
		case OPT_HELP:
			scan_usage(stdout);
			return ZS_EXIT_OK;
		default:
			if (zs_cli_dns_option(c, optarg, &o.resolver, &bad)) {
				break;
			}
			zs_cli_usage_hint("scan");
			return ZS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		zs_log_error(ZS_LOG_MAIN, "scan: unexpected argument '%s'", argv[optind]);
		bad = 1;
	}
	if (o.zone_path == NULL || ctx.tld == NULL) {
		zs_log_error(ZS_LOG_MAIN, "scan: --zone and --tld are required");
		bad = 1;
	}
	if (no_db && (conninfo != NULL || resume != NULL || ctx.db_patience_ms != 0)) {
		zs_log_error(ZS_LOG_MAIN,
		             "scan: --no-db excludes --db, --resume and --db-patience");
		bad = 1;
	}
	if (ctx.allow_zone_change && resume == NULL) {
		zs_log_error(ZS_LOG_MAIN, "scan: --allow-zone-change goes with --resume");
		bad = 1;
	}
	if (no_db && jsonl_path == NULL) {
		zs_log_error(ZS_LOG_MAIN, "scan: --no-db needs --jsonl FILE for the results");
		bad = 1;
	}
	if (bad != 0) {
		zs_cli_usage_hint("scan");
		return ZS_EXIT_USAGE;
	}
	if (zs_cli_default_resolver(&o.resolver) != 0) {
		return ZS_EXIT_USAGE;
	}
	if (zs_session_resolvers_answer(&o.resolver) != 0) {
		return ZS_EXIT_FAIL;
	}
	if (ctx.resolvers[0] == '\0') {
		(void)snprintf(ctx.resolvers, sizeof(ctx.resolvers), "(from /etc/resolv.conf)");
	}
	o.zone.origin = ctx.tld;
	o.zone.verify_gzip = true;
	o.zone.digest = !no_db;
	o.emit = emit_result;
	o.emit_arg = &ctx;
	o.preflight = ctx.tld;
	struct zs_policy *policy = NULL;
	struct zs_psl *psl = NULL;
	struct zs_arena arena;
	char today[11];
	zs_arena_init(&arena);
	const char **selectors = NULL;
	struct zs_dkim_providers providers = { 0 };
	if (zs_cli_load_policy(ctx.policy, ctx.tld, &policy) != 0 ||
	    zs_cli_load_selectors(selectors_path, &arena, &selectors, &o.selector_count) != 0 ||
	    zs_cli_load_providers(providers_path, &arena, &providers) != 0) {
		zs_policy_free(policy);
		zs_arena_deinit(&arena);
		return ZS_EXIT_FAIL;
	}
	if (zs_psl_open_system(&psl) != 0) {
		zs_log_warn(ZS_LOG_POLICY, "no Public Suffix List: organizational domains are not "
		                           "known (install libpsl5 or publicsuffix)");
	}
	zs_cli_today(today);
	o.selectors = selectors;
	o.providers = &providers;
	o.learned = no_learn ? NULL : zs_dkim_learned_new(LEARN_PROVIDERS_MAX);
	ctx.learned = o.learned;
	ctx.policy = policy->name;
	ctx.policy_version = policy->version;
	o.policy = policy;
	o.psl = psl;
	o.today = today;
	zs_strset_init(&ctx.stored);
	zs_strset_init(&ctx.extras);
	zs_buf_init(&ctx.line, 64 * 1024 * 1024);

	int status = scan_run(&ctx, &o,
	                      no_db              ? NULL
	                      : conninfo != NULL ? conninfo
	                                         : "",
	                      resume, jsonl_path, overwrite);

	zs_strset_deinit(&ctx.stored);
	zs_strset_deinit(&ctx.extras);
	zs_buf_deinit(&ctx.line);
	zs_free(ctx.rows);
	zs_free(ctx.raws);
	zs_dkim_learned_free(o.learned);
	zs_psl_close(psl);
	zs_policy_free(policy);
	zs_arena_deinit(&arena);
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * The sweep's scheduler on one libuv loop.
 *
 * A uv_check_t tops the window of probes up from the zone reader after every loop iteration
 * (Knot Resolver daemon/udp_queue.c does the same for its sends); a uv_idle_t keeps the loop
 * from sleeping in poll while the window has room and the zone has more. Reading a delegation
 * is a short, bounded step, so the loop never blocks on the zone.
 *
 * Results leave through the emit function. When the sink is full it says ZS_ERR_AGAIN: the
 * result is held, topping up stops, and the sink's wake-up (uv_async_send, the only call that
 * crosses threads) resumes the flow. The window counts held results too, so memory is bounded
 * by the window whatever the sink's speed. A sink that fails (the database writer gives up)
 * wakes the sweep too: it stops at once, as after a signal, rather than probing domains whose
 * results have nowhere to go. The sink's thread may call the wake-up at any time, even after
 * the loop has ended: a flag under a mutex makes that a no-op once the async handle closes.
 *
 * The window is bounded in bytes as well as in domains, since a hostile domain can make its
 * probe hold megabytes (big TXT answers kept byte-exact). Every probe counts its arenas and
 * its facts in the sweep's meter as they grow, until it is freed. Before a domain starts, the
 * bytes held and an allowance for what the probes in flight may still take (the moving mean
 * of a finished domain's peak bytes for each of them) must leave room under the limit; the first
 * domains, before any has finished, count 1 MiB each. One domain may always start when none is
 * in flight, so a limit smaller than a domain slows the sweep down but never stops it.
 *
 * A domain with a question that ended in a DNS failure is not emitted in the main pass: it is
 * remembered and probed again in a deferred pass after a pause, since resolvers cache
 * failures for a few seconds and an immediate retry mostly brings the failure back. Its
 * second result is final, failed questions and all.
 */
#include "scanner/sweep.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/policy/dkim_learn.h"
#include "scanner/policy/spf_eval.h"

enum {
	DEFAULT_WINDOW = 1000,
	DEFAULT_WINDOW_BYTES = 256 * 1024 * 1024,
	FIRST_DOMAIN_BYTES = 1024 * 1024, /* a domain's bytes, before one has finished */
	DOMAIN_BYTES_WEIGHT = 16,         /* the moving mean's weight: 1/16 for each new domain */
};

enum sweep_phase {
	SWEEP_MAIN,       /* reading the zone */
	SWEEP_RETRY_WAIT, /* main pass done, waiting before the deferred pass */
	SWEEP_RETRY,      /* probing the deferred domains again */
	SWEEP_CLOSING,
};

static const char *const phase_names[] = {
	[SWEEP_MAIN] = "main",
	[SWEEP_RETRY_WAIT] = "retry-wait",
	[SWEEP_RETRY] = "retry",
	[SWEEP_CLOSING] = "closing",
};

/* A domain probed again in the deferred pass: its questions failed, or DKIM may learn. */
struct deferred {
	char *name;
	size_t ds_count;
	bool failed; /* some question ended in a DNS failure */
};

/* A probe in flight or a finished one waiting for the sink. */
struct sweep_slot {
	struct sweep_slot *next;
	struct sweep_slot *prev; /* in the in-flight list only */
	struct zs_sweep *sweep;
	struct zs_probe *probe;
	size_t ds_count;       /* of the delegation, for the deferred pass */
	bool retry_of_failure; /* a deferred-pass probe of a domain whose questions failed */
};

struct zs_sweep {
	struct zs_sweep_opts opts;
	uv_loop_t loop;
	struct zs_resolver *res;
	struct zs_zone_reader *zone;
	enum sweep_phase phase;
	uv_check_t topup;
	uv_idle_t kick;
	uv_async_t wake;
	uv_mutex_t wake_mu; /* guards wake_open: zs_sweep_wake() runs on the sink's thread */
	bool wake_open;     /* the async handle may be sent to */
	uv_timer_t progress;
	uv_timer_t retry_timer;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	unsigned open_handles;

	struct sweep_slot *inflight; /* probes asking */
	size_t inflight_count;
	struct sweep_slot *held_head; /* finished, waiting for the sink */
	struct sweep_slot *held_tail;
	size_t held_count;
	struct zs_meter mem; /* bytes of the probes alive (in flight and held) */
	size_t domain_bytes; /* moving mean of a finished domain's peak bytes (0: none yet) */

	struct zs_probe_env env;
	struct deferred *deferred; /* domains for the deferred pass */
	size_t deferred_count;
	size_t deferred_cap;
	size_t deferred_next;
	size_t deferred_failed; /* of them, domains with DNS failures */

	bool zone_done;
	bool started; /* the preflight question was answered */
	unsigned preflight_tries;
	bool stopping; /* signal: no new probes */
	int fatal;     /* the first error that ends the sweep */
	bool tty;
	uint64_t started_ns;
	uint64_t last_progress_ns;   /* when the last progress was shown */
	uint64_t last_progress_sent; /* queries sent by then */
	struct zs_sweep_summary sum;
};

static void topup(struct zs_sweep *s);
static void maybe_finish(struct zs_sweep *s);
static void stop_sweep(struct zs_sweep *s);
static void on_idle(uv_idle_t *h);

static void set_phase(struct zs_sweep *s, enum sweep_phase phase)
{
	zs_log_debug(ZS_LOG_MAIN, "sweep: %s -> %s", phase_names[s->phase], phase_names[phase]);
	s->phase = phase;
}

static void count_status(struct zs_sweep *s, const struct zs_probe_result *r)
{
	s->sum.domains++;
	for (int o = 0; o < ZS_DKIM_ORIGIN_COUNT_; o++) {
		s->sum.dkim_keys[o] += r->dkim_keys[o];
	}
	if (strcmp(r->status, "compliant") == 0) {
		s->sum.compliant++;
	} else if (strcmp(r->status, "non-compliant") == 0) {
		s->sum.non_compliant++;
	} else {
		s->sum.indeterminate++;
	}
}

/* Take a slot out of the doubly linked in-flight list. */
static void inflight_unlink(struct zs_sweep *s, struct sweep_slot *slot)
{
	if (slot->prev != NULL) {
		slot->prev->next = slot->next;
	} else {
		s->inflight = slot->next;
	}
	if (slot->next != NULL) {
		slot->next->prev = slot->prev;
	}
	slot->next = slot->prev = NULL;
}

/* Try to hand the held results to the sink, oldest first. */
static void drain_held(struct zs_sweep *s)
{
	while (s->held_head != NULL && s->fatal == 0) {
		struct sweep_slot *slot = s->held_head;
		const struct zs_probe_result *r = zs_probe_result(slot->probe);
		int ret = s->opts.emit(s->opts.emit_arg, slot->probe);
		if (ret == ZS_ERR_AGAIN) {
			return;
		}
		if (ret != 0) {
			zs_log_error(ZS_LOG_MAIN, "%s: result could not be stored: %s", r->domain,
			             zs_err_str(ret));
			s->fatal = ret;
			s->sum.sink_failed = true;
			/* stopped from on_wake(), not from inside a probe's callback */
			zs_sweep_wake(s);
			return;
		}
		count_status(s, r);
		s->held_head = slot->next;
		if (s->held_head == NULL) {
			s->held_tail = NULL;
		}
		s->held_count--;
		zs_probe_free(slot->probe);
		zs_free(slot);
	}
}

static void defer_domain(struct zs_sweep *s, const struct zs_probe_result *r,
                         const struct sweep_slot *slot, bool failed)
{
	if (s->deferred_count == s->deferred_cap) {
		s->deferred_cap = s->deferred_cap == 0 ? 256 : s->deferred_cap * 2;
		s->deferred = zs_reallocarray(s->deferred, s->deferred_cap, sizeof(*s->deferred));
	}
	s->deferred[s->deferred_count].name = zs_strdup(r->domain);
	s->deferred[s->deferred_count].ds_count = slot->ds_count;
	s->deferred[s->deferred_count].failed = failed;
	s->deferred_count++;
	s->deferred_failed += failed;
	s->sum.dkim_relearn += !failed;
}

/* Fold a finished domain's peak bytes into the moving mean. */
static void note_domain_bytes(struct zs_sweep *s, size_t bytes)
{
	if (s->domain_bytes == 0) {
		s->domain_bytes = bytes;
	} else if (bytes > s->domain_bytes) {
		s->domain_bytes += (bytes - s->domain_bytes) / DOMAIN_BYTES_WEIGHT;
	} else {
		s->domain_bytes -= (s->domain_bytes - bytes) / DOMAIN_BYTES_WEIGHT;
	}
}

static void probe_done(struct zs_probe *p, void *arg)
{
	struct sweep_slot *slot = arg;
	struct zs_sweep *s = slot->sweep;
	const struct zs_probe_result *r = zs_probe_result(p);

	inflight_unlink(s, slot);
	s->inflight_count--;
	note_domain_bytes(s, zs_probe_peak_bytes(p));
	bool retry = r->unfinished && !s->opts.no_retry;
	bool relearn = r->dkim_learnable && s->opts.learned != NULL;
	if (s->phase == SWEEP_MAIN && (retry || relearn)) {
		defer_domain(s, r, slot, retry);
		zs_probe_free(p);
		zs_free(slot);
	} else {
		if (slot->retry_of_failure && !r->unfinished) {
			s->sum.recovered++;
		}
		if (s->held_tail != NULL) {
			s->held_tail->next = slot;
		} else {
			s->held_head = slot;
		}
		s->held_tail = slot;
		s->held_count++;
		drain_held(s);
	}
	topup(s);
	maybe_finish(s);
}

static int start_probe(struct zs_sweep *s, const char *domain, size_t ds_count, bool failed)
{
	struct sweep_slot *slot = zs_calloc(1, sizeof(*slot));
	struct zs_probe_domain dom = {
		.name = domain,
		.delegation_known = true,
		.ds_count = ds_count,
	};

	slot->sweep = s;
	slot->ds_count = ds_count;
	slot->retry_of_failure = failed;
	if (s->opts.domain_info != NULL) {
		s->opts.domain_info(s->opts.domain_info_arg, &dom);
	}
	int ret = zs_probe_start(&s->env, &dom, probe_done, slot, &slot->probe);
	if (ret != 0) {
		zs_free(slot);
		return ret;
	}
	slot->next = s->inflight;
	if (s->inflight != NULL) {
		s->inflight->prev = slot;
	}
	s->inflight = slot;
	s->inflight_count++;
	return 0;
}

/* The next domain to probe, or NULL when the current pass has none left. */
static const char *next_domain(struct zs_sweep *s, size_t *ds_count, bool *failed)
{
	*failed = false;
	if (s->phase == SWEEP_RETRY) {
		if (s->deferred_next == s->deferred_count) {
			return NULL;
		}
		*ds_count = s->deferred[s->deferred_next].ds_count;
		*failed = s->deferred[s->deferred_next].failed;
		return s->deferred[s->deferred_next++].name;
	}
	while (!s->zone_done) {
		const struct zs_delegation *d;
		int ret = zs_zone_reader_next(s->zone, &d);
		if (ret == ZS_ERR_EOF) {
			s->zone_done = true;
			break;
		}
		if (ret != 0) {
			/* a broken zone ends the sweep: never a silently shorter zone */
			zs_log_error(ZS_LOG_ZONE, "%s: %s", s->opts.zone_path, zs_err_str(ret));
			s->zone_done = true;
			s->fatal = ret;
			break;
		}
		if (s->opts.skip != NULL && s->opts.skip(s->opts.skip_arg, d->name)) {
			s->sum.skipped++;
			continue;
		}
		*ds_count = d->ds_count;
		return d->name;
	}
	return NULL;
}

static size_t window_bytes(const struct zs_sweep *s)
{
	return s->opts.window_bytes != 0 ? s->opts.window_bytes : DEFAULT_WINDOW_BYTES;
}

/* What each domain in flight is expected to take in all. */
static size_t domain_allowance(const struct zs_sweep *s)
{
	return s->domain_bytes != 0 ? s->domain_bytes : FIRST_DOMAIN_BYTES;
}

/* Whether one more domain would take the window past its bytes (see the file's comment). */
static bool memory_full(const struct zs_sweep *s)
{
	size_t max = window_bytes(s);
	size_t each = domain_allowance(s);

	if (s->inflight_count + s->held_count == 0) {
		return false;
	}
	return s->mem.bytes + (s->inflight_count + 1) * each > max;
}

static bool window_full(const struct zs_sweep *s)
{
	unsigned window = s->opts.window != 0 ? s->opts.window : DEFAULT_WINDOW;
	return s->inflight_count + s->held_count >= window || memory_full(s);
}

static bool can_topup(const struct zs_sweep *s)
{
	if (!s->started || s->stopping || s->fatal != 0 || window_full(s) || s->held_count > 0) {
		return false;
	}
	if (s->phase == SWEEP_MAIN) {
		return !s->zone_done;
	}
	return s->phase == SWEEP_RETRY && s->deferred_next < s->deferred_count;
}

/* Say when memory first holds new domains back (not for the guess made before a domain
 * finished: it only paces the first few milliseconds). */
static void watch_memory(struct zs_sweep *s)
{
	if (!s->sum.memory_bound && s->domain_bytes != 0 && s->phase != SWEEP_CLOSING &&
	    memory_full(s)) {
		s->sum.memory_bound = true;
		zs_log_info(ZS_LOG_MAIN,
		            "window: %zu domains in flight and %zu waiting hold %.1f MiB (%.0f KiB "
		            "a domain): new domains wait for memory (limit %.0f MiB)",
		            s->inflight_count, s->held_count, (double)s->mem.bytes / (1 << 20),
		            (double)domain_allowance(s) / 1024,
		            (double)window_bytes(s) / (1 << 20));
	}
}

static void topup(struct zs_sweep *s)
{
	while (can_topup(s)) {
		size_t ds_count = 0;
		bool failed = false;
		const char *domain = next_domain(s, &ds_count, &failed);
		if (domain == NULL) {
			break;
		}
		int ret = start_probe(s, domain, ds_count, failed);
		if (ret != 0) {
			s->fatal = ret;
			break;
		}
	}
	watch_memory(s);
	/* keep the loop spinning (not sleeping in poll) while there is more to start */
	if (can_topup(s)) {
		(void)uv_idle_start(&s->kick, on_idle);
	} else {
		(void)uv_idle_stop(&s->kick);
	}
}

static void on_idle(uv_idle_t *h)
{
	topup(h->data);
	maybe_finish(h->data);
}

static void on_check(uv_check_t *h)
{
	topup(h->data);
}

/* The sink's wake-up: it has room again, or it failed (the sweep then stops at once). */
static void on_wake(uv_async_t *h)
{
	struct zs_sweep *s = h->data;
	if (!s->sum.sink_failed && s->opts.sink_status != NULL) {
		int ret = s->opts.sink_status(s->opts.emit_arg);
		if (ret != 0 && s->fatal == 0) {
			s->fatal = ret;
			s->sum.sink_failed = true;
		}
	}
	if (s->sum.sink_failed && !s->stopping) {
		zs_log_debug(ZS_LOG_MAIN,
		             "sweep: the sink failed: stopping; %zu domains in flight "
		             "are abandoned",
		             s->inflight_count);
		stop_sweep(s);
		return;
	}
	drain_held(s);
	topup(s);
	maybe_finish(s);
}

static void handle_closed(uv_handle_t *h)
{
	struct zs_sweep *s = h->data;
	s->open_handles--;
}

static void resolver_closed(struct zs_resolver *r, void *arg)
{
	struct zs_sweep *s = arg;
	s->res = NULL;
}

static void close_all(struct zs_sweep *s)
{
	uv_handle_t *handles[] = {
		(uv_handle_t *)&s->topup,       (uv_handle_t *)&s->kick,
		(uv_handle_t *)&s->wake,        (uv_handle_t *)&s->progress,
		(uv_handle_t *)&s->retry_timer, (uv_handle_t *)&s->sigint,
		(uv_handle_t *)&s->sigterm,
	};
	set_phase(s, SWEEP_CLOSING);
	uv_mutex_lock(&s->wake_mu);
	s->wake_open = false;
	uv_mutex_unlock(&s->wake_mu);
	for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
		if (!uv_is_closing(handles[i])) {
			uv_close(handles[i], handle_closed);
		}
	}
	if (s->res != NULL) {
		s->sum.dns = *zs_resolver_stats(s->res);
		zs_resolver_close(s->res, resolver_closed, s);
	}
}

static void retry_start(uv_timer_t *t)
{
	struct zs_sweep *s = t->data;
	zs_log_info(ZS_LOG_MAIN, "deferred pass: probing %zu domains again", s->deferred_count);
	s->sum.deferred = s->deferred_count;
	if (s->opts.learned != NULL) {
		/* the selectors the main pass learned become askable, for every domain alike */
		zs_dkim_learned_promote(s->opts.learned);
	}
	set_phase(s, SWEEP_RETRY);
	topup(s);
	maybe_finish(s);
}

/* Called whenever something finished: moves to the next phase when the current one is done. */
static void maybe_finish(struct zs_sweep *s)
{
	if (s->phase == SWEEP_CLOSING || s->phase == SWEEP_RETRY_WAIT ||
	    (!s->started && s->fatal == 0 && !s->stopping)) {
		return;
	}
	if (s->inflight_count > 0) {
		return;
	}
	bool pass_over =
	        s->stopping || s->fatal != 0 ||
	        (s->phase == SWEEP_MAIN ? s->zone_done : s->deferred_next >= s->deferred_count);
	if (!pass_over || (s->held_count > 0 && s->fatal == 0 && !s->stopping)) {
		return;
	}
	if (s->phase == SWEEP_MAIN && s->deferred_count > 0 && !s->stopping && s->fatal == 0) {
		/* only failures need the pause: resolvers serve their cached failures a while */
		unsigned delay = s->opts.retry_delay_ms != 0 ? s->opts.retry_delay_ms : 5000;
		delay = s->deferred_failed > 0 ? delay : 0;
		set_phase(s, SWEEP_RETRY_WAIT);
		if (s->deferred_failed > 0) {
			zs_log_info(ZS_LOG_MAIN,
			            "%zu domains had DNS failures; retrying them in %.1f s",
			            s->deferred_failed, delay / 1000.0);
		}
		if (s->deferred_count > s->deferred_failed) {
			zs_log_info(
			        ZS_LOG_MAIN,
			        "%zu domains without a DKIM key are probed again with the selectors "
			        "learned at their providers' other domains",
			        s->deferred_count - s->deferred_failed);
		}
		(void)uv_timer_start(&s->retry_timer, retry_start, delay, 0);
		return;
	}
	close_all(s);
}

/* End the sweep early: no new probes, the ones in flight abandoned, no deferred pass. */
static void stop_sweep(struct zs_sweep *s)
{
	s->stopping = true;
	while (s->inflight != NULL) {
		struct sweep_slot *slot = s->inflight;
		inflight_unlink(s, slot);
		zs_probe_cancel(slot->probe);
		zs_free(slot);
	}
	s->inflight_count = 0;
	if (s->phase == SWEEP_RETRY_WAIT) {
		(void)uv_timer_stop(&s->retry_timer);
		set_phase(s, SWEEP_RETRY);
	}
	maybe_finish(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct zs_sweep *s = h->data;

	if (s->stopping) {
		return;
	}
	zs_log_warn(ZS_LOG_MAIN, "%s received: stopping; %zu domains in flight are abandoned",
	            strsignal(signum), s->inflight_count);
	s->sum.interrupted = true;
	stop_sweep(s);
}

static double elapsed_s(const struct zs_sweep *s)
{
	return (double)(uv_hrtime() - s->started_ns) / 1e9;
}

static void show_progress(uv_timer_t *t)
{
	struct zs_sweep *s = t->data;
	const struct zs_resolver_stats *st = s->res != NULL ? zs_resolver_stats(s->res) : NULL;
	double secs = elapsed_s(s);
	uint64_t done = s->sum.domains + s->deferred_count - s->deferred_next;
	char eta[32] = "";

	if (st == NULL) {
		return;
	}
	double hit = st->questions > 0 ? 100.0 * (double)st->cache_hits / (double)st->questions : 0;
	uint64_t total = zs_zone_reader_stats(s->zone)->delegations;
	if (s->zone_done && total > done && done > 0) {
		double left = (double)(total - done) * secs / (double)done;
		(void)snprintf(eta, sizeof(eta), " | ETA %.0f s", left);
	}
	/* the rate since the last line, not since the start */
	uint64_t now = uv_hrtime();
	double span = (double)(now - s->last_progress_ns) / 1e9;
	double qps = span > 0 ? (double)(st->sent - s->last_progress_sent) / span : 0;
	s->last_progress_ns = now;
	s->last_progress_sent = st->sent;
	if (s->tty) {
		fprintf(stderr,
		        "\r\033[K%s: %llu of %llu%s domains | %zu in flight | %.0f q/s | cache %.0f%%%s",
		        phase_names[s->phase], (unsigned long long)done, (unsigned long long)total,
		        s->zone_done ? "" : "+", s->inflight_count, qps, hit, eta);
	} else {
		zs_log_info(ZS_LOG_MAIN,
		            "progress: %llu domains done, %zu in flight, %.0f q/s, cache %.0f%%%s",
		            (unsigned long long)done, s->inflight_count, qps, hit, eta);
	}
}

static void preflight_done(const struct zs_answer *ans, void *arg)
{
	struct zs_sweep *s = arg;

	s->sum.preflight = ans->status;
	if (zs_dns_status_is_answer(ans->status)) {
		s->started = true;
	} else if (++s->preflight_tries < 3 && !s->stopping &&
	           zs_resolver_query(s->res, s->opts.preflight, ZS_RR_SOA, preflight_done, s,
	                             NULL) == 0) {
		/* a resolver busy with slow recursions may miss one deadline: ask again */
		return;
	} else {
		s->fatal = ZS_ERR_DNS;
	}
	topup(s);
	maybe_finish(s);
}

int zs_sweep_new(const struct zs_sweep_opts *opts, struct zs_sweep **out)
{
	struct zs_sweep *s = zs_calloc(1, sizeof(*s));
	int ret;

	s->opts = *opts;
	ret = zs_zone_reader_open(opts->zone_path, &opts->zone, &s->zone);
	if (ret != 0) {
		zs_free(s);
		return ret;
	}
	ret = uv_mutex_init(&s->wake_mu);
	if (ret != 0) {
		zs_zone_reader_close(s->zone);
		zs_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

static void init_handle(struct zs_sweep *s, uv_handle_t *h)
{
	h->data = s;
	s->open_handles++;
}

int zs_sweep_run(struct zs_sweep *s, struct zs_sweep_summary *sum)
{
	int ret = uv_loop_init(&s->loop);
	if (ret != 0) {
		return ret;
	}
	s->started_ns = uv_hrtime();
	ret = zs_resolver_new(&s->loop, &s->opts.resolver, &s->res);
	if (ret != 0) {
		(void)uv_loop_close(&s->loop);
		return ret;
	}
	s->env = (struct zs_probe_env){
		.loop = &s->loop,
		.res = s->res,
		.policy = s->opts.policy,
		.psl = s->opts.psl,
		.selectors = s->opts.selectors,
		.selector_count = s->opts.selector_count,
		.providers = s->opts.providers,
		.learned = s->opts.learned,
		.today = s->opts.today,
		.budget_ms = s->opts.budget_ms,
		.validating = s->opts.resolver.validating,
		.spf_cache = zs_spf_cache_new(10000),
		.meter = &s->mem,
	};
	(void)uv_check_init(&s->loop, &s->topup);
	init_handle(s, (uv_handle_t *)&s->topup);
	(void)uv_idle_init(&s->loop, &s->kick);
	init_handle(s, (uv_handle_t *)&s->kick);
	(void)uv_async_init(&s->loop, &s->wake, on_wake);
	init_handle(s, (uv_handle_t *)&s->wake);
	uv_mutex_lock(&s->wake_mu);
	s->wake_open = true;
	uv_mutex_unlock(&s->wake_mu);
	(void)uv_timer_init(&s->loop, &s->progress);
	init_handle(s, (uv_handle_t *)&s->progress);
	(void)uv_timer_init(&s->loop, &s->retry_timer);
	init_handle(s, (uv_handle_t *)&s->retry_timer);
	(void)uv_signal_init(&s->loop, &s->sigint);
	init_handle(s, (uv_handle_t *)&s->sigint);
	(void)uv_signal_init(&s->loop, &s->sigterm);
	init_handle(s, (uv_handle_t *)&s->sigterm);
	(void)uv_check_start(&s->topup, on_check);
	(void)uv_signal_start(&s->sigint, on_signal, SIGINT);
	(void)uv_signal_start(&s->sigterm, on_signal, SIGTERM);
	s->tty = isatty(STDERR_FILENO) == 1;
	s->last_progress_ns = s->started_ns;
	if (s->opts.progress) {
		zs_log_set_status_line(s->tty);
		unsigned every = s->tty ? 250 : 10000;
		(void)uv_timer_start(&s->progress, show_progress, every, every);
	}

	if (s->opts.preflight != NULL) {
		ret = zs_resolver_query(s->res, s->opts.preflight, ZS_RR_SOA, preflight_done, s,
		                        NULL);
		if (ret != 0) {
			s->fatal = ret;
		}
	} else {
		s->started = true;
	}
	topup(s);
	maybe_finish(s);
	(void)uv_run(&s->loop, UV_RUN_DEFAULT);
	if (s->tty && s->opts.progress) {
		fprintf(stderr, "\r\033[K");
		zs_log_set_status_line(false);
	}

	/* every handle is closed by now; whatever is left was abandoned by a stop */
	while (s->held_head != NULL) {
		struct sweep_slot *slot = s->held_head;
		s->held_head = slot->next;
		zs_probe_free(slot->probe);
		zs_free(slot);
	}
	(void)uv_run(&s->loop, UV_RUN_DEFAULT); /* probe timers closing */
	if (uv_loop_close(&s->loop) != 0) {
		zs_log_warn(ZS_LOG_MAIN, "sweep: event loop closed with handles still open");
	}
	s->sum.peak_bytes = s->mem.peak;
	s->sum.seconds = elapsed_s(s);
	s->sum.started = s->started;
	zs_spf_cache_free(s->env.spf_cache);
	s->env.spf_cache = NULL;
	s->sum.zone = *zs_zone_reader_stats(s->zone);
	*sum = s->sum;
	if (s->fatal != 0) {
		return s->fatal;
	}
	return s->stopping ? ZS_ERR_INTERRUPTED : 0;
}

const struct zs_zone_stats *zs_sweep_zone_stats(const struct zs_sweep *s)
{
	return zs_zone_reader_stats(s->zone);
}

void zs_sweep_wake(void *sweep)
{
	struct zs_sweep *s = sweep;
	uv_mutex_lock(&s->wake_mu);
	if (s->wake_open) {
		(void)uv_async_send(&s->wake);
	}
	uv_mutex_unlock(&s->wake_mu);
}

void zs_sweep_free(struct zs_sweep *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->deferred_count; i++) {
		zs_free(s->deferred[i].name);
	}
	zs_free(s->deferred);
	zs_zone_reader_close(s->zone);
	uv_mutex_destroy(&s->wake_mu);
	zs_free(s);
}

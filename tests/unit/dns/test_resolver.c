/* SPDX-License-Identifier: MIT */
/*
 * Tests of the resolver (scanner/dns/resolver.c, udp.c, tcp.c) on a real libuv loop against the
 * fault-injecting server of tests/dns_fault on 127.0.0.1. Each fault must end in the right
 * final status, and every answer that arrives must reach the question it answers and no
 * other. Tests assert outcomes and counters, never durations: timeouts are short where a
 * timeout is the expected outcome and long where an answer is, and a guard timer of a minute
 * turns a hang into a failure. Every test ends with all handles closed and
 * uv_loop_close() == 0, and cmocka's allocator checks that nothing leaked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/dns/resolver.h"
#include "scanner/dns/resolver_int.h"
#include "tests/dns_fault/fault_server.h"
#include "tests/unit/test.h"

enum { MAX_SERVERS = 3, GUARD_MS = 60000, LONG_TIMEOUT_MS = 5000 };

struct fixture {
	uv_loop_t loop;
	struct zs_fault_server *srv[MAX_SERVERS];
	size_t nsrv;
	struct zs_resolver *r;
	uv_timer_t guard;
	bool guard_fired;
	bool closed;
};

/* What one question came to, copied out of the callback. */
struct result {
	int calls;
	enum zs_dns_status status;
	uint8_t rcode;
	bool from_cache;
	bool ad;
	size_t count;
	size_t cname_count;
	uint32_t neg_ttl;
	char text[4096]; /**< the records, described */
};

static int answers_seen;
static bool inside_query;

static void describe(const struct zs_answer *a, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < a->cname_count && o < cap; i++) {
		o += (size_t)snprintf(out + o, cap - o, "%sCNAME %s", o ? "; " : "", a->cname[i]);
	}
	for (size_t i = 0; i < a->count && o < cap; i++) {
		const struct zs_rr *rr = &a->rr[i];
		o += (size_t)snprintf(out + o, cap - o, "%s", o ? "; " : "");
		switch (rr->type) {
		case ZS_RR_A:
			o += (size_t)snprintf(out + o, cap - o, "A %u.%u.%u.%u", rr->u.a[0],
			                      rr->u.a[1], rr->u.a[2], rr->u.a[3]);
			break;
		case ZS_RR_MX:
			o += (size_t)snprintf(out + o, cap - o, "MX %u %s", rr->u.mx.pref,
			                      rr->u.mx.host);
			break;
		case ZS_RR_TXT:
			o += (size_t)snprintf(out + o, cap - o, "TXT");
			for (size_t k = 0; k < rr->u.txt.count && o < cap; k++) {
				o += (size_t)snprintf(out + o, cap - o, " \"%.*s\"",
				                      (int)rr->u.txt.len[k],
				                      (const char *)rr->u.txt.str[k]);
			}
			break;
		default:
			o += (size_t)snprintf(out + o, cap - o, "%s", zs_rr_type_name(rr->type));
			break;
		}
	}
}

static void on_answer(const struct zs_answer *a, void *arg)
{
	struct result *res = arg;
	assert_false(inside_query);
	res->calls++;
	res->status = a->status;
	res->rcode = a->rcode;
	res->from_cache = a->from_cache;
	res->ad = a->ad;
	res->count = a->count;
	res->cname_count = a->cname_count;
	res->neg_ttl = a->neg_ttl;
	describe(a, res->text, sizeof(res->text));
	answers_seen++;
}

static void guard_cb(uv_timer_t *t)
{
	struct fixture *f = t->data;
	f->guard_fired = true;
}

static void fx_setup(struct fixture *f, size_t nsrv)
{
	memset(f, 0, sizeof(*f));
	answers_seen = 0;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	for (size_t i = 0; i < nsrv; i++) {
		assert_int_equal(zs_fault_server_new(&f->loop, "127.0.0.1", &f->srv[i]), 0);
	}
	f->nsrv = nsrv;
	assert_int_equal(uv_timer_init(&f->loop, &f->guard), 0);
	f->guard.data = f;
	assert_int_equal(uv_timer_start(&f->guard, guard_cb, GUARD_MS, 0), 0);
}

static void add(struct fixture *f, size_t i, const char *line)
{
	assert_int_equal(zs_fault_server_add(f->srv[i], line), 0);
}

/* add() a formatted line */
__attribute__((format(printf, 3, 4))) static void addf(struct fixture *f, size_t i, const char *fmt,
                                                       ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	add(f, i, line);
}

static void fx_resolver(struct fixture *f, struct zs_resolver_opts *o)
{
	o->server_count = f->nsrv;
	for (size_t i = 0; i < f->nsrv; i++) {
		zs_fault_server_addr(f->srv[i], &o->servers[i]);
	}
	assert_int_equal(zs_resolver_new(&f->loop, o, &f->r), 0);
}

static void ask(struct fixture *f, const char *name, uint16_t type, struct result *res,
                struct zs_dns_query **handle)
{
	inside_query = true;
	assert_int_equal(zs_resolver_query(f->r, name, type, on_answer, res, handle), 0);
	inside_query = false;
}

/* Ask the n questions <prefix>0<suffix>, <prefix>1<suffix>... */
static void ask_each(struct fixture *f, const char *prefix, const char *suffix, int n,
                     uint16_t type, struct result *res)
{
	for (int i = 0; i < n; i++) {
		char name[64];
		(void)snprintf(name, sizeof(name), "%s%d%s", prefix, i, suffix);
		ask(f, name, type, &res[i], NULL);
	}
}

static void fx_wait(struct fixture *f, int answers)
{
	while (answers_seen < answers && !f->guard_fired) {
		(void)uv_run(&f->loop, UV_RUN_ONCE);
	}
	assert_false(f->guard_fired);
}

static void on_closed(struct zs_resolver *r, void *arg)
{
	struct fixture *f = arg;
	f->closed = true;
}

static void fx_teardown(struct fixture *f)
{
	if (f->r != NULL) {
		zs_resolver_close(f->r, on_closed, f);
	}
	for (size_t i = 0; i < f->nsrv; i++) {
		zs_fault_server_close(f->srv[i]);
	}
	uv_close((uv_handle_t *)&f->guard, NULL);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_true(f->r == NULL || f->closed);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static struct zs_resolver_opts long_opts(void)
{
	struct zs_resolver_opts o;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = LONG_TIMEOUT_MS;
	return o;
}

/* Opts for tests whose expected outcome is a timeout: short, few tries. */
static struct zs_resolver_opts short_opts(unsigned tries)
{
	struct zs_resolver_opts o;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 300;
	o.tries = tries;
	return o;
}

static const char *const soa_example =
        "auth example. 900 IN SOA ns.example. host.example. 1 3600 600 86400 300";

/* ---- answers and the cache ---------------------------------------------------------------- */

static void test_resolver_answers_each_type(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule example.com MX");
	add(&f, 0, "rr example.com. 300 IN MX 20 mx2.example.com.");
	add(&f, 0, "rr example.com. 300 IN MX 10 MX1.Example.COM.");
	add(&f, 0, "rule example.com TXT");
	add(&f, 0, "rr example.com. 300 IN TXT \"v=spf1 \" \"-all\"");
	add(&f, 0, "rule www.example.com A ad=yes");
	add(&f, 0, "rr www.example.com. 300 IN A 192.0.2.10");
	add(&f, 0, "rule nx.example.com TXT rcode=nxdomain");
	add(&f, 0, soa_example);
	add(&f, 0, "rule nodata.example.com TXT");
	add(&f, 0, soa_example);
	add(&f, 0, "rule c.example.com A");
	add(&f, 0, "rr c.example.com. 300 IN CNAME t.example.net.");
	add(&f, 0, "rr t.example.net. 300 IN A 192.0.2.11");
	add(&f, 0, "rule l1.example.com A");
	add(&f, 0, "rr l1.example.com. 300 IN CNAME l2.example.com.");
	add(&f, 0, "rr l2.example.com. 300 IN CNAME l1.example.com.");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);

	struct result mx = { 0 }, txt = { 0 }, a = { 0 }, nx = { 0 }, nodata = { 0 },
	              refused = { 0 }, cname = { 0 }, loop = { 0 }, bad = { 0 };
	ask(&f, "Example.COM.", ZS_RR_MX, &mx, NULL);
	ask(&f, "example.com", ZS_RR_TXT, &txt, NULL);
	ask(&f, "www.example.com", ZS_RR_A, &a, NULL);
	ask(&f, "nx.example.com", ZS_RR_TXT, &nx, NULL);
	ask(&f, "nodata.example.com", ZS_RR_TXT, &nodata, NULL);
	ask(&f, "unknown.example.com", ZS_RR_TXT, &refused, NULL);
	ask(&f, "c.example.com", ZS_RR_A, &cname, NULL);
	ask(&f, "l1.example.com", ZS_RR_A, &loop, NULL);
	ask(&f, "label-too-long-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	    ZS_RR_A, &bad, NULL);
	assert_int_equal(answers_seen, 0); /* never from inside zs_resolver_query() */
	assert_int_equal(zs_resolver_pending(f.r), 9);
	fx_wait(&f, 9);
	assert_int_equal(zs_resolver_pending(f.r), 0);

	assert_int_equal(mx.status, ZS_DNS_NOERROR);
	assert_string_equal(mx.text, "MX 20 mx2.example.com; MX 10 mx1.example.com");
	assert_false(mx.from_cache);
	assert_int_equal(txt.status, ZS_DNS_NOERROR);
	assert_string_equal(txt.text, "TXT \"v=spf1 \" \"-all\"");
	assert_int_equal(a.status, ZS_DNS_NOERROR);
	assert_string_equal(a.text, "A 192.0.2.10");
	assert_true(a.ad);
	assert_false(mx.ad);
	assert_int_equal(nx.status, ZS_DNS_NXDOMAIN);
	assert_int_equal(nx.rcode, 3);
	assert_int_equal(nx.neg_ttl, 300);
	assert_int_equal(nodata.status, ZS_DNS_NODATA);
	assert_int_equal(refused.status, ZS_DNS_REFUSED);
	assert_int_equal(refused.rcode, 5);
	assert_int_equal(cname.status, ZS_DNS_NOERROR);
	assert_string_equal(cname.text, "CNAME t.example.net; A 192.0.2.11");
	assert_int_equal(loop.status, ZS_DNS_CNAME_LOOP);
	assert_int_equal(bad.status, ZS_DNS_BADNAME);
	assert_int_equal(mx.calls + txt.calls + a.calls + nx.calls + nodata.calls + refused.calls +
	                         cname.calls + loop.calls + bad.calls,
	                 9);

	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->questions, 9);
	assert_int_equal(st->lookups, 8);
	assert_int_equal(st->sent, 8);
	assert_int_equal(st->answered, 8);
	assert_int_equal(st->mismatched, 0);
	assert_int_equal(st->status[ZS_DNS_NOERROR], 4);
	assert_int_equal(st->rcode[5], 1);
	assert_int_equal(st->rcode[3], 1);
	/* every query carried EDNS0 with 1232 */
	assert_int_equal(zs_fault_server_stats(f.srv[0])->no_edns, 0);
	assert_int_equal(zs_fault_server_stats(f.srv[0])->last_edns_size, 1232);
	fx_teardown(&f);
}

static void test_resolver_cache_positive_and_negative(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule example.com TXT");
	add(&f, 0, "rr example.com. 300 IN TXT \"v=spf1 -all\"");
	add(&f, 0, "rule nx.example.com TXT rcode=nxdomain");
	add(&f, 0, soa_example);
	add(&f, 0, "rule fail.example.com TXT fault=servfail");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);

	struct result r1[3] = { 0 };
	struct result r2[3] = { 0 };
	ask(&f, "example.com", ZS_RR_TXT, &r1[0], NULL);
	ask(&f, "nx.example.com", ZS_RR_TXT, &r1[1], NULL);
	ask(&f, "fail.example.com", ZS_RR_TXT, &r1[2], NULL);
	fx_wait(&f, 3);
	ask(&f, "EXAMPLE.com.", ZS_RR_TXT, &r2[0], NULL);
	ask(&f, "nx.example.com", ZS_RR_TXT, &r2[1], NULL);
	ask(&f, "fail.example.com", ZS_RR_TXT, &r2[2], NULL);
	fx_wait(&f, 6);
	assert_false(r1[0].from_cache);
	assert_true(r2[0].from_cache);
	assert_string_equal(r2[0].text, r1[0].text);
	assert_true(r2[1].from_cache);
	assert_int_equal(r2[1].status, ZS_DNS_NXDOMAIN);
	/* failures are never cached: asked again */
	assert_int_equal(r2[2].status, ZS_DNS_SERVFAIL);
	assert_false(r2[2].from_cache);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "example.com", "TXT"), 1);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "nx.example.com", "TXT"), 1);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "fail.example.com", "TXT"), 2);
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->cache_hits, 2);
	assert_int_equal(st->cache_entries, 2);
	fx_teardown(&f);
}

static void test_resolver_coalesces_identical_questions(void **state)
{
	struct fixture f;
	enum { N = 1000 };
	fx_setup(&f, 1);
	add(&f, 0, "rule _spf.provider.example TXT");
	add(&f, 0, "rr _spf.provider.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result *res = zs_calloc(N, sizeof(*res));
	for (int i = 0; i < N; i++) {
		ask(&f, i % 2 ? "_SPF.provider.example" : "_spf.provider.example.", ZS_RR_TXT,
		    &res[i], NULL);
	}
	fx_wait(&f, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, ZS_DNS_NOERROR);
		assert_string_equal(res[i].text, "TXT \"v=spf1 ip4:192.0.2.0/24 -all\"");
	}
	assert_int_equal(zs_fault_server_hits(f.srv[0], "_spf.provider.example", "TXT"), 1);
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->coalesced, N - 1);
	assert_int_equal(st->sent, 1);
	assert_int_equal(st->status[ZS_DNS_NOERROR], N);
	zs_free(res);
	fx_teardown(&f);
}

/* ---- timeouts, retries, failover ---------------------------------------------------------- */

static void test_resolver_drop_ends_in_timeout(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule silent.example A fault=drop");
	add(&f, 0, "rr silent.example. 300 IN A 192.0.2.1");
	struct zs_resolver_opts o = short_opts(2);
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "silent.example", ZS_RR_A, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_TIMEOUT);
	assert_int_equal(res.count, 0);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "silent.example", "A"), 2);
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->sent, 2);
	assert_int_equal(st->retried, 1);
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(st->status[ZS_DNS_TIMEOUT], 1);
	assert_int_equal(zs_resolver_server_stats(f.r, 0)->timeouts, 2);
	assert_null(zs_resolver_server_stats(f.r, 1));
	fx_teardown(&f);
}

static void test_resolver_retry_after_one_drop(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule once.example A fault=drop count=1");
	add(&f, 0, "rr once.example. 300 IN A 192.0.2.1");
	struct zs_resolver_opts o = short_opts(3);
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "once.example", ZS_RR_A, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_NOERROR);
	assert_string_equal(res.text, "A 192.0.2.1");
	assert_true(zs_fault_server_hits(f.srv[0], "once.example", "A") >= 2);
	assert_true(zs_resolver_stats(f.r)->retried >= 1);
	fx_teardown(&f);
}

static void test_resolver_fails_over_to_other_server(void **state)
{
	struct fixture f;
	enum { N = 8 };
	fx_setup(&f, 2);
	for (int i = 0; i < N; i++) {
		addf(&f, 0, "rule n%d.example A fault=drop", i);
		addf(&f, 1, "rule n%d.example A", i);
		addf(&f, 1, "rr n%d.example. 300 IN A 192.0.2.%d", i, i);
	}
	struct zs_resolver_opts o = short_opts(3);
	fx_resolver(&f, &o);
	struct result res[N] = { 0 };
	ask_each(&f, "n", ".example", N, ZS_RR_A, res);
	fx_wait(&f, N);
	for (int i = 0; i < N; i++) {
		char want[32];
		(void)snprintf(want, sizeof(want), "A 192.0.2.%d", i);
		assert_int_equal(res[i].status, ZS_DNS_NOERROR);
		assert_string_equal(res[i].text, want);
	}
	/* lookups are spread: half of them started on the silent server and moved on (a try to
	 * the good server only goes back there if the machine stalls past the timeout) */
	assert_true(zs_fault_server_stats(f.srv[0])->udp_queries >= N / 2);
	assert_true(zs_resolver_server_stats(f.r, 0)->timeouts >= N / 2);
	assert_int_equal(zs_resolver_server_stats(f.r, 1)->answered, N);
	fx_teardown(&f);
}

static void test_resolver_servfail_retried_on_another_server(void **state)
{
	struct fixture f;
	enum { N = 6 };
	fx_setup(&f, 2);
	for (int i = 0; i < N; i++) {
		addf(&f, 0, "rule s%d.example TXT fault=servfail", i);
		addf(&f, 1, "rule s%d.example TXT", i);
		addf(&f, 1, "rr s%d.example. 300 IN TXT \"ok %d\"", i, i);
	}
	add(&f, 0, "rule both.example TXT fault=refused");
	add(&f, 1, "rule both.example TXT fault=servfail");
	struct zs_resolver_opts o = long_opts();
	o.tries = 3;
	fx_resolver(&f, &o);
	struct result res[N] = { 0 };
	struct result both = { 0 };
	ask_each(&f, "s", ".example", N, ZS_RR_TXT, res);
	ask(&f, "both.example", ZS_RR_TXT, &both, NULL);
	fx_wait(&f, N + 1);
	for (int i = 0; i < N; i++) {
		char want[32];
		(void)snprintf(want, sizeof(want), "TXT \"ok %d\"", i);
		assert_int_equal(res[i].status, ZS_DNS_NOERROR);
		assert_string_equal(res[i].text, want);
	}
	/* each server asked once, the last failure is final: no third try */
	assert_true(both.status == ZS_DNS_SERVFAIL || both.status == ZS_DNS_REFUSED);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "both.example", "TXT"), 1);
	assert_int_equal(zs_fault_server_hits(f.srv[1], "both.example", "TXT"), 1);
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->rcode_retries, N / 2 + 1);
	fx_teardown(&f);
}

static void test_resolver_servfail_single_server_is_final(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule sf.example MX fault=servfail");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "sf.example", ZS_RR_MX, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_SERVFAIL);
	assert_int_equal(res.rcode, 2);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "sf.example", "MX"), 1);
	assert_int_equal(zs_resolver_stats(f.r)->rcode[2], 1);
	fx_teardown(&f);
}

static void test_resolver_delayed_answer_arrives(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule slow.example A fault=delay delay=50");
	add(&f, 0, "rr slow.example. 300 IN A 192.0.2.5");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "slow.example", ZS_RR_A, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_NOERROR);
	assert_string_equal(res.text, "A 192.0.2.5");
	fx_teardown(&f);
}

/* ---- truncation and TCP ------------------------------------------------------------------- */

static void test_resolver_truncated_goes_to_tcp_and_ignores_udp_data(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule tc.example TXT fault=truncate");
	add(&f, 0, "rr tc.example. 300 IN TXT \"the real answer\"");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "tc.example", ZS_RR_TXT, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_NOERROR);
	assert_string_equal(res.text, "TXT \"the real answer\""); /* never "bogus" */
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->truncated, 1);
	assert_int_equal(st->tcp_fallbacks, 1);
	assert_int_equal(st->tcp_connects, 1);
	assert_int_equal(zs_fault_server_stats(f.srv[0])->tcp_queries, 1);
	fx_teardown(&f);
}

static void test_resolver_large_answer_over_tcp_pipelined(void **state)
{
	struct fixture f;
	enum { N = 30, STRINGS = 8 };
	char chunk[201];
	memset(chunk, 'k', 200);
	chunk[200] = '\0';
	fx_setup(&f, 1);
	for (int i = 0; i < N; i++) {
		addf(&f, 0, "rule big%d.example TXT", i);
		for (int s = 0; s < STRINGS; s++) {
			addf(&f, 0, "rr big%d.example. 300 IN TXT \"%d-%d-%s\"", i, i, s, chunk);
		}
	}
	struct zs_resolver_opts o = long_opts();
	o.tcp_conns = 2;
	fx_resolver(&f, &o);
	struct result *res = zs_calloc(N, sizeof(*res));
	ask_each(&f, "big", ".example", N, ZS_RR_TXT, res);
	fx_wait(&f, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i].status, ZS_DNS_NOERROR);
		assert_int_equal(res[i].count, STRINGS);
		for (int s = 0; s < STRINGS; s++) {
			char want[300];
			(void)snprintf(want, sizeof(want), "\"%d-%d-%s\"", i, s, chunk);
			assert_non_null(strstr(res[i].text, want));
		}
	}
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->truncated, N);
	assert_int_equal(st->tcp_fallbacks, N);
	assert_true(st->tcp_connects <= 2);
	assert_int_equal(st->tcp_reused, N - st->tcp_connects);
	assert_true(zs_fault_server_stats(f.srv[0])->tcp_connections <= 2);
	zs_free(res);
	fx_teardown(&f);
}

/* A server that ignores the EDNS buffer size: a 4 KB UDP reply is read whole, no TCP needed. */
static void test_resolver_oversized_udp_reply_read_whole(void **state)
{
	struct fixture f;
	enum { STRINGS = 16 };
	fx_setup(&f, 1);
	add(&f, 0, "rule huge.example TXT fault=oversize");
	for (int i = 0; i < STRINGS; i++) {
		addf(&f, 0, "rr huge.example. 300 IN TXT \"%02d%0248d\"", i, 0);
	}
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "huge.example", ZS_RR_TXT, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_NOERROR);
	assert_int_equal(res.count, STRINGS);
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->truncated, 0);
	assert_int_equal(st->tcp_fallbacks, 0);
	assert_int_equal(st->malformed, 0);
	assert_int_equal(zs_fault_server_stats(f.srv[0])->tcp_queries, 0);
	fx_teardown(&f);
}

static void test_resolver_tcp_closed_mid_answer(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule cut.example TXT fault=tcp-close");
	add(&f, 0, "rr cut.example. 300 IN TXT \"never seen whole\"");
	struct zs_resolver_opts o = long_opts();
	o.tries = 2;
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "cut.example", ZS_RR_TXT, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_TCP_FAILED);
	assert_int_equal(res.count, 0);
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->tcp_errors, 2);
	assert_int_equal(zs_fault_server_stats(f.srv[0])->tcp_queries, 2);
	fx_teardown(&f);
}

static void test_resolver_tc_over_tcp_is_an_error(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule tctcp.example TXT fault=tcp-tc");
	add(&f, 0, "rr tctcp.example. 300 IN TXT \"partial\"");
	struct zs_resolver_opts o = long_opts();
	o.tries = 2;
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "tctcp.example", ZS_RR_TXT, &res, NULL);
	fx_wait(&f, 1);
	assert_int_equal(res.status, ZS_DNS_TCP_FAILED);
	assert_int_equal(zs_resolver_stats(f.r)->tcp_truncated, 2);
	fx_teardown(&f);
}

/* ---- spoofed, unrelated and malformed replies ---------------------------------------------- */

static void test_resolver_ignores_wrong_id_question_and_qdcount(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule id.example A fault=wrong-id");
	add(&f, 0, "rr id.example. 300 IN A 192.0.2.21");
	add(&f, 0, "rule q.example A fault=wrong-question");
	add(&f, 0, "rr q.example. 300 IN A 192.0.2.22");
	add(&f, 0, "rule qd.example A fault=no-question");
	add(&f, 0, "rr qd.example. 300 IN A 192.0.2.23");
	add(&f, 0, "rule port.example A fault=wrong-port");
	add(&f, 0, "rr port.example. 300 IN A 192.0.2.24");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result id = { 0 }, q = { 0 }, qd = { 0 }, port = { 0 };
	ask(&f, "id.example", ZS_RR_A, &id, NULL);
	ask(&f, "q.example", ZS_RR_A, &q, NULL);
	ask(&f, "qd.example", ZS_RR_A, &qd, NULL);
	ask(&f, "port.example", ZS_RR_A, &port, NULL);
	fx_wait(&f, 4);
	assert_string_equal(id.text, "A 192.0.2.21");
	assert_string_equal(q.text, "A 192.0.2.22");
	assert_string_equal(qd.text, "A 192.0.2.23");
	assert_string_equal(port.text, "A 192.0.2.24");
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->mismatch_id, 1);
	assert_int_equal(st->mismatch_question, 2);
	assert_int_equal(st->answered, 4);
	assert_int_equal(zs_fault_server_stats(f.srv[0])->faults, 4);
	fx_teardown(&f);
}

static void test_resolver_only_bad_replies_end_in_timeout(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule id.example A fault=wrong-id answer=no");
	add(&f, 0, "rr id.example. 300 IN A 192.0.2.21");
	add(&f, 0, "rule q.example A fault=no-question answer=no");
	add(&f, 0, "rr q.example. 300 IN A 192.0.2.22");
	add(&f, 0, "rule port.example A fault=wrong-port answer=no");
	add(&f, 0, "rr port.example. 300 IN A 192.0.2.24");
	add(&f, 0, "rule bad.example A fault=malformed variant=2 answer=no");
	add(&f, 0, "rr bad.example. 300 IN A 192.0.2.25");
	struct zs_resolver_opts o = short_opts(2);
	fx_resolver(&f, &o);
	struct result res[4] = { 0 };
	ask(&f, "id.example", ZS_RR_A, &res[0], NULL);
	ask(&f, "q.example", ZS_RR_A, &res[1], NULL);
	ask(&f, "port.example", ZS_RR_A, &res[2], NULL);
	ask(&f, "bad.example", ZS_RR_A, &res[3], NULL);
	fx_wait(&f, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(res[i].status, ZS_DNS_TIMEOUT);
		assert_int_equal(res[i].count, 0);
	}
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->answered, 0);
	/* two tries each; wrong-port replies are dropped by the kernel (connected sockets) */
	assert_int_equal(st->mismatch_id, 2);
	assert_int_equal(st->mismatch_question, 2);
	assert_int_equal(st->malformed, 2);
	fx_teardown(&f);
}

static void test_resolver_survives_malformed_packets(void **state)
{
	struct fixture f;
	enum { N = ZS_FAULT_MALFORMED_VARIANTS };
	fx_setup(&f, 1);
	for (int v = 0; v < N; v++) {
		addf(&f, 0, "rule m%d.example A fault=malformed variant=%d", v, v);
		addf(&f, 0, "rr m%d.example. 300 IN A 192.0.2.%d", v, 100 + v);
	}
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result res[N] = { 0 };
	ask_each(&f, "m", ".example", N, ZS_RR_A, res);
	fx_wait(&f, N);
	for (int v = 0; v < N; v++) {
		char want[32];
		(void)snprintf(want, sizeof(want), "A 192.0.2.%d", 100 + v);
		assert_int_equal(res[v].status, ZS_DNS_NOERROR);
		assert_string_equal(res[v].text, want);
	}
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_int_equal(st->mismatched, N);
	assert_int_equal(st->malformed + st->mismatch_question + st->mismatch_id, N);
	assert_true(st->malformed >= 7);
	fx_teardown(&f);
}

/* Many lookups, two servers, rotating sockets, bad replies in between: nothing misattributed. */
static void test_resolver_never_misattributes(void **state)
{
	struct fixture f;
	enum { N = 300 };
	static const char *const faults[] = { "", " fault=wrong-id", " fault=wrong-question",
		                              " fault=no-question", " fault=malformed variant=1" };
	fx_setup(&f, 2);
	for (int i = 0; i < N; i++) {
		for (size_t s = 0; s < 2; s++) {
			addf(&f, s, "rule h%d.example A%s", i, faults[i % 5]);
			addf(&f, s, "rr h%d.example. 300 IN A 10.%zu.%d.%d", i, s, i / 256,
			     i % 256);
		}
	}
	struct zs_resolver_opts o = long_opts();
	o.udp_rotate = 16;
	o.udp_sockets = 2;
	o.max_inflight = 50;
	fx_resolver(&f, &o);
	struct result *res = zs_calloc(N, sizeof(*res));
	ask_each(&f, "h", ".example", N, ZS_RR_A, res);
	fx_wait(&f, N);
	for (int i = 0; i < N; i++) {
		char want0[32];
		char want1[32];
		(void)snprintf(want0, sizeof(want0), "A 10.0.%d.%d", i / 256, i % 256);
		(void)snprintf(want1, sizeof(want1), "A 10.1.%d.%d", i / 256, i % 256);
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, ZS_DNS_NOERROR);
		assert_true(strcmp(res[i].text, want0) == 0 || strcmp(res[i].text, want1) == 0);
	}
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_true(st->udp_rotations >= 10);
	assert_int_equal(st->peak_inflight, 50);
	assert_int_equal(st->mismatched, N / 5 * 4);
	zs_free(res);
	fx_teardown(&f);
}

/*
 * A receive buffer the kernel keeps at its minimum, one socket, and a burst of answers: the
 * fault server (on the same loop) replies to every query it reads before the resolver reads
 * again, so the kernel drops most of them. The drops are counted, the questions they cost are
 * retried, and the answers that do arrive still reach their own questions.
 */
static void test_resolver_counts_kernel_drops(void **state)
{
	struct fixture f;
	enum { N = 200 };
	fx_setup(&f, 1);
	for (int i = 0; i < N; i++) {
		addf(&f, 0, "rule d%d.example A", i);
		addf(&f, 0, "rr d%d.example. 300 IN A 10.9.%d.%d", i, i / 256, i % 256);
	}
	struct zs_resolver_opts o = short_opts(3);
	o.timeout_ms = 100;
	o.udp_sockets = 1;
	o.udp_rcvbuf = 1;
	o.max_inflight = N;
	fx_resolver(&f, &o);
	struct result *res = zs_calloc(N, sizeof(*res));
	ask_each(&f, "d", ".example", N, ZS_RR_A, res);
	fx_wait(&f, N);
	int answered = 0;
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		if (res[i].status == ZS_DNS_NOERROR) {
			char want[32];
			(void)snprintf(want, sizeof(want), "A 10.9.%d.%d", i / 256, i % 256);
			assert_string_equal(res[i].text, want);
			answered++;
		} else {
			assert_int_equal(res[i].status, ZS_DNS_TIMEOUT);
		}
	}
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_true(st->udp_drops > 0);
	assert_true(st->retried > 0);
	assert_true(answered > 0);
	/* every query sent was answered by the server; what did not arrive was dropped */
	assert_int_equal(st->sent, st->answered + st->udp_drops);
	struct zs_buf out;
	zs_buf_init(&out, 1 << 16);
	struct zs_json j;
	zs_json_init(&j, &out);
	assert_int_equal(zs_resolver_stats_json(f.r, &j), 0);
	char want[64];
	(void)snprintf(want, sizeof(want), "\"udp_drops\":%llu", (unsigned long long)st->udp_drops);
	assert_non_null(strstr(zs_buf_cstr(&out), want));
	zs_buf_deinit(&out);
	zs_free(res);
	fx_teardown(&f);
}

/* A soft open-file limit below what the engine may use is raised (the hard limit allows it). */
static void test_resolver_raises_open_file_limit(void **state)
{
	struct rlimit saved;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 1024) {
		fail_msg("hard open-file limit %llu: the test needs 1024",
		         (unsigned long long)saved.rlim_max);
	}
	struct rlimit low = saved;
	low.rlim_cur = 100;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

	struct fixture f;
	fx_setup(&f, 3);
	struct zs_resolver_opts o = long_opts();
	o.udp_sockets = 16;
	o.tcp_conns = 8;
	fx_resolver(&f, &o);
	struct rlimit now;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_true(now.rlim_cur >= 3 * (2 * 16 + 8) + 64);
	fx_teardown(&f);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

/* ---- pacing, bounds, cancel, close --------------------------------------------------------- */

static void test_resolver_bounds_inflight_and_rate(void **state)
{
	struct fixture f;
	enum { N = 40 };
	fx_setup(&f, 1);
	for (int i = 0; i < N; i++) {
		addf(&f, 0, "rule p%d.example A fault=delay delay=5", i);
		addf(&f, 0, "rr p%d.example. 300 IN A 192.0.2.%d", i, i);
	}
	struct zs_resolver_opts o = long_opts();
	o.max_inflight = 5;
	o.qps = 100;
	fx_resolver(&f, &o);
	struct result res[N] = { 0 };
	ask_each(&f, "p", ".example", N, ZS_RR_A, res);
	fx_wait(&f, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i].status, ZS_DNS_NOERROR);
	}
	const struct zs_resolver_stats *st = zs_resolver_stats(f.r);
	assert_true(st->peak_inflight <= 5);
	assert_true(st->rate_waits > 0);
	assert_int_equal(st->sent, N);
	fx_teardown(&f);
}

static void test_resolver_cancel(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule a.example A");
	add(&f, 0, "rr a.example. 300 IN A 192.0.2.1");
	add(&f, 0, "rule b.example A");
	add(&f, 0, "rr b.example. 300 IN A 192.0.2.2");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result a1 = { 0 }, a2 = { 0 }, b = { 0 }, c1 = { 0 }, c2 = { 0 };
	struct zs_dns_query *h1 = NULL;
	struct zs_dns_query *hb = NULL;
	struct zs_dns_query *hc = NULL;
	ask(&f, "a.example", ZS_RR_A, &a1, &h1);
	ask(&f, "a.example", ZS_RR_A, &a2, NULL);
	ask(&f, "b.example", ZS_RR_A, &b, &hb);
	zs_resolver_cancel(f.r, h1); /* the other question on a.example still gets its answer */
	zs_resolver_cancel(f.r, hb); /* b.example is withdrawn entirely */
	assert_int_equal(zs_resolver_pending(f.r), 1);
	fx_wait(&f, 1);
	assert_int_equal(a1.calls, 0);
	assert_int_equal(a2.calls, 1);
	assert_string_equal(a2.text, "A 192.0.2.1");
	/* a cache hit withdrawn before its delivery */
	ask(&f, "a.example", ZS_RR_A, &c1, &hc);
	ask(&f, "a.example", ZS_RR_A, &c2, NULL);
	zs_resolver_cancel(f.r, hc);
	fx_wait(&f, 2);
	assert_int_equal(c1.calls, 0);
	assert_int_equal(c2.calls, 1);
	assert_true(c2.from_cache);
	assert_int_equal(b.calls, 0);
	assert_int_equal(zs_fault_server_hits(f.srv[0], "b.example", "A"), 0);
	assert_int_equal(zs_resolver_stats(f.r)->cancelled, 3);
	assert_int_equal(zs_resolver_pending(f.r), 0);
	fx_teardown(&f);
}

/* A callback that asks again, cancels another question and, at the end, closes the resolver. */
struct reentry {
	struct fixture *f;
	struct result follow;
	struct result victim;
	struct zs_dns_query *victim_handle;
	int calls;
};

static void on_reentrant(const struct zs_answer *a, void *arg)
{
	struct reentry *re = arg;
	re->calls++;
	answers_seen++;
	assert_int_equal(a->status, ZS_DNS_NOERROR);
	zs_resolver_cancel(re->f->r, re->victim_handle);
	assert_int_equal(zs_resolver_query(re->f->r, "second.example", ZS_RR_A, on_answer,
	                                   &re->follow, NULL),
	                 0);
}

static void on_close_inside(const struct zs_answer *a, void *arg)
{
	struct fixture *f = arg;
	answers_seen++;
	zs_resolver_close(f->r, on_closed, f);
	assert_int_equal(zs_resolver_query(f->r, "x.example", ZS_RR_A, on_answer, NULL, NULL),
	                 ZS_ERR_USAGE);
}

static void test_resolver_callbacks_may_reenter(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule first.example A");
	add(&f, 0, "rr first.example. 300 IN A 192.0.2.1");
	add(&f, 0, "rule second.example A");
	add(&f, 0, "rr second.example. 300 IN A 192.0.2.2");
	add(&f, 0, "rule victim.example A fault=delay delay=2000");
	add(&f, 0, "rr victim.example. 300 IN A 192.0.2.3");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct reentry re = { .f = &f };
	assert_int_equal(zs_resolver_query(f.r, "first.example", ZS_RR_A, on_reentrant, &re, NULL),
	                 0);
	ask(&f, "victim.example", ZS_RR_A, &re.victim, &re.victim_handle);
	fx_wait(&f, 2);
	assert_int_equal(re.calls, 1);
	assert_int_equal(re.follow.calls, 1);
	assert_string_equal(re.follow.text, "A 192.0.2.2");
	assert_int_equal(re.victim.calls, 0);

	/* closing from inside a callback: nothing else is called */
	struct result other = { 0 };
	assert_int_equal(
	        zs_resolver_query(f.r, "first.example", ZS_RR_A, on_close_inside, &f, NULL), 0);
	ask(&f, "victim.example", ZS_RR_A, &other, NULL);
	fx_wait(&f, 3);
	while (!f.closed && !f.guard_fired) {
		(void)uv_run(&f.loop, UV_RUN_ONCE);
	}
	assert_true(f.closed);
	assert_int_equal(other.calls, 0);
	f.r = NULL;
	fx_teardown(&f);
}

static void test_resolver_close_with_questions_pending(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule silent.example A fault=drop");
	/* too large for UDP (TC=1), and silent over TCP: a connection stays open */
	add(&f, 0, "rule big.example TXT fault=drop transport=tcp");
	for (int i = 0; i < 8; i++) {
		addf(&f, 0, "rr big.example. 300 IN TXT \"%d%0200d\"", i, 0);
	}
	struct zs_resolver_opts o = long_opts();
	o.max_inflight = 2;
	fx_resolver(&f, &o);
	struct result res[3] = { 0 };
	ask(&f, "silent.example", ZS_RR_A, &res[0], NULL);
	ask(&f, "big.example", ZS_RR_TXT, &res[1], NULL);
	ask(&f, "never-sent.example", ZS_RR_A, &res[2], NULL);
	while (zs_fault_server_stats(f.srv[0])->tcp_queries == 0 && !f.guard_fired) {
		(void)uv_run(&f.loop, UV_RUN_ONCE);
	}
	assert_int_equal(zs_resolver_pending(f.r), 3);
	assert_int_equal(zs_resolver_stats(f.r)->tcp_fallbacks, 1);
	fx_teardown(&f);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i].calls, 0);
	}
}

/* A server whose sockets cannot be opened (a link-local address without a scope: connect()
 * fails with EINVAL, nothing is sent) is left out; the others are asked. */
static void test_resolver_skips_unusable_server(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule a.example A");
	add(&f, 0, "rr a.example. 300 IN A 192.0.2.1");
	struct zs_resolver_opts o = long_opts();
	o.server_count = 2;
	assert_int_equal(zs_resolver_parse_addr("[fe80::1]:53", &o.servers[0]), 0);
	zs_fault_server_addr(f.srv[0], &o.servers[1]);
	assert_int_equal(zs_resolver_new(&f.loop, &o, &f.r), 0);
	struct result res[4] = { 0 };
	ask(&f, "a.example", ZS_RR_A, &res[0], NULL);
	ask(&f, "a.example", ZS_RR_MX, &res[1], NULL); /* REFUSED by the only usable server */
	fx_wait(&f, 2);
	assert_int_equal(res[0].status, ZS_DNS_NOERROR);
	assert_int_equal(res[1].status, ZS_DNS_REFUSED);
	assert_int_equal(zs_resolver_server_stats(f.r, 0)->sent, 0);
	assert_int_equal(zs_resolver_server_stats(f.r, 1)->sent, 2);
	fx_teardown(&f);
}

/* ---- options, addresses, counters --------------------------------------------------------- */

static void test_resolver_backoff_doubles_and_caps(void **state)
{
	assert_int_equal(zs__dns_backoff_ms(2000, 0), 2000);
	assert_int_equal(zs__dns_backoff_ms(2000, 1), 4000);
	assert_int_equal(zs__dns_backoff_ms(2000, 2), 8000);
	assert_int_equal(zs__dns_backoff_ms(2000, 5), ZS_DNS_BACKOFF_MAX_MS);
	assert_int_equal(zs__dns_backoff_ms(1, 200), ZS_DNS_BACKOFF_MAX_MS); /* no overflow */
	assert_int_equal(zs__dns_backoff_ms(100000, 0), ZS_DNS_BACKOFF_MAX_MS);
}

static void test_resolver_new_rejects_bad_options(void **state)
{
	uv_loop_t loop;
	struct zs_resolver *r = NULL;
	struct zs_resolver_opts o;
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(zs_resolver_new(&loop, &o, &r), ZS_ERR_USAGE); /* no server */
	assert_int_equal(zs_resolver_parse_addr("127.0.0.1:53", &o.servers[0]), 0);
	o.server_count = 1;
	o.tries = 99;
	assert_int_equal(zs_resolver_new(&loop, &o, &r), ZS_ERR_USAGE);
	o.tries = 0;
	o.qps = -1;
	assert_int_equal(zs_resolver_new(&loop, &o, &r), ZS_ERR_USAGE);
	o.qps = 0;
	o.edns_size = 100;
	assert_int_equal(zs_resolver_new(&loop, &o, &r), ZS_ERR_USAGE);
	o.edns_size = 0;
	o.servers[0].ss_family = AF_UNIX;
	assert_int_equal(zs_resolver_new(&loop, &o, &r), ZS_ERR_USAGE);
	assert_null(r);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_resolver_parse_addr_forms(void **state)
{
	struct sockaddr_storage ss;
	char ip[64];
	assert_int_equal(zs_resolver_parse_addr("127.0.0.1", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
	assert_int_equal(zs_resolver_parse_addr("127.0.0.2:5353", &ss), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5353);
	assert_int_equal(uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip)), 0);
	assert_string_equal(ip, "127.0.0.2");
	assert_int_equal(zs_resolver_parse_addr("::1", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 53);
	assert_int_equal(zs_resolver_parse_addr("[2001:db8::1]:8053", &ss), 0);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8053);
	const char *const bad[] = {
		"",     "localhost", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x",
		"[::1", "[::1]x",    "[::1]:",      "1.2.3.4.5"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(zs_resolver_parse_addr(bad[i], &ss), ZS_ERR_USAGE);
	}
}

static void test_resolver_from_resolv_conf(void **state)
{
	char path[] = "/tmp/zs-resolv-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "# comment\nsearch example\n  nameserver   ::1 # local\n"
	                    "nameserver 192.0.2.53\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	assert_int_equal(close(fd), 0);
	struct sockaddr_storage ss;
	assert_int_equal(zs_resolver_from_resolv_conf(path, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 53);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("search example\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(zs_resolver_from_resolv_conf(path, &ss), ZS_ERR_NOTFOUND);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(zs_resolver_from_resolv_conf(path, &ss), -ENOENT);
}

static void test_resolver_stats_json(void **state)
{
	struct fixture f;
	fx_setup(&f, 1);
	add(&f, 0, "rule a.example A");
	add(&f, 0, "rr a.example. 300 IN A 192.0.2.1");
	struct zs_resolver_opts o = long_opts();
	fx_resolver(&f, &o);
	struct result res = { 0 };
	ask(&f, "a.example", ZS_RR_A, &res, NULL);
	fx_wait(&f, 1);
	struct zs_buf b;
	struct zs_json j;
	zs_buf_init(&b, 1 << 16);
	zs_json_init(&j, &b);
	assert_int_equal(zs_resolver_stats_json(f.r, &j), 0);
	const char *text = zs_buf_cstr(&b);
	assert_non_null(strstr(text, "\"questions\":1"));
	assert_non_null(strstr(text, "\"noerror\":1"));
	assert_non_null(strstr(text, "\"rcode\":{\"0\":1}"));
	assert_non_null(strstr(text, "\"servers\":[{\"server\":\"127.0.0.1:"));
	zs_buf_deinit(&b);
	fx_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolver_answers_each_type),
		cmocka_unit_test(test_resolver_cache_positive_and_negative),
		cmocka_unit_test(test_resolver_coalesces_identical_questions),
		cmocka_unit_test(test_resolver_drop_ends_in_timeout),
		cmocka_unit_test(test_resolver_retry_after_one_drop),
		cmocka_unit_test(test_resolver_fails_over_to_other_server),
		cmocka_unit_test(test_resolver_servfail_retried_on_another_server),
		cmocka_unit_test(test_resolver_servfail_single_server_is_final),
		cmocka_unit_test(test_resolver_delayed_answer_arrives),
		cmocka_unit_test(test_resolver_truncated_goes_to_tcp_and_ignores_udp_data),
		cmocka_unit_test(test_resolver_large_answer_over_tcp_pipelined),
		cmocka_unit_test(test_resolver_oversized_udp_reply_read_whole),
		cmocka_unit_test(test_resolver_tcp_closed_mid_answer),
		cmocka_unit_test(test_resolver_tc_over_tcp_is_an_error),
		cmocka_unit_test(test_resolver_ignores_wrong_id_question_and_qdcount),
		cmocka_unit_test(test_resolver_only_bad_replies_end_in_timeout),
		cmocka_unit_test(test_resolver_survives_malformed_packets),
		cmocka_unit_test(test_resolver_never_misattributes),
		cmocka_unit_test(test_resolver_counts_kernel_drops),
		cmocka_unit_test(test_resolver_raises_open_file_limit),
		cmocka_unit_test(test_resolver_bounds_inflight_and_rate),
		cmocka_unit_test(test_resolver_cancel),
		cmocka_unit_test(test_resolver_callbacks_may_reenter),
		cmocka_unit_test(test_resolver_close_with_questions_pending),
		cmocka_unit_test(test_resolver_skips_unusable_server),
		cmocka_unit_test(test_resolver_backoff_doubles_and_caps),
		cmocka_unit_test(test_resolver_new_rejects_bad_options),
		cmocka_unit_test(test_resolver_parse_addr_forms),
		cmocka_unit_test(test_resolver_from_resolv_conf),
		cmocka_unit_test(test_resolver_stats_json),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Loop and resolver of the one-shot commands. */
#include "scanner/session.h"

#include "scanner/base/err.h"
#include "scanner/base/log.h"

int zs_session_open(struct zs_session *s, const struct zs_resolver_opts *opts)
{
	int ret = uv_loop_init(&s->loop);
	if (ret != 0) {
		zs_log_error(ZS_LOG_MAIN, "event loop: %s", uv_strerror(ret));
		return ret;
	}
	ret = zs_resolver_new(&s->loop, opts, &s->res);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DNS, "resolver: %s", zs_err_str(ret));
		(void)uv_loop_close(&s->loop);
	}
	return ret;
}

void zs_session_run(struct zs_session *s)
{
	(void)uv_run(&s->loop, UV_RUN_DEFAULT);
}

static void resolver_closed(struct zs_resolver *r, void *arg)
{
}

void zs_session_finish(struct zs_session *s)
{
	if (s->res != NULL) {
		zs_resolver_close(s->res, resolver_closed, NULL);
		s->res = NULL;
	}
}

void zs_session_close(struct zs_session *s)
{
	zs_session_finish(s);
	(void)uv_run(&s->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&s->loop) != 0) {
		zs_log_warn(ZS_LOG_MAIN, "event loop closed with handles still open");
	}
}

struct ping {
	struct zs_session *s;
	enum zs_dns_status status;
};

static void ping_done(const struct zs_answer *ans, void *arg)
{
	struct ping *p = arg;
	p->status = ans->status;
	zs_session_finish(p->s);
}

/* Whether a question's end shows that the resolver replied. */
static bool replied(enum zs_dns_status s)
{
	return s != ZS_DNS_TIMEOUT && s != ZS_DNS_NETERR && s != ZS_DNS_TCP_FAILED &&
	       s != ZS_DNS_NOT_ASKED;
}

int zs_session_ping(const struct zs_resolver_opts *opts, size_t *dead, enum zs_dns_status *why)
{
	for (size_t i = 0; i < opts->server_count; i++) {
		struct zs_resolver_opts one = *opts;
		one.server_count = 1;
		one.servers[0] = opts->servers[i];
		one.timeout_ms = ZS_SESSION_PING_TIMEOUT_MS;
		one.tries = ZS_SESSION_PING_TRIES;
		struct zs_session s;
		int ret = zs_session_open(&s, &one);
		if (ret != 0) {
			return ret;
		}
		struct ping p = { .s = &s, .status = ZS_DNS_NOT_ASKED };
		if (zs_resolver_query(s.res, ".", ZS_RR_SOA, ping_done, &p, NULL) != 0) {
			zs_session_finish(&s);
		}
		zs_session_run(&s);
		zs_session_close(&s);
		if (!replied(p.status)) {
			*dead = i;
			*why = p.status;
			return ZS_ERR_DNS;
		}
	}
	return 0;
}

int zs_session_resolvers_answer(const struct zs_resolver_opts *opts)
{
	size_t dead = 0;
	enum zs_dns_status why = ZS_DNS_TIMEOUT;
	int ret = zs_session_ping(opts, &dead, &why);
	if (ret != ZS_ERR_DNS) {
		return ret != 0 ? ZS_ERR_DNS : 0;
	}
	char name[64];
	zs_resolver_addr_name(&opts->servers[dead], name, sizeof(name));
	zs_log_error(ZS_LOG_DNS,
	             "resolver %s does not answer (%s after %d s); is it running and reachable?",
	             name, zs_dns_status_name(why), ZS_SESSION_PING_WAIT_S);
	return ZS_ERR_DNS;
}

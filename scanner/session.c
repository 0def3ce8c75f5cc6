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

/* SPDX-License-Identifier: MIT */
/*
 * libpsl behind a small interface. libpsl wants lower-case UTF-8 input; DNS names reach us in
 * ASCII lower case already, and names from elsewhere are folded here (ASCII only: IDNs are
 * compared in the form they come in, as the list holds both the U-label and A-label forms).
 */
#include "scanner/policy/psl.h"

#include <string.h>

#include <libpsl.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/policy/record_int.h"

struct zs_psl {
	psl_ctx_t *ctx;
};

int zs_psl_open_system(struct zs_psl **out)
{
	psl_ctx_t *ctx = psl_latest(NULL);
	if (ctx == NULL) {
		return ZS_ERR_NOTFOUND;
	}
	struct zs_psl *p = zs_calloc(1, sizeof(*p));
	p->ctx = ctx;
	*out = p;
	return 0;
}

int zs_psl_open_file(const char *path, struct zs_psl **out)
{
	psl_ctx_t *ctx = psl_load_file(path);
	if (ctx == NULL) {
		return ZS_ERR_PARSE;
	}
	struct zs_psl *p = zs_calloc(1, sizeof(*p));
	p->ctx = ctx;
	*out = p;
	return 0;
}

void zs_psl_close(struct zs_psl *psl)
{
	if (psl == NULL) {
		return;
	}
	psl_free(psl->ctx);
	zs_free(psl);
}

const char *zs_psl_org_domain(const struct zs_psl *psl, const char *name, struct zs_arena *arena)
{
	if (name == NULL || name[0] == '\0' || name[0] == '.' || strstr(name, "..") != NULL) {
		return NULL;
	}
	char *lower = zs__lower(arena, name, strlen(name));
	const char *reg = psl_registrable_domain(psl->ctx, lower);
	if (reg == NULL) {
		return NULL;
	}
	return reg; /* points into @a lower, which lives in the arena */
}

bool zs_psl_is_public_suffix(const struct zs_psl *psl, const char *name, struct zs_arena *arena)
{
	char *lower = zs__lower(arena, name, strlen(name));
	return psl_is_public_suffix(psl->ctx, lower) != 0;
}

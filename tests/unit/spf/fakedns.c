/* SPDX-License-Identifier: MIT */
/*
 * Fake DNS for the SPF tests and benchmark: owners in a chained hash table, records and names
 * in one arena, answers built in the caller's arena. See fakedns.h for the rules.
 */
#include "tests/unit/spf/fakedns.h"

#include <arpa/inet.h>
#include <string.h>

#include "scanner/base/err.h"

enum { CNAME_HOPS = 8 };

struct owner {
	const char *name;
	uint32_t hash;
	struct owner *next;
	struct zs_rr *rr;
	size_t count;
	size_t cap;
	bool txt_none;
	bool timeout;
	bool has_status;
	enum zs_dns_status status;
};

struct zs_fakedns {
	struct zs_arena arena;
	struct owner **buckets;
	size_t nbuckets; /**< power of two */
	size_t owners;
};

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++) {
		h = (h ^ (unsigned char)*s) * 16777619u;
	}
	return h;
}

static char *norm(struct zs_arena *a, const char *name)
{
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.') {
		n--;
	}
	char *s = zs_arena_strndup(a, name, n);
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			*p = (char)(*p + 32);
		}
	}
	return s;
}

struct zs_fakedns *zs_fakedns_new(void)
{
	struct zs_fakedns *fd = zs_calloc(1, sizeof(*fd));
	zs_arena_init(&fd->arena);
	fd->nbuckets = 256;
	fd->buckets = zs_calloc(fd->nbuckets, sizeof(*fd->buckets));
	return fd;
}

void zs_fakedns_clear(struct zs_fakedns *fd)
{
	zs_arena_deinit(&fd->arena);
	memset(fd->buckets, 0, fd->nbuckets * sizeof(*fd->buckets));
	fd->owners = 0;
}

void zs_fakedns_free(struct zs_fakedns *fd)
{
	if (fd == NULL) {
		return;
	}
	zs_arena_deinit(&fd->arena);
	zs_free(fd->buckets);
	zs_free(fd);
}

static struct owner *find(const struct zs_fakedns *fd, const char *name, uint32_t h)
{
	for (struct owner *o = fd->buckets[h & (fd->nbuckets - 1)]; o != NULL; o = o->next) {
		if (o->hash == h && strcmp(o->name, name) == 0) {
			return o;
		}
	}
	return NULL;
}

static void grow(struct zs_fakedns *fd)
{
	size_t n = fd->nbuckets * 2;
	struct owner **b = zs_calloc(n, sizeof(*b));
	for (size_t i = 0; i < fd->nbuckets; i++) {
		struct owner *o = fd->buckets[i];
		while (o != NULL) {
			struct owner *next = o->next;
			o->next = b[o->hash & (n - 1)];
			b[o->hash & (n - 1)] = o;
			o = next;
		}
	}
	zs_free(fd->buckets);
	fd->buckets = b;
	fd->nbuckets = n;
}

static struct owner *get_owner(struct zs_fakedns *fd, const char *name)
{
	const char *n = norm(&fd->arena, name);
	uint32_t h = hash_name(n);
	struct owner *o = find(fd, n, h);

	if (o != NULL) {
		return o;
	}
	if (fd->owners + 1 > fd->nbuckets) {
		grow(fd);
	}
	o = zs_arena_calloc(&fd->arena, 1, sizeof(*o));
	o->name = n;
	o->hash = h;
	o->next = fd->buckets[h & (fd->nbuckets - 1)];
	fd->buckets[h & (fd->nbuckets - 1)] = o;
	fd->owners++;
	return o;
}

static struct zs_rr *add_rr(struct zs_fakedns *fd, const char *owner, uint16_t type)
{
	struct owner *o = get_owner(fd, owner);

	if (o->count == o->cap) {
		size_t cap = o->cap == 0 ? 2 : o->cap * 2;
		struct zs_rr *rr = zs_arena_calloc(&fd->arena, cap, sizeof(*rr));
		if (o->count > 0) {
			memcpy(rr, o->rr, o->count * sizeof(*rr));
		}
		o->rr = rr;
		o->cap = cap;
	}
	struct zs_rr *rr = &o->rr[o->count++];
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	rr->ttl = 300;
	return rr;
}

int zs_fakedns_add_addr(struct zs_fakedns *fd, const char *owner, const char *addr)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, addr, buf) == 1) {
		memcpy(add_rr(fd, owner, ZS_RR_A)->u.a, buf, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, buf) == 1) {
		memcpy(add_rr(fd, owner, ZS_RR_AAAA)->u.aaaa, buf, 16);
		return 0;
	}
	return ZS_ERR_PARSE;
}

void zs_fakedns_add_mx(struct zs_fakedns *fd, const char *owner, uint16_t pref, const char *host)
{
	const char *h = norm(&fd->arena, host);
	struct zs_rr *rr = add_rr(fd, owner, ZS_RR_MX);
	rr->u.mx.pref = pref;
	rr->u.mx.host = h;
}

void zs_fakedns_add_name(struct zs_fakedns *fd, const char *owner, uint16_t type,
                         const char *target)
{
	const char *t = norm(&fd->arena, target);
	add_rr(fd, owner, type)->u.name = t;
}

void zs_fakedns_add_txt(struct zs_fakedns *fd, const char *owner, uint16_t type,
                        const char *const *str, const size_t *len, size_t n)
{
	size_t pieces = 0;
	for (size_t i = 0; i < n; i++) {
		pieces += len[i] == 0 ? 1 : (len[i] + 254) / 255;
	}
	const uint8_t **s = zs_arena_calloc(&fd->arena, pieces + 1, sizeof(*s));
	uint16_t *l = zs_arena_calloc(&fd->arena, pieces + 1, sizeof(*l));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t off = 0;
		do {
			size_t m = len[i] - off > 255 ? 255 : len[i] - off;
			s[k] = (const uint8_t *)zs_arena_strndup(&fd->arena, str[i] + off, m);
			l[k] = (uint16_t)m;
			k++;
			off += m;
		} while (off < len[i]);
	}
	struct zs_rr *rr = add_rr(fd, owner, type);
	rr->u.txt.count = pieces;
	rr->u.txt.str = s;
	rr->u.txt.len = l;
}

void zs_fakedns_add_text(struct zs_fakedns *fd, const char *owner, uint16_t type, const char *text)
{
	size_t len = strlen(text);
	zs_fakedns_add_txt(fd, owner, type, &text, &len, 1);
}

void zs_fakedns_add_txt_none(struct zs_fakedns *fd, const char *owner)
{
	get_owner(fd, owner)->txt_none = true;
}

void zs_fakedns_add_timeout(struct zs_fakedns *fd, const char *owner)
{
	get_owner(fd, owner)->timeout = true;
}

void zs_fakedns_set_status(struct zs_fakedns *fd, const char *owner, enum zs_dns_status status)
{
	struct owner *o = get_owner(fd, owner);
	o->has_status = true;
	o->status = status;
}

static size_t count_type(const struct owner *o, uint16_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < o->count; i++) {
		n += o->rr[i].type == type;
	}
	return n;
}

void zs_fakedns_query(const struct zs_fakedns *fd, const char *name, uint16_t type,
                      struct zs_arena *a, struct zs_answer *out)
{
	const char **cnames = zs_arena_calloc(a, CNAME_HOPS + 1, sizeof(*cnames));
	const char *n = norm(a, name);

	memset(out, 0, sizeof(*out));
	out->cname = cnames;
	for (int hop = 0;; hop++) {
		const struct owner *o = find(fd, n, hash_name(n));
		if (o == NULL) {
			out->status = ZS_DNS_NXDOMAIN;
			out->rcode = 3;
			return;
		}
		if (o->has_status) {
			out->status = o->status;
			return;
		}
		size_t real = count_type(o, type);
		/* TXT synthesis: SPF entries answer TXT questions unless TXT entries exist */
		uint16_t from = type;
		if (type == ZS_RR_TXT && real == 0 && !o->txt_none && !o->timeout) {
			from = ZS_RR_SPF;
		}
		size_t count = count_type(o, from);
		if (count > 0) {
			struct zs_rr *rr = zs_arena_calloc(a, count, sizeof(*rr));
			size_t k = 0;
			for (size_t i = 0; i < o->count; i++) {
				if (o->rr[i].type == from) {
					rr[k] = o->rr[i];
					rr[k].type = type;
					k++;
				}
			}
			out->status = ZS_DNS_NOERROR;
			out->rr = rr;
			out->count = count;
			return;
		}
		size_t cn = type == ZS_RR_CNAME ? 0 : count_type(o, ZS_RR_CNAME);
		if (cn > 0) {
			if (hop >= CNAME_HOPS) {
				out->status = ZS_DNS_CNAME_LOOP;
				return;
			}
			for (size_t i = 0; i < o->count; i++) {
				if (o->rr[i].type == ZS_RR_CNAME) {
					n = o->rr[i].u.name;
					break;
				}
			}
			cnames[out->cname_count++] = n;
			continue;
		}
		out->status = o->timeout ? ZS_DNS_TIMEOUT : ZS_DNS_NODATA;
		return;
	}
}

struct pending {
	char *name;
	uint16_t type;
};

int zs_fakedns_resolve(const struct zs_fakedns *fd, struct zs_spf_ctx *ctx, bool reverse,
                       struct zs_fakedns_stats *st)
{
	struct zs_fakedns_stats s = { 0 };
	struct pending *queue = NULL;
	size_t qlen = 0;
	size_t qcap = 0;
	int ret = 0;

	for (;;) {
		const struct zs_spf_need *need;
		size_t n;
		if (s.steps >= 10000) {
			ret = ZS_ERR_LOOP;
			break;
		}
		s.steps++;
		if (zs_spf_step(ctx, &need, &n) == ZS_SPF_DONE) {
			break;
		}
		if (n > s.max_batch) {
			s.max_batch = (unsigned)n;
		}
		for (size_t i = 0; i < n; i++) {
			if (qlen == qcap) {
				qcap = qcap == 0 ? 16 : qcap * 2;
				queue = zs_reallocarray(queue, qcap, sizeof(*queue));
			}
			queue[qlen].name = zs_strdup(need[i].name);
			queue[qlen].type = need[i].type;
			qlen++;
		}
		if (qlen == 0) {
			ret = ZS_ERR_LOOP; /* waiting for nothing: the context stalled */
			break;
		}
		size_t from = reverse ? qlen - 1 : 0;
		for (size_t i = from; i < qlen; i++) {
			struct zs_arena a;
			struct zs_answer ans;
			zs_arena_init(&a);
			zs_fakedns_query(fd, queue[i].name, queue[i].type, &a, &ans);
			(void)zs_spf_answer(ctx, queue[i].name, queue[i].type, &ans);
			zs_arena_deinit(&a);
			zs_free(queue[i].name);
			s.queries++;
		}
		qlen = from;
	}
	for (size_t i = 0; i < qlen; i++) {
		zs_free(queue[i].name);
	}
	zs_free(queue);
	if (st != NULL) {
		*st = s;
	}
	return ret;
}

/* SPDX-License-Identifier: MIT */
/* A table-driven DNS world and a driver for the discovery machines (see fakedns.h). */
#include "tests/unit/records/fakedns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

struct fake_rec {
	char *owner;
	uint16_t type; /* 0: placeholder that only makes the owner exist */
	uint16_t pref;
	char *name; /* MX host, PTR/CNAME target */
	uint8_t addr[16];
	const uint8_t **str;
	uint16_t *len;
	size_t count;
	struct fake_rec *next;
};

struct fake_fail {
	char *owner;
	uint16_t type;
	enum zs_dns_status status;
	struct fake_fail *next;
};

struct fake_zone {
	struct zs_arena *a;
	struct fake_rec *recs;
	struct fake_rec **tail;
	struct fake_fail *fails;
};

struct fake_zone *fake_zone_new(struct zs_arena *a)
{
	struct fake_zone *z = zs_arena_calloc(a, 1, sizeof(*z));
	z->a = a;
	z->tail = &z->recs;
	return z;
}

static struct fake_rec *add(struct fake_zone *z, const char *owner, uint16_t type)
{
	struct fake_rec *r = zs_arena_calloc(z->a, 1, sizeof(*r));
	r->owner = zs_arena_strdup(z->a, owner);
	r->type = type;
	*z->tail = r;
	z->tail = &r->next;
	return r;
}

void fake_txt_bytes(struct fake_zone *z, const char *owner, const void *p, size_t n)
{
	struct fake_rec *r = add(z, owner, ZS_RR_TXT);
	size_t count = n == 0 ? 1 : (n + 254) / 255;
	r->str = zs_arena_calloc(z->a, count, sizeof(*r->str));
	r->len = zs_arena_calloc(z->a, count, sizeof(*r->len));
	for (size_t i = 0; i < count; i++) {
		size_t off = i * 255;
		size_t len = n - off > 255 ? 255 : n - off;
		r->str[i] = len > 0 ? zs_arena_memdup(z->a, (const char *)p + off, len)
		                    : (const uint8_t *)"";
		r->len[i] = (uint16_t)len;
	}
	r->count = count;
}

void fake_txt(struct fake_zone *z, const char *owner, const char *text)
{
	fake_txt_bytes(z, owner, text, strlen(text));
}

void fake_txt_strings(struct fake_zone *z, const char *owner, const char *const *strs, size_t count)
{
	struct fake_rec *r = add(z, owner, ZS_RR_TXT);
	r->str = zs_arena_calloc(z->a, count > 0 ? count : 1, sizeof(*r->str));
	r->len = zs_arena_calloc(z->a, count > 0 ? count : 1, sizeof(*r->len));
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(strs[i]);
		r->str[i] = (const uint8_t *)zs_arena_strdup(z->a, strs[i]);
		r->len[i] = (uint16_t)len;
	}
	r->count = count;
}

void fake_mx(struct fake_zone *z, const char *owner, uint16_t pref, const char *host)
{
	struct fake_rec *r = add(z, owner, ZS_RR_MX);
	r->pref = pref;
	r->name = zs_arena_strdup(z->a, host);
}

void fake_a(struct fake_zone *z, const char *owner, const char *addr)
{
	struct fake_rec *r = add(z, owner, ZS_RR_A);
	if (inet_pton(AF_INET, addr, r->addr) != 1) {
		fprintf(stderr, "fake_a: bad address %s\n", addr);
	}
}

void fake_aaaa(struct fake_zone *z, const char *owner, const char *addr)
{
	struct fake_rec *r = add(z, owner, ZS_RR_AAAA);
	if (inet_pton(AF_INET6, addr, r->addr) != 1) {
		fprintf(stderr, "fake_aaaa: bad address %s\n", addr);
	}
}

void fake_ptr(struct fake_zone *z, const char *owner, const char *target)
{
	add(z, owner, ZS_RR_PTR)->name = zs_arena_strdup(z->a, target);
}

void fake_cname(struct fake_zone *z, const char *owner, const char *target)
{
	add(z, owner, ZS_RR_CNAME)->name = zs_arena_strdup(z->a, target);
}

void fake_exists(struct fake_zone *z, const char *owner)
{
	(void)add(z, owner, 0);
}

void fake_fail(struct fake_zone *z, const char *owner, uint16_t type, enum zs_dns_status status)
{
	struct fake_fail *f = zs_arena_calloc(z->a, 1, sizeof(*f));
	f->owner = zs_arena_strdup(z->a, owner);
	f->type = type;
	f->status = status;
	f->next = z->fails;
	z->fails = f;
}

static bool ends_with_label(const char *name, const char *suffix)
{
	size_t n = strlen(name);
	size_t s = strlen(suffix);
	return n > s && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0;
}

/* A name exists when it owns a record or lies above an owner (empty non-terminal). */
static bool exists(const struct fake_zone *z, const char *name)
{
	for (const struct fake_rec *r = z->recs; r != NULL; r = r->next) {
		if (strcmp(r->owner, name) == 0 || ends_with_label(r->owner, name)) {
			return true;
		}
	}
	return false;
}

/* The owner whose records answer for @p name: itself, or a wildcard (RFC 4592). */
static const char *source_owner(struct fake_zone *z, const char *name, struct zs_arena *scratch)
{
	if (exists(z, name)) {
		return name;
	}
	const char *p = strchr(name, '.');
	while (p != NULL) {
		const char *ce = p + 1;
		if (exists(z, ce)) {
			const char *wild = zs_arena_printf(scratch, "*.%s", ce);
			for (const struct fake_rec *r = z->recs; r != NULL; r = r->next) {
				if (strcmp(r->owner, wild) == 0) {
					return wild;
				}
			}
			return NULL;
		}
		p = strchr(ce, '.');
	}
	return NULL;
}

static const struct fake_rec *find(const struct fake_zone *z, const char *owner, uint16_t type)
{
	for (const struct fake_rec *r = z->recs; r != NULL; r = r->next) {
		if (r->type == type && strcmp(r->owner, owner) == 0) {
			return r;
		}
	}
	return NULL;
}

static bool forced(const struct fake_zone *z, const char *name, uint16_t type,
                   enum zs_dns_status *st)
{
	for (const struct fake_fail *f = z->fails; f != NULL; f = f->next) {
		if ((f->type == 0 || f->type == type) && strcmp(f->owner, name) == 0) {
			*st = f->status;
			return true;
		}
	}
	return false;
}

void fake_resolve(struct fake_zone *z, const struct zs_lookup *q, struct zs_arena *scratch,
                  struct zs_answer *out)
{
	memset(out, 0, sizeof(*out));
	const char *name = q->name;
	const char **chain = zs_arena_calloc(scratch, 9, sizeof(*chain));
	size_t hops = 0;

	for (;;) {
		enum zs_dns_status st;
		if (forced(z, name, q->type, &st)) {
			out->status = st;
			goto chain;
		}
		const char *owner = source_owner(z, name, scratch);
		if (owner == NULL) {
			out->status = ZS_DNS_NXDOMAIN;
			goto chain;
		}
		const struct fake_rec *cn = find(z, owner, ZS_RR_CNAME);
		if (cn != NULL && q->type != ZS_RR_CNAME) {
			if (hops == 8) {
				out->status = ZS_DNS_CNAME_LOOP;
				goto chain;
			}
			chain[hops++] = zs_arena_strdup(scratch, cn->name);
			name = cn->name;
			continue;
		}
		size_t count = 0;
		for (const struct fake_rec *r = z->recs; r != NULL; r = r->next) {
			count += r->type == q->type && strcmp(r->owner, owner) == 0;
		}
		if (count == 0) {
			out->status = ZS_DNS_NODATA;
			goto chain;
		}
		struct zs_rr *rr = zs_arena_calloc(scratch, count, sizeof(*rr));
		size_t i = 0;
		for (const struct fake_rec *r = z->recs; r != NULL; r = r->next) {
			if (r->type != q->type || strcmp(r->owner, owner) != 0) {
				continue;
			}
			rr[i].type = r->type;
			rr[i].ttl = 300;
			switch (r->type) {
			case ZS_RR_A:
				memcpy(rr[i].u.a, r->addr, 4);
				break;
			case ZS_RR_AAAA:
				memcpy(rr[i].u.aaaa, r->addr, 16);
				break;
			case ZS_RR_MX:
				rr[i].u.mx.pref = r->pref;
				rr[i].u.mx.host = zs_arena_strdup(scratch, r->name);
				break;
			case ZS_RR_PTR:
			case ZS_RR_CNAME:
				rr[i].u.name = zs_arena_strdup(scratch, r->name);
				break;
			case ZS_RR_TXT: {
				const uint8_t **str =
				        zs_arena_calloc(scratch, r->count + 1, sizeof(*str));
				uint16_t *len =
				        zs_arena_calloc(scratch, r->count + 1, sizeof(*len));
				for (size_t k = 0; k < r->count; k++) {
					/* exactly the bytes, no terminator: readers must use the
					 * lengths */
					str[k] = r->len[k] > 0 ? zs_arena_memdup(scratch, r->str[k],
					                                         r->len[k])
					                       : (const uint8_t *)"";
					len[k] = r->len[k];
				}
				rr[i].u.txt.count = r->count;
				rr[i].u.txt.str = str;
				rr[i].u.txt.len = len;
				break;
			}
			default:
				break;
			}
			i++;
		}
		out->status = ZS_DNS_NOERROR;
		out->rr = rr;
		out->count = count;
		goto chain;
	}
chain:
	out->cname = hops > 0 ? chain : NULL;
	out->cname_count = hops;
}

int fake_drive(struct fake_zone *z, const struct zs_lookup_ops *ops, void *ctx, size_t window,
               enum fake_order order, struct fake_stats *stats)
{
	struct zs_lookup need[64];
	struct zs_lookup pending[1024];
	size_t npending = 0;
	struct fake_stats st = { 0 };

	if (window > 64) {
		window = 64;
	}
	for (int guard = 0; guard < 100000; guard++) {
		size_t n = 0;
		int ret = ops->step(ctx, need, window, &n);
		st.steps++;
		if (ret == ZS_POLICY_DONE) {
			if (npending != 0 || n != 0) {
				fprintf(stderr, "fake_drive: DONE with %zu questions outstanding\n",
				        npending);
				return -1;
			}
			if (stats != NULL) {
				*stats = st;
			}
			return 0;
		}
		if (ret == ZS_POLICY_NEED_LOOKUP) {
			if (n == 0 || n > window) {
				fprintf(stderr, "fake_drive: NEED_LOOKUP with n=%zu\n", n);
				return -1;
			}
			for (size_t i = 0; i < n; i++) {
				if (npending == sizeof(pending) / sizeof(pending[0])) {
					fprintf(stderr,
					        "fake_drive: too many outstanding questions\n");
					return -1;
				}
				pending[npending++] = need[i];
			}
			st.questions += n;
			if (npending > st.max_outstanding) {
				st.max_outstanding = npending;
			}
			continue; /* ask for more before answering: the window fills up */
		}
		if (ret != ZS_POLICY_WAIT || npending == 0) {
			fprintf(stderr, "fake_drive: step returned %d with %zu outstanding\n", ret,
			        npending);
			return -1;
		}
		size_t pick = order == FAKE_FIFO ? 0 : npending - 1;
		struct zs_lookup q = pending[pick];
		memmove(&pending[pick], &pending[pick + 1], (npending - pick - 1) * sizeof(q));
		npending--;
		struct zs_arena scratch;
		zs_arena_init(&scratch);
		struct zs_answer ans;
		fake_resolve(z, &q, &scratch, &ans);
		int aret = ops->answer(ctx, q.id, &ans);
		zs_arena_deinit(&scratch);
		if (aret != 0) {
			fprintf(stderr, "fake_drive: answer(%u) returned %d\n", q.id, aret);
			return -1;
		}
	}
	fprintf(stderr, "fake_drive: no end in sight\n");
	return -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * The delegation filter: turns the stream of records into the zone's delegation points.
 *
 * Records are gathered by group: the run of records owned by one name, extended, once that
 * name owns NS records, by the records of the names below it (its glue and occluded data). When a
 * record outside the group arrives the group ends, and if its name is below the apex and owns NS
 * it is yielded: its NS targets, its DS summary, and the addresses of those NS targets that lie
 * at or below the delegation (in-bailiwick glue). The apex, names without NS (glue-only names,
 * empty non-terminals, which own no record at all), and names below a delegation are never
 * yielded. Only the hashes of yielded names outlive their group: a later, non-adjacent group of
 * such a name, or of a name below it, is counted as late and not yielded again. Memory is thus
 * one group plus the hash set, whatever the size of the zone.
 */
#include <arpa/inet.h>
#include <string.h>

#include <ldns/sha2.h>

#include "scanner/base/err.h"
#include "scanner/base/hostname.h"
#include "zoneio/reader_int.h"

/* Per-group bounds, so that a hostile zone cannot make one group grow without limit. */
#define GROUP_MAX_NS   1024
#define GROUP_MAX_DS   1024
#define GROUP_MAX_CAND 4096

void zs__deleg_init(struct zs__deleg *d)
{
	memset(d, 0, sizeof(*d));
	zs__nameset_init(&d->yielded);
}

void zs__deleg_deinit(struct zs__deleg *d)
{
	zs_free(d->pool.data);
	zs_free(d->ns);
	zs_free(d->ns_len);
	zs_free(d->ds);
	zs_free(d->cand);
	zs_free(d->text);
	zs_free(d->ptrs);
	zs_free(d->out_ds);
	zs__nameset_deinit(&d->yielded);
	memset(d, 0, sizeof(*d));
}

void zs__deleg_set_apex(struct zs__deleg *d, const uint8_t *apex)
{
	memcpy(d->apex, apex, zs__name_len(apex));
	d->has_apex = true;
}

static size_t pool_add(struct zs__pool *p, const uint8_t *data, size_t len)
{
	if (p->len + len > p->cap) {
		p->cap = (p->len + len) * 2 + 256;
		p->data = zs_realloc(p->data, p->cap);
	}
	memcpy(p->data + p->len, data, len);
	p->len += len;
	return p->len - len;
}

/* Whether every label of a wire-form name is a host-name label (scanner/base/hostname.h). */
static bool wire_is_host(const uint8_t *name)
{
	for (const uint8_t *p = name; *p != 0; p += *p + 1) {
		if (!zs_host_label_valid((const char *)p + 1, *p)) {
			return false;
		}
	}
	return true;
}

static void group_start(struct zs__deleg *d, const uint8_t *owner)
{
	memcpy(d->name, owner, zs__name_len(owner));
	d->active = true;
	d->has_ns = false;
	d->not_host = !wire_is_host(owner);
	d->group_records = 0;
	d->pool.len = 0;
	d->ns_count = 0;
	d->ds_count = 0;
	d->cand_count = 0;
	zs__nameset_hash(&d->yielded, d->name, d->hash);
}

/* Whether a name that owns no NS is, or lies below, a delegation already yielded. */
static bool below_yielded(const struct zs__deleg *d, const uint8_t *name)
{
	for (const uint8_t *p = name; zs__name_below(p, d->apex, true); p += *p + 1) {
		if (zs__nameset_has(&d->yielded, p)) {
			return true;
		}
	}
	return false;
}

static void add_ns(struct zs__deleg *d, const uint8_t *target)
{
	size_t len = zs__name_len(target);
	for (size_t i = 0; i < d->ns_count; i++) {
		if (d->ns_len[i] == len && memcmp(d->pool.data + d->ns[i], target, len) == 0) {
			return;
		}
	}
	if (d->ns_count == GROUP_MAX_NS) {
		return;
	}
	if (d->ns_count == d->ns_cap) {
		d->ns_cap = d->ns_cap * 2 + 8;
		d->ns = zs_reallocarray(d->ns, d->ns_cap, sizeof(*d->ns));
		d->ns_len = zs_reallocarray(d->ns_len, d->ns_cap, sizeof(*d->ns_len));
	}
	d->ns_len[d->ns_count] = (uint16_t)len;
	d->ns[d->ns_count++] = pool_add(&d->pool, target, len);
}

/* Dotted-quad text of an IPv4 address (inet_ntop() formats through printf, ten times slower). */
static size_t ipv4_text(const uint8_t *a, char *out)
{
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (i > 0) {
			out[o++] = '.';
		}
		if (v >= 100) {
			out[o++] = (char)('0' + v / 100);
		}
		if (v >= 10) {
			out[o++] = (char)('0' + (v / 10) % 10);
		}
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
	return o;
}

static void add_ds(struct zs__deleg *d, const struct zs_zone_ds *ds)
{
	for (size_t i = 0; i < d->ds_count; i++) {
		if (d->ds[i].keytag == ds->keytag && d->ds[i].algorithm == ds->algorithm &&
		    d->ds[i].digest_type == ds->digest_type) {
			return;
		}
	}
	if (d->ds_count == GROUP_MAX_DS) {
		return;
	}
	if (d->ds_count == d->ds_cap) {
		d->ds_cap = d->ds_cap * 2 + 4;
		d->ds = zs_reallocarray(d->ds, d->ds_cap, sizeof(*d->ds));
	}
	d->ds[d->ds_count++] = *ds;
}

static void add_cand(struct zs__deleg *d, const struct zs__zone_rr *rr)
{
	if (d->cand_count == GROUP_MAX_CAND) {
		return;
	}
	if (d->cand_count == d->cand_cap) {
		d->cand_cap = d->cand_cap * 2 + 8;
		d->cand = zs_reallocarray(d->cand, d->cand_cap, sizeof(*d->cand));
	}
	struct zs__glue_cand *c = &d->cand[d->cand_count++];
	memset(c, 0, sizeof(*c));
	c->owner = pool_add(&d->pool, rr->owner, zs__name_len(rr->owner));
	if (rr->type == ZS__RR_A) {
		c->family = 4;
		memcpy(c->addr, rr->u.a, 4);
	} else {
		c->family = 6;
		memcpy(c->addr, rr->u.aaaa, 16);
	}
}

static bool cand_dup(const struct zs__deleg *d, size_t upto, const struct zs__glue_cand *c)
{
	for (size_t i = 0; i < upto; i++) {
		const struct zs__glue_cand *o = &d->cand[i];
		if (o->family == c->family && memcmp(o->addr, c->addr, 16) == 0 &&
		    zs__name_eq(d->pool.data + o->owner, d->pool.data + c->owner)) {
			return true;
		}
	}
	return false;
}

static void text_reserve(struct zs__deleg *d, size_t need)
{
	if (need > d->text_cap) {
		d->text_cap = need * 2;
		d->text = zs_realloc(d->text, d->text_cap);
	}
}

/* Build d->out from the group; strings first (the buffer may move), pointers after. */
static void build_out(struct zs__deleg *d)
{
	size_t glue_count = 0;
	size_t len = 0;
	size_t *glue_idx = NULL;
	size_t *glue_ns = NULL;

	text_reserve(d, ZS__NAME_TEXT_MAX);
	len += zs__name_to_text(d->name, d->text) + 1;
	for (size_t i = 0; i < d->ns_count; i++) {
		text_reserve(d, len + ZS__NAME_TEXT_MAX);
		len += zs__name_to_text(d->pool.data + d->ns[i], d->text + len) + 1;
	}
	/* Glue: addresses owned by one of the NS targets, in NS order, then file order. */
	if (d->cand_count > 0) {
		glue_idx = zs_calloc(d->cand_count, sizeof(*glue_idx));
		glue_ns = zs_calloc(d->cand_count, sizeof(*glue_ns));
	}
	for (size_t n = 0; n < d->ns_count; n++) {
		const uint8_t *target = d->pool.data + d->ns[n];
		for (size_t i = 0; i < d->cand_count; i++) {
			if (zs__name_eq(d->pool.data + d->cand[i].owner, target) &&
			    !cand_dup(d, i, &d->cand[i])) {
				glue_idx[glue_count] = i;
				glue_ns[glue_count] = n;
				glue_count++;
			}
		}
	}
	size_t glue_text = len;
	for (size_t g = 0; g < glue_count; g++) {
		const struct zs__glue_cand *c = &d->cand[glue_idx[g]];
		text_reserve(d, len + INET6_ADDRSTRLEN);
		if (c->family == 4) {
			len += ipv4_text(c->addr, d->text + len) + 1;
		} else {
			(void)inet_ntop(AF_INET6, c->addr, d->text + len, INET6_ADDRSTRLEN);
			len += strlen(d->text + len) + 1;
		}
	}

	size_t nptrs = d->ns_count + 2 * glue_count;
	if (nptrs > d->ptrs_cap) {
		d->ptrs_cap = nptrs * 2;
		d->ptrs = zs_reallocarray(d->ptrs, d->ptrs_cap, sizeof(*d->ptrs));
	}
	const char **ns = d->ptrs;
	const char **glue = d->ptrs + d->ns_count;
	const char **gns = glue + glue_count;
	const char *p = d->text;
	d->out.name = p;
	p += strlen(p) + 1;
	for (size_t i = 0; i < d->ns_count; i++) {
		ns[i] = p;
		p += strlen(p) + 1;
	}
	p = d->text + glue_text;
	for (size_t g = 0; g < glue_count; g++) {
		glue[g] = p;
		gns[g] = ns[glue_ns[g]];
		p += strlen(p) + 1;
	}
	if (d->ds_count > d->out_ds_cap) {
		d->out_ds_cap = d->ds_count;
		d->out_ds = zs_reallocarray(d->out_ds, d->out_ds_cap, sizeof(*d->out_ds));
	}
	if (d->ds_count > 0) {
		memcpy(d->out_ds, d->ds, d->ds_count * sizeof(*d->ds));
	}
	d->out.ns_count = d->ns_count;
	d->out.ns = ns;
	d->out.ds_count = d->ds_count;
	d->out.ds = d->out_ds;
	d->out.glue_count = glue_count;
	d->out.glue = glue;
	d->out.glue_ns = gns;
	zs_free(glue_idx);
	zs_free(glue_ns);
}

/* Add a name's SHA-256 to a 256-bit big-endian sum: the digest of a set, whatever its order. */
static void digest_add(uint8_t sum[32], const uint8_t *name)
{
	uint8_t h[LDNS_SHA256_DIGEST_LENGTH];
	unsigned carry = 0;

	(void)ldns_sha256(name, (unsigned)zs__name_len(name), h);
	for (int i = 31; i >= 0; i--) {
		carry += (unsigned)sum[i] + h[i];
		sum[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

/*
 * End the group; true when it was a delegation, now in d->out. The set is consulted here
 * only, once per delegation (adding tells whether it was yielded before), so that the common
 * case costs one probe of the set.
 */
static bool group_end(struct zs_zone_reader *r)
{
	struct zs__deleg *d = &r->deleg;
	if (!d->active) {
		return false;
	}
	d->active = false;
	if (!d->has_ns) {
		if (below_yielded(d, d->name)) {
			r->stats.late_records += d->group_records;
		}
		return false;
	}
	if (d->not_host) {
		return false; /* the error was counted at its first NS record */
	}
	if (!zs__nameset_add_hash(&d->yielded, d->hash)) {
		r->stats.late_records += d->group_records;
		return false;
	}
	build_out(d);
	r->stats.delegations++;
	if (r->opts.digest) {
		digest_add(r->stats.digest, d->name);
	}
	return true;
}

static void add_own(struct zs__deleg *d, const struct zs__zone_rr *rr)
{
	switch (rr->type) {
	case ZS__RR_NS:
		d->has_ns = true;
		add_ns(d, rr->u.ns);
		break;
	case ZS__RR_DS:
		add_ds(d, &rr->u.ds);
		break;
	case ZS__RR_A:
	case ZS__RR_AAAA:
		add_cand(d, rr);
		break;
	default:
		break;
	}
}

/*
 * A record of the group's own name. A delegation whose name is not a host name is refused with
 * one error, at its first NS record: no command could name it, so it is never swept or stored.
 * @return 0, or ZS_ERR_PARSE in strict mode
 */
static int own_record(struct zs_zone_reader *r, const struct zs__zone_rr *rr)
{
	struct zs__deleg *d = &r->deleg;
	bool first_ns = rr->type == ZS__RR_NS && !d->has_ns;
	add_own(d, rr);
	if (first_ns && d->not_host) {
		char text[ZS__NAME_TEXT_MAX];
		(void)zs__name_to_text(d->name, text);
		return zs__zone_error(r, rr->file, rr->line,
		                      "delegation %s is not a host name (letters, digits and "
		                      "hyphens): not swept",
		                      text);
	}
	return 0;
}

static void apex_record(struct zs_zone_reader *r, const struct zs__zone_rr *rr)
{
	if (rr->type == ZS__RR_SOA && !r->stats.has_serial) {
		r->stats.serial = rr->u.serial;
		r->stats.has_serial = true;
	}
}

int zs__deleg_add(struct zs_zone_reader *r, const struct zs__zone_rr *rr,
                  const struct zs_delegation **out)
{
	struct zs__deleg *d = &r->deleg;
	bool yielded = false;
	int ret = 0;

	r->stats.records++;
	if (rr->rclass != ZS__CLASS_IN) {
		d->last_kind = ZS__KIND_NONE;
		return 0;
	}
	/* The owner of the previous record again (omitted owner): it falls where that one fell. */
	if (rr->same_owner) {
		switch (d->last_kind) {
		case ZS__KIND_OUT:
			r->stats.out_of_zone++;
			return 0;
		case ZS__KIND_OWN:
			d->group_records++;
			return own_record(r, rr);
		case ZS__KIND_BELOW:
			d->group_records++;
			if (rr->type == ZS__RR_A || rr->type == ZS__RR_AAAA) {
				add_cand(d, rr);
			}
			return 0;
		case ZS__KIND_APEX:
			apex_record(r, rr);
			return 0;
		default:
			break;
		}
	}
	if (!d->has_apex) {
		const uint8_t *apex = rr->type == ZS__RR_SOA ? rr->owner : rr->origin;
		if (apex == NULL) {
			(void)zs__zone_error(r, rr->file, rr->line,
			                     "zone apex unknown: name the zone or start it with "
			                     "$ORIGIN or its SOA");
			return ZS_ERR_PARSE;
		}
		zs__deleg_set_apex(d, apex);
	}
	if (!zs__name_below(rr->owner, d->apex, false)) {
		d->last_kind = ZS__KIND_OUT;
		r->stats.out_of_zone++;
		return 0;
	}
	if (d->active && zs__name_eq(rr->owner, d->name)) {
		d->last_kind = ZS__KIND_OWN;
		d->group_records++;
		return own_record(r, rr);
	}
	if (d->active && d->has_ns && zs__name_below(rr->owner, d->name, true)) {
		/* Glue or occluded data of the delegation being gathered. */
		d->last_kind = ZS__KIND_BELOW;
		d->group_records++;
		if (rr->type == ZS__RR_A || rr->type == ZS__RR_AAAA) {
			add_cand(d, rr);
		}
		return 0;
	}
	yielded = group_end(r);
	if (zs__name_eq(rr->owner, d->apex)) {
		d->last_kind = ZS__KIND_APEX;
		apex_record(r, rr);
	} else {
		d->last_kind = ZS__KIND_OWN;
		group_start(d, rr->owner);
		d->group_records++;
		ret = own_record(r, rr);
	}
	if (yielded) {
		*out = &d->out;
	}
	return ret;
}

bool zs__deleg_finish(struct zs_zone_reader *r, const struct zs_delegation **out)
{
	if (group_end(r)) {
		*out = &r->deleg.out;
		return true;
	}
	return false;
}

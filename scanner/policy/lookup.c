/* SPDX-License-Identifier: MIT */
/*
 * The query log behind every discovery machine: questions are appended as the machine decides
 * to ask them, handed out in that order by the step function, and matched back by id (the
 * position in the log plus one). The log is the evidence of a result too: each question keeps
 * its final status and the CNAME chain the engine followed.
 */
#include "scanner/policy/lookup.h"

#include <stdlib.h>
#include <string.h>

#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/record_int.h"

struct zs_query *zs__query_log_add(struct zs_arena *a, struct zs_query_log *log, uint16_t type,
                                   const char *name, int purpose, size_t index)
{
	if (log->count == log->cap) {
		size_t cap = log->cap == 0 ? 8 : log->cap * 2;
		struct zs_query **q = zs_arena_calloc(a, cap, sizeof(*q));
		if (log->count > 0) {
			memcpy(q, log->q, log->count * sizeof(*q));
		}
		log->q = q;
		log->cap = cap;
	}
	struct zs_query *q = zs_arena_calloc(a, 1, sizeof(*q));
	q->id = (uint32_t)log->count + 1;
	q->type = type;
	q->name = zs_arena_strdup(a, name);
	q->status = ZS_DNS_NOT_ASKED;
	q->purpose = purpose;
	q->index = index;
	log->q[log->count++] = q;
	return q;
}

size_t zs__query_log_emit(struct zs_query_log *log, struct zs_lookup *need, size_t max)
{
	size_t n = 0;
	while (n < max && log->emitted < log->count) {
		struct zs_query *q = log->q[log->emitted++];
		q->emitted = true;
		need[n].id = q->id;
		need[n].type = q->type;
		need[n].name = q->name;
		n++;
	}
	return n;
}

struct zs_query *zs__query_log_answer(struct zs_arena *a, struct zs_query_log *log, uint32_t id,
                                      const struct zs_answer *ans)
{
	if (id == 0 || id > log->count) {
		return NULL;
	}
	struct zs_query *q = log->q[id - 1];
	if (!q->emitted || q->answered) {
		return NULL;
	}
	q->answered = true;
	log->answered++;
	q->status = ans->status;
	q->ad = ans->ad;
	if (ans->cname_count > 0) {
		q->cname = zs_arena_calloc(a, ans->cname_count, sizeof(*q->cname));
		for (size_t i = 0; i < ans->cname_count; i++) {
			q->cname[i] = zs_arena_strdup(a, ans->cname[i]);
		}
		q->cname_count = ans->cname_count;
	}
	return q;
}

bool zs__query_log_idle(const struct zs_query_log *log)
{
	return log->answered == log->emitted;
}

int zs__query_log_step(struct zs_query_log *log, struct zs_lookup *need, size_t max, size_t *n)
{
	ZS_REQUIRE(max >= 1);
	*n = zs__query_log_emit(log, need, max);
	if (*n > 0) {
		return ZS_POLICY_NEED_LOOKUP;
	}
	if (!zs__query_log_idle(log)) {
		return ZS_POLICY_WAIT;
	}
	return ZS_POLICY_DONE;
}

static int query_order(const void *a, const void *b)
{
	const struct zs_query *x = *(const struct zs_query *const *)a;
	const struct zs_query *y = *(const struct zs_query *const *)b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : (x->type > y->type) - (x->type < y->type);
}

void zs_query_log_json(struct zs_json *j, const struct zs_query_log *log)
{
	/* One short array per question ([name, type, status] and, when there is one, an object
	 * with the CNAME chain and the AD bit): every domain stores tens of these, so the evidence
	 * is kept compact. Sorted by name and type, not in the order asked (which follows the
	 * order answers came back in): an unchanged domain gives unchanged facts. */
	const struct zs_query **sorted = zs_malloc((log->count + 1) * sizeof(*sorted));
	for (size_t i = 0; i < log->count; i++) {
		sorted[i] = log->q[i];
	}
	qsort(sorted, log->count, sizeof(*sorted), query_order);
	zs_json_arr_begin(j);
	for (size_t i = 0; i < log->count; i++) {
		const struct zs_query *q = sorted[i];
		zs_json_arr_begin(j);
		zs_json_data(j, q->name, strlen(q->name));
		zs_json_str(j, zs_rr_type_name(q->type));
		zs_json_str(j, zs_dns_status_name(q->status));
		if (q->cname_count > 0 || q->ad) {
			zs_json_obj_begin(j);
			zs__names_json(j, "cname", q->cname, q->cname_count, false);
			if (q->ad) {
				zs_json_kbool(j, "ad", true);
			}
			zs_json_obj_end(j);
		}
		zs_json_arr_end(j);
	}
	zs_json_arr_end(j);
	zs_free(sorted);
}

const struct zs_query *zs_query_log_find(const struct zs_query_log *log, const char *name,
                                         uint16_t type)
{
	for (size_t i = 0; i < log->count; i++) {
		if (log->q[i]->type == type && strcmp(log->q[i]->name, name) == 0) {
			return log->q[i];
		}
	}
	return NULL;
}

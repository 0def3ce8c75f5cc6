/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests of scanner/dns. */
#pragma once

#include <string.h>

#include "scanner/dns/wire_int.h"
#include "tests/unit/test.h"

/** A question (class IN) from a presentation name, which must be valid. */
static inline struct zs__dns_question zs_test_question(const char *name, uint16_t type)
{
	struct zs__dns_question q;
	memset(&q, 0, sizeof(q));
	assert_int_equal(zs__dns_name_from_text(name, &q), 0);
	q.type = type;
	q.qclass = ZS_DNS_CLASS_IN;
	return q;
}

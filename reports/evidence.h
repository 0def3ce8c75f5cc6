/* SPDX-License-Identifier: MIT */
/*
 * Evidence: what a registrant is shown for a rule. Each check of the policy catalogue rests on
 * records at known names (SPF on the domain itself, DMARC at _dmarc, DKIM under _domainkey,
 * MTA-STS at _mta-sts, TLS-RPT at _smtp._tls) and on some of the key facts; the stored raw TXT
 * records at those names are the evidence "exactly as found". The same mapping serves the
 * one-domain compliance report and the notices, and a stored row is turned back into the few
 * facts zs_policy_render_fix() needs to write the records to publish.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "db/report_query.h"
#include "scanner/policy/facts.h"
#include "scanner/policy/ruleset.h"

/**
 * Whether a stored TXT record at @p owner is evidence for a check on @p domain.
 * @param owner  the record's owner name, lower case, without the final dot
 */
bool zs_evidence_owner_matches(enum zs_check c, const char *domain, const char *owner);

/**
 * The key facts that are evidence for a check.
 * @param[out] out  up to @p max facts
 * @return how many were written
 */
size_t zs_evidence_facts(enum zs_check c, enum zs_db_fact *out, size_t max);

/**
 * Fill the facts zs_policy_render_fix() reads (domain, SPF and DMARC records as stored, MX
 * status and kind) from a stored row. Everything else is left zero.
 * @param f  pointers into @p row: valid as long as the row is
 */
void zs_evidence_render_facts(const struct zs_db_report_row *row, struct zs_facts *f);

/** The rule of a policy with this id, or NULL. */
const struct zs_rule *zs_evidence_rule(const struct zs_policy *p, const char *id);

/* SPDX-License-Identifier: MIT */
/*
 * Rendering an SPF report: one JSON object (what the sweep stores per domain and what the CLI
 * prints with --json), and an indented tree for people (each include and redirect with its
 * record, lookups and result, then the findings). Record texts come from DNS and go through
 * the data escaping of scanner/base/escape.h in both forms.
 */
#pragma once

#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/spf_eval.h"

/**
 * Write the report as one JSON object. Keys: domain, mode ("analysis" or "check"), result,
 * records, error (null or a finding code), error_detail, lookups, void_lookups, all (null or
 * "+", "-", "~", "?"), authorizes_hosts, ipv4_addresses, ipv6_addresses (exact integers; null
 * in check mode), unlisted (analysis: the IPv4 and IPv6 unlisted-sender paths, each with
 * evaluated, ip, result, error, error_detail, matched, matched_domain, lookups, void_lookups), ptr,
 * dynamic, truncated, explanation, matched, findings (code, severity, domain, position, message,
 * dns), findings_truncated, and tree: the evaluation tree as a list in depth-first order, each node
 * with its depth, so that nesting never limits the output.
 * @return 0, or the writer's error (ZS_ERR_TOOBIG when the buffer is full)
 */
int zs_spf_report_json(const struct zs_spf_report *r, struct zs_json *j);

/**
 * Append the indented tree and the findings to @p out.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_spf_report_tree(const struct zs_spf_report *r, struct zs_buf *out);

/* SPDX-License-Identifier: MIT */
/*
 * What the commands and the other modules ask of the database besides a sweep: listings for
 * officers (runs, a domain's history, the difference between two runs), the registry's own
 * data (contacts, declared DKIM selectors, exemptions, attestations), the notice log, and
 * pruning. The SQL stays here, in db/; callers get printed tables or callbacks.
 *
 * Printed values that came from DNS or from imported files are escaped for the terminal
 * (text), neutralised against formula injection (CSV), or JSON-escaped (JSON Lines).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db/db.h"

/** How listings are printed. */
enum zs_db_format {
	ZS_DB_FORMAT_TEXT, /**< aligned columns for a terminal */
	ZS_DB_FORMAT_CSV,  /**< RFC 4180 with a header line */
	ZS_DB_FORMAT_JSON, /**< JSON Lines: one object per row */
};

/** Parse "text", "csv" or "json". @return 0 or ZS_ERR_USAGE */
int zs_db_format_parse(const char *name, enum zs_db_format *out);

/**
 * Open a connection and check that its schema is the one this binary needs: what every
 * command but `db migrate` does first.
 * @param[out] out  on success, the connection (zs_db_close())
 * @return 0, ZS_ERR_DB or ZS_ERR_USAGE (message in zs_db_error(NULL)), or ZS_ERR_DBSCHEMA
 *         (message in zs_db_error(NULL) too: the connection is closed)
 */
int zs_db_open_checked(const char *conninfo, struct zs_db **out);

/**
 * Print recent runs with their figures, newest first.
 * @param tld    only this TLD; NULL for all
 * @param limit  at most this many (> 0)
 * @return 0 or ZS_ERR_DB
 */
int zs_db_print_runs(struct zs_db *db, const char *tld, int limit, enum zs_db_format fmt,
                     FILE *out);

/**
 * Print a domain's history: one line per run that stored a result for it or recorded a
 * status change (pruned runs keep the latter), oldest first; in text format preceded by its
 * current state and contact.
 * @return 0, ZS_ERR_NOTFOUND when the database knows nothing of the domain, or ZS_ERR_DB
 */
int zs_db_print_history(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out);

/** What zs_db_print_diff() found. */
struct zs_db_diff_counts {
	int64_t newly_non_compliant;
	int64_t fixed;
	int64_t changed; /**< other status changes */
	int64_t added;   /**< in B only */
	int64_t removed; /**< in A only */
};

/**
 * Print the domains whose status differs between two runs, in domain order (streamed).
 * @param[out] counts  when not NULL, the figures
 * @return 0, ZS_ERR_NOTFOUND for a missing run, or ZS_ERR_DB
 */
int zs_db_print_diff(struct zs_db *db, int64_t run_a, int64_t run_b, enum zs_db_format fmt,
                     FILE *out, struct zs_db_diff_counts *counts);

/** What an import did. */
struct zs_db_import_stats {
	int64_t rows;     /**< rows read from the file */
	int64_t stored;   /**< rows inserted or updated */
	int64_t replaced; /**< rows deleted first (replace mode) */
};

/**
 * Import registrant contacts from a CSV file (RFC 4180, UTF-8, header line with at least
 * "domain" and "email"; optional "name", "organisation"; other columns are ignored). All or
 * nothing: any invalid row (named by file:line in zs_db_error()) aborts the import.
 * @param name     the file's name, for messages
 * @param source   recorded with each contact (e.g. the file's name)
 * @param replace  delete every contact not in the file
 * @return 0, ZS_ERR_PARSE for an invalid file, or ZS_ERR_DB
 */
int zs_db_contacts_import(struct zs_db *db, FILE *in, const char *name, const char *source,
                          bool replace, struct zs_db_import_stats *stats);

/**
 * Import declared DKIM selectors: lines "domain selector [selector...]" (spaces or commas
 * between fields), '#' comments. All or nothing, as contacts.
 * @param replace  delete the selectors of the domains in the file that the file no longer has
 * @return 0, ZS_ERR_PARSE or ZS_ERR_DB
 */
int zs_db_selectors_import(struct zs_db *db, FILE *in, const char *name, const char *source,
                           bool replace, struct zs_db_import_stats *stats);

/** Print contacts (all, or one domain's). @return 0 or ZS_ERR_DB */
int zs_db_print_contacts(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out);

/** Print declared selectors (all, or one domain's). @return 0 or ZS_ERR_DB */
int zs_db_print_selectors(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out);

/**
 * Record an exemption. The caller checks the rule against the TLD's policy and the date
 * (zs_cli_date(), later than today).
 * @param domain  a registered domain: a host name of two labels or more (zs_host_name_valid())
 * @param until  YYYY-MM-DD, today or later
 * @param by     who records it (kept as created_by, beside the database role)
 * @param[out] id  on success, the exemption's id
 * @return 0, ZS_ERR_USAGE (invalid domain, rule, date, or a past date), or ZS_ERR_DB
 */
int zs_db_exemption_add(struct zs_db *db, const char *domain, const char *rule, const char *until,
                        const char *why, const char *by, int64_t *id);

/**
 * Revoke an exemption.
 * @param by  who revokes it
 * @return 0, ZS_ERR_NOTFOUND (or already revoked), or ZS_ERR_DB
 */
int zs_db_exemption_revoke(struct zs_db *db, int64_t id, const char *by);

/** Print exemptions (all, or one domain's), active and past. @return 0 or ZS_ERR_DB */
int zs_db_print_exemptions(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out);

/**
 * Record an attestation. The caller checks the item against the TLD's policy and the date.
 * @param domain    a registered domain: a host name of two labels or more (zs_host_name_valid())
 * @param attested  true for "attested", false for "not attested"
 * @param on        the date of the statement, YYYY-MM-DD, not in the future (NULL: today)
 * @param by        who attested and records it (kept as attested_by and created_by)
 * @param ref       the document's reference
 * @return 0, ZS_ERR_USAGE or ZS_ERR_DB
 */
int zs_db_attestation_add(struct zs_db *db, const char *domain, const char *item, bool attested,
                          const char *on, const char *by, const char *ref, int64_t *id);

/**
 * Revoke an attestation: it no longer counts (the newest statement not revoked does).
 * @param by  who revokes it
 * @return 0, ZS_ERR_NOTFOUND (or already revoked), or ZS_ERR_DB
 */
int zs_db_attestation_revoke(struct zs_db *db, int64_t id, const char *by);

/**
 * The TLD a domain belongs to, and the policy of that TLD's newest run (not withdrawn): the
 * longest TLD with a run that the domain lies below, else its last label.
 * @param[out] tld     the TLD
 * @param[out] policy  the policy's name, "" when the TLD has no run
 * @return 0, or ZS_ERR_DB
 */
int zs_db_domain_tld(struct zs_db *db, const char *domain, char *tld, size_t tld_len, char *policy,
                     size_t policy_len);

/** Print the newest attestation per item (all, or one domain's). @return 0 or ZS_ERR_DB */
int zs_db_print_attestations(struct zs_db *db, const char *domain, enum zs_db_format fmt,
                             FILE *out);

/** Called for each declared selector: (domain, selector). Non-zero stops with that value. */
typedef int (*zs_db_selector_cb)(const char *domain, const char *selector, void *arg);

/**
 * The declared selectors of a TLD's domains, in domain order, for the sweep.
 * @param tld  e.g. "post"; NULL for all
 * @return 0, what @p cb returned, or ZS_ERR_DB
 */
int zs_db_selectors_each(struct zs_db *db, const char *tld, zs_db_selector_cb cb, void *arg);

/** A DKIM selector learned across a TLD's zone (scanner/policy/dkim_learn.h). */
struct zs_db_dkim_learned {
	const char *provider; /**< the provider table's name or an organizational domain */
	const char *selector;
	uint32_t domains; /**< domains of the provider where it held a key */
};

/** Called for each learned selector. Non-zero stops with that value. */
typedef int (*zs_db_dkim_learned_cb)(const struct zs_db_dkim_learned *l, void *arg);

/**
 * The DKIM selectors the TLD's last complete run learned, kept with it (the array
 * dkim_learned of its dns_counters); entries that are not well-formed are skipped.
 * @return 0 (also when no run is complete), what @p cb returned, or ZS_ERR_DB
 */
int zs_db_dkim_learned_each(struct zs_db *db, const char *tld, zs_db_dkim_learned_cb cb, void *arg);

/** An exemption in force. */
struct zs_db_exemption {
	int64_t id;
	const char *domain;
	const char *rule;
	const char *until; /**< YYYY-MM-DD */
	const char *why;
};

/** Called for each exemption; the strings are valid during the call. */
typedef int (*zs_db_exemption_cb)(const struct zs_db_exemption *e, void *arg);

/**
 * The exemptions in force today (not revoked, until today or later), for the sweep.
 * @param tld  only domains under this TLD; NULL for all
 * @return 0, what @p cb returned, or ZS_ERR_DB
 */
int zs_db_exemptions_each(struct zs_db *db, const char *tld, zs_db_exemption_cb cb, void *arg);

/** The newest attestation of an item. */
struct zs_db_attestation {
	const char *domain;
	const char *item;
	bool attested;  /**< "attested", else "not attested" */
	const char *on; /**< YYYY-MM-DD */
	const char *by;
	const char *ref;
};

/** Called for each attestation; the strings are valid during the call. */
typedef int (*zs_db_attestation_cb)(const struct zs_db_attestation *a, void *arg);

/**
 * The newest attestation per item of a domain, in item order (for its compliance report).
 * @return 0, what @p cb returned, or ZS_ERR_DB
 */
int zs_db_attestations_each(struct zs_db *db, const char *domain, zs_db_attestation_cb cb,
                            void *arg);

/** A registrant contact. */
struct zs_db_contact {
	char *domain;
	char *email;
	char *name;
	char *organisation;
};

/**
 * A domain's contact.
 * @param[out] out  on success, owned by the caller (zs_db_contact_free())
 * @return 0, ZS_ERR_NOTFOUND or ZS_ERR_DB
 */
int zs_db_contact_get(struct zs_db *db, const char *domain, struct zs_db_contact **out);

/** Free a contact; NULL is a no-op. */
void zs_db_contact_free(struct zs_db_contact *c);

/**
 * Log a generated notice.
 * @param recipient  NULL when the domain has no contact
 * @param rules      the failing rule ids, @p rule_count of them
 * @return 0 or ZS_ERR_DB
 */
int zs_db_notice_record(struct zs_db *db, int64_t run_id, const char *domain, const char *kind,
                        const char *recipient, const char *message_id, const char *const *rules,
                        size_t rule_count);

/**
 * When a notice of this kind was last generated for a domain.
 * @param[out] at  on success, seconds since the epoch
 * @return 0, ZS_ERR_NOTFOUND when never, or ZS_ERR_DB
 */
int zs_db_notice_last(struct zs_db *db, const char *domain, const char *kind, int64_t *at);

/** What zs_db_prune() did. */
struct zs_db_prune_stats {
	int64_t runs;     /**< runs whose results were deleted */
	int64_t results;  /**< result rows deleted */
	int64_t verdicts; /**< verdict rows deleted */
};

/**
 * Delete the results, verdicts and quarantined rows of old runs: per TLD, everything but the
 * newest @p keep_runs finished runs, the newest complete run and running runs. Run rows (with
 * their figures), rule counts, domains, transitions, current state, notices and the registry
 * data are kept.
 * @param dry_run  only count (and print) what would go
 * @param out      when not NULL, the runs pruned are listed there
 * @return 0, ZS_ERR_USAGE for keep_runs < 1, or ZS_ERR_DB
 */
int zs_db_prune(struct zs_db *db, int keep_runs, bool dry_run, FILE *out,
                struct zs_db_prune_stats *stats);

/**
 * Normalise a domain name given on a command line or in a file: lower case, without the final
 * dot; refuses empty names, spaces, control bytes and invalid UTF-8.
 * @param[out] buf  the result
 * @return 0 or ZS_ERR_USAGE
 */
int zs_db_domain_normalize(const char *in, char *buf, size_t len);

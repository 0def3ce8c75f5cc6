/* SPDX-License-Identifier: MIT */
/*
 * Notices to registrants: for each non-compliant domain of a run (or only the newly
 * non-compliant ones, or those non-compliant for at least N days), one RFC 5322 message from
 * the secretariat to the registrant contact, in plain words: the policy and the rules that
 * fail, the evidence (every record exactly as found, in zone-file form), the DNS records to
 * publish (the rule's fix rendered by the policy), and the deadline. Messages are rendered
 * from the templates (reports/template.h) and written to one mbox file, gzip-compressed unless
 * its name says otherwise. Domains without a contact (or with one that cannot be written in a
 * header) are listed in a CSV file beside it.
 *
 * Nothing that came from DNS reaches a header: the From is configured, the To comes from the
 * imported contacts, the Subject from the template with the domain name (checked to be a
 * plain host name); every header goes through reports/mail.h. The notice log (the notices
 * table) is written in the same transaction that read the domains, and committed only after
 * the mbox is in place; a notice already generated for the same domain and the same failing
 * rules within min_days is not generated again.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "scanner/base/buf.h"

struct zs_policy;

/** Which non-compliant domains get a notice. */
enum zs_notice_only {
	ZS_NOTICE_ALL,        /**< every one */
	ZS_NOTICE_NEW,        /**< those that became non-compliant in this run */
	ZS_NOTICE_PERSISTING, /**< those non-compliant for at least min_days */
};

/** How notices are made. */
struct zs_notice_opts {
	const char *from;     /**< the secretariat: "Name <addr>" or "addr" (required) */
	const char *reply_to; /**< an address, or NULL */
	enum zs_notice_only only;
	unsigned min_days;     /**< no same notice twice within this many days (0: no limit) */
	int64_t deadline;      /**< the date to fix by, seconds since the epoch */
	const char *templates; /**< a directory of templates, or NULL for the built-in ones */
	const struct zs_policy *policy; /**< NULL: the run's policy, when it is built in */
	int64_t now;                    /**< the notices' date (required) */
	uint64_t salt;                  /**< mixed into Message-IDs (0 in reproducible output) */
	int out_flags;                  /**< zs_out_open() flags */
	bool dry_run;                   /**< write the files but log nothing */
};

/** What was generated. */
struct zs_notice_stats {
	uint64_t non_compliant; /**< non-compliant domains in the run */
	uint64_t written;       /**< messages in the mbox */
	uint64_t no_contact;    /**< listed: no contact */
	uint64_t invalid;       /**< listed: a contact or name unfit for a header */
	uint64_t recent;        /**< skipped: the same notice within min_days */
	uint64_t filtered;      /**< skipped: not new, or not persisting long enough */
};

/** The kind recorded in the notice log. */
#define ZS_NOTICE_KIND "non-compliant"

/**
 * The placeholders a notice template may use (docs/notices.md lists them).
 * @param file  "notice-subject.txt", "notice-body.txt" or "notice-rule.txt"
 * @param[out] count  how many
 * @return the names (static), or NULL for another file
 */
const char *const *zs_notice_placeholders(const char *file, size_t *count);

/**
 * The list of domains without a usable contact, beside the mbox: "x.mbox.gz" gives
 * "x.no-contact.csv.gz".
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_notices_list_path(const char *path, bool compressed, struct zs_buf *out);

/**
 * Generate the notices of a run.
 * @param path  the mbox file ("-" is refused: the notice log needs a file that exists)
 * @param[out] stats  when not NULL, what was done
 * @param[out] errs   messages for ZS_ERR_USAGE and ZS_ERR_PARSE (templates), one per line
 * @return 0, ZS_ERR_USAGE (bad From, no policy), ZS_ERR_PARSE (a template), ZS_ERR_NOTFOUND
 *         (no such run), ZS_ERR_DB, -EEXIST, or -errno; on failure no file is left and
 *         nothing is logged
 */
int zs_notices_write(struct zs_db *db, int64_t run_id, const char *path,
                     const struct zs_notice_opts *o, struct zs_notice_stats *stats,
                     struct zs_buf *errs);

/* SPDX-License-Identifier: MIT */
/*
 * The database: a connection to PostgreSQL (a libpq connection string or URI, or the PG*
 * environment variables and ~/.pgpass as psql uses them), the schema migrations embedded in the
 * binary, and the value types shared by the run, writer and reader modules. This header is the
 * library's front door and includes the others: db/run.h (runs and their advisory lock),
 * db/writer.h (the COPY writer thread), db/reader.h (streaming reads of a run) and db/admin.h
 * (listings, registry data, notice log, pruning).
 *
 * Errors are translated here from libpq: every failure returns ZS_ERR_DB (or a more precise
 * code) and leaves a one-line message naming the database in zs_db_error(). A struct zs_db is
 * used by one thread at a time; the writer opens its own connection.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zs_db;

/** Per-domain compliance status, as the policy evaluation decides it. */
enum zs_db_status {
	ZS_DB_COMPLIANT,
	ZS_DB_NON_COMPLIANT,
	ZS_DB_INDETERMINATE,
	ZS_DB_STATUS_COUNT_
};

/** Whether a domain is a mail domain under the policy's definition. */
enum zs_db_mail { ZS_DB_MAIL, ZS_DB_NON_MAIL, ZS_DB_MAIL_UNKNOWN, ZS_DB_MAIL_COUNT_ };

/** One rule's verdict. */
enum zs_db_verdict {
	ZS_DB_PASS,
	ZS_DB_FAIL,
	ZS_DB_WARN,
	ZS_DB_NA,
	ZS_DB_ERROR,
	ZS_DB_VERDICT_COUNT_
};

/** A run's status. */
enum zs_db_run_status {
	ZS_DB_RUN_RUNNING,
	ZS_DB_RUN_COMPLETE,
	ZS_DB_RUN_INTERRUPTED,
	ZS_DB_RUN_FAILED,
	ZS_DB_RUN_WITHDRAWN, /**< withdrawn by an operator: it counts nowhere (schema 6) */
	ZS_DB_RUN_STATUS_COUNT_
};

/** The stored name of a status: "compliant", "non-compliant", "indeterminate". */
const char *zs_db_status_name(enum zs_db_status s);
/** The stored name of a mail kind: "mail", "non-mail", "unknown". */
const char *zs_db_mail_name(enum zs_db_mail m);
/** The stored name of a verdict: "pass", "fail", "warn", "na", "error". */
const char *zs_db_verdict_name(enum zs_db_verdict v);
/** The stored name of a run status: "running", "complete", "interrupted", "failed",
 * "withdrawn". */
const char *zs_db_run_status_name(enum zs_db_run_status s);
/** Parse a stored status name. @return 0 or ZS_ERR_NOTFOUND */
int zs_db_status_parse(const char *name, enum zs_db_status *out);
/** Parse a stored mail kind. @return 0 or ZS_ERR_NOTFOUND */
int zs_db_mail_parse(const char *name, enum zs_db_mail *out);
/** Parse a stored verdict. @return 0 or ZS_ERR_NOTFOUND */
int zs_db_verdict_parse(const char *name, enum zs_db_verdict *out);
/** Parse a stored run status. @return 0 or ZS_ERR_NOTFOUND */
int zs_db_run_status_parse(const char *name, enum zs_db_run_status *out);

/** One rule's outcome for a domain. */
struct zs_db_verdict_row {
	const char *rule;           /**< rule id, e.g. "POST-MX-SPF" */
	enum zs_db_verdict verdict; /**< pass, fail, warn, na or error */
	const char *reason;         /**< one line; may hold bytes from DNS (stored escaped) */
};

/** A raw TXT record kept byte-exact (rdata: its character-strings joined). */
struct zs_db_raw_txt {
	const char *owner;   /**< owner name, presentation form, e.g. "_dmarc.example.post" */
	const uint8_t *data; /**< the bytes, any value including NUL */
	size_t len;          /**< length of @a data */
};

/**
 * One domain's result as the policy evaluation hands it to the writer. Nothing here is kept:
 * zs_db_writer_push() copies what it needs, so every pointer may point into the probe's arena.
 */
struct zs_db_result {
	const char *domain; /**< lower case, without the final dot */
	enum zs_db_status status;
	unsigned warnings; /**< rules with verdict warn */
	enum zs_db_mail mail;
	const char *facts_json; /**< a JSON object (stored as jsonb); NULL stores {} */
	const struct zs_db_verdict_row *verdicts;
	size_t verdict_count;
	const struct zs_db_raw_txt *raw; /**< raw TXT records (may be NULL when raw_count is 0) */
	size_t raw_count;
};

/**
 * Connect. Parameters missing from @p conninfo come from the PG* environment variables and
 * ~/.pgpass, as psql; the client encoding is UTF8 and search_path is pinned to public.
 * @param conninfo  a libpq connection string ("host=... dbname=...") or URI
 *                  ("postgresql://..."); NULL or "" takes everything from the environment
 * @param[out] out  on success, the connection, owned by the caller (zs_db_close())
 * @return 0, or ZS_ERR_DB ("could not connect to database D on H:P: reason" in
 *         zs_db_error(NULL) for this thread)
 */
int zs_db_open(const char *conninfo, struct zs_db **out);

/**
 * Close the connection, releasing any advisory lock it holds. NULL is a no-op.
 * @param db  the connection, freed here
 */
void zs_db_close(struct zs_db *db);

/**
 * The message of the last failure on @p db: one line naming the database.
 * @param db  a connection, or NULL for the last failed zs_db_open() of this thread
 * @return a string owned by @p db (or thread-local), "" when nothing failed
 */
const char *zs_db_error(const struct zs_db *db);

/**
 * Which database this is, for messages: "database zonesweep on 127.0.0.1:5432".
 * @return a string owned by @p db
 */
const char *zs_db_where(const struct zs_db *db);

/** The connection string or URI @p db was opened with ("" for the environment). */
const char *zs_db_conninfo(const struct zs_db *db);

/**
 * The newest schema version this binary knows (the number of embedded migrations).
 * @return a version >= 1
 */
int zs_db_schema_latest(void);

/**
 * The schema version of the database.
 * @param[out] version  on success, 0 for a database without the zonesweep schema
 * @return 0 or ZS_ERR_DB
 */
int zs_db_schema_version(struct zs_db *db, int *version);

/**
 * Apply pending migrations in order, each in its own transaction recorded in the table
 * schema_migrations. Concurrent migrators serialise on an advisory lock.
 * @param target     the version to reach; 0 for the newest
 * @param[out] applied  when not NULL, on success, the number of migrations applied
 * @return 0, ZS_ERR_USAGE for a target beyond zs_db_schema_latest(), ZS_ERR_DBSCHEMA when the
 *         database is newer than this binary, or ZS_ERR_DB (nothing of the failed migration
 *         remains; earlier ones stay applied)
 */
int zs_db_migrate(struct zs_db *db, int target, int *applied);

/**
 * Check that the schema is exactly the one this binary needs; every command calls it first.
 * @return 0, ZS_ERR_DBSCHEMA with a message saying what to do ("run 'zonesweep db migrate'",
 *         or that the database is newer than this zonesweep), or ZS_ERR_DB
 */
int zs_db_check_schema(struct zs_db *db);

#include "db/admin.h"  /* IWYU pragma: export */
#include "db/reader.h" /* IWYU pragma: export */
#include "db/run.h"    /* IWYU pragma: export */
#include "db/writer.h" /* IWYU pragma: export */

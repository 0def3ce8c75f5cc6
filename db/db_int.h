/* SPDX-License-Identifier: MIT */
/*
 * Shared within db/: the connection structure, libpq error translation and query helpers, the
 * embedded migrations, the COPY text escaping, and the advisory lock keys.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "scanner/base/buf.h"

/** One embedded migration (generated from db/migrations/NNN_name.sql). */
struct zs__db_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct zs__db_migration zs__db_migrations[];
extern const int zs__db_migration_count;

/* Advisory lock keys ("zs" and a number): pg_try_advisory_lock(ZS__DB_LOCK_TLD, tld id) for a
 * TLD's sweep, pg_advisory_xact_lock(ZS__DB_LOCK_MIGRATE) for migrations. Written as decimal
 * literals so that they can be pasted into SQL text with ZS__DB_STR(). */
#define ZS__DB_LOCK_TLD     2054356993
#define ZS__DB_LOCK_MIGRATE 2054356994
#define ZS__DB_STR_(x)      #x
#define ZS__DB_STR(x)       ZS__DB_STR_(x)

enum { ZS__DB_MSG_MAX = 1024 };

struct zs_db {
	PGconn *conn;
	char *conninfo;           /**< as given; "" for the environment */
	char where[256];          /**< "database D on H:P" */
	char err[ZS__DB_MSG_MAX]; /**< last failure, one line */
	int lock_tld;             /**< TLD id whose advisory lock this connection holds (taken
	                               again after a reconnect, zs__db_ensure()); 0 none */
	bool reader_open;         /**< a reader owns the connection */
	bool writer_open;         /**< a writer has taken the connection (db->conn is NULL) */
	bool lock_lost;           /**< the writer found the TLD's lock taken by another sweep
	                               after a reconnect: the run can no longer be finished */
	unsigned relock_wait_ms;  /**< how long a reconnected sweep waits for its TLD's lock */
};

/**
 * Open a libpq connection with the project's defaults (UTF8, application name, connect
 * timeout, TCP keepalives; the caller's connection string overrides them) and pin search_path.
 * @param[out] out    on success, the connection
 * @param[out] where  "database D on H:P", filled on success and failure
 * @param[out] err    on failure, "could not connect to database D on H:P: reason"
 * @return 0, ZS_ERR_USAGE for a malformed connection string, or ZS_ERR_DB
 */
int zs__db_connect(const char *conninfo, PGconn **out, char *where, size_t where_len, char *err,
                   size_t err_len);

/**
 * Format "WHERE: WHAT: message" from a failed result (or the connection's error) on one line.
 */
void zs__db_format_error(char *buf, size_t len, const char *where, const char *what, PGconn *conn,
                         const PGresult *res);

/** Set the message zs_db_error(NULL) returns in this thread. */
void zs__db_set_open_error(const char *msg);

/** Set db->err from a failed result or the connection. @return ZS_ERR_DB */
int zs__db_fail(struct zs_db *db, const char *what, const PGresult *res);

/** Set db->err from a format. @return @p ret */
int zs__db_failf(struct zs_db *db, int ret, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/**
 * Run a query with text parameters. @return the result (PQclear() it) when it succeeded
 * (tuples or command OK), or NULL with db->err set.
 */
PGresult *zs__db_query(struct zs_db *db, const char *what, const char *sql, int nparams,
                       const char *const *params);

/** Run commands without parameters (several statements allowed). @return 0 or ZS_ERR_DB */
int zs__db_exec(struct zs_db *db, const char *what, const char *sql);

/** Whether a failure means the connection is gone (class 08, shutdown, or a bad status). */
bool zs__db_conn_lost(PGconn *conn, const PGresult *res);

/**
 * Make sure db->conn is usable, reconnecting once if it was lost; a connection running a sweep
 * takes its TLD's lock again.
 * @return 0, ZS_ERR_DB, ZS_ERR_LOCKED (another session took the lock) or ZS_ERR_USAGE (a
 *         reader is open)
 */
int zs__db_ensure(struct zs_db *db);

/**
 * On a new connection of a sweep whose session was lost: take the TLD's lock again, waiting up
 * to @p wait_ms for it (the old session's backend may not have noticed yet that its client is
 * gone), then check that the run is still running (another sweep that took the lock meanwhile
 * marked it interrupted).
 * @param tld     the TLD id whose lock the lost session held
 * @param run_id  the sweep's run; 0 to skip that check
 * @param[out] err  on failure, one line naming @p where
 * @return 0, ZS_ERR_LOCKED (another sweep holds the lock, or took over the run), or ZS_ERR_DB
 *         (the message says what failed; the connection may be lost again)
 */
int zs__db_relock(PGconn *conn, const char *where, int tld, int64_t run_id, unsigned wait_ms,
                  char *err, size_t err_len);

/** Tests only: how long a reconnected sweep waits for its lock (default 30 s). */
void zs__db_set_relock_wait(struct zs_db *db, unsigned ms);

/** Parse a decimal int64 field. @return 0 or ZS_ERR_PARSE */
int zs__db_parse_i64(const char *s, int64_t *out);

/**
 * Append text as a COPY text-format field: escaped for COPY, and first escaped with the data
 * escaping of escape.h when it is not valid UTF-8 or holds a NUL (PostgreSQL refuses both).
 * @param[out] escaped  set to true when the data escaping was applied
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs__db_copy_text(struct zs_buf *out, const char *s, size_t n, bool *escaped);

/**
 * Append text escaped for COPY, when it is valid UTF-8 without NUL.
 * @return 0, ZS_ERR_PARSE (not such text: @p out then holds part of the field, for the caller
 *         to cut), or ZS_ERR_TOOBIG
 */
int zs__db_copy_escape(struct zs_buf *out, const char *s, size_t n);

/** Whether @p n bytes are valid UTF-8 without NUL. */
bool zs__db_text_ok(const char *s, size_t n);

/** Points in a batch where the tests' hook is called (zs__db_writer_set_hook()). */
enum zs__db_hook_point {
	ZS__DB_HOOK_BEFORE_COMMIT, /**< rows sent, COMMIT not yet */
	ZS__DB_HOOK_AFTER_COMMIT,  /**< COMMIT confirmed; a non-zero return makes the writer
	                                behave as if the confirmation was lost */
};

/**
 * Tests only: called by the writer thread at @p point with the writer's backend pid.
 * @return non-zero at ZS__DB_HOOK_AFTER_COMMIT to simulate a lost commit confirmation
 */
typedef int (*zs__db_hook)(enum zs__db_hook_point point, int backend_pid, void *arg);

struct zs_db_writer;

/** Tests only: install the hook before the first push. */
void zs__db_writer_set_hook(struct zs_db_writer *w, zs__db_hook hook, void *arg);

/**
 * Tests only: queue rows exactly as given, bypassing the formatting and escaping of
 * zs_db_writer_push(), to check that whatever PostgreSQL refuses is quarantined.
 * @param domain    the domain, as logged and quarantined
 * @param res_line  the results row: run, domain, status, warnings, mail, raw owners, raw TXT
 *                  records as COPY text, then the facts as JSON (escaped for COPY when sent),
 *                  and its final newline
 * @param verdict_lines  COPY text of the verdict rows ("" for none)
 * @return as zs_db_writer_push(), or ZS_ERR_USAGE when the row has too few fields
 */
int zs__db_writer_push_raw(struct zs_db_writer *w, const char *domain, const char *res_line,
                           const char *verdict_lines);

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Create or update the two database roles of zonesweep, and grant them what they need on a
# database that `zonesweep db migrate` has set up (docs/database.md, "Roles"):
#
#   writer   (default zonesweep_writer): what the scanner and the registry commands need:
#            read and write the tables, temporary tables (COPY staging), no DDL, no TRUNCATE
#   officer  (default zonesweep_officer): read only: SELECT on the views (v_*) and on
#            schema_migrations (so that zonesweep can check the schema), EXECUTE diff_runs()
#
#   scripts/db-roles.sh [--db CONNINFO] [--writer NAME] [--officer NAME]
#   scripts/db-roles.sh [--db CONNINFO] [--writer NAME] [--officer NAME] --drop
#
# Run it as the database's owner (the role that ran `zonesweep db migrate`), again after
# each migration (it is idempotent). Passwords come from the environment variables
# ZS_WRITER_PASSWORD and ZS_OFFICER_PASSWORD when set (never from the command line, which
# other users can see); otherwise the roles keep theirs, or have none (use peer or
# certificate authentication in pg_hba.conf). --drop revokes everything the roles hold in
# this database and drops them when they hold nothing elsewhere.
set -euo pipefail

usage() {
	sed -n '4,20p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

conninfo="" writer=zonesweep_writer officer=zonesweep_officer drop=0
while [ $# -gt 0 ]; do
	case "$1" in
	--db) conninfo=$2; shift 2 ;;
	--writer) writer=$2; shift 2 ;;
	--officer) officer=$2; shift 2 ;;
	--drop) drop=1; shift ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done
for name in "$writer" "$officer"; do
	[[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || {
		echo "db-roles.sh: invalid role name '$name' (lower case letters, digits, _)" >&2
		exit 2
	}
done
[ "$writer" != "$officer" ] || { echo "db-roles.sh: the two roles must differ" >&2; exit 2; }

psql_run() {
	psql ${conninfo:+"$conninfo"} -X -q -v ON_ERROR_STOP=1 -v writer="$writer" \
		-v officer="$officer" "$@"
}

if [ "$drop" = 1 ]; then
	psql_run <<'EOF'
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'writer') AS has_writer,
	EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'officer') AS has_officer \gset
\if :has_writer
DROP OWNED BY :"writer";
DROP ROLE :"writer";
\endif
\if :has_officer
DROP OWNED BY :"officer";
DROP ROLE :"officer";
\endif
EOF
	echo "db-roles.sh: roles $writer and $officer dropped"
	exit 0
fi

psql_run <<'EOF'
\set ON_ERROR_STOP on
SELECT to_regclass('public.schema_migrations') IS NOT NULL AS migrated \gset
\if :migrated
\else
\echo 'db-roles.sh: this database has no zonesweep schema: run zonesweep db migrate first'
\quit
\endif
SELECT current_database() AS dbname,
	NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'writer') AS new_writer,
	NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'officer') AS new_officer \gset
BEGIN;
\if :new_writer
CREATE ROLE :"writer" LOGIN;
\endif
\if :new_officer
CREATE ROLE :"officer" LOGIN;
\endif
\getenv writer_password ZS_WRITER_PASSWORD
\if :{?writer_password}
ALTER ROLE :"writer" PASSWORD :'writer_password';
\endif
\getenv officer_password ZS_OFFICER_PASSWORD
\if :{?officer_password}
ALTER ROLE :"officer" PASSWORD :'officer_password';
\endif
-- Neither role may create anything that lasts; the writer needs temporary tables.
ALTER ROLE :"writer" NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE :"officer" NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE :"writer" SET idle_in_transaction_session_timeout = '10min';
ALTER ROLE :"officer" SET default_transaction_read_only = on;
ALTER ROLE :"officer" SET statement_timeout = '10min';
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO :"writer";
GRANT CONNECT ON DATABASE :"dbname" TO :"officer";
REVOKE CREATE ON SCHEMA public FROM :"writer", :"officer";
GRANT USAGE ON SCHEMA public TO :"writer", :"officer";

-- The writer: data, not structure.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"writer";
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM :"writer";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"writer";
GRANT EXECUTE ON FUNCTION diff_runs(bigint, bigint) TO :"writer", :"officer";

-- The officer: the views only (they read the tables with their owner's rights).
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"officer";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"officer";
SELECT format('GRANT SELECT ON %I TO %I', viewname, :'officer')
	FROM pg_views WHERE schemaname = 'public' AND viewname LIKE 'v\_%' ORDER BY viewname
\gexec
GRANT SELECT ON schema_migrations TO :"officer";
COMMIT;
\echo 'db-roles.sh: roles' :"writer" '(writer) and' :"officer" '(officer) set up on' :"dbname"
EOF

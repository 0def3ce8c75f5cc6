-- SPDX-License-Identifier: MIT
-- 001_core: TLDs, policies, runs, per-run results and verdicts, domains, their current state and
-- the history of status transitions, and the quarantine of rows PostgreSQL refused.
--
-- results and verdicts are the bulk tables (a million and ten million rows per sweep). They have
-- no foreign keys: a referential check per row would cost more than the COPY itself. Their
-- run_id always names a row of runs (the writer only writes for a run it began) and
-- `zonesweep db prune` deletes them explicitly. Domain names are COLLATE "C": byte order, as the
-- streaming reader merges results and verdicts on it.

CREATE TYPE run_status AS ENUM ('running', 'complete', 'interrupted', 'failed');
CREATE TYPE domain_status AS ENUM ('compliant', 'non-compliant', 'indeterminate');
CREATE TYPE domain_state AS ENUM ('compliant', 'non-compliant', 'indeterminate', 'removed');
CREATE TYPE mail_kind AS ENUM ('mail', 'non-mail', 'unknown');
CREATE TYPE rule_verdict AS ENUM ('pass', 'fail', 'warn', 'na', 'error');

CREATE TABLE tlds (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name <> '' AND name = lower(name)),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policies (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL CHECK (name <> ''),
	version text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (name, version)
);

CREATE TABLE runs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tld_id integer NOT NULL REFERENCES tlds,
	policy_id integer NOT NULL REFERENCES policies,
	zone_source text NOT NULL,
	zone_serial bigint CHECK (zone_serial BETWEEN 0 AND 4294967295),
	options jsonb NOT NULL DEFAULT '{}',
	scanner_version text NOT NULL DEFAULT '',
	status run_status NOT NULL DEFAULT 'running',
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	resumes integer NOT NULL DEFAULT 0,
	zone_complete boolean NOT NULL DEFAULT false,
	zone_errors bigint NOT NULL DEFAULT 0 CHECK (zone_errors >= 0),
	zone_first_errors text[] NOT NULL DEFAULT '{}',
	dns_counters jsonb NOT NULL DEFAULT '{}',
	domains bigint,
	compliant bigint,
	non_compliant bigint,
	indeterminate bigint,
	warnings bigint,
	quarantined bigint,
	pruned_at timestamptz,
	CHECK ((status = 'running') = (finished_at IS NULL))
);
-- At most one running sweep per TLD; the advisory lock is what keeps two from running, this
-- makes a stale "running" row visible (the next sweep of the TLD marks it interrupted).
CREATE UNIQUE INDEX runs_one_running_per_tld ON runs (tld_id) WHERE status = 'running';
CREATE INDEX runs_tld ON runs (tld_id, id);

CREATE TABLE results (
	run_id bigint NOT NULL,
	domain text COLLATE "C" NOT NULL CHECK (domain <> ''),
	status domain_status NOT NULL,
	warnings integer NOT NULL CHECK (warnings >= 0),
	mail mail_kind NOT NULL,
	facts jsonb NOT NULL,
	-- Raw TXT records, byte-exact: owner name and rdata (character-strings joined) in pairs.
	raw_owner text[] NOT NULL DEFAULT '{}',
	raw_txt bytea[] NOT NULL DEFAULT '{}',
	CHECK (cardinality(raw_owner) = cardinality(raw_txt)),
	PRIMARY KEY (run_id, domain)
);

CREATE TABLE verdicts (
	run_id bigint NOT NULL,
	domain text COLLATE "C" NOT NULL,
	rule text COLLATE "C" NOT NULL CHECK (rule <> ''),
	verdict rule_verdict NOT NULL,
	reason text NOT NULL,
	PRIMARY KEY (run_id, domain, rule)
);

-- A row (a domain's result and its verdicts) that PostgreSQL refused even after escaping:
-- isolated by bisection of its batch, logged, kept here with the error and the row as sent.
CREATE TABLE quarantine (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id bigint NOT NULL REFERENCES runs,
	domain text COLLATE "C" NOT NULL,
	sqlstate text NOT NULL,
	error text NOT NULL,
	row_data text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_run ON quarantine (run_id, domain);

-- Every domain ever seen by a complete run; "removed" when a complete run that read its zone
-- completely no longer had it.
CREATE TABLE domains (
	name text COLLATE "C" PRIMARY KEY,
	tld_id integer NOT NULL REFERENCES tlds,
	first_seen_run bigint NOT NULL REFERENCES runs,
	first_seen_at timestamptz NOT NULL,
	last_seen_run bigint NOT NULL REFERENCES runs,
	last_seen_at timestamptz NOT NULL,
	removed_run bigint REFERENCES runs,
	removed_at timestamptz
);
CREATE INDEX domains_tld ON domains (tld_id, last_seen_run);

-- The state of each domain after the last complete run that had it, and since when.
CREATE TABLE current_state (
	domain text COLLATE "C" PRIMARY KEY REFERENCES domains,
	tld_id integer NOT NULL REFERENCES tlds,
	run_id bigint NOT NULL REFERENCES runs,
	state domain_state NOT NULL,
	warnings integer NOT NULL DEFAULT 0,
	since_run bigint NOT NULL REFERENCES runs,
	since_at timestamptz NOT NULL
);
CREATE INDEX current_state_tld_state ON current_state (tld_id, state);

-- Status changes (first appearance: from_state NULL), written when a run completes. Never
-- pruned: this is the history officers ask for.
CREATE TABLE transitions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	domain text COLLATE "C" NOT NULL REFERENCES domains,
	run_id bigint NOT NULL REFERENCES runs,
	from_state domain_state,
	to_state domain_state NOT NULL,
	at timestamptz NOT NULL,
	CHECK (from_state IS DISTINCT FROM to_state),
	UNIQUE (domain, run_id)
);
CREATE INDEX transitions_run ON transitions (run_id);

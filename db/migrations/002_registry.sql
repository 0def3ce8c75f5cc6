-- SPDX-License-Identifier: MIT
-- 002_registry: what the registry knows besides the sweep (registrant contacts, declared DKIM
-- selectors, exemptions, attestations), the notice log, per-run rule counts that survive
-- pruning, and the views officers query (docs/database.md). Officers get SELECT on the views
-- and EXECUTE on diff_runs() only (scripts/db-roles.sh); views run with their owner's rights.

-- The writer's figures (quarantined rows, reconnects...), as the DNS counters.
ALTER TABLE runs ADD COLUMN db_counters jsonb NOT NULL DEFAULT '{}';

-- The history tables are written in bulk when a run completes (a million rows for a large
-- TLD's first run): no per-row foreign key checks, each of which cost more than its row, and no
-- column that would make every run rewrite every row. A domain's last complete run is its
-- TLD's newest complete run while it is in the zone (v_current_compliance); the statements of
-- db/run.c keep these tables consistent, in the transaction that marks a run complete.
ALTER TABLE domains DROP CONSTRAINT domains_tld_id_fkey,
	DROP CONSTRAINT domains_first_seen_run_fkey, DROP CONSTRAINT domains_last_seen_run_fkey,
	DROP CONSTRAINT domains_removed_run_fkey;
ALTER TABLE domains DROP COLUMN last_seen_run, DROP COLUMN last_seen_at;
CREATE INDEX domains_tld_present ON domains (tld_id) WHERE removed_run IS NULL;
ALTER TABLE current_state DROP CONSTRAINT current_state_domain_fkey,
	DROP CONSTRAINT current_state_tld_id_fkey, DROP CONSTRAINT current_state_run_id_fkey,
	DROP CONSTRAINT current_state_since_run_fkey;
ALTER TABLE current_state DROP COLUMN run_id;
DROP INDEX current_state_tld_state;
CREATE INDEX current_state_tld_state ON current_state (tld_id, state, since_at);
ALTER TABLE transitions DROP CONSTRAINT transitions_domain_fkey,
	DROP CONSTRAINT transitions_run_id_fkey;

-- Verdict counts per run and rule, written when a run finishes: the trend over many runs stays
-- cheap, and survives `zonesweep db prune`.
CREATE TABLE run_rule_counts (
	run_id bigint NOT NULL REFERENCES runs,
	rule text COLLATE "C" NOT NULL,
	verdict rule_verdict NOT NULL,
	domains bigint NOT NULL CHECK (domains >= 0),
	PRIMARY KEY (run_id, rule, verdict)
);

-- Registrant contacts (`zonesweep contacts import FILE.csv`). Nothing here can break an e-mail
-- header: no control characters, one address.
CREATE TABLE contacts (
	domain text COLLATE "C" PRIMARY KEY CHECK (domain <> ''),
	email text NOT NULL CHECK (email ~ '^[^@[:space:][:cntrl:]<>",;]+@[^@[:space:][:cntrl:]<>",;]+$'
		AND length(email) <= 254),
	name text NOT NULL DEFAULT '' CHECK (name !~ '[[:cntrl:]]'),
	organisation text NOT NULL DEFAULT '' CHECK (organisation !~ '[[:cntrl:]]'),
	source text NOT NULL DEFAULT '',
	imported_at timestamptz NOT NULL DEFAULT now()
);

-- DKIM selectors the registrants declared (`zonesweep selectors import FILE`): the sweep tries
-- them besides the ones it guesses.
CREATE TABLE dkim_selectors (
	domain text COLLATE "C" NOT NULL CHECK (domain <> ''),
	selector text COLLATE "C" NOT NULL
		CHECK (selector ~ '^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$'
			AND length(selector) <= 200),
	source text NOT NULL DEFAULT '',
	imported_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (domain, selector)
);

-- Exemptions (`zonesweep exempt`): a rule does not count against a domain until a date, e.g.
-- fTLD's implementation phase with p=none. Revoked, never deleted.
CREATE TABLE exemptions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	domain text COLLATE "C" NOT NULL CHECK (domain <> ''),
	rule text COLLATE "C" NOT NULL CHECK (rule ~ '^[A-Za-z0-9_.-]+$'),
	until date NOT NULL,
	why text NOT NULL CHECK (why <> ''),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by text NOT NULL DEFAULT current_user,
	revoked_at timestamptz
);
CREATE INDEX exemptions_domain ON exemptions (domain, rule);

-- Attestations (`zonesweep attest`): what a registrant's compliance report states for the
-- items that cannot be checked from outside. The newest per domain and item counts.
CREATE TABLE attestations (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	domain text COLLATE "C" NOT NULL CHECK (domain <> ''),
	item text COLLATE "C" NOT NULL CHECK (item ~ '^[A-Za-z0-9_.-]+$'),
	status text NOT NULL DEFAULT 'attested' CHECK (status IN ('attested', 'not attested')),
	attested_on date NOT NULL,
	attested_by text NOT NULL DEFAULT '',
	ref text NOT NULL CHECK (ref <> ''),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by text NOT NULL DEFAULT current_user
);
CREATE INDEX attestations_domain ON attestations (domain, item, attested_on);

-- Notices generated (`zonesweep notices`), so that the same notice is not generated twice
-- within --min-days.
CREATE TABLE notices (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id bigint NOT NULL REFERENCES runs,
	domain text COLLATE "C" NOT NULL,
	kind text NOT NULL CHECK (kind <> ''),
	recipient text,
	message_id text NOT NULL,
	rules text[] NOT NULL DEFAULT '{}',
	generated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notices_domain ON notices (domain, kind, generated_at);

-- ---- views for officers ----

CREATE VIEW v_runs AS
SELECT r.id AS run_id, t.name AS tld, p.name AS policy, p.version AS policy_version, r.status,
	r.started_at, r.finished_at, r.finished_at - r.started_at AS duration, r.resumes,
	r.zone_source, r.zone_serial, r.zone_complete, r.zone_errors, r.domains, r.compliant,
	r.non_compliant, r.indeterminate, r.warnings, r.quarantined,
	CASE WHEN r.domains > 0 THEN round(100.0 * r.compliant / r.domains, 2) END
		AS compliance_pct,
	r.dns_counters, r.db_counters, r.options, r.scanner_version, r.pruned_at
FROM runs r JOIN tlds t ON t.id = r.tld_id JOIN policies p ON p.id = r.policy_id;

-- Current compliance per domain: its state after the last complete run that had it, since
-- when, and from that run (its TLD's newest complete run while the domain is in the zone) the
-- rules that fail or could not be checked.
CREATE VIEW v_current_compliance AS
SELECT c.domain, t.name AS tld, c.state, c.warnings, c.since_run, c.since_at,
	CASE WHEN d.removed_run IS NULL THEN lr.id END AS last_run,
	CASE WHEN d.removed_run IS NULL THEN lr.started_at END AS last_run_at, res.mail,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = lr.id AND v.domain = c.domain AND v.verdict = 'fail')
		AS failing_rules,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = lr.id AND v.domain = c.domain AND v.verdict = 'error')
		AS error_rules,
	d.first_seen_run, d.first_seen_at, d.removed_run, d.removed_at, ct.email AS contact
FROM current_state c
JOIN tlds t ON t.id = c.tld_id
JOIN domains d ON d.name = c.domain
LEFT JOIN LATERAL (SELECT r.id, r.started_at FROM runs r
	WHERE r.tld_id = c.tld_id AND r.status = 'complete' ORDER BY r.id DESC LIMIT 1) lr ON true
LEFT JOIN results res ON res.run_id = lr.id AND res.domain = c.domain
LEFT JOIN contacts ct ON ct.domain = c.domain;

-- Verdict counts per run and rule.
CREATE VIEW v_rule_failures AS
SELECT k.run_id, t.name AS tld, r.started_at, r.status AS run_status, k.rule,
	coalesce(sum(k.domains) FILTER (WHERE k.verdict = 'pass'), 0) AS pass,
	coalesce(sum(k.domains) FILTER (WHERE k.verdict = 'fail'), 0) AS fail,
	coalesce(sum(k.domains) FILTER (WHERE k.verdict = 'warn'), 0) AS warn,
	coalesce(sum(k.domains) FILTER (WHERE k.verdict = 'na'), 0) AS na,
	coalesce(sum(k.domains) FILTER (WHERE k.verdict = 'error'), 0) AS error
FROM run_rule_counts k JOIN runs r ON r.id = k.run_id JOIN tlds t ON t.id = r.tld_id
GROUP BY k.run_id, t.name, r.started_at, r.status, k.rule;

-- Status changes recorded by complete runs (first appearance: from_state NULL; "removed"),
-- each with the complete run it compares with. Never pruned.
CREATE VIEW v_status_changes AS
SELECT tr.run_id, t.name AS tld, r.started_at, tr.domain, tr.from_state, tr.to_state,
	(SELECT max(p.id) FROM runs p WHERE p.tld_id = r.tld_id AND p.status = 'complete'
		AND p.id < r.id) AS previous_run
FROM transitions tr JOIN runs r ON r.id = tr.run_id JOIN tlds t ON t.id = r.tld_id;

-- A domain's full history: one row per run that stored a result for it (pruned runs keep
-- their transitions in v_status_changes).
CREATE VIEW v_domain_history AS
SELECT re.domain, t.name AS tld, ru.id AS run_id, ru.started_at, ru.status AS run_status,
	re.status, re.warnings, re.mail,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = re.run_id AND v.domain = re.domain AND v.verdict = 'fail')
		AS failing_rules,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = re.run_id AND v.domain = re.domain AND v.verdict = 'error')
		AS error_rules,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = re.run_id AND v.domain = re.domain AND v.verdict = 'warn')
		AS warning_rules,
	re.facts
FROM runs ru JOIN tlds t ON t.id = ru.tld_id JOIN results re ON re.run_id = ru.id;

-- Every verdict with its reason, per run and domain.
CREATE VIEW v_verdicts AS
SELECT v.run_id, t.name AS tld, v.domain, v.rule, v.verdict, v.reason
FROM verdicts v JOIN runs r ON r.id = v.run_id JOIN tlds t ON t.id = r.tld_id;

CREATE VIEW v_exemptions AS
SELECT e.id, e.domain, e.rule, e.until, e.why, e.created_at, e.created_by, e.revoked_at,
	(e.revoked_at IS NULL AND e.until >= current_date) AS active
FROM exemptions e;

-- The newest attestation per domain and item.
CREATE VIEW v_attestations AS
SELECT DISTINCT ON (a.domain, a.item) a.domain, a.item, a.status, a.attested_on,
	a.attested_by, a.ref, a.created_at
FROM attestations a ORDER BY a.domain, a.item, a.attested_on DESC, a.id DESC;

CREATE VIEW v_contacts AS
SELECT c.domain, c.email, c.name, c.organisation, c.source, c.imported_at FROM contacts c;

CREATE VIEW v_selectors AS
SELECT s.domain, s.selector, s.source, s.imported_at FROM dkim_selectors s;

CREATE VIEW v_notices AS
SELECT n.id, n.run_id, n.domain, n.kind, n.recipient, n.message_id, n.rules, n.generated_at
FROM notices n;

CREATE VIEW v_quarantine AS
SELECT q.run_id, q.domain, q.sqlstate, q.error, q.at FROM quarantine q;

-- Domains whose status differs between two runs (any two, of the same TLD or not): new,
-- removed, newly non-compliant, fixed, or changed.
CREATE FUNCTION diff_runs(run_a bigint, run_b bigint)
RETURNS TABLE (domain text, status_a domain_status, status_b domain_status, change text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT coalesce(a.domain, b.domain), a.status, b.status,
		CASE WHEN a.domain IS NULL THEN 'new'
			WHEN b.domain IS NULL THEN 'removed'
			WHEN b.status = 'non-compliant' THEN 'newly non-compliant'
			WHEN a.status = 'non-compliant' AND b.status = 'compliant' THEN 'fixed'
			ELSE 'changed' END
	FROM (SELECT r.domain, r.status FROM results r WHERE r.run_id = run_a) a
	FULL JOIN (SELECT r.domain, r.status FROM results r WHERE r.run_id = run_b) b
		ON a.domain = b.domain
	WHERE a.status IS DISTINCT FROM b.status
	ORDER BY 1
$$;
REVOKE ALL ON FUNCTION diff_runs(bigint, bigint) FROM PUBLIC;

-- SPDX-License-Identifier: MIT
-- 005_verdicts_unchanged: a result whose verdicts (rule, verdict, reason: all of them) are exactly
-- those of the domain's previous run does not store them again, as 004 does for the facts; and
-- the raw TXT records are stored with the facts.
-- A nightly sweep stored about ten verdict rows a domain, ten million a night for a large TLD,
-- nearly all equal to the night before's: a third of the server's work per stored domain once
-- the facts stopped being stored again, and most of the database's growth.
-- The writer sends the SHA-256 of each domain's verdicts; when the previous run's is equal the
-- row points with verdicts_run at the run that stores the verdict rows (never at another
-- pointer) and stores none. verdicts_run NULL: the rows are stored under the result's own run.
-- Every reader goes through coalesce(verdicts_run, run_id); `db prune` moves rows that kept
-- results point at into the oldest kept result using them.
ALTER TABLE results ADD COLUMN verdicts_sha256 bytea;
ALTER TABLE results ADD COLUMN verdicts_run bigint;
ALTER TABLE results ADD CONSTRAINT results_verdicts_sha256_size
	CHECK (octet_length(verdicts_sha256) = 32) NOT VALID;
ALTER TABLE results ADD CONSTRAINT results_verdicts_run_other
	CHECK (verdicts_run < run_id) NOT VALID;
CREATE INDEX results_verdicts_run ON results (verdicts_run, domain) WHERE verdicts_run IS NOT NULL;

-- The raw TXT records go with the facts they were read into: a row that does not store its
-- facts does not store them either (NULL; they are the holder's), and facts_sha256 covers both.
-- Parsing the bytea arrays was half of what PostgreSQL spent on a result row that stored
-- neither facts nor verdicts. Read them with zs_raw_owner(r) and zs_raw_txt(r).
-- The foreign key of 004 from a row to the row holding its facts goes: its check on every
-- inserted row cost a quarter of the row's insert, and, as for the other bulk tables (001),
-- only zonesweep deletes results, `db prune`, which moves what kept rows use first.
ALTER TABLE results ALTER COLUMN raw_owner DROP NOT NULL, ALTER COLUMN raw_txt DROP NOT NULL;
ALTER TABLE results ADD CONSTRAINT results_raw_stored_with_facts
	CHECK ((raw_owner IS NULL) = (raw_txt IS NULL) AND (raw_owner IS NOT NULL OR facts IS NULL))
	NOT VALID;
ALTER TABLE results DROP CONSTRAINT results_facts_holder;

CREATE FUNCTION zs_raw_owner(r results) RETURNS text[] LANGUAGE sql STABLE AS $$
	SELECT coalesce(r.raw_owner,
		(SELECT h.raw_owner FROM results h WHERE h.run_id = r.facts_run AND h.domain = r.domain))
$$;
CREATE FUNCTION zs_raw_txt(r results) RETURNS bytea[] LANGUAGE sql STABLE AS $$
	SELECT coalesce(r.raw_txt,
		(SELECT h.raw_txt FROM results h WHERE h.run_id = r.facts_run AND h.domain = r.domain))
$$;

CREATE OR REPLACE VIEW v_current_compliance AS
SELECT c.domain, t.name AS tld, c.state, c.warnings, c.since_run, c.since_at,
	CASE WHEN d.removed_run IS NULL THEN lr.id END AS last_run,
	CASE WHEN d.removed_run IS NULL THEN lr.started_at END AS last_run_at, res.mail,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = coalesce(res.verdicts_run, res.run_id) AND v.domain = c.domain
		AND v.verdict = 'fail') AS failing_rules,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = coalesce(res.verdicts_run, res.run_id) AND v.domain = c.domain
		AND v.verdict = 'error') AS error_rules,
	d.first_seen_run, d.first_seen_at, d.removed_run, d.removed_at, ct.email AS contact
FROM current_state c
JOIN tlds t ON t.id = c.tld_id
JOIN domains d ON d.name = c.domain
LEFT JOIN LATERAL (SELECT r.id, r.started_at FROM runs r
	WHERE r.tld_id = c.tld_id AND r.status = 'complete' ORDER BY r.id DESC LIMIT 1) lr ON true
LEFT JOIN results res ON res.run_id = lr.id AND res.domain = c.domain
LEFT JOIN contacts ct ON ct.domain = c.domain;

CREATE OR REPLACE VIEW v_domain_history AS
SELECT re.domain, t.name AS tld, ru.id AS run_id, ru.started_at, ru.status AS run_status,
	re.status, re.warnings, re.mail,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = coalesce(re.verdicts_run, re.run_id) AND v.domain = re.domain
		AND v.verdict = 'fail') AS failing_rules,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = coalesce(re.verdicts_run, re.run_id) AND v.domain = re.domain
		AND v.verdict = 'error') AS error_rules,
	(SELECT array_agg(v.rule ORDER BY v.rule) FROM verdicts v
		WHERE v.run_id = coalesce(re.verdicts_run, re.run_id) AND v.domain = re.domain
		AND v.verdict = 'warn') AS warning_rules,
	coalesce(re.facts, h.facts) AS facts
FROM runs ru JOIN tlds t ON t.id = ru.tld_id JOIN results re ON re.run_id = ru.id
	LEFT JOIN results h ON h.run_id = re.facts_run AND h.domain = re.domain;

-- Every verdict with its reason, per run and domain, wherever its row is stored.
CREATE OR REPLACE VIEW v_verdicts AS
SELECT re.run_id, t.name AS tld, re.domain, v.rule, v.verdict, v.reason
FROM results re JOIN runs ru ON ru.id = re.run_id JOIN tlds t ON t.id = ru.tld_id
	JOIN verdicts v ON v.run_id = coalesce(re.verdicts_run, re.run_id) AND v.domain = re.domain;

-- How many domains of a run got each verdict for each rule (run_rule_counts when the run
-- finishes, and the figures of a run still going).
CREATE FUNCTION zs_rule_counts(run bigint)
RETURNS TABLE (rule text, verdict rule_verdict, domains bigint)
LANGUAGE sql STABLE AS $$
	SELECT v.rule, v.verdict, count(*) FROM results r
	JOIN verdicts v ON v.run_id = coalesce(r.verdicts_run, r.run_id) AND v.domain = r.domain
	WHERE r.run_id = run GROUP BY v.rule, v.verdict
$$;

-- SPDX-License-Identifier: MIT
-- 004_facts_unchanged: a result whose facts are exactly those of the domain's previous run does
-- not store them again. The facts (about 10 KB of JSON a domain) were most of the server's work
-- per stored domain and a full copy per domain per night; from one night to the next most
-- domains do not change. The writer sends the SHA-256 of each domain's facts and looks up the
-- previous run's; when they are equal the row keeps facts NULL and points with facts_run at the
-- run whose row holds the document (never at another pointer). zs_facts() reads either way.
-- The foreign key keeps a document from being deleted while a row points at it: `db prune`
-- first moves it into the oldest kept row that uses it.
-- Rows stored before hold their facts and no hash: the constraints are NOT VALID so that the
-- migration does not read every stored row to check what cannot be false.
ALTER TABLE results ALTER COLUMN facts DROP NOT NULL;
ALTER TABLE results ADD COLUMN facts_sha256 bytea;
ALTER TABLE results ADD COLUMN facts_run bigint;
ALTER TABLE results ADD CONSTRAINT results_facts_sha256_size
	CHECK (octet_length(facts_sha256) = 32) NOT VALID;
ALTER TABLE results ADD CONSTRAINT results_facts_stored_once
	CHECK ((facts IS NULL) = (facts_run IS NOT NULL)) NOT VALID;
ALTER TABLE results ADD CONSTRAINT results_facts_holder
	FOREIGN KEY (facts_run, domain) REFERENCES results (run_id, domain) NOT VALID;
CREATE INDEX results_facts_run ON results (facts_run, domain) WHERE facts_run IS NOT NULL;

-- The facts of a result, wherever they are stored.
CREATE FUNCTION zs_facts(r results) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(r.facts,
		(SELECT h.facts FROM results h WHERE h.run_id = r.facts_run AND h.domain = r.domain))
$$;

CREATE OR REPLACE VIEW v_domain_history AS
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
	coalesce(re.facts, h.facts) AS facts
FROM runs ru JOIN tlds t ON t.id = ru.tld_id JOIN results re ON re.run_id = ru.id
	LEFT JOIN results h ON h.run_id = re.facts_run AND h.domain = re.domain;

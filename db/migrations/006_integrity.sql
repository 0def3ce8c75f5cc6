-- SPDX-License-Identifier: MIT
-- 006_integrity: what keeps a bad night from damaging the history.
--
-- * The zone a run read: how many delegations it had and a digest of their names (the sum of
--   the names' SHA-256, zoneio/reader.h), kept with the run when it begins. The next sweep
--   compares its zone with the previous complete run's (a zone much smaller is refused), and a
--   resumed run with the zone it began with (a resume with another zone is refused).
-- * Withdrawn runs (`zonesweep runs withdraw RUN --why TEXT`): status 'withdrawn', with when, by
--   whom, why and the status the run had. A withdrawn run counts nowhere: the history it wrote
--   is recomputed without it when it is withdrawn (db/run.c), and everything that looks for a
--   complete or finished run passes it by.
-- * Who recorded and who revoked an exemption or an attestation (`--by`, or the operating
--   system's user), beside the database role; attestations can be revoked as exemptions are.
ALTER TYPE run_status ADD VALUE 'withdrawn';

ALTER TABLE runs ADD COLUMN zone_delegations bigint CHECK (zone_delegations >= 0),
	ADD COLUMN zone_digest bytea CHECK (octet_length(zone_digest) = 32),
	ADD COLUMN withdrawn_at timestamptz,
	ADD COLUMN withdrawn_by text,
	ADD COLUMN withdrawn_why text,
	ADD COLUMN withdrawn_status run_status,
	-- the new value cannot be named before this transaction commits: compared as text
	ADD CONSTRAINT runs_withdrawn CHECK ((status::text = 'withdrawn') = (withdrawn_at IS NOT NULL)
		AND (withdrawn_at IS NULL OR (withdrawn_why <> '' AND withdrawn_status IS NOT NULL)));

ALTER TABLE exemptions ADD COLUMN db_role text NOT NULL DEFAULT current_user,
	ADD COLUMN revoked_by text;
ALTER TABLE attestations ADD COLUMN db_role text NOT NULL DEFAULT current_user,
	ADD COLUMN revoked_at timestamptz,
	ADD COLUMN revoked_by text;

CREATE OR REPLACE VIEW v_runs AS
SELECT r.id AS run_id, t.name AS tld, p.name AS policy, p.version AS policy_version, r.status,
	r.started_at, r.finished_at, r.finished_at - r.started_at AS duration, r.resumes,
	r.zone_source, r.zone_serial, r.zone_complete, r.zone_errors, r.domains, r.compliant,
	r.non_compliant, r.indeterminate, r.warnings, r.quarantined,
	CASE WHEN r.domains > 0 THEN round(100.0 * r.compliant / r.domains, 2) END
		AS compliance_pct,
	r.dns_counters, r.db_counters, r.options, r.scanner_version, r.pruned_at,
	r.zone_delegations, r.withdrawn_at, r.withdrawn_by, r.withdrawn_why, r.withdrawn_status
FROM runs r JOIN tlds t ON t.id = r.tld_id JOIN policies p ON p.id = r.policy_id;

CREATE OR REPLACE VIEW v_exemptions AS
SELECT e.id, e.domain, e.rule, e.until, e.why, e.created_at, e.created_by, e.revoked_at,
	(e.revoked_at IS NULL AND e.until >= current_date) AS active, e.revoked_by
FROM exemptions e;

-- The newest attestation per domain and item that was not revoked.
CREATE OR REPLACE VIEW v_attestations AS
SELECT DISTINCT ON (a.domain, a.item) a.domain, a.item, a.status, a.attested_on,
	a.attested_by, a.ref, a.created_at, a.id, a.created_by
FROM attestations a WHERE a.revoked_at IS NULL
ORDER BY a.domain, a.item, a.attested_on DESC, a.id DESC;

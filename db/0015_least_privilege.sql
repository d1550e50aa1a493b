-- Least privilege: one PostgreSQL role per service, holding only the grants that service needs.
--
-- Why: every service used to connect as the owner of the schema (a superuser in the emulator),
-- so a bug or a compromised process in one service could rewrite any table, the audit log
-- included. Now each process connects as its own role (`payflow_<service>`, the subcommand's
-- name with `_` for `-`); only `payflow migrate` and the operator's reports use the owner.
--
-- The roles are LOGIN roles with no password: with password authentication (scram-sha-256,
-- md5) a role without a password cannot log in at all, so nothing here is a default password.
-- Whoever provisions a server gives each role a generated password (ALTER ROLE ... PASSWORD)
-- where the server asks for one; the emulator's loopback servers use trust authentication.
-- Roles belong to the cluster, not to the database: created only when missing, so a second
-- database on the same server (the tests make one per test, in parallel) migrates too.
--
-- audit_log is append-only for every application role: INSERT and SELECT, never UPDATE, DELETE
-- or TRUNCATE (PayFlowPostgresTests/LeastPrivilegeTests tries each as each role). Its daily
-- partitions are created by audit_log_ensure_partition, which now runs as the owner (SECURITY
-- DEFINER): a partition created by the audit-log role would be owned by it, and an owner may
-- delete from its own table directly.
--
-- A table added by a later migration is reachable by no service until that migration grants
-- it (the owner's tables are not PUBLIC): add `GRANT ... ON new_table TO payflow_<service>` in
-- that migration, the fewest privileges the service's SQL needs (README, "Security: least
-- privilege").

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY[
        'payflow_generator', 'payflow_anti_fraud', 'payflow_notification', 'payflow_reconciliation',
        'payflow_analytics', 'payflow_audit_log', 'payflow_balances', 'payflow_demo_consumer'
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', role_name);
            EXCEPTION
                -- Another database of this server created it at the same moment.
                WHEN duplicate_object OR unique_violation THEN
                    NULL;
            END;
        END IF;
    END LOOP;
END;
$$;

-- Nobody but the owner creates objects in the schema (PostgreSQL 15+ already says so; 14 not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- MARK: generator: the reference ledger and the ground truth it writes beside each event.
GRANT SELECT, INSERT, UPDATE ON reference_transactions, generator_ground_truth TO payflow_generator;
-- The simulated world it continues across restarts, and its runs (0010).
GRANT SELECT, INSERT, UPDATE ON generator_worlds, generator_world_accounts, generator_runs TO payflow_generator;

-- MARK: anti-fraud: its alerts (an outbox: published_at is updated) and provisional verdicts.
GRANT SELECT, INSERT, UPDATE ON fraud_alerts TO payflow_anti_fraud;
GRANT SELECT, INSERT, UPDATE, DELETE ON fraud_provisional_verdicts TO payflow_anti_fraud;

-- MARK: notification: one row per delivery, updated as attempts go.
-- DELETE: the retention purge of settled rows (NOTIFICATION_RETENTION_SECONDS).
GRANT SELECT, INSERT, UPDATE, DELETE ON notifications TO payflow_notification;

-- MARK: reconciliation: what it has seen, its sweep's state, the mismatches (an outbox); reads the ledger.
GRANT SELECT, INSERT, UPDATE, DELETE ON reconciliation_seen, reconciliation_sweep_state TO payflow_reconciliation;
GRANT SELECT, INSERT, UPDATE ON reconciliation_mismatches TO payflow_reconciliation;
GRANT SELECT ON reference_transactions TO payflow_reconciliation;

-- MARK: analytics: its aggregates; the API's quality figures read alerts and mismatches against the ground truth.
GRANT SELECT, INSERT, UPDATE ON
    analytics_events, analytics_event_minutes, analytics_account_spend, analytics_account_status,
    analytics_alerts, analytics_alert_minutes, analytics_mismatches, analytics_mismatch_minutes
    TO payflow_analytics;
GRANT SELECT ON fraud_alerts, reconciliation_mismatches, generator_ground_truth TO payflow_analytics;
-- The detection scores of the current run (GET /v1/stats/detection): a run's
-- events are the ledger rows of its run_id.
GRANT SELECT ON reference_transactions, generator_runs TO payflow_analytics;

-- MARK: audit-log: appends to audit_log (never changes it), advances its chains' heads.
GRANT SELECT, INSERT ON audit_log TO payflow_audit_log;
GRANT SELECT, INSERT, UPDATE ON audit_chains TO payflow_audit_log;
ALTER FUNCTION audit_log_ensure_partition(date) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION audit_log_ensure_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_log_ensure_partition(date) TO payflow_audit_log;

-- MARK: balances (docs/extending.md's example): its entries and balances.
GRANT SELECT, INSERT, UPDATE ON balance_entries, account_balances TO payflow_balances;

-- MARK: demo-consumer: its idempotency table.
GRANT SELECT, INSERT ON processed_events TO payflow_demo_consumer;

-- Issue 13: PostgresConnection now prepares each statement text once per session and runs
-- every session with plan_cache_mode = force_custom_plan, so a prepared statement is still
-- planned for its actual arguments at every call, as the unnamed statements before it were
-- (a generic plan, made while the tables were small and kept while they grew, made
-- reconciliation's batch statement six times dearer in make bench).
--
-- That session setting would also reach the statements inside PL/pgSQL functions.
-- analytics_record_batch (0024) was written to keep the generic plans PL/pgSQL makes on its
-- first calls (its planner settings make them key probes at any size), which saves planning
-- its three statements at every call; this keeps its plans exactly as they were.
ALTER FUNCTION analytics_record_batch(
    uuid[], text[], text[], bigint[], text[], timestamptz[], text[], text[], text[], text[],
    text[], text[], text[], text[], text[], text[], timestamptz[], text[], text[],
    text[], text[], text[], text[], text[], timestamptz[], text[], text[]
) SET plan_cache_mode = auto;

-- Issue 13, analytics' PostgreSQL cost per event. In `make bench` (step 2) analytics' batch
-- statement was the largest item of PostgreSQL's time (43 %), and per event it wrote more than
-- the event: a row of analytics_events, a second row of analytics_breakdown_links (the
-- breakdowns' meeting point of an event and its alerts, db/0016), and an update of its
-- account's analytics_account_spend row and of its merchant's and country's breakdown rows,
-- each a new heap tuple plus new entries in every index of the table. Two changes:
--
-- 1. Aggregate rows are updated in place (HOT). analytics_account_spend_top (currency,
--    amount_sum DESC, account) held amount_sum, which every update changes, so no update of
--    that table could be heap-only; and the aggregate tables were packed full (fillfactor 100),
--    so even an update that changes no indexed column found no room on its page and moved to
--    another one, with new index entries again. With that index gone and half of each page
--    left free, the updates stay on their pages and write no index entry; page pruning
--    reclaims the old versions as batches go. These tables are small (accounts x currencies,
--    minutes, merchants, countries). GET /v1/stats/accounts/top now scans the spend table once
--    per currency asked and keeps the top N (a bounded sort) instead of reading N index
--    entries: a read per dashboard request instead of two index entries per payment; same
--    query, same answers.
--
-- 2. One row per event. The event's merchant and country, and the alerts counted for it,
--    move into analytics_events (merchant, country, alerts), and analytics_breakdown_links
--    goes. Only alerts that arrive before their event need a row of their own:
--    analytics_early_alerts, one per event id, removed when the event comes. The links row
--    was where an event and its alert, recorded at once by two replicas, serialised (the
--    upsert's row lock); that is now a transaction-scoped advisory lock per event id, taken by
--    analytics_record_batch below before it reads: shared by the events of a batch, exclusive
--    by its alerts. Whichever of the two commits second has waited for the other and, its
--    statements reading after the wait, sees its row: the event finds its early alerts, or
--    the alert finds its event. So each alert still counts once for its event's merchant and
--    country, in either order, at any number of replicas (BreakdownTests).
--
-- On a database that already holds data: fillfactor applies to pages filled from now on (the
-- full pages empty as their rows are updated onto new ones, after which updates stay HOT);
-- the links carry over, an event's into its analytics_events row, an alert still waiting for
-- its event into analytics_early_alerts.

-- MARK: 1. HOT updates of the aggregates

DROP INDEX analytics_account_spend_top;

ALTER TABLE analytics_account_spend SET (fillfactor = 50);
ALTER TABLE analytics_breakdown SET (fillfactor = 50);
ALTER TABLE analytics_event_minutes SET (fillfactor = 50);
ALTER TABLE analytics_alert_minutes SET (fillfactor = 50);
ALTER TABLE analytics_mismatch_minutes SET (fillfactor = 50);
ALTER TABLE analytics_account_status SET (fillfactor = 50);

-- MARK: 2. One row per event

-- merchant, country: as the event carried them (NULL for none); an event with either is in
-- the breakdowns. alerts: the alerts counted into its breakdown rows so far.
ALTER TABLE analytics_events
    ADD COLUMN merchant text,
    ADD COLUMN country text,
    ADD COLUMN alerts integer NOT NULL DEFAULT 0;

UPDATE analytics_events e SET merchant = l.merchant, country = l.country, alerts = l.alerts
FROM analytics_breakdown_links l
WHERE l.has_event AND l.event_id = e.event_id::text;

-- Alerts whose event has not been recorded yet, per event id as the alert names it (lower
-- case). The event's batch adds them to its breakdown rows and deletes the row.
CREATE TABLE analytics_early_alerts (
    event_id  text    PRIMARY KEY,
    alerts    integer NOT NULL
);

INSERT INTO analytics_early_alerts (event_id, alerts)
SELECT event_id, alerts FROM analytics_breakdown_links WHERE NOT has_event;

DROP TABLE analytics_breakdown_links;

GRANT SELECT, INSERT, UPDATE, DELETE ON analytics_early_alerts TO payflow_analytics;

-- Records one batch of facts and folds the new ones into the aggregates (FactRecorder). One
-- call is one client statement, so it needs no transaction block and is atomic; inside, each
-- statement of a VOLATILE function reads with a snapshot taken when it starts (READ
-- COMMITTED), which is what lets the reads after the locks see what the lock waited for.
--
-- Exactness is 0006's: the aggregates grow only from the facts this call inserted
-- (ON CONFLICT DO NOTHING RETURNING), after DISTINCT ON within the batch. Lock order: the
-- advisory locks first, in key order, then every upsert in primary-key order, so two replicas
-- wait instead of deadlocking; a deadlock or serialization failure anyway rolls the whole
-- call back and the batch is retried.
--
-- Arguments: the events (id, type, account, amount, currency, occurred_at, stream, entry id,
-- merchant, country; '' for no merchant or country), the alerts (id, event id, account, rule,
-- severity, reason, detected_at, stream, entry id), the mismatches (id, kind, transaction id,
-- expected, actual, detected_at, stream, entry id). Returns the facts inserted per kind.
CREATE FUNCTION analytics_record_batch(
    e_id uuid[], e_type text[], e_account text[], e_amount bigint[], e_currency text[],
    e_occurred_at timestamptz[], e_stream text[], e_entry_id text[], e_merchant text[], e_country text[],
    a_id text[], a_event_id text[], a_account text[], a_rule text[], a_severity text[], a_reason text[],
    a_detected_at timestamptz[], a_stream text[], a_entry_id text[],
    m_id text[], m_kind text[], m_transaction_id text[], m_expected text[], m_actual text[],
    m_detected_at timestamptz[], m_stream text[], m_entry_id text[],
    OUT new_events integer, OUT new_alerts integer, OUT new_mismatches integer
) LANGUAGE plpgsql VOLATILE
-- Every lookup below is by key (an event, an early alert), and the plans must stay key probes
-- whatever the statistics say: analytics_events grows by a batch per call, so its statistics
-- are always behind (measured: with reltuples still 0 at 30,000 rows, the planner hashed the
-- whole table to update three alerted events, 20 ms per call and growing). PL/pgSQL also keeps
-- a generic plan made on the first calls. With sequential scans, hash and merge joins off for
-- this function only, every join is a nested loop over the batch's few rows with an index
-- probe inside, which is the right plan at any size, and the kept generic plan saves planning
-- the three statements at every call.
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $function$
DECLARE
    -- Events of this batch with a merchant or a country that this call inserted.
    placed_ids text[];
BEGIN
    -- 1. The meeting point of an event and its alerts: one advisory lock per event id (class
    -- 22, the id's hashtext; a collision only makes two ids wait for each other), shared for
    -- the batch's events with a place, exclusive for its alerts' events. Taken before
    -- anything is written, in key order.
    PERFORM count(*) FROM (
        SELECT CASE WHEN bool_or(alerted) THEN pg_advisory_xact_lock(22, key)
                    ELSE pg_advisory_xact_lock_shared(22, key) END
        FROM (
            SELECT hashtext(id::text) AS key, false AS alerted
            FROM unnest(e_id, e_merchant, e_country) AS e (id, merchant, country)
            WHERE merchant <> '' OR country <> ''
            UNION ALL
            SELECT hashtext(lower(id)), true FROM unnest(a_event_id) AS a (id)
        ) k
        GROUP BY key ORDER BY key
    ) locks;

    -- 2. Events, their minute, spend and status aggregates, and their transactions in the
    -- breakdowns (alerts are step 3's).
    WITH event_batch AS (
        SELECT DISTINCT ON (event_id) *
        FROM unnest(e_id, e_type, e_account, e_amount, e_currency, e_occurred_at, e_stream, e_entry_id, e_merchant, e_country)
            AS b (event_id, type, account, amount, currency, occurred_at, stream, entry_id, merchant, country)
        ORDER BY event_id, entry_id
    ),
    inserted AS (
        INSERT INTO analytics_events (event_id, type, account, amount, currency, occurred_at, stream, entry_id, merchant, country)
        SELECT event_id, type, account, amount, currency, occurred_at, stream, entry_id, nullif(merchant, ''), nullif(country, '')
        FROM event_batch ORDER BY event_id
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id, type, account, amount, currency, occurred_at, merchant, country
    ),
    event_minutes AS (
        INSERT INTO analytics_event_minutes AS t (minute, type, currency, event_count, amount_sum, amount_min, amount_max)
        SELECT date_trunc('minute', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', type, currency,
               count(*), sum(amount), min(amount), max(amount)
        FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (minute, type, currency) DO UPDATE SET
            event_count = t.event_count + excluded.event_count,
            amount_sum = t.amount_sum + excluded.amount_sum,
            amount_min = least(t.amount_min, excluded.amount_min),
            amount_max = greatest(t.amount_max, excluded.amount_max)
    ),
    spend AS (
        INSERT INTO analytics_account_spend AS t (account, currency, payment_count, amount_sum)
        SELECT account, currency, count(*), sum(amount)
        FROM inserted WHERE type = 'payment' GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (account, currency) DO UPDATE SET
            payment_count = t.payment_count + excluded.payment_count,
            amount_sum = t.amount_sum + excluded.amount_sum
    ),
    status AS (
        INSERT INTO analytics_account_status AS t (account, blocked, changed_at, event_id)
        SELECT DISTINCT ON (account) account, type = 'account_blocked', occurred_at, event_id
        FROM inserted WHERE type IN ('account_blocked', 'account_unblocked')
        ORDER BY account, occurred_at DESC, event_id DESC
        ON CONFLICT (account) DO UPDATE SET
            blocked = excluded.blocked, changed_at = excluded.changed_at, event_id = excluded.event_id
        WHERE (excluded.changed_at, excluded.event_id) > (t.changed_at, t.event_id)
    ),
    transactions AS (
        SELECT merchant, country, currency,
               CASE WHEN type = 'payment' THEN 1 ELSE 0 END AS payments,
               CASE WHEN type = 'refund' THEN 1 ELSE 0 END AS refunds,
               CASE WHEN type = 'payment' THEN amount ELSE 0 END AS payment_sum,
               CASE WHEN type = 'refund' THEN amount ELSE 0 END AS refund_sum
        FROM inserted WHERE merchant IS NOT NULL OR country IS NOT NULL
    ),
    breakdown AS (
        INSERT INTO analytics_breakdown AS t (dimension, key, currency, payments, refunds, payment_sum, refund_sum, alerts, flagged)
        SELECT dimension, key, currency, sum(payments), sum(refunds), sum(payment_sum), sum(refund_sum), 0, 0
        FROM (
            SELECT 'merchant' AS dimension, merchant AS key, currency, payments, refunds, payment_sum, refund_sum
            FROM transactions WHERE merchant IS NOT NULL
            UNION ALL
            SELECT 'country', country, currency, payments, refunds, payment_sum, refund_sum
            FROM transactions WHERE country IS NOT NULL
        ) c
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (dimension, key, currency) DO UPDATE SET
            payments = t.payments + excluded.payments,
            refunds = t.refunds + excluded.refunds,
            payment_sum = t.payment_sum + excluded.payment_sum,
            refund_sum = t.refund_sum + excluded.refund_sum
    )
    SELECT (SELECT count(*) FROM inserted),
           (SELECT array_agg(event_id::text) FROM inserted WHERE merchant IS NOT NULL OR country IS NOT NULL)
    INTO new_events, placed_ids;

    -- 3. Alerts and mismatches, and the alerts in the breakdowns. Reads after step 2, so an
    -- event and its alert in this same batch meet here too. Per event id, the new alerts
    -- plus the early alerts of an event this call inserted: an event that is recorded and has
    -- a place counts them (flagged when it had none before); any other waits in
    -- analytics_early_alerts.
    WITH alert_batch AS (
        SELECT DISTINCT ON (alert_id) *
        FROM unnest(a_id, a_event_id, a_account, a_rule, a_severity, a_reason, a_detected_at, a_stream, a_entry_id)
            AS a (alert_id, event_id, account, rule, severity, reason, detected_at, stream, entry_id)
        ORDER BY alert_id, entry_id
    ),
    inserted_alerts AS (
        INSERT INTO analytics_alerts (alert_id, event_id, account, rule, severity, reason, detected_at, stream, entry_id)
        SELECT alert_id, event_id, account, rule, severity, reason, detected_at, stream, entry_id FROM alert_batch ORDER BY alert_id
        ON CONFLICT (alert_id) DO NOTHING
        RETURNING rule, detected_at, event_id
    ),
    alert_minutes AS (
        INSERT INTO analytics_alert_minutes AS t (minute, rule, alert_count)
        SELECT date_trunc('minute', detected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', rule, count(*)
        FROM inserted_alerts GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (minute, rule) DO UPDATE SET alert_count = t.alert_count + excluded.alert_count
    ),
    mismatch_batch AS (
        SELECT DISTINCT ON (mismatch_id) *
        FROM unnest(m_id, m_kind, m_transaction_id, m_expected, m_actual, m_detected_at, m_stream, m_entry_id)
            AS m (mismatch_id, kind, transaction_id, expected, actual, detected_at, stream, entry_id)
        ORDER BY mismatch_id, entry_id
    ),
    inserted_mismatches AS (
        INSERT INTO analytics_mismatches (mismatch_id, kind, transaction_id, expected, actual, detected_at, stream, entry_id)
        SELECT mismatch_id, kind, transaction_id, expected, actual, detected_at, stream, entry_id
        FROM mismatch_batch ORDER BY mismatch_id
        ON CONFLICT (mismatch_id) DO NOTHING
        RETURNING kind, detected_at
    ),
    mismatch_minutes AS (
        INSERT INTO analytics_mismatch_minutes AS t (minute, kind, mismatch_count)
        SELECT date_trunc('minute', detected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', kind, count(*)
        FROM inserted_mismatches GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (minute, kind) DO UPDATE SET mismatch_count = t.mismatch_count + excluded.mismatch_count
    ),
    arrived AS (
        DELETE FROM analytics_early_alerts a USING unnest(placed_ids) AS p (event_id)
        WHERE a.event_id = p.event_id
        RETURNING a.event_id, a.alerts
    ),
    per_event AS (
        SELECT event_id, sum(alerts)::integer AS alerts,
               -- Only the text of a uuid (as the event's id prints) can name a recorded event.
               CASE WHEN event_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    THEN event_id::uuid END AS event_uuid
        FROM (
            SELECT lower(event_id) AS event_id, 1 AS alerts FROM inserted_alerts
            UNION ALL
            SELECT event_id, alerts FROM arrived
        ) a
        GROUP BY event_id
    ),
    counted AS (
        UPDATE analytics_events e SET alerts = e.alerts + p.alerts
        FROM per_event p
        WHERE e.event_id = p.event_uuid AND (e.merchant IS NOT NULL OR e.country IS NOT NULL)
        RETURNING e.merchant, e.country, e.currency, p.alerts AS added, e.alerts AS total
    ),
    waiting AS (
        INSERT INTO analytics_early_alerts AS t (event_id, alerts)
        SELECT p.event_id, p.alerts FROM per_event p
        -- A NULL event_uuid (no uuid) matches no event, so it waits too. No OR here: NOT EXISTS
        -- alone is an anti join, a probe per row; under an OR it became a hashed subplan over
        -- the whole table.
        WHERE NOT EXISTS (SELECT 1 FROM analytics_events e WHERE e.event_id = p.event_uuid)
        ORDER BY p.event_id
        ON CONFLICT (event_id) DO UPDATE SET alerts = t.alerts + excluded.alerts
    ),
    breakdown AS (
        INSERT INTO analytics_breakdown AS t (dimension, key, currency, payments, refunds, payment_sum, refund_sum, alerts, flagged)
        SELECT dimension, key, currency, 0, 0, 0, 0, sum(added), sum(CASE WHEN total = added THEN 1 ELSE 0 END)
        FROM (
            SELECT 'merchant' AS dimension, merchant AS key, currency, added, total FROM counted WHERE merchant IS NOT NULL
            UNION ALL
            SELECT 'country', country, currency, added, total FROM counted WHERE country IS NOT NULL
        ) c
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (dimension, key, currency) DO UPDATE SET
            alerts = t.alerts + excluded.alerts,
            flagged = t.flagged + excluded.flagged
    )
    SELECT (SELECT count(*) FROM inserted_alerts), (SELECT count(*) FROM inserted_mismatches)
    INTO new_alerts, new_mismatches;
END;
$function$;

REVOKE EXECUTE ON FUNCTION analytics_record_batch FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_record_batch TO payflow_analytics;

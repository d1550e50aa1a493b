/// Every metric PayFlow exports, with its help text and histogram buckets:
/// one place to read what `/metrics` means.
public enum MetricsCatalog {
    public static let help: [String: String] = [
        // Runtime (every consumer group)
        "payflow_stream_entries_total": "Stream entries by what the consumer group did with them (outcome: processed, acked, failed, retried, claimed, dead_lettered, trimmed).",
        "payflow_batch_size": "Entries per batch handed to the handler.",
        "payflow_batch_handle_duration_seconds": "Time the handler took for one batch, retries of a failing store included.",
        "payflow_batch_stage_duration_seconds": "Time one stage of a batch took (stage: read, decode, handle, ack, and the handler's own stages), by group: where a batch's wall time goes.",
        "payflow_entry_latency_seconds": "Time from an entry's XADD (its id) to its ack by the group.",
        "payflow_group_lag": "Entries of the stream not yet delivered to the group (XINFO GROUPS lag).",
        "payflow_group_pending": "Entries delivered to the group and not yet acked (XPENDING).",
        "payflow_group_oldest_pending_age_seconds": "Age (since its XADD) of the oldest entry delivered to the group and not yet acked; 0 when none is.",
        "payflow_stream_trimmed_total": "Entries trimmed from a stream (reason: no_longer_needed = every group had read and acked them or, on a dead-letter stream, past the retention; safety_limit = cut at STREAM_MAXLEN, possibly unread).",
        // Generator
        "payflow_generator_events_total": "Events the generator added to the stream, by type.",
        // Anti-fraud
        "payflow_fraud_alerts_total": "New fraud alerts, by rule.",
        // Reconciliation
        "payflow_mismatches_total": "New reconciliation mismatches, by kind.",
        // Audit log
        "payflow_audit_rows_total": "Stream entries stored in audit_log.",
        "payflow_audit_duplicates_skipped_total": "Entries received again (redelivered or claimed) and skipped because already stored.",
        // Notification
        "payflow_notifications_total": "Notifications by channel, kind and status.",
        // Analytics
        "payflow_analytics_facts_total": "Facts recorded by analytics, by stream kind.",
        "payflow_fraud_precision": "Fraud precision as payflow fraud-report computes it (alerted events labelled fraud / alerted events), scope current_run or all_runs; NaN with no alerts. Refreshed every 10 s.",
        "payflow_fraud_scored_alerts": "Alerted events the fraud precision of the scope is computed from.",
    ]

    static let defaultValueBuckets: [Double] = [1, 5, 10, 50, 100, 500, 1000, 5000, 10000]
    static let defaultDurationBuckets: [Duration] = ConsumerGroupMetrics.latencyBuckets

    static let valueBuckets: [String: [Double]] = [
        "payflow_batch_size": ConsumerGroupMetrics.batchSizeBuckets,
    ]
    static let durationBuckets: [String: [Duration]] = [
        "payflow_batch_handle_duration_seconds": ConsumerGroupMetrics.latencyBuckets,
        "payflow_entry_latency_seconds": ConsumerGroupMetrics.latencyBuckets,
        BatchStageTimers.metric: BatchStageTimers.buckets,
    ]
}

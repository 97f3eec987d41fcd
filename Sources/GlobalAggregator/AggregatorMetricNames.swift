import Shared

/// Every metric the global aggregator exports (documented in docs/METRICS.md).
public enum AggregatorMetricNames {
    public static let polls = "aggregator_polls_total"
    public static let pollErrors = "aggregator_poll_errors_total"
    public static let pollSeconds = "aggregator_poll_seconds"
    /// JSON bytes of the DC states received, by `form`: `whole` or `delta` (what changed since the poller's state).
    public static let pollBodyBytes = "aggregator_poll_body_bytes_total"
    public static let formLabel = "form"
    public static let pushes = "aggregator_pushes_total"
    public static let pushErrors = "aggregator_push_errors_total"
    /// Compressed push bodies sent, per destination DC.
    public static let pushBytes = "aggregator_push_bytes_total"
    /// From the merge that made a DC's content a new version to a replica of that DC holding it, per push.
    public static let propagationSeconds = "aggregator_propagation_seconds"
    /// Merges that published a new push plan (a DC's content, staleness or source index changed).
    public static let plansPublished = "aggregator_plans_published_total"
    public static let stale = "aggregator_datacenter_stale"
    public static let storeWriteSeconds = "aggregator_store_write_seconds"
    public static let storeErrors = "aggregator_store_errors_total"
    public static let storeHealthy = "aggregator_store_healthy"
    /// Seconds since each DC's state in use was last confirmed by its source (the alert's input).
    public static let stateAge = "aggregator_datacenter_state_age_seconds"
    /// 1 while a DC's sharp shrink waits for confirmation.
    public static let shrinkHeld = "aggregator_datacenter_shrink_held"
    /// Label names.
    public static let datacenterLabel = LogKey.datacenter
}

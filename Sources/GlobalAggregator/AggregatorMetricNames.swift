/// Every metric the global aggregator exports (documented in docs/METRICS.md).
public enum AggregatorMetricNames {
    public static let polls = "aggregator_polls_total"
    public static let pollErrors = "aggregator_poll_errors_total"
    public static let pollSeconds = "aggregator_poll_seconds"
    public static let pushes = "aggregator_pushes_total"
    public static let pushErrors = "aggregator_push_errors_total"
    public static let stale = "aggregator_datacenter_stale"
    public static let storeWriteSeconds = "aggregator_store_write_seconds"
    public static let storeErrors = "aggregator_store_errors_total"
    public static let storeHealthy = "aggregator_store_healthy"
}

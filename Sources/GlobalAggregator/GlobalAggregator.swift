/// The global aggregator: polls every DC's `/v1/state`, merges failover and weights, stores the
/// last-known state in SQLite and pushes remote endpoints to every DC. Built in the federation issue;
/// until then this library holds only the facts the executable reports.
public enum GlobalAggregator {
    public static let status = "the global aggregator is not built yet (federation issue); local control planes run standalone"
}

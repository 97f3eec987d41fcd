/// Metadata keys both executables log with, written once so that one query finds a DC's lines in the aggregator's
/// log and in that DC's control plane's log.
public enum LogKey {
    public static let datacenter = "dc"
}

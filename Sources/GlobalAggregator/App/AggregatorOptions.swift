import ArgumentParser
import Shared

/// `global-aggregator serve`'s flags. Each property is named after the `--config` key it sets; the configuration is
/// the file with the given flags over it (`ConfigLayers`), so no setting is copied by hand.
public struct AggregatorOptions: ParsableArguments {
    @OptionGroup public var server: ServerOptions
    @Option(help: "This region's name.") public var region: String?
    @Option(name: .customLong("datacenter"), help: "NAME=URL[,URL]: a DC and its control-plane replicas; repeat per DC.")
    public var datacenters: [String] = []
    @Option(help: "SQLite file with the last-known state (default: memory only).") public var database: String?
    @Option(help: "Policy YAML (failover order, splits, crossDc, staleness); reloaded on change.") public var policy: String?
    @Option(help: "File with the bearer token control planes require on PUT /v1/remote-state.") public var pushTokenFile: String?
    @Option(help: "File with the bearer token control planes require on GET /v1/state, if they do.") public var stateTokenFile: String?
    @Option(help: "Long-poll wait of GET /v1/state (default 30s).") public var pollWait: String?
    @Option(help: "How long a fresh aggregator waits for every DC before pushing without one (default 120s).")
    public var initialSyncGrace: String?

    public init() {}

    /// The `--config` file (if any) with the given flags over it.
    public func configuration() throws(ConfigError) -> AggregatorConfig {
        try ConfigLayers.load(AggregatorConfig.self, file: server.config, flags: self)
    }
}

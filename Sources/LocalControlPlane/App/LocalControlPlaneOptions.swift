import ArgumentParser
import Shared

/// `local-control-plane serve`'s flags. Each property is named after the `--config` key it sets; the configuration is
/// the file with the given flags over it (`ConfigLayers`), so no setting is copied by hand.
public struct LocalControlPlaneOptions: ParsableArguments {
    @OptionGroup public var server: ServerOptions
    @Option(help: "This datacenter's name (the Envoy locality zone).") public var datacenter: String?
    @Option(name: .customLong("consul-url"), help: "Watch this Consul agent's catalog.") public var consulUrl: String?
    @Option(help: "File with the Consul ACL token (sent as X-Consul-Token).") public var consulTokenFile: String?
    @Option(help: "Blocking-query wait of every Consul watch (default 30s).") public var consulWait: String?
    @Option(help: "Window in which Consul changes coalesce into one update (default 100ms).") public var consulDebounce: String?
    @Flag(help: "Also route to Consul instances whose checks are in warning.") public var includeWarning = false
    @Option(help: "Most Consul blocking queries at once (default 2048).") public var consulMaxWatches: Int?
    @Option(help: "YAML registry file, re-read on change (default: an embedded empty registry).") public var registryFile: String?
    @Option(name: .customLong("xds-port"), help: "gRPC xDS port (default 18000).") public var xdsPort: Int?
    @Option(help: "File with the bearer token required on PUT /v1/remote-state.") public var pushTokenFile: String?
    @Option(help: "File with a bearer token to require on GET /v1/state (default: none).") public var stateTokenFile: String?
    @Option(help: "File that keeps the applied remote state across restarts (default remote-state-<dc>.json).")
    public var remoteStateFile: String?
    @Option(help: "Regex of the instance tags that x-service-tag may select (default: every tag).") public var routableTags: String?

    public init() {}

    /// The `--config` file (if any) with the given flags over it.
    public func configuration() throws(ConfigError) -> LocalControlPlaneConfig {
        try ConfigLayers.load(LocalControlPlaneConfig.self, file: server.config, flags: self)
    }
}

import Shared

/// Everything `local-control-plane` is configured with: the `--config` YAML file with the flags over it
/// (`LocalControlPlaneOptions`; flags win). Keys are camelCase and named as the flags.
public typealias LocalControlPlaneConfig = ServerConfig<LocalControlPlaneSettings>

/// The keys only `local-control-plane` has (the servers' shared ones are `ServerSettings`).
public struct LocalControlPlaneSettings: ConfigFileSettings, Equatable {
    public var datacenter: String?
    public var consulUrl: String?
    public var consulTokenFile: String?
    public var registryFile: String?
    public var xdsPort: Int?
    public var pushTokenFile: String?
    public var stateTokenFile: String?
    public var remoteStateFile: String?
    public var routableTags: String?
    public var consulWait: String?
    public var consulDebounce: String?
    public var includeWarning: Bool?
    public var consulMaxWatches: Int?
    /// envoy-control's `envoy-control.envoy.snapshot.*` properties (config file only).
    public var snapshot: SnapshotProperties?
    /// The CA this control plane signs sidecar certificates with, served over SDS (config file only).
    public var sidecarCertificates: SidecarCertificateSettings?

    public init() {}

    public static let defaultXDSPort = 18000
    public static let defaultHTTPPort = 18080

    /// Checks the whole configuration once and reports every problem together.
    public func validated(server: ServerSettings) throws(ConfigError) -> ValidLocalControlPlaneConfig {
        var problems: [String] = []
        let validServer = server.validated(defaultHTTPPort: Self.defaultHTTPPort, problems: &problems)
        if datacenter.map(ServiceName.isValid) != true {
            problems.append("datacenter: required, letters, digits, '-', '_' or '.' (e.g. --datacenter dc1)")
        }
        if consulUrl != nil && registryFile != nil {
            problems.append("registry: give either consulUrl or registryFile, not both")
        }
        var consul: ConsulSource?
        if let consulUrl {
            consul = validatedConsul(url: consulUrl, problems: &problems)
        } else if consulTokenFile != nil || consulWait != nil || consulDebounce != nil || includeWarning != nil || consulMaxWatches != nil {
            problems.append("consul: consulTokenFile, consulWait, consulDebounce, includeWarning and consulMaxWatches need consulUrl")
        }
        if let xdsPort, !(1...65535).contains(xdsPort) { problems.append("xdsPort: \(xdsPort) is not a port (1-65535)") }
        let pushToken = BearerToken.read(file: pushTokenFile, key: "pushTokenFile", problems: &problems)
        let stateToken = BearerToken.read(file: stateTokenFile, key: "stateTokenFile", problems: &problems)
        var tagFilter = TagFilter()
        if let routableTags {
            do {
                tagFilter = try TagFilter(pattern: routableTags)
            } catch {
                problems.append("routableTags: '\(routableTags)' is not a valid regular expression")
            }
        }
        var issuer: SidecarCertificateIssuer?
        if let sidecarCertificates {
            if sidecarCertificates.nodeAuthentication == .xdsClientCertificate && server.tlsCert == nil {
                problems.append(
                    "sidecarCertificates.nodeAuthentication: xdsClientCertificate needs mTLS on the xDS port (tlsCert, tlsKey, tlsCa)")
            }
            do {
                let authority = try SidecarCertificateAuthority.load(
                    certificateFile: sidecarCertificates.caCert, privateKeyFile: sidecarCertificates.caKey)
                issuer = SidecarCertificateIssuer(settings: sidecarCertificates, authority: authority)
            } catch {
                problems += error.problems
            }
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return ValidLocalControlPlaneConfig(
            server: validServer!, sidecarCertificates: issuer,
            datacenter: datacenter!, registryFile: registryFile, consul: consul, xdsPort: xdsPort ?? Self.defaultXDSPort,
            pushToken: pushToken, stateToken: stateToken,
            remoteStateFile: remoteStateFile ?? "remote-state-\(datacenter!).json", tagFilter: tagFilter,
            snapshot: snapshot ?? SnapshotProperties())
    }
}

extension ServerConfig where Own == LocalControlPlaneSettings {
    public func validated() throws(ConfigError) -> ValidLocalControlPlaneConfig { try own.validated(server: server) }
}

/// A configuration that passed validation; the app is built only from this. The shared server settings read
/// through (`config.bind`, `config.tls`).
@dynamicMemberLookup
public struct ValidLocalControlPlaneConfig: Sendable {
    public let server: ValidServerSettings
    /// Set when this control plane signs sidecar certificates.
    public let sidecarCertificates: SidecarCertificateIssuer?
    public let datacenter: String
    /// `nil` with `consul` nil too: the embedded default registry (an empty catalog) is served.
    public let registryFile: String?
    public let consul: ConsulSource?
    public let xdsPort: Int
    /// Required on `PUT /v1/remote-state`; without it pushes are refused.
    public let pushToken: String?
    /// Required on `GET /v1/state` when set.
    public let stateToken: String?
    /// Where the applied remote state is kept across restarts.
    public let remoteStateFile: String
    /// Which instance tags `x-service-tag` may select (`--routable-tags`).
    public let tagFilter: TagFilter
    /// How Envoy resources are generated (`snapshot:`), envoy-control's defaults where unset.
    public let snapshot: SnapshotProperties

    public subscript<Value>(dynamicMember keyPath: KeyPath<ValidServerSettings, Value>) -> Value { server[keyPath: keyPath] }
}

/// Where and how to watch Consul (`--consul-url` and its options).
public struct ConsulSource: Sendable {
    public let url: String
    public let token: String?
    public let settings: ConsulWatchSettings
}

extension LocalControlPlaneSettings {
    fileprivate func validatedConsul(url: String, problems: inout [String]) -> ConsulSource? {
        let before = problems.count
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) || url.count < 8 {
            problems.append("consulUrl: '\(url)' is not an http(s) URL (e.g. http://127.0.0.1:8500)")
        }
        let token = BearerToken.read(file: consulTokenFile, key: "consulTokenFile", problems: &problems)
        var settings = ConsulWatchSettings()
        settings.includeWarning = includeWarning ?? false
        for (name, text, apply) in [
            ("consulWait", consulWait, { (value: Duration) in settings.wait = value }),
            ("consulDebounce", consulDebounce, { (value: Duration) in settings.debounce = value }),
        ] as [(String, String?, (Duration) -> Void)] {
            guard let text else { continue }
            if let value = DurationText.parse(text), value > .zero, value <= .seconds(600) {
                apply(value)
            } else {
                problems.append("\(name): '\(text)' is not a duration between 1ms and 10m (e.g. 30s, 100ms)")
            }
        }
        if let consulMaxWatches {
            if consulMaxWatches >= 1 { settings.maxConcurrentWatches = consulMaxWatches } else {
                problems.append("consulMaxWatches: \(consulMaxWatches) must be at least 1")
            }
        }
        return problems.count == before ? ConsulSource(url: url, token: token, settings: settings) : nil
    }
}

extension ServerConfig where Own == LocalControlPlaneSettings {
    /// `local-control-plane check-config FILE`: every problem with its line; files it names are checked when present.
    public static func check(yaml text: String) -> ConfigCheck.Result {
        ConfigCheck.check(
            Self.self, yaml: text, knownKeys: keys,
            fileKeys: Set(["consulTokenFile", "pushTokenFile", "stateTokenFile", "registryFile"]).union(TLSIdentity.configKeys)
        ) { config, missing throws(ConfigError) in
            var checked = config
            if !missing.isDisjoint(with: TLSIdentity.configKeys) { (checked.tlsCert, checked.tlsKey, checked.tlsCa) = (nil, nil, nil) }
            if missing.contains("consulTokenFile") { checked.consulTokenFile = nil }
            if missing.contains("pushTokenFile") { checked.pushTokenFile = nil }
            if missing.contains("stateTokenFile") { checked.stateTokenFile = nil }
            if let registryFile = config.registryFile, !missing.contains("registryFile") {
                let dropped: [InstanceRules.Drop]
                do {
                    dropped = try RegistryFile.parse(try String(contentsOfFile: registryFile, encoding: .utf8)).dropped
                } catch {
                    throw ConfigError(problems: ["registryFile: \(error)"])
                }
                // Served without them, but an operator checking the file wants to know.
                if !dropped.isEmpty { throw ConfigError(problems: dropped.map { "registryFile: instance left out: \($0)" }) }
            }
            _ = try checked.validated()
        }
    }
}

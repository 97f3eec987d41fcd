import Foundation
import Shared

/// Everything `global-aggregator` is configured with: the `--config` YAML file with the flags over it
/// (`AggregatorOptions`; flags win). Keys are camelCase and named as the flags.
public typealias AggregatorConfig = ServerConfig<AggregatorSettings>

/// The keys only `global-aggregator` has (the servers' shared ones are `ServerSettings`).
public struct AggregatorSettings: ConfigFileSettings {
    public var region: String?
    /// `dc1=http://10.0.0.1:18080[,http://10.0.0.2:18080]`, one entry per DC.
    public var datacenters: [String]?
    public var database: String?
    public var policy: String?
    public var pushTokenFile: String?
    public var stateTokenFile: String?
    public var pollWait: String?
    public var initialSyncGrace: String?

    public init() {}

    public static let defaultHTTPPort = 19000

    /// Validates everything at once, reading the token and the policy files.
    public func validated(server: ServerSettings) throws(ConfigError) -> ValidAggregatorConfig {
        var problems: [String] = []
        let validServer = server.validated(defaultHTTPPort: Self.defaultHTTPPort, problems: &problems)
        if region.map(ServiceName.isValid) != true { problems.append("region: required (e.g. --region eu)") }
        var datacenterURLs: [String: [String]] = [:]
        for entry in datacenters ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ServiceName.isValid(parts[0]) else {
                problems.append("datacenter: '\(entry)' is not NAME=URL[,URL]")
                continue
            }
            let urls = parts[1].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            for url in urls where URL(string: url)?.scheme?.hasPrefix("http") != true {
                problems.append("datacenter \(parts[0]): '\(url)' is not an http(s) URL")
            }
            if datacenterURLs[parts[0]] != nil { problems.append("datacenter \(parts[0]): given twice") }
            datacenterURLs[parts[0]] = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        }
        if datacenterURLs.isEmpty { problems.append("datacenter: at least one --datacenter NAME=URL is required") }
        let wait = pollWait.map(DurationText.parse) ?? .seconds(30)
        if wait == nil { problems.append("pollWait: '\(pollWait!)' is not a duration") }
        let grace = initialSyncGrace.map(DurationText.parse) ?? .seconds(120)
        if grace == nil { problems.append("initialSyncGrace: '\(initialSyncGrace!)' is not a duration") }
        let token = BearerToken.read(file: pushTokenFile, key: "pushTokenFile", problems: &problems)
        if pushTokenFile == nil {
            problems.append("pushTokenFile: required (control planes accept pushes only with their bearer token)")
        }
        let stateToken = BearerToken.read(file: stateTokenFile, key: "stateTokenFile", problems: &problems)
        if server.tlsCert != nil {
            // Plain HTTP to a control plane that requires mTLS would fail every poll; say so now.
            for (datacenter, urls) in datacenterURLs.sorted(by: { $0.key < $1.key }) {
                for url in urls where !url.hasPrefix("https://") {
                    problems.append("datacenter \(datacenter): '\(url)' must be https:// when tlsCert is set")
                }
            }
        }
        var federationPolicy = FederationPolicy()
        if let policy {
            do {
                federationPolicy = try PolicyFile.load(policy)
                problems += federationPolicy.unknownDatacenterProblems(configured: datacenterURLs.keys).map { "policy \(policy): \($0)" }
            } catch {
                problems += error.problems.map { "policy \(policy): \($0)" }
            }
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return ValidAggregatorConfig(
            server: validServer!, region: region!, datacenters: datacenterURLs, database: database, policyFile: policy,
            policy: federationPolicy, pushToken: token!, stateToken: stateToken, pollWait: wait!, initialSyncGrace: grace!)
    }
}

extension ServerConfig where Own == AggregatorSettings {
    public func validated() throws(ConfigError) -> ValidAggregatorConfig { try own.validated(server: server) }
}

/// A configuration that passed validation. The shared server settings read through (`config.bind`, `config.tls`);
/// with mTLS, polls and pushes present the server's certificate.
@dynamicMemberLookup
public struct ValidAggregatorConfig: Sendable {
    public let server: ValidServerSettings
    public let region: String
    public let datacenters: [String: [String]]
    public let database: String?
    public let policyFile: String?
    public let policy: FederationPolicy
    public let pushToken: String
    /// Sent on `GET /v1/state` when the control planes require one.
    public let stateToken: String?
    public let pollWait: Duration
    /// Before every DC is known, pushes wait this long (control planes keep DCs a push lacks, but a fresh control
    /// plane would start without them).
    public let initialSyncGrace: Duration

    public subscript<Value>(dynamicMember keyPath: KeyPath<ValidServerSettings, Value>) -> Value { server[keyPath: keyPath] }
}

/// Reads a policy file from disk.
public enum PolicyFile {
    public static func load(_ path: String) throws(ConfigError) -> FederationPolicy {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(problems: ["cannot be read"]) }
        return try PolicyParser.parse(String(decoding: data, as: UTF8.self))
    }
}

extension ServerConfig where Own == AggregatorSettings {
    /// `global-aggregator check-config FILE`: every problem with its line, the policy file it names included.
    public static func check(yaml text: String) -> ConfigCheck.Result {
        ConfigCheck.check(
            Self.self, yaml: text, knownKeys: keys, fileKeys: Set(["pushTokenFile", "stateTokenFile", "policy"]).union(TLSIdentity.configKeys)
        ) { config, missing throws(ConfigError) in
            var checked = config
            if !missing.isDisjoint(with: TLSIdentity.configKeys) { (checked.tlsCert, checked.tlsKey, checked.tlsCa) = (nil, nil, nil) }
            if missing.contains("pushTokenFile") { checked.pushTokenFile = "/dev/null" }
            if missing.contains("policy") { checked.policy = nil }
            if missing.contains("stateTokenFile") { checked.stateTokenFile = nil }
            do throws(ConfigError) {
                _ = try checked.validated()
            } catch {
                // An empty stand-in token is not the config's fault.
                let problems = error.problems.filter { !(missing.contains("pushTokenFile") && $0.hasPrefix("pushTokenFile:")) }
                if !problems.isEmpty { throw ConfigError(problems: problems) }
            }
        }
    }
}

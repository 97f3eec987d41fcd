import Shared

/// What one Envoy asked for through its node metadata. Envoys with equal profiles share one snapshot group,
/// so only settings that change generated resources belong here (never the node id).
public struct ProxyProfile: Hashable, Sendable {
    public var serviceName: String
    public var ingress: Ingress?
    public var egress: ListenerAddress?
    public var outgoing: Outgoing
    /// `proxy_settings.incoming`: RBAC on the ingress listener; nil means every caller is allowed.
    public var incoming: IncomingPermissions?
    public var accessLogFilter: AccessLogFilterSpec?

    public init(
        serviceName: String, ingress: Ingress? = nil, egress: ListenerAddress? = nil, outgoing: Outgoing = Outgoing(),
        incoming: IncomingPermissions? = nil, accessLogFilter: AccessLogFilterSpec? = nil
    ) {
        self.serviceName = serviceName
        self.ingress = ingress
        self.egress = egress
        self.outgoing = outgoing
        self.incoming = incoming
        self.accessLogFilter = accessLogFilter
    }

    public struct ListenerAddress: Hashable, Sendable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// The listener in front of the local service and where that service listens.
    public struct Ingress: Hashable, Sendable {
        public var listener: ListenerAddress
        public var localServicePort: Int

        public init(listener: ListenerAddress, localServicePort: Int) {
            self.listener = listener
            self.localServicePort = localServicePort
        }
    }

    public struct TimeoutPolicy: Hashable, Sendable {
        public var requestTimeout: Duration?
        public var idleTimeout: Duration?

        public init(requestTimeout: Duration? = nil, idleTimeout: Duration? = nil) {
            self.requestTimeout = requestTimeout
            self.idleTimeout = idleTimeout
        }
    }

    /// `proxy_settings.outgoing`: the services this Envoy may call.
    public struct Outgoing: Hashable, Sendable {
        /// Named service dependencies with their timeouts.
        public var services: [String: TimeoutPolicy]
        /// Set when the Envoy depends on `service: "*"`: every service of the mesh, with these timeouts.
        public var allServices: TimeoutPolicy?
        /// External `domain` dependencies with their timeouts, sorted by cluster name.
        public var domains: [DomainDependency: TimeoutPolicy]

        public init(services: [String: TimeoutPolicy] = [:], allServices: TimeoutPolicy? = nil, domains: [DomainDependency: TimeoutPolicy] = [:]) {
            self.services = services
            self.allServices = allServices
            self.domains = domains
        }

        /// The dependencies that exist in `available`, sorted, each with its timeouts.
        public func resolve(among available: [String]) -> [(service: String, timeouts: TimeoutPolicy)] {
            available.compactMap { name in
                if let timeouts = services[name] { return (name, timeouts) }
                if let timeouts = allServices { return (name, timeouts) }
                return nil
            }
        }
    }
}

extension ProxyProfile {
    /// A short stable name for the group of Envoys sharing this profile (logs, `/debug/envoys`).
    public var groupId: String {
        var hash = ContentHash()
        hash.add(serviceName)
        hash.add(egress.map { "\($0.host):\($0.port)" } ?? "-")
        hash.add(ingress.map { "\($0.listener.host):\($0.listener.port)>\($0.localServicePort)" } ?? "-")
        for (name, timeouts) in outgoing.services.sorted(by: { $0.key < $1.key }) {
            hash.add("\(name)=\(timeouts)")
        }
        hash.add(outgoing.allServices.map { "*=\($0)" } ?? "-")
        for (domain, timeouts) in outgoing.domains.sorted(by: { $0.key.clusterName < $1.key.clusterName }) {
            hash.add("\(domain)=\(timeouts)")
        }
        hash.add(incoming.map { "\($0.endpoints)|\($0.roles.sorted { $0.key < $1.key })|\($0.unlistedEndpointsPolicy)" } ?? "-")
        hash.add(accessLogFilter.map { "\($0.clauses)" } ?? "-")
        return "\(serviceName)-\(hash.hex.prefix(8))"
    }
}

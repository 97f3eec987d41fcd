/// `proxy_settings.incoming`: who may call which endpoints of this Envoy's service (envoy-control's model).
public struct IncomingPermissions: Hashable, Sendable {
    public enum PathMatch: Hashable, Sendable {
        case exact(String)
        case prefix(String)
        case regex(String)
    }

    public struct Endpoint: Hashable, Sendable {
        public var path: PathMatch
        /// Empty: every method.
        public var methods: [String]
        /// Service names, role names, or `*` for every caller.
        public var clients: [String]

        public init(path: PathMatch, methods: [String] = [], clients: [String]) {
            self.path = path
            self.methods = methods
            self.clients = clients
        }
    }

    /// What happens to a request no endpoint permits.
    public enum UnlistedPolicy: String, Hashable, Sendable {
        /// Denied with 403 (and logged by Envoy's RBAC filter).
        case blockAndLog
        /// Allowed; the RBAC filter evaluates the rules in shadow mode and the ingress access log shows the verdict.
        case log
    }

    public var endpoints: [Endpoint]
    /// Role name → the clients it stands for.
    public var roles: [String: [String]]
    public var unlistedEndpointsPolicy: UnlistedPolicy

    public init(endpoints: [Endpoint] = [], roles: [String: [String]] = [:], unlistedEndpointsPolicy: UnlistedPolicy = .blockAndLog) {
        self.endpoints = endpoints
        self.roles = roles
        self.unlistedEndpointsPolicy = unlistedEndpointsPolicy
    }

    /// The service names a client entry stands for: a role expands to its clients; `*` stays `*`.
    public func callers(_ client: String) -> [String] {
        roles[client] ?? [client]
    }
}

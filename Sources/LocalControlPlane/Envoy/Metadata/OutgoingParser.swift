import Shared

/// Reads `proxy_settings.outgoing` as envoy-control does: `dependencies` of `service`, `domain` or `domainPattern`,
/// each with settings over the defaults (the all-services dependency's settings, `service: "*"` unless
/// `allServicesDependencies.identifier` says otherwise, are the default of every other service).
enum OutgoingParser {

    static func defaultSettings(_ properties: SnapshotProperties) -> DependencySettings {
        let common = properties.egress.commonHttp
        return DependencySettings(
            timeoutPolicy: .init(requestTimeout: common.requestTimeout, idleTimeout: common.idleTimeout, connectionIdleTimeout: common.connectionIdleTimeout),
            handleInternalRedirect: properties.egress.handleInternalRedirect, retryPolicy: properties.retryPolicy.policy)
    }

    static func parse(
        _ outgoing: MetadataReader?, properties: SnapshotProperties, unsupported: inout Set<String>
    ) throws(NodeMetadataError) -> Outgoing {
        // Settings written on `outgoing` itself are every dependency's defaults, as in envoy-control.
        var base = defaultSettings(properties)
        if let outgoing { base = try settings(outgoing, over: base, unsupported: &unsupported) }
        let allServicesIdentifier = properties.outgoingPermissions.allServicesDependencies.identifier
        let dependencies = try outgoing?.child("dependencies")?.elements() ?? []
        var wildcard: (reader: MetadataReader, settings: DependencySettings)?
        for dependency in dependencies where try dependency.child("service")?.string() == allServicesIdentifier {
            guard wildcard == nil else {
                throw dependency.error("defines a second 'service: \"\(allServicesIdentifier)\"'; define at most one all-services dependency")
            }
            wildcard = (dependency, try settings(dependency, over: base, unsupported: &unsupported))
        }
        let serviceDefault = wildcard?.settings ?? base
        var services: [String: ServiceDependency] = [:]
        var domains: [String: DomainDependency] = [:]
        var patterns = Set<String>()
        for dependency in dependencies {
            let service = try nonBlank(dependency.child("service"))
            let domain = try nonBlank(dependency.child("domain"))
            let pattern = try nonBlank(dependency.child("domainPattern"))
            guard [service, domain, pattern].compactMap({ $0 }).count == 1 else {
                throw dependency.error("must define exactly one of 'service', 'domain' or 'domainPattern'")
            }
            if let service, service.text != allServicesIdentifier {
                guard ServiceName.isValid(service.text) else { throw service.reader.error("'\(service.text)' is not a valid service name") }
                services[service.text] = ServiceDependency(
                    service: service.text, settings: try settings(dependency, over: serviceDefault, unsupported: &unsupported))
            } else if let domain {
                let parsed = try DomainDependency.parse(
                    domain.text, field: domain.reader.path, settings: try settings(dependency, over: base, unsupported: &unsupported))
                domains[parsed.clusterName] = parsed
            } else if let pattern {
                if pattern.text.hasPrefix("http://") || pattern.text.hasPrefix("https://") {
                    throw pattern.reader.error("'\(pattern.text)' must not contain a scheme like http:// or https://")
                }
                _ = try settings(dependency, over: base, unsupported: &unsupported)
                patterns.insert(pattern.text)
            }
        }
        // envoy-control's defaultDependencies: after the Envoy's own, which win for the same name.
        for service in properties.defaultDependencies.services where services[service] == nil {
            services[service] = ServiceDependency(service: service, settings: serviceDefault)
        }
        for text in properties.defaultDependencies.domains {
            let domain = try DomainDependency.parse(text, field: "snapshot.defaultDependencies.domains", settings: base)
            if domains[domain.clusterName] == nil { domains[domain.clusterName] = domain }
        }
        return Outgoing(
            services: Array(services.values), allServices: wildcard?.settings, domains: Array(domains.values),
            domainPatterns: Array(patterns), notIncludedByPrefix: properties.outgoingPermissions.allServicesDependencies.notIncludedByPrefix)
    }

    private static func nonBlank(_ reader: MetadataReader?) throws(NodeMetadataError) -> (reader: MetadataReader, text: String)? {
        guard let reader else { return nil }
        let text = try reader.string()
        return text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : (reader, text)
    }

    /// A dependency's settings: what it sets, the rest from `defaults`.
    static func settings(
        _ dependency: MetadataReader, over defaults: DependencySettings, unsupported: inout Set<String>
    ) throws(NodeMetadataError) -> DependencySettings {
        var settings = defaults
        if let timeouts = try dependency.child("timeoutPolicy") {
            if let value = try timeouts.child("requestTimeout")?.duration() { settings.timeoutPolicy.requestTimeout = value }
            if let value = try timeouts.child("idleTimeout")?.duration() { settings.timeoutPolicy.idleTimeout = value }
            if let value = try timeouts.child("connectionIdleTimeout")?.duration() {
                settings.timeoutPolicy.connectionIdleTimeout = value
                unsupported.insert("proxy_settings.outgoing.dependencies[].timeoutPolicy.connectionIdleTimeout")
            }
        }
        if let value = try dependency.child("handleInternalRedirect")?.bool() { settings.handleInternalRedirect = value }
        if let value = try dependency.child("rewriteHostHeader")?.bool() { settings.rewriteHostHeader = value }
        if let retry = try dependency.child("retryPolicy") {
            settings.retryPolicy = try RetryPolicyParser.parse(retry, over: defaults.retryPolicy, unsupported: &unsupported)
        }
        if let routing = try dependency.child("routingPolicy") {
            if let value = try routing.child("autoServiceTag")?.bool() { settings.routingPolicy.autoServiceTag = value }
            if let value = try routing.child("serviceTagPreference")?.stringList() { settings.routingPolicy.serviceTagPreference = value }
            if let value = try routing.child("fallbackToAnyInstance")?.bool() { settings.routingPolicy.fallbackToAnyInstance = value }
        }
        return settings
    }
}

/// A dependency's `retryPolicy`: unset fields from the default policy.
enum RetryPolicyParser {
    static func parse(
        _ retry: MetadataReader, over defaults: RetryPolicy?, unsupported: inout Set<String>
    ) throws(NodeMetadataError) -> RetryPolicy {
        var policy = defaults ?? RetryPolicy()
        if let value = try retry.child("retryOn")?.stringList() { policy.retryOn = value }
        if let value = try retry.child("numberRetries") { policy.numberRetries = try value.integer(in: 0...100) }
        if let value = try retry.child("perTryTimeoutMs") { policy.perTryTimeout = .milliseconds(try value.integer(in: 0...86_400_000)) }
        if let value = try retry.child("hostSelectionRetryMaxAttempts") {
            policy.hostSelectionRetryMaxAttempts = try value.integer(in: 0...100)
        }
        if let predicates = try retry.child("retryHostPredicate") {
            policy.retryHostPredicates = []
            for predicate in try predicates.elements() {
                let name = try predicate.child("name")?.string() ?? ""
                // envoy-control drops names it does not know; so do we, reported.
                guard let known = RetryHostPredicateName.resolve(name) else {
                    unsupported.insert("proxy_settings.outgoing.dependencies[].retryPolicy.retryHostPredicate: \(name)")
                    continue
                }
                policy.retryHostPredicates.append(known)
            }
        }
        if let backOff = try retry.child("retryBackOff") {
            if let value = try backOff.child("baseInterval")?.duration() { policy.backOffBaseInterval = value }
            if let value = try backOff.child("maxInterval")?.duration() { policy.backOffMaxInterval = value }
        }
        if let codes = try retry.child("retryableStatusCodes") {
            policy.retriableStatusCodes = try codes.elements().map { code throws(NodeMetadataError) in try code.integer(in: 100...599) }
        }
        if let backOff = try retry.child("rateLimitedRetryBackOff") {
            policy.resetHeaders = try (backOff.child("resetHeaders")?.elements() ?? []).map { header throws(NodeMetadataError) in
                let name = try header.child("name")?.string() ?? ""
                let format = try header.child("format")?.string() ?? ""
                guard !name.isEmpty, let parsed = RetryPolicy.ResetHeader.Format(rawValue: format) else {
                    throw header.error("needs a 'name' and a 'format' (SECONDS or UNIX_TIMESTAMP)")
                }
                return RetryPolicy.ResetHeader(name: name, format: parsed)
            }
        }
        if let headers = try retry.child("retryableHeaders")?.stringList() { policy.retriableHeaders = headers }
        if let methods = try retry.child("methods")?.stringList() {
            if let bad = methods.first(where: { !IncomingParser.httpMethods.contains($0) }) {
                throw retry.error("methods: '\(bad)' is not an HTTP method")
            }
            policy.methods = methods.sorted()
        }
        return policy
    }
}

/// envoy-control accepts a predicate by its Envoy name or its enum name (`PREVIOUS_HOSTS`).
enum RetryHostPredicateName {
    static let previousHosts = "envoy.retry_host_predicates.previous_hosts"
    static let omitCanaryHosts = "envoy.retry_host_predicates.omit_canary_hosts"
    static let omitHostMetadata = "envoy.retry_host_predicates.omit_host_metadata"
    /// envoy-control's enum names for them.
    private static let aliases = ["previous_hosts": previousHosts, "omit_canary_host": omitCanaryHosts, "omit_host_metadata": omitHostMetadata]

    /// The Envoy name of a predicate named either way, case-insensitively.
    static func resolve(_ name: String) -> String? {
        let lowered = name.lowercased()
        return [previousHosts, omitCanaryHosts, omitHostMetadata].first { $0 == lowered } ?? aliases[lowered]
    }
}

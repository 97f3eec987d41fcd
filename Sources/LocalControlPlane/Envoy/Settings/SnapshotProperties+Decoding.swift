import Shared

/// `snapshot:` in the `--config` YAML: envoy-control's property names in camelCase (`egress.commonHttp.requestTimeout`
/// for `envoy-control.envoy.snapshot.egress.common-http.request-timeout`); every key optional, unknown keys refused
/// with their path, so a typo never silently keeps a default.
extension SnapshotProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "incomingPermissions", "outgoingPermissions", "egress", "ingress", "localService", "loadBalancing", "routes", "routing",
            "retryPolicy", "xdsClusterName", "deltaXdsEnabled", "pathNormalization", "defaultDependencies", "jwt",
            "trustedCaFile", "clusterOutlierDetection", "compression", "dynamicForwardProxy", "enabledCommunicationModes",
            "edsConnectionTimeout", "staticClusterConnectionTimeout", "requireServiceName", "dynamicListeners",
            "ignoreTLSUpgradeEnabled", "tcpDumpsEnabled",
        ])
        try keys.set(&incomingPermissions, "incomingPermissions")
        try keys.set(&outgoingPermissions, "outgoingPermissions")
        try keys.set(&egress, "egress")
        try keys.set(&ingress, "ingress")
        try keys.set(&localService, "localService")
        try keys.set(&loadBalancing, "loadBalancing")
        try keys.set(&routes, "routes")
        try keys.set(&routing, "routing")
        try keys.set(&retryPolicy, "retryPolicy")
        try keys.set(&xdsClusterName, "xdsClusterName")
        try keys.set(&deltaXdsEnabled, "deltaXdsEnabled")
        try keys.set(&pathNormalization, "pathNormalization")
        try keys.set(&defaultDependencies, "defaultDependencies")
        try keys.set(&jwt, "jwt")
        try keys.set(&trustedCaFile, "trustedCaFile")
        try keys.set(&clusterOutlierDetection, "clusterOutlierDetection")
        try keys.set(&compression, "compression")
        try keys.set(&dynamicForwardProxy, "dynamicForwardProxy")
        try keys.set(&enabledCommunicationModes, "enabledCommunicationModes")
        try keys.setDuration(&edsConnectionTimeout, "edsConnectionTimeout")
        try keys.setDuration(&staticClusterConnectionTimeout, "staticClusterConnectionTimeout")
        try keys.set(&requireServiceName, "requireServiceName")
        try keys.set(&ignoreTLSUpgradeEnabled, "ignoreTLSUpgradeEnabled")
        try keys.set(&dynamicListeners, "dynamicListeners")
        try keys.set(&tcpDumpsEnabled, "tcpDumpsEnabled")
    }
}

extension SnapshotProperties.DefaultDependencies: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["services", "domains"])
        try keys.set(&services, "services")
        try keys.set(&domains, "domains")
        if let bad = services.first(where: { !ServiceName.isValid($0) }) { throw keys.invalid("services", "'\(bad)' is not a service name") }
        for domain in domains {
            do {
                _ = try DomainDependency.parse(domain, field: "domains", settings: .init())
            } catch {
                throw keys.invalid("domains", error.reason)
            }
        }
    }
}

extension PathNormalization: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "mergeSlashes", "pathWithEscapedSlashesAction"])
        try keys.set(&enabled, "enabled")
        try keys.set(&mergeSlashes, "mergeSlashes")
        try keys.setCase(&pathWithEscapedSlashesAction, "pathWithEscapedSlashesAction")
    }
}

extension SnapshotProperties.IncomingPermissionsProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "enabled", "serviceNameHeader", "trustServiceNameHeader", "tlsAuthentication", "sourceIpAuthentication",
            "clientsAllowedToAllEndpoints", "clientsLists", "selectorMatching",
        ])
        try keys.set(&enabled, "enabled")
        try keys.set(&serviceNameHeader, "serviceNameHeader")
        try keys.setCase(&trustServiceNameHeader, "trustServiceNameHeader")
        try keys.set(&tlsAuthentication, "tlsAuthentication")
        try keys.set(&sourceIpAuthentication, "sourceIpAuthentication")
        try keys.set(&clientsAllowedToAllEndpoints, "clientsAllowedToAllEndpoints")
        try keys.set(&clientsLists, "clientsLists")
        try keys.set(&selectorMatching, "selectorMatching")
    }
}

extension SnapshotProperties.SelectorMatching: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["header"])
        try keys.set(&header, "header")
    }
}

extension SnapshotProperties.ClientsListsProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["defaultClientsList", "customClientsLists"])
        try keys.set(&defaultClientsList, "defaultClientsList")
        try keys.set(&customClientsLists, "customClientsLists")
    }
}

extension SnapshotProperties.OutgoingPermissionsProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "servicesAllowedToUseWildcard", "allServicesDependencies"])
        try keys.set(&enabled, "enabled")
        try keys.set(&servicesAllowedToUseWildcard, "servicesAllowedToUseWildcard")
        try keys.set(&allServicesDependencies, "allServicesDependencies")
    }
}

extension SnapshotProperties.EgressProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "clusterNotFoundStatusCode", "neverRemoveClusters", "commonHttp", "hostHeaderRewriting", "headersToRemove", "http2",
            "handleInternalRedirect", "domains",
        ])
        try keys.set(&clusterNotFoundStatusCode, "clusterNotFoundStatusCode")
        guard (200...599).contains(clusterNotFoundStatusCode) else {
            throw keys.invalid("clusterNotFoundStatusCode", "\(clusterNotFoundStatusCode) is not an HTTP status (200-599)")
        }
        try keys.set(&neverRemoveClusters, "neverRemoveClusters")
        try keys.set(&commonHttp, "commonHttp")
        try keys.set(&hostHeaderRewriting, "hostHeaderRewriting")
        try keys.set(&headersToRemove, "headersToRemove")
        try keys.set(&http2, "http2")
        try keys.set(&handleInternalRedirect, "handleInternalRedirect")
        try keys.set(&domains, "domains")
        if let bad = domains.first(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
            throw keys.invalid("domains", "'\(bad)' is not a host suffix (like .service.consul)")
        }
    }
}

extension SnapshotProperties.Http2Properties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "tagName"])
        try keys.set(&enabled, "enabled")
        try keys.set(&tagName, "tagName")
    }
}

extension SnapshotProperties.IngressProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "headersToRemove", "addServiceNameHeaderToResponse", "addRequestedAuthorityHeaderToResponse", "serviceNameHeader",
            "requestedAuthorityHeader",
        ])
        try keys.set(&headersToRemove, "headersToRemove")
        try keys.set(&addServiceNameHeaderToResponse, "addServiceNameHeaderToResponse")
        try keys.set(&addRequestedAuthorityHeaderToResponse, "addRequestedAuthorityHeaderToResponse")
        try keys.set(&serviceNameHeader, "serviceNameHeader")
        try keys.set(&requestedAuthorityHeader, "requestedAuthorityHeader")
    }
}

extension SnapshotProperties.HostHeaderRewritingProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "customHostHeader"])
        try keys.set(&enabled, "enabled")
        try keys.set(&customHostHeader, "customHostHeader")
    }
}

extension SnapshotProperties.CommonHttpProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["requestTimeout", "idleTimeout", "connectionIdleTimeout", "circuitBreakers"])
        try keys.set(&circuitBreakers, "circuitBreakers")
        try keys.setDuration(&requestTimeout, "requestTimeout")
        try keys.setDuration(&idleTimeout, "idleTimeout")
        try keys.setDuration(&connectionIdleTimeout, "connectionIdleTimeout")
    }
}

extension SnapshotProperties.LocalServiceProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["responseTimeout", "idleTimeout", "connectionIdleTimeout", "retryPolicy"])
        try keys.setDuration(&responseTimeout, "responseTimeout")
        try keys.setDuration(&idleTimeout, "idleTimeout")
        try keys.setDuration(&connectionIdleTimeout, "connectionIdleTimeout")
        try keys.set(&retryPolicy, "retryPolicy")
    }
}

extension SnapshotProperties.LocalRetryPolicies: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["default", "perHttpMethod"])
        try keys.set(&self.default, "default")
        try keys.set(&perHttpMethod, "perHttpMethod")
        if let bad = perHttpMethod.keys.first(where: { !IncomingParser.httpMethods.contains($0) }) {
            throw keys.invalid("perHttpMethod", "'\(bad)' is not an HTTP method (\(IncomingParser.httpMethods.sorted().joined(separator: ", ")))")
        }
    }
}

extension SnapshotProperties.LocalRetryPolicy: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "enabled", "retryOn", "numRetries", "perTryTimeout", "hostSelectionRetryMaxAttempts", "retriableStatusCodes",
        ])
        try keys.set(&enabled, "enabled")
        try keys.set(&retryOn, "retryOn")
        try keys.set(&numRetries, "numRetries")
        guard numRetries >= 0 else { throw keys.invalid("numRetries", "must be 0 or more") }
        try keys.setDuration(&perTryTimeout, "perTryTimeout")
        try keys.set(&hostSelectionRetryMaxAttempts, "hostSelectionRetryMaxAttempts")
        try keys.set(&retriableStatusCodes, "retriableStatusCodes")
        if let bad = retriableStatusCodes.first(where: { !(100...599).contains($0) }) {
            throw keys.invalid("retriableStatusCodes", "\(bad) is not an HTTP status")
        }
    }
}

extension SnapshotProperties.LoadBalancingProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["policy", "canary", "weights"])
        try keys.setCase(&policy, "policy")
        try keys.set(&canary, "canary")
        try keys.set(&weights, "weights")
    }
}

extension SnapshotProperties.WeightsProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled"])
        try keys.set(&enabled, "enabled")
    }
}

extension SnapshotProperties.EnabledCommunicationModes: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["ads", "xds"])
        try keys.set(&ads, "ads")
        try keys.set(&xds, "xds")
    }
}

extension SnapshotProperties.AllServicesDependenciesProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["identifier", "notIncludedByPrefix"])
        try keys.set(&identifier, "identifier")
        guard !identifier.isEmpty else { throw keys.invalid("identifier", "must not be empty") }
        try keys.set(&notIncludedByPrefix, "notIncludedByPrefix")
    }
}

extension SnapshotProperties.CanaryProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "metadataKey", "headerValue"])
        try keys.set(&enabled, "enabled")
        try keys.set(&metadataKey, "metadataKey")
        try keys.set(&headerValue, "headerValue")
    }
}

extension SnapshotProperties.RoutingProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        try decoder.settings(known: ["serviceTags"]).set(&serviceTags, "serviceTags")
    }
}

extension SnapshotProperties.RoutesProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        try decoder.settings(known: ["status"]).set(&status, "status")
    }
}

extension SnapshotProperties.StatusRouteProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "endpoints", "createVirtualCluster", "separatedRouteWhiteList"])
        try keys.set(&enabled, "enabled")
        try keys.set(&createVirtualCluster, "createVirtualCluster")
        try keys.set(&separatedRouteWhiteList, "separatedRouteWhiteList")
        if let list = try keys.container.decodeIfPresent([EndpointMatchSetting].self, forKey: SettingKey("endpoints")) {
            endpoints = list.map(\.match)
        }
    }

    /// envoy-control's `EndpointMatch`: `path` with `matchingType` PATH, PATH_PREFIX (default) or PATH_REGEX.
    private struct EndpointMatchSetting: Decodable {
        let match: PathMatch

        init(from decoder: any Decoder) throws {
            let keys = try decoder.settings(known: ["path", "matchingType"])
            let path = try keys.container.decodeIfPresent(String.self, forKey: SettingKey("path")) ?? "/status/"
            switch try keys.container.decodeIfPresent(String.self, forKey: SettingKey("matchingType")) ?? "PATH_PREFIX" {
            case "PATH": match = .exact(path)
            case "PATH_PREFIX": match = .prefix(path)
            case "PATH_REGEX": match = .regex(path)
            case let other: throw keys.invalid("matchingType", "'\(other)' is not PATH, PATH_PREFIX or PATH_REGEX")
            }
        }
    }
}

extension SnapshotProperties.RetryPolicyProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "enabled", "retryOn", "numberOfRetries", "hostSelectionRetryMaxAttempts", "retryHostPredicate", "retryBackOff",
            "rateLimitedRetryBackOff",
        ])
        try keys.set(&enabled, "enabled")
        try keys.set(&retryOn, "retryOn")
        try keys.set(&numberOfRetries, "numberOfRetries")
        try keys.set(&hostSelectionRetryMaxAttempts, "hostSelectionRetryMaxAttempts")
        if let names = try keys.container.decodeIfPresent([String].self, forKey: SettingKey("retryHostPredicate")) {
            retryHostPredicate = try names.map { name in
                guard RetryHostPredicateName.resolve(name) == RetryHostPredicateName.previousHosts else {
                    throw keys.invalid("retryHostPredicate", "'\(name)' is not supported (only PREVIOUS_HOSTS)")
                }
                return RetryHostPredicateName.previousHosts
            }
        }
        if keys.container.contains(SettingKey("retryBackOff")) {
            let backOff = try keys.container.superDecoder(forKey: SettingKey("retryBackOff")).settings(known: ["baseInterval"])
            try backOff.setDuration(&retryBackOffBaseInterval, "baseInterval")
        }
        if keys.container.contains(SettingKey("rateLimitedRetryBackOff")) {
            let backOff = try keys.container.superDecoder(forKey: SettingKey("rateLimitedRetryBackOff")).settings(known: ["resetHeaders"])
            let headers = try backOff.container.decodeIfPresent([[String: String]].self, forKey: SettingKey("resetHeaders")) ?? []
            resetHeaders = try headers.map { header in
                guard let name = header["name"], !name.isEmpty, let format = header["format"].flatMap(RetryPolicy.ResetHeader.Format.init) else {
                    throw backOff.invalid("resetHeaders", "each needs a name and a format (SECONDS or UNIX_TIMESTAMP)")
                }
                return RetryPolicy.ResetHeader(name: name, format: format)
            }
        }
    }
}

import Shared

/// `snapshot:` in the `--config` YAML: envoy-control's property names in camelCase (`egress.commonHttp.requestTimeout`
/// for `envoy-control.envoy.snapshot.egress.common-http.request-timeout`); every key optional, unknown keys refused
/// with their path, so a typo never silently keeps a default.
extension SnapshotProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("incomingPermissions", \.incomingPermissions),
            .value("outgoingPermissions", \.outgoingPermissions),
            .value("egress", \.egress),
            .value("ingress", \.ingress),
            .value("localService", \.localService),
            .value("loadBalancing", \.loadBalancing),
            .value("routes", \.routes),
            .value("routing", \.routing),
            .value("retryPolicy", \.retryPolicy),
            .value("xdsClusterName", \.xdsClusterName),
            .value("deltaXdsEnabled", \.deltaXdsEnabled),
            .value("pathNormalization", \.pathNormalization),
            .value("defaultDependencies", \.defaultDependencies),
            .value("jwt", \.jwt),
            .value("trustedCaFile", \.trustedCaFile),
            .value("clusterOutlierDetection", \.clusterOutlierDetection),
            .value("compression", \.compression),
            .value("dynamicForwardProxy", \.dynamicForwardProxy),
            .value("enabledCommunicationModes", \.enabledCommunicationModes),
            .duration("edsConnectionTimeout", \.edsConnectionTimeout),
            .duration("staticClusterConnectionTimeout", \.staticClusterConnectionTimeout),
            .value("requireServiceName", \.requireServiceName),
            .value("ignoreTLSUpgradeEnabled", \.ignoreTLSUpgradeEnabled),
            .value("dynamicListeners", \.dynamicListeners),
            .value("tcpDumpsEnabled", \.tcpDumpsEnabled),
        ]
    }
}

extension SnapshotProperties.DefaultDependencies: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("services", \.services),
            .value("domains", \.domains),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
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

extension PathNormalization: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("mergeSlashes", \.mergeSlashes),
            .anyCase("pathWithEscapedSlashesAction", \.pathWithEscapedSlashesAction),
        ]
    }
}

extension SnapshotProperties.IncomingPermissionsProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("serviceNameHeader", \.serviceNameHeader),
            .anyCase("trustServiceNameHeader", \.trustServiceNameHeader),
            .value("tlsAuthentication", \.tlsAuthentication),
            .value("sourceIpAuthentication", \.sourceIpAuthentication),
            .value("clientsAllowedToAllEndpoints", \.clientsAllowedToAllEndpoints),
            .value("clientsLists", \.clientsLists),
            .value("selectorMatching", \.selectorMatching),
        ]
    }
}

extension SnapshotProperties.SelectorMatching: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("header", \.header),
        ]
    }
}

extension SnapshotProperties.ClientsListsProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("defaultClientsList", \.defaultClientsList),
            .value("customClientsLists", \.customClientsLists),
        ]
    }
}

extension SnapshotProperties.OutgoingPermissionsProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("servicesAllowedToUseWildcard", \.servicesAllowedToUseWildcard),
            .value("allServicesDependencies", \.allServicesDependencies),
        ]
    }
}

extension SnapshotProperties.EgressProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("clusterNotFoundStatusCode", \.clusterNotFoundStatusCode),
            .value("neverRemoveClusters", \.neverRemoveClusters),
            .value("commonHttp", \.commonHttp),
            .value("hostHeaderRewriting", \.hostHeaderRewriting),
            .value("headersToRemove", \.headersToRemove),
            .value("http2", \.http2),
            .value("handleInternalRedirect", \.handleInternalRedirect),
            .value("domains", \.domains),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard (200...599).contains(clusterNotFoundStatusCode) else {
            throw keys.invalid("clusterNotFoundStatusCode", "\(clusterNotFoundStatusCode) is not an HTTP status (200-599)")
        }
        if let bad = domains.first(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
            throw keys.invalid("domains", "'\(bad)' is not a host suffix (like .service.consul)")
        }
    }
}

extension SnapshotProperties.Http2Properties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("tagName", \.tagName),
        ]
    }
}

extension SnapshotProperties.IngressProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("headersToRemove", \.headersToRemove),
            .value("addServiceNameHeaderToResponse", \.addServiceNameHeaderToResponse),
            .value("addRequestedAuthorityHeaderToResponse", \.addRequestedAuthorityHeaderToResponse),
            .value("serviceNameHeader", \.serviceNameHeader),
            .value("requestedAuthorityHeader", \.requestedAuthorityHeader),
        ]
    }
}

extension SnapshotProperties.HostHeaderRewritingProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("customHostHeader", \.customHostHeader),
        ]
    }
}

extension SnapshotProperties.CommonHttpProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("circuitBreakers", \.circuitBreakers),
            .duration("requestTimeout", \.requestTimeout),
            .duration("idleTimeout", \.idleTimeout),
            .duration("connectionIdleTimeout", \.connectionIdleTimeout),
        ]
    }
}

extension SnapshotProperties.LocalServiceProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .duration("responseTimeout", \.responseTimeout),
            .duration("idleTimeout", \.idleTimeout),
            .duration("connectionIdleTimeout", \.connectionIdleTimeout),
            .value("retryPolicy", \.retryPolicy),
        ]
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

extension SnapshotProperties.LocalRetryPolicy: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("retryOn", \.retryOn),
            .value("numRetries", \.numRetries),
            .duration("perTryTimeout", \.perTryTimeout),
            .value("hostSelectionRetryMaxAttempts", \.hostSelectionRetryMaxAttempts),
            .value("retriableStatusCodes", \.retriableStatusCodes),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard numRetries >= 0 else { throw keys.invalid("numRetries", "must be 0 or more") }
        if let bad = retriableStatusCodes.first(where: { !(100...599).contains($0) }) {
            throw keys.invalid("retriableStatusCodes", "\(bad) is not an HTTP status")
        }
    }
}

extension SnapshotProperties.LoadBalancingProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .anyCase("policy", \.policy),
            .value("canary", \.canary),
            .value("weights", \.weights),
        ]
    }
}

extension SnapshotProperties.WeightsProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
        ]
    }
}

extension SnapshotProperties.EnabledCommunicationModes: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("ads", \.ads),
            .value("xds", \.xds),
        ]
    }
}

extension SnapshotProperties.AllServicesDependenciesProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("identifier", \.identifier),
            .value("notIncludedByPrefix", \.notIncludedByPrefix),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard !identifier.isEmpty else { throw keys.invalid("identifier", "must not be empty") }
    }
}

extension SnapshotProperties.CanaryProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("metadataKey", \.metadataKey),
            .value("headerValue", \.headerValue),
        ]
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

import Foundation
import Shared

/// envoy-control's `envoy-control.envoy.snapshot.jwt.*`: the OAuth providers whose tokens endpoints may require
/// (`proxy_settings.incoming.endpoints[].oauth`), verified by Envoy's JWT filter against each provider's JWKS.
extension SnapshotProperties {
    public struct JwtProperties: Hashable, Sendable {
        /// Keep the token in the request the local service receives.
        public var forwardJwt = true
        /// The verified token's payload (base64url) for the local service.
        public var forwardPayloadHeader = "x-oauth-token-validated"
        /// Where the payload goes in the request's dynamic metadata (`envoy.filters.http.jwt_authn`).
        public var payloadInMetadata = "jwt"
        /// `exp`: tokens without an expiry are refused.
        public var fieldRequiredInToken = "exp"
        public var defaultVerificationType = OAuth.Verification.offline
        public var defaultOAuthPolicy = OAuth.Policy.strict
        public var providers: [String: OAuthProvider] = [:]
        /// Where a token's verification failure goes in the request's metadata (Envoy 1.26 and later).
        public var failedStatusInMetadata = "jwt_failure_reason"
        public var failedStatusInMetadataEnabled = true
    }

    public struct OAuthProvider: Hashable, Sendable {
        public var jwksUri = "http://localhost"
        /// The control plane creates the cluster that fetches the JWKS (`clusterName`, to the URI's host at
        /// `clusterPort`, TLS for https); otherwise `clusterName` must be one of the Envoy's clusters (a dependency).
        public var createCluster = false
        public var clusterName = ""
        public var clusterPort = 443
        public var cacheDuration: Duration = .seconds(300)
        public var connectionTimeout: Duration = .seconds(1)
        /// Ours: tokens must carry this `iss` (envoy-control trusts any issuer whose key is in the JWKS).
        public var issuer: String?
        /// Client name → the token field whose values client selectors match (`name:selector`).
        public var matchings: [String: String] = [:]

        /// The JWKS endpoint as a domain dependency (host, port, TLS), when the control plane creates its cluster.
        var jwksCluster: DomainDependency? {
            guard createCluster, let url = URL(string: jwksUri), let host = url.host else { return nil }
            return DomainDependency(host: host, port: clusterPort, tls: url.scheme == "https", explicitPort: true, settings: .init())
        }
    }
}

/// `proxy_settings.incoming.endpoints[].oauth`.
public struct OAuth: Hashable, Sendable {
    public var provider: String
    public var verification: Verification
    public var policy: Policy

    public enum Verification: String, Hashable, Sendable, CaseIterable {
        case offline
    }

    /// What a request without a valid token gets: `strict` 401 for a missing or bad token, `allowMissing` 401 only
    /// for a bad one, `allowMissingOrFailed` always passes (the payload is forwarded when valid).
    public enum Policy: String, Hashable, Sendable, CaseIterable {
        case strict
        case allowMissing
        case allowMissingOrFailed
    }
}

extension SnapshotProperties.JwtProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("forwardJwt", \.forwardJwt),
            .value("forwardPayloadHeader", \.forwardPayloadHeader),
            .value("payloadInMetadata", \.payloadInMetadata),
            .value("fieldRequiredInToken", \.fieldRequiredInToken),
            .anyCase("defaultVerificationType", \.defaultVerificationType),
            .anyCase("defaultOAuthPolicy", \.defaultOAuthPolicy),
            .value("providers", \.providers),
            .value("failedStatusInMetadata", \.failedStatusInMetadata),
            .value("failedStatusInMetadataEnabled", \.failedStatusInMetadataEnabled),
        ]
    }
}

extension SnapshotProperties.OAuthProvider: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("jwksUri", \.jwksUri),
            .value("createCluster", \.createCluster),
            .value("clusterName", \.clusterName),
            .value("clusterPort", \.clusterPort),
            .duration("cacheDuration", \.cacheDuration),
            .duration("connectionTimeout", \.connectionTimeout),
            .value("issuer", \.issuer),
            .value("matchings", \.matchings),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard let url = URL(string: jwksUri), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
            throw keys.invalid("jwksUri", "'\(jwksUri)' is not an http(s) URL")
        }
        guard !clusterName.isEmpty else { throw keys.invalid("clusterName", "a provider needs the cluster that reaches its JWKS") }
        guard (1...65535).contains(clusterPort) else { throw keys.invalid("clusterPort", "\(clusterPort) is not in 1-65535") }
    }
}

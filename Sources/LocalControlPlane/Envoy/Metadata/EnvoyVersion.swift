import EnvoyAPI

/// The Envoy's release (`node.user_agent_build_version`), for features older Envoys would reject as unknown fields.
public struct EnvoyVersion: Hashable, Sendable, Comparable {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// nil when the node does not say (load tools, very old Envoys): such a node gets neither feature.
    public init?(_ node: Envoy_Config_Core_V3_Node) {
        guard case .userAgentBuildVersion(let build)? = node.userAgentVersionType, build.hasVersion else { return nil }
        self.init(major: Int(build.version.majorNumber), minor: Int(build.version.minorNumber))
    }

    /// `failed_status_in_metadata` in the JWT filter (envoy-control's `MIN_ENVOY_VERSION_SUPPORTING_JWT_FAILURE_STATUS`).
    static let jwtFailureStatus = EnvoyVersion(major: 1, minor: 26)
    /// `ignore_http_11_upgrade` in HTTP/1 options.
    static let ignoreHttp11Upgrades = EnvoyVersion(major: 1, minor: 34)

    public static func < (lhs: EnvoyVersion, rhs: EnvoyVersion) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }
}

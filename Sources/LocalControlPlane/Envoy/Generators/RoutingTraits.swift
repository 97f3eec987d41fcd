import Foundation
import Shared

/// What routing features a service needs, from its instances (local and remote): the tags a request may
/// select with `x-service-tag`, and whether canary instances exist. Routes and subsets follow from it.
struct RoutingTraits: Hashable, Sendable {
    static let canaryTag = "canary"
    static let tagHeader = "x-service-tag"
    static let tagErrorHeader = "x-service-tag-error"
    static let canaryHeader = "x-canary"
    /// Metadata namespace Envoy's subset load balancer reads.
    static let subsetNamespace = "envoy.lb"

    var tags: [String]
    var hasCanary: Bool

    var usesSubsets: Bool { hasCanary || !tags.isEmpty }

    init(tags: [String] = [], hasCanary: Bool = false) {
        self.tags = tags
        self.hasCanary = hasCanary
    }

    init(instances: [ServiceInstance], routable: TagFilter) {
        tags = Set(instances.flatMap { routable.routableTags(of: $0) }).sorted()
        hasCanary = instances.contains { $0.tags.contains(Self.canaryTag) }
    }
}

/// Which instance tags can be selected with `x-service-tag` (`--routable-tags` regex; `canary` and `weight:N`
/// are never routable, they have their own meaning).
public struct TagFilter: Hashable, Sendable {
    public let pattern: String?
    private let regex: NSRegularExpression?

    /// Every tag is routable.
    public init() {
        pattern = nil
        regex = nil
    }

    /// Only tags that match `pattern` entirely are routable.
    public init(pattern: String) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: "^(?:\(pattern))$")
    }

    public static func == (lhs: TagFilter, rhs: TagFilter) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    func routableTags(of instance: ServiceInstance) -> [String] {
        instance.tags.filter { tag in
            guard tag != RoutingTraits.canaryTag, !tag.hasPrefix(ServiceInstance.weightTagPrefix) else { return false }
            guard let regex else { return true }
            return regex.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) != nil
        }
    }
}

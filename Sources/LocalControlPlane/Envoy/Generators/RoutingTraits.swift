import Foundation
import Shared

/// Which subsets Envoy's load balancer needs, from the server's settings: canary instances (`loadBalancing.canary`)
/// and service tags (`routing.serviceTags`, limited to `--routable-tags`). Nil parts are off.
struct SubsetRules: Hashable, Sendable {
    /// Metadata namespace Envoy's subset load balancer reads.
    static let namespace = "envoy.lb"
    static let canaryTag = "canary"
    static let canaryHeader = "x-canary"
    static let tagErrorHeader = "x-service-tag-error"

    var canary: SnapshotProperties.CanaryProperties?
    var tags: ServiceTagRouting?

    init(_ properties: SnapshotProperties, tagFilter: TagFilter) {
        canary = properties.loadBalancing.canary.enabled ? properties.loadBalancing.canary : nil
        tags = properties.routing.serviceTags.enabled ? ServiceTagRouting(properties.routing.serviceTags, filter: tagFilter) : nil
    }
}

/// What routing features a service needs, from its instances (local and remote): the tags a request may
/// select with `x-service-tag`, and whether canary instances exist. Routes and subsets follow from it.
struct RoutingTraits: Hashable, Sendable {
    var tags: [String]
    var hasCanary: Bool

    var usesSubsets: Bool { hasCanary || !tags.isEmpty }

    init(tags: [String] = [], hasCanary: Bool = false) {
        self.tags = tags
        self.hasCanary = hasCanary
    }

    init(service: String, instances: [ServiceInstance], rules: SubsetRules) {
        tags = rules.tags.map { tags in Set(instances.flatMap { tags.routingTags(service: service, of: $0) }).sorted() } ?? []
        hasCanary = rules.canary != nil && instances.contains { $0.tags.contains(SubsetRules.canaryTag) }
    }
}

/// Which instance tags can be selected with `x-service-tag` (`--routable-tags` regex; `canary` and `weight:N`
/// are never routable, they have their own meaning).
public struct TagFilter: Hashable, Sendable {
    public let pattern: String?
    private let regex: WholeTagRegex?

    /// Every tag is routable.
    public init() {
        pattern = nil
        regex = nil
    }

    /// Only tags that match `pattern` entirely are routable.
    public init(pattern: String) throws {
        self.pattern = pattern
        _ = try NSRegularExpression(pattern: pattern)  // refused here, with the reason
        regex = WholeTagRegex(pattern)
    }

    public static func == (lhs: TagFilter, rhs: TagFilter) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    func routableTags(of instance: ServiceInstance) -> [String] {
        instance.tags.filter { tag in
            guard tag != SubsetRules.canaryTag, !tag.hasPrefix(ServiceInstance.weightTagPrefix) else { return false }
            return regex?.matches(tag) ?? true
        }
    }
}

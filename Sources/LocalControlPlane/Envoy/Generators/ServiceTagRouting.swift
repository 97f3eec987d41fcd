import Foundation
import Shared

/// Which tags of an instance a request can select, per service (envoy-control's `ServiceTagMetadataGenerator`):
/// the tags `--routable-tags` allows and `routingExcludedTags` does not exclude, and, for services with
/// `allowedTagsCombinations`, the sorted comma-joined pairs and triples of them those combinations allow
/// (`x-service-tag: c32,v1.5`).
struct ServiceTagRouting: Hashable, Sendable {
    let properties: SnapshotProperties.ServiceTagsProperties
    let filter: TagFilter
    private let pairs: [String: [[WholeTagRegex]]]
    private let triples: [String: [[WholeTagRegex]]]
    /// `routingExcludedTags`, compiled once: tags are checked for every instance on every rebuild.
    private let excluded: [@Sendable (String) -> Bool]

    init(_ properties: SnapshotProperties.ServiceTagsProperties, filter: TagFilter) {
        self.properties = properties
        self.filter = filter
        var pairs: [String: [[WholeTagRegex]]] = [:]
        var triples: [String: [[WholeTagRegex]]] = [:]
        for combination in properties.allowedTagsCombinations {
            // Patterns in sorted order meet tags in sorted order, as envoy-control compares them.
            let patterns = combination.tags.sorted().map(WholeTagRegex.init)
            if patterns.count == 3 {
                triples[combination.serviceName, default: []].append(patterns)
                pairs[combination.serviceName, default: []] += [[patterns[0], patterns[1]], [patterns[0], patterns[2]], [patterns[1], patterns[2]]]
            } else {
                pairs[combination.serviceName, default: []].append(patterns)
            }
        }
        self.pairs = pairs
        self.triples = triples
        excluded = properties.routingExcludedTags.map { matcher -> @Sendable (String) -> Bool in
            let value = matcher.value
            switch matcher.type {
            case .prefix: return { tag in tag.hasPrefix(value) }
            case .exact: return { tag in tag == value }
            case .regex:
                let regex = WholeTagRegex(value)
                return { tag in regex.matches(tag) }
            }
        }
    }

    static func == (lhs: ServiceTagRouting, rhs: ServiceTagRouting) -> Bool {
        lhs.properties == rhs.properties && lhs.filter == rhs.filter
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(properties)
        hasher.combine(filter)
    }

    /// What routes for a tag no instance has ask for: no endpoint carries it.
    static let unroutableTag = ""

    func routingTags(service: String, of instance: ServiceInstance) -> [String] {
        let tags = filter.routableTags(of: instance).filter { tag in
            tag != Self.unroutableTag && !excluded.contains { $0(tag) }
        }
        guard let pairPatterns = pairs[service] else { return tags }
        let sorted = Array(Set(tags)).sorted()
        var joined: [String] = []
        var allowedPairs: [(String, String)] = []
        for (index, first) in sorted.enumerated() {
            for second in sorted[(index + 1)...] where pairPatterns.contains(where: { $0[0].matches(first) && $0[1].matches(second) }) {
                allowedPairs.append((first, second))
            }
        }
        joined += allowedPairs.map { "\($0.0),\($0.1)" }
        if let tripleList = triples[service] {
            for (first, second) in allowedPairs {
                for third in sorted where third > second
                    && tripleList.contains(where: { $0[0].matches(first) && $0[1].matches(second) && $0[2].matches(third) }) {
                    joined.append("\(first),\(second),\(third)")
                }
            }
        }
        return tags + joined
    }
}

/// A regex that must match a whole tag (`--routable-tags`, tag combinations, `REGEX` exclusions), compiled once.
/// Patterns are checked when the settings are read; one that does not compile matches nothing.
struct WholeTagRegex: @unchecked Sendable {
    let regex: NSRegularExpression?

    init(_ pattern: String) { regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") }

    func matches(_ tag: String) -> Bool {
        regex?.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) != nil
    }
}

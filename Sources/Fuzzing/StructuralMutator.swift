import Foundation

/// Mutates a decoded JSON tree rather than its bytes, so the result is still JSON but wrong in meaning: a value
/// of another type or out of range, a key missing or unknown, an element repeated. Reaches validation code that
/// byte damage rarely gets past the syntax to.
enum StructuralMutator {
    static var strings: [Any] { [
        "", "a", "dc1", "dc2", "backend", "bad name!", String(repeating: "x", count: 300), "10.0.0.1", "::1", "*",
        "../etc", "🙂", "0s", "-5s", "999999999h", "1e20s", "/[", "GET", "https://", "http://h:99999999999", "status_code:>=9999999999999", "NaN",
    ] }
    static var numbers: [Any] { [0, -1, 1, 127, 128, 65535, 65536, 4_294_967_296, Int.max, Int.min, 0.5, 1e300, -1e300] }
    static let keys = [
        "service_name", "ingress_port", "egress_port", "access_log_filter", "status_code_filter", "healthCheck", "domainPattern",
        "retryPolicy", "retryOn", "numberRetries", "paths", "rateLimit", "proxy_settings", "outgoing", "incoming",
        "dependencies", "service", "domain", "timeoutPolicy", "endpoints", "clients", "roles", "path", "pathPrefix",
        "pathRegex", "methods", "datacenter", "priority", "weight", "localWeight", "instances", "port", "address", "id",
        "tags", "meta", "version", "generation", "generatedBy", "services", "split", "failover", "crossDc", "staleAfter",
        "Node", "Service", "Checks", "Status", "Port", "Address", "Weights", "Passing", "bootId", "index", "unknown",
    ]

    static func mutate(_ tree: Any, _ random: inout FuzzRandom, depth: Int = 0) -> Any {
        // Walk down to a random node and change it; the chance to stop grows with depth.
        if depth > 0, random.chance(0.35) { return replacement(for: tree, &random) }
        switch tree {
        case var object as [String: Any]:
            guard let key = object.keys.sorted().randomElement(using: &random), random.chance(0.85) else {
                object[random.pick(keys)] = randomValue(&random, depth: 0)
                return object
            }
            switch Int.random(in: 0..<6, using: &random) {
            case 0: object[key] = nil
            case 1: object[random.pick(keys)] = object[key]
            default: object[key] = mutate(object[key]!, &random, depth: depth + 1)
            }
            return object
        case var array as [Any]:
            guard let index = array.indices.randomElement(using: &random) else { return [randomValue(&random, depth: 0)] }
            switch Int.random(in: 0..<5, using: &random) {
            case 0: array.remove(at: index)
            case 1: array.append(array[index])
            default: array[index] = mutate(array[index], &random, depth: depth + 1)
            }
            return array
        default:
            return replacement(for: tree, &random)
        }
    }

    private static func replacement(for value: Any, _ random: inout FuzzRandom) -> Any {
        random.chance(0.3) ? randomValue(&random, depth: 0) : random.pick(value is String ? strings : numbers + strings)
    }

    static func randomValue(_ random: inout FuzzRandom, depth: Int) -> Any {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 7), using: &random) {
        case 0: return random.pick(strings)
        case 1: return random.pick(numbers)
        case 2: return random.chance(0.5)
        case 3: return NSNull()
        case 4: return (0..<Int.random(in: 0...3, using: &random)).map { _ in randomValue(&random, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &random) { object[random.pick(keys)] = randomValue(&random, depth: depth + 1) }
            return object
        }
    }

    /// Parses `seed`, mutates the tree 1-3 times and serialises it again.
    static func mutateJSON(_ seed: String, _ random: inout FuzzRandom) -> [UInt8] {
        guard var tree = try? JSONSerialization.jsonObject(with: Data(seed.utf8), options: [.fragmentsAllowed]) else { return Array(seed.utf8) }
        for _ in 0..<Int.random(in: 1...3, using: &random) { tree = mutate(tree, &random) }
        return (try? JSONSerialization.data(withJSONObject: tree, options: [.fragmentsAllowed])).map(Array.init) ?? Array(seed.utf8)
    }
}

import Shared
import Yams

/// Reads the policy YAML, reporting every problem with its line, e.g. `line 4: services.payments.split.dc1: ...`.
public enum PolicyParser {
    public static func parse(_ text: String) throws(ConfigError) -> FederationPolicy {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(problems: ["\(error)"])
        }
        var reader = Reader()
        let policy = reader.policy(root)
        guard reader.problems.isEmpty else { throw ConfigError(problems: reader.problems) }
        return policy
    }

    private struct Reader {
        var problems: [String] = []

        mutating func policy(_ root: Node?) -> FederationPolicy {
            var policy = FederationPolicy()
            guard let root else { return policy }  // an empty file: all defaults
            guard let mapping = root.mapping else {
                fail(root, "policy", "must be a mapping")
                return policy
            }
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? ""
                switch key {
                case "staleAfter": policy.staleAfter = duration(value, key) ?? policy.staleAfter
                case "dropAfter": policy.dropAfter = isNull(value) ? nil : duration(value, key)
                case "defaults":
                    for (name, setting) in value.mapping ?? [:] {
                        if name.string == "failover" {
                            policy.defaultFailover = failover(setting, "defaults.failover")
                        } else {
                            fail(name, "defaults.\(name.string ?? "?")", "is not a setting (failover)")
                        }
                    }
                case "services":
                    guard let services = value.mapping else {
                        fail(value, key, "must be a mapping of service name to settings")
                        continue
                    }
                    for (name, settings) in services {
                        let service = name.string ?? ""
                        if !ServiceName.isValid(service) { fail(name, "services", "'\(service)' is not a valid service name") }
                        policy.services[service] = servicePolicy(settings, "services.\(service)")
                    }
                case "shrinkGuard": policy.shrinkGuard = shrinkGuard(value, key)
                default: fail(keyNode, key, "is not a policy setting (staleAfter, dropAfter, defaults, services, shrinkGuard)")
                }
            }
            if let drop = policy.dropAfter, drop <= policy.staleAfter {
                fail(root, "dropAfter", "must be longer than staleAfter")
            }
            return policy
        }

        mutating func servicePolicy(_ node: Node, _ path: String) -> FederationPolicy.ServicePolicy {
            var policy = FederationPolicy.ServicePolicy()
            guard let mapping = node.mapping else {
                fail(node, path, "must be a mapping (split, failover, crossDc)")
                return policy
            }
            for (keyNode, value) in mapping {
                switch keyNode.string ?? "" {
                case "split":
                    for (dc, weight) in value.mapping ?? [:] {
                        let datacenter = dc.string ?? ""
                        guard let share = weight.int, share >= 1 else {
                            fail(weight, "\(path).split.\(datacenter)", "must be a whole number of at least 1")
                            continue
                        }
                        policy.split[datacenter] = share
                    }
                    if value.mapping == nil { fail(value, "\(path).split", "must map datacenters to weights") }
                case "failover": policy.failover = failover(value, "\(path).failover")
                case "crossDc":
                    guard let flag = value.bool else {
                        fail(value, "\(path).crossDc", "must be true or false")
                        continue
                    }
                    policy.crossDc = flag
                default: fail(keyNode, "\(path).\(keyNode.string ?? "?")", "is not a service setting (split, failover, crossDc)")
                }
            }
            return policy
        }

        mutating func shrinkGuard(_ node: Node, _ path: String) -> FederationPolicy.ShrinkGuard {
            var shrinkGuard = FederationPolicy.ShrinkGuard()
            guard let mapping = node.mapping else {
                fail(node, path, "must be a mapping (maxLossPercent, minInstances, confirmAfter)")
                return shrinkGuard
            }
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? "?"
                switch key {
                case "maxLossPercent", "minInstances":
                    guard let number = value.int, number >= 0, key == "minInstances" || number <= 100 else {
                        fail(value, "\(path).\(key)", key == "minInstances" ? "must be a whole number" : "must be a whole number in 0...100")
                        continue
                    }
                    if key == "minInstances" { shrinkGuard.minInstances = number } else { shrinkGuard.maxLossPercent = number }
                case "confirmAfter": shrinkGuard.confirmAfter = duration(value, "\(path).confirmAfter") ?? shrinkGuard.confirmAfter
                default: fail(keyNode, "\(path).\(key)", "is not a shrinkGuard setting (maxLossPercent, minInstances, confirmAfter)")
                }
            }
            return shrinkGuard
        }

        mutating func failover(_ node: Node, _ path: String) -> FederationPolicy.FailoverOrder {
            if let list = node.sequence {
                return .init(everywhere: list.compactMap { datacenterName($0, path) })
            }
            guard let mapping = node.mapping else {
                fail(node, path, "must be a list of datacenters, or a map of destination datacenter to a list")
                return .init()
            }
            var perDestination: [String: [String]] = [:]
            for (destination, list) in mapping {
                let name = destination.string ?? ""
                guard let entries = list.sequence else {
                    fail(list, "\(path).\(name)", "must be a list of datacenters")
                    continue
                }
                perDestination[name] = entries.compactMap { datacenterName($0, "\(path).\(name)") }
            }
            return .init(perDestination: perDestination)
        }

        mutating func datacenterName(_ node: Node, _ path: String) -> String? {
            guard let name = node.string, ServiceName.isValid(name) else {
                fail(node, path, "'\(node.string ?? "?")' is not a datacenter name")
                return nil
            }
            return name
        }

        mutating func duration(_ node: Node, _ path: String) -> Duration? {
            guard let text = node.string, let duration = DurationText.parse(text) else {
                fail(node, path, "must be a duration like 60s or 5m")
                return nil
            }
            return duration
        }

        func isNull(_ node: Node) -> Bool {
            node.null != nil || node.string == "null" || node.string == "~"
        }

        mutating func fail(_ node: Node, _ path: String, _ reason: String) {
            problems.append("line \(node.mark?.line ?? 0): \(path): \(reason)")
        }
    }
}

import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Re-merges periodically (age alone can make a DC stale) and reloads the policy file when it changes;
/// an invalid edit is logged with its lines and the previous policy stays in force.
struct PolicyWatcher: Service {
    let core: AggregatorCore
    let policyFile: String?
    var interval: Duration = .seconds(2)
    private let logger = Logger(label: "aggregator.policy")

    init(core: AggregatorCore, policyFile: String?) {
        self.core = core
        self.policyFile = policyFile
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await watch() }
    }

    private func watch() async {
        var lastContent = policyFile.flatMap { FileManager.default.contents(atPath: $0) }
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            if let policyFile, let content = FileManager.default.contents(atPath: policyFile), content != lastContent {
                lastContent = content
                do {
                    let policy = try PolicyParser.parse(String(decoding: content, as: UTF8.self))
                    let unknown = policy.unknownDatacenterProblems(configured: core.datacenters.keys)
                    guard unknown.isEmpty else { throw ConfigError(problems: unknown) }
                    await core.updatePolicy(policy)
                } catch {
                    logger.error("policy edit rejected; keeping the previous policy", metadata: ["file": "\(policyFile)", "error": "\(error)"])
                }
            }
            await core.tick()
        }
    }
}

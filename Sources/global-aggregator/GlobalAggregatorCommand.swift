import ArgumentParser
import GlobalAggregator

/// `global-aggregator`: refuses to start until the federation pipeline exists, saying so plainly.
@main
struct GlobalAggregatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "global-aggregator", abstract: "Merge and push cross-DC endpoints (not built yet).")

    func run() throws {
        throw ValidationError(GlobalAggregator.status)
    }
}

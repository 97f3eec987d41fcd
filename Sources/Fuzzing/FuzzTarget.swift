/// What one fuzz case ended in. A refusal must say why; a violation is a broken invariant (the run fails).
public enum FuzzOutcome: Sendable, Equatable {
    case accepted
    case refused(String)
    case violation(String)
}

/// One input format and the code that reads it, exactly as the running process reads it.
public protocol FuzzTarget: Sendable {
    var name: String { get }
    /// The input of one case: a mutated seed (bytes or tree) or a hostile document.
    func input(_ random: inout FuzzRandom) -> [UInt8]
    func check(_ input: [UInt8]) async -> FuzzOutcome
}

extension FuzzTarget {
    /// Half the cases damage the tree (still JSON, wrong meaning), half the bytes (syntax, encoding, limits).
    func jsonInput(_ seed: String, _ random: inout FuzzRandom) -> [UInt8] {
        let tree = StructuralMutator.mutateJSON(seed, &random)
        return random.chance(0.5) ? tree : Mutator.mutate(random.chance(0.5) ? tree : Array(seed.utf8), &random)
    }

    /// A refusal counts only with a message that says something.
    func refused(_ error: any Error) -> FuzzOutcome {
        let message = "\(error)"
        return message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? .violation("refused without a message") : .refused(message)
    }
}

/// Every target, in the order `fuzz` runs them.
public enum FuzzTargets {
    public static func all() -> [any FuzzTarget] {
        [
            NodeMetadataFuzzTarget(), RemoteStateFuzzTarget(), DatacenterStateFuzzTarget(), YAMLFuzzTarget.registry,
            YAMLFuzzTarget.policy, ConsulAnswerFuzzTarget(),
        ]
    }
}

import Foundation
import Yams

/// `check-config`: every problem of a YAML configuration file, each with the line it is on — syntax, unknown
/// keys (a typo would otherwise be silently ignored), types and values.
public enum ConfigCheck {
    /// Files a configuration names (tokens, policy) that do not exist on this machine: reported as notes, since
    /// configs are usually checked away from the host that has them.
    public struct Result: Sendable {
        public var problems: [String]
        public var notes: [String]

        /// What `check-config` prints: notes, then errors, or `ok`.
        public func report(file: String) -> [String] {
            let lines = notes.map { "\(file): note: \($0)" } + problems.map { "\(file): error: \($0)" }
            return problems.isEmpty ? lines + ["\(file): ok"] : lines
        }
    }

    /// What both executables' `check-config` do: read `file`, check it, print the report. False on any problem.
    public static func run(file: String, check: (String) -> Result) -> Bool {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            print("\(file): error: cannot be read")
            return false
        }
        let result = check(text)
        result.report(file: file).forEach { print($0) }
        return result.problems.isEmpty
    }

    public static func check<Config: Decodable>(
        _ type: Config.Type, yaml text: String, knownKeys: Set<String>, fileKeys: Set<String>,
        validate: (Config, _ missingFiles: Set<String>) throws(ConfigError) -> Void
    ) -> Result {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            return Result(problems: ["syntax: \(error)"], notes: [])
        }
        let lines = keyLines(root)
        var problems: [String] = []
        for (key, line) in lines.sorted(by: { $0.value < $1.value }) where !knownKeys.contains(key) {
            problems.append("line \(line): \(key): unknown setting (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        let config: Config
        do {
            config = try YAMLDecoder().decode(type, from: text)
        } catch let error as DecodingError {
            return Result(problems: problems + [locate(ConfigFile.describe(error), lines)], notes: [])
        } catch {
            return Result(problems: problems + ["\(error)"], notes: [])
        }
        var notes: [String] = []
        var missing = Set<String>()
        for key in fileKeys.sorted() {
            guard let path = root?.mapping?[key]?.string, !FileManager.default.fileExists(atPath: path) else { continue }
            missing.insert(key)
            notes.append(locate("\(key): \(path) does not exist here (not checked)", lines))
        }
        do {
            try validate(config, missing)
        } catch {
            problems += error.problems.map { locate($0, lines) }
        }
        return Result(problems: problems, notes: notes)
    }

    /// Top-level key → its line (1-based).
    private static func keyLines(_ root: Node?) -> [String: Int] {
        var lines: [String: Int] = [:]
        for (key, _) in root?.mapping ?? [:] {
            if let name = key.string { lines[name] = key.mark?.line ?? 0 }
        }
        return lines
    }

    /// Prefixes "line N: " when the problem starts with a known top-level key.
    private static func locate(_ problem: String, _ lines: [String: Int]) -> String {
        let key = problem.prefix { $0.isLetter || $0.isNumber }
        guard let line = lines[String(key)] else { return problem }
        return "line \(line): \(problem)"
    }
}

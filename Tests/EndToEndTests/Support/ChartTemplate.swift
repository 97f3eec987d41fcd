import Foundation
import Yams

/// Renders the Helm chart's templates without a helm binary (none is installable here) for the constructs the chart
/// restricts itself to: `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `| quote`, `toYaml X | nindent N`,
/// `if` / `if not` / `else` / `end`, and `{{-` / `-}}` whitespace trimming, with Go template semantics. Anything else
/// throws, so a template that outgrows the subset fails the test instead of rendering wrongly.
struct ChartTemplate {
    struct Unsupported: Error, CustomStringConvertible {
        let action: String
        var description: String { "unsupported template action {{ \(action) }}" }
    }

    let values: [String: Any]
    let releaseName: String

    func render(_ template: String) throws -> String {
        var output = ""
        // Each frame: whether its branch is being written.
        var frames: [(active: Bool, taken: Bool)] = []
        var rest = Substring(template)
        var writing: Bool { frames.allSatisfy(\.active) }
        while let open = rest.range(of: "{{") {
            var text = rest[..<open.lowerBound]
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else { break }
            var action = rest[open.upperBound..<close.lowerBound]
            if action.hasPrefix("-") {
                action = action.dropFirst()
                text = Substring(String(text).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
            }
            var trimAfter = false
            if action.hasSuffix("-") {
                action = action.dropLast()
                trimAfter = true
            }
            if writing { output += text }
            rest = rest[close.upperBound...]
            if trimAfter { rest = rest.drop { $0.isWhitespace } }
            let words = action.split(separator: " ").map(String.init)
            switch words.first {
            case "if":
                let condition = words.count == 3 && words[1] == "not" ? !truthy(try lookup(words[2])) : truthy(try lookup(words[1]))
                frames.append((writing && condition, condition))
            case "else":
                guard let frame = frames.popLast() else { throw Unsupported(action: String(action)) }
                frames.append((writing && !frame.taken, true))
            case "end":
                guard frames.popLast() != nil else { throw Unsupported(action: String(action)) }
            case "toYaml":
                guard words.count == 5, words[2] == "|", words[3] == "nindent", let indent = Int(words[4]) else {
                    throw Unsupported(action: String(action))
                }
                if writing {
                    let yaml = try Yams.dump(object: try lookup(words[1])).trimmingCharacters(in: .newlines)
                    let pad = String(repeating: " ", count: indent)
                    output += "\n" + yaml.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
                }
            default:
                guard words.count == 1 || (words.count == 3 && words[1] == "|" && words[2] == "quote") else {
                    throw Unsupported(action: String(action))
                }
                if writing {
                    let value = "\(try lookup(words[0]) ?? "")"
                    output += words.count == 3 ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
                }
            }
        }
        return output + rest
    }

    private func lookup(_ path: String) throws -> Any? {
        if path == ".Release.Name" { return releaseName }
        guard path.hasPrefix(".Values.") else { throw Unsupported(action: path) }
        var value: Any? = values
        for key in path.dropFirst(".Values.".count).split(separator: ".") {
            value = (value as? [String: Any])?[String(key)]
        }
        return value
    }

    private func truthy(_ value: Any?) -> Bool {
        switch value {
        case nil: false
        case let bool as Bool: bool
        case let string as String: !string.isEmpty
        case let number as Int: number != 0
        case let list as [Any]: !list.isEmpty
        case let map as [String: Any]: !map.isEmpty
        default: true
        }
    }
}

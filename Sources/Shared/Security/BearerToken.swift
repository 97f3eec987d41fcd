import Foundation

/// Bearer tokens: read from files (never from flags, so they stay out of `ps`), compared in constant time.
public enum BearerToken {
    public static func read(file path: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(problems: ["token file \(path): cannot be read"])
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ConfigError(problems: ["token file \(path): is empty"]) }
        return token
    }

    /// The token in the file a config key names (nil when the key is unset); a failure becomes a problem of that key.
    public static func read(file path: String?, key: String, problems: inout [String]) -> String? {
        guard let path else { return nil }
        do {
            return try read(file: path)
        } catch {
            problems += error.problems.map { "\(key): \($0)" }
            return nil
        }
    }

    /// True when an `Authorization` header value carries exactly `expected` as its bearer token.
    public static func authorizes(_ header: String?, _ expected: String) -> Bool {
        guard let presented = from(header) else { return false }
        return matches(presented, expected)
    }

    /// The token of an `Authorization: Bearer …` header value.
    public static func from(_ header: String?) -> String? {
        guard let header, header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    public static func matches(_ presented: String, _ expected: String) -> Bool {
        let lhs = Array(presented.utf8)
        let rhs = Array(expected.utf8)
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<rhs.count {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ rhs[index]
        }
        return difference == 0
    }
}

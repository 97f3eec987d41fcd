import Foundation
import SwiftProtobuf
import Testing

@testable import LocalControlPlane

/// Compares generated resources with readable JSON files in `Golden/`.
/// Run with `UPDATE_GOLDEN=1` to rewrite them after an intended change, then review the diff.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden")

    static func check(_ messages: [any SwiftProtobuf.Message], named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        EnvoyTypeRegistry.registerForJSON()
        let objects = try messages.map { message in
            try JSONSerialization.jsonObject(with: Data(message.jsonString().utf8))
        }
        let actual = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        let file = directory.appendingPathComponent("\(name).json")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(to: file)
            return
        }
        let expected = try Data(contentsOf: file)
        let normalizedExpected = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(with: expected), options: [.prettyPrinted, .sortedKeys])
        #expect(
            String(decoding: actual, as: UTF8.self) == String(decoding: normalizedExpected, as: UTF8.self),
            "generated \(name) differs from Golden/\(name).json", sourceLocation: sourceLocation)
    }
}

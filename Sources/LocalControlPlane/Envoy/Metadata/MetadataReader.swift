import Shared
import SwiftProtobuf

/// Reads typed values out of an Envoy node's metadata `Struct`, naming the exact field in every error.
struct MetadataReader {
    let path: String
    let value: Google_Protobuf_Value

    init(path: String, value: Google_Protobuf_Value) {
        self.path = path
        self.value = value
    }

    init(path: String, structValue: Google_Protobuf_Struct) {
        var value = Google_Protobuf_Value()
        value.structValue = structValue
        self.init(path: path, value: value)
    }

    var isNull: Bool {
        if case .nullValue = value.kind { return true }
        return value.kind == nil
    }

    func child(_ key: String) throws(NodeMetadataError) -> MetadataReader? {
        guard case .structValue(let object) = value.kind else { throw error("must be an object") }
        guard let found = object.fields[key] else { return nil }
        let reader = MetadataReader(path: "\(path).\(key)", value: found)
        return reader.isNull ? nil : reader
    }

    func elements() throws(NodeMetadataError) -> [MetadataReader] {
        guard case .listValue(let list) = value.kind else { throw error("must be a list") }
        return list.values.enumerated().map { MetadataReader(path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    func string() throws(NodeMetadataError) -> String {
        guard case .stringValue(let text) = value.kind else { throw error("must be a string") }
        return text
    }

    func bool() throws(NodeMetadataError) -> Bool {
        switch value.kind {
        case .boolValue(let flag): return flag
        case .stringValue("true"): return true
        case .stringValue("false"): return false
        default: throw error("must be true or false")
        }
    }

    /// A TCP port, written as a number or as a numeric string (both occur in Envoy bootstraps).
    func port() throws(NodeMetadataError) -> Int {
        let number: Double?
        switch value.kind {
        case .numberValue(let value): number = value
        case .stringValue(let text): number = Double(text)
        default: number = nil
        }
        guard let number, number.rounded() == number, (1...65535).contains(number) else {
            throw error("must be a port number between 1 and 65535")
        }
        return Int(number)
    }

    /// A whole number in `range`, written as a number (protobuf Struct has only doubles).
    func integer(in range: ClosedRange<Int>) throws(NodeMetadataError) -> Int {
        guard case .numberValue(let number) = value.kind, number.rounded() == number,
              Double(range.lowerBound) <= number, number <= Double(range.upperBound)
        else { throw error("must be a whole number between \(range.lowerBound) and \(range.upperBound)") }
        return Int(number)
    }

    func duration() throws(NodeMetadataError) -> Duration {
        let text = try string()
        guard let duration = DurationText.parse(text) else {
            throw error("'\(text)' is not a duration (like 250ms, 2s, 1m)")
        }
        return duration
    }

    func stringList() throws(NodeMetadataError) -> [String] {
        var strings: [String] = []
        for element in try elements() {
            strings.append(try element.string())
        }
        return strings
    }

    func error(_ reason: String) -> NodeMetadataError {
        NodeMetadataError(field: path, reason: reason)
    }
}

/// Why an Envoy's node metadata was refused: the stream is closed with `INVALID_ARGUMENT` and this text.
public struct NodeMetadataError: Error, Hashable, CustomStringConvertible {
    public let field: String
    public let reason: String
    public var description: String { "invalid node metadata: \(field) \(reason)" }
}

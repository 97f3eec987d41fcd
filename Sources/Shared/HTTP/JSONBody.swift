import Foundation
import Hummingbird

/// JSON responses with one encoder configuration for both servers' APIs.
public enum JSONBody {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func error(_ message: String, status: HTTPResponse.Status) -> Response {
        // A [String: String] always encodes.
        (try? response(["error": message], status: status)) ?? Response(status: status)
    }
}

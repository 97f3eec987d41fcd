import Foundation
import Testing

@testable import Shared

/// What JSONDecoder alone would accept or mishandle at a trust boundary is refused, and the refusal says where.
@Suite("Strict JSON at trust boundaries")
struct StrictJSONTests {
    struct Body: Decodable, Equatable { var name: String; var port: Int }

    @Test("a valid body decodes")
    func valid() throws {
        #expect(try StrictJSON.decode(Body.self, from: Data(#"{"name": "a\"b", "port": 80, "x": [1, -2.5e3, true, null, {}]}"#.utf8)) == Body(name: "a\"b", port: 80))
        #expect(try StrictJSON.decode(Body.self, from: Data(#"{"name": "zürich ✓", "port": -123456789012345678}"#.utf8)) == Body(name: "zürich ✓", port: -123456789012345678))
    }

    @Test("refused with a message naming the problem", arguments: [
        (#"{"name": "a", "name": "b", "port": 1}"#, "duplicate key \"name\""),
        (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "nested deeper than 32 levels"),
        (#"{"name": "a", "port": 123456789012345678901234567890}"#, "number longer than 24 characters"),
        (#"{"name": "a", "port": 1} x"#, "unexpected data after the document"),
        (#"{"name": "a\q", "port": 1}"#, "invalid escape"),
        (#"{"name": "a", "port": 1"#, "unterminated object"),
        (#"{"name": "a", "port": "80"}"#, "port"),
        (#"{"name": "a", "port": 1e400}"#, "not a number in range at byte 22"),
        (#"{"name": "a", "port": 1-2}"#, "not a number in range"),
        (#"{"name": "a", "port": -}"#, "not a number in range"),
        (#"{"name": "a", "port": 12-}"#, "not a number in range"),
        (#"{"name": "a", "port": 99999999999999999999}"#, "integer out of the 64-bit range at byte 22"),
        (#"{"name": "a", "port": 9999999999999999999}"#, "a number does not fit the integer field"),
        ("", "unexpected end of document"),
    ])
    func refused(body: String, message: String) {
        #expect {
            try StrictJSON.decode(Body.self, from: Data(body.utf8))
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: StrictJSON.Refusal("body is not valid UTF-8")) {
            try StrictJSON.decode(Body.self, from: Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))
        }
        #expect(throws: StrictJSON.Refusal("body is not valid UTF-8")) {  // a multi-byte character cut short
            try StrictJSON.decode(Body.self, from: Data([0x7B, 0x22, 0x6E, 0x22, 0x3A, 0x22, 0xC3, 0x22, 0x7D]))
        }
    }
}

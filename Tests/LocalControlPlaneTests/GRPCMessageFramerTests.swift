import NIOCore
import Testing

@testable import LocalControlPlane

/// gRPC's message framing as the xDS server reads and writes it: messages split over DATA frames, several in one,
/// the limits, and the wire form of a response.
@Suite("gRPC message framing")
struct GRPCMessageFramerTests {
    private func framed(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        let length = UInt32(payload.count)
        return [compressed ? 1 : 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
    }

    private func messages(_ framer: inout GRPCMessageFramer) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        while let message = try framer.nextMessage() { messages.append(Array(message.readableBytesView)) }
        return messages
    }

    @Test("a message split over frames comes out whole once its last byte arrives; two in one frame come out in order")
    func splitAndJoined() throws {
        var framer = GRPCMessageFramer(maxMessageLength: 100)
        let first = framed(Array(1...10))
        framer.append(ByteBuffer(bytes: first[..<3]))
        #expect(try messages(&framer).isEmpty, "the prefix is not complete")
        framer.append(ByteBuffer(bytes: first[3..<9]))
        #expect(try messages(&framer).isEmpty, "the payload is not complete")
        framer.append(ByteBuffer(bytes: first[9...] + framed([]) + framed([42, 43])))
        #expect(try messages(&framer) == [Array(1...10), [], [42, 43]])
        #expect(try framer.nextMessage() == nil)
    }

    @Test("a compressed message and one over the limit are refused with gRPC's codes")
    func refusals() {
        var compressed = GRPCMessageFramer(maxMessageLength: 100)
        compressed.append(ByteBuffer(bytes: framed([1], compressed: true)))
        #expect(throws: GRPCMessageFramer.FramingError.compressed) { try compressed.nextMessage() }
        #expect(GRPCMessageFramer.FramingError.compressed.status == .unimplemented)

        var large = GRPCMessageFramer(maxMessageLength: 4)
        large.append(ByteBuffer(bytes: framed([1, 2, 3, 4, 5])))
        #expect(throws: GRPCMessageFramer.FramingError.tooLarge(5)) { try large.nextMessage() }
        #expect(GRPCMessageFramer.FramingError.tooLarge(5).status == .resourceExhausted)
    }

    @Test("a response is the prefix, the shared body and the stream's nonce field")
    func responseFrame() {
        let response = EncodedResponse(type: .cluster, body: [0x0A, 0x01, 0x78], nonce: "7")
        let frame = GRPCMessageFramer.frame(response, allocator: ByteBufferAllocator())
        #expect(Array(frame.readableBytesView) == framed([0x0A, 0x01, 0x78, 0x2A, 0x01, UInt8(ascii: "7")]))
    }

    @Test("grpc-message keeps printable ASCII and percent-encodes '%' and every other byte")
    func percentEncoding() {
        #expect(GRPCMessageFramer.percentEncoded("bad node: x") == "bad node: x")
        #expect(GRPCMessageFramer.percentEncoded("100% é\n") == "100%25 %C3%A9%0A")
    }
}

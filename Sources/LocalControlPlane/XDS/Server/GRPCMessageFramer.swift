import GRPCCore
import NIOCore

/// gRPC's framing of messages on an HTTP/2 stream, by hand: a compressed flag (one byte), a 4-byte big-endian
/// length, the message. Collects DATA frames and hands out whole messages; frames a response for writing.
struct GRPCMessageFramer {
    enum FramingError: Error, Equatable, CustomStringConvertible {
        case compressed
        case tooLarge(Int)

        var description: String {
            switch self {
            case .compressed: "compressed messages are not accepted (no grpc-encoding was offered)"
            case .tooLarge(let length): "a message of \(length) bytes is over the limit"
            }
        }

        /// The status gRPC gives each.
        var status: Status.Code {
            switch self {
            case .compressed: .unimplemented
            case .tooLarge: .resourceExhausted
            }
        }
    }

    static let prefixLength = 5
    let maxMessageLength: Int
    private var pending: ByteBuffer?

    init(maxMessageLength: Int) {
        self.maxMessageLength = maxMessageLength
    }

    /// Takes a DATA frame's bytes.
    mutating func append(_ bytes: ByteBuffer) {
        if pending == nil {
            pending = bytes
        } else {
            pending!.writeImmutableBuffer(bytes)
        }
    }

    /// The next whole message, or nil until more bytes arrive.
    mutating func nextMessage() throws -> ByteBuffer? {
        guard var buffer = pending, buffer.readableBytes >= Self.prefixLength,
              let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self).map(Int.init) else { return nil }
        guard flag == 0 else { throw FramingError.compressed }
        guard length <= maxMessageLength else { throw FramingError.tooLarge(length) }
        guard buffer.readableBytes >= Self.prefixLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: Self.prefixLength)
        let message = buffer.readSlice(length: length)
        // A drained buffer is let go, so the next frame is taken as it is rather than copied onto it.
        pending = buffer.readableBytes == 0 ? nil : buffer
        return message
    }

    /// `response` as one gRPC message: the prefix, the shared body and this stream's nonce, in one buffer.
    static func frame(_ response: EncodedResponse, allocator: ByteBufferAllocator) -> ByteBuffer {
        let nonceField = response.nonceField
        let length = response.body.count + nonceField.count
        var buffer = allocator.buffer(capacity: prefixLength + length)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(length))
        buffer.writeBytes(response.body)
        buffer.writeBytes(nonceField)
        return buffer
    }

    /// A `grpc-message` value: printable ASCII but '%' as it is, every other UTF-8 byte as %XX (gRPC's HTTP/2 spec).
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if (0x20...0x7E).contains(byte), byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}

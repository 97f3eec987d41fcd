import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// One gRPC call of the xDS server on an HTTP/2 stream: its headers, its messages (gRPC's length-prefixed framing)
/// and the status that ends it, written here directly on swift-nio-http2. The call itself (`XDSCall`) runs on the
/// stream's event loop: a request is decoded, answered and written in the read that brought it, and the answers of
/// one read go out in one flush. grpc-swift's server put a task, two async sequences and a state machine between
/// each message and the socket, which cost more than half of a response's CPU (docs/PERFORMANCE.md).
public final class XDSStreamHandler: ChannelInboundHandler {
    public typealias InboundIn = HTTP2Frame.FramePayload
    public typealias OutboundOut = HTTP2Frame.FramePayload

    /// The call a request's `:path` names, or nil when this server does not serve it.
    public typealias CallFactory = (_ path: String, _ stream: XDSStreamHandler) -> (any XDSCall)?

    /// The largest request accepted (an Envoy's node with big metadata stays far below it).
    static let maxRequestLength = 16 * 1024 * 1024

    private let makeCall: CallFactory
    private var context: ChannelHandlerContext?
    private var call: (any XDSCall)?
    private var framer = GRPCMessageFramer(maxMessageLength: maxRequestLength)
    private var finished = false
    private var unflushed = false

    public init(makeCall: @escaping CallFactory) {
        self.makeCall = makeCall
    }

    /// The stream's event loop, where its call runs.
    public private(set) var eventLoop: (any EventLoop)!

    /// The HTTP/2 connection the stream belongs to (its TLS handler knows the peer).
    public var connection: (any Channel)? { context?.channel.parent }

    /// False while HTTP/2 flow control holds the stream's writes back.
    public var isWritable: Bool { context?.channel.isWritable ?? false }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        eventLoop = context.eventLoop
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        end()
        self.context = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if call == nil { open(headers.headers, context: context) }
            if headers.endStream { finish(nil) }
        case .data(let frame):
            guard case .byteBuffer(let bytes) = frame.data, let call else { return }
            framer.append(bytes)
            do {
                while !finished, let message = try framer.nextMessage() { try call.receive(Array(message.readableBytesView)) }
            } catch let error as GRPCMessageFramer.FramingError {
                finish(RPCError(code: RPCError.Code(error.status) ?? .invalidArgument, message: error.description))
            } catch let error as RPCError {
                finish(error)
            } catch {
                finish(RPCError(code: .invalidArgument, message: "\(error)"))
            }
            if frame.endStream { finish(nil) }
        default:
            break
        }
    }

    /// Every answer of one read goes out in one flush.
    public func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { call?.resumed() }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    /// Queues one response; `flush()` sends what is queued.
    public func write(_ response: EncodedResponse) {
        guard !finished, let context else { return }
        let message = GRPCMessageFramer.frame(response, allocator: context.channel.allocator)
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(message)))), promise: nil)
        unflushed = true
    }

    /// Sends what `write` queued; nothing when nothing was (a snapshot that changed nothing this stream follows).
    public func flush() {
        guard unflushed else { return }
        unflushed = false
        context?.flush()
    }

    /// Ends the call with trailers: OK for nil, else the error's code and message.
    public func finish(_ error: RPCError?) {
        guard !finished, let context else { return }
        var trailers: HPACKHeaders = ["grpc-status": "\(error?.code.rawValue ?? 0)"]
        if let error { trailers.add(name: "grpc-message", value: GRPCMessageFramer.percentEncoded(error.message)) }
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
        unflushed = false
        end()
    }

    private func open(_ headers: HPACKHeaders, context: ChannelHandlerContext) {
        guard let path = headers.first(name: ":path"), let call = makeCall(path, self) else {
            // Trailers-only, as gRPC answers a method it does not serve.
            let trailers: HPACKHeaders = [
                ":status": "200", "content-type": "application/grpc", "grpc-status": "\(RPCError.Code.unimplemented.rawValue)",
            ]
            context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
            finished = true
            return
        }
        self.call = call
        context.write(wrapOutboundOut(.headers(.init(headers: [":status": "200", "content-type": "application/grpc"]))), promise: nil)
        unflushed = true
    }

    private func end() {
        finished = true
        call?.close()
        call = nil
    }
}

/// One gRPC call as the stream handler drives it, on the stream's event loop.
public protocol XDSCall: AnyObject {
    /// One request message; a thrown `RPCError` ends the call with its status.
    func receive(_ message: [UInt8]) throws
    /// Flow control lets the stream take writes again.
    func resumed()
    /// The call is over (its stream closed or it finished); called once.
    func close()
}

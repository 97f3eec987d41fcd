import EnvoyAPI
import GRPCCore
import LocalControlPlane
import NIOCore
import NIOHPACK
import NIOHTTP2

/// One ADS call of the direct floor on its HTTP/2 stream channel: gRPC's headers, framing and status written by
/// hand, then the same answers as `FloorADSService`. Requests are read, answered and written on the stream's event
/// loop, and pushes hop onto it once: no task, no async sequence, no state machine per message.
final class DirectADSStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    static let sotwPath = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
    static let deltaPath = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"

    private enum Call {
        case sotw, delta

        var isDelta: Bool { self == .delta }
    }

    private let resources: FloorResources
    private let streams: FloorStreams
    private var context: ChannelHandlerContext?
    private var call: Call?
    private var framer = GRPCMessageFramer(maxMessageLength: 16 * 1024 * 1024)
    private var state = FloorStreamState()
    private var registration: Int?
    private var finished = false
    private var unflushed = false

    init(resources: FloorResources, streams: FloorStreams) {
        self.resources = resources
        self.streams = streams
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        leave()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if call == nil { open(headers.headers, context: context) }
            if headers.endStream { finish(.ok, message: nil, context: context) }
        case .data(let frame):
            guard case .byteBuffer(let bytes) = frame.data, let call else { return }
            framer.append(bytes)
            do {
                while let message = try framer.nextMessage() { try read(message, call: call, context: context) }
            } catch let error as GRPCMessageFramer.FramingError {
                finish(error.status, message: error.description, context: context)
                return
            } catch {
                finish(.invalidArgument, message: "\(error)", context: context)
                return
            }
            if frame.endStream { finish(.ok, message: nil, context: context) }
        default:
            break
        }
    }

    /// Every request of one read is answered before a single flush.
    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    private func open(_ headers: HPACKHeaders, context: ChannelHandlerContext) {
        switch headers.first(name: ":path") {
        case Self.sotwPath: call = .sotw
        case Self.deltaPath: call = .delta
        default:
            // Trailers-only, as gRPC answers a method it does not serve.
            let trailers: HPACKHeaders = [":status": "200", "content-type": "application/grpc", "grpc-status": "\(Status.Code.unimplemented.rawValue)"]
            context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
            finished = true
            return
        }
        context.write(wrapOutboundOut(.headers(.init(headers: [":status": "200", "content-type": "application/grpc"]))), promise: nil)
        unflushed = true
    }

    private func read(_ message: ByteBuffer, call: Call, context: ChannelHandlerContext) throws {
        let bytes = Array(message.readableBytesView)
        // The node's field number differs between the variants (2 in DiscoveryRequest, 1 in the delta request).
        let request = call.isDelta
            ? try NodeDeferringDeserializer<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest>(nodeField: 1).deserialize(bytes).floorRequest
            : try NodeDeferringDeserializer<Envoy_Service_Discovery_V3_DiscoveryRequest>(nodeField: 2).deserialize(bytes).floorRequest
        let response = state.answer(request, resources: resources, delta: call.isDelta) { group in
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            registration = streams.add({ push in handler.eventLoop.execute { handler.value.deliver(push) } }, group: group)
        }
        if let response { write(response, context: context) }
    }

    private func deliver(_ push: FloorResources.Push) {
        guard !finished, let context, let call, let response = state.answer(push, delta: call.isDelta) else { return }
        write(response, context: context)
        context.flush()
    }

    private func write(_ response: EncodedResponse, context: ChannelHandlerContext) {
        let message = GRPCMessageFramer.frame(response, allocator: context.channel.allocator)
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(message)))), promise: nil)
        unflushed = true
    }

    /// Trailers with the status end the call.
    private func finish(_ code: Status.Code, message: String?, context: ChannelHandlerContext) {
        var trailers: HPACKHeaders = ["grpc-status": "\(code.rawValue)"]
        if let message { trailers.add(name: "grpc-message", value: message) }
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
        unflushed = false
        finished = true
        leave()
    }

    private func leave() {
        if let group = state.group, let registration { streams.remove(registration, group: group) }
        registration = nil
    }
}

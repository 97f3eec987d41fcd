import GRPCCore
import LocalControlPlane

/// Writes `EncodedResponse`s to grpc-swift as they are (the floor on grpc-swift's server): no message is built or
/// serialised per stream. The control plane's own transport frames them itself (`GRPCMessageFramer`).
struct EncodedResponseSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: EncodedResponse) throws -> Bytes { Bytes(message.bytes) }
}

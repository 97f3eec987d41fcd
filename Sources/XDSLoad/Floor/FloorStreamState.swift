import LocalControlPlane

/// What one floor stream remembers and decides, the same whichever transport carries it: its group (from its
/// first node), the nonces it handed out, and whether it has subscribed to endpoints (pushes are endpoint changes).
/// Each first request of a type (no nonce) gets the group's body; ACKs get nothing.
struct FloorStreamState {
    private(set) var group: Int?
    private var nonce = 0
    private var sentEndpoints = false

    /// The answer to `request`, if any. `joined` is called once, with the group, when the stream's node names one.
    mutating func answer(
        _ request: FloorRequest, resources: FloorResources, delta: Bool, joined: (Int) -> Void
    ) -> EncodedResponse? {
        if group == nil, let node = request.node() {
            group = Int(node.cluster.dropFirst("app-".count)).map { $0 % resources.scenario.groups }
            if let group { joined(group) }
        }
        guard let group, request.nonce.isEmpty, let type = ResourceType(rawValue: request.typeURL) else { return nil }
        sentEndpoints = sentEndpoints || type == .endpoint
        return response(type, body: resources.body(group: group, type: type, delta: delta))
    }

    /// The push of a changed endpoint body, once the stream follows endpoints.
    mutating func answer(_ push: FloorResources.Push, delta: Bool) -> EncodedResponse? {
        guard sentEndpoints else { return nil }
        return response(.endpoint, body: delta ? push.deltaBody : push.sotwBody)
    }

    private mutating func response(_ type: ResourceType, body: [UInt8]) -> EncodedResponse {
        nonce += 1
        return EncodedResponse(type: type, body: body, nonce: String(nonce))
    }
}

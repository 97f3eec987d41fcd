import Foundation

/// A DC state's JSON from its services' JSON, each kept and reused while the service is unchanged (`SplicedJSON`):
/// a DC of 40,000 instances is megabytes of JSON, and a change alters one service. One encoder per DC's stream of
/// states (the control plane's `/v1/state` bodies, the aggregator's stored state of each DC).
public struct DatacenterStateEncoder: Sendable {
    private var services: [String: (service: WireService, json: Data)] = [:]

    public init() {}

    /// What `JSONEncoder` with sorted keys writes for `state`.
    public mutating func encode(_ state: DatacenterState) throws -> Data {
        var encoded: [String: (service: WireService, json: Data)] = [:]
        let elements = try state.services.map { service in
            let json = try services[service.name].flatMap { $0.service == service ? $0.json : nil } ?? SplicedJSON.encode(service)
            encoded[service.name] = (service, json)
            return json
        }
        services = encoded
        var envelope = state
        envelope.services = []
        return try SplicedJSON.array(envelope, key: "services", elements: elements)
    }
}

import Foundation

/// JSON documents holding a remote state, written from parts encoded earlier. At 20 DCs × 2,000 services × 20
/// instances a state is ~75 MB of JSON; `JSONEncoder` takes tens of seconds and over a gigabyte of intermediate
/// values for it, while a one-instance change alters a few kilobytes. So the parts that repeat (a service's JSON in
/// the remote-state file, a source DC's instance list in every destination's push) are encoded once and spliced.
/// What is written is what `JSONEncoder` with sorted keys writes; it decodes with plain `JSONDecoder`.
public enum RemoteStateJSON {
    /// `envelope` (a document whose one remote state has no services) with that state's `"services":{}` replaced
    /// by `services`: name → the JSON of its `RemoteService`, written in name order.
    public static func splice<Envelope: Encodable>(_ envelope: Envelope, services: [String: Data]) throws -> Data {
        let encoder = sortedEncoder
        let frame = try encoder.encode(envelope)
        // With sorted keys the state's empty services are the one `"services":{}`: the byte sequence needs the quote
        // after `services` unescaped, so it cannot occur inside a JSON string.
        guard let slot = frame.range(of: emptyServices) else { throw CocoaError(.coderInvalidValue) }
        var document = Data(capacity: frame.count + services.values.reduce(0) { $0 + $1.count + 64 })
        document.append(frame[..<slot.lowerBound])
        document.append(contentsOf: #""services":{"#.utf8)
        for (position, name) in services.keys.sorted().enumerated() {
            if position > 0 { document.append(UInt8(ascii: ",")) }
            document.append(try encoder.encode(name))
            document.append(UInt8(ascii: ":"))
            document.append(services[name]!)
        }
        document.append(UInt8(ascii: "}"))
        document.append(frame[slot.upperBound...])
        return document
    }

    /// The JSON of a `RemoteService` whose localities' instance lists are already encoded (`instanceLists[i]` is
    /// the JSON of `service.localities[i].instances`).
    public static func service(_ service: RemoteService, instanceLists: [Data], datacenterNames: inout [String: Data]) throws -> Data {
        var json = Data()
        json.append(contentsOf: "{".utf8)
        if let localWeight = service.localWeight { json.append(contentsOf: #""localWeight":\#(localWeight),"#.utf8) }
        json.append(contentsOf: #""localities":["#.utf8)
        for (position, locality) in service.localities.enumerated() {
            if position > 0 { json.append(UInt8(ascii: ",")) }
            let name: Data
            if let known = datacenterNames[locality.datacenter] {
                name = known
            } else {
                name = try sortedEncoder.encode(locality.datacenter)
                datacenterNames[locality.datacenter] = name
            }
            json.append(contentsOf: #"{"datacenter":"#.utf8)
            json.append(name)
            json.append(contentsOf: #","instances":"#.utf8)
            json.append(instanceLists[position])
            json.append(contentsOf: #","priority":\#(locality.priority)"#.utf8)
            if let weight = locality.weight { json.append(contentsOf: #","weight":\#(weight)"#.utf8) }
            json.append(UInt8(ascii: "}"))
        }
        json.append(contentsOf: "]}".utf8)
        return json
    }

    public static func instances(_ instances: [WireInstance]) throws -> Data {
        try sortedEncoder.encode(instances)
    }

    private static let emptyServices = Data(#""services":{}"#.utf8)

    private static var sortedEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}

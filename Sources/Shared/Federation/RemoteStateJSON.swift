import Foundation

/// A remote state's JSON from parts encoded earlier (`SplicedJSON`): a source DC's instance list of a service is the
/// same in every destination's state, and a service's JSON the same from one write of the remote-state file to the next.
public enum RemoteStateJSON {
    /// `envelope` (a document whose one remote state has no services) with that state's services filled in: name →
    /// the JSON of its `RemoteService`.
    public static func splice<Envelope: Encodable>(_ envelope: Envelope, services: [String: Data]) throws -> Data {
        try SplicedJSON.object(envelope, key: "services", members: services)
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
                name = try SplicedJSON.encode(locality.datacenter)
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
        try SplicedJSON.encode(instances)
    }
}

/// Consul's rules for the `index` of a blocking query (see "Blocking Queries" in Consul's API docs):
/// an unchanged `X-Consul-Index` means nothing changed; an index that goes backwards (a snapshot restore,
/// a new cluster) means reset to 0 and read afresh; an index of 0 is a Consul bug and is treated as 1 so the
/// next request still blocks.
struct BlockingIndex: Sendable, Equatable {
    enum Outcome: Equatable {
        /// New data: apply it.
        case changed
        /// The wait ended without a change; the body is the same data as before.
        case unchanged
        /// The index went backwards (next request from 0) or was 0 (next request from 1): the body is current,
        /// but a healthy Consul does not do this, so the watch slows down.
        case reset
    }

    private(set) var value: UInt64 = 0

    mutating func accept(_ received: UInt64) -> Outcome {
        if received == 0 {
            value = 1
            return .reset
        }
        if received < value {
            value = 0
            return .reset
        }
        if received == value { return .unchanged }
        value = received
        return .changed
    }
}

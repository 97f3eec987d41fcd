/// A stream's state per resource type, one slot per `ResourceType`. Every request and every push of every stream
/// reads it: a dictionary cost a hash and a probe each time, and reading an entry through it copied the whole state.
/// A slot is read in place (`_read`) and a held one changed in place (`[held:]`); which types hold a state is kept
/// apart (`heldTypes`), so generic code (`DiscoveryProtocol`) tests it without copying a state.
struct TypeSlots<State> {
    private var slots = [State?](repeating: nil, count: ResourceType.pushOrdered.count)
    private(set) var heldTypes = TypeSet()

    subscript(type: ResourceType) -> State? {
        _read { yield slots[type.pushOrder] }
        set {
            slots[type.pushOrder] = newValue
            if newValue == nil { heldTypes.remove(type) } else { heldTypes.insert(type) }
        }
    }

    /// The state of a type that holds one.
    subscript(held type: ResourceType) -> State {
        _read { yield slots[type.pushOrder]! }
        _modify { yield &slots[type.pushOrder]! }
    }

    /// The state of `type`, made from `value` when it holds none yet (as `Dictionary`'s `[key, default:]`).
    subscript(type: ResourceType, default value: @autoclosure () -> State) -> State {
        get { slots[type.pushOrder] ?? value() }
        _modify {
            if !holds(type) { self[type] = value() }
            yield &slots[type.pushOrder]!
        }
    }

    func holds(_ type: ResourceType) -> Bool { heldTypes.contains(type) }

    /// The types that hold a state, with it, in push order.
    var held: [(type: ResourceType, state: State)] { heldTypes.map { ($0, slots[$0.pushOrder]!) } }

    /// Moves `type`'s state out, so it can change without a second reference forcing its collections to be copied;
    /// the caller puts it back.
    mutating func take(_ type: ResourceType) -> State? {
        heldTypes.remove(type)
        return slots[type.pushOrder].take()
    }
}

/// A set of resource types as bits, iterated in push order.
struct TypeSet: Sequence {
    private var bits: UInt8 = 0

    func contains(_ type: ResourceType) -> Bool { bits & Self.bit(type) != 0 }
    mutating func insert(_ type: ResourceType) { bits |= Self.bit(type) }
    mutating func remove(_ type: ResourceType) { bits &= ~Self.bit(type) }

    private static func bit(_ type: ResourceType) -> UInt8 { 1 << UInt8(type.pushOrder) }

    struct Iterator: IteratorProtocol {
        fileprivate var remaining: UInt8

        mutating func next() -> ResourceType? {
            guard remaining != 0 else { return nil }
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            return ResourceType.pushOrdered[index]
        }
    }

    func makeIterator() -> Iterator { Iterator(remaining: bits) }
}

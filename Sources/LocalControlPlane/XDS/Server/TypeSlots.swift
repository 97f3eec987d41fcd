/// A stream's state per resource type, one slot per `ResourceType`. Every request and every push of every stream
/// reads it: a dictionary cost a hash and a probe each time, and reading an entry through it copied the whole state;
/// slots are read in place (`_read`) and changed in place (`_modify`).
struct TypeSlots<State> {
    private var slots = [State?](repeating: nil, count: ResourceType.pushOrdered.count)

    subscript(type: ResourceType) -> State? {
        _read { yield slots[type.pushOrder] }
        _modify { yield &slots[type.pushOrder] }
    }

    func holds(_ type: ResourceType) -> Bool { slots[type.pushOrder] != nil }

    /// The types that hold a state, with it, in push order.
    var held: [(type: ResourceType, state: State)] {
        ResourceType.pushOrdered.compactMap { type in slots[type.pushOrder].map { (type, $0) } }
    }

    /// Moves `type`'s state out, so it can change without a second reference forcing its collections to be copied;
    /// the caller puts it back.
    mutating func take(_ type: ResourceType) -> State? { slots[type.pushOrder].take() }
}

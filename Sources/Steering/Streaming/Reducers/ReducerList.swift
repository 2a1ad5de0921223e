/// Reductions of different types in one pass over the rows, each with its own state, results in
/// the order given: ``ReducerPair`` for any number of members. With ``LayerRouted`` members each
/// sees only its own layers of an ``Activations/union(_:)``.
public struct ReducerList: RowReducer {
    /// One member reduction, its type erased.
    public struct Member {
        let make: () -> AnyObject
        let consume: (AnyObject, Int, RowBlock) -> Void
        let merge: (AnyObject, AnyObject) -> Void
        let finish: (AnyObject) throws -> Any

        public init<R: RowReducer>(_ reducer: R) {
            make = { Box(reducer.makeState()) }
            consume = { state, layer, block in
                reducer.consume(&unsafeDowncast(state, to: Box<R.State>.self).pointer.pointee, layer: layer, block: block)
            }
            merge = { state, next in
                reducer.merge(
                    &unsafeDowncast(state, to: Box<R.State>.self).pointer.pointee, unsafeDowncast(next, to: Box<R.State>.self).pointer.pointee)
            }
            finish = { state in try reducer.finish(unsafeDowncast(state, to: Box<R.State>.self).value) }
        }
    }

    /// A member's state, boxed so that it is updated in place (never copied per tile).
    final class Box<Value> {
        let pointer: UnsafeMutablePointer<Value>
        init(_ value: Value) {
            pointer = .allocate(capacity: 1)
            pointer.initialize(to: value)
        }
        var value: Value { pointer.pointee }
        deinit {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
        }
    }

    public let members: [Member]

    public init(_ members: [Member]) { self.members = members }

    public func makeState() -> [AnyObject] { members.map { $0.make() } }

    public func consume(_ state: inout [AnyObject], layer: Int, block: RowBlock) {
        for (member, box) in zip(members, state) { member.consume(box, layer, block) }
    }

    public func merge(_ state: inout [AnyObject], _ next: [AnyObject]) {
        for (member, (box, other)) in zip(members, zip(state, next)) { member.merge(box, other) }
    }

    /// Every member's result, in order; read one back with ``result(_:_:as:)``.
    public func finish(_ state: [AnyObject]) throws -> [Any] { try zip(members, state).map { try $0.finish($1) } }

    /// Member `index`'s result as its type.
    public static func result<T>(_ results: [Any], _ index: Int, as type: T.Type = T.self) throws -> T {
        guard index < results.count, let value = results[index] as? T else {
            throw SteerError.argument("reduction \(index) of a shared pass has no result of type \(T.self)")
        }
        return value
    }
}

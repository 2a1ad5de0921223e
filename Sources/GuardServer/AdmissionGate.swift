import Synchronization

/// At most `limit` guard requests in flight: ``enter()`` admits one more or refuses (503).
final class AdmissionGate: Sendable {
    private let count = Mutex(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Admits a request unless `limit` are in flight.
    func enter() -> Bool {
        count.withLock { value in
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}

import Synchronization

/// The lowest index any worker recorded (a failure's row and layer), whatever the timing: passes
/// over token-axis rows name the first bad row the same way on any thread count.
final class FirstFailure: Sendable {
    private let lowest = Mutex<Int?>(nil)

    var first: Int? { lowest.withLock { $0 } }

    func record(_ index: Int) {
        lowest.withLock { $0 = min($0 ?? index, index) }
    }
}

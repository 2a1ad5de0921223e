import Synchronization

/// Page-aligned buffers the streamed passes of `steer diff` reuse (``TensorPair``): a pass takes
/// one for its workers' reads and scratch and one for its chunks' partial sums, and gives them
/// back when it ends. A fit makes a few passes over each tensor; fresh buffers cost a page fault
/// and a zeroed page per 4 KB every time (about a tenth of a pass, measured), kept ones nothing.
///
/// At most ``kept`` buffers stay (the largest), so resident memory is a few passes' buffers
/// whatever the model's size. Shared by every thread (tests run in parallel): a lock guards the list.
final class PassBuffers: Sendable {
    static let shared = PassBuffers()

    /// Buffers kept between passes.
    static let kept = 4

    /// Free buffers: address and capacity in bytes.
    private let free = Mutex<[(address: Int, bytes: Int)]>([])

    /// A buffer of at least `bytes` bytes (4096-aligned, contents undefined), for ``giveBack(_:bytes:)``.
    func take(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) {
        let wanted = max(4096, (bytes + 4095) / 4096 * 4096)
        let reused: (address: Int, bytes: Int)? = free.withLock { free in
            guard let index = free.indices.filter({ free[$0].bytes >= wanted }).min(by: { free[$0].bytes < free[$1].bytes }) else {
                return nil
            }
            return free.remove(at: index)
        }
        if let reused, let pointer = UnsafeMutableRawPointer(bitPattern: reused.address) { return (pointer, reused.bytes) }
        return (UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 4096), wanted)
    }

    /// Returns a buffer from ``take(_:)``; the smallest is freed when more than ``kept`` are free.
    func giveBack(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let dropped: Int? = free.withLock { free in
            free.append((Int(bitPattern: pointer), bytes))
            guard free.count > Self.kept, let index = free.indices.min(by: { free[$0].bytes < free[$1].bytes }) else { return nil }
            return free.remove(at: index).address
        }
        if let dropped, let pointer = UnsafeMutableRawPointer(bitPattern: dropped) { pointer.deallocate() }
    }

    /// `body` with a buffer of at least `bytes` bytes, given back after.
    func with<T>(_ bytes: Int, _ body: (UnsafeMutableRawPointer) throws -> T) rethrows -> T {
        let (pointer, capacity) = take(bytes)
        defer { giveBack(pointer, bytes: capacity) }
        return try body(pointer)
    }
}

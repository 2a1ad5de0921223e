import CKernels
import Dispatch
import Foundation
import Synchronization

/// Reads ahead of a walk over a list of items, each some byte ranges of open files: a background
/// thread asks the kernel to read the ranges of the items the walk reaches next
/// (`posix_fadvise(POSIX_FADV_WILLNEED)`), at most ``window`` bytes past the item the walk is at,
/// so the disk reads while the CPU works on the item before.
///
/// One call with a large range only reads the device's preferred I/O size (8 MB here, then it
/// stops), so the ranges are advised ``step`` bytes at a time, each skipped when its first and
/// last bytes are cached (a file read before costs two system calls per piece, not a walk over
/// its pages: 2 % of `steer diff`'s CPU time). Nothing is copied and nothing is mapped: the pages
/// go to the page cache, where the walk's `pread`s find them. Advice only: a failed call changes nothing.
final class Readahead: Sendable {
    /// `count` bytes of `file` from `offset` (a tensor's data).
    struct Range: Sendable {
        let file: ReadOnlyFile
        let offset: Int
        let count: Int
    }

    /// How far ahead the walk is read: the items that start within `window` bytes of the start of
    /// the item it is at. 1 GB by default: a model's first tensors (an embedding and its edited
    /// copy, 262 MB in `steer-bench diff`) would fill a smaller window while the walk spends several
    /// passes on them, and the disk would wait.
    let window: Int
    /// Bytes one call advises.
    static let step = 8 << 20

    private let items: [[Range]]
    /// `starts[i]`: the bytes of the items before `i`.
    private let starts: [Int]
    /// The item the walk is at, or `Int.max` once it has ended.
    private let position = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Whether ``finish()`` was called.
    private let ended = Atomic<Bool>(false)
    /// Asks for the bytes `offset ..< offset + count` of a file (at most ``step``).
    private let advise: @Sendable (ReadOnlyFile, Int, Int) -> Void

    /// Starts reading ahead of a walk over `items` (the walk is at item 0); `advise` is told each
    /// piece asked for (tests watch it; by default `posix_fadvise(WILLNEED)`).
    init(_ items: [[Range]], window: Int = 1 << 30, advise: @escaping @Sendable (ReadOnlyFile, Int, Int) -> Void = Readahead.willNeed) {
        self.items = items
        self.window = window
        self.advise = advise
        var starts = [0]
        for item in items { starts.append(starts[starts.count - 1] + item.reduce(0) { $0 + max(0, $1.count) }) }
        self.starts = starts
        // A thread of its own, not one of GCD's workers: it waits most of the time, and the walk's
        // passes use every core through `parallelFor`.
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "steer-readahead"
        thread.start()
    }

    /// Tells the thread that the walk is at item `index` (it reads on up to ``window`` bytes past its start).
    func reached(_ index: Int) {
        position.store(index, ordering: .releasing)
        wake.signal()
    }

    /// Stops reading ahead and waits for the thread to end; must be called once the walk ends
    /// (a second call does nothing).
    func finish() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        position.store(Int.max, ordering: .releasing)
        wake.signal()
        finished.wait()
    }

    /// Advises item after item, each in ``step``-byte calls, while it lies within the window.
    private func run() {
        var next = 0
        while next < items.count {
            let at = position.load(ordering: .acquiring)
            guard at != Int.max else { return }
            guard starts[next] < starts[min(at, items.count)] + window else {
                wake.wait()
                continue
            }
            if next >= at {
                for range in items[next] {
                    for offset in stride(from: range.offset, to: range.offset + range.count, by: Self.step) {
                        advise(range.file, offset, min(Self.step, range.offset + range.count - offset))
                    }
                }
            }
            next += 1
        }
    }

    /// `posix_fadvise(POSIX_FADV_WILLNEED)` unless the bytes' first and last pages are cached
    /// (`steer_read_ahead`): the kernel starts reading them into the page cache and returns.
    @Sendable static func willNeed(_ file: ReadOnlyFile, _ offset: Int, _ count: Int) {
        _ = steer_read_ahead(file.descriptor, offset, count)
    }
}

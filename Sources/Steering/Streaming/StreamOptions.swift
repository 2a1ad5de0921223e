#if canImport(Glibc)
    import Glibc
#endif

/// How a streaming pass splits its work.
///
/// Results never depend on `workers`: rows are cut into blocks by size alone, each block is
/// reduced by one worker in a fixed order, and blocks are merged in row order.
public struct StreamOptions: Sendable {
    /// The most worker threads a pass uses; more requested are clamped to it.
    public static let maxWorkers = 256
    /// Worker threads, 1…``maxWorkers`` (default: the number of cores).
    public var workers: Int
    /// Bytes each worker reads at a time, 4 KB…64 MB (default 512 KB, about an L2 cache).
    public var tileBytes: Int
    /// Where passes report the bytes they have read (nil: nowhere). Never changes a result.
    public var progress: ProgressMeter?

    /// Out-of-range values are clamped, so no setting can make a pass allocate without bound.
    public init(workers: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), tileBytes: Int = 512 << 10, progress: ProgressMeter? = nil) {
        self.workers = min(Self.maxWorkers, max(1, workers))
        self.tileBytes = min(64 << 20, max(4096, tileBytes))
        self.progress = progress
    }

    /// Input bytes reduced as one block (by one worker, into one state): 64 tiles.
    var blockBytes: Int { 64 * tileBytes }
}

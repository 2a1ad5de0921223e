#if canImport(Glibc)
import Glibc
#endif

/// How a streaming pass splits its work.
public struct StreamOptions: Sendable {
    /// The most worker threads a pass uses; more requested are clamped to it.
    public static let maxWorkers = 256
    /// Worker threads, 1…``maxWorkers`` (default: the number of cores).
    public var workers: Int
    /// Bytes each worker reads at a time, 4 KB…64 MB (default 512 KB, about an L2 cache).
    public var tileBytes: Int

    /// Out-of-range values are clamped, so no setting can make a pass allocate without bound.
    public init(workers: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), tileBytes: Int = 512 << 10) {
        self.workers = min(Self.maxWorkers, max(1, workers))
        self.tileBytes = min(64 << 20, max(4096, tileBytes))
    }
}

/// Rows of one layer inside a worker's buffer: row `r` of `rows` starts at `base + (r − rows.lowerBound) · stride`.
struct RowBlock {
    let rows: Range<Int>
    let base: UnsafeRawPointer
    let stride: Int

    @inline(__always) func row(_ r: Int) -> UnsafeRawPointer { base + (r - rows.lowerBound) * stride }
}

/// A unit of streamed work: some layers × a range of rows, read with as few `pread`s as make sense.
struct Tile {
    /// Indices into `Activations.layers`.
    let layers: Range<Int>
    let rows: Range<Int>
}

extension Activations {
    /// Bytes of one row of one layer.
    private var fragment: Int { width * dtype.size }

    /// Groups of layers read together. Layers that share row records (`[N, L, d]`,
    /// `[N, L, P, d]`) go in groups of about 64 KB of input per row, so that a group's
    /// Float64 accumulators and a tile of rows fit in L2 together; layers in separate
    /// tensors are read one at a time.
    private func layerGroups() -> [Range<Int>] {
        guard let first = layers.first?.rows else { return [] }
        let interleaved = layers.allSatisfy { $0.rows.rowStride == first.rowStride && abs($0.rows.offset - first.offset) < first.rowStride }
            && layers.map(\.rows.offset) == layers.map(\.rows.offset).sorted()
        let size = interleaved ? layers.count : 1
        return stride(from: 0, to: layers.count, by: size).map { $0..<min(layers.count, $0 + size) }
    }

    /// Where a group's bytes sit inside one row record.
    private func span(_ group: Range<Int>) -> (start: Int, bytes: Int, rowStride: Int, hull: Bool) {
        let start = layers[group.lowerBound].rows.offset
        let bytes = layers[group.upperBound - 1].rows.offset + fragment - start
        let rowStride = layers[group.lowerBound].rows.rowStride
        // Read consecutive rows as one span when the gaps between them are small.
        return (start, bytes, rowStride, rowStride - bytes <= 8192)
    }

    /// Splits the pass into tiles of at least four rows and about `tileBytes`.
    func tiles(_ options: StreamOptions) -> [Tile] {
        var out: [Tile] = []
        for group in layerGroups() {
            let s = span(group)
            let step = max(4, options.tileBytes / max(1, s.hull ? s.rowStride : s.bytes))
            for lower in stride(from: 0, to: rowCount, by: step) {
                out.append(Tile(layers: group, rows: lower..<min(rowCount, lower + step)))
            }
        }
        return out
    }

    /// Bytes of buffer a tile needs.
    private func bufferBytes(_ tile: Tile) -> Int {
        let s = span(tile.layers)
        return s.hull ? (tile.rows.count - 1) * s.rowStride + s.bytes : tile.rows.count * s.bytes
    }

    /// Reads `tile` into `buffer` (one `pread`, or one per row when rows are far apart);
    /// returns one block per layer of the tile.
    private func read(_ tile: Tile, into buffer: UnsafeMutableRawPointer) throws -> [RowBlock] {
        let s = span(tile.layers)
        let first = tile.rows.lowerBound
        if s.hull {
            try file.storage.read(into: buffer, offset: s.start + first * s.rowStride, count: bufferBytes(tile))
        } else {
            for (k, r) in tile.rows.enumerated() {
                try file.storage.read(into: buffer + k * s.bytes, offset: s.start + r * s.rowStride, count: s.bytes)
            }
        }
        let stride = s.hull ? s.rowStride : s.bytes
        return tile.layers.map { RowBlock(rows: tile.rows, base: buffer + (layers[$0].rows.offset - s.start), stride: stride) }
    }

    /// Streams every selected layer of every row once, split across workers.
    ///
    /// Each worker reads its share of tiles into its own buffer and calls
    /// `body(worker, layerIndex, block)` for every layer of each tile. Memory is
    /// `workers × tileBytes`, whatever the number of rows.
    func stream(_ options: StreamOptions, _ body: (_ worker: Int, _ layerIndex: Int, _ block: RowBlock) -> Void) throws {
        let tiles = tiles(options)
        try forEachShare(items: tiles.count, workers: options.workers, bufferBytes: tiles.map(bufferBytes).max() ?? 0) { worker, t, buffer in
            let blocks = try read(tiles[t], into: buffer)
            for (index, block) in zip(tiles[t].layers, blocks) { body(worker, index, block) }
        }
    }

    /// Column means of every selected layer, accumulated in Float64.
    ///
    /// One streaming pass. Throws ``SteerError`` (kind `.value`) naming the first
    /// row and slot that holds a NaN or infinity.
    public func means(_ options: StreamOptions = .init()) throws -> [[Double]] {
        let workers = options.workers
        let stride = layers.count * width
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: workers * stride)
        sums.initialize(repeating: 0, count: workers * stride)
        defer { sums.deallocate() }
        try stream(options) { worker, index, block in
            let acc = sums + worker * stride + index * width
            var r = block.rows.lowerBound
            while r + 4 <= block.rows.upperBound {
                Kernels.accumulate4(block.row(r), block.row(r + 1), block.row(r + 2), block.row(r + 3), dtype, width, into: acc)
                r += 4
            }
            while r < block.rows.upperBound { Kernels.accumulate(block.row(r), dtype, width, into: acc); r += 1 }
        }
        var result: [[Double]] = []
        result.reserveCapacity(layers.count)
        let scale = 1 / Double(rowCount)
        for index in layers.indices {
            var mean = [Double](repeating: 0, count: width)
            for worker in 0..<workers {
                let acc = sums + worker * stride + index * width
                for j in 0..<width { mean[j] += acc[j] }
            }
            if mean.contains(where: { !$0.isFinite }) { try throwNonFinite(layerIndex: index, computing: "the mean") }
            for j in 0..<width { mean[j] *= scale }
            result.append(mean)
        }
        return result
    }

    /// Reports the first row of a layer with a non-finite value (as the file numbers rows).
    /// Called when a result came out NaN or infinite; when every input is finite the result
    /// overflowed, and that is what it reports. Always throws.
    func throwNonFinite(layerIndex: Int, computing result: String = "a result") throws -> Never {
        let layer = layers[layerIndex]
        for r in 0..<rowCount {
            let values = try layer.rows.values(row: r)
            if let bad = values.first(where: { !$0.isFinite }) {
                throw SteerError.value(path, "\(bad.isNaN ? "NaN" : "infinity") in row \(r + rowOffset) (layer slot \(layer.slot))")
            }
        }
        throw SteerError.value(path, "\(result) at layer slot \(layer.slot) overflowed Float64 (values too large)")
    }

    /// Throws naming the first non-finite input when any per-row result came out NaN or infinite.
    private func checkFinite(_ results: UnsafeMutablePointer<Double>, computing result: String) throws {
        for index in layers.indices where (0..<rowCount).contains(where: { !results[index * rowCount + $0].isFinite }) {
            try throwNonFinite(layerIndex: index, computing: result)
        }
    }

    /// Projections `h · v` of every row onto one Float64 vector per selected layer.
    ///
    /// `vectors[i]` (length `width`) goes with `layers[i]`. Returns `scores[i][row]`.
    /// Each row is reduced in the same fixed order, so identical rows score
    /// identically and rank-based metrics see their ties.
    public func project(onto vectors: [[Double]], _ options: StreamOptions = .init()) throws -> [[Double]] {
        guard vectors.count == layers.count, vectors.allSatisfy({ $0.count == width }) else {
            throw SteerError.shape(path, "projection needs one vector of width \(width) per selected layer (\(layers.count))")
        }
        let output = UnsafeMutablePointer<Double>.allocate(capacity: layers.count * rowCount)
        output.initialize(repeating: 0, count: layers.count * rowCount)
        defer { output.deallocate() }
        let flat = vectors.flatMap { $0 }
        try flat.withUnsafeBufferPointer { directions in
            guard let base = directions.baseAddress else { return }
            try stream(options) { _, index, block in
                let vector = base + index * width
                for r in block.rows { output[index * rowCount + r] = Kernels.dot(block.row(r), dtype, width, with: vector) }
            }
        }
        try checkFinite(output, computing: "a projection")
        return layers.indices.map { Array(UnsafeBufferPointer(start: output + $0 * rowCount, count: rowCount)) }
    }

    /// `cos(h, u_l) − cos(h, v_l)` for every selected layer `l` and row `h`, in one pass.
    ///
    /// `u[i]` and `v[i]` (length `width`) go with `layers[i]`. A zero row or a zero
    /// reference vector contributes 0, never NaN. Returns `contrast[i][row]`.
    public func cosineContrast(_ u: [[Double]], _ v: [[Double]], _ options: StreamOptions = .init()) throws -> [[Double]] {
        guard u.count == layers.count, v.count == layers.count, (u + v).allSatisfy({ $0.count == width }) else {
            throw SteerError.shape(path, "needs two vectors of width \(width) per selected layer (\(layers.count))")
        }
        let uNorms = u.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let vNorms = v.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let output = UnsafeMutablePointer<Double>.allocate(capacity: layers.count * rowCount)
        output.initialize(repeating: 0, count: layers.count * rowCount)
        defer { output.deallocate() }
        let flatU = u.flatMap { $0 }, flatV = v.flatMap { $0 }
        try flatU.withUnsafeBufferPointer { uBuffer in
            try flatV.withUnsafeBufferPointer { vBuffer in
                guard let uBase = uBuffer.baseAddress, let vBase = vBuffer.baseAddress else { return }
                try stream(options) { _, index, block in
                    let (nu, nv) = (uNorms[index], vNorms[index])
                    for r in block.rows {
                        let (hu, hv, hh) = Kernels.dot2Norm(block.row(r), dtype, width, uBase + index * width, vBase + index * width)
                        guard hh.isFinite else {  // a NaN or infinity in the row: reported below, never read as 0
                            output[index * rowCount + r] = .nan
                            continue
                        }
                        let norm = hh.squareRoot()
                        let cu = norm > 0 && nu > 0 ? hu / (norm * nu) : 0
                        let cv = norm > 0 && nv > 0 ? hv / (norm * nv) : 0
                        output[index * rowCount + r] = cu - cv
                    }
                }
            }
        }
        try checkFinite(output, computing: "a cosine")
        return layers.indices.map { Array(UnsafeBufferPointer(start: output + $0 * rowCount, count: rowCount)) }
    }

    /// Counts NaN and infinite values in the selected layers (one streaming pass).
    public func nonFiniteCount(_ options: StreamOptions = .init()) throws -> Int {
        var counts = [Int](repeating: 0, count: options.workers)
        try counts.withUnsafeMutableBufferPointer { totals in
            try stream(options) { worker, _, block in
                for r in block.rows { totals[worker] += Kernels.nonFiniteCount(block.row(r), dtype, width) }
            }
        }
        return counts.reduce(0, +)
    }
}

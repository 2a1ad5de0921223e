#if canImport(Glibc)
import Glibc
#endif

/// How a streaming pass splits its work.
public struct StreamOptions: Sendable {
    /// Worker threads (default: the number of cores).
    public var workers: Int
    /// Bytes of input each worker holds mapped at a time; pages are dropped after each chunk.
    public var chunkBytes: Int

    public init(workers: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), chunkBytes: Int = 8 << 20) {
        self.workers = max(1, workers)
        self.chunkBytes = max(4096, chunkBytes)
    }
}

extension Activations {
    /// Visits every selected layer for consecutive chunks of rows.
    ///
    /// Rows are split into one contiguous range per worker; each worker walks its
    /// range chunk by chunk, calls `body(worker, layerIndex, rows)` for every layer
    /// of the chunk, then releases the chunk's pages. Resident memory is therefore
    /// bounded by `workers × chunkBytes`, whatever the number of rows.
    func forEachChunk(_ options: StreamOptions, _ body: (_ worker: Int, _ layerIndex: Int, _ rows: Range<Int>) -> Void) {
        let workers = min(options.workers, rowCount)
        let bytesPerRow = max(1, layers.count * width * dtype.size)
        let chunkRows = max(1, min(rowCount, options.chunkBytes / bytesPerRow))
        for layer in layers {
            layer.rows.storage.adviseSequential(layer.rows.byteRange(0..<rowCount))
        }
        let run: (Int) -> Void = { worker in
            let start = rowCount * worker / workers
            let end = rowCount * (worker + 1) / workers
            var lower = start
            while lower < end {
                let rows = lower..<min(end, lower + chunkRows)
                for index in layers.indices { body(worker, index, rows) }
                self.release(rows)
                lower = rows.upperBound
            }
        }
        parallelFor(workers, run)
    }

    /// Drops the pages of `rows` in every selected layer, merging overlapping spans.
    private func release(_ rows: Range<Int>) {
        let spans = layers.map { $0.rows.byteRange(rows) }.sorted { $0.lowerBound < $1.lowerBound }
        var current: Range<Int>?
        for span in spans {
            if let open = current, span.lowerBound <= open.upperBound {
                current = open.lowerBound..<max(open.upperBound, span.upperBound)
            } else {
                if let open = current { file.storage.release(open) }
                current = span
            }
        }
        if let open = current { file.storage.release(open) }
    }

    /// Column means of every selected layer, accumulated in Float64.
    ///
    /// One streaming pass. Throws ``SteerError`` (kind `.value`) naming the first
    /// row and slot that holds a NaN or infinity.
    public func means(_ options: StreamOptions = .init()) throws -> [[Double]] {
        let workers = min(options.workers, rowCount)
        let stride = layers.count * width
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: workers * stride)
        sums.initialize(repeating: 0, count: workers * stride)
        defer { sums.deallocate() }
        forEachChunk(options) { worker, index, rows in
            let acc = sums + worker * stride + index * width
            let matrix = layers[index].rows
            for r in rows { Kernels.accumulate(matrix.row(r), dtype, width, into: acc) }
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
            if mean.contains(where: { !$0.isFinite }) { try throwNonFinite(layerIndex: index) }
            for j in 0..<width { mean[j] *= scale }
            result.append(mean)
        }
        return result
    }

    /// Finds and reports the first row of a layer with a non-finite value.
    func throwNonFinite(layerIndex: Int) throws {
        let layer = layers[layerIndex]
        for r in 0..<rowCount {
            let values = layer.rows.values(row: r)
            if let bad = values.first(where: { !$0.isFinite }) {
                throw SteerError.value(path, "\(bad.isNaN ? "NaN" : "infinity") in row \(r) (layer slot \(layer.slot))")
            }
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
        var scores = [[Double]](repeating: [Double](repeating: 0, count: rowCount), count: layers.count)
        let output = UnsafeMutablePointer<Double>.allocate(capacity: layers.count * rowCount)
        defer { output.deallocate() }
        let flat = vectors.flatMap { $0 }
        flat.withUnsafeBufferPointer { directions in
            guard let base = directions.baseAddress else { return }
            forEachChunk(options) { _, index, rows in
                let matrix = layers[index].rows
                let vector = base + index * width
                for r in rows { output[index * rowCount + r] = Kernels.dot(matrix.row(r), dtype, width, with: vector) }
            }
        }
        for index in layers.indices {
            scores[index] = Array(UnsafeBufferPointer(start: output + index * rowCount, count: rowCount))
        }
        return scores
    }

    /// Counts NaN and infinite values in the selected layers (one streaming pass).
    public func nonFiniteCount(_ options: StreamOptions = .init()) -> Int {
        let workers = min(options.workers, rowCount)
        var counts = [Int](repeating: 0, count: workers)
        counts.withUnsafeMutableBufferPointer { totals in
            let totals = totals.baseAddress!
            forEachChunk(options) { worker, index, rows in
                let matrix = layers[index].rows
                for r in rows { totals[worker] += Kernels.nonFiniteCount(matrix.row(r), dtype, width) }
            }
        }
        return counts.reduce(0, +)
    }
}

/// A unit of streamed work: some layers × a range of rows, read with as few `pread`s as make sense.
struct Tile {
    /// Indices into `Activations.layers`.
    let layers: Range<Int>
    let rows: Range<Int>
}

/// Where a group of layers sits inside one row record.
struct Span {
    /// Byte offset of the group in row 0.
    let start: Int
    /// Bytes of the group in one row.
    let bytes: Int
    let rowStride: Int
    /// Whether consecutive rows are read as one range, gaps included (gaps of at most 8 KB).
    var hull: Bool { rowStride - bytes <= 8192 }
    /// Bytes read per row.
    var readBytes: Int { hull ? rowStride : bytes }
}

extension Activations {
    /// Bytes of one row of one layer.
    private var fragment: Int { width * dtype.size }

    /// Groups of layers read together. Consecutive selected layers that sit in the same row
    /// records (`[N, L, d]`, `[N, L, P, d]`, the positions of one `[N, P, d]` tensor in a
    /// ``union(_:)``) and lie within 4 KB of each other are read as one span; a larger gap starts a
    /// new group, so `--layers 0,30` of a stacked file reads those two layers' bytes and not the 29
    /// between them. Layers in separate tensors (or layers-first files) are read one at a time.
    func layerGroups() -> [Range<Int>] {
        guard !layers.isEmpty else { return [] }
        var groups: [Range<Int>] = []
        var start = 0
        for i in 1..<max(1, layers.count) {
            let (first, previous, next) = (layers[start].rows, layers[i - 1].rows, layers[i].rows)
            let together =
                next.rowStride == first.rowStride && next.offset > previous.offset && next.offset - first.offset < first.rowStride
                && next.offset - (previous.offset + fragment) <= 4096
            if !together {
                groups.append(start..<i)
                start = i
            }
        }
        groups.append(start..<layers.count)
        return groups
    }

    func span(_ group: Range<Int>) -> Span {
        let start = layers[group.lowerBound].rows.offset
        return Span(
            start: start, bytes: layers[group.upperBound - 1].rows.offset + fragment - start, rowStride: layers[group.lowerBound].rows.rowStride)
    }

    /// The pass cut into blocks of rows (about `options.blockBytes` of input each, whatever the
    /// number of workers), each a list of tiles: for every layer group, row ranges of about
    /// `tileBytes` (at least four rows). Blocks are reduced independently and merged in order.
    func blocks(_ options: StreamOptions) -> [[Tile]] {
        let groups = layerGroups().map { ($0, span($0)) }
        let perRow = max(1, groups.reduce(0) { $0 + $1.1.readBytes })
        let steps = groups.map { max(4, options.tileBytes / max(1, $0.1.readBytes)) }
        let blockRows = max(steps.max() ?? 4, options.blockBytes / perRow)
        return stride(from: 0, to: rowCount, by: blockRows).map { lower in
            let block = lower..<min(rowCount, lower + blockRows)
            return zip(groups, steps).flatMap { group, step in
                stride(from: block.lowerBound, to: block.upperBound, by: step).map {
                    Tile(layers: group.0, rows: $0..<min(block.upperBound, $0 + step))
                }
            }
        }
    }

    /// Bytes of buffer a tile needs.
    func bufferBytes(_ tile: Tile) -> Int {
        let s = span(tile.layers)
        return s.hull ? (tile.rows.count - 1) * s.rowStride + s.bytes : tile.rows.count * s.bytes
    }

    /// Reads `tile` into `buffer` (one `pread`, or one per row when rows are far apart);
    /// returns one block per layer of the tile.
    func read(_ tile: Tile, into buffer: UnsafeMutableRawPointer) throws -> [RowBlock] {
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
        return tile.layers.map {
            RowBlock(rows: tile.rows, dtype: dtype, width: width, base: buffer + (layers[$0].rows.offset - s.start), stride: stride)
        }
    }
}

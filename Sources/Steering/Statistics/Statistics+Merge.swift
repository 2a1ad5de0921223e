extension Statistics {
    /// The statistics of the union of the parts' rows: counts added, sums and Gram matrices added with
    /// compensation. The parts must agree on label, slots, position, width, layer convention and
    /// whether they hold the Gram matrix, and cover disjoint rows (no two sources name overlapping rows
    /// of the same file); `files` name the parts in errors.
    public static func merge(_ parts: [Statistics], files: [String]) throws -> Statistics {
        guard var total = parts.first, let first = files.first, parts.count == files.count else { throw SteerError.argument("nothing to merge") }
        for (part, file) in zip(parts, files).dropFirst() { try total.add(part, file: file, firstFile: first) }
        total.sources.sort { ($0.sha256, $0.rowStart) < ($1.sha256, $1.rowStart) }
        return total
    }

    /// Merges the statistics files at `paths` one at a time (memory: two files' statistics, whatever
    /// their number), as ``merge(_:files:)``.
    public static func merge(files paths: [String]) throws -> Statistics {
        guard let first = paths.first else { throw SteerError.argument("nothing to merge") }
        var total = try read(first)
        for path in paths.dropFirst() { try total.add(try read(path), file: path, firstFile: first) }
        total.sources.sort { ($0.sha256, $0.rowStart) < ($1.sha256, $1.rowStart) }
        return total
    }

    /// Adds `part` (read from `file`) to these statistics (first read from `firstFile`), after the checks
    /// of ``merge(_:files:)``.
    mutating func add(_ part: Statistics, file: String, firstFile first: String) throws {
        func differ(_ what: String, _ a: String, _ b: String) -> SteerError {
            SteerError(.shape, "\(what) differ: \(a) in \(first) vs \(b) in \(file)")
        }
        guard part.label == label else { throw differ("labels", label ?? "none", part.label ?? "none") }
        guard part.slots == slots else { throw differ("layer slots", describeSlots(slots), describeSlots(part.slots)) }
        guard part.position == position else {
            throw differ("positions", position.map(String.init) ?? "none", part.position.map(String.init) ?? "none")
        }
        guard part.width == width else { throw differ("widths", String(width), String(part.width)) }
        guard part.layerConvention == layerConvention else {
            throw differ("layer conventions", layerConvention?.rawValue ?? "none", part.layerConvention?.rawValue ?? "none")
        }
        guard part.hasGram == hasGram else { throw differ("Gram matrices", hasGram ? "present" : "absent", part.hasGram ? "present" : "absent") }
        let seen = Dictionary(grouping: sources, by: \.sha256)
        for source in part.sources {
            if let clash = seen[source.sha256]?.first(where: { $0.overlaps(source) }) {
                throw SteerError(
                    .value,
                    "rows \(max(clash.rowStart, source.rowStart))-\(min(clash.rowEnd, source.rowEnd) - 1) of \(source.path) are counted twice: in \(file) and in an earlier file (\(clash.path), rows \(clash.rowStart)-\(clash.rowEnd - 1))"
                )
            }
        }
        let (total, overflow) = rows.addingReportingOverflow(part.rows)
        guard !overflow else { throw SteerError(.value, file: file, "the merged row count overflows") }
        rows = total
        for i in slots.indices {
            CompensatedMoments.add(&sumHi[i], &sumLo[i], part.sumHi[i], part.sumLo[i])
            if hasGram { CompensatedMoments.add(&gramHi[i], &gramLo[i], part.gramHi[i], part.gramLo[i]) }
        }
        sources += part.sources
    }
}

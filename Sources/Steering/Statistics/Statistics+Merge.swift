extension Statistics {
    /// The statistics of the union of the parts' rows: counts added, sums and Gram matrices added with
    /// compensation. The parts must agree on label, slots, position, width, layer convention and
    /// whether they hold the Gram matrix, and cover disjoint rows (no two sources name overlapping rows
    /// of the same file); `files` name the parts in errors.
    public static func merge(_ parts: [Statistics], files: [String]) throws -> Statistics {
        guard var total = parts.first, parts.count == files.count else { throw SteerError.argument("nothing to merge") }
        let first = files[0]
        for (part, file) in zip(parts, files).dropFirst() {
            func differ(_ what: String, _ a: String, _ b: String) -> SteerError {
                SteerError(.shape, "\(what) differ: \(a) in \(first) vs \(b) in \(file)")
            }
            guard part.label == total.label else { throw differ("labels", total.label ?? "none", part.label ?? "none") }
            guard part.slots == total.slots else {
                throw differ("layer slots", describeSlots(total.slots), describeSlots(part.slots))
            }
            guard part.position == total.position else {
                throw differ("positions", total.position.map(String.init) ?? "none", part.position.map(String.init) ?? "none")
            }
            guard part.width == total.width else { throw differ("widths", String(total.width), String(part.width)) }
            guard part.layerConvention == total.layerConvention else {
                throw differ("layer conventions", total.layerConvention?.rawValue ?? "none", part.layerConvention?.rawValue ?? "none")
            }
            guard part.hasGram == total.hasGram else {
                throw differ("Gram matrices", total.hasGram ? "present" : "absent", part.hasGram ? "present" : "absent")
            }
            for source in part.sources {
                if let clash = total.sources.first(where: { $0.overlaps(source) }) {
                    throw SteerError(
                        .value,
                        "rows \(max(clash.rowStart, source.rowStart))-\(min(clash.rowEnd, source.rowEnd) - 1) of \(source.path) are counted twice: in \(file) and in an earlier file (\(clash.path), rows \(clash.rowStart)-\(clash.rowEnd - 1))"
                    )
                }
            }
            let (rows, overflow) = total.rows.addingReportingOverflow(part.rows)
            guard !overflow else { throw SteerError(.value, file: file, "the merged row count overflows") }
            total.rows = rows
            for i in total.slots.indices {
                CompensatedMoments.add(&total.sumHi[i], &total.sumLo[i], part.sumHi[i], part.sumLo[i])
                if total.hasGram { CompensatedMoments.add(&total.gramHi[i], &total.gramLo[i], part.gramHi[i], part.gramLo[i]) }
            }
            total.sources += part.sources
        }
        total.sources.sort { ($0.sha256, $0.rowStart) < ($1.sha256, $1.rowStart) }
        return total
    }
}

/// Activation addition: the raw direction `r`, scaled, added to every row,
///
///     h' = h + c · r
///
/// (`c = +1` adds the concept, `c = −1` removes it on average; the norm of `r` carries the scale).
public enum Addition {
    /// The edit `h' = h + c · r`.
    public static func edit(direction r: [Double], coefficient c: Double) throws -> RowEdit {
        guard c.isFinite else { throw SteerError(.argument, "the coefficient must be a finite number, not \(c)") }
        let offset = r.map { c * $0 }
        guard offset.allSatisfy(\.isFinite) else { throw SteerError(.value, "c · r overflows Float64 (coefficient \(c))") }
        return try RowEdit(width: r.count, offset: offset)
    }
}

/// The two class inputs of a fit (`extract`, `svd`, `erase fit`, `guard train`): two statistics
/// files (from `steer stats` / `steer merge`: exact sums, no rows) or two activation files, told
/// apart by their `steer.kind` and opened with one selection. One of each is an argument error.
public enum ClassInputs {
    /// Two statistics files, `--layers` applied and `--position` checked (``Statistics/read(_:layers:position:label:)``).
    case statistics(positive: Statistics, negative: Statistics)
    /// Two activation files, opened with the selection.
    case activations(positive: Activations, negative: Activations)

    /// Whether `positive` and `negative` are both statistics files (true) or both not (false);
    /// one of each throws an argument error. `maker` names the command that makes the
    /// statistics the caller needs (`steer stats --gram` for a covariance).
    public static func areStatistics(_ positive: String, _ negative: String, maker: String = "steer stats") throws -> Bool {
        switch (Statistics.isStatistics(positive), Statistics.isStatistics(negative)) {
        case (true, true): return true
        case (false, false): return false
        default:
            throw SteerError.argument("give two statistics files (from \(maker) / steer merge) or two activation files, not one of each")
        }
    }

    /// The class inputs at `positive` and `negative` with `selection`: statistics or activations,
    /// whichever both files are (see ``areStatistics(_:_:maker:)``).
    public static func open(
        positive: String, negative: String, selection: ActivationSelection = .init(), maker: String = "steer stats"
    ) throws -> ClassInputs {
        if try areStatistics(positive, negative, maker: maker) {
            return .statistics(
                positive: try Statistics.read(positive, layers: selection.layers, position: selection.position, label: "pos"),
                negative: try Statistics.read(negative, layers: selection.layers, position: selection.position, label: "neg"))
        }
        return .activations(
            positive: try Activations.open(positive, selection: selection), negative: try Activations.open(negative, selection: selection))
    }

    /// The row counts of the two classes.
    public var rowCounts: (positive: Int, negative: Int) {
        switch self {
        case .statistics(let p, let n): (p.rows, n.rows)
        case .activations(let p, let n): (p.rowCount, n.rowCount)
        }
    }

    /// The residual width.
    public var width: Int {
        switch self {
        case .statistics(let p, _): p.width
        case .activations(let p, _): p.width
        }
    }

    /// The token position read (nil: the files have no position axis, or statistics taken at none).
    public var position: Int? {
        switch self {
        case .statistics(let p, _): p.position
        case .activations(let p, _): p.position
        }
    }
}

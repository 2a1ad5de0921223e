import Steering

/// Section 1: one activation file as the report read it.
public struct InputFile: Sendable, Equatable, Codable {
    /// `train pos`, `train neg`, `held-out pos` or `held-out neg`.
    public var role: String
    public var path: String
    public var format: String
    public var dtype: String
    public var rows: Int
    /// The first row used (with `--rows`).
    public var firstRow: Int
    public var width: Int
    public var slots: [Int]
    public var positions: Int?
    public var layerConvention: String?
    /// Non-finite values in the rows, slots and positions used: 0 in every report that completes.
    /// The report's own passes read each of those values (class means of the training rows,
    /// projections of the held-out rows) and stop at the first NaN or infinity, naming its row and
    /// slot, so no pass of its own is spent counting them.
    public var nonFinite: Int
    /// The prompts file whose texts label the scatter, when one sits beside the file.
    public var prompts: String?

    init(role: String, activations: [Activations], prompts: String?) throws {
        guard let first = activations.first else { throw SteerError(.argument, "no activations for \(role)") }
        self.role = role
        path = first.path
        format = first.file.format.rawValue
        dtype = first.dtype.rawValue
        rows = first.rowCount
        firstRow = first.rowOffset
        width = first.width
        slots = first.slots
        positions = first.positionCount
        layerConvention = first.layerConvention?.rawValue
        nonFinite = 0
        self.prompts = prompts
    }
}

/// Section 7: the paper's picture: each prompt placed by its projection on the harmfulness
/// direction (x, at one position) and on the refusal direction (y, at the other), at one slot.
public struct ScatterSection: Sendable, Equatable, Codable {
    public var layer: Int
    public var xPosition: Int?
    public var yPosition: Int?
    /// `held-out` or `train`.
    public var rows: String
    public var points: [Point]

    public struct Point: Sendable, Equatable, Codable {
        /// `harmful` (positive) or `harmless` (negative).
        public var label: String
        public var row: Int
        public var x: Double
        public var y: Double
        public var prompt: String?
    }
}

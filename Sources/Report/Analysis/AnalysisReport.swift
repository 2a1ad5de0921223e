import Foundation
import Probe
import Steering

/// The whole harmfulness/refusal analysis of `steer report`, one section per part of the page.
/// Every number the page shows is here, and encodes to `--json` (snake_case keys).
public struct AnalysisReport: Sendable, Equatable, Codable {
    public var command: String
    public var version: String
    public var generated: String
    public var seconds: Double
    public var inputs: [InputFile]
    /// Things the reader should know (slots dropped to match files, a missing prompts file, …).
    public var notes: [String]
    public var separation: [PositionSeparation]
    public var comparison: ComparisonSection?
    public var subspace: SubspaceSection?
    public var latentGuard: GuardSection?
    public var detectors: DetectorSection?
    public var scatter: ScatterSection?
    /// `steer evaluate`'s figures, when `--evaluation` gave them (section 8).
    public var evaluation: EvaluationSection?
    /// The probe's reliability diagram (section 9) and the detectors per prompt source (section 10).
    public var calibration: CalibrationSection?
    public var sources: SourceSection?

    enum CodingKeys: String, CodingKey {
        case command, version, generated, seconds, inputs, notes, separation, comparison, subspace
        case latentGuard = "guard"
        case detectors, scatter, evaluation, calibration, sources
    }

    /// The report as pretty-printed JSON (sorted, snake_case keys).
    public func json() throws -> [UInt8] {
        let encoder = JSONCoding.encoder(pretty: true, snakeCase: true)
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// The name of a position on the page: `t_inst` for the first of two, `t_post` for the second.
    static func positionName(_ position: Int?, count: Int?) -> String {
        guard let position else { return "the only position" }
        if count == 2 { return position == 0 || position == -2 ? "t_inst (position \(position))" : "t_post (position \(position))" }
        return "position \(position)"
    }
}

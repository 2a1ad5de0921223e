import Foundation
import Steering

/// What `steer evaluate --out EVAL.json` measured, as the report shows it: per class the refusal
/// rate and score with their intervals, per sweep point the same (the curve), and every prompt's
/// figures.
public struct EvaluationSection: Sendable, Equatable, Codable {
    /// One class under one configuration.
    public struct ClassFigures: Sendable, Equatable, Codable {
        public var n: Int
        public var refusalRate: Double
        public var refusalRateCi: [Double]?
        public var refusalScore: Double
        public var refusalScoreCi: [Double]?
        public var klFirstToken: Double?
        public var klFirstTokenCi: [Double]?
        public var prompts: [PromptFigures]?
    }

    /// One prompt's line.
    public struct PromptFigures: Sendable, Equatable, Codable {
        public var prompt: String
        public var completion: String
        public var refused: Bool
        public var refusalScore: Double
        public var kl: Double?
    }

    /// One point of a sweep.
    public struct Point: Sendable, Equatable, Codable {
        public var value: Double
        public var harmful: ClassFigures
        public var harmless: ClassFigures
    }

    public struct Sweep: Sendable, Equatable, Codable {
        public var parameter: String
        public var points: [Point]
    }

    public struct Settings: Sendable, Equatable, Codable {
        public var model: String
        public var edited: String?
        public var maxNewTokens: Int
        public var refusalTokens: [Int]
    }

    /// The file read.
    public var file: String?
    public var harmful: ClassFigures
    public var harmless: ClassFigures
    public var sweep: Sweep?
    public var settings: Settings

    /// Reads `steer evaluate --out`'s JSON; throws one line naming the file when it is not one.
    public static func read(_ path: String) throws -> EvaluationSection {
        let data = try ReadOnlyFile.contents(of: path, limit: 256 << 20, what: "the JSON `steer evaluate --out` writes")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            var section = try decoder.decode(EvaluationSection.self, from: Data(data))
            section.file = path
            return section
        } catch {
            throw SteerError(.format, file: path, "is not the JSON `steer evaluate --out` writes (harmful, harmless, settings)")
        }
    }
}

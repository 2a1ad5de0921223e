import Runtime
import Steering

/// `steer evaluate --json` (and `--out`): the figures of each class with their bootstrap
/// intervals, the reply inversion, a sweep's curve and the settings.
struct EvaluationReport: Encodable {
    /// One class's figures under one configuration, and its prompts.
    struct ClassFigures: Encodable {
        let n: Int
        let refusalRate: Double
        let refusalRateCi: [Double]?
        let refusalScore: Double
        let refusalScoreCi: [Double]?
        let klFirstToken: Double?
        let klFirstTokenCi: [Double]?
        let firstTokenChanged: Double?
        let firstTokenChangedCi: [Double]?
        let prompts: [EvaluatedLine]

        init(_ r: RefusalEvaluation, instructions: [String], name: String, bootstrap: Bootstrap.Settings?) {
            let ci = bootstrap.map { r.intervals($0) }
            n = r.count
            refusalRate = r.refusalRate
            refusalRateCi = pair(ci?.refusalRate)
            refusalScore = r.refusalScore
            refusalScoreCi = pair(ci?.refusalScore)
            klFirstToken = r.klFirstToken
            klFirstTokenCi = pair(ci?.klFirstToken)
            firstTokenChanged = r.firstTokenChanged
            firstTokenChangedCi = pair(ci?.firstTokenChanged)
            prompts = zip(instructions, r.prompts).map { instruction, p in
                EvaluatedLine(
                    class: name, prompt: instruction, completion: p.completion, refused: p.refused, refusalScore: p.refusalScore, kl: p.kl)
            }
        }
    }

    /// The reply inversion of one class: without and with the intervention.
    struct InversionFigures: Encodable {
        struct Run: Encodable {
            let valid: Int
            let harmfulRate: Double?
            let harmfulRateCi: [Double]?
            let replies: [String]

            init(_ r: ReplyInversion, bootstrap: Bootstrap.Settings?) {
                valid = r.valid
                harmfulRate = r.harmfulRate.isFinite ? r.harmfulRate : nil
                harmfulRateCi = pair(bootstrap.flatMap { r.interval($0) })
                replies = r.replies.map(\.completion)
            }
        }

        let n: Int
        let plain: Run
        let steered: Run?
    }

    /// `inversion`: the question asked and both classes.
    struct Inversion: Encodable {
        let question: String
        let maxNewTokens: Int
        let harmful: InversionFigures
        let harmless: InversionFigures
    }

    /// One point of a sweep.
    struct Point: Encodable {
        let value: Double
        let harmful: ClassFigures
        let harmless: ClassFigures
    }

    /// `sweep`: the swept parameter (`coef` or `strength`) and its points.
    struct Sweep: Encodable {
        let parameter: String
        let points: [Point]
    }

    struct Settings: Encodable {
        let refusalTokens: [Int32]
        let maxNewTokens: Int
        let template: String
        let intervention: InterventionRecord?
        let model: String
        let edited: String?
        let rows: [Int]?
        let bootstrap: Int
        let seed: UInt64
        let judge: String
    }

    let harmful: ClassFigures
    let harmless: ClassFigures
    let inversion: Inversion?
    let sweep: Sweep?
    let settings: Settings
}

/// One line of `steer evaluate --completions`.
struct EvaluatedLine: Encodable {
    let `class`: String
    let prompt: String
    let completion: String
    let refused: Bool
    let refusalScore: Double
    let kl: Double?

    enum CodingKeys: String, CodingKey {
        case `class`, prompt, completion, refused, kl
        case refusalScore = "refusal_score"
    }
}

/// `[low, high]` of an interval.
private func pair(_ interval: Bootstrap.Interval?) -> [Double]? { interval.map { [$0.low, $0.high] } }

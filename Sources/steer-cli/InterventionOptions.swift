import ArgumentParser
import Runtime

extension AdditionPositions: ExpressibleByArgument {}

/// The residual-stream edits of `steer generate` and `steer evaluate`.
struct InterventionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Ablate this directions file's direction (or `steer svd` basis) everywhere: h ← h − Q Qᵀ h.", valueName: "file"))
    var ablate: String?
    @Option(help: ArgumentHelp("Add this directions file's raw direction at --layer: h ← h + C · r.", valueName: "file")) var add: String?
    @Option(
        help: ArgumentHelp(
            "The slot whose direction is used (in the file's layer convention); needed when the file holds several.", valueName: "slot"))
    var layer: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("The coefficient C of --add; may be negative.", valueName: "C")) var coef: Double = 1
    @Option(help: ArgumentHelp("Positions --add applies at: all, prompt or prefill.", valueName: "all|prompt|prefill")) var at: AdditionPositions =
        .all

    func validate() throws {
        guard coef.isFinite else { throw ValidationError("--coef must be a finite number") }
    }

    /// The intervention on `model` (none without --ablate or --add).
    func intervention(for model: DecoderModel) throws -> Intervention {
        Intervention(
            ablation: try ablate.map { try Intervention.ablationBasis($0, slot: layer, model: model) },
            addition: try add.map { try Intervention.addition($0, slot: layer, coefficient: coef, positions: at, model: model) })
    }

    /// What the intervention is, in words (nil for none).
    var description: String? {
        let parts = [
            ablate.map { "ablating \($0)\(layer.map { " slot \($0)" } ?? "")" },
            add.map { "adding \(coef) × \($0)\(layer.map { " slot \($0)" } ?? "") at \(at.rawValue) positions" },
        ].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

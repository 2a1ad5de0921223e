import ArgumentParser
import Runtime
import Steering

extension AdditionPositions: ExpressibleByArgument {}

/// The residual-stream edits of `steer generate` and `steer evaluate`.
struct InterventionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Ablate this directions file's direction (or `steer svd` basis) everywhere: h ← h − Q Qᵀ h.", valueName: "file"))
    var ablate: String?
    @Option(
        help: ArgumentHelp(
            "With --ablate: only the writes of these hidden-state slots (0 the embedding, s block s−1's), e.g. 10-20.", valueName: "slots"))
    var layers: String?
    @Option(help: ArgumentHelp("With --ablate: remove α Q Qᵀ x from each write x (1 removes the direction).", valueName: "α")) var strength: Float = 1
    @Option(help: ArgumentHelp("Add this directions file's raw direction at --layer: h ← h + C · r.", valueName: "file")) var add: String?
    @Option(
        help: ArgumentHelp(
            "The slot whose direction is used (in the file's layer convention); needed when the file holds several.", valueName: "slot"))
    var layer: Int?
    @Option(
        help: ArgumentHelp(
            "With --add: add at each of these slots its own direction of the file (instead of --layer), e.g. 8-12.", valueName: "slots"))
    var kernel: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("The coefficient C of --add; may be negative.", valueName: "C")) var coef: Double = 1
    @Flag(help: "With --add: add −r (the paper's reverse curves).") var reverse = false
    @Flag(help: "With --add: add C · r/‖r‖ (the unit direction) instead of the raw mean difference.") var unit = false
    @Option(help: ArgumentHelp("Positions --add applies at: all, prompt or prefill.", valueName: "all|prompt|prefill")) var at: AdditionPositions =
        .all
    @Option(
        help: ArgumentHelp(
            "Layer convention of an --ablate or --add file that records none (a foreign direction.pt: block_input).", valueName: "convention"))
    var convention: LayerConvention?
    @OptionGroup var foreign: DirectionOptions

    func validate() throws {
        guard coef.isFinite else { throw ValidationError("--coef must be a finite number") }
        guard strength.isFinite else { throw ValidationError("--strength must be a finite number") }
        if ablate == nil && (layers != nil || strength != 1) { throw ValidationError("--layers and --strength need --ablate") }
        if add == nil && (kernel != nil || reverse || unit) { throw ValidationError("--kernel, --reverse and --unit need --add") }
        if kernel != nil && layer != nil && ablate == nil { throw ValidationError("give --layer or --kernel for --add, not both") }
        if ablate == nil && add == nil && (convention != nil || !foreign.settings.isEmpty) {
            throw ValidationError("--convention, --slot, --directions-layout and --directions-position need --ablate or --add")
        }
    }

    /// The intervention on `model` (none without --ablate or --add), with `coefficient` for C and
    /// `strength` for α when given (a sweep's point).
    func intervention(for model: DecoderModel, coefficient: Double? = nil, strength: Float? = nil) throws -> Intervention {
        let c = (coefficient ?? coef) * (reverse ? -1 : 1)
        var additions: [ResidualAddition] = []
        if let add {
            if let kernel {
                guard case .slots(let slots) = try LayerSelection(parsing: kernel) else {
                    throw ValidationError("--kernel lists slots, e.g. 8-12")
                }
                additions = try Intervention.kernel(try source(add), slots: slots, coefficient: c, positions: at, unit: unit, model: model)
            } else {
                additions = [try Intervention.addition(try source(add), slot: layer, coefficient: c, positions: at, unit: unit, model: model)]
            }
        }
        return Intervention(
            ablation: try ablate.map { try Intervention.ablationBasis(try source($0), slot: layer, model: model) }, additions: additions,
            ablationSlots: try ablationSlots(model), ablationStrength: strength ?? self.strength)
    }

    /// Where the directions of `path` come from, as every command reads them (``DirectionOptions``):
    /// a foreign file (`direction.pt`, a `[layers, d]` stack) with --slot, --directions-layout,
    /// --directions-position and --convention. With both --ablate and --add, the foreign settings go
    /// to the foreign file only (a steer file names its layers).
    private func source(_ path: String) throws -> DirectionSource {
        var source = foreign.source(path, convention: convention)
        if ablate != nil, add != nil, try DirectionSource.foreignTensor(in: try TensorFile.open(path)) == nil { source.foreign = .init() }
        return source
    }

    /// --layers as a set of the model's hidden-state slots (nil: every slot).
    private func ablationSlots(_ model: DecoderModel) throws -> Set<Int>? {
        guard let layers else { return nil }
        guard case .slots(let slots) = try LayerSelection(parsing: layers) else { return nil }
        if let bad = slots.first(where: { $0 > model.config.blockCount }) {
            throw ValidationError("--layers: slot \(bad) is past the model's last write slot \(model.config.blockCount)")
        }
        return Set(slots)
    }

    /// What the intervention is, in words (nil for none).
    var description: String? {
        let parts = [
            ablate.map {
                "ablating \($0)\(layer.map { " slot \($0)" } ?? "")\(layers.map { " at slots \($0)" } ?? "")\(strength == 1 ? "" : " strength \(strength)")"
            },
            add.map {
                let vector = unit ? "r̂" : "r"
                let slots = kernel.map { " slots \($0)" } ?? layer.map { " slot \($0)" } ?? ""
                return "adding \(coef) × \(reverse ? "−" : "")\(vector) of \($0)\(slots) at \(at.rawValue) positions"
            },
        ].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The intervention as recorded in `settings.intervention` of `steer evaluate --json`.
    func record(_ intervention: Intervention) -> InterventionRecord? {
        guard !intervention.isEmpty else { return nil }
        return InterventionRecord(
            ablate: ablate, ablateSlot: ablate == nil ? nil : layer,
            ablationSlots: intervention.ablationSlots.map { $0.sorted() }, strength: ablate == nil ? nil : Double(intervention.ablationStrength),
            add: add,
            additionSlots: intervention.additions.isEmpty ? nil : intervention.additions.map(\.slot),
            coefficient: intervention.additions.first?.coefficient,
            vector: intervention.additions.first.map { $0.unit ? "unit direction" : "raw mean difference" },
            norms: intervention.additions.isEmpty ? nil : intervention.additions.map(\.norm),
            positions: intervention.additions.first?.positions.rawValue)
    }
}

/// `settings.intervention`: what was ablated or added, and how (the signed coefficient, raw mean
/// difference or unit direction and the direction's norm per slot).
struct InterventionRecord: Encodable {
    let ablate: String?
    let ablateSlot: Int?
    let ablationSlots: [Int]?
    let strength: Double?
    let add: String?
    let additionSlots: [Int]?
    let coefficient: Double?
    let vector: String?
    let norms: [Double]?
    let positions: String?
}

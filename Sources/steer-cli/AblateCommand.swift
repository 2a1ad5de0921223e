import ArgumentParser
import Steering
import TerminalOutput

struct Ablate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove directions from activations: h' = h − Q Qᵀ h per layer slot, written as a copy of the file.",
        discussion: """
            Q is the direction r̂ of each slot of a directions file (from `steer extract`), or the basis of a \
            basis file (from `steer svd`). Directions that are not orthonormal are orthonormalized first \
            (QR) and the output says so: ablating non-orthogonal directions one after another is not a \
            projection. --from-slot S removes slot S's direction from every selected layer (the \
            single-direction ablation of the refusal-direction study).

            The copy keeps the input's format, dtype, shape, layout and tensor names; slots and positions \
            not edited are copied byte for byte. A safetensors copy records the edit in its metadata \
            (steer.edit=ablate, steer.edit_source, steer.edit_slots, steer.edit_positions).

            Examples:
              steer ablate --directions dirs.safetensors --acts test.safetensors --out ablated.safetensors
              steer ablate --directions dirs.safetensors --from-slot 12 --all-positions --acts cache.npy --out cache_ablated.npy
              steer ablate --directions direction.pt --convention block_input --acts test.safetensors --out ablated.safetensors
            """
    )

    @Option(help: ArgumentHelp("A directions file from `steer extract`, or a basis from `steer svd`.", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Remove this slot's direction from every selected layer.", valueName: "slot")) var fromSlot: Int?
    @OptionGroup var foreign: DirectionOptions
    @OptionGroup var edit: EditOptions
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var summary: ActivationEditor.Summary
        var k: Int
        var orthonormalized: [Int]
        var fromSlot: Int?
        enum CodingKeys: String, CodingKey {
            case summary = "edit"
            case k, orthonormalized
            case fromSlot = "from_slot"
        }
    }

    func run() throws {
        let basis = try foreign.read(directions, convention: input.convention)
        let copy = try ActivationEditor.copy(
            edit.acts, applying: .ablate(basis, fromSlot: fromSlot), from: directions, to: edit.out, selection: input.selection(),
            allPositions: edit.allPositions, options: input.streamOptions)
        if let note = copy.note { standardError("steer: " + note) }
        let (summary, rows, unique) = (copy.summary, copy.rows, copy.orthonormalized)
        if json {
            try printJSON(Report(summary: summary, k: basis.k, orthonormalized: unique, fromSlot: fromSlot))
            return
        }
        let what = basis.k == 1 ? "the direction" : "the \(basis.k)-dimensional subspace"
        let source = fromSlot.map { "of slot \($0) " } ?? ""
        print("steer ablate: removed \(what) \(source)of \(directions) from \(rows.summary)")
        if !unique.isEmpty {
            print(
                "note: the directions at slot \(unique.map(String.init).joined(separator: ", ")) were not orthonormal; they were orthonormalized (QR) first"
            )
        }
        summary.printNotes(for: rows)
    }
}

import ArgumentParser
import Steering
import TerminalOutput

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a direction to activations: h' = h + C · r per layer slot, written as a copy of the file.",
        discussion: """
            r is the raw direction of each slot (its norm carries the scale, as `steer extract` saves it); \
            C may be negative (C = +1 adds the concept, C = −1 removes it on average). The copy keeps the \
            input's format, dtype, shape, layout and tensor names; what is not edited is copied byte for \
            byte, and a safetensors copy records steer.edit=add and steer.edit_coef.

            Example:
              steer add --directions dirs.safetensors --coef -1 --acts test.safetensors --out steered.safetensors
            """
    )

    @Option(help: ArgumentHelp("A directions file from `steer extract` (one vector per slot).", valueName: "file")) var directions: String
    @Option(parsing: .unconditional, help: ArgumentHelp("The coefficient C; may be negative (--coef -1).", valueName: "C"))
    var coef: Double
    @OptionGroup var foreign: DirectionOptions
    @OptionGroup var edit: EditOptions
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard coef.isFinite else { throw ValidationError("--coef must be a finite number") }
    }

    func run() throws {
        let set = try foreign.read(directions, convention: input.convention).oneVectorPerSlot(file: directions)
        let copy = try ActivationEditor.copy(
            edit.acts, applying: .add(set, coefficient: coef), from: directions, to: edit.out, selection: input.selection(),
            allPositions: edit.allPositions, options: input.streamOptions)
        if let note = copy.note { standardError("steer: " + note) }
        let (summary, rows) = (copy.summary, copy.rows)
        if json {
            try printJSON(summary)
            return
        }
        print("steer add: \(coef) × the directions of \(directions) added to \(rows.summary)")
        summary.printNotes(for: rows)
    }
}

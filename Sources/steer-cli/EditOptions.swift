import ArgumentParser
import Steering

/// Options of the commands that write an edited copy of an activation file (ablate, add, erase apply).
struct EditOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Activations to edit (any format steer reads).", valueName: "file")) var acts: String
    @Option(
        help: ArgumentHelp(
            "Where to write the edited copy: the input's format, dtype, shape and tensor names; written atomically, never over --acts.",
            valueName: "file"))
    var out: String
    @Flag(help: "Edit every stored token position (default: the --position given, else the one the directions were taken at).")
    var allPositions = false

    func validate() throws {
        if acts == out { throw ValidationError("--out is --acts; write the edited copy to another file") }
    }
}

extension ActivationEditor.Summary {
    /// `wrote OUT (safetensors, bf16): 520 rows edited at slots 0, 18 (position 0)`.
    var line: String {
        let at =
            positions.isEmpty
            ? "" : positions.count == 1 ? " (position \(positions[0]))" : " (positions \(positions.map(String.init).joined(separator: ",")))"
        let which = (slots.count == 1 ? "slot " : "slots ") + slots.map(String.init).joined(separator: ", ")
        return "wrote \(output) (\(format), \(dtype)): \(rows) rows edited at layer \(which)\(at)"
    }

    /// The note for formats without metadata, then ``line``.
    func printNotes(for rows: Activations) {
        if rows.file.format != .safetensors {
            print("note: \(rows.file.format.rawValue) files hold no metadata; the edit is not recorded in the copy")
        }
        print(line)
    }
}

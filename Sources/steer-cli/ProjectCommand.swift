import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct Project: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score activations along directions: h · r̂ per row and slot (Qᵀh for a basis), and the share of ‖h‖² inside.",
        discussion: """
            For a directions file (from `steer extract`) each row gets the scalar projection h · r̂ per \
            slot; for a basis (from `steer svd`) the k coordinates Qᵀh. Both come with the fraction \
            ‖Qᵀh‖² / ‖h‖² of the row's squared norm inside the span.

            Without --out or --jsonl a summary per slot is printed. --out writes Float64 coordinates: \
            .npy of shape [N, L] (directions) or [N, L, k] (bases), columns in increasing slot order \
            (printed), or .safetensors with one tensor layer.{slot} of [N] or [N, k] per slot. --jsonl \
            prints one object per row: {"row": 0, "layers": {"18": {"projection": …, "fraction": …}}} \
            ("projection" is a list of k values for a basis).

            Example:
              steer project --directions dirs.safetensors --acts test.safetensors --out scores.npy
            """
    )

    @Option(help: ArgumentHelp("A directions file from `steer extract`, or a basis from `steer svd`.", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Activations to project.", valueName: "file")) var acts: String
    @Option(help: ArgumentHelp("Save the coordinates (Float64) as .npy or .safetensors; written atomically.", valueName: "file")) var out: String?
    @Flag(help: "Print one JSON object per row.") var jsonl = false
    @OptionGroup var foreign: DirectionOptions
    @OptionGroup var input: InputOptions

    func validate() throws {
        if let out, !(out.hasSuffix(".npy") || out.hasSuffix(".safetensors")) {
            throw ValidationError("--out must end in .npy or .safetensors, not '\(out)'")
        }
    }

    func run() throws {
        let basis = try foreign.read(directions, convention: input.convention)
        let rows = try EditTarget.open(acts, selection: input.selection(), directions: basis, file: directions)[0]
        let projection = try rows.project(on: basis, file: directions, input.streamOptions)
        if let out { try projection.write(to: out, rows: rows, directions: directions) }
        if jsonl {
            printRows(projection, first: rows.rowOffset)
            return
        }
        print("steer project: \(rows.rowCount) rows of \(rows.summary) on \(directions) (k = \(projection.k))")
        if !projection.orthonormalizedSlots.isEmpty {
            print(
                "note: the basis at slot \(projection.orthonormalizedSlots.map(String.init).joined(separator: ", ")) was not orthonormal; it was orthonormalized (QR) first"
            )
        }
        print("")
        var table = TextTable(header: ["layer", "mean h·v1", "std", "min", "max", "mean fraction"])
        for (index, slot) in projection.slots.enumerated() {
            let first = (0..<projection.rows).map { projection.coordinates(row: $0, layer: index).first ?? 0 }
            let fractions = (0..<projection.rows).map { projection.fraction(row: $0, layer: index) }
            let mean = first.reduce(0, +) / Double(first.count)
            let std = (first.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, first.count - 1))).squareRoot()
            table.rows.append([
                String(slot), fixed(mean, 4), fixed(std, 4), fixed(first.min() ?? 0, 4), fixed(first.max() ?? 0, 4),
                fixed(fractions.reduce(0, +) / Double(fractions.count), 4),
            ])
        }
        print(table.render())
        if let out {
            let shape =
                out.hasSuffix(".npy")
                ? (projection.k == 1
                    ? "[\(projection.rows), \(projection.slots.count)]" : "[\(projection.rows), \(projection.slots.count), \(projection.k)]")
                : "layer.{slot}"
            print(
                "\nwrote \(out): Float64 \(shape); columns are layer slots \(projection.slots.map(String.init).joined(separator: ", ")) in that order"
            )
        }
    }

    func printRows(_ projection: Projection, first: Int) {
        var text = ""
        for r in 0..<projection.rows {
            let fields = projection.slots.enumerated().map { index, slot -> String in
                let c = projection.coordinates(row: r, layer: index)
                let value = projection.k == 1 ? "\(c.first ?? 0)" : "[" + c.map { "\($0)" }.joined(separator: ",") + "]"
                return "\"\(slot)\":{\"projection\":\(value),\"fraction\":\(projection.fraction(row: r, layer: index))}"
            }
            text += "{\"row\":\(r + first),\"layers\":{" + fields.joined(separator: ",") + "}}\n"
            if text.utf8.count > 1 << 20 {
                print(text, terminator: "")
                text = ""
            }
        }
        print(text, terminator: "")
    }
}

import ArgumentParser
import Steering
import TerminalOutput

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an activation file: format, dtype, shapes, tensors, metadata, non-finite values.",
        discussion: """
            Reads the header, then streams the data once to count NaN and infinite values \
            (skip that with --no-scan). Also says how steer would read the file as activations: \
            rows, width, layer slots, positions and layer convention. A file of one unnamed tensor shaped \
            like directions (a [d] direction, a [layers, d] or [positions, layers, d] stack) gets a line \
            saying how to read it as a direction set.
            """
    )

    @Argument(help: ArgumentHelp("The file to describe.", valueName: "file"))
    var file: String

    @OptionGroup var input: InputOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Do not scan the data for non-finite values.")
    var noScan = false

    func run() throws {
        let tensorFile = try TensorFile.open(file, options: try input.selection().readOptions)
        let report = try FileDescription(tensorFile, selection: input.selection(), scan: !noScan, options: input.streamOptions)
        if json { try printJSON(report) } else { printText(report) }
    }

    /// `looks like a direction set: …` and the flags that read it so.
    private func directionsLine(_ hint: FileDescription.DirectionsHint) -> String {
        let shape = "[" + hint.shape.map(String.init).joined(separator: ", ") + "]"
        let convention = "--convention (the convention of its layer numbers)"
        switch hint.layout {
        case nil:
            if let layer = hint.metadataLayer {
                let pos = hint.metadataPos.map { ", pos \($0)" } ?? ""
                return
                    "looks like a direction set: one \(shape) direction at slot \(layer) (\(DirectionSource.metadataFileName)\(pos)); give \(convention)"
            }
            return
                "looks like a direction set: one \(shape) direction; give --slot S (its layer) or put \(DirectionSource.metadataFileName) beside it, and \(convention)"
        case .ld:
            return "looks like a direction set: a [layers, d] stack \(shape)? read it with --directions-layout ld and \(convention)"
        case .pld:
            return
                "looks like a direction set: a [positions, layers, d] stack \(shape)? read it with --directions-position P (0…\(hint.shape[0] - 1) or negative) and \(convention)"
        }
    }

    private func printText(_ r: FileDescription) {
        print("file        \(r.file)")
        print("format      \(r.format.rawValue), \(humanBytes(r.bytes))")
        let types = Set(r.tensors.map(\.dtype)).sorted().joined(separator: ", ")
        let shapes = Set(r.tensors.map(\.shape))
        if r.tensors.count == 1, let only = r.tensors.first {
            print("tensor      \(only.name): \(only.dtype) \(only.shape)")
        } else {
            let ordered = r.tensors.sorted {
                (Activations.slotNumber(in: $0.name) ?? Int.max, $0.name) < (Activations.slotNumber(in: $1.name) ?? Int.max, $1.name)
            }
            let names =
                ordered.count > 6
                ? "\(ordered[0].name), \(ordered[1].name), … \(ordered[ordered.count - 1].name)" : ordered.map(\.name).joined(separator: ", ")
            let shape = shapes.count == 1 ? "each \(shapes.first ?? [])" : "\(shapes.count) shapes"
            print("tensors     \(r.tensors.count) (\(types)), \(shape): \(names)")
        }
        if let v = r.activations {
            let positions = v.positions.map { ", \($0) positions" } ?? ""
            print("activations \(v.rows) rows × width \(v.width)\(positions); layer slots \(LayerSelection.describe(v.layers))")
            print("convention  \(v.layerConvention?.rawValue ?? "not stated")")
        } else if let error = r.activationsError {
            print("activations not readable as activations: \(error)")
        }
        if let hint = r.directions { print("directions  " + directionsLine(hint)) }
        if let count = r.nonFinite { print("non-finite  \(count)") }
        if !r.metadata.isEmpty {
            print("metadata    \(r.metadata.count) keys")
            for key in r.metadata.keys.sorted() {
                let value = r.metadata[key] ?? ""
                let short = value.count > 100 ? String(value.prefix(97)) + "…" : value
                print("  \(key): \(short.replacingOccurrences(of: "\n", with: "\\n"))")
            }
        }
    }
}

import ArgumentParser
import Steering
import TerminalOutput

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an activation file: format, dtype, shapes, tensors, metadata, non-finite values.",
        discussion: """
            Reads the header, then streams the data once to count NaN and infinite values \
            (skip that with --no-scan). Also says how steer would read the file as activations: \
            rows, width, layer slots, positions and layer convention.
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

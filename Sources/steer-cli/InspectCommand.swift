import ArgumentParser
import Steering

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

    struct Report: Encodable {
        struct Tensor: Encodable { var name: String; var dtype: String; var shape: [Int] }
        struct View: Encodable {
            var rows: Int
            var width: Int
            var layers: [Int]
            var positions: Int?
            var layer_convention: String?
        }
        var file: String
        var format: String
        var bytes: Int
        var tensors: [Tensor]
        var metadata: [String: String]
        var activations: View?
        var activations_error: String?
        var non_finite: Int?
    }

    func run() throws {
        var selection = try input.selection()
        let tensorFile = try TensorFile.open(file, options: selection.readOptions)
        if selection.position == nil { selection.position = 0 }
        var view: Report.View?
        var viewError: String?
        do {
            let acts = try Activations(file: tensorFile, selection: selection)
            view = .init(rows: acts.rowCount, width: acts.width, layers: acts.availableSlots, positions: acts.positionCount, layer_convention: acts.layerConvention)
        } catch let error as SteerError {
            viewError = error.message
        }
        let options = input.streamOptions
        let nonFinite = noScan ? nil : try tensorFile.tensors.reduce(0) { $0 + (try tensorFile.nonFiniteCount($1, options: options)) }
        let report = Report(file: file, format: tensorFile.format.rawValue, bytes: tensorFile.storage.size,
                            tensors: tensorFile.tensors.map { .init(name: $0.name, dtype: $0.storedType, shape: $0.shape) },
                            metadata: tensorFile.metadata, activations: view, activations_error: viewError, non_finite: nonFinite)
        if json { try printJSON(report) } else { printText(report) }
    }

    private func printText(_ r: Report) {
        print("file        \(r.file)")
        print("format      \(r.format), \(humanBytes(r.bytes))")
        let types = Set(r.tensors.map(\.dtype)).sorted().joined(separator: ", ")
        let shapes = Set(r.tensors.map(\.shape))
        if r.tensors.count == 1, let only = r.tensors.first {
            print("tensor      \(only.name): \(only.dtype) \(only.shape)")
        } else {
            let ordered = r.tensors.sorted { (Activations.slotNumber(in: $0.name) ?? Int.max, $0.name) < (Activations.slotNumber(in: $1.name) ?? Int.max, $1.name) }
            let names = ordered.count > 6 ? "\(ordered[0].name), \(ordered[1].name), … \(ordered[ordered.count - 1].name)" : ordered.map(\.name).joined(separator: ", ")
            let shape = shapes.count == 1 ? "each \(shapes.first ?? [])" : "\(shapes.count) shapes"
            print("tensors     \(r.tensors.count) (\(types)), \(shape): \(names)")
        }
        if let v = r.activations {
            let positions = v.positions.map { ", \($0) positions" } ?? ""
            print("activations \(v.rows) rows × width \(v.width)\(positions); layer slots \(LayerSelection.describe(v.layers))")
            print("convention  \(v.layer_convention ?? "not stated")")
        } else if let error = r.activations_error {
            print("activations not readable as activations: \(error)")
        }
        if let count = r.non_finite { print("non-finite  \(count)") }
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

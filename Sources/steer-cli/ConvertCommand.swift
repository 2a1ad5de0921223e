import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy any readable input (.pt, .npz, .npy, safetensors, raw, control-vector GGUF) to safetensors or .npy.",
        discussion: """
            --dtype sets the output element type (default: the input's). Streamed row by row: memory stays flat in the file size. Activations become one \
            layer.{slot} [N, d] tensor per slot (safetensors) or one [N, L, d] array (.npy); direction \
            and basis files stay layer.{slot} vectors. --to-convention renumbers the slots from the \
            file's recorded layer convention (HF slot i is block_output i − 1 and block_input i) and \
            refuses a slot with no counterpart. The output records steer.layer_convention. A foreign \
            direction file (one unnamed tensor: a [d] direction at --slot or at the "layer" of \
            direction_metadata.json beside it, a [layers, d] stack with --directions-layout ld, a \
            [positions, layers, d] stack with --directions-position) becomes a steer directions file; \
            --convention states the convention of its layer numbers.

            Examples:
              steer convert cache.pt cache.safetensors --dtype f16
              steer convert control.gguf dirs.safetensors --to-convention block_output
              steer convert mean_diffs.pt dirs.safetensors --directions-position -1 --convention block_input
            """
    )

    @Argument(help: ArgumentHelp("Input file.", valueName: "in")) var input: String
    @Argument(help: ArgumentHelp("Output file: .safetensors or .npy; written atomically.", valueName: "out")) var output: String
    @Option(help: ArgumentHelp("Renumber the slots into this layer convention.", valueName: "convention")) var toConvention: LayerConvention?
    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var foreign: DirectionOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        // --dtype is the output type (and the type of a raw input given with --dim, kept as it is).
        let summary = try TensorConvert.convert(
            input, to: output,
            options: TensorConvert.Options(
                dtype: inputOptions.dtype, selection: try inputOptions.selection(), toConvention: toConvention, foreign: foreign.settings))
        if json {
            try printJSON(summary)
            return
        }
        let names =
            summary.tensors.count > 4
            ? "\(summary.tensors[0]) … \(summary.tensors[summary.tensors.count - 1])" : summary.tensors.joined(separator: ", ")
        print("steer convert: \(input) → \(output) (\(summary.format), \(summary.dtype))")
        print("tensors     \(summary.tensors.count), each \(describe(summary.shape)): \(names)")
        print("convention  \(summary.layerConvention ?? "not stated")")
        for pair in summary.renumbered where pair.count == 2 { print("slot \(pair[0]) → \(pair[1])") }
    }

    private func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

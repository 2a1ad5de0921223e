import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput
import TextGuard

/// Options of the guard on text: the model directory whose tokenizer, template and blocks turn
/// prompts into the hidden states the guard reads.
struct TextOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A Hugging Face model directory: score prompts (text) instead of activation files.", valueName: "dir"))
    var model: String?
    @Option(
        help: ArgumentHelp("With --model: model (the chat template), none, a format with {instruction}, or a Jinja template.", valueName: "template"))
    var template: String?
    @Option(help: ArgumentHelp("With --model: prompts per forward pass.", valueName: "n")) var batch = 16

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be between 1 and 4096") }
        if model == nil && template != nil { throw ValidationError("--template needs --model") }
    }

    /// Rows to score come as an activation file (`--acts`) or, with `--model`, as a prompt file
    /// (`--prompts`), never both.
    func validateScoring(acts: String?, prompts: String?) throws {
        if model != nil {
            guard prompts != nil, acts == nil else { throw ValidationError("--model scores --prompts (text), not --acts") }
        } else {
            guard acts != nil, prompts == nil else { throw ValidationError("give --acts (activations), or --model with --prompts (text)") }
        }
    }

    /// Two classes come as activation files (`--pos`/`--neg`) or, with `--model`, as prompt files
    /// (`--harmful`/`--harmless`), never both.
    static func validateClasses(text: TextOptions, files: (String?, String?), prompts: (String?, String?), fileNames: String) throws {
        if text.model != nil {
            guard prompts.0 != nil, prompts.1 != nil, files.0 == nil, files.1 == nil else {
                throw ValidationError("--model reads --harmful and --harmless (prompt files), not \(fileNames)")
            }
        } else {
            guard files.0 != nil, files.1 != nil, prompts.0 == nil, prompts.1 == nil else {
                throw ValidationError("give \(fileNames) (activations), or --model with --harmful and --harmless (text)")
            }
        }
    }

    /// The guard on the model, with the note for a guard trained on saved activations on stderr.
    func textGuard(_ detector: LatentGuard, path: String, threads: Int?) throws -> TextGuard {
        var text = try TextGuard(model: model ?? "", guard: detector, guardPath: path, template: template)
        text.batchSize = batch
        text.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        if let note = text.note { standardError("note: " + note) }
        return text
    }

    /// The probes of `layers` (all when nil) on the model, with the note that the model is taken on the user's word on stderr.
    func textProbe(_ probes: ProbeSet, path: String, layers: String, threads: Int?) throws -> TextProbe {
        let chosen: [Int]? =
            switch try LayerSelection(parsing: layers) {
            case .all: nil
            case .slots(let list): list
            }
        var text = try TextProbe(model: model ?? "", probes: probes, probePath: path, layers: chosen, template: template)
        text.batchSize = batch
        text.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        standardError("note: " + text.note)
        return text
    }
}

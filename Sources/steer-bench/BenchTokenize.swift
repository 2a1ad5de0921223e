import ArgumentParser
import Foundation
import Steering
import Synchronization
import TerminalOutput
import Tokenization

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Time the SmolLM2 prompts through the chat template against the tokenizers library and transformers.",
        discussion: """
            Every prompt of ../shared/data/smollm2/*.prompts.json (1,120) is rendered with the model's chat \
            template, its instruction located and the text tokenized (PromptEncoder.encode: two renderings \
            and one encoding per prompt), in this process, on one thread and on every core. The Python side \
            (Benchmarks/tokenizers_tokenize.py) times transformers' template rendering, the tokenizers \
            library's encode_batch (Rust, all cores) and encode loop on the rendered texts, and \
            apply_chat_template(tokenize=True); the ids of both sides are compared by digest.
            """
    )

    @Option(help: ArgumentHelp("The tokenizer directory.", valueName: "dir")) var model = Scripts.packageRoot + "/vectors/tokenize/smollm2"
    @Option(help: ArgumentHelp("The folder with the SmolLM2 prompt files.", valueName: "dir"))
    var data = Scripts.packageRoot + "/../shared/data/smollm2"
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 5
    @OptionGroup var common: Common

    struct Report: Encodable {
        var prompts: Int, tokens: Int
        var steerLoadS: Double, steerOneThreadS: Double, steerAllCoresS: Double, cores: Int
        var tokenizersLoadS: Double?, transformersRenderS: Double?, tokenizersEncodeBatchS: Double?, tokenizersEncodeLoopS: Double?
        var transformersApplyChatTemplateS: Double?, sameIds: Bool?
        var speedupVsEncodeBatch: Double?, speedupVsRenderPlusEncodeBatch: Double?, speedupVsApplyChatTemplate: Double?
    }

    func run() throws {
        let files = ["train_harmful", "train_harmless", "test_harmful", "test_harmless"].map { "\(data)/smollm2_\($0).prompts.json" }
        let prompts = try files.flatMap(PromptFile.read)
        var tokenizer: Tokenizer?
        let load = try bestTime(`repeat`) { tokenizer = try Tokenizer(directory: model) }
        let encoder = try PromptEncoder(tokenizer: tokenizer!)
        var ids: [[Int32]] = []
        let one = try bestTime(`repeat`) { ids = try prompts.map { try encoder.encode($0).ids } }
        let cores = StreamOptions().workers
        let all = try bestTime(`repeat`) { _ = try encodeInParallel(prompts, encoder, cores) }
        common.log("steer-bench: the tokenizers / transformers side (\(common.python))")
        let python = runPython(common.python, folder: common.scripts, "tokenizers_tokenize.py", [model, String(`repeat`)] + files)
        func value(_ i: Int) -> Double? { python.flatMap { $0.count > i ? $0[i] : nil } }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for prompt in ids {
            for byte in (prompt.map(String.init).joined(separator: ",") + ";").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        let same = value(6).map { UInt64($0) == hash & 0xFFFF_FFFF_FFFF }
        let report = Report(
            prompts: prompts.count, tokens: ids.reduce(0) { $0 + $1.count }, steerLoadS: load, steerOneThreadS: one, steerAllCoresS: all,
            cores: cores,
            tokenizersLoadS: value(0), transformersRenderS: value(1), tokenizersEncodeBatchS: value(2), tokenizersEncodeLoopS: value(3),
            transformersApplyChatTemplateS: value(4), sameIds: same, speedupVsEncodeBatch: value(2).map { $0 / all },
            speedupVsRenderPlusEncodeBatch: value(1).flatMap { r in value(2).map { (r + $0) / all } },
            speedupVsApplyChatTemplate: value(4).map { $0 / all })
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench tokenize: \(report.prompts) SmolLM2 prompts, \(report.tokens) tokens, chat template, best of \(`repeat`), \(cores) cores")
        var table = TextTable(header: ["what", "time", ""], leftAligned: [0])
        func seconds(_ x: Double?) -> String { x.map { fixed($0 * 1000, 1) + " ms" } ?? "n/a" }
        table.rows.append(["steer: load tokenizer.json", seconds(load), ""])
        table.rows.append(["steer: template + locate + tokenize, 1 thread", seconds(one), ""])
        table.rows.append(["steer: the same, \(cores) threads", seconds(all), ""])
        table.rows.append(["tokenizers: Tokenizer.from_file", seconds(report.tokenizersLoadS), ""])
        table.rows.append(["transformers: render the template (tokenize=False)", seconds(report.transformersRenderS), ""])
        table.rows.append([
            "tokenizers: encode_batch of the rendered texts (Rust, all cores)", seconds(report.tokenizersEncodeBatchS),
            report.speedupVsEncodeBatch.map { "steer (whole path) \(fixed($0, 2))× its speed" } ?? "",
        ])
        table.rows.append(["tokenizers: encode of each rendered text", seconds(report.tokenizersEncodeLoopS), ""])
        table.rows.append([
            "render + encode_batch", seconds(value(1).flatMap { r in value(2).map { r + $0 } }),
            report.speedupVsRenderPlusEncodeBatch.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        table.rows.append([
            "transformers: apply_chat_template(tokenize=True)", seconds(report.transformersApplyChatTemplateS),
            report.speedupVsApplyChatTemplate.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        print(table.render())
        print(
            "ids: "
                + (same.map { $0 ? "identical to the tokenizers library's (digest)" : "DIFFERENT from the tokenizers library's" } ?? "not compared"))
    }

    /// The prompts encoded on `workers` threads, each taking every `workers`-th prompt.
    private func encodeInParallel(_ prompts: [String], _ encoder: PromptEncoder, _ workers: Int) throws -> [[Int32]] {
        let results = Mutex<[[Int32]]>(Array(repeating: [], count: prompts.count))
        let failure = Mutex<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                for i in stride(from: worker, to: prompts.count, by: workers) {
                    let ids = try encoder.encode(prompts[i]).ids
                    results.withLock { $0[i] = ids }
                }
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0 }
    }
}

import ArgumentParser
import Foundation
import Runtime
import Steering
import TerminalOutput

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time greedy generation on SmolLM2 against transformers `generate` (same prompts, batch, threads) and llama.cpp.",
        discussion: """
            Generates --new tokens greedily for --count prompts (half from each split of \
            vectors/runtime/smollm2_train_ids.json) with the runtime's KV cache, --batch prompts at a \
            time and no EOS (every prompt gets --new tokens), then the same with transformers' \
            `generate` in float32 on the same batches and threads (Benchmarks/torch_generate.py), and \
            counts the prompts whose tokens are identical. Beside them, llama.cpp's own generation speed \
            on the same model as an F32 GGUF (--gguf; `llama-bench -p 0 -n NEW` for one sequence and \
            `llama-batched-bench` with --count parallel sequences) when --llama-bin holds them; for the \
            latter, steer's decode steps alone too (the whole run less a run of the prompts' pass). The load \
            average is printed: the figures depend on what else the machine runs.
            """
    )

    @Option(help: "The float32 SmolLM2 directory.") var model = "/work/models/smollm2-f32"
    @Option(help: "Token ids of the prompts.") var ids = Scripts.defaultFolder + "/../vectors/runtime/smollm2_train_ids.json"
    @Option(help: "Prompts.") var count = 32
    @Option(help: "New tokens per prompt.") var new = 64
    @Option(help: "Prompts per batch.") var batch = 32
    @Option(help: "Threads (OpenBLAS, torch and llama.cpp).") var threads = 2
    @Option(help: "The model as an F32 GGUF for llama.cpp.") var gguf = "/work/models/smollm2-f32.gguf"
    @Option(help: "Folder of the llama.cpp binaries (llama-bench, llama-batched-bench).") var llamaBin = "/work/llama.cpp/build/bin"
    @Flag(help: "Skip transformers.") var noTorch = false
    @OptionGroup var common: Common

    struct Report: Encodable {
        var prompts: Int, newTokens: Int, batch: Int, threads: Int, generatedTokens: Int
        var steerS: Double, steerTokensPerS: Double, steerPrefillS: Double, steerDecodeTokensPerS: Double?
        var torchS: Double?, torchTokensPerS: Double?, ratioToTorch: Double?, identicalPrompts: Int?
        var llamaCppTokensPerS: Double?, llamaCppBatchedTokensPerS: Double?
        var loadAverage: [Double]
    }

    func run() throws {
        let splits = try JSONDecoder().decode([String: [[Int32]]].self, from: Data(contentsOf: URL(fileURLWithPath: ids)))
        let prompts = splits.keys.sorted().flatMap { Array(splits[$0]!.prefix(count / 2)) }
        let loaded = try DecoderModel.load(model)
        let options = GenerationOptions(maxNewTokens: new, stopTokens: [-1], batchSize: batch, threads: threads)
        _ = try loaded.generate(Array(prompts.prefix(2)), options: GenerationOptions(maxNewTokens: 2, stopTokens: [-1], threads: threads))
        let start = Date()
        let completions = try loaded.generate(prompts, options: options)
        let seconds = Date().timeIntervalSince(start)
        let generated = completions.reduce(0) { $0 + $1.tokens.count }
        // The prompts' pass alone (one new token each), to state the decode steps' own rate as
        // llama-batched-bench does (its S_TG leaves the prompts out).
        let prefillStart = Date()
        _ = try loaded.generate(prompts, options: GenerationOptions(maxNewTokens: 1, stopTokens: [-1], batchSize: batch, threads: threads))
        let prefillS = Date().timeIntervalSince(prefillStart)
        let decodeTokensPerS = new > 1 && seconds > prefillS ? Double(generated - prompts.count) / (seconds - prefillS) : nil
        try FileManager.default.createDirectory(atPath: common.dir, withIntermediateDirectories: true)
        let tokensOut = common.dir + "/torch_generate_tokens.json"
        let torch =
            noTorch
            ? nil
            : runPython(
                common.python, folder: common.scripts, "torch_generate.py",
                [model, ids, "\(count)", "\(new)", "\(batch)", "\(threads)", tokensOut])
        let torchS = torch.flatMap { $0.count == 2 && $0[0] > 0 ? $0[0] : nil }
        var identical: Int?
        if torchS != nil, let data = FileManager.default.contents(atPath: tokensOut),
            let reference = try? JSONDecoder().decode([[Int32]].self, from: data)
        {
            identical = zip(completions, reference).filter { $0.tokens == $1 }.count
        }
        let single = llamaBench()
        let batched = llamaBatchedBench(prompts: prompts)
        let report = Report(
            prompts: prompts.count, newTokens: new, batch: batch, threads: threads, generatedTokens: generated, steerS: seconds,
            steerTokensPerS: Double(generated) / seconds, steerPrefillS: prefillS, steerDecodeTokensPerS: decodeTokensPerS, torchS: torchS,
            torchTokensPerS: torchS.map { Double(generated) / $0 },
            ratioToTorch: torchS.map { $0 / seconds }, identicalPrompts: identical, llamaCppTokensPerS: single, llamaCppBatchedTokensPerS: batched,
            loadAverage: loadAverage())
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print(
            "steer-bench generate: SmolLM2-135M float32, \(prompts.count) prompts × \(new) greedy tokens, batch \(batch), \(threads) threads; load average \(report.loadAverage.map { fixed($0, 2) }.joined(separator: " "))"
        )
        var table = TextTable(header: ["run", "time", "tokens/s", ""], leftAligned: [0])
        table.rows.append(["steer runtime (KV cache, packed batch)", fixed(seconds, 2) + " s", fixed(report.steerTokensPerS, 1), ""])
        if let torchS {
            table.rows.append([
                "transformers generate, float32", fixed(torchS, 2) + " s", fixed(Double(generated) / torchS, 1),
                "steer at \(fixed(torchS / seconds, 2))× its speed; \(identical ?? 0)/\(prompts.count) prompts token-identical",
            ])
        }
        table.rows.append([
            "steer decode steps alone (prompts' pass \(fixed(prefillS, 2)) s)", "", decodeTokensPerS.map { fixed($0, 1) } ?? "n/a",
            "as llama-batched-bench's S_TG below",
        ])
        table.rows.append(["llama.cpp F32 GGUF, one sequence (llama-bench tg\(new))", "", single.map { fixed($0, 1) } ?? "n/a", ""])
        table.rows.append([
            "llama.cpp F32 GGUF, \(prompts.count) sequences (llama-batched-bench S_TG)", "", batched.map { fixed($0, 1) } ?? "n/a",
            "decode steps alone",
        ])
        print(table.render())
    }

    /// llama-bench's tokens/s generating `new` tokens for one sequence (nil without the binary or the GGUF).
    func llamaBench() -> Double? {
        guard let output = llama("llama-bench", ["-m", gguf, "-p", "0", "-n", "\(new)", "-t", "\(threads)", "-r", "2", "-o", "json"]),
            let rows = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
        else { return nil }
        return rows.first?["avg_ts"] as? Double
    }

    /// llama-batched-bench's generation tokens/s (S_TG) with `prompts.count` parallel sequences of
    /// the mean prompt length, `new` tokens each.
    func llamaBatchedBench(prompts: [[Int32]]) -> Double? {
        let length = prompts.map(\.count).reduce(0, +) / max(1, prompts.count)
        let context = prompts.count * (length + new) + 64
        guard
            let output = llama(
                "llama-batched-bench",
                [
                    "-m", gguf, "-c", "\(context)", "-b", "2048", "-ub", "512", "-npp", "\(length)", "-ntg", "\(new)", "-npl", "\(prompts.count)",
                    "-t",
                    "\(threads)", "--output-format", "jsonl",
                ])
        else { return nil }
        for line in output.split(separator: "\n") {
            if let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let speed = row["speed_tg"] as? Double {
                return speed
            }
        }
        return nil
    }

    /// The standard output of llama.cpp binary `name` (nil when it or the GGUF is absent, or it fails).
    func llama(_ name: String, _ arguments: [String]) -> String? {
        let binary = llamaBin + "/" + name
        guard FileManager.default.isExecutableFile(atPath: binary), FileManager.default.fileExists(atPath: gguf) else {
            standardError("steer-bench generate: \(name) or \(gguf) absent: llama.cpp skipped")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? output : nil
    }

    /// The 1, 5 and 15 minute load averages.
    func loadAverage() -> [Double] {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}

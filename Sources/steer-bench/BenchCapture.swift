import ArgumentParser
import CLinearAlgebra
import Foundation
import Runtime
import Steering
import TerminalOutput

struct BenchCapture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Time the runtime's capture of SmolLM2 hidden states against transformers in float32, same prompts, batches and threads.",
        discussion: """
            Runs the runtime (Sources/Runtime) on the token ids of the 520 shared SmolLM2 training prompts \
            (vectors/runtime/smollm2_train_ids.json), keeping every slot at t_inst = -7 and t_post = -1 and \
            writing them as `steer capture` does (ActivationCapture, float32 file in --dir), then \
            transformers in float32 on the same batches and threads (Benchmarks/torch_capture.py; \
            needs torch and transformers in --python). Also times OpenBLAS sgemm on the model's own \
            matrix shapes, for the compute floor: sgemm GFLOPS / (2 × matrix parameters per token). \
            Peak RSS is this process's VmHWM after a quarter of the prompts and after all of them (flat \
            in N: the model plus one batch). Needs the float32 model directory (scripts/make-smollm2).

            BF16 weights: the runtime widens a BF16 weight to Float32 one panel at a time before each \
            sgemm (Debian's OpenBLAS has no bf16 GEMM). The widening cost is timed on the model's own \
            weights rounded to BF16: every panel of every block widened once (what one batch costs) \
            against the sgemm of one batch of 700 rows on the same matrices.

            llama.cpp: with --llama-bench and --gguf (an F32 GGUF of the same model, made by llama.cpp's \
            convert_hf_to_gguf.py --outtype f32), llama-bench's prompt processing of a prompt of the \
            shared prompts' mean length, on the same threads and on one thread.
            """
    )

    @Option(help: "The float32 SmolLM2 directory.") var model = "/work/models/smollm2-f32"
    @Option(help: "Token ids of the prompts.") var ids = Scripts.defaultFolder + "/../vectors/runtime/smollm2_train_ids.json"
    @Option(help: "Prompts per batch.") var batch = 16
    @Option(help: "Threads (OpenBLAS and torch).") var threads = 2
    @Option(help: "Use only the first N prompts.") var limit: Int?
    @Flag(help: "Skip transformers.") var noTorch = false
    @Option(help: "llama.cpp's llama-bench (skipped when absent).") var llamaBench = "/work/llama.cpp/build/bin/llama-bench"
    @Option(help: "An F32 GGUF of the same model, for llama-bench.") var gguf = "/work/models/smollm2-f32.gguf"
    @OptionGroup var common: Common

    struct Report: Encodable {
        var prompts: Int, tokens: Int, threads: Int, batch: Int
        var steerS: Double, steerTokensPerS: Double
        var torchS: Double?, torchTokensPerS: Double?, ratioToTorch: Double?
        var sgemmGflops: Double, floorTokensPerS: Double, shareOfFloor: Double
        var modelMb: Double, peakRssQuarterMb: Double, peakRssMb: Double, torchPeakRssMb: Double?
        var bf16WidenMs: Double, bf16SgemmMs: Double, bf16WidenShare: Double
        var llamaCppPromptTokens: Int?, llamaCppTokensPerS: Double?, llamaCppOneThreadTokensPerS: Double?
        var loadAverage: String
    }

    func run() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: ids))
        var prompts = try JSONDecoder().decode([String: [[Int32]]].self, from: data).sorted { $0.key < $1.key }.flatMap(\.value)
        if let limit { prompts = Array(prompts.prefix(limit)) }
        let encoded = prompts.map {
            CapturePrompt(instruction: "", ids: $0, instructionEnd: $0.count - 7, instructionTokenCount: 0, instructionEndToken: "")
        }
        let loaded = try DecoderModel.load(model)
        try FileManager.default.createDirectory(atPath: common.dir, withIntermediateDirectories: true)
        let options = CaptureOptions(dtype: .float32, batchSize: batch, threads: threads)
        let out = common.dir + "/capture.safetensors"
        _ = try ActivationCapture.run(model: loaded, prompts: Array(encoded.prefix(encoded.count / 4)), options: options, to: out)
        let quarterPeak = ownPeakRSS()
        let summary = try ActivationCapture.run(model: loaded, prompts: encoded, options: options, to: out)
        let peak = ownPeakRSS()
        let gflops = sgemmGFLOPS(loaded)
        let perToken = 2 * Double(loaded.weightBytes - loaded.config.vocabularySize * loaded.config.hiddenSize * 4) / 4
        let floor = gflops * 1e9 / perToken
        let torch =
            noTorch
            ? nil
            : runPython(
                common.python, folder: common.scripts, "torch_capture.py", [model, ids, "\(batch)", "\(threads)"] + (limit.map { ["\($0)"] } ?? []))
        let torchS = torch.flatMap { $0.count == 3 && $0[0] > 0 ? $0[0] : nil }
        let widening = wideningCost(loaded)
        let promptLength = Int((Double(summary.tokens) / Double(max(1, prompts.count))).rounded())
        let llama = llamaCpp(promptLength: promptLength, threads: threads)
        let llamaOne = threads == 1 ? llama : llamaCpp(promptLength: promptLength, threads: 1)
        let rate = Double(summary.tokens) / summary.seconds
        let report = Report(
            prompts: prompts.count, tokens: summary.tokens, threads: threads, batch: batch, steerS: summary.seconds, steerTokensPerS: rate,
            torchS: torchS, torchTokensPerS: torchS.map { Double(summary.tokens) / $0 }, ratioToTorch: torchS.map { $0 / summary.seconds },
            sgemmGflops: gflops, floorTokensPerS: floor, shareOfFloor: rate / floor, modelMb: Double(loaded.weightBytes) / 1e6,
            peakRssQuarterMb: Double(quarterPeak) / 1e6, peakRssMb: Double(peak) / 1e6,
            torchPeakRssMb: torch.flatMap { $0.count == 3 ? $0[2] / 1e6 : nil }, bf16WidenMs: 1e3 * widening.widen,
            bf16SgemmMs: 1e3 * widening.sgemm, bf16WidenShare: widening.widen / widening.sgemm,
            llamaCppPromptTokens: llama == nil ? nil : promptLength, llamaCppTokensPerS: llama, llamaCppOneThreadTokensPerS: llamaOne,
            loadAverage: Self.loadAverage())
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench capture: SmolLM2-135M float32, \(prompts.count) prompts (\(summary.tokens) tokens), batch \(batch), \(threads) threads")
        var table = TextTable(header: ["run", "time", "tokens/s", ""], leftAligned: [0])
        table.rows.append([
            "steer runtime (every slot at 2 positions, written)", fixed(summary.seconds, 2) + " s", fixed(rate, 0),
            "\(fixed(100 * report.shareOfFloor, 0)) % of the sgemm floor",
        ])
        if let torchS {
            table.rows.append([
                "transformers float32", fixed(torchS, 2) + " s", fixed(Double(summary.tokens) / torchS, 0),
                "steer at \(fixed(torchS / summary.seconds, 2))× its speed",
            ])
        }
        if let llama {
            table.rows.append([
                "llama.cpp F32 GGUF, prompt processing (pp\(promptLength))", "", fixed(llama, 0), "steer at \(fixed(rate / llama, 2))×",
            ])
        }
        if let llamaOne, threads != 1 {
            table.rows.append(["llama.cpp, the same on 1 thread", "", fixed(llamaOne, 0), "steer at \(fixed(rate / llamaOne, 2))×"])
        }
        table.rows.append(["sgemm floor (\(fixed(gflops, 0)) GFLOPS)", "", fixed(floor, 0), ""])
        print(table.render())
        print(
            "BF16 weights: widening every panel of one batch \(fixed(report.bf16WidenMs, 1)) ms against \(fixed(report.bf16SgemmMs, 1)) ms of sgemm on them (700 rows): +\(fixed(100 * report.bf16WidenShare, 1)) % (no Float32 copy kept)"
        )
        print(
            "peak RSS: \(Int(report.peakRssQuarterMb)) MB after \(prompts.count / 4) prompts, \(Int(report.peakRssMb)) MB after \(prompts.count) (weights \(Int(report.modelMb)) MB)"
        )
        print("load average at the end: \(report.loadAverage) (the machine is shared: ratios from this run, not absolute times)")
    }

    /// The cost of BF16 weights: the model's block matrices rounded to BF16, every panel widened once
    /// (as `Linear.apply` widens them for one batch: panels of about 64 Ki values), against `sgemm` of
    /// 700 rows on the Float32 matrices. Best of 3, seconds per batch over every block.
    func wideningCost(_ model: DecoderModel) -> (widen: Double, sgemm: Double) {
        let c = model.config
        let d = c.hiddenSize
        let shapes = [
            (c.headCount * c.headDimension + 2 * c.keyValueHeadCount * c.headDimension, d), (d, c.headCount * c.headDimension),
            (2 * c.intermediateSize, d), (d, c.intermediateSize),
        ]
        let m = 700
        openblas_set_num_threads(Int32(threads))
        var widen = 0.0
        var sgemm = 0.0
        for (n, k) in shapes {
            let weights = (0..<n * k).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
            let bf16 = weights.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16) }
            var wide = [Float](repeating: 0, count: n * k)
            let panel = max(16, (64 << 10) / k) * k
            widen +=
                bestTime(3) {
                    bf16.withUnsafeBytes { source in
                        wide.withUnsafeMutableBufferPointer { out in
                            for start in stride(from: 0, to: n * k, by: panel) {
                                Kernels.convert(source.baseAddress! + 2 * start, .bfloat16, min(panel, n * k - start), into: out.baseAddress! + start)
                            }
                        }
                    }
                } * Double(c.blockCount)
            let x = [Float](repeating: 0.5, count: m * k)
            var y = [Float](repeating: 0, count: m * n)
            sgemm +=
                bestTime(3) {
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x, Int32(k), weights, Int32(k), 0, &y, Int32(n))
                } * Double(c.blockCount)
        }
        return (widen, sgemm)
    }

    /// llama-bench's prompt processing (tokens/s) of a `promptLength`-token prompt on `threads` threads,
    /// or nil when llama-bench or the GGUF is absent or it fails.
    func llamaCpp(promptLength: Int, threads: Int) -> Double? {
        guard FileManager.default.isExecutableFile(atPath: llamaBench), FileManager.default.fileExists(atPath: gguf) else {
            standardError("steer-bench: llama.cpp comparison skipped: no \(llamaBench) or \(gguf)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: llamaBench)
        process.arguments = ["-m", gguf, "-t", "\(threads)", "-p", "\(promptLength)", "-n", "0", "-r", "3", "-o", "jsonl"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return nil }
        return (object["avg_ts"] as? NSNumber)?.doubleValue
    }

    /// `/proc/loadavg`'s three averages.
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// OpenBLAS sgemm throughput on the model's matrix shapes, 700 rows (a batch of 16 prompts).
    func sgemmGFLOPS(_ model: DecoderModel) -> Double {
        let c = model.config
        let d = c.hiddenSize
        let q = c.headCount * c.headDimension
        let kv = c.keyValueHeadCount * c.headDimension
        let shapes = [(q + 2 * kv, d), (d, q), (2 * c.intermediateSize, d), (d, c.intermediateSize)]
        let m = 700
        openblas_set_num_threads(Int32(threads))
        var flops = 0.0
        let seconds = bestTime(3) {
            flops = 0
            for (n, k) in shapes {
                let x = [Float](repeating: 0.5, count: m * k)
                let w = [Float](repeating: 0.25, count: n * k)
                var y = [Float](repeating: 0, count: m * n)
                for _ in 0..<4 {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x, Int32(k), w, Int32(k), 0, &y, Int32(n))
                    flops += 2 * Double(m * n * k)
                }
            }
        }
        return flops / seconds / 1e9
    }

    /// This process's peak resident memory (VmHWM), in bytes.
    func ownPeakRSS() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

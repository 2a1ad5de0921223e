import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchOrthogonalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orthogonalize",
        abstract: "Time `steer orthogonalize` of a synthetic bf16 Llama-style model against `cp -r` of the same directory.",
        discussion: """
            Generates (once, in --dir) a Hugging Face directory of a Llama-style model in bf16 with random \
            weights (embed_tokens, and per block q/k/v/o_proj, gate/up/down_proj and two norms), saved in two \
            shards with an index, and a directions file; then times `steer orthogonalize --layer 1` as a child \
            (best of --repeat, peak RSS; also at a quarter of the blocks, for the flat-memory check), the same \
            with --no-digests (no SHA-256 of the shards for the recipe), --baseline another binary's two runs, and `cp -r` of the directory (also \
            followed by `sync` of the copy: steer's files are flushed to disk when it ends, cp's are not). Each \
            output directory is removed before its run, outside the timing. Defaults: d = 2048, 8 blocks, MLP 5632, vocab 32000 (about 1 GB).
            """
    )

    @Option(help: "Model width d.") var width = 2048
    @Option(help: "Blocks.") var blocks = 8
    @Option(help: "MLP width.") var intermediate = 5632
    @Option(help: "Vocabulary.") var vocab = 32000
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @Option(help: ArgumentHelp("Another steer binary whose default and --no-digests runs are measured too (before/after).", valueName: "path"))
    var baseline: String?
    @OptionGroup var common: Common

    struct Report: Encodable {
        var width: Int, blocks: Int, modelMb: Double
        var steerS: Double, peakRssMb: Double, peakRssQuarterBlocksMb: Double
        var steerNoDigestsS: Double
        var cpS: Double, cpSyncS: Double, ratioToCp: Double, ratioNoDigestsToCp: Double
    }

    func run() throws {
        guard width >= 8, blocks >= 4, intermediate >= 8, vocab >= 8 else { throw ValidationError("sizes too small") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let full = "\(dir)/ortho_model_\(width)x\(blocks)"
        let quarter = "\(dir)/ortho_model_\(width)x\(blocks / 4)"
        for (path, n) in [(full, blocks), (quarter, blocks / 4)] where !FileManager.default.fileExists(atPath: path + "/config.json") {
            common.log("steer-bench: writing \(path)")
            try writeModel(path, blocks: n)
        }
        let directions = "\(dir)/ortho_directions_\(width).safetensors"
        var generator = SplitMix64(seed: 5)
        try DirectionSet(
            slots: [1], vectors: [(0..<width).map { _ in Double(generator.next() >> 11) * 0x1p-53 - 0.5 }],
            metadata: [SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue, SteerMetadata.Key.layerConvention: "hf_hidden_states"]
        ).write(to: directions)
        let out = "\(dir)/ortho_out"
        func steer(_ model: String, digests: Bool = true, executable: String? = nil) throws -> Child {
            try? FileManager.default.removeItem(atPath: out)
            return try Child.run(
                ["orthogonalize", "--model", model, "--directions", directions, "--layer", "1", "--out", out] + (digests ? [] : ["--no-digests"]),
                executable: executable)
        }
        func best(_ body: () throws -> Child) rethrows -> Child? { try bestChild(`repeat`, body) }
        let copyTarget = "\(dir)/ortho_copy"
        guard let timed = try best({ try steer(full) }), let fast = try best({ try steer(full, digests: false) }),
            let copy = try best({
                try? FileManager.default.removeItem(atPath: copyTarget)
                return try Child.run(["-r", full, copyTarget], executable: "/bin/cp")
            })
        else { return }
        // What steer guarantees and cp does not: the copy on disk (steer fsyncs every file it writes).
        guard
            let synced = try best({
                try? FileManager.default.removeItem(atPath: copyTarget)
                return try Child.run(["-c", "cp -r \"$0\" \"$1\" && sync \"$1\"/*", full, copyTarget], executable: "/bin/sh")
            })
        else { return }
        try? FileManager.default.removeItem(atPath: copyTarget)
        let before = try baseline.map { path in
            (try best({ try steer(full, executable: path) }), try best({ try steer(full, digests: false, executable: path) }))
        }
        let small = try steer(quarter)
        let size = try directoryBytes(full)
        let report = Report(
            width: width, blocks: blocks, modelMb: Double(size) / 1e6, steerS: timed.seconds, peakRssMb: Double(timed.peakRSS) / 1e6,
            peakRssQuarterBlocksMb: Double(small.peakRSS) / 1e6, steerNoDigestsS: fast.seconds, cpS: copy.seconds, cpSyncS: synced.seconds,
            ratioToCp: timed.seconds / copy.seconds, ratioNoDigestsToCp: fast.seconds / copy.seconds)
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print(
            "steer-bench orthogonalize: bf16 Llama-style model, d = \(width), \(blocks) blocks (\(Int(report.modelMb)) MB), \(StreamOptions().workers) cores"
        )
        var table = TextTable(header: ["run", "time", "peak RSS", ""], leftAligned: [0])
        table.rows.append([
            "steer orthogonalize --layer 1", fixed(timed.seconds, 2) + " s", "\(Int(report.peakRssMb)) MB",
            "at \(blocks / 4) blocks: \(Int(report.peakRssQuarterBlocksMb)) MB; steer at \(fixed(report.ratioToCp, 2))× of cp",
        ])
        table.rows.append([
            "  --no-digests (no SHA-256 in the recipe)", fixed(fast.seconds, 2) + " s", "\(Int(Double(fast.peakRSS) / 1e6)) MB",
            "steer at \(fixed(report.ratioNoDigestsToCp, 2))× of cp",
        ])
        if let (digested, plain) = before, let digested, let plain {
            for (name, run, this) in [("baseline, default", digested, timed), ("baseline, --no-digests", plain, fast)] {
                table.rows.append([
                    name, fixed(run.seconds, 2) + " s", "\(Int(Double(run.peakRSS) / 1e6)) MB",
                    "read \(humanBytes(run.bytesRead)) (this build: \(humanBytes(this.bytesRead)))",
                ])
            }
        }
        table.rows.append(["cp -r of the same directory", fixed(copy.seconds, 2) + " s", "", ""])
        table.rows.append(["cp -r, then sync of the copy", fixed(synced.seconds, 2) + " s", "", "(steer's files are on disk when it ends)"])
        print(table.render())
        print("load average at the end: \(BenchCapture.loadAverage()) (the machine may be shared)")
    }

    /// A Llama-style model directory: config.json, two bf16 shards (embedding and the first half of
    /// the blocks; the rest) and the index. Weights uniform in ±0.02, norms 1.
    func writeModel(_ path: String, blocks: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let config = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": \(width), "intermediate_size": \(intermediate), \
            "num_hidden_layers": \(blocks), "num_attention_heads": \(max(1, width / 128)), "vocab_size": \(vocab), "tie_word_embeddings": false, \
            "torch_dtype": "bfloat16"}
            """
        try AtomicFile.write(Array(config.utf8), to: path + "/config.json")
        var weightMap: [String: String] = [:]
        var total = 0
        let half = blocks / 2
        for (s, range) in [(1, 0..<half), (2, half..<blocks)] {
            var specs: [TensorSpec] = s == 1 ? [TensorSpec(name: "model.embed_tokens.weight", dtype: .bfloat16, shape: [vocab, width])] : []
            for n in range {
                let p = "model.layers.\(n)."
                specs += [
                    TensorSpec(name: p + "input_layernorm.weight", dtype: .bfloat16, shape: [width]),
                    TensorSpec(name: p + "self_attn.q_proj.weight", dtype: .bfloat16, shape: [width, width]),
                    TensorSpec(name: p + "self_attn.k_proj.weight", dtype: .bfloat16, shape: [width, width]),
                    TensorSpec(name: p + "self_attn.v_proj.weight", dtype: .bfloat16, shape: [width, width]),
                    TensorSpec(name: p + "self_attn.o_proj.weight", dtype: .bfloat16, shape: [width, width]),
                    TensorSpec(name: p + "post_attention_layernorm.weight", dtype: .bfloat16, shape: [width]),
                    TensorSpec(name: p + "mlp.gate_proj.weight", dtype: .bfloat16, shape: [intermediate, width]),
                    TensorSpec(name: p + "mlp.up_proj.weight", dtype: .bfloat16, shape: [intermediate, width]),
                    TensorSpec(name: p + "mlp.down_proj.weight", dtype: .bfloat16, shape: [width, intermediate]),
                ]
            }
            if s == 2 { specs.append(TensorSpec(name: "model.norm.weight", dtype: .bfloat16, shape: [width])) }
            let file = "model-0000\(s)-of-00002.safetensors"
            var state: UInt64 = 0x1234_5678 &+ UInt64(s)
            var buffer = [Float](repeating: 0, count: 1 << 20)
            try TensorWriter.write(to: path + "/" + file, format: .safetensors, tensors: specs, metadata: ["format": "pt"]) { writer in
                for spec in specs {
                    var remaining = spec.shape.reduce(1, *)
                    let norm = spec.name.hasSuffix("norm.weight")
                    while remaining > 0 {
                        let n = min(remaining, buffer.count)
                        for i in 0..<n {
                            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                            buffer[i] = norm ? 1 : (Float(UInt32(truncatingIfNeeded: state >> 40)) * (1 / Float(1 << 24)) - 0.5) * 0.04
                        }
                        try writer.append(Array(buffer[0..<n]))
                        remaining -= n
                    }
                }
            }
            for spec in specs {
                weightMap[spec.name] = file
                total += spec.shape.reduce(1, *) * 2
            }
        }
        let index: [String: Any] = ["metadata": ["total_size": total], "weight_map": weightMap]
        try AtomicFile.write(
            Array(try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys])),
            to: path + "/model.safetensors.index.json")
    }
}

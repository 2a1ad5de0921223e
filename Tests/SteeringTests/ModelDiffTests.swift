import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer diff` on edits `steer orthogonalize` makes: each fixture model of
/// vectors/orthogonalize/models edited by the library in the test, then diffed back against the
/// plan it followed. Required: |cos| ≥ 0.99999 (F32, F16) or ≥ 0.9999 (BF16) between the
/// recovered direction and the one removed (Gemma's: the direction before its (1 + γ)), λ within
/// 1e-3 relative, the form named.
@Suite struct ModelDiffTests {
    /// Orthogonalizes `model` as `options` say and returns the report of diffing it back, with the plan.
    static func roundTrip(
        _ model: String, choice: DirectionChoice, options: WeightOrthogonalizer.Options = .init(),
        directions: String = OrthogonalizationTests.directions
    ) throws -> (report: DiffReport, plan: OrthogonalizationPlan) {
        let base = OrthogonalizationTests.model(model)
        let out = try Fixtures.temporaryDirectory() + "/edited"
        var options = options
        options.digests = false
        _ = try WeightOrthogonalizer.run(model: base, directions: directions, choice: choice, out: out, options: options)
        let plan = try WeightOrthogonalizer.plan(model: ModelDirectory.open(base), directionsFile: directions, choice: choice, options: options).plan
        return (try ModelDiff.run(base: base, edited: out), plan)
    }

    /// Every edited writer recovered: direction, strength and form; every other writer unchanged.
    static func checkRecovered(_ report: DiffReport, plan: OrthogonalizationPlan, form: EditForm, cosine: Double) throws {
        let byName = Dictionary(uniqueKeysWithValues: report.tensors.map { ($0.name, $0) })
        // Row norm preservation rescales each element of a bias to its old magnitude: only signs
        // can change, and nothing of the direction is left (a limit, not a miss).
        for edit in plan.edits where !(form == .normPreservingRows && edit.writer.bias) {
            let tensor = try #require(byName[edit.writer.label], "\(edit.writer.label) not reported")
            #expect(tensor.status == .changed && tensor.writer, "\(tensor.name)")
            #expect(tensor.variant == form, "\(tensor.name): \(String(describing: tensor.variant)), residual \(tensor.residual ?? -1)")
            #expect(tensor.slot == (edit.writer.block.map { $0 + 1 } ?? 0), "\(tensor.name)")
            if edit.directions.count == 1 {
                let u = try #require(tensor.direction, "\(tensor.name) has no direction")
                let agreement = abs(LinearAlgebra.dot(u, edit.directions[0]))
                #expect(agreement >= cosine, "\(tensor.name): |cos| \(agreement)")
                #expect(tensor.normCorrected == (edit.writer.outputNorm != nil), "\(tensor.name)")
            } else {
                // A basis: the recovered span is the removed one (‖QᵀU‖_F² = k).
                let basis = try #require(tensor.basis, "\(tensor.name) has no basis")
                let k = Double(edit.basis.count)
                let overlap = basis.reduce(0.0) { sum, q in sum + edit.basis.reduce(0.0) { $0 + pow(LinearAlgebra.dot(q, $1), 2) } }
                #expect(basis.count == edit.basis.count && overlap >= k * cosine, "\(tensor.name): overlap \(overlap)")
            }
            let lambda = try #require(tensor.lambda, "\(tensor.name) has no λ")
            // What 16-bit rounding leaves of a tiny tensor bounds λ: a BF16 bias here is 32 values
            // (measured 1.2e-3 off plain, 7.2e-3 norm-preserving), a gpt-oss expert slice 16 × 32
            // under a norm-preserving edit (whose λ fit is on a grid, u its own: measured 2.8e-3).
            let bf16 = cosine < 0.99999
            let tolerance =
                bf16 && edit.writer.bias ? (form == .plain ? 5e-3 : 1e-2) : (bf16 && form != .plain && edit.writer.expert != nil ? 5e-3 : 1e-3)
            #expect(abs(lambda - edit.strength) <= tolerance * abs(edit.strength), "\(tensor.name): λ \(lambda) vs \(edit.strength)")
        }
        for writer in plan.unedited { #expect(byName[writer.label]?.status == .unchanged, "\(writer.label)") }
    }

    @Test(arguments: [
        ("llama", 0.99999), ("qwen2_tied_sharded", 0.99999), ("gemma3_bf16", 0.9999), ("mistral_f16", 0.99999), ("gpt2", 0.99999),
        ("gpt_oss_bf16", 0.9999), ("llama4_text", 0.99999), ("qwen2_moe", 0.99999), ("qwen2_moe_fused", 0.99999),
    ])
    func plainEditOfEveryArchitecture(model: String, cosine: Double) throws {
        let (report, plan) = try Self.roundTrip(model, choice: .slot(1))
        try Self.checkRecovered(report, plan: plan, form: .plain, cosine: cosine)
        #expect(report.summary.notProjectionEdits == 0 && report.summary.otherChanged == 0)
        for slot in report.slots { #expect(abs(LinearAlgebra.dot(slot.direction, plan.edits[0].directions[0])) >= cosine) }
    }
}

extension ModelDiffTests {
    @Test(arguments: ["llama", "gpt2", "qwen2_moe_fused", "gpt_oss_bf16"])
    func normPreservingEdits(model: String) throws {
        let cosine = model.hasSuffix("bf16") ? 0.9999 : 0.99999
        for preservation in [NormPreservation.columns, .rows] {
            let (report, plan) = try Self.roundTrip(model, choice: .slot(1), options: .init(normPreservation: preservation))
            let form: EditForm = preservation == .columns ? .normPreservingColumns : .normPreservingRows
            try Self.checkRecovered(report, plan: plan, form: form, cosine: cosine)
        }
    }

    @Test(arguments: ["qwen2_tied_sharded", "gpt2", "llama4_text"])
    func perLayerEdits(model: String) throws {
        let (report, plan) = try Self.roundTrip(model, choice: .perLayer)
        try Self.checkRecovered(report, plan: plan, form: .plain, cosine: 0.99999)
        // Each slot holds its own direction: the file's slot, recovered.
        let directions = try DirectionSet.read(OrthogonalizationTests.directions)
        for slot in report.slots {
            let want = WriterFit.unit(try #require(directions.vector(slot: slot.slot)))
            #expect(abs(LinearAlgebra.dot(slot.direction, want)) >= 0.99999, "slot \(slot.slot)")
            #expect(abs(slot.directionNorm - 1) < 1e-5)
        }
    }

    @Test(arguments: ["llama", "gemma3_bf16"])
    func kernelAndStrength(model: String) throws {
        let cosine = model.hasSuffix("bf16") ? 0.9999 : 0.99999
        let kernel = try StrengthKernel(max: 1, peak: 0, min: 0.2, width: 1)
        let (report, plan) = try Self.roundTrip(model, choice: .slot(1), options: .init(strength: 0.6, attentionKernel: kernel, mlpKernel: kernel))
        try Self.checkRecovered(report, plan: plan, form: .plain, cosine: cosine)
        #expect(plan.edits.contains { abs($0.strength - 0.2) < 1e-12 })
    }
}

extension ModelDiffTests {
    /// A rank-2 basis from `steer svd`: a plain edit of rank 2, its span recovered.
    @Test(arguments: ["llama", "gemma3_bf16"])
    func basisOfTwoDirections(model: String) throws {
        let basis = Fixtures.vectors("orthogonalize/basis.safetensors")
        let (report, plan) = try Self.roundTrip(model, choice: .slot(1), directions: basis)
        let matrices = plan.edits.filter { !$0.writer.bias && $0.writer.outputNorm == nil }
        try Self.checkRecovered(
            report,
            plan: OrthogonalizationPlan(
                edits: matrices, unedited: [], convention: plan.convention, k: 2, variant: .plain, harmlessMeans: [:]), form: .plain, cosine: 0.9999)
        for edit in matrices { #expect(report.tensors.first { $0.name == edit.writer.label }?.rank == 2) }
    }

    /// The projected and biprojected variants remove a refined direction: it is what is recovered.
    @Test(arguments: ["llama", "gemma3_bf16"])
    func directionVariants(model: String) throws {
        let means = Fixtures.vectors("orthogonalize/directions_means.safetensors")
        let cosine = model.hasSuffix("bf16") ? 0.9999 : 0.99999
        for variant in [DirectionVariant.projected, .biprojected] {
            let (report, plan) = try Self.roundTrip(model, choice: .slot(1), options: .init(directionVariant: variant), directions: means)
            try Self.checkRecovered(report, plan: plan, form: .plain, cosine: cosine)
        }
    }
}

/// `steer diff` on edits made as other abliteration tools make them (torch, float32 arithmetic, a
/// direction of their own): vectors/diff/make_diff_vectors.py. The same bars as for steer's own
/// edits; a tool that ignores Gemma's `(1 + γ)` is reported uncorrected; dense noise is no direction.
@Suite struct ExternalEditDiffTests {
    static let expected = Fixtures.vectors("diff/expected.json")

    @Test(arguments: ["llama_plain", "llama_np_columns", "llama_np_rows", "llama_noise", "gemma_bf16_low", "gemma_bf16_np_columns"])
    func recovered(variant: String) throws {
        let all = try #require(try Fixtures.json(Self.expected) as? [String: Any])
        let want = try #require(all[variant] as? [String: Any])
        let base = OrthogonalizationTests.model(try #require(want["base"] as? String))
        let report = try ModelDiff.run(base: base, edited: Fixtures.vectors("diff/models/" + variant))
        let direction = try Fixtures.numbers(want["direction"], "direction")
        let lambda = try Fixtures.number(want["lambda"], "lambda")
        let forms = try #require(want["forms"] as? [String: String])
        let other = Set(try #require(want["other"] as? [String]))
        let cosine = variant.contains("bf16") ? 0.9999 : 0.99999
        for tensor in report.tensors {
            if let form = forms[tensor.name] {
                #expect(tensor.status == .changed && tensor.variant?.rawValue == form, "\(tensor.name): \(String(describing: tensor.variant))")
                guard form != "not_a_projection_edit" else {
                    #expect(tensor.direction == nil && tensor.slot == nil && tensor.lambda == nil, "\(tensor.name)")
                    #expect(try #require(tensor.residual) > 0.5, "\(tensor.name): dense noise leaves about all of ΔW")
                    continue
                }
                let u = try #require(tensor.direction, "\(tensor.name)")
                #expect(abs(LinearAlgebra.dot(u, direction)) >= cosine, "\(tensor.name): |cos| \(abs(LinearAlgebra.dot(u, direction)))")
                let got = try #require(tensor.lambda, "\(tensor.name)")
                #expect(abs(got - lambda) <= 1e-3 * lambda, "\(tensor.name): λ \(got) vs \(lambda)")
                #expect(tensor.normCorrected == false, "\(tensor.name): a tool that ignores (1 + γ)")
            } else if other.contains(tensor.name) {
                #expect(tensor.status == .changed && !tensor.writer && (tensor.relativeChange ?? 0) > 0, "\(tensor.name)")
            } else {
                #expect(tensor.status == .unchanged, "\(tensor.name)")
            }
        }
        for slot in report.slots { #expect(abs(LinearAlgebra.dot(slot.direction, direction)) >= cosine, "slot \(slot.slot)") }
    }
}

extension ModelDiffTests {
    /// A copy of the model directory `from` at `to` whose safetensors files hold their tensors in
    /// reverse name order (the bytes of each tensor unchanged; every other file copied).
    static func reversedCopy(_ from: String, to: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: to, withIntermediateDirectories: true)
        for name in try manager.contentsOfDirectory(atPath: from) {
            guard name.hasSuffix(".safetensors") else {
                try manager.copyItem(atPath: from + "/" + name, toPath: to + "/" + name)
                continue
            }
            let file = try ReadOnlyFile(path: from + "/" + name)
            let parsed = try Safetensors.parse(file)
            var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
            var data: [UInt8] = []
            for info in parsed.tensors.sorted(by: { $0.name > $1.name }) {
                entries.append((info.name, info.storedType, info.shape, data.count, data.count + info.byteCount))
                data += try file.read(offset: info.offset, count: info.byteCount) ?? []
            }
            let bytes = Safetensors.header(entries, metadata: parsed.metadata) + data
            try Data(bytes).write(to: URL(fileURLWithPath: to + "/" + name))
        }
    }

    /// `steer diff` walks the tensors in the order the files store them (each file read front to
    /// back), and reports them in name order: two models stored in reverse name order give the
    /// report of the same models stored in name order, bit for bit. (The fixtures' writers are
    /// small: one round from another writer's direction moves it by more than
    /// ``WriterFit/hintTolerance``, so no fit here starts from one, which would change the last
    /// digits.)
    @Test(arguments: ["gemma3_bf16", "qwen2_tied_sharded"])
    func reportDoesNotDependOnStorageOrder(model: String) throws {
        let base = OrthogonalizationTests.model(model)
        let folder = try Fixtures.temporaryDirectory()
        var options = WeightOrthogonalizer.Options()
        options.digests = false
        _ = try WeightOrthogonalizer.run(
            model: base, directions: OrthogonalizationTests.directions, choice: .slot(1), out: folder + "/edited", options: options)
        try Self.reversedCopy(base, to: folder + "/base-reversed")
        try Self.reversedCopy(folder + "/edited", to: folder + "/edited-reversed")
        // The reversed copy's walk is not name order (else this test could not tell the two apart).
        let reversed = try ModelDirectory.open(folder + "/base-reversed")
        let names = reversed.locations.keys.sorted()
        #expect(names.sorted { ModelDiff.storagePosition($0, in: reversed) < ModelDiff.storagePosition($1, in: reversed) } != names)
        let want = try ModelDiff.run(base: base, edited: folder + "/edited")
        var got = try ModelDiff.run(base: folder + "/base-reversed", edited: folder + "/edited-reversed")
        #expect(got.tensors.map(\.name) == want.tensors.map(\.name))
        #expect(got.tensors.filter { $0.status == .changed }.count > 0)
        // Everything else too: the whole report's JSON, once the paths are the same.
        (got.summary.base, got.summary.edited) = (want.summary.base, want.summary.edited)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(got) == encoder.encode(want))
    }
}

extension ModelDiffTests {
    /// Copies of the model directory `model` (a fixture) as `base` and its plain edit as `edited`
    /// in a new temporary folder; returns the two paths.
    static func editedPair(_ model: String) throws -> (base: String, edited: String) {
        let folder = try Fixtures.temporaryDirectory()
        let base = folder + "/base"
        try FileManager.default.copyItem(atPath: OrthogonalizationTests.model(model), toPath: base)
        var options = WeightOrthogonalizer.Options()
        options.digests = false
        _ = try WeightOrthogonalizer.run(
            model: base, directions: OrthogonalizationTests.directions, choice: .slot(1), out: folder + "/edited", options: options)
        return (base, folder + "/edited")
    }

    /// Writes `bytes` over the start of tensor `name`'s data in the model directory `model`;
    /// returns the shard's path.
    @discardableResult
    static func overwrite(_ name: String, in model: String, with bytes: [UInt8]) throws -> String {
        let directory = try ModelDirectory.open(model)
        let location = try #require(directory.locations[name])
        let path = directory.shards[location.shard].path
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(location.info.offset))
        try handle.write(contentsOf: Data(bytes))
        return path
    }

    /// A NaN or an infinity in either model stops `steer diff` in one line naming the file and the
    /// tensor (a fit of such a tensor means nothing, and its report would not encode as JSON).
    @Test func notFiniteValuesAreRefusedNamingTheFileAndTheTensor() throws {
        let writer = "model.layers.0.mlp.down_proj.weight"
        // BF16 NaN in the edited copy, then BF16 −infinity in the base (an unchanged copy elsewhere).
        for (side, bytes) in [("edited", [0xC0, 0x7F] as [UInt8]), ("base", [0x80, 0xFF])] {
            let pair = try Self.editedPair("gemma3_bf16")
            let path = try Self.overwrite(writer, in: side == "edited" ? pair.edited : pair.base, with: bytes)
            do {
                _ = try ModelDiff.run(base: pair.base, edited: pair.edited)
                Issue.record("a \(side) model holding a value that is not finite was diffed")
            } catch let error as SteerError {
                #expect(error.description.hasPrefix(path) && error.description.contains("'\(writer)'"), "\(error)")
                #expect(error.description.contains("NaN or infinite"), "\(error)")
            }
        }
    }

    /// A tensor that is all zeros in the base and not in the edit has no relative change (null in
    /// the JSON, which has no infinity), and the report encodes.
    @Test func aChangeFromAllZerosHasNoRelativeSize() throws {
        let pair = try Self.editedPair("llama")
        let norm = "model.layers.0.input_layernorm.weight"
        let count = try #require(try ModelDirectory.open(pair.base).locations[norm]).info.byteCount
        try Self.overwrite(norm, in: pair.base, with: [UInt8](repeating: 0, count: count))
        let report = try ModelDiff.run(base: pair.base, edited: pair.edited)
        let tensor = try #require(report.tensors.first { $0.name == norm })
        #expect(tensor.status == .changed && tensor.relativeChange == nil)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let entry = (json?["tensors"] as? [[String: Any]])?.first { $0["name"] as? String == norm }
        #expect(entry?["relative_change"] is NSNull)
    }
}

extension ModelDiffTests {
    /// An adapter whose factors hold a NaN: refused as it is read, naming its weights file and the
    /// factor.
    @Test func notFiniteAdapterIsNamed() throws {
        let adapter = try Fixtures.temporaryDirectory() + "/adapter"
        try WeightOrthogonalizer.writeLora(
            model: OrthogonalizationTests.model("llama"), directions: OrthogonalizationTests.directions, choice: .slot(1), out: adapter)
        let weights = adapter + "/" + LoraAdapter.weightsName
        let first = try #require(try TensorFile.open(weights).tensors.min { $0.offset < $1.offset })
        let handle = try #require(FileHandle(forWritingAtPath: weights))
        try handle.seek(toOffset: UInt64(first.offset))
        try handle.write(contentsOf: Data(first.dtype == .bfloat16 ? [0xC0, 0x7F] : [0, 0, 0xC0, 0x7F]))
        try handle.close()
        do {
            _ = try ModelDiff.run(.init(base: OrthogonalizationTests.model("llama"), edited: .lora(adapter)))
            Issue.record("an adapter holding a NaN was merged and diffed")
        } catch let error as SteerError {
            #expect(error.file == weights && error.message.contains("non-finite value") && error.message.contains(first.name), "\(error)")
        }
    }

    /// An error found in the merged copy (a merged value that overflows the model's type, say)
    /// names the adapter's weights file, not the copy, which is removed by the time it is read.
    @Test func errorsInTheMergedCopyNameTheAdapter() throws {
        let adapter = try Fixtures.temporaryDirectory() + "/adapter"
        let model = OrthogonalizationTests.model("llama")
        try WeightOrthogonalizer.writeLora(model: model, directions: OrthogonalizationTests.directions, choice: .slot(1), out: adapter)
        var merged = ""
        do {
            try AdapterMerge.withMerged(base: model, adapter: adapter) { folder in
                merged = folder
                throw SteerError.value(folder + "/model.safetensors", "tensor 'x' holds a value that is NaN or infinite")
            }
            Issue.record("the error was lost")
        } catch let error as SteerError {
            #expect(error.file == adapter + "/" + LoraAdapter.weightsName, "\(error)")
            #expect(error.message == "merged into \(model), tensor 'x' holds a value that is NaN or infinite", "\(error)")
        }
        #expect(!merged.isEmpty && !FileManager.default.fileExists(atPath: merged))
    }
}

extension ModelDiffTests {
    /// A Gemma norm weight `γ` holding a NaN in both models (so it is unchanged, never fitted) is
    /// refused as it is read for the correction of the recovered directions through `(1 + γ)`,
    /// naming the file and the norm.
    @Test func notFiniteNormWeightIsNamed() throws {
        let pair = try Self.editedPair("gemma3_bf16")
        let norm = try #require(try ModelDirectory.open(pair.base).residualWriters().compactMap(\.outputNorm).first)
        let path = try Self.overwrite(norm, in: pair.base, with: [0xC0, 0x7F])
        try Self.overwrite(norm, in: pair.edited, with: [0xC0, 0x7F])
        do {
            _ = try ModelDiff.run(base: pair.base, edited: pair.edited)
            Issue.record("a NaN in \(norm) went through")
        } catch let error as SteerError {
            #expect(error.file == path && error.message.contains("'\(norm)'") && error.message.contains("non-finite value"), "\(error)")
        }
    }
}

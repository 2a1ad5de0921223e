import Foundation
import TestSupport
import Testing

@testable import Steering

#if canImport(Glibc)
    import Glibc
#endif

/// The streaming writer and the rewrite path: what they write reads back exactly, bytes outside
/// edited rows are copied verbatim, and a failure leaves nothing behind.
@Suite struct TensorWriterTests {
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    func leftovers() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("steer-tmp") } }

    @Test(arguments: [DType.float32, .float64, .float16, .bfloat16])
    func safetensorsRoundTrip(dtype: DType) throws {
        let path = dir + "/t.safetensors"
        let a = (0..<12).map { Double($0) * 0.25 - 1 }
        let b = (0..<5).map { Double($0) + 0.5 }
        try TensorWriter.write(
            to: path, format: .safetensors,
            tensors: [TensorSpec(name: "layer.2", dtype: dtype, shape: [3, 4]), TensorSpec(name: "bias", dtype: dtype, shape: [5])],
            metadata: ["steer.kind": "test", "quote\"and\\slash": "line\nbreak\u{1}"]
        ) { writer in
            try writer.append(Array(a[0..<5]))
            try writer.append(Array(a[5...]) + b)  // one append across the tensor boundary
        }
        let file = try TensorFile.open(path)
        #expect(file.metadata == ["steer.kind": "test", "quote\"and\\slash": "line\nbreak\u{1}"])
        #expect(file.tensors.map(\.name) == ["layer.2", "bias"] && file.tensors.map(\.shape) == [[3, 4], [5]])
        #expect(file.tensors.allSatisfy { $0.dtype == dtype })
        let acts = try Activations.open(path, selection: .init(layers: .slots([2])))
        #expect(try (0..<3).flatMap { try acts.layers[0].rows.values(row: $0) } == a)  // these values are exact in every dtype
        #expect(try file.vector(file.tensors[1]) == b)
    }

    @Test func npyAndRawRoundTrip() throws {
        let values = (0..<24).map { Double($0) / 8 }
        for (format, name) in [(TensorFile.Format.npy, "a.npy"), (.raw, "a.bin")] {
            let path = dir + "/" + name
            try TensorWriter.write(to: path, format: format, tensors: [TensorSpec(name: "x", dtype: .float16, shape: [4, 6])]) {
                try $0.append(values)
            }
            let acts = try Activations.open(path, selection: .init(readOptions: .init(dtype: .float16, width: 6)))
            #expect(try (0..<4).flatMap { try acts.layers[0].rows.values(row: $0) } == values)
        }
        #expect(throws: SteerError.self) {
            try TensorWriter.write(
                to: dir + "/two.npy", format: .npy,
                tensors: [.init(name: "a", dtype: .float32, shape: [1]), .init(name: "b", dtype: .float32, shape: [1])]
            ) { _ in }
        }
    }

    @Test func narrowingRoundsToNearestEvenAndKeepsSpecials() throws {
        let path = dir + "/r.safetensors"
        let inputs: [Double] = [1 + 0x1p-11, 1 + 3 * 0x1p-11, 65520, 65519.99, -0.0, .infinity, -.infinity, .nan, 0x1p-25, 0x1.8p-24]
        try TensorWriter.write(to: path, format: .safetensors, tensors: [TensorSpec(name: "layer.0", dtype: .float16, shape: [inputs.count])]) {
            try $0.append(inputs)
        }
        let got = try TensorFile.open(path)
        let bytes = try #require(try got.storage.read(offset: got.tensors[0].offset, count: 2 * inputs.count))
        let bits = (0..<inputs.count).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 }
        // numpy: np.array(inputs).astype(np.float16).view(np.uint16)
        #expect(Array(bits[0..<7]) == [0x3C00, 0x3C02, 0x7C00, 0x7BFF, 0x8000, 0x7C00, 0xFC00])
        #expect(bits[7] & 0x7C00 == 0x7C00 && bits[7] & 0x03FF != 0)  // NaN stays NaN
        #expect(Array(bits[8...]) == [0x0000, 0x0002])
    }

    @Test func failuresLeaveNothing() throws {
        let path = dir + "/f.safetensors"
        let specs = [TensorSpec(name: "layer.0", dtype: .float32, shape: [4])]
        #expect(throws: SteerError.self) {
            try TensorWriter.write(to: path, format: .safetensors, tensors: specs) { try $0.append([1, 2, 3] as [Double]) }
        }
        #expect(throws: SteerError.self) {
            try TensorWriter.write(to: path, format: .safetensors, tensors: specs) { try $0.append([1, 2, 3, 4, 5] as [Double]) }
        }
        struct Stop: Error {}
        #expect(throws: Stop.self) { try TensorWriter.write(to: path, format: .safetensors, tensors: specs) { _ in throw Stop() } }
        #expect(throws: SteerError.self) {
            try TensorWriter.write(to: path, format: .safetensors, tensors: [TensorSpec(name: "x", dtype: .float32, shape: [Int.max / 2, 4])]) { _ in
            }
        }
        #expect(throws: SteerError.self) { try TensorWriter.write(to: path, format: .safetensors, tensors: specs + specs) { _ in } }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try leftovers().isEmpty)
    }

    /// An identity edit reproduces the data bytes of every committed format exactly.
    @Test(arguments: ["synthetic/neg_bf16.safetensors", "synthetic/pos_f16.npy", "synthetic/pos_f64.npy", "real/smollm2_train_harmful.safetensors"])
    func identityRewriteKeepsEveryDataByte(name: String) throws {
        let source = try TensorFile.open(Fixtures.vectors(name))
        let acts = try Activations(file: source, selection: .init(position: 0))
        let out = dir + "/identity"
        try TensorWriter.rewrite(source, to: out, addedMetadata: ["steer.edit": "none"], editing: acts.layers.map(\.rows), blockRows: 7) { _, _, _ in
        }
        let written = try TensorFile.open(out)
        let original = try Fixtures.read(Fixtures.vectors(name))
        let copy = try Fixtures.read(out)
        #expect(Array(copy[written.dataStart...]) == Array(original[source.dataStart...]))
        if source.format == .npy { #expect(copy == original) }
        #expect(written.tensors.map(\.name) == source.tensors.map(\.name) && written.tensors.map(\.shape) == source.tensors.map(\.shape))
        if source.format == .safetensors { #expect(written.metadata == source.metadata.merging(["steer.edit": "none"]) { $1 }) }
    }

    /// Editing some rows of some layers at one position changes exactly those bytes.
    @Test func rewriteChangesOnlyTheEditedRows() throws {
        let name = Fixtures.vectors("real/smollm2_train_harmful.safetensors")  // bf16, per-layer [260, 2, 576]
        let source = try TensorFile.open(name)
        let acts = try Activations(file: source, selection: .init(layers: .slots([18, 28]), position: 1, rows: 10..<50))
        let out = dir + "/edited.safetensors"
        try TensorWriter.rewrite(source, to: out, addedMetadata: ["steer.edit": "test"], editing: acts.layers.map(\.rows), blockRows: 16) {
            m, rows, values in
            for k in 0..<(rows.count * acts.width) { values[k] = Double(m + 1) * 0.5 }
        }
        let edited = try Activations.open(out, selection: .init(layers: .slots([18, 28]), position: 1, rows: 10..<50))
        for (m, layer) in edited.layers.enumerated() {
            for r in [0, 17, 39] { #expect(try layer.rows.values(row: r).allSatisfy { $0 == Double(m + 1) * 0.5 }) }
        }
        // Every other data byte is the source's.
        let written = try TensorFile.open(out)
        let original = try Fixtures.read(name)
        let copy = try Fixtures.read(out)
        var changed = [Bool](repeating: false, count: original.count - source.dataStart)
        for layer in acts.layers {
            for r in 0..<layer.rows.rowCount {
                let start = layer.rows.rowOffset(r) - source.dataStart
                for k in start..<(start + acts.width * 2) { changed[k] = true }
            }
        }
        var differing = 0
        var outside = 0
        for k in changed.indices where original[source.dataStart + k] != copy[written.dataStart + k] {
            differing += 1
            if !changed[k] { outside += 1 }
        }
        #expect(outside == 0 && differing > 0)
    }

    @Test func rewriteOfAFileThatShrinksFailsCleanly() throws {
        let path = dir + "/shrinks.npy"
        try Fixtures.write(try Fixtures.read(Fixtures.vectors("synthetic/pos_f32.npy")), to: path)
        let source = try TensorFile.open(path)
        let acts = try Activations(file: source, selection: .init(position: 0))
        #expect(truncate(path, off_t(source.storage.size / 2)) == 0)
        let out = dir + "/never.npy"
        #expect(throws: SteerError.self) {
            try TensorWriter.rewrite(source, to: out, editing: acts.layers.map(\.rows)) { _, _, _ in }
        }
        let clean = try leftovers().isEmpty
        #expect(!FileManager.default.fileExists(atPath: out) && clean)
        let other = try TensorFile.open(Fixtures.vectors("synthetic/pos_f16.npy"))
        #expect(throws: SteerError.self) { try TensorWriter.rewrite(other, to: out, editing: acts.layers.map(\.rows)) { _, _, _ in } }
    }
}

import TestSupport
import Testing

@testable import Steering

/// Broken files: every one is a SteerError naming the file, never a trap.
@Suite struct BadInputTests {
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    /// Opens and streams a file the way `extract` does; returns the error, if any.
    func load(_ path: String, _ selection: ActivationSelection = .init(position: 0)) -> SteerError? {
        do {
            let acts = try Activations.open(path, selection: selection)
            _ = try acts.means(StreamOptions(workers: 2, tileBytes: 4096))
            return nil
        } catch let error as SteerError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    func expectError(_ bytes: [UInt8], containing text: String, _ selection: ActivationSelection = .init(position: 0)) throws {
        let path = dir + "/bad"
        try Fixtures.write(bytes, to: path)
        let error = load(path, selection)
        #expect(error != nil, "accepted a file that should fail with '\(text)'")
        if let error {
            #expect(error.description.contains(text), "message was: \(error.description)")
            #expect(error.file == path || error.description.contains(path))
            #expect(!error.description.contains("\n"))
        }
    }

    // MARK: - Fuzzing: truncations and corruptions of real files of each format

    @Test(arguments: ["pos_f32.npy", "pos_f16.npy", "pos_f32.safetensors", "neg_bf16.safetensors", "pos_tl_f64.safetensors"])
    func everyTruncationFailsCleanly(name: String) throws {
        let bytes = try Fixtures.read(Fixtures.vectors("synthetic/" + name))
        let path = dir + "/truncated"
        var cuts = Array(0..<min(bytes.count, 600))
        cuts += stride(from: 600, to: bytes.count, by: 97)
        for cut in cuts {
            try Fixtures.write(Array(bytes[0..<cut]), to: path)
            #expect(load(path) != nil, "truncated at \(cut) of \(bytes.count) accepted")
        }
    }

    // Corrupted headers run in a child process (CLITests.HostileCLITests), where a trap is a failed test, not a crashed suite.

    @Test func corruptedDataGivesNaNWithRow() throws {
        var bytes = try Fixtures.read(Fixtures.vectors("synthetic/pos_f32.npy"))
        let headerEnd = 128
        // Row 17, layer 1, position 0, element 3 := NaN.
        let index = ((17 * 3 + 1) * 2 + 0) * 27 + 3
        let nan = Float.nan.bitPattern
        for k in 0..<4 { bytes[headerEnd + index * 4 + k] = UInt8(truncatingIfNeeded: nan >> (8 * k)) }
        try expectError(bytes, containing: "NaN in row 17 (layer slot 1)")
    }

    // MARK: - Named problems

    @Test func emptyFile() throws { try expectError([], containing: "file is empty") }

    @Test func npyHeaderLengthPastEnd() throws {
        let bytes = try Fixtures.read(Fixtures.vectors("synthetic/pos_f32.npy"))
        var copy = Array(bytes[0..<100])
        copy[8] = 0xFF
        copy[9] = 0x7F
        try expectError(copy, containing: "runs past the end")
    }

    @Test func npyPickledObjects() throws {
        let header = Array("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }".utf8)
        let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header + [0x80, 0x04, 0x95]
        try expectError(bytes, containing: "never unpickles")
    }

    @Test func npyBigEndianAndFortran() throws {
        func npy(_ dict: String, data: Int) -> [UInt8] {
            let header = Array(dict.utf8)
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header + Array(repeating: 0, count: data)
        }
        try expectError(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", data: 24), containing: "big-endian")
        try expectError(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: 24), containing: "Fortran")
        try expectError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: 20), containing: "truncated")
        try expectError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: 28), containing: "unexpected bytes")
        try expectError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", data: 0), containing: "has no rows")
        try expectError(npy("{'descr': '<f4' 'shape': (2, 3)}", data: 24), containing: "not a Python dict literal")
    }

    static func safetensors(_ header: String, data: Int) -> [UInt8] {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        let length = UInt64(json.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + Array(repeating: 0, count: data)
    }

    @Test func safetensorsOffsets() throws {
        let overlap =
            #"{"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"layer.1":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}"#
        try expectError(Self.safetensors(overlap, data: 24), containing: "overlaps")
        let gap = #"{"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"layer.1":{"dtype":"F32","shape":[2,2],"data_offsets":[20,36]}}"#
        try expectError(Self.safetensors(gap, data: 36), containing: "gap of 4 bytes")
        let short = #"{"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        try expectError(Self.safetensors(short, data: 10), containing: "truncated")
        try expectError(Self.safetensors(short, data: 20), containing: "unexpected bytes after the last tensor")
        let wrongSize = #"{"layer.0":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#
        try expectError(Self.safetensors(wrongSize, data: 16), containing: "needs 24")
        let badMeta = #"{"__metadata__":{"a":1},"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        try expectError(Self.safetensors(badMeta, data: 16), containing: "is not a string")
        let notJSON = #"{"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]"#
        try expectError(Self.safetensors(notJSON, data: 16), containing: "not valid UTF-8 JSON")
        let boolOffsets = #"{"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[false,16]}}"#
        try expectError(Self.safetensors(boolOffsets, data: 16), containing: "data_offsets")
    }

    @Test func safetensorsHeaderLengthLimits() throws {
        var huge: [UInt8] = [0, 0, 0, 0x10, 0, 0, 0, 0, UInt8(ascii: "{")]
        try expectError(huge, containing: "unrecognised format")  // 256 MB length: not taken for safetensors
        huge = [0x00, 0x10, 0, 0, 0, 0, 0, 0, UInt8(ascii: "{"), UInt8(ascii: "}")]
        try expectError(huge, containing: "runs past the end")
    }

    @Test func rawRowsMustBeWhole() throws {
        try expectError(
            Array(repeating: 0, count: 30), containing: "not a whole number of rows",
            .init(readOptions: .init(dtype: .float32, width: 4)))
    }

    @Test func otherFormatsAreNamed() throws {
        try expectError([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0], containing: "ZIP archive")
        try expectError(Array("GGUF".utf8) + [3, 0, 0, 0, 0, 0, 0, 0], containing: "GGUF")
        try expectError([0x80, 0x02, 0x7D, 0x71], containing: "pickle")
    }

    @Test func missingFile() {
        let error = load(dir + "/does-not-exist.npy")
        #expect(error?.kind == .io)
    }
}

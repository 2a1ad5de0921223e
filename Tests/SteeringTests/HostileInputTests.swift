import Foundation
import TestSupport
import Testing

@testable import Steering

#if canImport(Glibc)
    import Glibc
#endif

/// The crafted files and flags of the hostile-input review: large integers that agree with each
/// other. Each is built here and must be a one-line ``SteerError`` naming the file, never a trap,
/// a hang or a runaway allocation.
@Suite struct HostileInputTests {
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    /// A v1 (or v2/v3) .npy file with the given header dict and `data` zero bytes after it.
    static func npy(_ dict: String, data: Int, version: UInt8 = 1) -> [UInt8] {
        var header = Array(dict.utf8)
        let fixed = version == 1 ? 10 : 12
        while (fixed + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        let length = version == 1 ? [UInt8(header.count & 0xFF), UInt8(header.count >> 8)] : (0..<4).map { UInt8((header.count >> (8 * $0)) & 0xFF) }
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + header + [UInt8](repeating: 0, count: data)
    }

    /// Writes `bytes`, opens them as activations and streams them as `extract` does; the error, if any.
    func load(_ bytes: [UInt8], _ selection: ActivationSelection = .init(position: 0)) throws -> SteerError? {
        let path = dir + "/hostile"
        try Fixtures.write(bytes, to: path)
        do {
            let acts = try Activations.open(path, selection: selection)
            _ = try acts.means(StreamOptions(workers: 2, tileBytes: 4096))
            _ = try acts.nonFiniteCount(StreamOptions(workers: 2, tileBytes: 4096))
            return nil
        } catch let error as SteerError {
            #expect(!error.description.contains("\n"))
            #expect(error.file == path || error.description.contains(path), "the error names the file: \(error)")
            return error
        }
    }

    func expectError(_ bytes: [UInt8], _ text: String, _ selection: ActivationSelection = .init(position: 0)) throws {
        let error = try load(bytes, selection)
        #expect(error?.description.contains(text) == true, "expected '\(text)', got \(error.map(String.init(describing:)) ?? "no error")")
    }

    // MARK: - 1. Strides of a shape with a zero dimension

    @Test func zeroDimensionBeforeHugeOnesIsRefused() throws {
        try expectError(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, 4), }", data: 0), "too large")
        try expectError(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 0, 4), }", data: 0), "too large")
        try expectError(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2, 4611686018427387904), }", data: 0), "too large")
        let st = #"{"layer.0":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}"#
        try expectError(BadInputTests.safetensors(st, data: 0), "too large")
        // Representable, but 2^40 layer slots: refused before anything is built per slot.
        try expectError(
            Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 4), }", data: 0), "layer axis of 1099511627776")
        let info = TensorInfo(name: "array", dtype: .float32, storedType: "<f4", shape: [0, Int.max / 2, 4], offset: 0, byteCount: 0)
        let file = try ReadOnlyFile(path: Fixtures.vectors("synthetic/pos_f32.npy"))
        #expect(throws: SteerError.self) {
            try Activations.slice(info, dtype: .float32, axes: "nld", selection: .init(), storage: file, path: "x")
        }
    }

    // MARK: - 2. data_offsets near Int.max

    @Test func dataOffsetsNearIntMaxAreRefused() throws {
        let oneByte = #"{"t":{"dtype":"U8","shape":[1],"data_offsets":[9223372036854775806,9223372036854775807]}}"#
        try expectError(BadInputTests.safetensors(oneByte, data: 1), "run past")
        let layer = #"{"layer.0":{"dtype":"F32","shape":[1,1],"data_offsets":[9223372036854775803,9223372036854775807]}}"#
        try expectError(BadInputTests.safetensors(layer, data: 4), "run past")
        let huge = #"{"layer.0":{"dtype":"F32","shape":[1,1],"data_offsets":[0,9223372036854775808]}}"#
        try expectError(BadInputTests.safetensors(huge, data: 4), "data_offsets")
    }

    // MARK: - 3. Slot numbers from tensor names

    @Test(arguments: ["9223372036854775807", "1099511627776", "1000000000", "99999999999999999999", "100000"])
    func hugeSlotNumbersAreRefusedByName(number: String) throws {
        let two =
            "{\"layer.0\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"layer.\(number)\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,32]}}"
        try expectError(BadInputTests.safetensors(two, data: 32), "names layer")
        let one = "{\"layer.\(number)\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"
        try expectError(BadInputTests.safetensors(one, data: 16), "steer reads layer slots 0…99999")
        let path = dir + "/directions"
        try Fixtures.write(
            BadInputTests.safetensors("{\"layer.\(number)\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data: 16), to: path)
        #expect(throws: SteerError.self) { try DirectionSet.read(path) }
    }

    /// Found in review: `layer.-1` used to read as slot 1.
    @Test func signedLayerNumbersAreRefused() throws {
        for name in ["layer.-1", "layer.+1", "blocks.-3.hook_resid_post"] {
            try expectError(
                BadInputTests.safetensors("{\"\(name)\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", data: 16), "have no sign")
        }
        #expect(Activations.signBeforeFirstNumber("model.layers.12") == nil && Activations.signBeforeFirstNumber("x-y.3") == nil)
        #expect(Activations.signBeforeFirstNumber("layer_-2") == "-")
    }

    @Test func slotListsAreDescribedWithoutBuildingRanges() {
        #expect(LayerSelection.describe([0, 1, 2, Int.max - 1, Int.max]) == "0–2, 9223372036854775806–9223372036854775807")
        #expect(LayerSelection.describe([3, 5, 7, 8, 9]) == "3, 5, 7–9")
        #expect(LayerSelection.describe([]) == "none")
        #expect(describeSlots([0, Int.max]) == "slots 0, 9223372036854775807")
        #expect(describeSlots([4]) == "slot 4")
    }

    /// Found in review: per-row Float64 state is sized by the width, so rows wider than 2^20 are refused.
    @Test func rowsWiderThanTheLimitAreRefused() throws {
        try expectError(
            Self.npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2097152), }", data: 2 * 2_097_152), "wider than steer's limit")
    }

    // MARK: - 5. .npy header lengths

    @Test func npyHeaderLengthIsCapped() throws {
        for version: UInt8 in [2, 3] {
            let claim: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{'descr'".utf8)
            try expectError(claim, "exceeds steer's limit of 65536")
        }
        // A padded header near the cap is still read, as bytes.
        let padded = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + String(repeating: " ", count: 60_000)
        #expect(try load(Self.npy(padded, data: 24, version: 2)) == nil)
    }

    // MARK: - 6. A file truncated while it is read

    @Test func fileTruncatedUnderTheReaderFailsCleanly() throws {
        let path = dir + "/shrinking.npy"
        let (rows, width) = (64, 32)
        var bytes = NPY.header(dtype: .float32, shape: [rows, width])
        for i in 0..<(rows * width) { withUnsafeBytes(of: Float(i % 7).bitPattern.littleEndian) { bytes += $0 } }
        try Fixtures.write(bytes, to: path)
        let acts = try Activations.open(path)
        #expect(truncate(path, off_t(bytes.count - rows * width * 2)) == 0)
        let tiny = StreamOptions(workers: 2, tileBytes: 4096)
        for (name, read) in [
            ("means", { _ = try acts.means(tiny) }),
            ("matrix", { _ = try acts.matrix(layerIndex: 0, options: tiny) }),
            ("row", { _ = try acts.layers[0].rows.values(row: rows - 1) }),
            ("projection", { _ = try acts.project(onto: [[Double](repeating: 1, count: width)], tiny) }),
        ] as [(String, () throws -> Void)] {
            do {
                try read()
                Issue.record("\(name): read a truncated file without an error")
            } catch let error as SteerError {
                #expect(error.kind == .io && error.description.contains("ended early"), "\(name): \(error)")
            }
        }
    }

    // MARK: - Flags

    @Test func flagValuesNeverOverflowOrAllocate() throws {
        #expect(throws: SteerError.self) { try ActivationSelection.parseRows("0-9223372036854775807") }
        #expect(try ActivationSelection.parseRows("0-9223372036854775806") == 0..<Int.max)
        for text in ["0-9223372036854775807", "0-1000000000", "100000", "5,0-99999999999"] {
            do {
                _ = try LayerSelection(parsing: text)
                Issue.record("--layers \(text) accepted")
            } catch let error as SteerError {
                #expect(error.kind == .argument && error.description.contains("99999"))
            }
        }
        #expect(try LayerSelection(parsing: "99998-99999") == .slots([99998, 99999]))
        let raw = dir + "/raw.bin"
        try Fixtures.write([UInt8](repeating: 0, count: 64), to: raw)
        for width in [4_611_686_018_427_387_904, Int.max, 17] {
            #expect(throws: SteerError.self) { try TensorFile.open(raw, options: .init(dtype: .float32, width: width)) }
        }
        #expect(StreamOptions(workers: 1_000_000_000).workers == StreamOptions.maxWorkers)
        #expect(StreamOptions(workers: -3).workers == 1)
        #expect(StreamOptions(tileBytes: Int.max).tileBytes == 64 << 20)
    }

    // MARK: - Hangs and slow paths

    /// Values steer does not need are skipped, not built: a header with millions of integers under an
    /// unused key is read in time and memory proportional to its size (timed in the benchmarks).
    @Test func unusedHeaderValuesAreSkipped() throws {
        let numbers = (0..<1_500_000).map { String($0 % 1000) }.joined(separator: ",")
        let header =
            "{\"layer.0\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],\"unused\":[\(numbers)]},\"x\":{\"y\":[[[\(numbers)]]]}}"
        let error = try load(BadInputTests.safetensors(header, data: 16))
        #expect(error?.description.contains("'x'") == true, "the one unknown entry is named: \(String(describing: error))")
        let ok = "{\"layer.0\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],\"unused\":[\(numbers)]}}"
        #expect(try load(BadInputTests.safetensors(ok, data: 16)) == nil)
        let duplicate =
            #"{"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"layer.0":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}}"#
        try expectError(BadInputTests.safetensors(duplicate, data: 32), "duplicate key 'layer.0'")
        let deep = "{\"layer.0\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],\"u\":" + String(repeating: "[", count: 100_000) + "}}"
        try expectError(BadInputTests.safetensors(deep, data: 16), "not valid UTF-8 JSON")
        let rank =
            "{\"layer.0\":{\"dtype\":\"F32\",\"shape\":[" + Array(repeating: "1", count: 65).joined(separator: ",") + "],\"data_offsets\":[0,4]}}"
        try expectError(BadInputTests.safetensors(rank, data: 4), "more than 64")
    }

    @Test func namedPipesAndDirectoriesAreRefusedWithoutBlocking() throws {
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        do {
            _ = try TensorFile.open(fifo)
            Issue.record("a FIFO was opened")
        } catch let error as SteerError {
            #expect(error.kind == .io && error.description.contains("named pipe"))
        }
        do {
            _ = try TensorFile.open(dir)
            Issue.record("a directory was opened")
        } catch let error as SteerError {
            #expect(error.description.contains("a directory"))
        }
    }
}

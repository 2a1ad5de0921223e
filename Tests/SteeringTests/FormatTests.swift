import TestSupport
import Testing

@testable import Steering

/// Reading every format and dtype; layouts; layer naming; metadata.
@Suite struct FormatTests {
    let dir = Fixtures.vectors("synthetic/")

    @Test(arguments: ["pos_f32.npy", "pos_f32_v2.npy", "pos_f32_v3.npy", "pos_f64.npy", "pos_f16.npy"])
    func npyVersionsAndDtypes(name: String) throws {
        let file = try TensorFile.open(dir + name)
        #expect(file.format == .npy)
        #expect(file.tensors.count == 1)
        #expect(file.tensors[0].shape == [37, 3, 2, 27])
    }

    @Test func bfloat16NpyNeedsTheFlag() throws {
        #expect(throws: SteerError.self) { try TensorFile.open(dir + "pos_bf16_v2.npy") }
        do {
            _ = try TensorFile.open(dir + "pos_bf16_v2.npy")
        } catch let error as SteerError {
            #expect(error.message.contains("dtype bf16") && error.setting == .dtype)
        }
        let file = try TensorFile.open(dir + "pos_bf16_v2.npy", options: .init(dtype: .bfloat16))
        #expect(file.tensors[0].dtype == .bfloat16)
    }

    @Test func safetensorsPerLayerKeepsMetadataAndSlots() throws {
        let acts = try Activations.open(dir + "pos_f32.safetensors", selection: .init(position: 0))
        #expect(acts.file.format == .safetensors)
        #expect(acts.file.metadata["note"] == "synthetic")
        #expect(acts.slots == [0, 1, 2])
        #expect(acts.rowCount == 37 && acts.width == 27 && acts.positionCount == 2)
        #expect(acts.layerConvention == .hfHiddenStates)
    }

    @Test func layerNumbersAreParsedFromCommonNames() {
        #expect(Activations.slotNumber(in: "layer.12") == 12)
        #expect(Activations.slotNumber(in: "blocks.7.hook_resid_post") == 7)
        #expect(Activations.slotNumber(in: "model.layers.30") == 30)
        #expect(Activations.slotNumber(in: "layer_3") == 3)
        #expect(Activations.slotNumber(in: "activations") == nil)
    }

    @Test func conventionsComeFromNames() throws {
        let tl = try Activations.open(dir + "pos_tl_f64.safetensors", selection: .init(position: 0))
        #expect(tl.layerConvention == .blockOutput)
        #expect(tl.slots == [0, 1, 2])
        let hf = try Activations.open(dir + "neg_f16.safetensors", selection: .init(position: 0))
        #expect(hf.layerConvention == .blockOutput)
    }

    @Test func stackedAndLayersFirstLayouts() throws {
        let stacked = try Activations.open(dir + "neg_stacked_f32.safetensors", selection: .init(position: -1))
        #expect(stacked.slots == [0, 1, 2] && stacked.position == 1 && stacked.rowCount == 41)
        let first = try Activations.open(dir + "pos_lnpd.npy", selection: .init(position: 0, layout: .lnpd))
        let normal = try Activations.open(dir + "pos_f32.npy", selection: .init(position: 0))
        #expect(try first.layers[2].rows.values(row: 5) == normal.layers[2].rows.values(row: 5))
    }

    @Test func layerAndPositionSelection() throws {
        let acts = try Activations.open(dir + "pos_f32.npy", selection: .init(layers: .slots([2, 0]), position: 1))
        #expect(acts.slots == [0, 2])
        #expect(throws: SteerError.self) { try Activations.open(dir + "pos_f32.npy", selection: .init(position: 2)) }
        #expect(throws: SteerError.self) { try Activations.open(dir + "pos_f32.npy", selection: .init(layers: .slots([5]), position: 0)) }
        #expect(throws: SteerError.self) { try Activations.open(dir + "pos_f32.npy") }  // two positions, none chosen
        #expect(try LayerSelection(parsing: "0,4-6,28") == .slots([0, 4, 5, 6, 28]))
        #expect(try LayerSelection(parsing: "all") == .all)
        #expect(throws: SteerError.self) { try LayerSelection(parsing: "3-1") }
    }

    @Test func rawFilesNeedWidthAndDtype() throws {
        let path = dir + "pos_l2p0.f32.bin"
        #expect(throws: SteerError.self) { try TensorFile.open(path) }
        #expect(throws: SteerError.self) { try TensorFile.open(path, options: .init(width: 27)) }
        #expect(throws: SteerError.self) { try TensorFile.open(path, options: .init(dtype: .float32, width: 26)) }
        let file = try TensorFile.open(path, options: .init(dtype: .float32, width: 27))
        #expect(file.format == .raw && file.tensors[0].shape == [37, 27])
    }

    @Test func safetensorsRoundTrip() throws {
        let dir = try Fixtures.temporaryDirectory()
        let set = DirectionSet(slots: [3, 11], vectors: [[1, -2, 3.5], [0, 0, 0]], metadata: ["steer.kind": "directions"])
        try set.write(to: dir + "/d.safetensors")
        let back = try DirectionSet.read(dir + "/d.safetensors")
        #expect(back == set)
        let bytes = try Fixtures.read(dir + "/d.safetensors")
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
    }

    @Test func npyHeaderWriterRoundTrips() throws {
        let dir = try Fixtures.temporaryDirectory()
        let values: [Float] = (0..<12).map { Float($0) - 5.5 }
        let bytes = NPY.header(dtype: .float32, shape: [3, 4]) + values.withUnsafeBytes { Array($0) }
        try Fixtures.write(bytes, to: dir + "/a.npy")
        let acts = try Activations.open(dir + "/a.npy")
        #expect(acts.rowCount == 3 && acts.width == 4)
        #expect(try acts.layers[0].rows.values(row: 2) == values[8..<12].map(Double.init))
    }
}

import Steering
import TerminalOutput

/// Synthetic benchmark inputs, written once and reused: a positive and a negative
/// activation set of `[rows, layers, width]` deterministic pseudo-random values,
/// as float32 .npy and as bfloat16 safetensors (one `layer.N` tensor per layer),
/// plus quarter-row copies for the flat-memory check.
struct BenchData {
    var rows: Int
    var layers: Int
    var width: Int
    var dir: String

    struct Files {
        var npy: (String, String)
        var npyQuarter: (String, String)
        var bf16: (String, String)
        var bf16Quarter: (String, String)
    }

    func ensure(log: (String) -> Void) throws -> Files {
        func name(_ cls: String, _ n: Int, _ ext: String) -> String { "\(dir)/\(cls)_\(n)x\(layers)x\(width).\(ext)" }
        let quarter = rows / 4
        for n in [rows, quarter] {
            for (cls, shift) in [("pos", Float(0.05)), ("neg", Float(0))] {
                let npy = name(cls, n, "npy")
                let st = name(cls, n, "safetensors")
                if !exists(npy) {
                    log("steer-bench: writing \(npy)")
                    try writeNPY(npy, rows: n, shift: shift, seed: cls == "pos" ? 1 : 2)
                }
                if !exists(st) {
                    log("steer-bench: writing \(st)")
                    try writeBF16(st, rows: n, shift: shift, seed: cls == "pos" ? 1 : 2)
                }
            }
        }
        return Files(
            npy: (name("pos", rows, "npy"), name("neg", rows, "npy")),
            npyQuarter: (name("pos", quarter, "npy"), name("neg", quarter, "npy")),
            bf16: (name("pos", rows, "safetensors"), name("neg", rows, "safetensors")),
            bf16Quarter: (name("pos", quarter, "safetensors"), name("neg", quarter, "safetensors")))
    }

    func exists(_ path: String) -> Bool { (try? TensorFile.open(path)) != nil }

    /// Value of element `j` of layer `l` in row `r`: uniform in [-1, 1) from a SplitMix64 stream
    /// seeded per (row, layer), plus a class shift on every seventh column.
    private func row(_ r: Int, layer l: Int, shift: Float, seed: UInt64, into out: inout [Float]) {
        var state = mix(seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(r * layers + l))
        for j in 0..<width {
            state &+= 0x9E37_79B9_7F4A_7C15
            let u = Float(UInt32(truncatingIfNeeded: mix(state) >> 40)) * (1 / Float(1 << 23)) - 1
            out[j] = u + (j % 7 == 0 ? shift : 0)
        }
    }

    private func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Components planted by ``writeNPY(_:rows:shift:seed:planted:)``: how many, and the decay of their scales.
    static let plantedComponents = 48
    static let plantedDecay: Float = 0.85

    /// `planted`: each row also gets `Σ_c a_rc · 4 · 0.85^c · u_c` for 48 fixed ±1 patterns `u_c` and
    /// uniform `a_rc`, so that its spectrum decays as real activations' does (a subspace to find),
    /// instead of the flat spectrum of uniform noise (where every top-k basis is as good as another).
    func writeNPY(_ path: String, rows: Int, shift: Float, seed: UInt64, planted: Bool = false) throws {
        var values = [Float](repeating: 0, count: width)
        let components = planted ? Self.plantedComponents : 0
        let patterns = (0..<(components * width)).map { Float(mix(UInt64($0) &+ 0x5EED) & 1 == 0 ? 1 : -1) }
        try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "array", dtype: .float32, shape: [rows, layers, width])]) {
            writer in
            for r in 0..<rows {
                for l in 0..<layers {
                    row(r, layer: l, shift: shift, seed: seed, into: &values)
                    var state = mix(seed ^ 0xC0FF_EE00 ^ UInt64(r * layers + l))
                    var scale: Float = 4
                    for c in 0..<components {
                        state = mix(state &+ 0x9E37_79B9_7F4A_7C15)
                        let a = (Float(UInt32(truncatingIfNeeded: state >> 40)) * (1 / Float(1 << 23)) - 1) * scale
                        for j in 0..<width { values[j] += a * patterns[c * width + j] }
                        scale *= Self.plantedDecay
                    }
                    try writer.append(values)
                }
            }
        }
    }

    func writeBF16(_ path: String, rows: Int, shift: Float, seed: UInt64) throws {
        let specs = (0..<layers).map { TensorSpec(name: "layer.\($0)", dtype: .bfloat16, shape: [rows, width]) }
        var values = [Float](repeating: 0, count: width)
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: ["note": "steer bench synthetic data"]) { writer in
            for l in 0..<layers {
                for r in 0..<rows {
                    row(r, layer: l, shift: shift, seed: seed, into: &values)
                    try writer.append(values)  // rounded to nearest even
                }
            }
        }
    }
}

import Steering

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
                let npy = name(cls, n, "npy"), st = name(cls, n, "safetensors")
                if !exists(npy) { log("steer bench: writing \(npy)"); try writeNPY(npy, rows: n, shift: shift, seed: cls == "pos" ? 1 : 2) }
                if !exists(st) { log("steer bench: writing \(st)"); try writeBF16(st, rows: n, shift: shift, seed: cls == "pos" ? 1 : 2) }
            }
        }
        return Files(npy: (name("pos", rows, "npy"), name("neg", rows, "npy")),
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

    func writeNPY(_ path: String, rows: Int, shift: Float, seed: UInt64) throws {
        var values = [Float](repeating: 0, count: width)
        try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "array", dtype: .float32, shape: [rows, layers, width])]) { writer in
            for r in 0..<rows {
                for l in 0..<layers {
                    row(r, layer: l, shift: shift, seed: seed, into: &values)
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

    /// numpy scoring the same rows with the same guard: prints "seconds peak_rss_bytes".
    static let numpyGuardScript = #"""
    import json, struct, sys, time
    import numpy as np

    guard_path, acts_path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def header(path):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            h = json.loads(f.read(n))
        h.pop("__metadata__", None)
        return h, 8 + n

    def run():
        gh, gbase = header(guard_path)
        graw = np.memmap(guard_path, dtype=np.uint8, mode="r")
        cent = lambda k: graw[gbase + gh[k]["data_offsets"][0]: gbase + gh[k]["data_offsets"][1]].view(np.float32)
        ah, abase = header(acts_path)
        araw = np.memmap(acts_path, dtype=np.uint8, mode="r")
        slots = sorted(int(k.split(".")[-1]) for k in gh if k.startswith("pos."))
        total = None
        for s in slots:
            b, e = ah[f"layer.{s}"]["data_offsets"]
            h = (araw[abase + b: abase + e].view(np.uint16).reshape(ah[f"layer.{s}"]["shape"]).astype(np.uint32) << 16).view(np.float32)
            mp, mn = cent(f"pos.layer.{s}"), cent(f"neg.layer.{s}")
            hn = np.linalg.norm(h, axis=1)
            c = (h @ mp) / (hn * np.linalg.norm(mp)) - (h @ mn) / (hn * np.linalg.norm(mn))
            total = c if total is None else total + c
        return total / len(slots)

    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); scores = run(); best = min(best, time.perf_counter() - t)
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print(best, hwm * 1024)
    """#

    /// scikit-learn fitting the same probe: prints "default_s default_max_coef_diff tight_s tight_max_coef_diff" (diffs vs steer).
    static let sklearnProbeScript = #"""
    import sys, time
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline

    pos, neg, steer_coef = sys.argv[1], sys.argv[2], sys.argv[3]
    X = np.r_[np.load(pos).reshape(-1, np.load(pos, mmap_mode="r").shape[-1]), np.load(neg).reshape(-1, np.load(neg, mmap_mode="r").shape[-1])]
    y = np.r_[np.ones(len(X) // 2), np.zeros(len(X) - len(X) // 2)]
    out = []
    for tol, iters in ((1e-4, 100), (1e-8, 10000)):
        t = time.perf_counter()
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=tol, max_iter=iters)).fit(X, y)
        out += [time.perf_counter() - t, np.abs(model[-1].coef_[0] - np.load(steer_coef)).max()]
    print(*out)
    """#

    /// The numpy side of the comparison: prints "float32_seconds float64_seconds peak_rss_bytes".
    static let numpyScript = #"""
    import json, struct, sys, time
    import numpy as np

    pos, neg, out, repeat, kind = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

    def layers_bf16(path):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        names = sorted(header, key=lambda k: int(k.split(".")[1]))
        for k in names:
            b, e = header[k]["data_offsets"]
            u16 = raw[8 + n + b: 8 + n + e].view(np.uint16).reshape(header[k]["shape"])
            yield u16

    def mean(path, dtype):
        if kind == "npy":
            return np.load(path, mmap_mode="r").mean(axis=0, dtype=dtype)
        # bf16: widen through a uint16 view and a shift, layer by layer
        return np.stack([(u.astype(np.uint32) << 16).view(np.float32).mean(axis=0, dtype=dtype) for u in layers_bf16(path)])

    def job(dtype):
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            r = mean(pos, dtype) - mean(neg, dtype)
            np.save(out, r.astype(np.float32))
            best = min(best, time.perf_counter() - t)
        return best

    t32 = job(np.float32)
    t64 = job(np.float64)
    # VmHWM: this process's own peak (ru_maxrss would include the parent's at exec)
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print(t32, t64, hwm * 1024)
    """#
}

#!/usr/bin/env python3
"""Writes the committed seed corpus and the byte-level regression inputs of steer's fuzz targets.

Run from the repository root: python3 Fuzz/tools/make_corpus.py
Needs numpy. Model files (guard, probe, directions) are taken from Fuzz/corpus as committed
(made with `steer guard train` / `probe train` / `extract` on vectors/synthetic; see README).
Structure-aware regression inputs (choice bytes) are written here too, from the byte layouts
documented in Fuzz/README.md.
"""
import glob, io, json, os, random, shutil, struct
import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
fuzz = os.path.join(root, "Fuzz")
syn = os.path.join(root, "vectors", "synthetic")
BIG = {"2^62": 1 << 62, "max": (1 << 63) - 1}


def put(folder, name, data):
    d = os.path.join(fuzz, folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy_bytes(arr, version=(1, 0)):
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=version)
    return b.getvalue()


def npy_header(descr, shape, major=1):
    dims = "(%s)" % (", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    d = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, dims)).encode()
    field = 2 if major == 1 else 4
    total = (8 + field + len(d) + 1 + 63) // 64 * 64
    d += b" " * (total - 8 - field - len(d) - 1) + b"\n"
    return b"\x93NUMPY" + bytes([major, 0]) + len(d).to_bytes(field, "little") + d


def st_bytes(header, data=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    return len(h).to_bytes(8, "little") + h + data


def st_parse(b):
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]


def main():
    rng = np.random.default_rng(1)
    # ---------------------------------------------------------------- seeds
    for f in sorted(glob.glob(os.path.join(syn, "*.npy"))):
        shutil.copy(f, os.path.join(fuzz, "corpus", "npy", os.path.basename(f)))
    small = {
        "nd_f4.npy": npy_bytes(rng.standard_normal((4, 8)).astype("<f4")),
        "nld_f8_v2.npy": npy_bytes(rng.standard_normal((3, 2, 5)), version=(2, 0)),
        "npd_f2_v3.npy": npy_bytes(rng.standard_normal((2, 2, 3)).astype("<f2"), version=(3, 0)),
        "nlpd_f4.npy": npy_bytes(rng.standard_normal((2, 2, 2, 3)).astype("<f4")),
        "scalar.npy": npy_bytes(np.float32(1.5)),
        "int64.npy": npy_bytes(np.arange(6, dtype="<i8").reshape(2, 3)),
        "empty_rows.npy": npy_bytes(np.zeros((0, 4), dtype="<f4")),
    }
    for name, data in small.items():
        put("corpus/npy", name, data)
    for f in sorted(glob.glob(os.path.join(syn, "*.safetensors"))):
        shutil.copy(f, os.path.join(fuzz, "corpus", "safetensors", os.path.basename(f)))
    a = rng.standard_normal((4, 2, 3)).astype("<f4").tobytes()
    put("corpus/safetensors", "two_layers.safetensors", st_bytes({
        "layer.3": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "layer.7": {"dtype": "F32", "shape": [2, 3], "data_offsets": [24, 48]},
        "__metadata__": {"steer.layer_convention": "block_output"}}, a[:48]))
    for kind in ("guard", "probe", "directions"):
        for f in sorted(glob.glob(os.path.join(fuzz, "corpus", kind, "*.safetensors"))):
            shutil.copy(f, os.path.join(fuzz, "corpus", "safetensors", "model_" + os.path.basename(f)))
    for f in sorted(glob.glob(os.path.join(fuzz, "corpus", "safetensors", "*.safetensors"))):
        header, _ = st_parse(open(f, "rb").read())
        put("corpus/json", os.path.basename(f).replace(".safetensors", ".json"), json.dumps(header).encode())
    raw = open(os.path.join(syn, "pos_l2p0.f32.bin"), "rb").read()
    put("corpus/raw", "f32_d27.bin", bytes([0, 27, 0]) + raw[:27 * 4 * 6])
    put("corpus/raw", "f64_d4.bin", bytes([1, 4, 0]) + rng.standard_normal(12).tobytes())
    put("corpus/raw", "f16_d8.bin", bytes([2, 8, 0]) + rng.standard_normal(24).astype("<f2").tobytes())
    put("corpus/raw", "bf16_d2.bin", bytes([3, 2, 0]) + bytes(range(16)))
    for name, text in {
        "all.txt": "all\n\n\n\n2\n0\n",
        "range.txt": "0-2\n1-5\n\n\n1\n-1\nnlpd",
        "list.txt": "1,2\n0-7\n\n\n\n1\n",
        "raw.txt": "all\n2-4\n16\nf32\n2\n\n",
    }.items():
        put("corpus/flags", name, text)
    r = random.Random(7)
    for t in ("npy-struct", "safetensors-struct", "raw-struct", "guard-struct", "probe-struct", "directions-struct"):
        put("corpus/" + t, "zeros", bytes(24))
        for k in range(4):
            put("corpus/" + t, "random%d" % k, bytes(r.randrange(256) for _ in range(16 + 8 * k)))

    # ---------------------------------------------------------------- regressions (byte-level)
    R = "regressions/"
    # 1. zero dimension followed by huge ones: strides overflow
    put(R + "npy", "bug1-stride-0-2p62-4.npy", npy_header("<f4", (0, 1 << 62, 4)))
    put(R + "safetensors", "bug1-stride-0-2p62-4.safetensors",
        st_bytes({"array": {"dtype": "F32", "shape": [0, 1 << 62, 4], "data_offsets": [0, 0]}}))
    # 2. data_offsets near Int.max on a one-byte tensor
    put(R + "safetensors", "bug2-offsets-near-intmax.safetensors",
        st_bytes({"x": {"dtype": "U8", "shape": [1], "data_offsets": [(1 << 63) - 2, (1 << 63) - 1]}}, b"\x01"))
    # 3. slot numbers that make describeSlots build huge ranges
    two = rng.standard_normal(8).astype("<f4").tobytes()
    for name, slot in (("intmax", (1 << 63) - 1), ("2p40", 1 << 40), ("1e9", 10 ** 9)):
        put(R + "safetensors", "bug3-slot-%s.safetensors" % name, st_bytes({
            "layer.0": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
            "layer.%d" % slot: {"dtype": "F32", "shape": [2, 2], "data_offsets": [16, 32]}}, two))
    # 4. guard whose slots are all degenerate; probe with zero / denormal scale; guard position text
    g, gdata = st_parse(open(os.path.join(fuzz, "corpus", "guard", "guard_nopos.safetensors"), "rb").read())
    p0 = g["pos.layer.4"]["data_offsets"] if "pos.layer.4" in g else None
    pos = [k for k in g if k.startswith("pos.")][0]
    neg = "neg." + pos[4:]
    pb, pe = g[pos]["data_offsets"]; nb, ne = g[neg]["data_offsets"]
    same = bytearray(gdata); same[nb:ne] = gdata[pb:pe]
    put(R + "guard", "bug4-identical-centroids.safetensors", st_bytes(g, bytes(same)))
    zero = bytearray(gdata); zero[pb:pe] = bytes(pe - pb)
    put(R + "guard", "bug4-zero-centroid.safetensors", st_bytes(g, bytes(zero)))
    for name, text in (("abc", "abc"), ("intmax", str((1 << 63) - 1)), ("5", "5"), ("negative", "-1")):
        h = json.loads(json.dumps(g)); h["__metadata__"]["steer.position"] = text
        put(R + "guard", "also-position-%s.safetensors" % name, st_bytes(h, gdata))
    pr, pdata = st_parse(open(os.path.join(fuzz, "corpus", "probe", "probe_nopos.safetensors"), "rb").read())
    scale = [k for k in pr if k.startswith("scale.")][0]
    sb, se = pr[scale]["data_offsets"]
    for name, value in (("zero", 0.0), ("denormal", 5e-324)):
        d = bytearray(pdata); d[sb:se] = struct.pack("<%dd" % ((se - sb) // 8), *([value] * ((se - sb) // 8)))
        put(R + "probe", "also-scale-%s.safetensors" % name, st_bytes(pr, bytes(d)))
    # 5. .npy header length 2^27 (choice bytes of npy-struct: v2, <f4, shape (4,), header_length = 2^27;
    #    the header is written as a hole in a sparse file)
    put(R + "npy-struct", "bug5-header-2p27", bytes([2, 0, 1, 1, 3, 1, 0, 3, 200, 27, 0, 0, 0]))
    # flags: lines layers, rows, dim, dtype, threads, position, layout
    for name, text in {
        "rows-intmax.txt": "\n0-9223372036854775807\n",
        "layers-intmax.txt": "0-9223372036854775807\n",
        "layers-1e9.txt": "0-1000000000\n",
        "dim-2p62-f32.txt": "\n\n4611686018427387904\nf32\n",
        "threads-1e9.txt": "\n\n\n\n1000000000\n",
    }.items():
        put(R + "flags", name, text)


if __name__ == "__main__":
    main()

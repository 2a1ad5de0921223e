#!/usr/bin/env python3
"""Reference vectors for steer project / ablate / add, computed with numpy in float64.

Run from the repository root:  python3 vectors/editing/make_editing_vectors.py
Reads the synthetic activation files in vectors/synthetic (written by vectors/make_vectors.py) and
writes, into vectors/editing/:
  dirs.safetensors    F32 raw directions layer.{0,1,2} of width 27 (random, not unit)
  basis.safetensors   F32 [2, 27] per slot 1 and 2: two random, NOT orthonormal vectors
  editing.json        the expected results below (float64, before any narrowing to the file dtype)

Cases (each names the input, position(s), slots and the expected float64 rows):
  project_dirs   pos_f32.npy at position 1, dirs: h·r̂ and ‖(h·r̂)‖²/‖h‖² per row and slot
  project_basis  pos_f32.npy at position 0, basis (slots 1, 2): Qᵀh with Q the orthonormalized basis
                 (QR, each vector's sign that of the given one) and the fraction inside
  ablate_dirs    pos_f32.npy, position 1, dirs: h − (h·r̂)r̂ for every row of slots 0-2 (position 0 untouched)
  ablate_basis   neg_bf16.safetensors, every position, basis: H − (H Q) Qᵀ at slots 1, 2
  ablate_from    pos_f32.npy, every position, the direction of slot 1 removed from slots 0, 1, 2
  add_dirs       pos_f16.npy, position 0, dirs, coefficient -1.5: h − 1.5 r
"""
import json, os, struct
import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))
SYN = os.path.join(ROOT, "..", "synthetic")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, e in header.items():
            if name == "__metadata__":
                continue
            f.seek(base + e["data_offsets"][0])
            raw = f.read(e["data_offsets"][1] - e["data_offsets"][0])
            if e["dtype"] == "BF16":
                x = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
            elif e["dtype"] == "F32":
                x = np.frombuffer(raw, dtype=np.float32)
            else:
                raise SystemExit(f"unexpected dtype {e['dtype']}")
            out[name] = x.reshape(e["shape"]).astype(np.float64)
        return out


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def orthonormal(vectors):
    q, _ = np.linalg.qr(vectors.T)
    q = q.T
    for i in range(len(q)):
        if q[i] @ vectors[i] < 0:
            q[i] = -q[i]
    return q


rng = np.random.default_rng(2026)
d = 27
dirs = {f"layer.{s}": rng.normal(size=d).astype(np.float32) for s in range(3)}
basis = {f"layer.{s}": rng.normal(size=(2, d)).astype(np.float32) for s in (1, 2)}
write_safetensors(os.path.join(ROOT, "dirs.safetensors"), dirs, {"steer.kind": "directions", "steer.position": "1", "steer.layer_convention": "hf_hidden_states"})
write_safetensors(os.path.join(ROOT, "basis.safetensors"), basis, {"steer.kind": "basis", "steer.k": "2"})
r = {s: dirs[f"layer.{s}"].astype(np.float64) for s in range(3)}
rhat = {s: v / np.linalg.norm(v) for s, v in r.items()}
q = {s: orthonormal(basis[f"layer.{s}"].astype(np.float64)) for s in (1, 2)}

pos32 = np.load(os.path.join(SYN, "pos_f32.npy")).astype(np.float64)  # [37, 3, 2, 27]
pos16 = np.load(os.path.join(SYN, "pos_f16.npy")).astype(np.float64)
neg = read_safetensors(os.path.join(SYN, "neg_bf16.safetensors"))  # layer.N: [41, 2, 27]

cases = {}
h = pos32[:, :, 1, :]
cases["project_dirs"] = {
    "input": "synthetic/pos_f32.npy", "position": 1, "slots": [0, 1, 2],
    "projection": [[float(h[i, s] @ rhat[s]) for s in range(3)] for i in range(len(h))],
    "fraction": [[float((h[i, s] @ rhat[s]) ** 2 / (h[i, s] @ h[i, s])) for s in range(3)] for i in range(len(h))],
}
h0 = pos32[:, :, 0, :]
cases["project_basis"] = {
    "input": "synthetic/pos_f32.npy", "position": 0, "slots": [1, 2],
    "coordinates": [[(q[s] @ h0[i, s]).tolist() for s in (1, 2)] for i in range(len(h0))],
    "fraction": [[float(np.sum((q[s] @ h0[i, s]) ** 2) / (h0[i, s] @ h0[i, s])) for s in (1, 2)] for i in range(len(h0))],
}
out = pos32.copy()
for s in range(3):
    x = out[:, s, 1, :]
    out[:, s, 1, :] = x - np.outer(x @ rhat[s], rhat[s])
cases["ablate_dirs"] = {"input": "synthetic/pos_f32.npy", "positions": [1], "slots": [0, 1, 2], "expected": out.tolist()}
nb = {}
for s in (1, 2):
    x = neg[f"layer.{s}"]  # [41, 2, 27]
    nb[str(s)] = (x - (x @ q[s].T) @ q[s]).tolist()
cases["ablate_basis"] = {"input": "synthetic/neg_bf16.safetensors", "positions": [0, 1], "slots": [1, 2], "expected": nb}
out = pos32.copy()
for s in range(3):
    for p in range(2):
        x = out[:, s, p, :]
        out[:, s, p, :] = x - np.outer(x @ rhat[1], rhat[1])
cases["ablate_from"] = {"input": "synthetic/pos_f32.npy", "positions": [0, 1], "slots": [0, 1, 2], "from_slot": 1, "expected": out.tolist()}
out = pos16.copy()
for s in range(3):
    out[:, s, 0, :] = out[:, s, 0, :] - 1.5 * r[s]
cases["add_dirs"] = {"input": "synthetic/pos_f16.npy", "positions": [0], "slots": [0, 1, 2], "coef": -1.5, "expected": out.tolist()}

with open(os.path.join(ROOT, "editing.json"), "w") as f:
    json.dump(cases, f)
print("wrote", ", ".join(sorted(cases)))

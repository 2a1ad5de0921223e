#!/usr/bin/env python3
"""Reference results for steer's LEACE concept erasure (Sources/Steering/Erasure).

Run:  python3 vectors/erasure/make_erasure_vectors.py
Needs numpy, torch (the CPU wheel) and EleutherAI's concept-erasure (PyPI `concept-erasure`,
tested with 0.2.4). Writes, deterministically:
  vectors/erasure/pos.npy, neg.npy   synthetic float32 [rows, 2, 24] (layout nld, slots 0 and 1)
  vectors/erasure/erasure.json       every float in full float64 precision (shortest repr)

Fits, per layer slot, in float64 (inputs widened exactly from float32 / bf16):
  x = concat(positive rows, negative rows), z = 1 for a positive row, 0 for a negative one
  (one label column: a two-column one-hot z gives the same eraser, its second singular value
  being zero), then
    LeaceFitter.fit(x, z, method=M, shrinkage=S)      # affine=True, constrain_cov_trace=True,
                                                       # svd_tol=0.01 (the package defaults)
  for the options  leace: M="leace", S=False   shrinkage: M="leace", S=True   orth: M="orth", S=False.
  The eraser is x' = x - ((x - bias) @ proj_right.T) @ proj_left.T with bias = mean of x and
  proj_left [d, 1], proj_right [1, d]. Stored per slot: mean (= bias), left = proj_left.T and
  right = proj_right (each [1, d]: steer's r x d convention), rank (1, or 0 when the singular
  value fell under svd_tol and the eraser is the identity), kept (eigenvalues of Sigma kept by
  the pseudo-inverse threshold; leace options only), and the erased rows of the first few
  positive and negative rows ("rows": their indices, "erased_pos"/"erased_neg").

Real data: ../real/smollm2_train_{harmful,harmless}.safetensors, BF16 [260, 2, 576] per
tensor layer.{0,18,28,30}, position 0 (read by hand, widened exactly to float64).
The trace constraint of concept-erasure never fires for one label column (the erased
covariance's trace drops by |W^+ u|^2); the script checks that proj_left stayed [d, 1].
"""
import json
import os
import struct

import numpy as np
import torch
from concept_erasure import LeaceFitter

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.dirname(HERE)
OUT = os.path.join(HERE, "erasure.json")
OPTIONS = {"leace": ("leace", False), "shrinkage": ("leace", True), "orth": ("orth", False)}
REAL_SLOTS = [0, 18, 28, 30]
SYNTH_ROWS = 8  # erased rows kept per class, synthetic
REAL_ROWS = 2  # erased rows kept per class, real (keeps the JSON small)


def synthetic():
    """Two slots of anisotropic Gaussian rows with a class shift; slot 1 far from the origin."""
    rng = np.random.default_rng(20240917)
    n_pos, n_neg, d = 300, 220, 24
    pos = np.empty((n_pos, 2, d), dtype=np.float32)
    neg = np.empty((n_neg, 2, d), dtype=np.float32)
    for slot, offset in [(0, 0.5), (1, 40.0)]:
        a = rng.normal(size=(d, d)) * np.logspace(0, -2, d)  # column scales 1 .. 0.01
        shift = rng.normal(size=d) * 0.7
        base = offset + rng.normal(size=d)
        pos[:, slot, :] = base + shift / 2 + rng.normal(size=(n_pos, d)) @ a.T
        neg[:, slot, :] = base - shift / 2 + rng.normal(size=(n_neg, d)) @ a.T
    np.save(os.path.join(HERE, "pos.npy"), pos)
    np.save(os.path.join(HERE, "neg.npy"), neg)
    return {s: (pos[:, s, :].astype(np.float64), neg[:, s, :].astype(np.float64)) for s in (0, 1)}


def read_safetensors_bf16(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "BF16", (path, name, info["dtype"])
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        u16 = np.frombuffer(data[begin:end], dtype="<u2").reshape(shape)
        out[name] = (u16.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return out


def real():
    pos = read_safetensors_bf16(os.path.join(VEC, "real", "smollm2_train_harmful.safetensors"))
    neg = read_safetensors_bf16(os.path.join(VEC, "real", "smollm2_train_harmless.safetensors"))
    return {s: (pos[f"layer.{s}"][:, 0, :], neg[f"layer.{s}"][:, 0, :]) for s in REAL_SLOTS}


def floats(a):
    return [float(v) + 0.0 for v in np.asarray(a, dtype=np.float64).ravel()]  # + 0.0: no -0.0


def fit(pos, neg, option, keep):
    method, shrinkage = OPTIONS[option]
    x = torch.from_numpy(np.concatenate([pos, neg]))
    z = torch.cat([torch.ones(len(pos)), torch.zeros(len(neg))]).to(torch.float64)
    fitter = LeaceFitter.fit(x, z, method=method, shrinkage=shrinkage)
    eraser = fitter.eraser
    d = x.shape[1]
    assert eraser.proj_left.shape == (d, 1) and eraser.proj_right.shape == (1, d), "trace constraint fired"
    rank = int(torch.count_nonzero(eraser.proj_right).item() > 0)
    record = {
        "mean": floats(eraser.bias),
        "left": [floats(eraser.proj_left[:, 0])],
        "right": [floats(eraser.proj_right[0])],
        "rank": rank,
        "rows": list(range(keep)),
        "erased_pos": [floats(r) for r in eraser(torch.from_numpy(pos[:keep]))],
        "erased_neg": [floats(r) for r in eraser(torch.from_numpy(neg[:keep]))],
    }
    if method == "leace":
        sigma = fitter.sigma_xx
        values = torch.linalg.eigvalsh(sigma)
        record["kept"] = int((values > values[-1] * d * torch.finfo(values.dtype).eps).sum().item())
    # The guarantee on all training rows: equal class means after erasure.
    after = eraser(x)
    gap = (after[: len(pos)].mean(0) - after[len(pos):].mean(0)).norm().item()
    record["mean_gap_after"] = gap
    return record


def cases(data, keep):
    out = {}
    for option in OPTIONS:
        layers = []
        for slot, (pos, neg) in sorted(data.items()):
            layer = fit(pos, neg, option, keep)
            layer["slot"] = slot
            layers.append(layer)
        out[option] = {"method": OPTIONS[option][0], "shrinkage": OPTIONS[option][1], "layers": layers}
    return out


def main():
    torch.set_num_threads(1)
    import concept_erasure
    synth = synthetic()
    data = real()
    result = {
        "generator": "concept-erasure " + getattr(concept_erasure, "__version__", "0.2.4") + ", torch " + torch.__version__,
        "synthetic": {"pos": "erasure/pos.npy", "neg": "erasure/neg.npy", "position": None,
                      "n_pos": 300, "n_neg": 220, "cases": cases(synth, SYNTH_ROWS)},
        "real": {"pos": "real/smollm2_train_harmful.safetensors", "neg": "real/smollm2_train_harmless.safetensors",
                 "position": 0, "n_pos": 260, "n_neg": 260, "cases": cases(data, REAL_ROWS)},
    }
    with open(OUT, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")
    for part in ("synthetic", "real"):
        for option, case in result[part]["cases"].items():
            for layer in case["layers"]:
                print(part, option, "slot", layer["slot"], "rank", layer["rank"], "kept", layer.get("kept"),
                      "mean gap after", layer["mean_gap_after"])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""References for `steer compare` (numpy only, float64).

Run from the repository root:  python3 vectors/compare/make_compare_vectors.py
Reads the committed real subset (vectors/real/smollm2_train_{harmful,harmless}.safetensors:
bf16 [260, 2, 576] per slot, slots 0, 18, 28, 30; position 0 = t_inst, 1 = t_post) and writes
vectors/compare/compare.json:

  slots                 the subset's layer slots
  cosines               per slot: cos(r at position 0, r at position 1) of the mean-difference
                        directions r = mean(harmful) - mean(harmless); null (and degenerate) when
                        either is the zero vector
  cross_layer_p0/_p1    M[l, m] = cos(r_l, r_m) across the slots at one position (null: degenerate)
  principal_angles      random orthonormal bases Q_A, Q_B (rows; k = 3 or 2, d = 16) and the
                        singular values of Q_A Q_B^T (cosines, descending) and their angles in degrees
  bootstrap             a fixed-seed numpy bootstrap (prompts resampled with replacement within each
                        class, the same resample for both positions) of the t_inst vs t_post cosine:
                        the 2.5 / 97.5 percentiles per slot (null when every resample is degenerate)
  weighted_sums         a small count matrix [resamples x rows] and the exact weighted column sums
                        counts @ rows of the harmful file at position 1 (slots 18 and 30), by math.fsum,
                        as float.hex strings: Foundation's JSON parser on Linux can miss the last bits
                        of a decimal number, and these are compared bit for bit
"""
import json, math, os, struct
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "real")


def read_bf16_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    raw = np.fromfile(path, dtype=np.uint8)
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "BF16"
        b, e = info["data_offsets"]
        bits = raw[8 + n + b: 8 + n + e].view(np.uint16).reshape(info["shape"])
        out[int(name.split(".")[1])] = (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return out


def cosine(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return None
    return float(np.dot(a, b) / (na * nb))


def main():
    pos = read_bf16_safetensors(os.path.join(REAL, "smollm2_train_harmful.safetensors"))
    neg = read_bf16_safetensors(os.path.join(REAL, "smollm2_train_harmless.safetensors"))
    slots = sorted(pos)
    diff = {p: {s: pos[s][:, p].mean(axis=0) - neg[s][:, p].mean(axis=0) for s in slots} for p in (0, 1)}
    out = {"slots": slots}
    out["cosines"] = [{"layer": s, "cosine": cosine(diff[0][s], diff[1][s]),
                       "degenerate": cosine(diff[0][s], diff[1][s]) is None} for s in slots]
    for p in (0, 1):
        out[f"cross_layer_p{p}"] = [[cosine(diff[p][a], diff[p][b]) for b in slots] for a in slots]

    # Principal angles between random orthonormal row bases.
    rng = np.random.default_rng(7)
    cases = []
    for ka, kb in ((3, 3), (3, 2)):
        qa = np.linalg.qr(rng.standard_normal((16, ka)))[0].T
        qb = np.linalg.qr(rng.standard_normal((16, kb)))[0].T
        s = np.clip(np.linalg.svd(qa @ qb.T, compute_uv=False), 0.0, 1.0)
        cases.append({"a": qa.tolist(), "b": qb.tolist(), "cosines": s.tolist(),
                      "degrees": np.degrees(np.arccos(s)).tolist()})
    # A shared direction: the first principal angle is 0.
    qa = np.linalg.qr(rng.standard_normal((16, 3)))[0].T
    mix = np.vstack([qa[0], rng.standard_normal((2, 16))])
    qb = np.linalg.qr(mix.T)[0].T
    s = np.clip(np.linalg.svd(qa @ qb.T, compute_uv=False), 0.0, 1.0)
    cases.append({"a": qa.tolist(), "b": qb.tolist(), "cosines": s.tolist(), "degrees": np.degrees(np.arccos(s)).tolist()})
    out["principal_angles"] = cases

    # Bootstrap of the t_inst vs t_post cosine (numpy's generator, not steer's: compared to Monte-Carlo error).
    resamples, seed, confidence = 2000, 12345, 0.95
    rng = np.random.default_rng(seed)
    n_pos, n_neg = pos[slots[0]].shape[0], neg[slots[0]].shape[0]
    values = {s: [] for s in slots}
    for _ in range(resamples):
        ip = rng.integers(0, n_pos, n_pos)
        ineg = rng.integers(0, n_neg, n_neg)
        for s in slots:
            r0 = pos[s][ip, 0].mean(axis=0) - neg[s][ineg, 0].mean(axis=0)
            r1 = pos[s][ip, 1].mean(axis=0) - neg[s][ineg, 1].mean(axis=0)
            c = cosine(r0, r1)
            if c is not None:
                values[s].append(c)
    alpha = (1 - confidence) / 2
    layers = []
    for s in slots:
        v = np.array(values[s])
        lo, hi = (np.percentile(v, [100 * alpha, 100 * (1 - alpha)]).tolist() if len(v) else (None, None))
        layers.append({"layer": s, "ci_low": lo, "ci_high": hi, "valid": len(v)})
    out["bootstrap"] = {"resamples": resamples, "seed": seed, "confidence": confidence,
                        "tolerance": 0.02, "layers": layers}

    # Weighted column sums: counts [3 x 260] @ rows [260 x 576], exact (math.fsum, correctly rounded).
    rng = np.random.default_rng(3)
    counts = np.stack([np.bincount(rng.integers(0, n_pos, n_pos), minlength=n_pos) for _ in range(3)])
    counts[2] = 0
    counts[2, 5] = 7  # a resample that is one row, seven times
    wsum = []
    for s in (18, 30):
        rows = pos[s][:, 1]
        sums = [[math.fsum(float(c) * x for c, x in zip(counts[b], rows[:, j])) for j in range(rows.shape[1])]
                for b in range(counts.shape[0])]
        assert np.array_equal(np.array(sums), counts.astype(np.float64) @ rows), "sums not exact in float64"
        wsum.append({"layer": s, "sums_hex": [[x.hex() for x in row] for row in sums]})
    out["weighted_sums"] = {"file": "real/smollm2_train_harmful.safetensors", "position": 1,
                            "counts": counts.tolist(), "layers": wsum}

    with open(os.path.join(HERE, "compare.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    for c in out["cosines"]:
        print(f"slot {c['layer']:2d}  cos(t_inst, t_post) = {c['cosine']}")
    for l in layers:
        print(f"slot {l['layer']:2d}  bootstrap {l['ci_low']} .. {l['ci_high']}  ({l['valid']} valid)")


if __name__ == "__main__":
    main()

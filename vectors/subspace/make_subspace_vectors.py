#!/usr/bin/env python3
"""Reference results for steer's `svd` command (subspace of difference rows).

Run from anywhere:  python3 vectors/subspace/make_subspace_vectors.py
Needs numpy only. Writes vectors/subspace/subspace.json (deterministic; every float is written
in full float64 precision as the shortest repr that round-trips; nothing is rounded).

Inputs
  ../real/smollm2_train_{harmful,harmless}.safetensors  BF16 layer.{0,18,28,30}, [260, 2, 576]
  ../synthetic/{pos,neg}_f32.npy                        float32 [rows, layers, positions, width]

Per case and layer slot, in float64, with D the difference rows (h+ = positive, h- = negative):
  paired      D_i = h+_i - h-_i                (equal row counts)
  to_mean     D_i = h+_i - mean(h-)
  stack       rows of D = given direction vectors (here: mean differences of three row blocks)
  centered    SVD of D - mean(D, axis=0) instead of D
  basis       first k rows of Vt from np.linalg.svd(., full_matrices=False)
  sign rule   m = mean(D, axis=0) of the *uncentered* D (= mu+ - mu- in paired and to_mean);
              flip v if v.m < 0; if |v.m| <= 1e-12 ||m|| ||v||, instead make the largest-|.|
              coordinate of v positive (ties: the first such coordinate)
  explained   s_i^2 / sum_all s_j^2, i < k (0 when the total is 0)
  effective_rank  smallest r with sum_{i<r} s_i^2 >= 0.9 sum_all s_j^2 (0 when the total is 0)
  cos_mean_diff   cos(basis[0], m) (0 if either is zero)
  singular_values all of them up to min(n, d), at most 20
  degenerate  total energy sum s^2 == 0 (D, or centered D, is exactly zero): basis omitted,
              singular values 0, explained 0, effective_rank 0, cos_mean_diff 0
Signed zeros are written as 0.0.

Stack case: for slots 18, 28, 30 at position 0 of the real subset, the directions are the mean
differences mean(h+[a:b]) - mean(h-[a:b]) for row blocks 0-86, 87-172, 173-259, rounded to
float32 (steer's directions files are F32, so that is what `steer svd` reads back); the SVD is
taken of exactly those float32 values (widened to float64), and they are written as
"directions" (each value is exactly representable in float32).
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.dirname(HERE)
OUT = os.path.join(HERE, "subspace.json")
MAX_SV = 20
TIE_REL = 1e-12
ENERGY_FRACTION = 0.9


# ------------------------------------------------------------------ inputs
def read_safetensors_bf16(path):
    """{name: float64 array} for the BF16 tensors of a safetensors file (parsed by hand)."""
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
        assert end - begin == 2 * int(np.prod(shape)), (path, name)
        u16 = np.frombuffer(data[begin:end], dtype="<u2").reshape(shape)
        f32 = (u16.astype(np.uint32) << 16).view(np.float32)
        out[name] = f32.astype(np.float64)
    return out


def load_real():
    pos = read_safetensors_bf16(os.path.join(VEC, "real", "smollm2_train_harmful.safetensors"))
    neg = read_safetensors_bf16(os.path.join(VEC, "real", "smollm2_train_harmless.safetensors"))
    return pos, neg


def load_synthetic():
    pos = np.load(os.path.join(VEC, "synthetic", "pos_f32.npy")).astype(np.float64)
    neg = np.load(os.path.join(VEC, "synthetic", "neg_f32.npy")).astype(np.float64)
    assert pos.ndim == 4 and neg.ndim == 4 and pos.shape[1:] == neg.shape[1:], (pos.shape, neg.shape)
    return pos, neg  # [rows, layers, positions, width]


# ------------------------------------------------------------------ the reference computation
def differences(hp, hn, mode):
    if mode == "paired":
        assert hp.shape == hn.shape, (hp.shape, hn.shape)
        return hp - hn
    if mode == "to_mean":
        return hp - hn.mean(axis=0)
    raise ValueError(mode)


def fix_sign(v, m):
    dot = float(v @ m)
    if abs(dot) <= TIE_REL * float(np.linalg.norm(m)) * float(np.linalg.norm(v)):
        j = int(np.argmax(np.abs(v)))  # argmax returns the first of equal maxima
        return (-v if v[j] < 0 else v), True
    return (-v if dot < 0 else v), False


def clean(a):
    """float64 list with -0.0 written as 0.0."""
    return [float(x) + 0.0 for x in np.asarray(a, dtype=np.float64).ravel()]


def analyse(D, k, centered):
    """One layer slot: the fields of the output plus a few diagnostics (not written)."""
    D = np.asarray(D, dtype=np.float64)
    n, d = D.shape
    m = D.mean(axis=0)
    A = D - m if centered else D
    if not A.any():  # exactly zero matrix: all singular values 0, basis arbitrary
        s, vt = np.zeros(min(n, d)), None
    else:
        _, s, vt = np.linalg.svd(A, full_matrices=False)
    e = s * s
    total = float(e.sum())
    degenerate = total == 0.0
    rec = {"degenerate": degenerate, "singular_values": clean(s[:MAX_SV])}
    diag = {"tie": False, "gap": None, "er_margin": None}
    if degenerate:
        rec["explained"] = [0.0] * k
        rec["effective_rank"] = 0
        rec["cos_mean_diff"] = 0.0
        return rec, diag
    explained = [float(e[i] / total) if i < len(e) else 0.0 for i in range(k)]
    cum = np.cumsum(e)
    r = int(np.argmax(cum >= ENERGY_FRACTION * total)) + 1
    assert cum[r - 1] >= ENERGY_FRACTION * total and (r == 1 or cum[r - 2] < ENERGY_FRACTION * total)
    basis = []
    for i in range(k):
        v, tie = fix_sign(vt[i].copy(), m)
        diag["tie"] |= tie
        basis.append(v)
    nm, nv = float(np.linalg.norm(m)), float(np.linalg.norm(basis[0]))
    cos = float(basis[0] @ m) / (nm * nv) if nm > 0 and nv > 0 else 0.0
    rec["explained"] = explained
    rec["effective_rank"] = r
    rec["cos_mean_diff"] = cos + 0.0
    rec["basis"] = [clean(v) for v in basis]
    # diagnostics: relative gap after s_{k-1} (basis well defined?) and how close the 0.9 cut is
    if len(s) > k:
        diag["gap"] = float((s[k - 1] - s[k]) / s[0])
    diag["er_margin"] = float(np.min(np.abs(cum / total - ENERGY_FRACTION)))
    return rec, diag


# ------------------------------------------------------------------ cases
def real_case(pos, neg, mode, centered, position, k=3, slots=(0, 18, 28, 30)):
    layers, diags = [], []
    n = None
    for slot in slots:
        hp = pos["layer.%d" % slot][:, position, :]
        hn = neg["layer.%d" % slot][:, position, :]
        D = differences(hp, hn, mode)
        n = D.shape[0]
        rec, dg = analyse(D, k, centered)
        layers.append({"layer": slot, **rec})
        diags.append(dg)
    case = {"mode": mode, "centered": centered, "k": k, "position": position, "rows": n, "layers": layers}
    return case, diags


def synthetic_case(pos, neg, mode, centered, position, k=3):
    layers, diags = [], []
    for slot in range(pos.shape[1]):
        D = differences(pos[:, slot, position, :], neg[:, slot, position, :], mode)
        rec, dg = analyse(D, k, centered)
        layers.append({"layer": slot, **rec})
        diags.append(dg)
    case = {"mode": mode, "centered": centered, "k": k, "position": position, "rows": int(pos.shape[0]),
            "layers": layers}
    return case, diags


STACK_BLOCKS = [(0, 87), (87, 173), (173, 260)]  # rows 0-86, 87-172, 173-259


def stack_case(pos, neg, position=0, k=2, slots=(18, 28, 30)):
    layers, diags = [], []
    for slot in slots:
        hp = pos["layer.%d" % slot][:, position, :]
        hn = neg["layer.%d" % slot][:, position, :]
        assert hp.shape[0] == STACK_BLOCKS[-1][1] and hn.shape[0] == STACK_BLOCKS[-1][1]
        dirs = [hp[a:b].mean(axis=0) - hn[a:b].mean(axis=0) for a, b in STACK_BLOCKS]
        dirs = np.stack(dirs).astype(np.float32).astype(np.float64)  # as read back from F32 files
        rec, dg = analyse(dirs, k, centered=False)
        layers.append({"layer": slot, **rec, "directions": [clean(v) for v in dirs]})
        diags.append(dg)
    case = {"mode": "stack", "centered": False, "k": k, "position": position, "rows": len(STACK_BLOCKS),
            "direction_rows": [[a, b - 1] for a, b in STACK_BLOCKS], "directions_dtype": "F32",
            "layers": layers}
    return case, diags


def sign_rule_check():
    D = np.array([[1.0, 0.0], [-3.0, 0.0], [0.0, 2.0]])
    rec, _ = analyse(D, 2, centered=False)
    return {"mode": "stack", "centered": False, "k": 2, "rows": 3, "D": [clean(r) for r in D],
            "mean": clean(D.mean(axis=0)), **rec}


# ------------------------------------------------------------------ output
def dump(obj, indent=0):
    """Indented JSON with every list of numbers on one line (compact)."""
    pad = " " * indent
    if isinstance(obj, dict):
        items = ['%s  %s: %s' % (pad, json.dumps(key), dump(val, indent + 2)) for key, val in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and all(isinstance(x, (dict, list)) for x in obj) \
            and not all(isinstance(x, list) and all(isinstance(y, (int, float)) for y in x) for x in obj):
        items = ["%s  %s" % (pad, dump(val, indent + 2)) for val in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, list) and obj and all(isinstance(x, list) for x in obj):
        items = ["%s  %s" % (pad, json.dumps(val, separators=(",", ":"), allow_nan=False)) for val in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def main():
    pos, neg = load_real()
    spos, sneg = load_synthetic()
    cases, diags = {}, {}
    for name, args in [
        ("real_p0_paired", ("paired", False, 0)),
        ("real_p0_to_mean", ("to_mean", False, 0)),
        ("real_p0_paired_centered", ("paired", True, 0)),
        ("real_p1_to_mean_centered", ("to_mean", True, 1)),
    ]:
        cases[name], diags[name] = real_case(pos, neg, *args)
    cases["synthetic_p0_to_mean"], diags["synthetic_p0_to_mean"] = synthetic_case(spos, sneg, "to_mean", False, 0)
    cases["real_p0_stack"], diags["real_p0_stack"] = stack_case(pos, neg)
    cases["sign_rule_check"] = sign_rule_check()

    text = dump(cases) + "\n"
    assert json.loads(text) == cases  # round trip: every float is exact
    with open(OUT, "w") as f:
        f.write(text)

    for name, case in cases.items():
        if name == "sign_rule_check":
            print("%s: s=%s basis=%s" % (name, case["singular_values"], case["basis"]))
            continue
        print("%s (mode=%s centered=%s k=%d position=%d rows=%d)" % (
            name, case["mode"], case["centered"], case["k"], case["position"], case["rows"]))
        for lay, dg in zip(case["layers"], diags[name]):
            if lay["degenerate"]:
                print("  slot %2d: degenerate (total energy 0)" % lay["layer"])
                continue
            extra = "" if dg["gap"] is None else "  gap(s%d-s%d)/s0=%.2e" % (case["k"] - 1, case["k"], dg["gap"])
            print("  slot %2d: effective_rank=%3d  cos_mean_diff=%.6f  explained=%s%s%s" % (
                lay["layer"], lay["effective_rank"], lay["cos_mean_diff"],
                "[" + ", ".join("%.4f" % x for x in lay["explained"]) + "]", extra,
                "  SIGN-TIE" if dg["tie"] else ""))
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()

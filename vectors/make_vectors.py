#!/usr/bin/env python3
"""Generates steer's reference test vectors with numpy / scikit-learn (float64).

Run from the repository root:  python3 vectors/make_vectors.py  [--shared ../shared]
Needs numpy and scikit-learn. Everything it writes is committed; the Swift tests
compare against it within the tolerances stated in the tests.

Writes
  vectors/synthetic/      small activation files: one dataset in every format and dtype
  vectors/synthetic/expected.json   float64 means, directions and metrics per case
  vectors/real/           a bit-exact subset of ../shared/data (SmolLM2 train slots 0,18,28,30;
                          SmolLM2 test .npy slots 18,28; MiniLM train slot 4) and its expectations
  vectors/expected/       float64 reference directions for the full ../shared data (used when present)
  and then runs the scripts of the later capabilities (see NUMPY_SCRIPTS and TORCH_SCRIPTS below):
  vectors/subspace (SVD modes, sign rule), vectors/compare (principal angles, cross-layer matrix,
  fixed-seed bootstrap), vectors/editing (projection, ablation, addition), vectors/json,
  vectors/kernels, and with torch installed vectors/erasure (concept-erasure) and vectors/interchange.
"""
import json, os, struct, sys
import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[sys.argv.index("--shared") + 1] if "--shared" in sys.argv else os.path.join(ROOT, "..", "..", "shared")


# ---------------------------------------------------------------- writers (independent of steer)
def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (as torch does)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_to_f64(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype_name, shape, raw bytes)."""
    header, offset = {}, 0
    for name, dt, shape, raw in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for *_, raw in tensors:
            f.write(raw)


def write_npy(path, array, version=None, descr=None):
    """np.save, or a hand-made header for another version / a '<V2' descr."""
    if version is None and descr is None:
        np.save(path, array)
        return
    descr = descr or array.dtype.str
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(array.shape)))
    version = version or 1
    fixed = 10 if version == 1 else 12
    total = (fixed + len(d) + 1 + 63) // 64 * 64
    header = (d + " " * (total - fixed - len(d) - 1) + "\n").encode("latin1" if version < 3 else "utf8")
    lenfield = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY" + bytes([version, 0]) + lenfield + header + np.ascontiguousarray(array).tobytes())


# ---------------------------------------------------------------- reference maths (float64)
def shifted_var(x):
    """Sample variance of deviations from the first value (exactly 0 when x is constant)."""
    dev = x - x[0]
    return float(((dev - dev.mean()) ** 2).sum() / (len(x) - 1))


def metrics(pos, neg, diff):
    """pos, neg: [n, d] float64; diff: [d]. Projection metrics as steer defines them."""
    norm = float(np.linalg.norm(diff))
    unit = diff / norm if norm > 0 else diff
    # Row-wise products summed per row (numpy's pairwise sum): identical rows give
    # identical scores, so exact ties (slot 0 = token embeddings) stay ties.
    sp, sn = (pos * unit).sum(axis=1), (neg * unit).sum(axis=1)
    y = np.r_[np.ones(len(sp)), np.zeros(len(sn))]
    s = np.r_[sp, sn]
    auroc = float(roc_auc_score(y, s)) if np.ptp(s) > 0 else 0.5
    v1, v2 = shifted_var(sp), shifted_var(sn)   # exact 0 for constant scores
    pooled = ((len(sp) - 1) * v1 + (len(sn) - 1) * v2) / (len(sp) + len(sn) - 2)
    d = float((sp.mean() - sn.mean()) / np.sqrt(pooled)) if pooled > 0 else 0.0
    t = (sp.mean() + sn.mean()) / 2
    acc = float(((sp >= t).sum() + (sn < t).sum()) / len(s))
    return {"norm": norm, "auroc": auroc, "cohen_d": d, "accuracy": acc}


def case(pos_layers, neg_layers, slots):
    """pos_layers/neg_layers: list of [n, d] float64 arrays (decoded values)."""
    out = {"slots": slots, "layers": []}
    for slot, p, n in zip(slots, pos_layers, neg_layers):
        diff = p.mean(axis=0) - n.mean(axis=0)
        m = metrics(p, n, diff)
        m["layer"] = slot
        m["degenerate"] = bool(np.all(diff == 0))
        m["diff"] = diff.tolist()
        out["layers"].append(m)
    return out


# ---------------------------------------------------------------- Latent Guard (float64, scikit-learn metrics)
def guard_scores(centroids, layers):
    """centroids: list of (mu_pos, mu_neg) per slot, F32-rounded as steer saves them; layers: list of [n, d].
    Slots with identical or zero centroids are skipped, as steer does."""
    total, used = 0.0, 0
    for (mp, mn), h in zip(centroids, layers):
        if np.array_equal(mp, mn) or not mp.any() or not mn.any():
            continue
        hn = np.sqrt((h * h).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            cp = np.where(hn > 0, (h * mp).sum(axis=1) / (hn * np.linalg.norm(mp)), 0.0)
            cn = np.where(hn > 0, (h * mn).sum(axis=1) / (hn * np.linalg.norm(mn)), 0.0)
        total = total + (cp - cn)
        used += 1
    return total / used


def evaluation(sp, sn, alpha):
    from sklearn.metrics import accuracy_score, precision_score, recall_score, f1_score, confusion_matrix, roc_curve
    y = np.r_[np.ones(len(sp)), np.zeros(len(sn))]
    s = np.r_[sp, sn]
    pred = (s >= alpha).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    fpr_curve, tpr_curve, _ = roc_curve(y, s)
    return {"accuracy": accuracy_score(y, pred), "precision": precision_score(y, pred, zero_division=0),
            "recall": recall_score(y, pred), "f1": f1_score(y, pred, zero_division=0),
            "auroc": roc_auc_score(y, s), "fpr": fp / (fp + tn),
            "tpr_at_1pct_fpr": float(tpr_curve[fpr_curve <= 0.01].max()),
            "confusion": {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}, "threshold": alpha}


def calibrate(sp, sn, method):
    """Threshold among the distinct scores (plus one above all): max F1, max Youden J, or max TPR at FPR <= rate.
    Ties go to the higher threshold."""
    candidates = np.r_[np.nextafter(max(sp.max(), sn.max()), np.inf), np.unique(np.r_[sp, sn])[::-1]]
    best, best_value = candidates[0], -np.inf
    for t in candidates:
        tp, fp = (sp >= t).sum(), (sn >= t).sum()
        tpr, fpr = tp / len(sp), fp / len(sn)
        if method == "max-f1":
            value = 2 * tp / (2 * tp + fp + (len(sp) - tp)) if tp + fp + len(sp) > 0 else 0
        elif method == "youden":
            value = tpr - fpr
        else:
            value = tpr if fpr <= float(method.split("=")[1]) else -1
        if value > best_value:
            best, best_value = t, value
    return float(best)


def guard_case(train_pos, train_neg, eval_pos, eval_neg, slots):
    """Each argument: list of [n, d] float64 per slot. Centroids rounded to float32 as steer stores them."""
    cents = [(p.mean(0).astype(np.float32).astype(np.float64), n.mean(0).astype(np.float32).astype(np.float64))
             for p, n in zip(train_pos, train_neg)]
    skipped = [s for s, (a, b) in zip(slots, cents) if np.array_equal(a, b) or not a.any() or not b.any()]
    sp, sn = guard_scores(cents, eval_pos), guard_scores(cents, eval_neg)
    out = {"slots": slots, "skipped": skipped, "eval_pos_scores": sp.tolist(), "eval_neg_scores": sn.tolist(),
           "alpha0": evaluation(sp, sn, 0.0), "train_alpha0": evaluation(guard_scores(cents, train_pos), guard_scores(cents, train_neg), 0.0)}
    for method in ("max-f1", "youden", "fpr=0.01", "fpr=0.1"):
        out["threshold_" + method] = calibrate(sp, sn, method)
    return out


# ---------------------------------------------------------------- probes (scikit-learn)
def probe_case(train_pos, train_neg, eval_pos, eval_neg, slots, C):
    """Per slot: StandardScaler + LogisticRegression(C) fitted to machine precision (newton-cholesky)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    out = []
    for slot, tp, tn, ep, en in zip(slots, train_pos, train_neg, eval_pos, eval_neg):
        X = np.r_[tp, tn]
        y = np.r_[np.ones(len(tp)), np.zeros(len(tn))]
        scaler = StandardScaler().fit(X)
        model = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(scaler.transform(X), y)
        E = np.r_[ep, en]
        ye = np.r_[np.ones(len(ep)), np.zeros(len(en))]
        dec = model.decision_function(scaler.transform(E))
        out.append({"layer": slot, "coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]),
                    "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                    "accuracy": float(model.score(scaler.transform(E), ye)), "auroc": float(roc_auc_score(ye, dec))})
    return out


# ---------------------------------------------------------------- synthetic
def synthetic():
    out = os.path.join(ROOT, "synthetic")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261125)
    n_pos, n_neg, L, P, d = 37, 41, 3, 2, 27          # d not a multiple of 8: kernel tails
    shift = rng.normal(size=(L, P, d)) * 0.8
    pos = (rng.normal(size=(n_pos, L, P, d)) + shift).astype(np.float32)
    neg = rng.normal(size=(n_neg, L, P, d)).astype(np.float32)
    pos[:, 0, 1, :] = neg[0, 0, 1, :]                  # layer 0, position 1: one row for all -> degenerate
    neg[:, 0, 1, :] = neg[0, 0, 1, :]
    pos[3, 2, 0, 5] = 1e-41                             # f32 subnormal survives
    exp = {}

    def store(name, pos_vals, neg_vals, pos_slots):
        exp[name] = {}
        for p in range(P):
            exp[name][str(p)] = case([pos_vals[:, l, p, :] for l in range(L)], [neg_vals[:, l, p, :] for l in range(L)], pos_slots)

    # float32 values as stored
    p64, n64 = pos.astype(np.float64), neg.astype(np.float64)
    write_npy(os.path.join(out, "pos_f32.npy"), pos)                           # np.save: v1
    write_npy(os.path.join(out, "neg_f32.npy"), neg)
    write_npy(os.path.join(out, "pos_f32_v2.npy"), pos, version=2)
    write_npy(os.path.join(out, "pos_f32_v3.npy"), pos, version=3)
    write_npy(os.path.join(out, "pos_f64.npy"), p64)                           # same values in f64
    write_npy(os.path.join(out, "pos_lnpd.npy"), np.ascontiguousarray(pos.transpose(1, 0, 2, 3)))
    write_safetensors(os.path.join(out, "pos_f32.safetensors"),
                      [(f"layer.{l}", "F32", (n_pos, P, d), np.ascontiguousarray(pos[:, l]).tobytes()) for l in range(L)],
                      {"layer_convention": "hf_hidden_states", "note": "synthetic"})
    write_safetensors(os.path.join(out, "neg_stacked_f32.safetensors"),
                      [("activations", "F32", (n_neg, L, P, d), neg.tobytes())])
    write_safetensors(os.path.join(out, "pos_tl_f64.safetensors"),
                      [(f"blocks.{l}.hook_resid_post", "F64", (n_pos, P, d), np.ascontiguousarray(p64[:, l]).tobytes()) for l in reversed(range(L))])
    store("f32", p64, n64, list(range(L)))

    # float16 values
    ph, nh = pos.astype(np.float16), neg.astype(np.float16)
    write_npy(os.path.join(out, "pos_f16.npy"), ph)
    write_safetensors(os.path.join(out, "neg_f16.safetensors"),
                      [(f"model.layers.{l}", "F16", (n_neg, P, d), np.ascontiguousarray(nh[:, l]).tobytes()) for l in range(L)])
    store("f16", ph.astype(np.float64), nh.astype(np.float64), list(range(L)))

    # bfloat16 values
    pb, nb = bf16_bits(pos), bf16_bits(neg)
    write_npy(os.path.join(out, "pos_bf16_v2.npy"), pb, descr="<V2")
    write_safetensors(os.path.join(out, "neg_bf16.safetensors"),
                      [(f"layer.{l}", "BF16", (n_neg, P, d), np.ascontiguousarray(nb[:, l]).tobytes()) for l in range(L)])
    store("bf16", bf16_to_f64(pb), bf16_to_f64(nb), list(range(L)))

    # mixed: f16 npy positive vs bf16 safetensors negative
    store("f16_vs_bf16", ph.astype(np.float64), bf16_to_f64(nb), list(range(L)))

    # raw headerless, one layer (slot 2, position 0), [n, d]
    pos[:, 2, 0, :].tofile(os.path.join(out, "pos_l2p0.f32.bin"))
    neg[:, 2, 0, :].tofile(os.path.join(out, "neg_l2p0.f32.bin"))
    exp["raw_l2p0"] = case([p64[:, 2, 0, :]], [n64[:, 2, 0, :]], [0])

    # guard: train on rows 0-19, evaluate (and calibrate) on rows 20-36 of both files, f32 values
    guard = {}
    for p in range(P):
        guard[str(p)] = guard_case([p64[:20, l, p] for l in range(L)], [n64[:20, l, p] for l in range(L)],
                                   [p64[20:37, l, p] for l in range(L)], [n64[20:37, l, p] for l in range(L)], list(range(L)))
    with open(os.path.join(out, "guard.json"), "w") as f:
        json.dump(guard, f, default=float)


    # probes: train on rows 0-19, evaluate on rows 20-36, position 0, two strengths
    probes = {str(C): probe_case([p64[:20, l, 0] for l in range(L)], [n64[:20, l, 0] for l in range(L)],
                                 [p64[20:37, l, 0] for l in range(L)], [n64[20:37, l, 0] for l in range(L)], list(range(L)), C)
              for C in (1.0, 0.05)}
    with open(os.path.join(out, "probe.json"), "w") as f:
        json.dump(probes, f)

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"n_pos": n_pos, "n_neg": n_neg, "layers": L, "positions": P, "width": d, "cases": exp}, f)

    # metric edge cases, checked against scikit-learn
    mrng = np.random.default_rng(7)
    mcases = []
    for k in range(6):
        a = np.round(mrng.normal(1, 1, 50 + k), 1 if k % 2 else 6)   # rounded: many ties
        b = np.round(mrng.normal(0, 1, 40 + 3 * k), 1 if k % 2 else 6)
        y = np.r_[np.ones(len(a)), np.zeros(len(b))]
        pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
        mcases.append({"pos": a.tolist(), "neg": b.tolist(), "auroc": float(roc_auc_score(y, np.r_[a, b])),
                       "cohen_d": float((a.mean() - b.mean()) / np.sqrt(pooled))})
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(mcases, f)


# ---------------------------------------------------------------- real data
def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
    meta = header.pop("__metadata__", {})
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        chunk = raw[base + b: base + e]
        dt = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": np.uint16}[info["dtype"]]
        out[name] = (info["dtype"], np.frombuffer(chunk, dtype=dt).reshape(info["shape"]))
    return out, meta


def decode(dtype, a):
    return bf16_to_f64(a) if dtype == "BF16" else a.astype(np.float64)


def real():
    data = os.path.join(SHARED, "data")
    if not os.path.isdir(data):
        print("no ../shared/data: real-data vectors left as committed")
        return
    out = os.path.join(ROOT, "real")
    expdir = os.path.join(ROOT, "expected")
    os.makedirs(out, exist_ok=True)
    os.makedirs(expdir, exist_ok=True)
    sm = os.path.join(data, "smollm2")
    expected = {}

    # full SmolLM2 train (BF16 safetensors): float64 directions per slot and position
    tr = {c: read_safetensors(os.path.join(sm, f"smollm2_train_{c}.safetensors")) for c in ("harmful", "harmless")}
    slots = list(range(31))
    full = np.zeros((2, 31, 576))
    for p in range(2):
        c = case([decode(*tr["harmful"][0][f"layer.{s}"])[:, p] for s in slots],
                 [decode(*tr["harmless"][0][f"layer.{s}"])[:, p] for s in slots], slots)
        full[p] = np.array([l["diff"] for l in c["layers"]])
        expected[f"smollm2_train_p{p}"] = [{k: v for k, v in l.items() if k != "diff"} for l in c["layers"]]
    np.save(os.path.join(expdir, "smollm2_train_diff.npy"), full)      # [position, slot, d]

    # full SmolLM2 test (F16 .npy [300, 31, 2, 576]): same for the test split
    te = {c: np.load(os.path.join(sm, f"smollm2_test_{c}.npy")).astype(np.float64) for c in ("harmful", "harmless")}
    full = np.zeros((2, 31, 576))
    for p in range(2):
        full[p] = te["harmful"][:, :, p].mean(0) - te["harmless"][:, :, p].mean(0)
    np.save(os.path.join(expdir, "smollm2_test_diff.npy"), full)

    # full MiniLM train (F32 safetensors, 7 slots)
    mn = os.path.join(data, "minilm")
    mt = {c: read_safetensors(os.path.join(mn, f"train_{c}.safetensors"))[0] for c in ("harmful", "harmless")}
    c = case([decode(*mt["harmful"][f"layer.{s}"]) for s in range(7)], [decode(*mt["harmless"][f"layer.{s}"]) for s in range(7)], list(range(7)))
    np.save(os.path.join(expdir, "minilm_train_diff.npy"), np.array([l["diff"] for l in c["layers"]]))
    expected["minilm_train"] = [{k: v for k, v in l.items() if k != "diff"} for l in c["layers"]]

    # the committed subset: bit-exact tensors, original metadata plus a note
    keep = [0, 18, 28, 30]
    for cls in ("harmful", "harmless"):
        tensors, meta = tr[cls]
        meta = dict(meta, subset=f"layer slots {keep} of the 31 in ../shared/data/smollm2/smollm2_train_{cls}.safetensors, bytes unchanged")
        write_safetensors(os.path.join(out, f"smollm2_train_{cls}.safetensors"),
                          [(f"layer.{s}", "BF16", tensors[f"layer.{s}"][1].shape, tensors[f"layer.{s}"][1].tobytes()) for s in keep], meta)
    for p in range(2):
        c = case([decode(*tr["harmful"][0][f"layer.{s}"])[:, p] for s in keep],
                 [decode(*tr["harmless"][0][f"layer.{s}"])[:, p] for s in keep], keep)
        expected[f"subset_train_p{p}"] = c["layers"]
    test_keep = [18, 28]
    for cls in ("harmful", "harmless"):
        raw = np.load(os.path.join(sm, f"smollm2_test_{cls}.npy"))
        np.save(os.path.join(out, f"smollm2_test_{cls}.slots18_28.npy"), np.ascontiguousarray(raw[:, test_keep]))
    for p in range(2):
        c = case([te["harmful"][:, s, p] for s in test_keep], [te["harmless"][:, s, p] for s in test_keep], [0, 1])
        expected[f"subset_test_p{p}"] = c["layers"]
    for cls in ("harmful", "harmless"):
        mt[cls]["layer.4"][1].astype("<f4").tofile(os.path.join(out, f"minilm_train_{cls}.layer4.f32le.bin"))
    c = case([decode(*mt["harmful"]["layer.4"])], [decode(*mt["harmless"]["layer.4"])], [0])
    expected["subset_minilm_layer4"] = c["layers"]
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)

    # guard on real data
    guard = {}
    # committed subset (test .npy, stacked slots 18, 28 as 0, 1): train rows 0-149, evaluate rows 150-299
    sub = {c: te[c][:, test_keep] for c in ("harmful", "harmless")}
    for p in range(2):
        guard[f"subset_p{p}"] = guard_case([sub["harmful"][:150, i, p] for i in range(2)], [sub["harmless"][:150, i, p] for i in range(2)],
                                           [sub["harmful"][150:, i, p] for i in range(2)], [sub["harmless"][150:, i, p] for i in range(2)], [0, 1])
    # the paper setup on the full files: train (BF16) -> test (F16), t_inst, all 31 slots
    trp = [decode(*tr["harmful"][0][f"layer.{s}"])[:, 0] for s in slots]
    trn = [decode(*tr["harmless"][0][f"layer.{s}"])[:, 0] for s in slots]
    tep = [te["harmful"][:, s, 0] for s in slots]
    ten = [te["harmless"][:, s, 0] for s in slots]
    g = guard_case(trp, trn, tep, ten, slots)
    guard["full_t_inst"] = {k: v for k, v in g.items() if not k.startswith("eval_")}
    # calibrated on test rows 0-149, evaluated on test rows 150-299
    cents = [(p.mean(0).astype(np.float32).astype(np.float64), n.mean(0).astype(np.float32).astype(np.float64)) for p, n in zip(trp, trn)]
    vp, vn = guard_scores(cents, [x[:150] for x in tep]), guard_scores(cents, [x[:150] for x in ten])
    hp, hn = guard_scores(cents, [x[150:] for x in tep]), guard_scores(cents, [x[150:] for x in ten])
    guard["full_calibrated"] = {}
    for method in ("max-f1", "youden", "fpr=0.01"):
        t = calibrate(vp, vn, method)
        guard["full_calibrated"][method] = {"alpha": t, "heldout": evaluation(hp, hn, t)}
    guard["full_calibrated"]["alpha0_heldout"] = evaluation(hp, hn, 0.0)
    with open(os.path.join(out, "guard.json"), "w") as f:
        json.dump(guard, f, default=float)

    # probes on real data: the committed subset (rows 0-149 -> 150-299), and train -> test on the full files
    probes = {"subset_p0": probe_case([sub["harmful"][:150, i, 0] for i in range(2)], [sub["harmless"][:150, i, 0] for i in range(2)],
                                      [sub["harmful"][150:, i, 0] for i in range(2)], [sub["harmless"][150:, i, 0] for i in range(2)], [0, 1], 1.0)}
    full = probe_case(trp, trn, tep, ten, slots, 1.0)
    probes["full_t_inst"] = [{k: v for k, v in l.items() if k in ("layer", "accuracy", "auroc", "intercept")} for l in full]
    probes["full_t_inst_coef28"] = full[28]["coef"]
    with open(os.path.join(out, "probe.json"), "w") as f:
        json.dump(probes, f)


# The references of later capabilities, each in its folder with its own script (run after the
# files above, which some of them read). numpy only: subspaces and comparison (issue 8), editing
# (issue 9), JSON and kernel cases. The erasure and interchange scripts need torch and are run
# when it is installed (concept-erasure, gguf and repeng too).
NUMPY_SCRIPTS = ["subspace/make_subspace_vectors.py", "compare/make_compare_vectors.py", "editing/make_editing_vectors.py",
                 "detectors/make_detector_vectors.py",
                 "json/make_json_cases.py", "kernels/make_kernel_vectors.py"]
TORCH_SCRIPTS = ["erasure/make_erasure_vectors.py", "interchange/make_interchange_vectors.py"]


def later_capabilities():
    import importlib.util, subprocess
    scripts = NUMPY_SCRIPTS + (TORCH_SCRIPTS if importlib.util.find_spec("torch") else [])
    for script in scripts:
        print("running", script)
        subprocess.run([sys.executable, os.path.join(ROOT, script)], check=True, cwd=os.path.dirname(ROOT))
    if not importlib.util.find_spec("torch"):
        print("torch is not installed: skipped", ", ".join(TORCH_SCRIPTS))


if __name__ == "__main__":
    synthetic()
    real()
    later_capabilities()
    print("vectors written")

#!/usr/bin/env python3
"""References for probes over tokens (numpy, scikit-learn; float64).

Run from the repository root:  /work/venv/bin/python vectors/tokens/make_token_vectors.py
Writes, in vectors/tokens/:

  train_pos.safetensors, train_neg.safetensors   token-axis activations: F32 `layer.0`, `layer.1`,
        each [N, T, d] (N = 14, T = 9, d = 6), and an I64 `lengths` [N]; positions past a row's
        length hold 1e4 (padding that must never be read)
  test_pos.safetensors, test_neg.safetensors     the same shape (N = 16), BF16 values, a [N, T]
        I64 `attention_mask` padded on the LEFT instead of lengths
  train_pos.lengths.npy                          the lengths of train_pos as an int32 .npy (for --pos-lengths)
  tokens.json
    probe        a fixed probe per layer (mean, scale, weights, intercept) and, on the test rows,
                 each aggregation's row scores: per-token logits z_t = w . ((h_t - mean) / scale) + b,
                 then last z_{n-1}; mean; max; ema:a (e_0 = z_0, e_t = a z_t + (1 - a) e_{t-1}, max);
                 multimax:w (max over k of mean(z[k:k+w]); the mean when n <= w)
    fit          per aggregation fitted (mean, last): scikit-learn's
                 make_pipeline(StandardScaler(), LogisticRegression(C=1)) on the pooled training rows
                 (mean of the row's tokens, or its last token); coef_, intercept_, and the test
                 AUROC (roc_auc_score) of every aggregation of that probe's per-token logits
"""
import json, os
import numpy as np
from safetensors.numpy import save_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(24)
T, D, LAYERS = 9, 6, 2
AGGREGATIONS = ["last", "mean", "max", "ema:0.5", "ema:0.3", "multimax:2", "multimax:8"]


def bf16(x):
    """Round float32 to bfloat16 (nearest even) and back, as float32."""
    b = x.astype(np.float32).view(np.uint32)
    b = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint32) << 16
    return b.view(np.float32)


def make(n, shift, rng):
    lengths = rng.integers(1, T + 1, size=n)
    lengths[0], lengths[1] = 1, T  # the extremes
    layers = []
    for l in range(LAYERS):
        x = rng.normal(size=(n, T, D)).astype(np.float32)
        x[:, :, 0] += shift * (1 + l)  # the concept, on every token
        x[:, :, 1] += 0.3 * np.arange(T)[None, :]  # drifts along the prompt
        layers.append(x)
    return layers, lengths


def tokens(layers, lengths, r, l):
    return layers[l][r, : lengths[r]].astype(np.float64)


def aggregate(z, how):
    n = len(z)
    if how == "last":
        return z[-1]
    if how == "mean":
        return z.mean()
    if how == "max":
        return z.max()
    if how.startswith("ema:"):
        a = float(how[4:])
        e, best = z[0], z[0]
        for t in range(1, n):
            e = a * z[t] + (1 - a) * e
            best = max(best, e)
        return best
    w = int(how.split(":")[1])
    if n <= w:
        return z.mean()
    return max(z[k : k + w].mean() for k in range(n - w + 1))


def scores(probe, layers, lengths, l, how):
    mean, scale, w, b = probe
    return [aggregate(((tokens(layers, lengths, r, l) - mean) / scale) @ w + b, how) for r in range(len(lengths))]


def save_lengths(path, layers, lengths):
    t = {f"layer.{l}": np.where(np.arange(T)[None, :, None] < lengths[:, None, None], layers[l], np.float32(1e4)) for l in range(LAYERS)}
    t["lengths"] = lengths.astype(np.int64)
    save_file(t, path, metadata={"steer.layer_convention": "hf_hidden_states"})


def save_mask(path, layers, lengths):
    """BF16 values, left padded: row r's tokens sit at T - n .. T - 1."""
    import torch
    from safetensors.torch import save_file as save_torch

    t, mask = {}, np.zeros((len(lengths), T), dtype=np.int64)
    for r, n in enumerate(lengths):
        mask[r, T - n :] = 1
    for l in range(LAYERS):
        out = np.full((len(lengths), T, D), 1e4, dtype=np.float32)
        for r, n in enumerate(lengths):
            out[r, T - n :] = layers[l][r, :n]
        t[f"layer.{l}"] = torch.from_numpy(out).to(torch.bfloat16)
    t["attention_mask"] = torch.from_numpy(mask)
    save_torch(t, path, metadata={"steer.layer_convention": "hf_hidden_states"})


train = {c: make(14, s, rng) for c, s in (("pos", 0.8), ("neg", 0.0))}
test = {c: make(16, s, rng) for c, s in (("pos", 0.8), ("neg", 0.0))}
# The test values as stored (BF16), so references use exactly what steer reads.
test = {c: ([bf16(x) for x in v[0]], v[1]) for c, v in test.items()}
for c in ("pos", "neg"):
    save_lengths(os.path.join(HERE, f"train_{c}.safetensors"), *train[c])
    save_mask(os.path.join(HERE, f"test_{c}.safetensors"), *test[c])
np.save(os.path.join(HERE, "train_pos.lengths.npy"), train["pos"][1].astype(np.int32))

out = {"aggregations": AGGREGATIONS, "probe": [], "fit": {}}
for l in range(LAYERS):
    probe = (rng.normal(size=D), rng.uniform(0.5, 2, size=D), rng.normal(size=D), float(rng.normal()))
    out["probe"].append({
        "slot": l, "mean": probe[0].tolist(), "scale": probe[1].tolist(), "weights": probe[2].tolist(), "intercept": probe[3],
        "scores": {how: {c: scores(probe, *test[c], l, how) for c in ("pos", "neg")} for how in AGGREGATIONS},
    })
for fitted in ("mean", "last"):
    layers_out = []
    for l in range(LAYERS):
        def pooled(layers, lengths):
            rows = [tokens(layers, lengths, r, l) for r in range(len(lengths))]
            return np.array([x[-1] if fitted == "last" else x.mean(axis=0) for x in rows])
        X = np.vstack([pooled(*train["pos"]), pooled(*train["neg"])])
        y = np.r_[np.ones(14), np.zeros(14)]
        pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=100000)).fit(X, y)
        sc, lr = pipe[0], pipe[1]
        probe = (sc.mean_, sc.scale_, lr.coef_[0], float(lr.intercept_[0]))
        auroc = {}
        for how in AGGREGATIONS:
            s = scores(probe, *test["pos"], l, how) + scores(probe, *test["neg"], l, how)
            auroc[how] = roc_auc_score(np.r_[np.ones(16), np.zeros(16)], s)
        layers_out.append({"slot": l, "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]), "auroc": auroc})
    out["fit"][fitted] = layers_out
with open(os.path.join(HERE, "tokens.json"), "w") as f:
    json.dump(out, f, indent=1)
print("wrote", HERE)

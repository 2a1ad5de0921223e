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
    guard        per pooling (mean, last): the Latent Guard's centroids (class means of each training
                 row's mean or last token, per layer, rounded to float32 as the guard file stores them), each test row's score under every aggregation
                 of its per-token scores s_t = (1/2) sum_l [cos(h_t,l, mu+_l) - cos(h_t,l, mu-_l)], and
                 the AUROC (roc_auc_score) of each
    confounds    on the rows' token counts (the lengths) and the `source` of {train,test}_{pos,neg}.prompts.json
                 (written beside the files; positives p1/p2 by row parity, negatives n1 for rows < 8,
                 n2 after): for the mean guard and for scikit-learn's mean-token probes (C = 1) under
                 `mean` and `max`: the length baseline's AUROC; the AUROC after regressing out length
                 (numpy.polyfit of the training rows' scores on their token counts, both classes);
                 per source group (a one-class group against every eval row of the other class) the
                 AUROC, and the AUROC after refitting without the group's training rows
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
def guard_score(mu, layers, lengths, how):
    """Each row's per-token guard scores (mean over layers of the cosine difference), aggregated."""
    out = []
    for r in range(len(lengths)):
        s = np.zeros(lengths[r])
        for l in range(LAYERS):
            h = tokens(layers, lengths, r, l)
            norms = np.linalg.norm(h, axis=1)
            s += h @ mu["pos"][l] / (norms * np.linalg.norm(mu["pos"][l])) - h @ mu["neg"][l] / (norms * np.linalg.norm(mu["neg"][l]))
        out.append(aggregate(s / LAYERS, how))
    return np.array(out)


out["guard"] = {}
for fitted in ("mean", "last"):
    def centroid(layers, lengths, l):
        rows = [tokens(layers, lengths, r, l) for r in range(len(lengths))]
        return np.array([x[-1] if fitted == "last" else x.mean(axis=0) for x in rows]).mean(axis=0)
    # As the guard stores them: Float32 (scores then use exactly the centroids steer holds).
    mu = {c: [centroid(*train[c], l).astype(np.float32).astype(np.float64) for l in range(LAYERS)] for c in ("pos", "neg")}

    def guard_scores(layers, lengths, how):
        return list(guard_score(mu, layers, lengths, how))
    entry = {"pos_centroids": [m.tolist() for m in mu["pos"]], "neg_centroids": [m.tolist() for m in mu["neg"]], "scores": {}, "auroc": {}}
    for how in AGGREGATIONS:
        sp, sn = guard_scores(*test["pos"], how), guard_scores(*test["neg"], how)
        entry["scores"][how] = {"pos": sp, "neg": sn}
        entry["auroc"][how] = roc_auc_score(np.r_[np.ones(16), np.zeros(16)], sp + sn)
    out["guard"][fitted] = entry
def source(split, c, r):
    return ("p1" if r % 2 == 0 else "p2") if c == "pos" else ("n1" if r < 8 else "n2")


data = {"train": train, "test": test}
for split in ("train", "test"):
    for c in ("pos", "neg"):
        lengths = data[split][c][1]
        records = [{"row": r, "source": source(split, c, r), "n_tokens": int(lengths[r])} for r in range(len(lengths))]
        with open(os.path.join(HERE, f"{split}_{c}.prompts.json"), "w") as f:
            json.dump(records, f, indent=1)
            f.write("\n")


def mean_token(layers, lengths, l, keep):
    return np.array([tokens(layers, lengths, r, l).mean(axis=0) for r in range(len(lengths)) if keep[r]])


def guard_of(keep):
    mu = {c: [mean_token(*train[c], l, keep[c]).mean(axis=0).astype(np.float32).astype(np.float64) for l in range(LAYERS)] for c in ("pos", "neg")}
    return lambda split, c, l, how: guard_score(mu, *data[split][c], how)


def probes_of(keep):
    fitted = []
    for l in range(LAYERS):
        X = np.vstack([mean_token(*train["pos"], l, keep["pos"]), mean_token(*train["neg"], l, keep["neg"])])
        y = np.r_[np.ones(sum(keep["pos"])), np.zeros(sum(keep["neg"]))]
        pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=100000)).fit(X, y)
        fitted.append((pipe[0].mean_, pipe[0].scale_, pipe[1].coef_[0], float(pipe[1].intercept_[0])))
    return lambda split, c, l, how: np.array(scores(fitted[l], *data[split][c], l, how))


def groups_of(split):
    return {c: [source(split, c, r) for r in range(len(data[split][c][1]))] for c in ("pos", "neg")}


everything = {c: [True] * len(train[c][1]) for c in ("pos", "neg")}
test_groups, train_groups = groups_of("test"), groups_of("train")
out["confounds"] = {"aggregations": ["mean", "max"], "groups": sorted(set(test_groups["pos"] + test_groups["neg"]))}
lengths_test = {c: test[c][1].astype(float) for c in ("pos", "neg")}
lengths_train = np.r_[train["pos"][1], train["neg"][1]].astype(float)
out["confounds"]["baseline_auroc"] = roc_auc_score(np.r_[np.ones(16), np.zeros(16)], np.r_[lengths_test["pos"], lengths_test["neg"]])
for name, make_detector, layers in (("guard", guard_of, [0]), ("probe", probes_of, list(range(LAYERS)))):
    detector = make_detector(everything)
    entry = {}
    for how in ("mean", "max"):
        per_layer = []
        for l in layers:
            s_train = np.r_[detector("train", "pos", l, how), detector("train", "neg", l, how)]
            b, a = np.polyfit(lengths_train, s_train, 1)
            resid = np.r_[detector("test", "pos", l, how) - a - b * lengths_test["pos"], detector("test", "neg", l, how) - a - b * lengths_test["neg"]]
            item = {"residualized_auroc": roc_auc_score(np.r_[np.ones(16), np.zeros(16)], resid), "intercept": a, "slope": b, "groups": {}, "left_out": {}}
            for g in out["confounds"]["groups"]:
                rows = {c: [r for r, v in enumerate(test_groups[c]) if v == g] or list(range(16)) for c in ("pos", "neg")}

                def auroc_of(det):
                    sp, sn = det("test", "pos", l, how)[rows["pos"]], det("test", "neg", l, how)[rows["neg"]]
                    return roc_auc_score(np.r_[np.ones(len(sp)), np.zeros(len(sn))], np.r_[sp, sn])
                item["groups"][g] = auroc_of(detector)
                keep = {c: [v != g for v in train_groups[c]] for c in ("pos", "neg")}
                item["left_out"][g] = auroc_of(make_detector(keep))
            per_layer.append(item)
        entry[how] = per_layer
    out["confounds"][name] = entry
with open(os.path.join(HERE, "tokens.json"), "w") as f:
    json.dump(out, f, indent=1)
print("wrote", HERE)

#!/usr/bin/env python3
"""References for steer's detector evaluation (numpy, scikit-learn, scipy; float64).

Run from the repository root:  python3 vectors/detectors/make_detector_vectors.py
Writes vectors/detectors/detectors.json:

  cases        labelled scores (ties included) at a threshold (flagged when score >= t), with
               accuracy, precision, recall, f1, fpr (scikit-learn at the threshold), auroc
               (roc_auc_score), the operating points tpr_at_1pct_fpr / tpr_at_0_1pct_fpr (the highest
               TPR over thresholds with FPR <= 1 % / 0.1 %), fpr_at_99tpr / fpr_at_95tpr (the smallest
               FPR over thresholds with tp*100 >= 99*n_pos / 95*n_pos) and the threshold of each, and
               roc_hull: the vertices of the ROC points' upper convex hull (scipy's qhull, collinear
               points dropped) as [fpr, tpr]
  calibration  logits of labelled rows: probabilities p = 1 / (1 + exp(-z)); brier_score_loss,
               log_loss, and the ECE over B equal-mass bins: the rows sorted by p (stable sort,
               positive rows first), numpy.array_split into B bins, sum of (n_b / N) |mean p - mean y|
  bootstrap    scores (and logits) of 400 harmful and 600 harmless rows, and the 2.5 / 97.5
               percentiles of every figure over 4000 numpy resamples (n_pos and n_neg rows drawn with
               replacement within each class, scores and threshold fixed), with the Monte Carlo
               tolerance each figure is compared within (steer draws its own resamples)
  midpoints    per slot of the committed real subset (vectors/real, position 1): the training
               threshold steer extract records, (mu_pos + mu_neg) . r_hat / 2 with r = mu_pos - mu_neg
               (0 for a zero direction)
  platt        scores and scikit-learn's Platt fit (_sigmoid_calibration, as CalibratedClassifierCV
               method="sigmoid"): p = 1 / (1 + exp(-(slope s + intercept)))
  length       synthetic scores and token counts: the AUROC of the counts alone, and the AUROC of
               s - a - b*n on eval rows after the least-squares fit s = a + b*n on training rows
"""
import json, os, struct
import numpy as np
from scipy.spatial import ConvexHull
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, confusion_matrix

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "real")


def roc_points(pos, neg):
    """(threshold, tp, fp) from above the top score down through every distinct score."""
    scores = np.concatenate([pos, neg])
    points = [(float(np.nextafter(scores.max(), np.inf)), 0, 0)]
    for t in np.unique(scores)[::-1]:
        points.append((float(t), int((pos >= t).sum()), int((neg >= t).sum())))
    return points


def figures(pos, neg, t):
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    pred = np.r_[pos >= t, neg >= t].astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    out = {
        "accuracy": (tp + tn) / len(y),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "auroc": roc_auc_score(y, np.r_[pos, neg]),
    }
    pts = roc_points(pos, neg)
    n_pos, n_neg = len(pos), len(neg)
    thresholds = {}
    for name, bound in (("tpr_at_1pct_fpr", 0.01), ("tpr_at_0_1pct_fpr", 0.001)):
        ok = [p for p in pts if p[2] / n_neg <= bound]
        out[name] = max(p[1] for p in ok) / n_pos
        thresholds[name] = min(p[0] for p in ok)
    for name, rate in (("fpr_at_99tpr", 99), ("fpr_at_95tpr", 95)):
        ok = [p for p in pts if p[1] * 100 >= rate * n_pos]
        out[name] = min(p[2] for p in ok) / n_neg
        thresholds[name] = max(p[0] for p in ok)
    return {k: float(v) for k, v in out.items()}, thresholds


def hull(pos, neg):
    pts = np.array([[p[2] / len(neg), p[1] / len(pos)] for p in roc_points(pos, neg)])
    cloud = np.vstack([pts, [[1.0, 0.0]]])  # the corner below the curve closes the polygon
    vertices = set(ConvexHull(cloud).vertices.tolist()) - {len(cloud) - 1}
    upper = sorted({tuple(cloud[i]) for i in vertices})
    return [list(map(float, p)) for p in upper]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ece(p, y, bins):
    order = np.argsort(p, kind="stable")
    total = 0.0
    for idx in np.array_split(order, bins):
        if len(idx):
            total += len(idx) / len(p) * abs(p[idx].mean() - y[idx].mean())
    return float(total)


def calibration_case(zp, zn, bins):
    p = sigmoid(np.r_[zp, zn])
    y = np.r_[np.ones(len(zp)), np.zeros(len(zn))]
    return {"pos": zp.tolist(), "neg": zn.tolist(), "bins": bins, "ece": ece(p, y, bins),
            "brier": float(brier_score_loss(y, p)), "log_loss": float(log_loss(y, p))}


def read_bf16_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    raw = np.fromfile(path, dtype=np.uint8)
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        bits = raw[8 + n + b: 8 + n + e].view(np.uint16).reshape(info["shape"])
        out[int(name.split(".")[1])] = (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return out


def main():
    rng = np.random.default_rng(24)
    out = {}

    cases = []
    specs = [
        (rng.normal(1, 1, 40).round(1), rng.normal(0, 1, 60).round(1), 0.5),  # many ties
        (rng.normal(0.8, 1, 500), rng.normal(0, 1, 1500), 0.0),
        (np.array([3.0, 2.0, 2.0, 1.0]), np.array([2.0, 1.0, 0.0, 0.0, -1.0]), 2.0),
        (np.array([1.0, 1.0, 1.0]), np.array([1.0, 1.0]), 1.0),  # one tie group
        (rng.integers(0, 5, 120).astype(float), rng.integers(-2, 3, 130).astype(float), 1.0),
    ]
    for pos, neg, t in specs:
        f, thresholds = figures(pos, neg, t)
        cases.append({"pos": pos.tolist(), "neg": neg.tolist(), "threshold": t, "figures": f,
                      "thresholds": thresholds, "roc_hull": hull(pos, neg)})
    out["cases"] = cases

    out["calibration"] = [
        calibration_case(rng.normal(1, 2, 37), rng.normal(-1, 2, 53), 15),
        calibration_case(rng.normal(2, 3, 300), rng.normal(-1, 3, 280), 10),
        calibration_case(np.array([0.5, 0.5, 2.0]), np.array([0.5, -1.0, 0.5, -3.0]), 3),  # ties across bins
        calibration_case(rng.normal(0, 1, 4), rng.normal(0, 1, 3), 15),  # fewer rows than bins
    ]

    # Bootstrap percentiles by numpy's resampling (Monte Carlo reference).
    n_pos, n_neg, resamples = 400, 600, 4000
    zp, zn = rng.normal(1.2, 1.5, n_pos), rng.normal(-0.3, 1.5, n_neg)
    t = 0.0
    names = ["accuracy", "precision", "recall", "f1", "fpr", "auroc", "tpr_at_1pct_fpr", "fpr_at_95tpr", "ece", "brier", "log_loss"]
    values = {k: [] for k in names}
    for _ in range(resamples):
        a, b = zp[rng.integers(0, n_pos, n_pos)], zn[rng.integers(0, n_neg, n_neg)]
        y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
        p = sigmoid(np.r_[a, b])
        pred = np.r_[a >= t, b >= t]
        tp, fp = int(pred[:n_pos].sum()), int(pred[n_pos:].sum())
        values["accuracy"].append((tp + n_neg - fp) / (n_pos + n_neg))
        values["precision"].append(tp / (tp + fp))
        values["recall"].append(tp / n_pos)
        values["f1"].append(2 * tp / (tp + fp + n_pos))
        values["fpr"].append(fp / n_neg)
        values["auroc"].append(roc_auc_score(y, np.r_[a, b]))
        sa, sb = np.sort(a)[::-1], np.sort(b)[::-1]
        # the highest TPR with fp <= 1 % of n_neg; the FPR at the ceil(0.95 n_pos)-th highest positive
        k = int(np.floor(0.01 * n_neg))
        cut = sb[k] if k < n_neg else -np.inf  # rows above the (k+1)-th negative
        values["tpr_at_1pct_fpr"].append(float((sa > cut).sum()) / n_pos)
        kth = sa[int(np.ceil(0.95 * n_pos)) - 1]
        values["fpr_at_95tpr"].append(float((sb >= kth).sum()) / n_neg)
        values["ece"].append(ece(p, y, 15))
        values["brier"].append(brier_score_loss(y, p))
        values["log_loss"].append(log_loss(y, p))
    tolerance = {"accuracy": 0.006, "precision": 0.008, "recall": 0.01, "f1": 0.008, "fpr": 0.008, "auroc": 0.006,
                 "tpr_at_1pct_fpr": 0.03, "fpr_at_95tpr": 0.02, "ece": 0.006, "brier": 0.005, "log_loss": 0.012}
    out["bootstrap"] = {"pos": zp.tolist(), "neg": zn.tolist(), "threshold": t, "resamples": resamples, "bins": 15,
                        "intervals": {k: np.percentile(v, [2.5, 97.5]).tolist() for k, v in values.items()},
                        "tolerance": tolerance}

    pos = read_bf16_safetensors(os.path.join(REAL, "smollm2_train_harmful.safetensors"))
    neg = read_bf16_safetensors(os.path.join(REAL, "smollm2_train_harmless.safetensors"))
    mids = {}
    for s in sorted(pos):
        mp, mn = pos[s][:, 1].mean(axis=0), neg[s][:, 1].mean(axis=0)
        r = mp - mn
        norm = np.linalg.norm(r)
        mids[str(s)] = float((mp + mn) @ r / norm / 2) if norm > 0 else 0.0
    out["midpoints"] = {"position": 1, "slots": mids}

    n_train, n_eval = 200, 150
    def rows(n, harmful):
        length = rng.integers(10, 60, n) + (12 if harmful else 0)
        score = 0.03 * length + rng.normal(0.6 if harmful else 0, 0.5, n)
        return length, score
    (lp, sp), (ln, sn) = rows(n_train, True), rows(n_train, False)
    (ep, esp), (en, esn) = rows(n_eval, True), rows(n_eval, False)
    b, a = np.polyfit(np.r_[lp, ln].astype(float), np.r_[sp, sn], 1)
    y = np.r_[np.ones(n_eval), np.zeros(n_eval)]
    out["length"] = {
        "train": {"pos_scores": sp.tolist(), "neg_scores": sn.tolist(), "pos_tokens": lp.tolist(), "neg_tokens": ln.tolist()},
        "eval": {"pos_scores": esp.tolist(), "neg_scores": esn.tolist(), "pos_tokens": ep.tolist(), "neg_tokens": en.tolist()},
        "fit": [float(a), float(b)],
        "baseline_auroc": float(roc_auc_score(y, np.r_[ep, en])),
        "detector_auroc": float(roc_auc_score(y, np.r_[esp, esn])),
        "residualized_auroc": float(roc_auc_score(y, np.r_[esp - a - b * ep, esn - a - b * en])),
    }

    # Platt scaling as scikit-learn's CalibratedClassifierCV(method="sigmoid") fits it; p = 1 / (1 + exp(a f + b)).
    from sklearn.calibration import _sigmoid_calibration
    prng = np.random.default_rng(31)
    platt = []
    for fp, fn in ((prng.normal(0.2, 0.3, 150), prng.normal(-0.1, 0.3, 150)), (prng.normal(2, 1, 40), prng.normal(-2, 1, 60)),
                   (np.array([1.0, 2.0, 3.0]), np.array([-1.0, -2.0]))):  # separable: the smoothed targets keep it finite
        a, b = _sigmoid_calibration(np.r_[fp, fn], np.r_[np.ones(len(fp)), np.zeros(len(fn))])
        platt.append({"pos": fp.tolist(), "neg": fn.tolist(), "slope": float(-a), "intercept": float(-b)})
    out["platt"] = platt

    with open(os.path.join(HERE, "detectors.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    for c in cases:
        print("case", {k: round(v, 4) for k, v in c["figures"].items()}, "hull", len(c["roc_hull"]))
    print("bootstrap", {k: [round(x, 4) for x in v] for k, v in out["bootstrap"]["intervals"].items()})
    print("length", out["length"]["baseline_auroc"], out["length"]["detector_auroc"], out["length"]["residualized_auroc"])


if __name__ == "__main__":
    main()

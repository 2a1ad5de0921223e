"""scikit-learn side of `steer-bench intervals`: percentile intervals of detector figures over resamples.

Usage: sklearn_bootstrap.py SCORES.npy N_POS RESAMPLES
SCORES.npy holds float64 logits, the first N_POS rows harmful. Each resample draws N_POS harmful
and the rest harmless rows with replacement, as steer does, and computes what a user would with
scikit-learn: roc_auc_score, accuracy at logit >= 0, brier_score_loss and log_loss of the
probabilities. Prints one line: seconds auroc_lo auroc_hi.
"""
import sys, time
import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

scores, n_pos, resamples = np.load(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
n_neg = len(scores) - n_pos
pos, neg = scores[:n_pos], scores[n_pos:]
y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
rng = np.random.default_rng(0)
start = time.perf_counter()
auroc = []
for _ in range(resamples):
    s = np.r_[pos[rng.integers(0, n_pos, n_pos)], neg[rng.integers(0, n_neg, n_neg)]]
    p = 1 / (1 + np.exp(-s))
    auroc.append(roc_auc_score(y, s))
    ((s >= 0) == (y == 1)).mean(), brier_score_loss(y, p), log_loss(y, p)
elapsed = time.perf_counter() - start
print(elapsed, *np.percentile(auroc, [2.5, 97.5]))

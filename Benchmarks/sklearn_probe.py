"""scikit-learn side of `steer-bench probe`: StandardScaler + L2 logistic regression (C = 1).

Usage: sklearn_probe.py POS.npy NEG.npy STEER_COEF.npy
Prints one line: default_s default_max_coef_diff tight_s tight_max_coef_diff (diffs vs steer's coefficients).
"""
import sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline

pos, neg, steer_coef = sys.argv[1], sys.argv[2], sys.argv[3]
X = np.r_[np.load(pos).reshape(-1, np.load(pos, mmap_mode="r").shape[-1]), np.load(neg).reshape(-1, np.load(neg, mmap_mode="r").shape[-1])]
y = np.r_[np.ones(len(X) // 2), np.zeros(len(X) - len(X) // 2)]
out = []
for tol, iters in ((1e-4, 100), (1e-8, 10000)):
    t = time.perf_counter()
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=tol, max_iter=iters)).fit(X, y)
    out += [time.perf_counter() - t, np.abs(model[-1].coef_[0] - np.load(steer_coef)).max()]
print(*out)

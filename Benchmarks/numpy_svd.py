"""numpy / scikit-learn side of `steer-bench svd`: the top-k basis of paired differences.

Usage: numpy_svd.py POS.npy NEG.npy K STEER_BASIS.safetensors
Prints one line: numpy_seconds numpy_peak_rss_bytes sklearn_randomized_seconds largest_angle_degrees
(sklearn_randomized_seconds is -1 when scikit-learn is missing; the angle compares steer's basis
with numpy's top-k right singular vectors of the same float64 differences).
"""
import json, struct, sys, time
import numpy as np

pos_path, neg_path, k, basis_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
pos = np.load(pos_path, mmap_mode="r")
neg = np.load(neg_path, mmap_mode="r")
t = time.perf_counter()
d = (np.asarray(pos, dtype=np.float64) - np.asarray(neg, dtype=np.float64)).reshape(pos.shape[0], -1)
_, s, vt = np.linalg.svd(d, full_matrices=False)
numpy_seconds = time.perf_counter() - t
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) * 1024
try:
    from sklearn.decomposition import PCA
    t = time.perf_counter()
    PCA(n_components=k, svd_solver="randomized", random_state=0).fit(d)
    sklearn_seconds = time.perf_counter() - t
except ImportError:
    sklearn_seconds = -1.0
with open(basis_path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    (name, entry), = [(key, value) for key, value in header.items()]
    f.seek(8 + n + entry["data_offsets"][0])
    q = np.frombuffer(f.read(entry["data_offsets"][1] - entry["data_offsets"][0]), dtype=np.float32).reshape(entry["shape"]).astype(np.float64)
cosines = np.linalg.svd(q @ vt[:k].T, compute_uv=False)
angle = float(np.degrees(np.arccos(np.clip(cosines.min(), -1, 1))))
print(numpy_seconds, hwm, sklearn_seconds, angle)

"""numpy / scikit-learn side of `steer-bench svd`: the top-k basis of paired differences.

Usage: numpy_svd.py POS.npy NEG.npy K STEER_BASIS.safetensors [STEER_RANDOMIZED_BASIS.safetensors]
Prints one line of seven numbers:
  numpy_seconds numpy_peak_rss_bytes sklearn_pca_randomized_seconds angle_steer_exact
  sklearn_randomized_svd_seconds angle_sklearn_randomized angle_steer_randomized
Times are -1 when scikit-learn is missing, angles -1 when not computed. Each angle is the largest
principal angle (degrees) between a basis and numpy's top-k right singular vectors of the same
float64 differences (uncentered, as `steer svd` without --centered).
"""
import json, struct, sys, time
import numpy as np

pos_path, neg_path, k, basis_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
randomized_path = sys.argv[5] if len(sys.argv) > 5 else None
pos = np.load(pos_path, mmap_mode="r")
neg = np.load(neg_path, mmap_mode="r")
t = time.perf_counter()
d = (np.asarray(pos, dtype=np.float64) - np.asarray(neg, dtype=np.float64)).reshape(pos.shape[0], -1)
_, s, vt = np.linalg.svd(d, full_matrices=False)
numpy_seconds = time.perf_counter() - t
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) * 1024


def largest_angle(q):
    # From the sines (the part of each basis vector outside numpy's subspace), not arccos of cosines
    # near 1, which would turn a 1e-9 rounding in the cosine into a 3e-3° angle. The rows are made
    # orthonormal in float64 first: steer's basis files store F32, 6e-8 from unit length.
    q = np.linalg.qr(q.T)[0].T
    v = vt[:k].T
    sines = np.linalg.svd(q - (q @ v) @ v.T, compute_uv=False)
    return float(np.degrees(np.arcsin(np.clip(sines.max(), 0, 1))))


def read_basis(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        (name, entry), = [(key, value) for key, value in header.items()]
        f.seek(8 + n + entry["data_offsets"][0])
        raw = f.read(entry["data_offsets"][1] - entry["data_offsets"][0])
        return np.frombuffer(raw, dtype=np.float32).reshape(entry["shape"]).astype(np.float64)


pca_seconds = svd_seconds = sklearn_angle = -1.0
try:
    from sklearn.decomposition import PCA
    from sklearn.utils.extmath import randomized_svd
    t = time.perf_counter()
    PCA(n_components=k, svd_solver="randomized", random_state=0).fit(d)
    pca_seconds = time.perf_counter() - t
    t = time.perf_counter()
    _, _, rvt = randomized_svd(d, k, random_state=0)  # n_iter="auto" (7 here), n_oversamples=10
    svd_seconds = time.perf_counter() - t
    sklearn_angle = largest_angle(rvt)
except ImportError:
    pass
steer_randomized_angle = largest_angle(read_basis(randomized_path)) if randomized_path else -1.0
print(numpy_seconds, hwm, pca_seconds, largest_angle(read_basis(basis_path)), svd_seconds, sklearn_angle, steer_randomized_angle)

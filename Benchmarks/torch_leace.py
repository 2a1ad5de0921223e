"""concept-erasure side of `steer-bench leace`: fitting a LEACE eraser on the same rows.

Usage: torch_leace.py POS.npy NEG.npy STEER_ERASER.safetensors
Needs torch (CPU) and concept-erasure; prints one line of four numbers:
  float64_seconds float32_seconds peak_rss_bytes max_relative_difference
The times are LeaceFitter.fit(x, z, method="leace", shrinkage=False) plus building its eraser
(z = 1 for positive rows, 0 for negative ones), on float64 and on float32 tensors, each from rows
already in memory. The difference is the largest |x'_steer - x'_torch| / |x'_torch| over the first
256 rows of each class, with the float64 eraser and steer's eraser file (slot 0). All -1 when
torch or concept-erasure is missing.
"""
import json, struct, sys, time

import numpy as np

try:
    import torch
    from concept_erasure import LeaceFitter
except ImportError:
    print("-1 -1 -1 -1")
    sys.exit(0)

pos_path, neg_path, eraser_path = sys.argv[1], sys.argv[2], sys.argv[3]
pos = np.load(pos_path).reshape(-1, np.load(pos_path, mmap_mode="r").shape[-1])
neg = np.load(neg_path).reshape(-1, pos.shape[-1])
z = torch.cat([torch.ones(len(pos)), torch.zeros(len(neg))])


def fit(dtype):
    x = torch.from_numpy(np.concatenate([pos, neg])).to(dtype)
    t = time.perf_counter()
    eraser = LeaceFitter.fit(x, z.to(dtype), method="leace", shrinkage=False).eraser
    return time.perf_counter() - t, eraser


t64, eraser = fit(torch.float64)
t32, _ = fit(torch.float32)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) * 1024

with open(eraser_path, "rb") as f:
    blob = f.read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
data = blob[8 + n:]


def tensor(name):
    info = header[name]
    begin, end = info["data_offsets"]
    return np.frombuffer(data[begin:end], dtype="<f8").reshape(info["shape"])


mean, left, right = tensor("layer.0.mean"), tensor("layer.0.left"), tensor("layer.0.right")
rows = np.concatenate([pos[:256], neg[:256]]).astype(np.float64)
steer = rows - ((rows - mean) @ right.T) @ left
reference = eraser(torch.from_numpy(rows)).numpy()
worst = max(np.abs(a - b).max() / np.linalg.norm(b) for a, b in zip(steer, reference))
print(t64, t32, hwm, worst)

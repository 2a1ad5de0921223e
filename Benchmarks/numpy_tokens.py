"""numpy side of `steer-bench tokens`: every token aggregation of a probe's per-token logits.

Usage: numpy_tokens.py ACTS.safetensors LENGTHS.npy PROBE.safetensors REPEAT
ACTS holds a BF16 `layer.0` [N, T, d]; LENGTHS the tokens of each row (padding on the right);
PROBE steer's probe file (F64 weight/mean/scale/intercept.layer.0). Per row, as a user would
write it: the row's tokens widened from bf16 (uint16 view, shift), logits z = h @ (w / scale) +
(b - (w / scale) . mean) in float64, then last, mean, max, ema:0.5 and multimax:8.
Prints one line: seconds peak_rss_bytes auroc_mean (best of REPEAT; VmHWM; rows < N/2 harmful).
"""
import json, struct, sys, time
import numpy as np

acts_path, lengths_path, probe_path, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return h, 8 + n


def tensor(path, name, dtype):
    h, base = header(path)
    b, e = h[name]["data_offsets"]
    return np.memmap(path, dtype=np.uint8, mode="r")[base + b: base + e].view(dtype).reshape(h[name]["shape"])


def ema_max(z, a):
    e = best = z[0]
    for t in range(1, len(z)):
        e = a * z[t] + (1 - a) * e
        best = max(best, e)
    return best


def multimax(z, w):
    if len(z) <= w:
        return z.mean()
    c = np.concatenate([[0.0], np.cumsum(z)])
    return ((c[w:] - c[:-w]) / w).max()


def run():
    w = tensor(probe_path, "weight.layer.0", np.float64) / tensor(probe_path, "scale.layer.0", np.float64)
    bias = tensor(probe_path, "intercept.layer.0", np.float64)[0] - w @ tensor(probe_path, "mean.layer.0", np.float64)
    acts = tensor(acts_path, "layer.0", np.uint16)
    lengths = np.load(lengths_path)
    out = np.zeros((5, len(lengths)))
    for r, n in enumerate(lengths):
        h = (acts[r, :n].astype(np.uint32) << 16).view(np.float32)
        z = h.astype(np.float64) @ w + bias
        out[:, r] = (z[-1], z.mean(), z.max(), ema_max(z, 0.5), multimax(z, 8))
    return out


best = float("inf")
for _ in range(repeat):
    t = time.perf_counter(); scores = run(); best = min(best, time.perf_counter() - t)
n = scores.shape[1] // 2
pos, neg = scores[1, :n], scores[1, n:]
auroc = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(best, hwm * 1024, auroc)

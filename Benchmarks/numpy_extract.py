"""numpy side of `steer-bench extract`: the same difference of means on the same files.

Usage: numpy_extract.py POS NEG OUT REPEAT npy|bf16
Prints one line: float32_seconds float64_seconds peak_rss_bytes (best of REPEAT; VmHWM).
"""
import json, struct, sys, time
import numpy as np

pos, neg, out, repeat, kind = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

def layers_bf16(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    names = sorted(header, key=lambda k: int(k.split(".")[1]))
    for k in names:
        b, e = header[k]["data_offsets"]
        u16 = raw[8 + n + b: 8 + n + e].view(np.uint16).reshape(header[k]["shape"])
        yield u16

def mean(path, dtype):
    if kind == "npy":
        return np.load(path, mmap_mode="r").mean(axis=0, dtype=dtype)
    # bf16: widen through a uint16 view and a shift, layer by layer
    return np.stack([(u.astype(np.uint32) << 16).view(np.float32).mean(axis=0, dtype=dtype) for u in layers_bf16(path)])

def job(dtype):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        r = mean(pos, dtype) - mean(neg, dtype)
        np.save(out, r.astype(np.float32))
        best = min(best, time.perf_counter() - t)
    return best

t32 = job(np.float32)
t64 = job(np.float64)
# VmHWM: this process's own peak (ru_maxrss would include the parent's at exec)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(t32, t64, hwm * 1024)

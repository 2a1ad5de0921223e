"""numpy side of `steer-bench guard`: Latent Guard scores of every row with the same guard.

Usage: numpy_guard.py GUARD.safetensors ACTS.safetensors REPEAT
Prints one line: seconds peak_rss_bytes (best of REPEAT; VmHWM).
"""
import json, struct, sys, time
import numpy as np

guard_path, acts_path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])

def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return h, 8 + n

def run():
    gh, gbase = header(guard_path)
    graw = np.memmap(guard_path, dtype=np.uint8, mode="r")
    cent = lambda k: graw[gbase + gh[k]["data_offsets"][0]: gbase + gh[k]["data_offsets"][1]].view(np.float32)
    ah, abase = header(acts_path)
    araw = np.memmap(acts_path, dtype=np.uint8, mode="r")
    slots = sorted(int(k.split(".")[-1]) for k in gh if k.startswith("pos."))
    total = None
    for s in slots:
        b, e = ah[f"layer.{s}"]["data_offsets"]
        h = (araw[abase + b: abase + e].view(np.uint16).reshape(ah[f"layer.{s}"]["shape"]).astype(np.uint32) << 16).view(np.float32)
        mp, mn = cent(f"pos.layer.{s}"), cent(f"neg.layer.{s}")
        hn = np.linalg.norm(h, axis=1)
        c = (h @ mp) / (hn * np.linalg.norm(mp)) - (h @ mn) / (hn * np.linalg.norm(mn))
        total = c if total is None else total + c
    return total / len(slots)

best = float("inf")
for _ in range(repeat):
    t = time.perf_counter(); scores = run(); best = min(best, time.perf_counter() - t)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(best, hwm * 1024)

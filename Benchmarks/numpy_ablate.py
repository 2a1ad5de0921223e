"""numpy side of `steer-bench ablate`: remove a k-dimensional subspace from bf16 rows and save.

Usage: numpy_ablate.py BASIS.safetensors ACTS.safetensors OUT.safetensors
Reads the bf16 tensor (memory-mapped), widens it to float32, computes H − (H @ Q) @ Q.T, rounds back
to bf16 (nearest even) and writes a safetensors copy, as a user would with numpy.
Prints one line: seconds peak_rss_bytes (VmHWM).
"""
import json, struct, sys, time
import numpy as np

basis_path, acts_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


t = time.perf_counter()
bh, bbase = header(basis_path)
(bname, bentry), = [(k, v) for k, v in bh.items() if k != "__metadata__"]
braw = np.memmap(basis_path, dtype=np.uint8, mode="r")
q = braw[bbase + bentry["data_offsets"][0]: bbase + bentry["data_offsets"][1]].view(np.float32).reshape(bentry["shape"])
ah, abase = header(acts_path)
(name, entry), = [(k, v) for k, v in ah.items() if k != "__metadata__"]
raw = np.memmap(acts_path, dtype=np.uint8, mode="r")
bits = raw[abase + entry["data_offsets"][0]: abase + entry["data_offsets"][1]].view(np.uint16).reshape(entry["shape"])
h = (bits.astype(np.uint32) << 16).view(np.float32)
h -= (h @ q.T) @ q
u = h.view(np.uint32)
out = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
with open(out_path, "wb") as f:
    f.write(raw[:abase].tobytes())
    out.tofile(f)
seconds = time.perf_counter() - t
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(seconds, hwm * 1024)

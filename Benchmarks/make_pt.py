"""Writes the torch side of `steer-bench pt`: a dict of layer tensors saved with torch.save (zip
format, stored, as torch writes it), like a TransformerLens or hook cache.

Usage: make_pt.py OUT.pt ROWS LAYERS WIDTH
Prints one line: seconds (the time torch.save took).
"""
import sys, time
import torch

out, rows, layers, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
g = torch.Generator().manual_seed(0)
cache = {f"blocks.{l}.hook_resid_post": torch.rand(rows, width, generator=g, dtype=torch.float32) * 2 - 1 for l in range(layers)}
t = time.perf_counter()
torch.save(cache, out)
print(time.perf_counter() - t)

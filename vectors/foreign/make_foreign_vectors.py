"""Direction files as other tools publish them (issue 18, part 3): ForeignDirectionTests reads them.

Equivalents, small and random, of:
- the refusal-direction study's run directory: refusal/direction.pt (torch.save of one [d] tensor,
  mean_diffs[pos, layer]) and refusal/direction_metadata.json {"pos": -1, "layer": 3}, its layer
  counting the input of each block (block_input);
- its mean_diffs.pt: torch.save of the [positions P=5, layers L=6, d=16] float64 mean differences;
- the seed paper's [layers, d] direction array: seed_directions.npy (float32, mean_diffs[-1]);
- acts.safetensors: activations to edit, layer.{0..5} [N=4, d] float32, steer.layer_convention
  block_input;
- expected.json: the numpy reference (the direction, the stack at position -1, and acts with the
  unit direction removed at slot 3: h - (h.r)r / |r|^2).
Run: /work/venv/bin/python vectors/foreign/make_foreign_vectors.py (from the repository root).
"""
import json
import numpy as np
import torch
from safetensors.numpy import save_file

out = "vectors/foreign/"
P, L, D, N = 5, 6, 16, 4
rng = np.random.default_rng(1818)
harmful = rng.standard_normal((8, P, L, D)) + 0.5
harmless = rng.standard_normal((8, P, L, D))
mean_diffs = harmful.mean(axis=0) - harmless.mean(axis=0)  # [P, L, d], float64 as the study keeps it
pos, layer = -1, 3
direction = mean_diffs[pos, layer].copy()
torch.save(torch.from_numpy(mean_diffs), out + "mean_diffs.pt")
torch.save(torch.from_numpy(direction), out + "refusal/direction.pt")
with open(out + "refusal/direction_metadata.json", "w") as f:
    json.dump({"pos": pos, "layer": layer}, f, indent=4)
np.save(out + "seed_directions.npy", mean_diffs[-1].astype(np.float32))
acts = rng.standard_normal((L, N, D)).astype(np.float32)
save_file({f"layer.{i}": acts[i] for i in range(L)}, out + "acts.safetensors", metadata={"steer.layer_convention": "block_input"})
h = acts[layer].astype(np.float64)
ablated = h - np.outer(h @ direction, direction) / (direction @ direction)
expected = {
    "direction": direction.tolist(),
    "slot": layer,
    "stack_last": mean_diffs[-1].tolist(),
    "seed": mean_diffs[-1].astype(np.float32).astype(np.float64).tolist(),
    "ablated_slot3": ablated.tolist(),
}
with open(out + "expected.json", "w") as f:
    json.dump(expected, f, indent=1)

"""Small files as a new user saves them with numpy (issue 18, part 3); NewcomerTests reads them.

- savez_whole.npz: np.savez(path, arr) of one [N=6, L=3, d=4] array (its member is arr_0);
- with_prompts.npz: the same array as `acts`, the prompts as a <U member and as an object member;
- layers_first.npy: a [L=3, N=8, d=4] array saved layers first;
- expected.json: the per-slot means numpy computes from them.
Run: /work/venv/bin/python vectors/newcomer/make_newcomer_vectors.py (from the repository root).
"""
import json
import numpy as np

out = "vectors/newcomer/"
rng = np.random.default_rng(18)
arr = rng.standard_normal((6, 3, 4)).astype(np.float32)
np.savez(out + "savez_whole.npz", arr)
prompts = np.array(["how do I", "tell me", "a", "bb", "ccc", "dddd"])
np.savez(out + "with_prompts.npz", acts=arr, prompts=prompts, meta=np.array([{"k": 1}, None], dtype=object))
lnd = rng.standard_normal((3, 8, 4)).astype(np.float32)
np.save(out + "layers_first.npy", lnd)
expected = {
    "savez_whole_means": arr.astype(np.float64).mean(axis=0).tolist(),
    "layers_first_means": lnd.astype(np.float64).mean(axis=1).tolist(),
}
with open(out + "expected.json", "w") as f:
    json.dump(expected, f, indent=1)

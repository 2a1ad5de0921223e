#!/usr/bin/env python3
"""Seeds of the `diff-values` fuzz target (Fuzz/corpus/diff-values): byte 0 picks the type (even:
BF16, odd: F16) and the writer (byte 0 / 2 mod 3: embedding [40, 24], o_proj [24, 24], down_proj
[24, 300]) of the harness's model; the rest are the stored values that replace the first ones of
that writer in the edited copy. Each seed is one kind of value the diff kernels must survive:
ordinary weights with a small edit, NaNs, infinities, values of 2^40 and more (which take the
Float64 bodies), subnormals and zeros, and ordinary weights with one of those among them.

Run from the repository root:  python3 Fuzz/tools/make_diff_values_corpus.py   (needs numpy)
"""
import os
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Fuzz", "corpus", "diff-values")
# Every value of the embedding and o_proj; four of the 24 rows of down_proj (the rest keep the edit).
COUNTS = [40 * 24, 24 * 24, 4 * 300]


def stored(values, bf16):
    """Float32 values as BF16 (truncated) or F16 bytes, little-endian."""
    values = np.asarray(values, dtype=np.float32)
    if bf16:
        return (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    return values.astype("<f2").tobytes()


def ordinary(count, scale=1.0):
    i = np.arange(count)
    return ((i * 37 + 11) % 101 / 400 - 0.125) * scale + 0.001 * np.sin(i)


os.makedirs(OUT, exist_ok=True)
for writer, count in enumerate(COUNTS):
    for bf16 in (True, False):
        mode = bytes([writer * 2 + (0 if bf16 else 1)])
        kind = "bf16" if bf16 else "f16"
        names = ["embed", "o_proj", "down_proj"]
        seeds = {
            "ordinary": ordinary(count),
            "nan": np.full(count, np.nan),
            "inf": np.where(np.arange(count) % 2 == 0, np.inf, -np.inf),
            "huge": ordinary(count, 2.0**50 if bf16 else 60000.0),
            "tiny": ordinary(count, 2.0**-120 if bf16 else 2.0**-20),
            "zero": np.zeros(count),
            "one_nan": np.where(np.arange(count) == count // 2, np.nan, ordinary(count)),
            "one_huge": np.where(np.arange(count) == 3, 2.0**41 if bf16 else 65504.0, ordinary(count)),
        }
        for name, values in seeds.items():
            with open(os.path.join(OUT, f"{kind}_{names[writer]}_{name}"), "wb") as f:
                f.write(mode + stored(values, bf16))

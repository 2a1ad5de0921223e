#!/usr/bin/env python3
"""Reference results for steer's narrowing kernels (float64/float32 -> float32, float16, bfloat16).

Run from the repository root:  python3 vectors/kernels/make_kernel_vectors.py
Needs numpy only. Everything it writes (about 1.3 MB) is committed; Tests/SteeringTests/KernelTests.swift
fails when a file is missing.

References
  float16   numpy's astype(np.float16), which rounds once, directly from the source value
            (checked here against exact rational arithmetic, and that it is not rounded via float32)
  bfloat16  exact rational arithmetic (fractions): round to nearest, ties to even, overflow to
            infinity -- what torch's float64 -> bfloat16 conversion gives; from float32 it equals
            the bit trick (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 (checked here)
  float32   numpy's astype(np.float32)
NaN inputs are left out: their rule (same sign, quiet, top of the payload) is checked in the test.

Files (little-endian .npy, version 1)
  f16_midpoints.npy   uint16 [31744, 6]  row k: pair (a, b) = (half k, half k+1) for k < 0x7C00, with
                                         "half 0x7C00" standing for 65536 (so the last row is the
                                         overflow threshold 65520). With m = (a + b) / 2 (exact):
                                         float64 inputs m.nextDown, m, m.nextUp -> float16 (columns 0-2),
                                         float32 inputs m.nextDown, m, m.nextUp -> float16 (columns 3-5).
                                         Only positive values: negating the input sets the sign bit.
  bf16_midpoints.npy  uint16 [32640, 6]  the same for bfloat16 pairs k < 0x7F80 ("0x7F80" = 2^128).
  from_f64.npy        float64 [N]        special and random float64 inputs (no NaN)
  from_f64_expected.npy uint32 [N, 3]    their float32 bits, float16 bits, bfloat16 bits
  from_f32.npy        uint32 [M]         special and random float32 inputs, as bits (no NaN)
  from_f32_expected.npy uint16 [M, 2]    their float16 bits, bfloat16 bits
"""
import os
from fractions import Fraction

import numpy as np

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240607)


# ---------------------------------------------------------------- exact references
def round_exact(x, mant_bits, min_exp, max_exp):
    """x (a finite float) rounded to a binary format with mant_bits stored mantissa bits, normal
    exponents min_exp..max_exp (subnormals below), to nearest, ties to even. Returns a Fraction,
    or +-inf (a float) on overflow; the sign of a zero result is x's."""
    if x == 0:
        return Fraction(0)
    if np.isinf(x):
        return float(x)
    v = abs(Fraction(x))
    e = v.numerator.bit_length() - v.denominator.bit_length()   # 2^(e-1) < v < 2^(e+1)
    if Fraction(2) ** e > v:
        e -= 1                                                 # now 2^e <= v < 2^(e+1)
    e = max(e, min_exp)                                        # subnormals share the smallest quantum
    quantum = Fraction(2) ** (e - mant_bits)
    r = round(v / quantum) * quantum                           # Fraction.__round__: ties to even
    if r >= Fraction(2) ** (max_exp + 1):
        return float("inf") if x > 0 else float("-inf")
    return r if x > 0 else -r


def bits16(value, sign_negative, dtype):
    """Bits of an exactly representable value (Fraction or inf) in float16 / bfloat16."""
    if dtype == "f16":
        h = np.array([float(value)], dtype=np.float64).astype(np.float16).view(np.uint16)[0]
    else:
        h = np.array([float(value)], dtype=np.float32).view(np.uint32)[0] >> 16
    h = int(h)
    if value == 0 and sign_negative:
        h |= 0x8000
    return h


def exact_f16(x):
    return bits16(round_exact(x, 10, -14, 15), np.signbit(x), "f16")


def exact_bf16(x):
    return bits16(round_exact(x, 7, -126, 127), np.signbit(x), "bf16")


def f32_bit_trick(bits):
    bits = np.asarray(bits, dtype=np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


# ---------------------------------------------------------------- adjacent pairs and their midpoints
def midpoints(values):
    """values: float64 array of consecutive representable values (plus the overflow "next value").
    Returns float64 [k, 3] and float32 [k, 3] inputs: m.nextDown, m, m.nextUp."""
    m = (values[:-1] + values[1:]) / 2                          # exact: one more bit than the format
    m32 = m.astype(np.float32)
    assert np.array_equal(m32.astype(np.float64), m), "midpoints must be exact in float32"
    d = np.stack([np.nextafter(m, -np.inf), m, np.nextafter(m, np.inf)], axis=1)
    f = np.stack([np.nextafter(m32, np.float32(-np.inf)), m32, np.nextafter(m32, np.float32(np.inf))], axis=1)
    return d, f


def f16_midpoints():
    values = np.arange(0x7C00, dtype=np.uint16).view(np.float16).astype(np.float64)
    values = np.append(values, 65536.0)
    d, f = midpoints(values)
    with np.errstate(over="ignore"):
        out = np.concatenate([d.astype(np.float16).view(np.uint16), f.astype(np.float16).view(np.uint16)], axis=1)
    # numpy rounds float64 directly (not via float32: that would round m.nextUp down to m, a tie).
    assert out[0x3C00, 2] == 0x3C01 and d[0x3C00, 2].astype(np.float32).astype(np.float16).view(np.uint16) == 0x3C00
    # Spot-check numpy against exact arithmetic (every 97th row, all columns).
    for k in range(0, len(out), 97):
        for c in range(3):
            assert out[k, c] == exact_f16(d[k, c]), (k, c)
            assert out[k, 3 + c] == exact_f16(float(f[k, c])), (k, c)
    assert list(out[-1]) == [0x7BFF, 0x7C00, 0x7C00, 0x7BFF, 0x7C00, 0x7C00]   # 65520 is a tie: to even = inf
    return out


def bf16_midpoints():
    values = (np.arange(0x7F80, dtype=np.uint32) << 16).view(np.float32).astype(np.float64)
    values = np.append(values, 2.0 ** 128)
    d, f = midpoints(values)
    out = np.zeros((len(d), 6), dtype=np.uint16)
    for c in range(3):
        out[:, c] = [exact_bf16(x) for x in d[:, c]]
        out[:, 3 + c] = f32_bit_trick(f[:, c].view(np.uint32))
    for k in range(0, len(out), 89):                            # the bit trick is exact RNE
        for c in range(3):
            assert out[k, 3 + c] == exact_bf16(float(f[k, c])), (k, c)
    assert list(out[-1]) == [0x7F7F, 0x7F80, 0x7F80, 0x7F7F, 0x7F80, 0x7F80]
    return out


# ---------------------------------------------------------------- special and random inputs
def special_f64():
    two = 2.0
    s = [0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-200, 1.0, 1.5, 65504.0, 65519.99999999999, 65520.0,
         np.nextafter(65520.0, 0), np.nextafter(65520.0, np.inf), 65536.0, 1e5, 3.4028234663852886e38,
         np.nextafter(3.4028234663852886e38, np.inf), 3.4028235677973366e38, 3.3895313892515355e38,
         2.0 ** 128 - 2.0 ** 119, np.nextafter(2.0 ** 128 - 2.0 ** 119, 0), np.nextafter(2.0 ** 128 - 2.0 ** 119, np.inf),
         2.0 ** 128, 1e300, np.finfo(np.float64).max, np.inf]
    # float16 subnormal / normal boundaries, float32 and bfloat16 subnormal boundaries, each +-1 ulp
    for e in [-14, -24, -25, -26, -126, -127, -133, -134, -135, -149, -150, -151]:
        x = two ** e
        s += [x, np.nextafter(x, 0), np.nextafter(x, np.inf), 1.5 * x, 3 * x, 0.75 * x]
    s += [(2.0 ** -14) * (1 - 2.0 ** -11), (2.0 ** -126) * (1 - 2.0 ** -8), (2.0 ** -126) * (1 - 2.0 ** -24)]
    # float32 rounding ties from float64
    s += [1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, np.nextafter(1 + 2.0 ** -24, 2), np.nextafter(1 + 2.0 ** -24, 0)]
    s = np.array(s, dtype=np.float64)
    return np.concatenate([s, -s])


def random_f64(n):
    """Random exponents over every interesting range, mantissas often with trailing zeros (ties)."""
    exps = rng.integers(-160, 140, n).astype(np.float64)
    mant = rng.integers(0, 1 << 52, n, dtype=np.uint64)
    cut = rng.integers(0, 53, n).astype(np.uint64)
    keep = rng.random(n) < 0.5
    mant = np.where(keep, mant, mant >> cut << cut)
    x = (1 + mant.astype(np.float64) / 2.0 ** 52)             # exact: 53 bits
    x = np.ldexp(x, exps.astype(np.int64))
    return np.where(rng.random(n) < 0.5, -x, x)


def random_f32_bits(n):
    bits = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
    # a quarter with exponents in float16's range, a quarter on float16 ties, a quarter on bfloat16 ties
    k = n // 4
    e = rng.integers(100, 145, k).astype(np.uint32)
    bits[:k] = (bits[:k] & 0x807FFFFF) | (e << 23)
    bits[k:2 * k] = (bits[k:2 * k] & ~np.uint32(0x1FFF)) | np.uint32(0x1000)
    bits[2 * k:3 * k] = (bits[2 * k:3 * k] & ~np.uint32(0xFFFF)) | np.uint32(0x8000)
    return bits[(bits & 0x7FFFFFFF) <= 0x7F800000]            # no NaN


def main():
    np.save(os.path.join(OUT, "f16_midpoints.npy"), f16_midpoints())
    np.save(os.path.join(OUT, "bf16_midpoints.npy"), bf16_midpoints())

    x = np.concatenate([special_f64(), random_f64(12000)])
    with np.errstate(over="ignore"):
        f32 = x.astype(np.float32).view(np.uint32)
        f16 = x.astype(np.float16).view(np.uint16).astype(np.uint32)
    bf16 = np.array([exact_bf16(v) for v in x], dtype=np.uint32)
    for v, h in zip(x, f16):
        assert h == exact_f16(v), v
    np.save(os.path.join(OUT, "from_f64.npy"), x)
    np.save(os.path.join(OUT, "from_f64_expected.npy"), np.stack([f32, f16, bf16], axis=1))

    with np.errstate(over="ignore"):
        special32 = special_f64().astype(np.float32).view(np.uint32)
    bits = np.concatenate([special32, np.array([0x00000001, 0x807FFFFF, 0x7F7FFFFF, 0x7F800000, 0x477FF000, 0x477FEFFF,
                                                0x33000000, 0x33000001, 0x32FFFFFF], dtype=np.uint32), random_f32_bits(12000)])
    values = bits.view(np.float32)
    with np.errstate(over="ignore"):
        h = values.astype(np.float16).view(np.uint16)
    b = f32_bit_trick(bits)
    for v, hv, bv in zip(values, h, b):
        assert hv == exact_f16(float(v)) and bv == exact_bf16(float(v)), v
    np.save(os.path.join(OUT, "from_f32.npy"), bits)
    np.save(os.path.join(OUT, "from_f32_expected.npy"), np.stack([h, b], axis=1))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".npy"))
    print(f"wrote {OUT}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

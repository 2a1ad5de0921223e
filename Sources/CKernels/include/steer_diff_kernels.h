// Inner loops of `steer diff` (Sources/Steering/Diff): one call per chunk of rows of a tensor
// pair (base `x`, edited `y`, both `rows × n` raw little-endian elements of `dtype`), each row
// widened to double in `scratch` (at least 8 n8 + 64 doubles, n8 = n rounded up to 8) and then
// passed over once. A BF16 or F16 pair in range (see each kernel) is widened to Float32 instead
// (16-lane bodies; every stored value, and every end of its rounding interval, is exact there).
//
// Like steer_kernels.h: a portable, an AVX2 and an AVX-512 build of one body (8-lane vectors),
// `path` resolved as steer_kernels_resolve does (STEER_KERNEL_DEFAULT: the process default); no
// fused multiply-add; reductions in one canonical order
// (lane[i % 8] in order of i, then the halves folded: (l0+l4)+(l2+l6) and (l1+l5)+(l3+l7) added),
// so every path gives the same bits.
//
// The rounding grid of a stored value v (mantissa bits `mbits`, smallest normal exponent
// `minexp`, as Steering's RoundingGrid): step(v) = 2^(max(e, minexp) - mbits) with e the
// exponent of v; the interval [lo, hi] of values that round to v is half a step each side (a
// quarter step on the side toward zero when v is a power of two above the smallest normal).
#ifndef STEER_DIFF_KERNELS_H
#define STEER_DIFF_KERNELS_H
#include <stddef.h>

/// Element-wise sums over rows (columns, yacc, accx, accy) take four rows at a time:
/// acc[j] += (t0 + t1) + (t2 + t3), with t_k the term of row r0 + k (zero past the last row).
///
/// Per row r: head[0] += ‖w‖², head[1] += ‖w'‖², head[2] += ‖w' − w‖², head[3] += Σ step(w')² / 12,
/// head[4] += count of w' = w; rowstats (nullable, 3 × rows, stride `rowstride`): [r] = ‖w‖²,
/// [rowstride + r] = w·w', [2 rowstride + r] = ‖w'‖²; columns (nullable, 3 × n): += w², w w', w'²;
/// sketch (nullable): sketch[c * sketchstride + r] = (w' − w)·omega[c * n ...] for c < p (omega p × n);
/// yacc (nullable, p rows of n, stride accstride): yacc[c * accstride + j] += coef[r * p + c] (w'_j − w_j);
/// sketchx, sketchd (nullable, p + known rows of n, stride accstride, with sketch): with y_c the row's sketch
/// value sketch[c * sketchstride + r], sketchx[c * accstride + j] += y_c w_j and
/// sketchd[c * accstride + j] += y_c (w'_j − w_j) (`AᵀY` and `ΔAᵀY` of the sketch in the same pass);
/// for c in p ..< p + known the same sums with y_c the caller's own coefficient, already in
/// sketch[c * sketchstride + r] (`Aᵀh` and `ΔAᵀh` of a vector h known before the pass).
/// These element-wise sums go by blocks of 128 columns; a stride of an odd number of 64-byte lines
/// keeps a block's rows of accumulators in distinct cache sets (a power-of-two multiple does not).
/// A BF16 or F16 pair whose values are all finite and below 2^40 in magnitude is summed in
/// Float32: a row's norms in Float32 over 256 values at a time, then in Float64; step², the count
/// and every total across rows in Float64; the sketch's dot products in Float32 over the whole row
/// (omega rounded to Float32); the element-wise sums 16 rows at a time in Float32 (the row's sketch
/// value or coefficient rounded to Float32), then added to the Float64 sums. Each such sum is
/// within about 1e-7 times its terms' magnitudes times the square root of their count (1e-5 of
/// Σ|terms| at worst over a 5632-wide row). Scratch: (2 + p)(n16 + 16) floats with omega
/// (n16 = n rounded up to 16), else 2 (n16 + 16).
void steer_diff_stats(int path, const void *x, const void *y, int dtype, size_t rows, size_t n, int mbits, int minexp,
                      double *scratch, double head[5], double *rowstats, size_t rowstride, double *columns,
                      const double *omega, int p, int known, double *sketch, size_t sketchstride, const double *coef,
                      double *yacc, double *sketchx, double *sketchd, size_t accstride);

/// Per row r: accx[c * n + j] += a[r * k + c] w_j, accy[c * n + j] += a[r * k + c] w'_j (c < k).
void steer_diff_axpy_rows(int path, const void *x, const void *y, int dtype, size_t rows, size_t n, const double *a, int k,
                          double *scratch, double *accx, double *accy);

/// Per row r: outx[c * outstride + r] = w·u_c, outy[c * outstride + r] = w'·u_c (u: k × n). For a
/// BF16 or F16 pair (values finite and below 2^40) whose rows and k directions fit the scratch
/// (8 n8 + 64 doubles) in Float32: w·u_c and (w' − w)·u_c in Float32 over the whole row (u rounded
/// to Float32), outy their sum in Float64.
void steer_diff_dot_rows(int path, const void *x, const void *y, int dtype, size_t rows, size_t n, const double *u, int k,
                         double *scratch, double *outx, double *outy, size_t outstride);

/// [lo[j], hi[j]]: the values that round to v[j], a BF16 (mbits 7, minexp −126) or F16 (10, −14)
/// value widened to Float32, computed as the row fit of a 16-bit tensor computes it (exact in
/// Float32; the tests compare it with RoundingGrid on every 16-bit pattern).
void steer_diff_grid_f32(int path, const float *v, size_t n, int mbits, int minexp, float *lo, float *hi);

/// 1 when every one of `count` stored BF16 or F16 values is finite and below 2^40 in magnitude
/// (the pairs the Float32 bodies take), else 0 (for the tests).
int steer_diff_float32_range(const void *v, int dtype, size_t count);

/// Per row r: s[r] = argmin_s Σ_j dist(w_j − s c_j, [lo_j, hi_j])² (the grid of w'): the middle of
/// the range of s that puts every value inside its interval when there is one (rc_j = 1 / c_j,
/// 0 where c_j = 0), else damped Newton steps from the incoming s[r] moved into the bracket
/// [min_j U_j, max_j L_j] that holds the minimum ([L_j, U_j]: the s that put value j inside its
/// interval; the cost is Σ c_j² dist(s, [L_j, U_j])²); a step that does not lower the cost is
/// halved; at most 12 evaluations; none once the step is at most 1e-10 |s|. For a BF16 or F16 pair
/// whose values are finite and below 2^40, with every c_j 0 or of magnitude in [2^-60, 2^40), the
/// fit works in Float32 (every stored value and interval end is exact there; c and rc rounded to
/// Float32, each cost summed in Float32 over the whole row) and stops at 1e-6 |s|.
/// foldx, foldd (nullable, n each): then foldx[j] += Σ_r s[r] w_j and foldd[j] += Σ_r s[r] (w'_j − w_j)
/// (`Aᵀs` and `ΔAᵀs` of the new s in the same pass): row by row in Float64, or for BF16 and F16
/// 16 rows at a time in Float32 (s rounded to Float32), added to the Float64 sums.
void steer_diff_interval_rows(int path, const void *x, const void *y, int dtype, size_t rows, size_t n, int mbits, int minexp,
                              const double *c, const double *rc, double *scratch, double *s, double *foldx, double *foldd);

/// Per row, with c = w·u: for each j, r_j = dist(w_j − s_j c, [lo_j, hi_j]) signed;
/// acc[j] += r², acc[n + j] −= c r, acc[2n + j] += (r ≠ 0 ? c² : 0).
void steer_diff_interval_columns(int path, const void *x, const void *y, int dtype, size_t rows, size_t n, int mbits, int minexp,
                                 const double *u, const double *s, double *scratch, double *acc);

/// Per row, with c = w·u and q_j = c u_j: r_j = dist(w_j − λ q_j, [lo_j, hi_j]) signed;
/// out[0] += Σ r², out[1] −= Σ q r, out[2] += Σ_{r ≠ 0} q².
void steer_diff_interval_lambda(int path, const void *x, const void *y, int dtype, size_t rows, size_t n, int mbits, int minexp,
                                const double *u, double lambda, double *scratch, double out[3]);

#endif

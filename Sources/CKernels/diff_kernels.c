// The inner loops of `steer diff` (see include/steer_diff_kernels.h): one body written on 8-lane
// vectors (GCC/Clang vector extensions), built for the portable, AVX2 and AVX-512 paths.
#include "steer_diff_kernels.h"
#include "steer_kernels.h"
#include <stdint.h>
#include <string.h>

// No fused multiply-add on any path (the same bits on every machine).
#ifdef __clang__
#pragma clang fp contract(off)
#else
#pragma GCC optimize("fp-contract=off")
#endif

// Every vector helper is inlined into its path's function: no 8-lane value crosses a call.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#endif

#define DIFF_INLINE static inline __attribute__((always_inline))

typedef double v8d __attribute__((vector_size(64), aligned(8)));
typedef long long v8l __attribute__((vector_size(64), aligned(8)));

DIFF_INLINE v8d splat(double a) { return (v8d){a, a, a, a, a, a, a, a}; }
DIFF_INLINE v8l splatl(long long a) { return (v8l){a, a, a, a, a, a, a, a}; }
DIFF_INLINE v8d sel(v8l mask, v8d a, v8d b) { return (v8d)(((v8l)a & mask) | ((v8l)b & ~mask)); }

/// Up to 8 doubles from p (the rest zero). The partial case goes through a separate array, so
/// the full one stays a plain vector load (a variable-size copy into the returned vector itself
/// made the compiler keep every such vector on the stack).
DIFF_INLINE v8d ld(const double *p, size_t count) {
    v8d v;
    if (count >= 8) {
        memcpy(&v, p, sizeof v);
        return v;
    }
    // Element by element, a fixed 8 times: no call to memcpy, which would make every vector the
    // caller keeps in registers go to the stack around it (the call clobbers them).
    double t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t k = 0; k < 8; k++)
        if (k < count) t[k] = p[k];
    memcpy(&v, t, sizeof v);
    return v;
}

/// The first `count` (at most 8) lanes of v to p.
DIFF_INLINE void st(double *p, v8d v, size_t count) {
    if (count >= 8) {
        memcpy(p, &v, sizeof v);
        return;
    }
    double t[8];
    memcpy(t, &v, sizeof t);
    for (size_t k = 0; k < 8; k++)
        if (k < count) p[k] = t[k];
}

/// The canonical fold of 8 lanes: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
DIFF_INLINE double fold(v8d v) {
    double a = v[0] + v[4], b = v[1] + v[5], c = v[2] + v[6], d = v[3] + v[7];
    return (a + c) + (b + d);
}

DIFF_INLINE double fmaxd(double a, double b) { return a > b ? a : b; }
DIFF_INLINE double fmind(double a, double b) { return a < b ? a : b; }

/// Row `r` of x and y widened into w and e (n8 = n rounded up to 8, the padding zero).
DIFF_INLINE void widen(const void *x, const void *y, int dt, size_t r, size_t n, size_t n8, double *w, double *e) {
    size_t size = dt == STEER_F64 ? 8 : (dt == STEER_F32 ? 4 : 2);
    steer_to_f64((const char *)x + r * n * size, dt, n, w);
    steer_to_f64((const char *)y + r * n * size, dt, n, e);
    for (size_t j = n; j < n8; j++) w[j] = e[j] = 0;
}

/// step(v) of 8 stored values (as Steering's RoundingGrid.step), and whether each is a power of
/// two above the smallest normal exponent.
DIFF_INLINE v8d grid_step(v8d v, int mbits, int minexp, v8l *pow2) {
    v8l bits = (v8l)v;
    v8l exponent = ((bits >> 52) & splatl(0x7FF)) - splatl(1023);
    v8l above = exponent > splatl(minexp);
    v8l clamped = (exponent & above) | (splatl(minexp) & ~above);
    v8l biased = clamped - splatl(mbits) + splatl(1023);
    v8l positive = biased > splatl(0);
    *pow2 = ((bits & splatl(0x000FFFFFFFFFFFFFLL)) == splatl(0)) & above;
    return (v8d)(((biased << 52) & positive) | (splatl(1) & ~positive));
}

/// [lo, hi] of 8 stored values.
DIFF_INLINE void grid_interval(v8d v, int mbits, int minexp, v8d *lo, v8d *hi) {
    v8l pow2;
    v8d up = grid_step(v, mbits, minexp, &pow2) * splat(0.5);
    v8d down = sel(pow2, up * splat(0.5), up);
    v8l positive = v >= splat(0);
    *lo = v - sel(positive, down, up);
    *hi = v + sel(positive, up, down);
}

/// Signed distance of x from [lo, hi] (0 inside).
DIFF_INLINE v8d miss(v8d x, v8d lo, v8d hi) {
    v8d below = sel(x < lo, x - lo, splat(0));
    return sel(x > hi, x - hi, below);
}

/// Rows r0 .. r0 + 3 of x and y widened into w + k * 2 n8 and that + n8 (rows past `rows` zero).
DIFF_INLINE void widen4(const void *x, const void *y, int dt, size_t r0, size_t rows, size_t n, size_t n8, double *scratch) {
    for (size_t k = 0; k < 4; k++) {
        double *w = scratch + 2 * k * n8, *e = w + n8;
        if (r0 + k < rows) {
            widen(x, y, dt, r0 + k, n, n8, w, e);
        } else {
            for (size_t j = 0; j < n8; j++) w[j] = e[j] = 0;
        }
    }
}

/// Row r's lane sums into the totals: head[0..4] += ‖w‖², ‖w'‖², ‖w' − w‖², Σ step² / 12, the count
/// of w' = w; rowstats (nullable) [r], [rowstride + r], [2 rowstride + r] = ‖w‖², w·w', ‖w'‖².
DIFF_INLINE void row_totals(double head[5], double *rowstats, size_t rowstride, size_t r, v8d b2, v8d xy, v8d e2, v8d dd, v8d f2,
                            v8d same) {
    double rb2 = fold(b2), rxy = fold(xy), re2 = fold(e2);
    head[0] += rb2;
    head[1] += re2;
    head[2] += fold(dd);
    head[3] += fold(f2) / 12;
    head[4] += fold(same);
    if (rowstats) {
        rowstats[r] = rb2;
        rowstats[rowstride + r] = rxy;
        rowstats[2 * rowstride + r] = re2;
    }
}

// Element-wise sums over rows go four rows at a time (rows past the end are zero rows):
// acc[j] += (a0 v0[j] + a1 v1[j]) + (a2 v2[j] + a3 v3[j]).
DIFF_INLINE v8d sum4(v8d a0, v8d a1, v8d a2, v8d a3) { return (a0 + a1) + (a2 + a3); }

/// Columns per block of the element-wise sums of steer_diff_stats.
#define STATS_BLOCK 128

DIFF_INLINE void stats_f32(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, double *scratch,
                           double head[5], double *rowstats, size_t rowstride, double *columns, const double *omega, int p,
                           int known, double *sketch, size_t sketchstride, const double *coef, double *yacc, double *sketchx,
                           double *sketchd, size_t accstride);
DIFF_INLINE int small16(const void *v, int dt, size_t count);

DIFF_INLINE void stats_body(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, double *scratch,
                            double head[5], double *rowstats, size_t rowstride, double *columns, const double *omega, int p,
                            int known, double *sketch, size_t sketchstride, const double *coef, double *yacc, double *sketchx,
                            double *sketchd, size_t accstride) {
    if ((dt == STEER_F16 || dt == STEER_BF16) && small16(x, dt, rows * n) && small16(y, dt, rows * n)) {
        stats_f32(x, y, dt, rows, n, mbits, minexp, scratch, head, rowstats, rowstride, columns, omega, p, known, sketch, sketchstride, coef,
                  yacc, sketchx, sketchd, accstride);
        return;
    }
    size_t n8 = (n + 7) & ~(size_t)7;
    const v8l lane = {0, 1, 2, 3, 4, 5, 6, 7};
    // Per row: the norms, floor, row sums and sketch values.
    {
        double *w = scratch, *e = scratch + n8;
        for (size_t r = 0; r < rows; r++) {
            widen(x, y, dt, r, n, n8, w, e);
            v8d b2 = splat(0), xy = splat(0), e2 = splat(0), dd = splat(0), f2 = splat(0), same = splat(0);
            for (size_t j = 0; j < n8; j += 8) {
                v8d wv = ld(w + j, 8), ev = ld(e + j, 8), dv = ev - wv;
                v8l valid = (lane + splatl((long long)j)) < splatl((long long)n);
                v8l pow2;
                v8d step = grid_step(ev, mbits, minexp, &pow2);
                b2 += wv * wv;
                xy += wv * ev;
                e2 += ev * ev;
                dd += dv * dv;
                f2 += sel(valid, step * step, splat(0));
                same += sel(valid & (ev == wv), splat(1), splat(0));
            }
            row_totals(head, rowstats, rowstride, r, b2, xy, e2, dd, f2, same);
            if (sketch) {
                // Four columns of the sketch at a time (independent sums, each in the canonical order).
                int c = 0;
                for (; c + 4 <= p; c += 4) {
                    const double *o0 = omega + (size_t)c * n, *o1 = o0 + n, *o2 = o1 + n, *o3 = o2 + n;
                    v8d a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
                    for (size_t j = 0; j < n8; j += 8) {
                        v8d dv = ld(e + j, 8) - ld(w + j, 8);
                        size_t count = n - j;
                        a0 += dv * ld(o0 + j, count);
                        a1 += dv * ld(o1 + j, count);
                        a2 += dv * ld(o2 + j, count);
                        a3 += dv * ld(o3 + j, count);
                    }
                    sketch[(size_t)c * sketchstride + r] = fold(a0);
                    sketch[(size_t)(c + 1) * sketchstride + r] = fold(a1);
                    sketch[(size_t)(c + 2) * sketchstride + r] = fold(a2);
                    sketch[(size_t)(c + 3) * sketchstride + r] = fold(a3);
                }
                for (; c < p; c++) {
                    v8d acc = splat(0);
                    for (size_t j = 0; j < n8; j += 8) acc += (ld(e + j, 8) - ld(w + j, 8)) * ld(omega + (size_t)c * n + j, n - j);
                    sketch[(size_t)c * sketchstride + r] = fold(acc);
                }
            }
        }
    }
    // Element-wise sums over rows (columns, sketchx/sketchd, yacc): by blocks of STATS_BLOCK
    // columns, four rows at a time within each block, so a block's accumulators stay in the
    // first-level cache while the rows pass (each element still gets sum4 of each four rows, in
    // row order). The rows are widened again, a block at a time, from the chunk as stored.
    if (!columns && !yacc && !(sketch && sketchx && sketchd)) return;
    size_t size = dt == STEER_F64 ? 8 : (dt == STEER_F32 ? 4 : 2);
    double block[8][STATS_BLOCK];
    const double *w0 = block[0], *e0 = block[1], *w1 = block[2], *e1 = block[3], *w2 = block[4], *e2 = block[5], *w3 = block[6],
                 *e3 = block[7];
    for (size_t j0 = 0; j0 < n; j0 += STATS_BLOCK) {
        size_t nb = n - j0 < STATS_BLOCK ? n - j0 : STATS_BLOCK, nb8 = (nb + 7) & ~(size_t)7;
        for (size_t r0 = 0; r0 < rows; r0 += 4) {
            for (size_t k = 0; k < 4; k++) {
                double *w = block[2 * k], *e = block[2 * k + 1];
                size_t filled = 0;
                if (r0 + k < rows) {
                    steer_to_f64((const char *)x + ((r0 + k) * n + j0) * size, dt, nb, w);
                    steer_to_f64((const char *)y + ((r0 + k) * n + j0) * size, dt, nb, e);
                    filled = nb;
                }
                for (size_t j = filled; j < nb8; j++) w[j] = e[j] = 0;
            }
            if (columns) {
                double *c0 = columns + j0, *c1 = columns + n + j0, *c2 = columns + 2 * n + j0;
                for (size_t j = 0; j < nb8; j += 8) {
                    size_t count = nb - j;
                    v8d a0 = ld(w0 + j, 8), a1 = ld(w1 + j, 8), a2 = ld(w2 + j, 8), a3 = ld(w3 + j, 8);
                    v8d b0 = ld(e0 + j, 8), b1 = ld(e1 + j, 8), b2 = ld(e2 + j, 8), b3 = ld(e3 + j, 8);
                    st(c0 + j, ld(c0 + j, count) + sum4(a0 * a0, a1 * a1, a2 * a2, a3 * a3), count);
                    st(c1 + j, ld(c1 + j, count) + sum4(a0 * b0, a1 * b1, a2 * b2, a3 * b3), count);
                    st(c2 + j, ld(c2 + j, count) + sum4(b0 * b0, b1 * b1, b2 * b2, b3 * b3), count);
                }
            }
            if (sketch && sketchx && sketchd) {
                double f[4][64];
                for (int c = 0; c < p + known; c += 64) {
                    int width = p + known - c < 64 ? p + known - c : 64;
                    for (size_t k = 0; k < 4; k++)
                        for (int i = 0; i < width; i++) f[k][i] = r0 + k < rows ? sketch[(size_t)(c + i) * sketchstride + r0 + k] : 0;
                    for (size_t j = 0; j < nb8; j += 8) {
                        size_t count = nb - j;
                        v8d a0 = ld(w0 + j, 8), a1 = ld(w1 + j, 8), a2 = ld(w2 + j, 8), a3 = ld(w3 + j, 8);
                        v8d d0 = ld(e0 + j, 8) - a0, d1 = ld(e1 + j, 8) - a1, d2 = ld(e2 + j, 8) - a2, d3 = ld(e3 + j, 8) - a3;
                        for (int i = 0; i < width; i++) {
                            v8d s0 = splat(f[0][i]), s1 = splat(f[1][i]), s2 = splat(f[2][i]), s3 = splat(f[3][i]);
                            double *ox = sketchx + (size_t)(c + i) * accstride + j0 + j, *od = sketchd + (size_t)(c + i) * accstride + j0 + j;
                            st(ox, ld(ox, count) + sum4(s0 * a0, s1 * a1, s2 * a2, s3 * a3), count);
                            st(od, ld(od, count) + sum4(s0 * d0, s1 * d1, s2 * d2, s3 * d3), count);
                        }
                    }
                }
            }
            if (yacc) {
                double f[4][64];
                for (int c = 0; c < p; c += 64) {
                    int width = p - c < 64 ? p - c : 64;
                    for (size_t k = 0; k < 4; k++)
                        for (int i = 0; i < width; i++) f[k][i] = r0 + k < rows ? coef[(r0 + k) * (size_t)p + c + i] : 0;
                    for (size_t j = 0; j < nb8; j += 8) {
                        size_t count = nb - j;
                        v8d d0 = ld(e0 + j, 8) - ld(w0 + j, 8), d1 = ld(e1 + j, 8) - ld(w1 + j, 8);
                        v8d d2 = ld(e2 + j, 8) - ld(w2 + j, 8), d3 = ld(e3 + j, 8) - ld(w3 + j, 8);
                        for (int i = 0; i < width; i++) {
                            v8d s0 = splat(f[0][i]), s1 = splat(f[1][i]), s2 = splat(f[2][i]), s3 = splat(f[3][i]);
                            double *out = yacc + (size_t)(c + i) * accstride + j0 + j;
                            st(out, ld(out, count) + sum4(s0 * d0, s1 * d1, s2 * d2, s3 * d3), count);
                        }
                    }
                }
            }
        }
    }
}

DIFF_INLINE void axpy_body(const void *x, const void *y, int dt, size_t rows, size_t n, const double *a, int k, double *scratch,
                           double *accx, double *accy) {
    size_t n8 = (n + 7) & ~(size_t)7;
    const double *w0 = scratch, *e0 = w0 + n8, *w1 = e0 + n8, *e1 = w1 + n8, *w2 = e1 + n8, *e2 = w2 + n8, *w3 = e2 + n8,
                 *e3 = w3 + n8;
    for (size_t r0 = 0; r0 < rows; r0 += 4) {
        widen4(x, y, dt, r0, rows, n, n8, scratch);
        for (int c = 0; c < k; c++) {
            double f[4];
            for (size_t i = 0; i < 4; i++) f[i] = r0 + i < rows ? a[(r0 + i) * (size_t)k + c] : 0;
            v8d s0 = splat(f[0]), s1 = splat(f[1]), s2 = splat(f[2]), s3 = splat(f[3]);
            double *ox = accx + (size_t)c * n, *oy = accy + (size_t)c * n;
            for (size_t j = 0; j < n8; j += 8) {
                size_t count = n - j;
                v8d px = sum4(s0 * ld(w0 + j, 8), s1 * ld(w1 + j, 8), s2 * ld(w2 + j, 8), s3 * ld(w3 + j, 8));
                v8d py = sum4(s0 * ld(e0 + j, 8), s1 * ld(e1 + j, 8), s2 * ld(e2 + j, 8), s3 * ld(e3 + j, 8));
                st(ox + j, ld(ox + j, count) + px, count);
                st(oy + j, ld(oy + j, count) + py, count);
            }
        }
    }
}

DIFF_INLINE int dot_f32(const void *x, const void *y, int dt, size_t rows, size_t n, const double *u, int k, double *scratch, double *outx,
                        double *outy, size_t outstride);

DIFF_INLINE void dot_body(const void *x, const void *y, int dt, size_t rows, size_t n, const double *u, int k, double *scratch,
                          double *outx, double *outy, size_t outstride) {
    if ((dt == STEER_F16 || dt == STEER_BF16) && small16(x, dt, rows * n) && small16(y, dt, rows * n) &&
        dot_f32(x, y, dt, rows, n, u, k, scratch, outx, outy, outstride))
        return;
    size_t n8 = (n + 7) & ~(size_t)7;
    double *w = scratch, *e = scratch + n8;
    for (size_t r = 0; r < rows; r++) {
        widen(x, y, dt, r, n, n8, w, e);
        int c = 0;
        // Four directions at a time (eight independent sums, each in the canonical order).
        for (; c + 4 <= k; c += 4) {
            const double *u0 = u + (size_t)c * n, *u1 = u0 + n, *u2 = u1 + n, *u3 = u2 + n;
            v8d x0 = splat(0), x1 = splat(0), x2 = splat(0), x3 = splat(0), y0 = splat(0), y1 = splat(0), y2 = splat(0), y3 = splat(0);
            for (size_t j = 0; j < n8; j += 8) {
                size_t count = n - j;
                v8d wv = ld(w + j, 8), ev = ld(e + j, 8);
                v8d v0 = ld(u0 + j, count), v1 = ld(u1 + j, count), v2 = ld(u2 + j, count), v3 = ld(u3 + j, count);
                x0 += wv * v0;
                y0 += ev * v0;
                x1 += wv * v1;
                y1 += ev * v1;
                x2 += wv * v2;
                y2 += ev * v2;
                x3 += wv * v3;
                y3 += ev * v3;
            }
            outx[(size_t)c * outstride + r] = fold(x0);
            outy[(size_t)c * outstride + r] = fold(y0);
            outx[(size_t)(c + 1) * outstride + r] = fold(x1);
            outy[(size_t)(c + 1) * outstride + r] = fold(y1);
            outx[(size_t)(c + 2) * outstride + r] = fold(x2);
            outy[(size_t)(c + 2) * outstride + r] = fold(y2);
            outx[(size_t)(c + 3) * outstride + r] = fold(x3);
            outy[(size_t)(c + 3) * outstride + r] = fold(y3);
        }
        for (; c < k; c++) {
            const double *uc = u + (size_t)c * n;
            v8d sx = splat(0), sy = splat(0);
            for (size_t j = 0; j < n8; j += 8) {
                v8d uv = ld(uc + j, n - j);
                sx += ld(w + j, 8) * uv;
                sy += ld(e + j, 8) * uv;
            }
            outx[(size_t)c * outstride + r] = fold(sx);
            outy[(size_t)c * outstride + r] = fold(sy);
        }
    }
}

/// d = s − clamp(s, L, U) of 8 elements, and the sums of the cost: f += q d², g += q d,
/// h += (d ≠ 0 ? q : 0).
DIFF_INLINE void bracket_terms(v8d sv, v8d l, v8d u, v8d qv, v8d *f, v8d *g, v8d *h) {
    v8d clamped = sel(sv < l, l, sel(sv > u, u, sv));
    v8d d = sv - clamped, qd = qv * d;
    *f += qd * d;
    *g += qd;
    *h += sel(d != splat(0), qv, splat(0));
}

/// The cost of s over one row's n8 elements in s-space: Σ q d², Σ q d and Σ_{d ≠ 0} q with
/// d = s − clamp(s, L, U) ([L, U]: the s that put w − s c inside [lo, hi]; q = c²), which is
/// Σ dist(w − s c, [lo, hi])², half its derivative and the curvature of the piece.
DIFF_INLINE void bracket_cost(const double *lower, const double *upper, const double *q, size_t n8, double s, double out[3]) {
    v8d f = splat(0), g = splat(0), h = splat(0), sv = splat(s);
    for (size_t j = 0; j < n8; j += 8) bracket_terms(sv, ld(lower + j, 8), ld(upper + j, 8), ld(q + j, 8), &f, &g, &h);
    out[0] = fold(f);
    out[1] = fold(g);
    out[2] = fold(h);
}

/// One row's s (see steer_diff_interval_rows). Each element puts w − s c inside its interval for
/// s in [L_j, U_j] (any s when c_j = 0; kept in lower, upper, with q = c² in q); with low = max L
/// and up = min U, the middle of [low, up] when it is not empty. Else the cost falls up to `up` and
/// rises from `low`: damped Newton steps from `start` moved into [up, low], the cost at `start`
/// summed in the first sweep.
DIFF_INLINE double interval_row(const double *w, const double *e, double *lower, double *upper, double *q, const double *c,
                                const double *rc, size_t n, size_t n8, int mbits, int minexp, double start) {
    const double inf = __builtin_inf();
    v8d lowest = splat(-inf), highest = splat(inf);
    v8d f = splat(0), g = splat(0), hh = splat(0), sv = splat(start);
    for (size_t j = 0; j < n8; j += 8) {
        v8d l, h;
        grid_interval(ld(e + j, 8), mbits, minexp, &l, &h);
        v8d wv = ld(w + j, 8), cv = ld(c + j, n - j), rv = ld(rc + j, n - j);
        v8d a = (wv - h) * rv, b = (wv - l) * rv, qv = cv * cv;
        v8l used = cv != splat(0);
        v8d small = sel(used, sel(a < b, a, b), splat(-inf)), large = sel(used, sel(a < b, b, a), splat(inf));
        st(lower + j, small, 8);
        st(upper + j, large, 8);
        st(q + j, qv, 8);
        lowest = sel(small > lowest, small, lowest);
        highest = sel(large < highest, large, highest);
        bracket_terms(sv, small, large, qv, &f, &g, &hh);
    }
    double low = lowest[0], up = highest[0];
    for (int k = 1; k < 8; k++) {
        low = fmaxd(low, lowest[k]);
        up = fmind(up, highest[k]);
    }
    if (low == -inf || up == inf) return start;  // no element depends on s
    if (low <= up) return (low + up) / 2;
    double t = start, current[3] = {fold(f), fold(g), fold(hh)}, next[3];
    if (t < up || t > low) {
        t = t < up ? up : low;
        bracket_cost(lower, upper, q, n8, t, current);
    }
    double step = current[2] > 0 ? -current[1] / current[2] : 0;
    for (int i = 0; i < 12 && step != 0 && current[1] != 0; i++) {
        // A step this small moves nothing the fit needs (and at the minimum it would only be halved).
        if ((step < 0 ? -step : step) <= 1e-10 * (t < 0 ? -t : t)) break;
        bracket_cost(lower, upper, q, n8, t + step, next);
        if (next[0] < current[0]) {
            t += step;
            memcpy(current, next, sizeof current);
            step = current[2] > 0 ? -current[1] / current[2] : 0;
        } else {
            step /= 2;
        }
    }
    return t;
}

// ---------------------------------------------------------------- the row fit of a 16-bit tensor, in Float32
//
// Every BF16 and F16 value, and each end of its rounding interval (the value ± a quarter or half
// of its step: at most 9 or 12 significant bits), is exact in Float32; the differences the fit
// takes of them are rounded once at most. The kernels take such a pair (values finite and below
// F32_LIMIT) on 16 lanes of Float32. In the row fit, c and 1 / c are rounded to Float32 (a relative
// 6e-8, far below the 4e-3 width of an interval in s-space), each cost is summed in Float32 over
// the row (a relative 1e-5 of Σ|terms| at most over 5632 values), and the Newton steps stop at
// 1e-6 |s| (what Float32 can still tell apart). Twice the lanes of Float64 and half the bytes a
// sweep reads.

typedef float v16f __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
typedef float v8f __attribute__((vector_size(32), aligned(4)));

DIFF_INLINE v16f splatf(float a) { return (v16f){a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a}; }
DIFF_INLINE v16i splati(int a) { return (v16i){a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a}; }
DIFF_INLINE v16f self(v16i mask, v16f a, v16f b) { return (v16f)(((v16i)a & mask) | ((v16i)b & ~mask)); }
/// 16 floats (the arrays are padded to a multiple of 16).
DIFF_INLINE v16f ldf(const float *p) {
    v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}
DIFF_INLINE void stf(float *p, v16f v) { memcpy(p, &v, sizeof v); }

typedef unsigned short v32u __attribute__((vector_size(64), aligned(2)));
typedef short v32s __attribute__((vector_size(64), aligned(2)));

/// The largest magnitude the Float32 bodies take: 2^40 (squares and the products of a row's sums
/// stay far inside Float32). A pair with a larger value, or a fit with a larger c, takes the
/// Float64 body.
#define F32_LIMIT 0x1p40

/// Rows of a 16-bit block summed 16 at a time in Float32 (then added to the Float64 sums).
#define F32_ROWS 16

/// Whether every one of `count` stored 16-bit values (BF16 or F16) is finite and below F32_LIMIT in
/// magnitude, from the exponent bits (F16's largest finite value is 65504: only its infinities and
/// NaNs fail; a BF16 value fails from 2^40 up, NaN and infinity included).
DIFF_INLINE int small16(const void *v, int dt, size_t count) {
    const unsigned short *u = (const unsigned short *)v;
    const unsigned short limit = dt == STEER_F16 ? (unsigned short)0x7C00 : (unsigned short)((127 + 40) << 7);
    v32s large = {0};
    size_t j = 0;
    for (; j + 32 <= count; j += 32) {
        v32u x;
        memcpy(&x, u + j, sizeof x);
        large |= (v32s)((x & (unsigned short)0x7FFF) >= limit);
    }
    int any = 0;
    for (int k = 0; k < 32; k++) any |= large[k] != 0;
    for (; j < count; j++) any |= (u[j] & 0x7FFF) >= limit;
    return !any;
}

/// Whether every c_j (n values) is 0 or of magnitude in [2^-60, F32_LIMIT) (NaN fails): then c_j²,
/// 1 / c_j and each [L_j, U_j] of the row fit are finite in Float32, and the values it leaves out
/// are those the Float64 body leaves out (c_j = 0).
DIFF_INLINE int small64(const double *c, size_t n) {
    for (size_t j = 0; j < n; j++) {
        double a = c[j] < 0 ? -c[j] : c[j];
        if (!(a == 0 || (a >= 0x1p-60 && a < F32_LIMIT))) return 0;
    }
    return 1;
}

/// Lanes 0–7 and 8–15 of 16 Float32 lanes, each widened to Float64.
DIFF_INLINE void halves(v16f v, v8d *lo, v8d *hi) {
    v8f l, h;
    memcpy(&l, &v, sizeof l);
    memcpy(&h, (const char *)&v + sizeof l, sizeof h);
    *lo = __builtin_convertvector(l, v8d);
    *hi = __builtin_convertvector(h, v8d);
}

/// The two halves of 16 Float32 lanes in Float64, added: lanes k and k + 8 together.
DIFF_INLINE v8d pairs(v16f v) {
    v8d lo, hi;
    halves(v, &lo, &hi);
    return lo + hi;
}

/// 16 Float32 lanes added to `count` (at most 16) Float64 values at p.
DIFF_INLINE void add16(double *p, v16f v, size_t count) {
    v8d lo, hi;
    halves(v, &lo, &hi);
    size_t first = count < 8 ? count : 8;
    st(p, ld(p, first) + lo, first);
    if (count > 8) st(p + 8, ld(p + 8, count - 8) + hi, count - 8);
}

typedef unsigned short v16hu __attribute__((vector_size(32), aligned(2)));
typedef unsigned int v16ui __attribute__((vector_size(64), aligned(4)));

/// `count` stored 16-bit values widened to Float32: BF16 by a shift here (a call per 128 values
/// would cost as much as the widening), F16 by steer_to_f32.
DIFF_INLINE void widen_f(const void *v, int dt, size_t count, float *out) {
    if (dt != STEER_BF16) {
        steer_to_f32(v, dt, count, out);
        return;
    }
    const unsigned short *u = (const unsigned short *)v;
    size_t j = 0;
    for (; j + 16 <= count; j += 16) {
        v16hu h;
        memcpy(&h, u + j, sizeof h);
        v16ui wide = __builtin_convertvector(h, v16ui) << 16;
        memcpy(out + j, &wide, sizeof wide);
    }
    for (; j < count; j++) {
        unsigned int bits = (unsigned int)u[j] << 16;
        memcpy(out + j, &bits, sizeof bits);
    }
}

/// Row r of x and y (rows of n 16-bit values) widened into w and e, zero from n to n16: the twin of `widen`.
DIFF_INLINE void widen_row_f(const void *x, const void *y, int dt, size_t r, size_t n, size_t n16, float *w, float *e) {
    widen_f((const char *)x + r * n * 2, dt, n, w);
    widen_f((const char *)y + r * n * 2, dt, n, e);
    for (size_t j = n; j < n16; j++) w[j] = e[j] = 0;
}

/// Columns j0 ..< j0 + nb of rows r0 ..< r0 + group of x and y widened into bw[k], be[k], zero from nb
/// to nb16, and the rows from group to F32_ROWS zero: a block of the Float32 sums over rows.
DIFF_INLINE void widen_block_f(const void *x, const void *y, int dt, size_t n, size_t r0, size_t group, size_t j0, size_t nb, size_t nb16,
                               float bw[F32_ROWS][STATS_BLOCK], float be[F32_ROWS][STATS_BLOCK]) {
    for (size_t k = 0; k < F32_ROWS; k++) {
        size_t filled = 0;
        if (k < group) {
            widen_f((const char *)x + ((r0 + k) * n + j0) * 2, dt, nb, bw[k]);
            widen_f((const char *)y + ((r0 + k) * n + j0) * 2, dt, nb, be[k]);
            filled = nb;
        }
        for (size_t j = filled; j < nb16; j++) bw[k][j] = be[k][j] = 0;
    }
}

/// The canonical fold of 16 Float32 lanes, in Float64: lane k + 8 added to lane k, then `fold`.
DIFF_INLINE double foldf(v16f v) { return fold(pairs(v)); }

/// [lo, hi] of 16 stored values widened to Float32 (as `grid_interval`): the step
/// 2^(max(e, minexp) − mbits) built from the bits (a Float32 subnormal below 2^-126, as BF16's
/// smallest steps are), half of it each way, a quarter below a power of two above minexp.
DIFF_INLINE v16f grid_step_f(v16f v, int mbits, int minexp, v16i *pow2) {
    v16i bits = (v16i)v;
    v16i exponent = ((bits >> 23) & splati(0xFF)) - splati(127);
    v16i above = exponent > splati(minexp);
    v16i clamped = (exponent & above) | (splati(minexp) & ~above);
    v16i biased = clamped - splati(mbits) + splati(127);
    v16i normal = biased > splati(0);
    v16i shift = biased + splati(22);
    shift = shift & (shift > splati(0));
    *pow2 = ((bits & splati(0x007FFFFF)) == splati(0)) & above;
    return (v16f)(((biased & normal) << 23) | ((splati(1) << shift) & ~normal));
}

DIFF_INLINE void grid_interval_f(v16f v, int mbits, int minexp, v16f *lo, v16f *hi) {
    v16i pow2;
    v16f step = grid_step_f(v, mbits, minexp, &pow2);
    v16f up = step * splatf(0.5f);
    v16f down = self(pow2, up * splatf(0.5f), up);
    v16i positive = v >= splatf(0);
    *lo = v - self(positive, down, up);
    *hi = v + self(positive, up, down);
}

/// `bracket_terms` on 16 Float32 lanes.
DIFF_INLINE void bracket_terms_f(v16f sv, v16f l, v16f u, v16f qv, v16f *f, v16f *g, v16f *h) {
    v16f clamped = self(sv < l, l, self(sv > u, u, sv));
    v16f d = sv - clamped, qd = qv * d;
    *f += qd * d;
    *g += qd;
    *h += self(d != splatf(0), qv, splatf(0));
}

/// `bracket_cost` on Float32 arrays of n16 values.
DIFF_INLINE void bracket_cost_f(const float *lower, const float *upper, const float *q, size_t n16, float s, double out[3]) {
    v16f f = splatf(0), g = splatf(0), h = splatf(0), sv = splatf(s);
    for (size_t j = 0; j < n16; j += 16) bracket_terms_f(sv, ldf(lower + j), ldf(upper + j), ldf(q + j), &f, &g, &h);
    out[0] = foldf(f);
    out[1] = foldf(g);
    out[2] = foldf(h);
}

/// `interval_row` in Float32 (w, e: n16 values, zero past n; rc = 1 / c, NaN where c = 0 or 1 / c is
/// not finite in Float32, and past n; q = c², 0 there): such a value, and one whose [L, U] is not
/// finite, is out of the fit ([L, U] = [−inf, inf], as for c = 0 in Float64).
DIFF_INLINE double interval_row_f(const float *w, const float *e, float *lower, float *upper, const float *q, const float *rc, size_t n16,
                                  int mbits, int minexp, double start) {
    const float inf = __builtin_inff();
    v16f lowest = splatf(-inf), highest = splatf(inf);
    v16f f = splatf(0), g = splatf(0), hh = splatf(0), sv = splatf((float)start);
    for (size_t j = 0; j < n16; j += 16) {
        v16f l, h;
        grid_interval_f(ldf(e + j), mbits, minexp, &l, &h);
        v16f wv = ldf(w + j), rv = ldf(rc + j);
        v16f a = (wv - h) * rv, b = (wv - l) * rv;
        v16i used = (a - a == splatf(0)) & (b - b == splatf(0));
        v16f small = self(used, self(a < b, a, b), splatf(-inf)), large = self(used, self(a < b, b, a), splatf(inf));
        stf(lower + j, small);
        stf(upper + j, large);
        lowest = self(small > lowest, small, lowest);
        highest = self(large < highest, large, highest);
        bracket_terms_f(sv, small, large, ldf(q + j), &f, &g, &hh);
    }
    float low = lowest[0], up = highest[0];
    for (int k = 1; k < 16; k++) {
        low = low > lowest[k] ? low : lowest[k];
        up = up < highest[k] ? up : highest[k];
    }
    if (low == -inf || up == inf) return start;  // no element depends on s
    if (low <= up) return ((double)low + (double)up) / 2;
    double t = (float)start, current[3] = {foldf(f), foldf(g), foldf(hh)}, next[3];
    if (t < up || t > low) {
        t = t < up ? up : low;
        bracket_cost_f(lower, upper, q, n16, (float)t, current);
    }
    double step = current[2] > 0 ? -current[1] / current[2] : 0;
    for (int i = 0; i < 12 && step != 0 && current[1] != 0; i++) {
        // Below 1e-6 |s| Float32 cannot tell the points apart (and the fit needs no more).
        if ((step < 0 ? -step : step) <= 1e-6 * (t < 0 ? -t : t)) break;
        float trial = (float)(t + step);
        bracket_cost_f(lower, upper, q, n16, trial, next);
        if (next[0] < current[0]) {
            t = trial;
            memcpy(current, next, sizeof current);
            step = current[2] > 0 ? -current[1] / current[2] : 0;
        } else {
            step /= 2;
        }
    }
    return t;
}

/// interval_rows_body for BF16 and F16: rows widened to Float32, c and 1 / c rounded to Float32
/// once per call; the folds 16 rows at a time in Float32, added to the Float64 sums.
DIFF_INLINE void interval_rows_f32(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, const double *c,
                                   const double *rc, double *scratch, double *s, double *foldx, double *foldd) {
    size_t n16 = (n + 15) & ~(size_t)15, span = n16 + 16;
    float *base = (float *)scratch;
    float *w = base, *e = base + span, *lower = base + 2 * span, *upper = base + 3 * span, *q = base + 4 * span;
    float *rcf = base + 5 * span;
    for (size_t j = 0; j < n16; j++) {
        float cj = j < n ? (float)c[j] : 0, rj = j < n ? (float)rc[j] : 0;
        int used = cj != 0 && rj - rj == 0;
        rcf[j] = used ? rj : __builtin_nanf("");
        q[j] = used ? cj * cj : 0;
    }
    for (size_t r = 0; r < rows; r++) {
        widen_row_f(x, y, dt, r, n, n16, w, e);
        s[r] = interval_row_f(w, e, lower, upper, q, rcf, n16, mbits, minexp, s[r]);
    }
    if (!foldx || !foldd) return;
    // The folds, once every s of the chunk is known: by blocks of STATS_BLOCK columns, 16 rows at a
    // time in Float32 (s rounded to Float32), added to the Float64 sums.
    float bw[F32_ROWS][STATS_BLOCK], be[F32_ROWS][STATS_BLOCK];
    for (size_t j0 = 0; j0 < n; j0 += STATS_BLOCK) {
        size_t nb = n - j0 < STATS_BLOCK ? n - j0 : STATS_BLOCK, nb16 = (nb + 15) & ~(size_t)15;
        for (size_t r0 = 0; r0 < rows; r0 += F32_ROWS) {
            size_t group = rows - r0 < F32_ROWS ? rows - r0 : F32_ROWS;
            float f[F32_ROWS];
            for (size_t k = 0; k < group; k++) f[k] = (float)s[r0 + k];
            widen_block_f(x, y, dt, n, r0, group, j0, nb, nb16, bw, be);
            for (size_t j = 0; j < nb16; j += 16) {
                size_t count = nb - j < 16 ? nb - j : 16;
                v16f sx = splatf(0), sd = splatf(0);
                for (size_t k = 0; k < group; k++) {
                    v16f fk = splatf(f[k]), a = ldf(bw[k] + j);
                    sx += fk * a;
                    sd += fk * (ldf(be[k] + j) - a);
                }
                add16(foldx + j0 + j, sx, count);
                add16(foldd + j0 + j, sd, count);
            }
        }
    }
}

/// stats_body for BF16 and F16 (every value below F32_LIMIT): rows widened to Float32. A row's
/// norms are summed in Float32 over 256 values at a time, those sums in Float64; step² in Float64;
/// the sketch's dot products in Float32 (the sketch only has to be the same numbers wherever it is
/// used: AᵀY and ΔAᵀY take each row's value as computed); the element-wise sums over rows 16 rows
/// at a time in Float32 (each row's sketch value or coefficient rounded to Float32), added to the
/// Float64 sums. Scratch: (2 + p) (n16 + 16) floats with omega, else 2 (n16 + 16).
DIFF_INLINE void stats_f32(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, double *scratch,
                           double head[5], double *rowstats, size_t rowstride, double *columns, const double *omega, int p,
                           int known, double *sketch, size_t sketchstride, const double *coef, double *yacc, double *sketchx,
                           double *sketchd, size_t accstride) {
    size_t n16 = (n + 15) & ~(size_t)15, span = n16 + 16;
    float *w = (float *)scratch, *e = w + span, *om = e + span;
    const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    if (sketch)
        for (int c = 0; c < p; c++)
            for (size_t j = 0; j < n16; j++) om[(size_t)c * span + j] = j < n ? (float)omega[(size_t)c * n + j] : 0;
    for (size_t r = 0; r < rows; r++) {
        widen_row_f(x, y, dt, r, n, n16, w, e);
        v8d b2 = splat(0), xy = splat(0), e2 = splat(0), dd = splat(0), f2 = splat(0), same = splat(0);
        for (size_t j0 = 0; j0 < n16; j0 += 256) {
            size_t end = j0 + 256 < n16 ? j0 + 256 : n16;
            v16f sb = splatf(0), sx = splatf(0), se = splatf(0), sd = splatf(0), ss = splatf(0);
            for (size_t j = j0; j < end; j += 16) {
                v16f wv = ldf(w + j), ev = ldf(e + j), dv = ev - wv;
                v16i valid = (lane + splati((int)j)) < splati((int)n);
                v16i pow2;
                v16f step = self(valid, grid_step_f(ev, mbits, minexp, &pow2), splatf(0));
                v8d l8, h8;
                halves(step, &l8, &h8);
                f2 += l8 * l8 + h8 * h8;
                sb += wv * wv;
                sx += wv * ev;
                se += ev * ev;
                sd += dv * dv;
                ss += self(valid & (ev == wv), splatf(1), splatf(0));
            }
            b2 += pairs(sb);
            xy += pairs(sx);
            e2 += pairs(se);
            dd += pairs(sd);
            same += pairs(ss);
        }
        row_totals(head, rowstats, rowstride, r, b2, xy, e2, dd, f2, same);
        if (sketch) {
            int c = 0;
            for (; c + 4 <= p; c += 4) {
                const float *o0 = om + (size_t)c * span, *o1 = o0 + span, *o2 = o1 + span, *o3 = o2 + span;
                v16f a0 = splatf(0), a1 = splatf(0), a2 = splatf(0), a3 = splatf(0);
                for (size_t j = 0; j < n16; j += 16) {
                    v16f dv = ldf(e + j) - ldf(w + j);
                    a0 += dv * ldf(o0 + j);
                    a1 += dv * ldf(o1 + j);
                    a2 += dv * ldf(o2 + j);
                    a3 += dv * ldf(o3 + j);
                }
                sketch[(size_t)c * sketchstride + r] = foldf(a0);
                sketch[(size_t)(c + 1) * sketchstride + r] = foldf(a1);
                sketch[(size_t)(c + 2) * sketchstride + r] = foldf(a2);
                sketch[(size_t)(c + 3) * sketchstride + r] = foldf(a3);
            }
            for (; c < p; c++) {
                v16f a = splatf(0);
                for (size_t j = 0; j < n16; j += 16) a += (ldf(e + j) - ldf(w + j)) * ldf(om + (size_t)c * span + j);
                sketch[(size_t)c * sketchstride + r] = foldf(a);
            }
        }
    }
    if (!columns && !yacc && !(sketch && sketchx && sketchd)) return;
    // A block of 16 rows × STATS_BLOCK columns of each side, and the difference.
    float bw[F32_ROWS][STATS_BLOCK], be[F32_ROWS][STATS_BLOCK], bd[F32_ROWS][STATS_BLOCK];
    for (size_t j0 = 0; j0 < n; j0 += STATS_BLOCK) {
        size_t nb = n - j0 < STATS_BLOCK ? n - j0 : STATS_BLOCK, nb16 = (nb + 15) & ~(size_t)15;
        for (size_t r0 = 0; r0 < rows; r0 += F32_ROWS) {
            size_t group = rows - r0 < F32_ROWS ? rows - r0 : F32_ROWS;
            widen_block_f(x, y, dt, n, r0, group, j0, nb, nb16, bw, be);
            for (size_t k = 0; k < F32_ROWS; k++)
                for (size_t j = 0; j < nb16; j += 16) stf(bd[k] + j, ldf(be[k] + j) - ldf(bw[k] + j));
            if (columns) {
                for (size_t j = 0; j < nb16; j += 16) {
                    size_t count = nb - j < 16 ? nb - j : 16;
                    v16f s0 = splatf(0), s1 = splatf(0), s2 = splatf(0);
                    for (size_t k = 0; k < F32_ROWS; k++) {
                        v16f a = ldf(bw[k] + j), b = ldf(be[k] + j);
                        s0 += a * a;
                        s1 += a * b;
                        s2 += b * b;
                    }
                    add16(columns + j0 + j, s0, count);
                    add16(columns + n + j0 + j, s1, count);
                    add16(columns + 2 * n + j0 + j, s2, count);
                }
            }
            if (sketch && sketchx && sketchd) {
                for (int c = 0; c < p + known; c++) {
                    float f[F32_ROWS];
                    for (size_t k = 0; k < F32_ROWS; k++) f[k] = k < group ? (float)sketch[(size_t)c * sketchstride + r0 + k] : 0;
                    double *ox = sketchx + (size_t)c * accstride + j0, *od = sketchd + (size_t)c * accstride + j0;
                    for (size_t j = 0; j < nb16; j += 16) {
                        size_t count = nb - j < 16 ? nb - j : 16;
                        v16f sx = splatf(0), sd = splatf(0);
                        for (size_t k = 0; k < F32_ROWS; k++) {
                            v16f fk = splatf(f[k]);
                            sx += fk * ldf(bw[k] + j);
                            sd += fk * ldf(bd[k] + j);
                        }
                        add16(ox + j, sx, count);
                        add16(od + j, sd, count);
                    }
                }
            }
            if (yacc) {
                for (int c = 0; c < p; c++) {
                    float f[F32_ROWS];
                    for (size_t k = 0; k < F32_ROWS; k++) f[k] = k < group ? (float)coef[(r0 + k) * (size_t)p + c] : 0;
                    double *out = yacc + (size_t)c * accstride + j0;
                    for (size_t j = 0; j < nb16; j += 16) {
                        size_t count = nb - j < 16 ? nb - j : 16;
                        v16f sy = splatf(0);
                        for (size_t k = 0; k < F32_ROWS; k++) sy += splatf(f[k]) * ldf(bd[k] + j);
                        add16(out + j, sy, count);
                    }
                }
            }
        }
    }
}

/// dot_body for BF16 and F16 (values below F32_LIMIT) when the scratch (8 n8 + 64 doubles) holds
/// the rows and a Float32 copy of the k directions: per row, w·u_c and (w' − w)·u_c in Float32
/// (u rounded to Float32), outy = the first plus the second in Float64 (so outy − outx keeps the
/// difference's own precision). Returns 0 (nothing done) when the copy does not fit.
DIFF_INLINE int dot_f32(const void *x, const void *y, int dt, size_t rows, size_t n, const double *u, int k, double *scratch, double *outx,
                        double *outy, size_t outstride) {
    size_t n8 = (n + 7) & ~(size_t)7, n16 = (n + 15) & ~(size_t)15, span = n16 + 16;
    if ((2 + (size_t)k) * span > 2 * (8 * n8 + 64)) return 0;
    float *w = (float *)scratch, *e = w + span, *uf = e + span;
    for (int c = 0; c < k; c++)
        for (size_t j = 0; j < n16; j++) uf[(size_t)c * span + j] = j < n ? (float)u[(size_t)c * n + j] : 0;
    for (size_t r = 0; r < rows; r++) {
        widen_row_f(x, y, dt, r, n, n16, w, e);
        int c = 0;
        for (; c + 4 <= k; c += 4) {
            const float *u0 = uf + (size_t)c * span, *u1 = u0 + span, *u2 = u1 + span, *u3 = u2 + span;
            v16f x0 = splatf(0), x1 = splatf(0), x2 = splatf(0), x3 = splatf(0), d0 = splatf(0), d1 = splatf(0), d2 = splatf(0), d3 = splatf(0);
            for (size_t j = 0; j < n16; j += 16) {
                v16f wv = ldf(w + j), dv = ldf(e + j) - wv;
                v16f v0 = ldf(u0 + j), v1 = ldf(u1 + j), v2 = ldf(u2 + j), v3 = ldf(u3 + j);
                x0 += wv * v0;
                d0 += dv * v0;
                x1 += wv * v1;
                d1 += dv * v1;
                x2 += wv * v2;
                d2 += dv * v2;
                x3 += wv * v3;
                d3 += dv * v3;
            }
            double xs[4] = {foldf(x0), foldf(x1), foldf(x2), foldf(x3)}, ds[4] = {foldf(d0), foldf(d1), foldf(d2), foldf(d3)};
            for (int i = 0; i < 4; i++) {
                outx[(size_t)(c + i) * outstride + r] = xs[i];
                outy[(size_t)(c + i) * outstride + r] = xs[i] + ds[i];
            }
        }
        for (; c < k; c++) {
            const float *uc = uf + (size_t)c * span;
            v16f sx = splatf(0), sd = splatf(0);
            for (size_t j = 0; j < n16; j += 16) {
                v16f wv = ldf(w + j), uv = ldf(uc + j);
                sx += wv * uv;
                sd += (ldf(e + j) - wv) * uv;
            }
            double xs = foldf(sx);
            outx[(size_t)c * outstride + r] = xs;
            outy[(size_t)c * outstride + r] = xs + foldf(sd);
        }
    }
    return 1;
}

/// [lo, hi] of n values widened from BF16 or F16 (steer_diff_grid_f32).
DIFF_INLINE void grid_f32_body(const float *v, size_t n, int mbits, int minexp, float *lo, float *hi) {
    for (size_t j = 0; j < n; j += 16) {
        size_t count = n - j < 16 ? n - j : 16;
        float t[16] = {0}, l16[16], h16[16];
        for (size_t k = 0; k < count; k++) t[k] = v[j + k];
        v16f l, h;
        grid_interval_f(ldf(t), mbits, minexp, &l, &h);
        stf(l16, l);
        stf(h16, h);
        for (size_t k = 0; k < count; k++) {
            lo[j + k] = l16[k];
            hi[j + k] = h16[k];
        }
    }
}

DIFF_INLINE void interval_rows_body(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp,
                                    const double *c, const double *rc, double *scratch, double *s, double *foldx, double *foldd) {
    if ((dt == STEER_F16 || dt == STEER_BF16) && small16(x, dt, rows * n) && small16(y, dt, rows * n) && small64(c, n)) {
        interval_rows_f32(x, y, dt, rows, n, mbits, minexp, c, rc, scratch, s, foldx, foldd);
        return;
    }
    size_t n8 = (n + 7) & ~(size_t)7;
    // A line apart beyond n8 each (at n8 a multiple of 4 KB, such as 5632 doubles, all four would share cache sets).
    double *w = scratch, *e = scratch + n8 + 8, *lower = scratch + 2 * (n8 + 8), *upper = scratch + 3 * (n8 + 8);
    double *q = scratch + 4 * (n8 + 8);
    for (size_t r = 0; r < rows; r++) {
        widen(x, y, dt, r, n, n8, w, e);
        s[r] = interval_row(w, e, lower, upper, q, c, rc, n, n8, mbits, minexp, s[r]);
        if (foldx && foldd) {
            v8d sv = splat(s[r]);
            for (size_t j = 0; j < n8; j += 8) {
                size_t count = n - j;
                v8d wv = ld(w + j, 8);
                st(foldx + j, ld(foldx + j, count) + sv * wv, count);
                st(foldd + j, ld(foldd + j, count) + sv * (ld(e + j, 8) - wv), count);
            }
        }
    }
}

DIFF_INLINE void interval_columns_body(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp,
                                       const double *u, const double *s, double *scratch, double *acc) {
    size_t n8 = (n + 7) & ~(size_t)7;
    double *w = scratch, *e = scratch + n8;
    for (size_t r = 0; r < rows; r++) {
        widen(x, y, dt, r, n, n8, w, e);
        v8d acc8 = splat(0);
        for (size_t j = 0; j < n8; j += 8) acc8 += ld(w + j, 8) * ld(u + j, n - j);
        double cr = fold(acc8);
        v8d cv = splat(cr), c2 = splat(cr * cr);
        for (size_t j = 0; j < n8; j += 8) {
            size_t count = n - j;
            v8d lo, hi;
            grid_interval(ld(e + j, 8), mbits, minexp, &lo, &hi);
            v8d rv = miss(ld(w + j, 8) - ld(s + j, count) * cv, lo, hi);
            st(acc + j, ld(acc + j, count) + rv * rv, count);
            st(acc + n + j, ld(acc + n + j, count) - cv * rv, count);
            st(acc + 2 * n + j, ld(acc + 2 * n + j, count) + sel(rv != splat(0), c2, splat(0)), count);
        }
    }
}

DIFF_INLINE void interval_lambda_body(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp,
                                      const double *u, double lambda, double *scratch, double out[3]) {
    size_t n8 = (n + 7) & ~(size_t)7;
    double *w = scratch, *e = scratch + n8;
    v8d lv = splat(lambda);
    for (size_t r = 0; r < rows; r++) {
        widen(x, y, dt, r, n, n8, w, e);
        v8d acc8 = splat(0);
        for (size_t j = 0; j < n8; j += 8) acc8 += ld(w + j, 8) * ld(u + j, n - j);
        v8d cv = splat(fold(acc8));
        v8d f = splat(0), g = splat(0), h = splat(0);
        for (size_t j = 0; j < n8; j += 8) {
            v8d lo, hi;
            grid_interval(ld(e + j, 8), mbits, minexp, &lo, &hi);
            v8d q = cv * ld(u + j, n - j);
            v8d rv = miss(ld(w + j, 8) - lv * q, lo, hi);
            f += rv * rv;
            g -= q * rv;
            h += sel(rv != splat(0), q * q, splat(0));
        }
        out[0] += fold(f);
        out[1] += fold(g);
        out[2] += fold(h);
    }
}

// ---------------------------------------------------------------- paths and entry points

#define DIFF_PATHS(NAME, PARAMS, ARGS)                                                                               \
    static void p_##NAME PARAMS { NAME##_body ARGS; }                                                                \
    DIFF_X86(__attribute__((target("avx2"))) static void a2_##NAME PARAMS { NAME##_body ARGS; })                     \
    DIFF_X86(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2"))) static void a5_##NAME PARAMS { NAME##_body ARGS; })

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define DIFF_X86(...) __VA_ARGS__
#define DIFF_DISPATCH(NAME, ARGS)                                     \
    switch (steer_kernels_resolve(path)) {                          \
    case STEER_KERNEL_AVX512: a5_##NAME ARGS; break;                \
    case STEER_KERNEL_AVX2: a2_##NAME ARGS; break;                  \
    default: p_##NAME ARGS; break;                                  \
    }
#else
#define DIFF_X86(...)
#define DIFF_DISPATCH(NAME, ARGS) p_##NAME ARGS;
#endif

#define STATS_LIST const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, double *scratch, double head[5], \
     double *rowstats, size_t rowstride, double *columns, const double *omega, int p, int known, double *sketch, size_t sketchstride, \
     const double *coef, double *yacc, double *sketchx, double *sketchd, size_t accstride
#define STATS_PARAMS (STATS_LIST)
#define STATS_ARGS (x, y, dt, rows, n, mbits, minexp, scratch, head, rowstats, rowstride, columns, omega, p, known, sketch, sketchstride, coef, yacc, sketchx, sketchd, accstride)
DIFF_PATHS(stats, STATS_PARAMS, STATS_ARGS)
void steer_diff_stats(int path, STATS_LIST) { DIFF_DISPATCH(stats, STATS_ARGS) }

#define AXPY_LIST const void *x, const void *y, int dt, size_t rows, size_t n, const double *a, int k, double *scratch, double *accx, double *accy
#define AXPY_PARAMS (AXPY_LIST)
#define AXPY_ARGS (x, y, dt, rows, n, a, k, scratch, accx, accy)
DIFF_PATHS(axpy, AXPY_PARAMS, AXPY_ARGS)
void steer_diff_axpy_rows(int path, AXPY_LIST) { DIFF_DISPATCH(axpy, AXPY_ARGS) }

#define DOT_LIST const void *x, const void *y, int dt, size_t rows, size_t n, const double *u, int k, double *scratch, double *outx, double *outy, size_t outstride
#define DOT_PARAMS (DOT_LIST)
#define DOT_ARGS (x, y, dt, rows, n, u, k, scratch, outx, outy, outstride)
DIFF_PATHS(dot, DOT_PARAMS, DOT_ARGS)
void steer_diff_dot_rows(int path, DOT_LIST) { DIFF_DISPATCH(dot, DOT_ARGS) }

#define ROWS_LIST const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, const double *c, const double *rc, double *scratch, double *s, double *foldx, double *foldd
#define ROWS_PARAMS (ROWS_LIST)
#define ROWS_ARGS (x, y, dt, rows, n, mbits, minexp, c, rc, scratch, s, foldx, foldd)
DIFF_PATHS(interval_rows, ROWS_PARAMS, ROWS_ARGS)
void steer_diff_interval_rows(int path, ROWS_LIST) { DIFF_DISPATCH(interval_rows, ROWS_ARGS) }

#define COLUMNS_LIST const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, const double *u, const double *s, double *scratch, double *acc
#define COLUMNS_PARAMS (COLUMNS_LIST)
#define COLUMNS_ARGS (x, y, dt, rows, n, mbits, minexp, u, s, scratch, acc)
DIFF_PATHS(interval_columns, COLUMNS_PARAMS, COLUMNS_ARGS)
void steer_diff_interval_columns(int path, COLUMNS_LIST) { DIFF_DISPATCH(interval_columns, COLUMNS_ARGS) }

#define LAMBDA_LIST const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, const double *u, double lambda, double *scratch, double out[3]
#define LAMBDA_PARAMS (LAMBDA_LIST)
#define LAMBDA_ARGS (x, y, dt, rows, n, mbits, minexp, u, lambda, scratch, out)
DIFF_PATHS(interval_lambda, LAMBDA_PARAMS, LAMBDA_ARGS)
void steer_diff_interval_lambda(int path, LAMBDA_LIST) { DIFF_DISPATCH(interval_lambda, LAMBDA_ARGS) }

#define GRID_LIST const float *v, size_t n, int mbits, int minexp, float *lo, float *hi
#define GRID_PARAMS (GRID_LIST)
#define GRID_ARGS (v, n, mbits, minexp, lo, hi)
DIFF_PATHS(grid_f32, GRID_PARAMS, GRID_ARGS)
void steer_diff_grid_f32(int path, GRID_LIST) { DIFF_DISPATCH(grid_f32, GRID_ARGS) }

int steer_diff_float32_range(const void *v, int dtype, size_t count) { return small16(v, dtype, count); }

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

// Element-wise sums over rows go four rows at a time (rows past the end are zero rows):
// acc[j] += (a0 v0[j] + a1 v1[j]) + (a2 v2[j] + a3 v3[j]).
DIFF_INLINE v8d sum4(v8d a0, v8d a1, v8d a2, v8d a3) { return (a0 + a1) + (a2 + a3); }

/// Columns per block of the element-wise sums of steer_diff_stats.
#define STATS_BLOCK 128

DIFF_INLINE void stats_body(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp, double *scratch,
                            double head[5], double *rowstats, size_t rowstride, double *columns, const double *omega, int p,
                            double *sketch, size_t sketchstride, const double *coef, double *yacc, double *sketchx,
                            double *sketchd, size_t accstride) {
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
                for (int c = 0; c < p; c += 64) {
                    int width = p - c < 64 ? p - c : 64;
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

DIFF_INLINE void dot_body(const void *x, const void *y, int dt, size_t rows, size_t n, const double *u, int k, double *scratch,
                          double *outx, double *outy, size_t outstride) {
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

DIFF_INLINE void interval_rows_body(const void *x, const void *y, int dt, size_t rows, size_t n, int mbits, int minexp,
                                    const double *c, const double *rc, double *scratch, double *s, double *foldx, double *foldd) {
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
     double *rowstats, size_t rowstride, double *columns, const double *omega, int p, double *sketch, size_t sketchstride, \
     const double *coef, double *yacc, double *sketchx, double *sketchd, size_t accstride
#define STATS_PARAMS (STATS_LIST)
#define STATS_ARGS (x, y, dt, rows, n, mbits, minexp, scratch, head, rowstats, rowstride, columns, omega, p, sketch, sketchstride, coef, yacc, sketchx, sketchd, accstride)
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

#include "steer_kernels.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// No a * b + c contracted into a fused multiply-add, in any path: the portable code
// must give the same bits as the vector code on every machine (see the header).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define STEER_INLINE inline __attribute__((always_inline))

// ---------------------------------------------------------------- scalar element conversions

static STEER_INLINE uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static STEER_INLINE float f32_from(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static STEER_INLINE uint64_t f64_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static inline float half_to_float(uint16_t h) {
    // Exact for every half: normals, subnormals, zeros, infinities, NaN (payload kept).
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t magnitude = (uint32_t)(h & 0x7FFF) << 13;
    uint32_t exponent = magnitude & 0x0F800000u;
    uint32_t bits = magnitude + 0x38000000u;              // rebias 15 -> 127
    if (exponent == 0x0F800000u) {
        bits += 0x38000000u;                              // Inf / NaN
    } else if (exponent == 0) {
        // zero / subnormal: renormalise
        bits = f32_bits(f32_from(bits + 0x00800000u) - f32_from(0x38800000u));
    }
    return f32_from(bits | sign);
}

static STEER_INLINE float bf16_to_float(uint16_t h) { return f32_from((uint32_t)h << 16); }

/// m / 2^s rounded to nearest, ties to even (1 <= s <= 63).
static STEER_INLINE uint64_t shift_rne(uint64_t m, int s) {
    uint64_t q = m >> s, rem = m & ((1ull << s) - 1), half = 1ull << (s - 1);
    return q + (rem > half || (rem == half && (q & 1)));
}

static inline uint16_t float_to_half(float f) {
    uint32_t b = f32_bits(f), a = b & 0x7FFFFFFFu;
    uint16_t sign = (uint16_t)((b >> 16) & 0x8000);
    if (a > 0x7F800000u) return sign | 0x7E00 | (uint16_t)((a >> 13) & 0x3FF);   // NaN: quiet, top payload
    if (a >= 0x477FF000u) return sign | 0x7C00;                                   // |f| >= 65520: infinity
    if (a >= 0x38800000u) return sign | (uint16_t)shift_rne(a - 0x38000000u, 13); // normal (>= 2^-14)
    if (a <= 0x33000000u) return sign;                                            // <= 2^-25: zero
    int e = (int)(a >> 23);                                                        // subnormal
    return sign | (uint16_t)shift_rne((a & 0x7FFFFFu) | 0x800000u, 126 - e);
}

static STEER_INLINE uint16_t float_to_bf16(float f) {
    uint32_t b = f32_bits(f);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((b >> 16) | 0x40);  // NaN: quiet, top payload
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1)) >> 16);
}

static STEER_INLINE float double_to_float(double d) {
    if (d != d) {  // spelled out so that every compiler and CPU agrees: quiet, top payload
        uint64_t b = f64_bits(d);
        return f32_from((uint32_t)((b >> 32) & 0x80000000u) | 0x7FC00000u | (uint32_t)((b >> 29) & 0x3FFFFFu));
    }
    return (float)d;
}

static inline uint16_t double_to_half(double d) {
    uint64_t b = f64_bits(d), a = b & 0x7FFFFFFFFFFFFFFFull;
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    if (a > 0x7FF0000000000000ull) return sign | 0x7E00 | (uint16_t)((a >> 42) & 0x3FF);
    if (a >= 0x40EFFE0000000000ull) return sign | 0x7C00;                                      // >= 65520
    if (a >= 0x3F10000000000000ull) return sign | (uint16_t)shift_rne(a - 0x3F00000000000000ull, 42);  // >= 2^-14
    if (a <= 0x3E60000000000000ull) return sign;                                               // <= 2^-25
    int e = (int)(a >> 52);
    return sign | (uint16_t)shift_rne((a & 0xFFFFFFFFFFFFFull) | (1ull << 52), 1051 - e);
}

static inline uint16_t double_to_bf16(double d) {
    uint64_t b = f64_bits(d), a = b & 0x7FFFFFFFFFFFFFFFull;
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    if (a > 0x7FF0000000000000ull) return sign | 0x7FC0 | (uint16_t)((a >> 45) & 0x7F);
    if (a >= 0x47EFF00000000000ull) return sign | 0x7F80;                                      // >= 2^128 - 2^119
    if (a >= 0x3810000000000000ull) return sign | (uint16_t)shift_rne(a - 0x3800000000000000ull, 45);  // >= 2^-126
    if (a <= 0x3790000000000000ull) return sign;                                               // <= 2^-134
    int e = (int)(a >> 52);
    return sign | (uint16_t)shift_rne((a & 0xFFFFFFFFFFFFFull) | (1ull << 52), 942 - e);
}

static STEER_INLINE double load1(const void *x, int dtype, size_t i) {
    switch (dtype) {
    case STEER_F32: { float f; memcpy(&f, (const char *)x + 4 * i, 4); return f; }
    case STEER_F64: { double d; memcpy(&d, (const char *)x + 8 * i, 8); return d; }
    case STEER_F16: { uint16_t h; memcpy(&h, (const char *)x + 2 * i, 2); return half_to_float(h); }
    default: { uint16_t h; memcpy(&h, (const char *)x + 2 * i, 2); return bf16_to_float(h); }
    }
}

/// The canonical horizontal reduction of 16 lanes (see the header).
static double reduce16(const double lane[16]) {
    double s8[8], s4[4];
    for (int k = 0; k < 8; k++) s8[k] = lane[k] + lane[k + 8];
    for (int k = 0; k < 4; k++) s4[k] = s8[k] + s8[k + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

// Scalar tails, shared by every path: element-wise, or continuing the lanes of a reduction
// (i starts at a multiple of 16, so lane i % 16 is lane i - start).
static STEER_INLINE void tail_accumulate(const void *x, int dt, size_t i, size_t n, double *acc) {
    for (; i < n; i++) acc[i] += load1(x, dt, i);
}
static STEER_INLINE void tail_accumulate4(const void *a, const void *b, const void *c, const void *d, int dt, size_t i, size_t n, double *acc) {
    for (; i < n; i++) acc[i] += (load1(a, dt, i) + load1(b, dt, i)) + (load1(c, dt, i) + load1(d, dt, i));
}
static STEER_INLINE void tail_axpy(const void *x, int dt, size_t i, size_t n, double alpha, double *acc) {
    for (; i < n; i++) acc[i] += alpha * load1(x, dt, i);
}
static STEER_INLINE void tail_dot(const void *x, int dt, size_t i, size_t n, const double *v, double lane[16]) {
    for (size_t k = 0; i < n; i++, k++) lane[k] += load1(x, dt, i) * v[i];
}
static STEER_INLINE void tail_dot2(const void *x, int dt, size_t i, size_t n, const double *u, const double *v,
                                   double a[16], double b[16], double c[16]) {
    for (size_t k = 0; i < n; i++, k++) {
        double h = load1(x, dt, i);
        a[k] += h * u[i]; b[k] += h * v[i]; c[k] += h * h;
    }
}
static STEER_INLINE void tail_to_f64(const void *x, int dt, size_t i, size_t n, double *out) {
    for (; i < n; i++) out[i] = load1(x, dt, i);
}
static STEER_INLINE void tail_to_f32(const void *x, int dt, size_t i, size_t n, float *out) {
    const unsigned char *p = (const unsigned char *)x;
    for (; i < n; i++) {
        uint16_t h;
        switch (dt) {
        case STEER_F32: memcpy(out + i, p + 4 * i, 4); break;
        case STEER_F64: { double d; memcpy(&d, p + 8 * i, 8); out[i] = double_to_float(d); break; }
        case STEER_F16: memcpy(&h, p + 2 * i, 2); out[i] = half_to_float(h); break;
        default: memcpy(&h, p + 2 * i, 2); out[i] = bf16_to_float(h); break;
        }
    }
}
static STEER_INLINE size_t tail_nonfinite(const void *x, int dt, size_t i, size_t n) {
    const unsigned char *p = (const unsigned char *)x;
    size_t count = 0;
    for (; i < n; i++) {
        switch (dt) {
        case STEER_F32: { uint32_t b; memcpy(&b, p + 4 * i, 4); count += (b & 0x7F800000u) == 0x7F800000u; break; }
        case STEER_F64: { uint64_t b; memcpy(&b, p + 8 * i, 8); count += (b & 0x7FF0000000000000ull) == 0x7FF0000000000000ull; break; }
        case STEER_F16: { uint16_t b; memcpy(&b, p + 2 * i, 2); count += (b & 0x7C00u) == 0x7C00u; break; }
        default: { uint16_t b; memcpy(&b, p + 2 * i, 2); count += (b & 0x7F80u) == 0x7F80u; break; }
        }
    }
    return count;
}
static STEER_INLINE void tail_from_f64(const double *x, size_t i, size_t n, int dt, void *out) {
    for (; i < n; i++) {
        switch (dt) {
        case STEER_F32: ((float *)out)[i] = double_to_float(x[i]); break;
        case STEER_F16: ((uint16_t *)out)[i] = double_to_half(x[i]); break;
        default: ((uint16_t *)out)[i] = double_to_bf16(x[i]); break;
        }
    }
}
static STEER_INLINE void tail_from_f32(const float *x, size_t i, size_t n, int dt, void *out) {
    for (; i < n; i++) {
        switch (dt) {
        case STEER_F16: ((uint16_t *)out)[i] = float_to_half(x[i]); break;
        default: ((uint16_t *)out)[i] = float_to_bf16(x[i]); break;
        }
    }
}

// ---------------------------------------------------------------- portable versions

// One copy per dtype (dt is a constant in each), so the switch in load1 folds away.
#define STEER_PER_DTYPE(CALL_F32, CALL_F64, CALL_F16, CALL_BF16, dtype) \
    switch (dtype) {                                                    \
    case STEER_F32: CALL_F32; break;                                    \
    case STEER_F64: CALL_F64; break;                                    \
    case STEER_F16: CALL_F16; break;                                    \
    default: CALL_BF16; break;                                          \
    }
#define STEER_EACH(EXPR_OF_DT, dtype) \
    STEER_PER_DTYPE(EXPR_OF_DT(STEER_F32), EXPR_OF_DT(STEER_F64), EXPR_OF_DT(STEER_F16), EXPR_OF_DT(STEER_BF16), dtype)

static void p_accumulate(const void *x, int dtype, size_t n, double *acc) {
#define X(DT) tail_accumulate(x, DT, 0, n, acc)
    STEER_EACH(X, dtype)
#undef X
}

static void p_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
#define X(DT) tail_accumulate4(a, b, c, d, DT, 0, n, acc)
    STEER_EACH(X, dtype)
#undef X
}

static void p_axpy(const void *x, int dtype, size_t n, double alpha, double *acc) {
#define X(DT) tail_axpy(x, DT, 0, n, alpha, acc)
    STEER_EACH(X, dtype)
#undef X
}

static STEER_INLINE double p_dot_t(const void *x, int dt, size_t n, const double *v) {
    double lane[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) lane[k] += load1(x, dt, i + k) * v[i + k];
    tail_dot(x, dt, i, n, v, lane);
    return reduce16(lane);
}

static double p_dot(const void *x, int dtype, size_t n, const double *v) {
    double r;
#define X(DT) r = p_dot_t(x, DT, n, v)
    STEER_EACH(X, dtype)
#undef X
    return r;
}

static STEER_INLINE void p_dot2_norm_t(const void *x, int dt, size_t n, const double *u, const double *v, double out[3]) {
    double a[16] = {0}, b[16] = {0}, c[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) {
            double h = load1(x, dt, i + k);
            a[k] += h * u[i + k]; b[k] += h * v[i + k]; c[k] += h * h;
        }
    tail_dot2(x, dt, i, n, u, v, a, b, c);
    out[0] = reduce16(a); out[1] = reduce16(b); out[2] = reduce16(c);
}

static void p_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
#define X(DT) p_dot2_norm_t(x, DT, n, u, v, out)
    STEER_EACH(X, dtype)
#undef X
}

static void p_to_f64(const void *x, int dtype, size_t n, double *out) {
#define X(DT) tail_to_f64(x, DT, 0, n, out)
    STEER_EACH(X, dtype)
#undef X
}

static void p_to_f32(const void *x, int dtype, size_t n, float *out) {
#define X(DT) tail_to_f32(x, DT, 0, n, out)
    STEER_EACH(X, dtype)
#undef X
}

static size_t p_nonfinite(const void *x, int dtype, size_t n) {
    size_t r;
#define X(DT) r = tail_nonfinite(x, DT, 0, n)
    STEER_EACH(X, dtype)
#undef X
    return r;
}

static void p_from_f64(const double *x, size_t n, int dtype, void *out) {
    switch (dtype) {
    case STEER_F32: tail_from_f64(x, 0, n, STEER_F32, out); break;
    case STEER_F16: tail_from_f64(x, 0, n, STEER_F16, out); break;
    default: tail_from_f64(x, 0, n, STEER_BF16, out); break;
    }
}

static void p_from_f32(const float *x, size_t n, int dtype, void *out) {
    switch (dtype) {
    case STEER_F16: tail_from_f32(x, 0, n, STEER_F16, out); break;
    default: tail_from_f32(x, 0, n, STEER_BF16, out); break;
    }
}

// ---------------------------------------------------------------- x86 vector versions

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define STEER_X86 1
#include <immintrin.h>

// ------------------------------------------------ AVX2 + F16C (8 elements a step, 16 per reduction step)
#define STEER_AVX2 __attribute__((target("avx2,f16c,popcnt")))

STEER_AVX2 static STEER_INLINE __m256 a2_load8f(const void *x, int dt, size_t i) {
    switch (dt) {
    case STEER_F32: return _mm256_loadu_ps((const float *)x + i);
    case STEER_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)x + i)));
    default: {
        __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)x + i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    }
}

/// Elements i..i+7 as doubles: i..i+3 in *lo, i+4..i+7 in *hi.
STEER_AVX2 static STEER_INLINE void a2_load8(const void *x, int dt, size_t i, __m256d *lo, __m256d *hi) {
    if (dt == STEER_F64) {
        *lo = _mm256_loadu_pd((const double *)x + i);
        *hi = _mm256_loadu_pd((const double *)x + i + 4);
        return;
    }
    __m256 v = a2_load8f(x, dt, i);
    *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}

STEER_AVX2 static STEER_INLINE void a2_accumulate_t(const void *x, int dt, size_t n, double *acc) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d lo, hi;
        a2_load8(x, dt, i, &lo, &hi);
        _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), lo));
        _mm256_storeu_pd(acc + i + 4, _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), hi));
    }
    tail_accumulate(x, dt, i, n, acc);
}

STEER_AVX2 static void a2_accumulate(const void *x, int dtype, size_t n, double *acc) {
#define X(DT) a2_accumulate_t(x, DT, n, acc)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX2 static STEER_INLINE void a2_accumulate4_t(const void *a, const void *b, const void *c, const void *d, int dt,
                                                     size_t n, double *acc) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d al, ah, bl, bh, cl, ch, dl, dh;
        a2_load8(a, dt, i, &al, &ah); a2_load8(b, dt, i, &bl, &bh);
        a2_load8(c, dt, i, &cl, &ch); a2_load8(d, dt, i, &dl, &dh);
        __m256d lo = _mm256_add_pd(_mm256_add_pd(al, bl), _mm256_add_pd(cl, dl));
        __m256d hi = _mm256_add_pd(_mm256_add_pd(ah, bh), _mm256_add_pd(ch, dh));
        _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), lo));
        _mm256_storeu_pd(acc + i + 4, _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), hi));
    }
    tail_accumulate4(a, b, c, d, dt, i, n, acc);
}

STEER_AVX2 static void a2_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
#define X(DT) a2_accumulate4_t(a, b, c, d, DT, n, acc)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX2 static STEER_INLINE void a2_axpy_t(const void *x, int dt, size_t n, double alpha, double *acc) {
    __m256d s = _mm256_set1_pd(alpha);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d lo, hi;
        a2_load8(x, dt, i, &lo, &hi);
        _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_mul_pd(s, lo)));
        _mm256_storeu_pd(acc + i + 4, _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), _mm256_mul_pd(s, hi)));
    }
    tail_axpy(x, dt, i, n, alpha, acc);
}

STEER_AVX2 static void a2_axpy(const void *x, int dtype, size_t n, double alpha, double *acc) {
#define X(DT) a2_axpy_t(x, DT, n, alpha, acc)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX2 static STEER_INLINE double a2_dot_t(const void *x, int dt, size_t n, const double *v) {
    // Lanes 0-3, 4-7, 8-11, 12-15 of the canonical order.
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256d x0, x1, x2, x3;
        a2_load8(x, dt, i, &x0, &x1);
        a2_load8(x, dt, i + 8, &x2, &x3);
        s0 = _mm256_add_pd(s0, _mm256_mul_pd(x0, _mm256_loadu_pd(v + i)));
        s1 = _mm256_add_pd(s1, _mm256_mul_pd(x1, _mm256_loadu_pd(v + i + 4)));
        s2 = _mm256_add_pd(s2, _mm256_mul_pd(x2, _mm256_loadu_pd(v + i + 8)));
        s3 = _mm256_add_pd(s3, _mm256_mul_pd(x3, _mm256_loadu_pd(v + i + 12)));
    }
    double lane[16];
    _mm256_storeu_pd(lane, s0); _mm256_storeu_pd(lane + 4, s1); _mm256_storeu_pd(lane + 8, s2); _mm256_storeu_pd(lane + 12, s3);
    tail_dot(x, dt, i, n, v, lane);
    return reduce16(lane);
}

STEER_AVX2 static double a2_dot(const void *x, int dtype, size_t n, const double *v) {
    double r;
#define X(DT) r = a2_dot_t(x, DT, n, v)
    STEER_EACH(X, dtype)
#undef X
    return r;
}

STEER_AVX2 static STEER_INLINE void a2_dot2_norm_t(const void *x, int dt, size_t n, const double *u, const double *v, double out[3]) {
    __m256d a[4], b[4], c[4];
    for (int k = 0; k < 4; k++) a[k] = b[k] = c[k] = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256d h[4];
        a2_load8(x, dt, i, &h[0], &h[1]);
        a2_load8(x, dt, i + 8, &h[2], &h[3]);
        for (int k = 0; k < 4; k++) {
            a[k] = _mm256_add_pd(a[k], _mm256_mul_pd(h[k], _mm256_loadu_pd(u + i + 4 * k)));
            b[k] = _mm256_add_pd(b[k], _mm256_mul_pd(h[k], _mm256_loadu_pd(v + i + 4 * k)));
            c[k] = _mm256_add_pd(c[k], _mm256_mul_pd(h[k], h[k]));
        }
    }
    double la[16], lb[16], lc[16];
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_pd(la + 4 * k, a[k]); _mm256_storeu_pd(lb + 4 * k, b[k]); _mm256_storeu_pd(lc + 4 * k, c[k]);
    }
    tail_dot2(x, dt, i, n, u, v, la, lb, lc);
    out[0] = reduce16(la); out[1] = reduce16(lb); out[2] = reduce16(lc);
}

STEER_AVX2 static void a2_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
#define X(DT) a2_dot2_norm_t(x, DT, n, u, v, out)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX2 static STEER_INLINE void a2_to_f64_t(const void *x, int dt, size_t n, double *out) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d lo, hi;
        a2_load8(x, dt, i, &lo, &hi);
        _mm256_storeu_pd(out + i, lo);
        _mm256_storeu_pd(out + i + 4, hi);
    }
    tail_to_f64(x, dt, i, n, out);
}

STEER_AVX2 static void a2_to_f64(const void *x, int dtype, size_t n, double *out) {
    switch (dtype) {
    case STEER_F64: if (n) memcpy(out, x, n * 8); break;
    case STEER_F32: a2_to_f64_t(x, STEER_F32, n, out); break;
    case STEER_F16: a2_to_f64_t(x, STEER_F16, n, out); break;
    default: a2_to_f64_t(x, STEER_BF16, n, out); break;
    }
}

/// 8 doubles -> 8 floats rounded to odd (truncated, then the last bit set when inexact): a
/// second rounding of that float to fewer than 23 bits is then the correct single rounding.
/// NaNs come out quiet with the top of their payload.
STEER_AVX2 static STEER_INLINE __m256i a2_round_odd8(const double *x) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFll));
    __m256d x0 = _mm256_loadu_pd(x), x1 = _mm256_loadu_pd(x + 4);
    __m128 r0 = _mm256_cvtpd_ps(x0), r1 = _mm256_cvtpd_ps(x1);  // nearest even
    __m256d b0 = _mm256_cvtps_pd(r0), b1 = _mm256_cvtps_pd(r1);
    // Inexact (false for NaN), and rounded away from zero.
    __m256d ne0 = _mm256_cmp_pd(b0, x0, _CMP_NEQ_OQ), ne1 = _mm256_cmp_pd(b1, x1, _CMP_NEQ_OQ);
    __m256d up0 = _mm256_cmp_pd(_mm256_and_pd(b0, magnitude), _mm256_and_pd(x0, magnitude), _CMP_GT_OQ);
    __m256d up1 = _mm256_cmp_pd(_mm256_and_pd(b1, magnitude), _mm256_and_pd(x1, magnitude), _CMP_GT_OQ);
    // 64-bit masks to 32-bit lanes, in element order.
    __m256i ne = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(_mm256_castpd_ps(ne0), _mm256_castpd_ps(ne1), 0x88)), 0xD8);
    __m256i up = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(_mm256_castpd_ps(up0), _mm256_castpd_ps(up1), 0x88)), 0xD8);
    __m256i bits = _mm256_castps_si256(_mm256_set_m128(r1, r0));
    bits = _mm256_add_epi32(bits, up);  // one step toward zero: the truncated value
    return _mm256_or_si256(bits, _mm256_and_si256(ne, _mm256_set1_epi32(1)));
}

/// float32 bits -> bfloat16 (nearest even; NaN quiet with the top of its payload), in 32-bit lanes.
STEER_AVX2 static STEER_INLINE __m256i a2_bf16_round(__m256i b) {
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(r, quiet, nan);
}

STEER_AVX2 static STEER_INLINE __m128i a2_pack16(__m256i r) {
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

STEER_AVX2 static void a2_from_f64(const double *x, size_t n, int dtype, void *out) {
    size_t i = 0;
    switch (dtype) {
    case STEER_F32:
        for (; i + 8 <= n; i += 8) {
            _mm_storeu_ps((float *)out + i, _mm256_cvtpd_ps(_mm256_loadu_pd(x + i)));
            _mm_storeu_ps((float *)out + i + 4, _mm256_cvtpd_ps(_mm256_loadu_pd(x + i + 4)));
        }
        tail_from_f64(x, i, n, STEER_F32, out);
        break;
    case STEER_F16:
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)((uint16_t *)out + i), _mm256_cvtps_ph(_mm256_castsi256_ps(a2_round_odd8(x + i)), _MM_FROUND_TO_NEAREST_INT));
        tail_from_f64(x, i, n, STEER_F16, out);
        break;
    default:
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)((uint16_t *)out + i), a2_pack16(a2_bf16_round(a2_round_odd8(x + i))));
        tail_from_f64(x, i, n, STEER_BF16, out);
        break;
    }
}

STEER_AVX2 static void a2_from_f32(const float *x, size_t n, int dtype, void *out) {
    size_t i = 0;
    if (dtype == STEER_F16) {
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)((uint16_t *)out + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
        tail_from_f32(x, i, n, STEER_F16, out);
    } else {
        for (; i + 16 <= n; i += 16) {
            __m256i r0 = a2_bf16_round(_mm256_loadu_si256((const __m256i *)(x + i)));
            __m256i r1 = a2_bf16_round(_mm256_loadu_si256((const __m256i *)(x + i + 8)));
            _mm256_storeu_si256((__m256i *)((uint16_t *)out + i), _mm256_permute4x64_epi64(_mm256_packus_epi32(r0, r1), 0xD8));
        }
        tail_from_f32(x, i, n, STEER_BF16, out);
    }
}

STEER_AVX2 static void a2_to_f32(const void *x, int dtype, size_t n, float *out) {
    size_t i = 0;
    switch (dtype) {
    case STEER_F32: if (n) memcpy(out, x, n * 4); return;
    case STEER_F64: for (; i + 8 <= n; i += 8) {
            _mm_storeu_ps(out + i, _mm256_cvtpd_ps(_mm256_loadu_pd((const double *)x + i)));
            _mm_storeu_ps(out + i + 4, _mm256_cvtpd_ps(_mm256_loadu_pd((const double *)x + i + 4)));
        }
        break;
    case STEER_F16: for (; i + 8 <= n; i += 8) {
            // F16C makes signalling NaNs quiet; put their quiet bit back (exact widening).
            __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)x + i));
            __m256 f = _mm256_cvtph_ps(h);
            __m256i bits = _mm256_castps_si256(f);
            __m256i q = _mm256_slli_epi32(_mm256_and_si256(_mm256_cvtepu16_epi32(h), _mm256_set1_epi32(0x200)), 13);
            __m256i fixed = _mm256_or_si256(_mm256_andnot_si256(_mm256_set1_epi32(0x400000), bits), q);
            bits = _mm256_blendv_epi8(bits, fixed, _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q)));
            _mm256_storeu_si256((__m256i *)(out + i), bits);
        }
        break;
    default: for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, a2_load8f(x, STEER_BF16, i)); break;
    }
    tail_to_f32(x, dtype, i, n, out);
}

STEER_AVX2 static size_t a2_nonfinite(const void *x, int dtype, size_t n) {
    size_t i = 0, count = 0;
    switch (dtype) {
    case STEER_F32: {
        const __m256i e = _mm256_set1_epi32(0x7F800000);
        for (; i + 8 <= n; i += 8) {
            __m256i b = _mm256_loadu_si256((const __m256i *)((const float *)x + i));
            count += (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(b, e), e))));
        }
        break;
    }
    case STEER_F64: {
        const __m256i e = _mm256_set1_epi64x(0x7FF0000000000000ll);
        for (; i + 4 <= n; i += 4) {
            __m256i b = _mm256_loadu_si256((const __m256i *)((const double *)x + i));
            count += (size_t)__builtin_popcount((unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(b, e), e))));
        }
        break;
    }
    default: {
        const __m256i e = _mm256_set1_epi16(dtype == STEER_F16 ? 0x7C00 : 0x7F80);
        for (; i + 16 <= n; i += 16) {
            __m256i b = _mm256_loadu_si256((const __m256i *)((const uint16_t *)x + i));
            count += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_and_si256(b, e), e))) / 2;
        }
        break;
    }
    }
    return count + tail_nonfinite(x, dtype, i, n);
}

// ------------------------------------------------ AVX-512 F/BW/VL/DQ (16 elements a step)
#define STEER_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,f16c,popcnt")))

STEER_AVX512 static STEER_INLINE __m512 a5_load16f(const void *x, int dt, size_t i) {
    switch (dt) {
    case STEER_F32: return _mm512_loadu_ps((const float *)x + i);
    case STEER_F16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)x + i)));
    default: {
        __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)x + i)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
    }
}

/// Elements i..i+15 as doubles: i..i+7 in *lo, i+8..i+15 in *hi.
STEER_AVX512 static STEER_INLINE void a5_load16(const void *x, int dt, size_t i, __m512d *lo, __m512d *hi) {
    if (dt == STEER_F64) {
        *lo = _mm512_loadu_pd((const double *)x + i);
        *hi = _mm512_loadu_pd((const double *)x + i + 8);
        return;
    }
    __m512 v = a5_load16f(x, dt, i);
    *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    *hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
}

// Half types without vcvtps2pd, which limits the loops below on current cores. A 16-bit
// value h moved to the top of a 64-bit lane and shifted right arithmetically (by 3 for
// bfloat16, 6 for float16) then masked to keep one sign bit is the double h * 2^-896
// (bfloat16) or h * 2^-1008 (float16), exactly: subnormal halves become subnormal doubles,
// zeros stay zeros. Infinities and NaNs do not (they come out finite), so blocks holding
// one go through the conversion instructions instead. Sums of such scaled values round
// exactly as the unscaled sums do: every half is a multiple of 2^-133 (2^-24 for float16),
// so a scaled sum in the subnormal range is exact, and above it rounding is relative.
// Scaling back by 2^896 (2^1008) is exact too, so the results are the same bits.
#define STEER_PLACE_SELECT 0x88888888u  // the top word of each 64-bit lane

STEER_AVX512 static STEER_INLINE __m512i a5_place_index(int quarter) {
    // Word 4k+3 of the result takes word 8 * quarter + k of the source.
    return _mm512_set_epi16(8 * quarter + 7, 0, 0, 0, 8 * quarter + 6, 0, 0, 0, 8 * quarter + 5, 0, 0, 0, 8 * quarter + 4, 0, 0, 0,
                            8 * quarter + 3, 0, 0, 0, 8 * quarter + 2, 0, 0, 0, 8 * quarter + 1, 0, 0, 0, 8 * quarter, 0, 0, 0);
}

/// Elements 8 * quarter .. 8 * quarter + 7 of 32 halves in v, as scaled doubles (see above).
STEER_AVX512 static STEER_INLINE __m512d a5_place(__m512i v, __m512i index, int dt) {
    __m512i t = _mm512_maskz_permutexvar_epi16(STEER_PLACE_SELECT, index, v);
    if (dt == STEER_BF16)
        return _mm512_castsi512_pd(_mm512_and_si512(_mm512_srai_epi64(t, 3), _mm512_set1_epi64((long long)0x8FFFFFFFFFFFFFFFull)));
    return _mm512_castsi512_pd(_mm512_and_si512(_mm512_srai_epi64(t, 6), _mm512_set1_epi64((long long)0x81FFFFFFFFFFFFFFull)));
}

STEER_AVX512 static STEER_INLINE __m512d a5_unscale(int dt) { return _mm512_set1_pd(dt == STEER_BF16 ? 0x1p896 : 0x1p1008); }

/// Whether any of the 32 halves in a, b, c, d is infinite or NaN: (~x & exponent) is 0 just for those.
STEER_AVX512 static STEER_INLINE int a5_any_special4(__m512i a, __m512i b, __m512i c, __m512i d, int dt) {
    const __m512i e = _mm512_set1_epi16(dt == STEER_BF16 ? 0x7F80 : 0x7C00);
    __m512i m = _mm512_min_epu16(_mm512_min_epu16(_mm512_andnot_si512(a, e), _mm512_andnot_si512(b, e)),
                                 _mm512_min_epu16(_mm512_andnot_si512(c, e), _mm512_andnot_si512(d, e)));
    return _mm512_testn_epi16_mask(m, m) != 0;
}

STEER_AVX512 static STEER_INLINE void a5_accumulate16(const void *x, int dt, size_t i, double *acc) {
    __m512d lo, hi;
    a5_load16(x, dt, i, &lo, &hi);
    _mm512_storeu_pd(acc + i, _mm512_add_pd(_mm512_loadu_pd(acc + i), lo));
    _mm512_storeu_pd(acc + i + 8, _mm512_add_pd(_mm512_loadu_pd(acc + i + 8), hi));
}

STEER_AVX512 static STEER_INLINE void a5_accumulate_t(const void *x, int dt, size_t n, double *acc) {
    size_t i = 0;
    if (dt == STEER_F16 || dt == STEER_BF16) {
        const uint16_t *p = (const uint16_t *)x;
        const __m512d unscale = a5_unscale(dt);
        for (; i + 32 <= n; i += 32) {
            __m512i v = _mm512_loadu_si512(p + i);
            if (a5_any_special4(v, v, v, v, dt)) {
                a5_accumulate16(x, dt, i, acc);
                a5_accumulate16(x, dt, i + 16, acc);
                continue;
            }
            for (int q = 0; q < 4; q++) {
                __m512d h = _mm512_mul_pd(a5_place(v, a5_place_index(q), dt), unscale);
                _mm512_storeu_pd(acc + i + 8 * q, _mm512_add_pd(_mm512_loadu_pd(acc + i + 8 * q), h));
            }
        }
    }
    for (; i + 16 <= n; i += 16) a5_accumulate16(x, dt, i, acc);
    tail_accumulate(x, dt, i, n, acc);
}

STEER_AVX512 static void a5_accumulate(const void *x, int dtype, size_t n, double *acc) {
#define X(DT) a5_accumulate_t(x, DT, n, acc)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX512 static STEER_INLINE void a5_accumulate4_16(const void *a, const void *b, const void *c, const void *d, int dt,
                                                        size_t i, double *acc) {
    __m512d al, ah, bl, bh, cl, ch, dl, dh;
    a5_load16(a, dt, i, &al, &ah); a5_load16(b, dt, i, &bl, &bh);
    a5_load16(c, dt, i, &cl, &ch); a5_load16(d, dt, i, &dl, &dh);
    __m512d lo = _mm512_add_pd(_mm512_add_pd(al, bl), _mm512_add_pd(cl, dl));
    __m512d hi = _mm512_add_pd(_mm512_add_pd(ah, bh), _mm512_add_pd(ch, dh));
    _mm512_storeu_pd(acc + i, _mm512_add_pd(_mm512_loadu_pd(acc + i), lo));
    _mm512_storeu_pd(acc + i + 8, _mm512_add_pd(_mm512_loadu_pd(acc + i + 8), hi));
}

STEER_AVX512 static STEER_INLINE void a5_accumulate4_t(const void *a, const void *b, const void *c, const void *d, int dt,
                                                       size_t n, double *acc) {
    size_t i = 0;
    if (dt == STEER_F16 || dt == STEER_BF16) {
        const uint16_t *pa = (const uint16_t *)a, *pb = (const uint16_t *)b, *pc = (const uint16_t *)c, *pd = (const uint16_t *)d;
        const __m512d unscale = a5_unscale(dt);
        for (; i + 32 <= n; i += 32) {
            __m512i va = _mm512_loadu_si512(pa + i), vb = _mm512_loadu_si512(pb + i);
            __m512i vc = _mm512_loadu_si512(pc + i), vd = _mm512_loadu_si512(pd + i);
            if (a5_any_special4(va, vb, vc, vd, dt)) {
                a5_accumulate4_16(a, b, c, d, dt, i, acc);
                a5_accumulate4_16(a, b, c, d, dt, i + 16, acc);
                continue;
            }
            for (int q = 0; q < 4; q++) {
                __m512i index = a5_place_index(q);
                __m512d ab = _mm512_add_pd(a5_place(va, index, dt), a5_place(vb, index, dt));
                __m512d cd = _mm512_add_pd(a5_place(vc, index, dt), a5_place(vd, index, dt));
                __m512d sum = _mm512_mul_pd(_mm512_add_pd(ab, cd), unscale);
                _mm512_storeu_pd(acc + i + 8 * q, _mm512_add_pd(_mm512_loadu_pd(acc + i + 8 * q), sum));
            }
        }
    }
    for (; i + 16 <= n; i += 16) a5_accumulate4_16(a, b, c, d, dt, i, acc);
    tail_accumulate4(a, b, c, d, dt, i, n, acc);
}

STEER_AVX512 static void a5_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
#define X(DT) a5_accumulate4_t(a, b, c, d, DT, n, acc)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX512 static STEER_INLINE void a5_axpy_t(const void *x, int dt, size_t n, double alpha, double *acc) {
    __m512d s = _mm512_set1_pd(alpha);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512d lo, hi;
        a5_load16(x, dt, i, &lo, &hi);
        _mm512_storeu_pd(acc + i, _mm512_add_pd(_mm512_loadu_pd(acc + i), _mm512_mul_pd(s, lo)));
        _mm512_storeu_pd(acc + i + 8, _mm512_add_pd(_mm512_loadu_pd(acc + i + 8), _mm512_mul_pd(s, hi)));
    }
    tail_axpy(x, dt, i, n, alpha, acc);
}

STEER_AVX512 static void a5_axpy(const void *x, int dtype, size_t n, double alpha, double *acc) {
#define X(DT) a5_axpy_t(x, DT, n, alpha, acc)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX512 static STEER_INLINE double a5_dot_t(const void *x, int dt, size_t n, const double *v) {
    // Lanes 0-7 and 8-15 of the canonical order.
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512d x0, x1;
        a5_load16(x, dt, i, &x0, &x1);
        s0 = _mm512_add_pd(s0, _mm512_mul_pd(x0, _mm512_loadu_pd(v + i)));
        s1 = _mm512_add_pd(s1, _mm512_mul_pd(x1, _mm512_loadu_pd(v + i + 8)));
    }
    double lane[16];
    _mm512_storeu_pd(lane, s0); _mm512_storeu_pd(lane + 8, s1);
    tail_dot(x, dt, i, n, v, lane);
    return reduce16(lane);
}

STEER_AVX512 static double a5_dot(const void *x, int dtype, size_t n, const double *v) {
    double r;
#define X(DT) r = a5_dot_t(x, DT, n, v)
    STEER_EACH(X, dtype)
#undef X
    return r;
}

STEER_AVX512 static STEER_INLINE void a5_dot2_norm_t(const void *x, int dt, size_t n, const double *u, const double *v, double out[3]) {
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512d h0, h1;
        a5_load16(x, dt, i, &h0, &h1);
        a0 = _mm512_add_pd(a0, _mm512_mul_pd(h0, _mm512_loadu_pd(u + i)));
        a1 = _mm512_add_pd(a1, _mm512_mul_pd(h1, _mm512_loadu_pd(u + i + 8)));
        b0 = _mm512_add_pd(b0, _mm512_mul_pd(h0, _mm512_loadu_pd(v + i)));
        b1 = _mm512_add_pd(b1, _mm512_mul_pd(h1, _mm512_loadu_pd(v + i + 8)));
        c0 = _mm512_add_pd(c0, _mm512_mul_pd(h0, h0));
        c1 = _mm512_add_pd(c1, _mm512_mul_pd(h1, h1));
    }
    double la[16], lb[16], lc[16];
    _mm512_storeu_pd(la, a0); _mm512_storeu_pd(la + 8, a1);
    _mm512_storeu_pd(lb, b0); _mm512_storeu_pd(lb + 8, b1);
    _mm512_storeu_pd(lc, c0); _mm512_storeu_pd(lc + 8, c1);
    tail_dot2(x, dt, i, n, u, v, la, lb, lc);
    out[0] = reduce16(la); out[1] = reduce16(lb); out[2] = reduce16(lc);
}

STEER_AVX512 static void a5_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
#define X(DT) a5_dot2_norm_t(x, DT, n, u, v, out)
    STEER_EACH(X, dtype)
#undef X
}

STEER_AVX512 static STEER_INLINE void a5_to_f64_t(const void *x, int dt, size_t n, double *out) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512d lo, hi;
        a5_load16(x, dt, i, &lo, &hi);
        _mm512_storeu_pd(out + i, lo);
        _mm512_storeu_pd(out + i + 8, hi);
    }
    tail_to_f64(x, dt, i, n, out);
}

STEER_AVX512 static void a5_to_f64(const void *x, int dtype, size_t n, double *out) {
    switch (dtype) {
    case STEER_F64: if (n) memcpy(out, x, n * 8); break;
    case STEER_F32: a5_to_f64_t(x, STEER_F32, n, out); break;
    case STEER_F16: a5_to_f64_t(x, STEER_F16, n, out); break;
    default: a5_to_f64_t(x, STEER_BF16, n, out); break;
    }
}

/// 16 doubles -> 16 floats rounded to odd (see a2_round_odd8).
STEER_AVX512 static STEER_INLINE __m512i a5_round_odd16(const double *x) {
    __m512d x0 = _mm512_loadu_pd(x), x1 = _mm512_loadu_pd(x + 8);
    __m256 t0 = _mm512_cvt_roundpd_ps(x0, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 t1 = _mm512_cvt_roundpd_ps(x1, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __mmask8 m0 = _mm512_cmp_pd_mask(_mm512_cvtps_pd(t0), x0, _CMP_NEQ_OQ);  // inexact, never for NaN
    __mmask8 m1 = _mm512_cmp_pd_mask(_mm512_cvtps_pd(t1), x1, _CMP_NEQ_OQ);
    __m512i t = _mm512_castps_si512(_mm512_insertf32x8(_mm512_castps256_ps512(t0), t1, 1));
    return _mm512_mask_or_epi32(t, (__mmask16)(m0 | ((unsigned)m1 << 8)), t, _mm512_set1_epi32(1));
}

STEER_AVX512 static STEER_INLINE __m256i a5_bf16_round(__m512i b) {
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(b, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(r);
}

STEER_AVX512 static void a5_from_f64(const double *x, size_t n, int dtype, void *out) {
    size_t i = 0;
    switch (dtype) {
    case STEER_F32:
        for (; i + 16 <= n; i += 16) {
            _mm256_storeu_ps((float *)out + i, _mm512_cvtpd_ps(_mm512_loadu_pd(x + i)));
            _mm256_storeu_ps((float *)out + i + 8, _mm512_cvtpd_ps(_mm512_loadu_pd(x + i + 8)));
        }
        tail_from_f64(x, i, n, STEER_F32, out);
        break;
    case STEER_F16:
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)((uint16_t *)out + i),
                                _mm512_cvtps_ph(_mm512_castsi512_ps(a5_round_odd16(x + i)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        tail_from_f64(x, i, n, STEER_F16, out);
        break;
    default:
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)((uint16_t *)out + i), a5_bf16_round(a5_round_odd16(x + i)));
        tail_from_f64(x, i, n, STEER_BF16, out);
        break;
    }
}

STEER_AVX512 static void a5_from_f32(const float *x, size_t n, int dtype, void *out) {
    size_t i = 0;
    if (dtype == STEER_F16) {
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)((uint16_t *)out + i), _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        tail_from_f32(x, i, n, STEER_F16, out);
    } else {
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)((uint16_t *)out + i), a5_bf16_round(_mm512_loadu_si512(x + i)));
        tail_from_f32(x, i, n, STEER_BF16, out);
    }
}

STEER_AVX512 static void a5_to_f32(const void *x, int dtype, size_t n, float *out) {
    size_t i = 0;
    switch (dtype) {
    case STEER_F32: if (n) memcpy(out, x, n * 4); return;
    case STEER_F64: for (; i + 16 <= n; i += 16) {
            _mm256_storeu_ps(out + i, _mm512_cvtpd_ps(_mm512_loadu_pd((const double *)x + i)));
            _mm256_storeu_ps(out + i + 8, _mm512_cvtpd_ps(_mm512_loadu_pd((const double *)x + i + 8)));
        }
        break;
    case STEER_F16: for (; i + 16 <= n; i += 16) {
            // Signalling NaNs were made quiet by the conversion: put their quiet bit back.
            __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)x + i));
            __m512 f = _mm512_cvtph_ps(h);
            __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
            __m512i q = _mm512_slli_epi32(_mm512_and_si512(_mm512_cvtepu16_epi32(h), _mm512_set1_epi32(0x200)), 13);
            __m512i bits = _mm512_castps_si512(f);
            bits = _mm512_mask_or_epi32(bits, nan, _mm512_andnot_si512(_mm512_set1_epi32(0x400000), bits), q);
            _mm512_storeu_si512(out + i, bits);
        }
        break;
    default: for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, a5_load16f(x, STEER_BF16, i)); break;
    }
    tail_to_f32(x, dtype, i, n, out);
}

STEER_AVX512 static size_t a5_nonfinite(const void *x, int dtype, size_t n) {
    size_t i = 0, count = 0;
    switch (dtype) {
    case STEER_F32: {
        const __m512i e = _mm512_set1_epi32(0x7F800000);
        for (; i + 16 <= n; i += 16)
            count += (size_t)__builtin_popcount(_mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_loadu_si512((const float *)x + i), e), e));
        break;
    }
    case STEER_F64: {
        const __m512i e = _mm512_set1_epi64(0x7FF0000000000000ll);
        for (; i + 8 <= n; i += 8)
            count += (size_t)__builtin_popcount(_mm512_cmpeq_epi64_mask(_mm512_and_si512(_mm512_loadu_si512((const double *)x + i), e), e));
        break;
    }
    default: {
        const __m512i e = _mm512_set1_epi16(dtype == STEER_F16 ? 0x7C00 : 0x7F80);
        for (; i + 32 <= n; i += 32)
            count += (size_t)__builtin_popcount(_mm512_cmpeq_epi16_mask(_mm512_and_si512(_mm512_loadu_si512((const uint16_t *)x + i), e), e));
        break;
    }
    }
    return count + tail_nonfinite(x, dtype, i, n);
}
#endif  // x86-64

// ---------------------------------------------------------------- path selection

static int best_path = -1;     // detected once; every thread computes the same answer
static int default_path = -1;  // -1 until first use or steer_kernels_force

int steer_kernels_best(void) {
    int best = __atomic_load_n(&best_path, __ATOMIC_RELAXED);
    if (best >= 0) return best;
    best = STEER_KERNEL_PORTABLE;
#ifdef STEER_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("popcnt")) {
        best = STEER_KERNEL_AVX2;
        // __builtin_cpu_supports reports AVX-512 only when the OS saves the ZMM registers.
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512dq"))
            best = STEER_KERNEL_AVX512;
    }
#endif
    __atomic_store_n(&best_path, best, __ATOMIC_RELAXED);
    return best;
}

static const char *const path_names[] = {"portable", "avx2", "avx512"};

static int clamp_path(int path) {
    int best = steer_kernels_best();
    return path < 0 || path > best ? best : path;
}

/// The path STEER_KERNELS names (clamped), or the best one.
static int path_from_environment(void) {
    const char *name = getenv("STEER_KERNELS");
    if (!name || !*name) return steer_kernels_best();
    for (int p = 0; p < 3; p++) {
        if (strcasecmp(name, path_names[p]) != 0) continue;
        if (p > steer_kernels_best())
            fprintf(stderr, "steer: STEER_KERNELS=%s: this CPU lacks it; using %s\n", name, path_names[steer_kernels_best()]);
        return clamp_path(p);
    }
    fprintf(stderr, "steer: STEER_KERNELS=%s is not one of portable, avx2, avx512; using %s\n", name, path_names[steer_kernels_best()]);
    return steer_kernels_best();
}

int steer_kernels_path(void) {
    int path = __atomic_load_n(&default_path, __ATOMIC_RELAXED);
    if (path >= 0) return path;
    int expected = -1, chosen = path_from_environment();
    if (__atomic_compare_exchange_n(&default_path, &expected, chosen, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return chosen;
    return expected;  // another thread chose first (or forced a path)
}

int steer_kernels_force(int path) {
    int chosen = clamp_path(path);
    __atomic_store_n(&default_path, chosen, __ATOMIC_RELAXED);
    return chosen;
}

int steer_kernels_resolve(int path) { return path < 0 ? steer_kernels_path() : clamp_path(path); }

// ---------------------------------------------------------------- entry points

#ifdef STEER_X86
#define STEER_DISPATCH(path, AVX512_CALL, AVX2_CALL, PORTABLE_CALL) \
    switch (steer_kernels_resolve(path)) {                        \
    case STEER_KERNEL_AVX512: AVX512_CALL; break;                 \
    case STEER_KERNEL_AVX2: AVX2_CALL; break;                     \
    default: PORTABLE_CALL; break;                                \
    }
#else
#define STEER_DISPATCH(path, AVX512_CALL, AVX2_CALL, PORTABLE_CALL) PORTABLE_CALL;
#endif

void steer_accumulate_path(int path, const void *x, int dtype, size_t n, double *acc) {
    STEER_DISPATCH(path, a5_accumulate(x, dtype, n, acc), a2_accumulate(x, dtype, n, acc), p_accumulate(x, dtype, n, acc))
}

void steer_accumulate4_path(int path, const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
    STEER_DISPATCH(path, a5_accumulate4(a, b, c, d, dtype, n, acc), a2_accumulate4(a, b, c, d, dtype, n, acc),
                   p_accumulate4(a, b, c, d, dtype, n, acc))
}

double steer_dot_path(int path, const void *x, int dtype, size_t n, const double *v) {
    double r;
    STEER_DISPATCH(path, r = a5_dot(x, dtype, n, v), r = a2_dot(x, dtype, n, v), r = p_dot(x, dtype, n, v))
    return r;
}

void steer_dot2_norm_path(int path, const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
    STEER_DISPATCH(path, a5_dot2_norm(x, dtype, n, u, v, out), a2_dot2_norm(x, dtype, n, u, v, out), p_dot2_norm(x, dtype, n, u, v, out))
}

void steer_axpy_path(int path, const void *x, int dtype, size_t n, double alpha, double *acc) {
    STEER_DISPATCH(path, a5_axpy(x, dtype, n, alpha, acc), a2_axpy(x, dtype, n, alpha, acc), p_axpy(x, dtype, n, alpha, acc))
}

void steer_to_f64_path(int path, const void *x, int dtype, size_t n, double *out) {
    STEER_DISPATCH(path, a5_to_f64(x, dtype, n, out), a2_to_f64(x, dtype, n, out), p_to_f64(x, dtype, n, out))
}

void steer_to_f32_path(int path, const void *x, int dtype, size_t n, float *out) {
    STEER_DISPATCH(path, a5_to_f32(x, dtype, n, out), a2_to_f32(x, dtype, n, out), p_to_f32(x, dtype, n, out))
}

size_t steer_count_nonfinite_path(int path, const void *x, int dtype, size_t n) {
    size_t r;
    STEER_DISPATCH(path, r = a5_nonfinite(x, dtype, n), r = a2_nonfinite(x, dtype, n), r = p_nonfinite(x, dtype, n))
    return r;
}

void steer_from_f64_path(int path, const double *x, size_t n, int dtype, void *out) {
    if (n == 0) return;
    if (dtype == STEER_F64) { memcpy(out, x, n * 8); return; }
    STEER_DISPATCH(path, a5_from_f64(x, n, dtype, out), a2_from_f64(x, n, dtype, out), p_from_f64(x, n, dtype, out))
}

void steer_from_f32_path(int path, const float *x, size_t n, int dtype, void *out) {
    if (n == 0) return;
    switch (dtype) {
    case STEER_F32: memcpy(out, x, n * 4); return;
    case STEER_F64: steer_to_f64_path(path, x, STEER_F32, n, (double *)out); return;
    default: break;
    }
    STEER_DISPATCH(path, a5_from_f32(x, n, dtype, out), a2_from_f32(x, n, dtype, out), p_from_f32(x, n, dtype, out))
}

void steer_accumulate(const void *x, int dtype, size_t n, double *acc) { steer_accumulate_path(STEER_KERNEL_DEFAULT, x, dtype, n, acc); }
void steer_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
    steer_accumulate4_path(STEER_KERNEL_DEFAULT, a, b, c, d, dtype, n, acc);
}
double steer_dot(const void *x, int dtype, size_t n, const double *v) { return steer_dot_path(STEER_KERNEL_DEFAULT, x, dtype, n, v); }
void steer_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
    steer_dot2_norm_path(STEER_KERNEL_DEFAULT, x, dtype, n, u, v, out);
}
void steer_axpy(const void *x, int dtype, size_t n, double alpha, double *acc) { steer_axpy_path(STEER_KERNEL_DEFAULT, x, dtype, n, alpha, acc); }
void steer_to_f64(const void *x, int dtype, size_t n, double *out) { steer_to_f64_path(STEER_KERNEL_DEFAULT, x, dtype, n, out); }
void steer_to_f32(const void *x, int dtype, size_t n, float *out) { steer_to_f32_path(STEER_KERNEL_DEFAULT, x, dtype, n, out); }
size_t steer_count_nonfinite(const void *x, int dtype, size_t n) { return steer_count_nonfinite_path(STEER_KERNEL_DEFAULT, x, dtype, n); }
void steer_from_f64(const double *x, size_t n, int dtype, void *out) { steer_from_f64_path(STEER_KERNEL_DEFAULT, x, n, dtype, out); }
void steer_from_f32(const float *x, size_t n, int dtype, void *out) { steer_from_f32_path(STEER_KERNEL_DEFAULT, x, n, dtype, out); }

#include "steer_kernels.h"
#include <stdint.h>
#include <string.h>

// ---------------------------------------------------------------- scalar element loads

static inline float half_to_float(uint16_t h) {
    // Exact for every half: normals, subnormals, zeros, infinities, NaN.
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t magnitude = (uint32_t)(h & 0x7FFF) << 13;
    uint32_t exponent = magnitude & 0x0F800000u;
    uint32_t bits = magnitude + 0x38000000u;              // rebias 15 -> 127
    float f;
    if (exponent == 0x0F800000u) {
        bits += 0x38000000u;                              // Inf / NaN
    } else if (exponent == 0) {
        uint32_t b = bits + 0x00800000u;                  // zero / subnormal: renormalise
        float magic, g;
        uint32_t m = 0x38800000u;
        memcpy(&g, &b, 4);
        memcpy(&magic, &m, 4);
        g -= magic;
        memcpy(&bits, &g, 4);
    }
    bits |= sign;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline double load1(const void *x, int dtype, size_t i) {
    switch (dtype) {
    case STEER_F32: { float f; memcpy(&f, (const char *)x + 4 * i, 4); return f; }
    case STEER_F64: { double d; memcpy(&d, (const char *)x + 8 * i, 8); return d; }
    case STEER_F16: { uint16_t h; memcpy(&h, (const char *)x + 2 * i, 2); return half_to_float(h); }
    default: { uint16_t h; memcpy(&h, (const char *)x + 2 * i, 2); return bf16_to_float(h); }
    }
}

// ---------------------------------------------------------------- portable versions

static void accumulate_generic(const void *x, int dtype, size_t n, double *acc) {
    switch (dtype) {
    case STEER_F32: for (size_t i = 0; i < n; i++) acc[i] += load1(x, STEER_F32, i); break;
    case STEER_F64: for (size_t i = 0; i < n; i++) acc[i] += load1(x, STEER_F64, i); break;
    case STEER_F16: for (size_t i = 0; i < n; i++) acc[i] += load1(x, STEER_F16, i); break;
    default: for (size_t i = 0; i < n; i++) acc[i] += load1(x, STEER_BF16, i); break;
    }
}

static void accumulate4_generic(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
    for (size_t i = 0; i < n; i++)
        acc[i] += (load1(a, dtype, i) + load1(b, dtype, i)) + (load1(c, dtype, i) + load1(d, dtype, i));
}

static void axpy_generic(const void *x, int dtype, size_t n, double alpha, double *acc) {
    for (size_t i = 0; i < n; i++) acc[i] += alpha * load1(x, dtype, i);
}

static double dot_generic(const void *x, int dtype, size_t n, const double *v) {
    double lanes[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) lanes[k] += load1(x, dtype, i + k) * v[i + k];
    double total = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (; i < n; i++) total += load1(x, dtype, i) * v[i];
    return total;
}

static void dot2_norm_generic(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
    double a[4] = {0}, b[4] = {0}, c[4] = {0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            double h = load1(x, dtype, i + k);
            a[k] += h * u[i + k]; b[k] += h * v[i + k]; c[k] += h * h;
        }
    out[0] = (a[0] + a[2]) + (a[1] + a[3]);
    out[1] = (b[0] + b[2]) + (b[1] + b[3]);
    out[2] = (c[0] + c[2]) + (c[1] + c[3]);
    for (; i < n; i++) {
        double h = load1(x, dtype, i);
        out[0] += h * u[i]; out[1] += h * v[i]; out[2] += h * h;
    }
}

// ---------------------------------------------------------------- AVX2 + FMA + F16C versions

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define STEER_AVX2 __attribute__((target("avx2,fma,f16c")))

STEER_AVX2 static inline __m256 load8(const void *x, int dtype, size_t i) {
    switch (dtype) {
    case STEER_F32: return _mm256_loadu_ps((const float *)x + i);
    case STEER_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)x + i)));
    default: {
        __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)x + i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    }
}

STEER_AVX2 static inline __m256d low4(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
STEER_AVX2 static inline __m256d high4(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

// One copy per dtype, so the switch in load8 folds away inside the loops.
#define STEER_DEFINE_AVX2(NAME, DT)                                                                      \
    STEER_AVX2 static void accumulate_##NAME(const void *x, size_t n, double *acc) {                     \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                     \
            __m256 v = load8(x, DT, i);                                                                  \
            _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), low4(v)));                 \
            _mm256_storeu_pd(acc + i + 4, _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), high4(v)));        \
        }                                                                                                \
        for (; i < n; i++) acc[i] += load1(x, DT, i);                                                    \
    }                                                                                                    \
    STEER_AVX2 static void accumulate4_##NAME(const void *a, const void *b, const void *c, const void *d, \
                                              size_t n, double *acc) {                                   \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                     \
            __m256 va = load8(a, DT, i), vb = load8(b, DT, i), vc = load8(c, DT, i), vd = load8(d, DT, i); \
            __m256d lo = _mm256_add_pd(_mm256_add_pd(low4(va), low4(vb)), _mm256_add_pd(low4(vc), low4(vd)));      \
            __m256d hi = _mm256_add_pd(_mm256_add_pd(high4(va), high4(vb)), _mm256_add_pd(high4(vc), high4(vd)));  \
            _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), lo));                     \
            _mm256_storeu_pd(acc + i + 4, _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), hi));             \
        }                                                                                                \
        for (; i < n; i++)                                                                               \
            acc[i] += (load1(a, DT, i) + load1(b, DT, i)) + (load1(c, DT, i) + load1(d, DT, i));         \
    }                                                                                                    \
    STEER_AVX2 static double dot_##NAME(const void *x, size_t n, const double *v) {                      \
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();                                      \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                     \
            __m256 w = load8(x, DT, i);                                                                  \
            s0 = _mm256_fmadd_pd(low4(w), _mm256_loadu_pd(v + i), s0);                                   \
            s1 = _mm256_fmadd_pd(high4(w), _mm256_loadu_pd(v + i + 4), s1);                              \
        }                                                                                                \
        double lanes[4];                                                                                 \
        _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));                                                  \
        double total = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);                                    \
        for (; i < n; i++) total += load1(x, DT, i) * v[i];                                              \
        return total;                                                                                    \
    }

#define STEER_DEFINE_AVX2_DOT2(NAME, DT)                                                                   \
    STEER_AVX2 static void dot2_norm_##NAME(const void *x, size_t n, const double *u, const double *v, double out[3]) { \
        __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd(), c = _mm256_setzero_pd();                 \
        size_t i = 0;                                                                                      \
        for (; i + 8 <= n; i += 8) {                                                                       \
            __m256 w = load8(x, DT, i);                                                                    \
            __m256d lo = low4(w), hi = high4(w);                                                           \
            a = _mm256_fmadd_pd(lo, _mm256_loadu_pd(u + i), a);                                            \
            a = _mm256_fmadd_pd(hi, _mm256_loadu_pd(u + i + 4), a);                                        \
            b = _mm256_fmadd_pd(lo, _mm256_loadu_pd(v + i), b);                                            \
            b = _mm256_fmadd_pd(hi, _mm256_loadu_pd(v + i + 4), b);                                        \
            c = _mm256_fmadd_pd(lo, lo, c);                                                                \
            c = _mm256_fmadd_pd(hi, hi, c);                                                                \
        }                                                                                                  \
        double la[4], lb[4], lc[4];                                                                        \
        _mm256_storeu_pd(la, a); _mm256_storeu_pd(lb, b); _mm256_storeu_pd(lc, c);                         \
        out[0] = (la[0] + la[2]) + (la[1] + la[3]);                                                        \
        out[1] = (lb[0] + lb[2]) + (lb[1] + lb[3]);                                                        \
        out[2] = (lc[0] + lc[2]) + (lc[1] + lc[3]);                                                        \
        for (; i < n; i++) {                                                                               \
            double h = load1(x, DT, i);                                                                    \
            out[0] += h * u[i]; out[1] += h * v[i]; out[2] += h * h;                                       \
        }                                                                                                  \
    }

#define STEER_DEFINE_AVX2_AXPY(NAME, DT)                                                                   \
    STEER_AVX2 static void axpy_##NAME(const void *x, size_t n, double alpha, double *acc) {               \
        __m256d a = _mm256_set1_pd(alpha);                                                                 \
        size_t i = 0;                                                                                      \
        for (; i + 8 <= n; i += 8) {                                                                       \
            __m256 w = load8(x, DT, i);                                                                    \
            _mm256_storeu_pd(acc + i, _mm256_fmadd_pd(a, low4(w), _mm256_loadu_pd(acc + i)));             \
            _mm256_storeu_pd(acc + i + 4, _mm256_fmadd_pd(a, high4(w), _mm256_loadu_pd(acc + i + 4)));     \
        }                                                                                                  \
        for (; i < n; i++) acc[i] += alpha * load1(x, DT, i);                                              \
    }

STEER_DEFINE_AVX2(f32, STEER_F32)
STEER_DEFINE_AVX2_DOT2(f32, STEER_F32)
STEER_DEFINE_AVX2_AXPY(f32, STEER_F32)
STEER_DEFINE_AVX2_AXPY(f16, STEER_F16)
STEER_DEFINE_AVX2_AXPY(bf16, STEER_BF16)
STEER_DEFINE_AVX2_DOT2(f16, STEER_F16)
STEER_DEFINE_AVX2_DOT2(bf16, STEER_BF16)
STEER_DEFINE_AVX2(f16, STEER_F16)
STEER_DEFINE_AVX2(bf16, STEER_BF16)

static int use_avx2(void) {
    static int state = -1;  // benign race: every thread computes the same answer
    if (state < 0) {
        __builtin_cpu_init();
        state = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return state;
}
#else
static int use_avx2(void) { return 0; }
#endif

// ---------------------------------------------------------------- dispatch

void steer_accumulate(const void *x, int dtype, size_t n, double *acc) {
#ifdef STEER_AVX2
    if (use_avx2()) {
        switch (dtype) {
        case STEER_F32: accumulate_f32(x, n, acc); return;
        case STEER_F16: accumulate_f16(x, n, acc); return;
        case STEER_BF16: accumulate_bf16(x, n, acc); return;
        default: break;
        }
    }
#endif
    accumulate_generic(x, dtype, n, acc);
}

void steer_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc) {
#ifdef STEER_AVX2
    if (use_avx2()) {
        switch (dtype) {
        case STEER_F32: accumulate4_f32(a, b, c, d, n, acc); return;
        case STEER_F16: accumulate4_f16(a, b, c, d, n, acc); return;
        case STEER_BF16: accumulate4_bf16(a, b, c, d, n, acc); return;
        default: break;
        }
    }
#endif
    accumulate4_generic(a, b, c, d, dtype, n, acc);
}

double steer_dot(const void *x, int dtype, size_t n, const double *v) {
#ifdef STEER_AVX2
    if (use_avx2()) {
        switch (dtype) {
        case STEER_F32: return dot_f32(x, n, v);
        case STEER_F16: return dot_f16(x, n, v);
        case STEER_BF16: return dot_bf16(x, n, v);
        default: break;
        }
    }
#endif
    return dot_generic(x, dtype, n, v);
}

void steer_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]) {
#ifdef STEER_AVX2
    if (use_avx2()) {
        switch (dtype) {
        case STEER_F32: dot2_norm_f32(x, n, u, v, out); return;
        case STEER_F16: dot2_norm_f16(x, n, u, v, out); return;
        case STEER_BF16: dot2_norm_bf16(x, n, u, v, out); return;
        default: break;
        }
    }
#endif
    dot2_norm_generic(x, dtype, n, u, v, out);
}

void steer_axpy(const void *x, int dtype, size_t n, double alpha, double *acc) {
#ifdef STEER_AVX2
    if (use_avx2()) {
        switch (dtype) {
        case STEER_F32: axpy_f32(x, n, alpha, acc); return;
        case STEER_F16: axpy_f16(x, n, alpha, acc); return;
        case STEER_BF16: axpy_bf16(x, n, alpha, acc); return;
        default: break;
        }
    }
#endif
    axpy_generic(x, dtype, n, alpha, acc);
}

void steer_to_f64(const void *x, int dtype, size_t n, double *out) {
    if (dtype == STEER_F64) { memcpy(out, x, n * 8); return; }
    for (size_t i = 0; i < n; i++) out[i] = load1(x, dtype, i);
}

void steer_to_f32(const void *x, int dtype, size_t n, float *out) {
    const unsigned char *p = (const unsigned char *)x;
    switch (dtype) {
    case STEER_F32: memcpy(out, x, n * 4); return;
    // Half types widen to float directly (bit-exact, NaN payloads kept), not through double.
    case STEER_F16: for (size_t i = 0; i < n; i++) { uint16_t h; memcpy(&h, p + 2 * i, 2); out[i] = half_to_float(h); } return;
    case STEER_BF16: for (size_t i = 0; i < n; i++) { uint16_t h; memcpy(&h, p + 2 * i, 2); out[i] = bf16_to_float(h); } return;
    default: for (size_t i = 0; i < n; i++) out[i] = (float)load1(x, dtype, i); return;
    }
}

size_t steer_count_nonfinite(const void *x, int dtype, size_t n) {
    size_t count = 0;
    const unsigned char *p = (const unsigned char *)x;
    switch (dtype) {
    case STEER_F32:
        for (size_t i = 0; i < n; i++) { uint32_t b; memcpy(&b, p + 4 * i, 4); count += (b & 0x7F800000u) == 0x7F800000u; }
        break;
    case STEER_F64:
        for (size_t i = 0; i < n; i++) { uint64_t b; memcpy(&b, p + 8 * i, 8); count += (b & 0x7FF0000000000000ull) == 0x7FF0000000000000ull; }
        break;
    case STEER_F16:
        for (size_t i = 0; i < n; i++) { uint16_t b; memcpy(&b, p + 2 * i, 2); count += (b & 0x7C00u) == 0x7C00u; }
        break;
    default:
        for (size_t i = 0; i < n; i++) { uint16_t b; memcpy(&b, p + 2 * i, 2); count += (b & 0x7F80u) == 0x7F80u; }
        break;
    }
    return count;
}

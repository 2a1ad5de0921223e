#include "steer_decode.h"
#include "steer_kernels.h"
#include "steer_runtime.h"
#include <stdint.h>
#include <math.h>
#include <string.h>

#define STEER_ALWAYS_INLINE inline __attribute__((always_inline))

// ---------------------------------------------------------------- portable

static float p_weight(const void *w, int dtype, size_t i) {
    switch (dtype) {
    case STEER_F32: return ((const float *)w)[i];
    case STEER_F16: return (float)((const _Float16 *)w)[i];
    default: {
        uint32_t bits = (uint32_t)((const uint16_t *)w)[i] << 16;
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    }
}

static size_t dtype_size(int dtype) { return dtype == STEER_F32 ? 4 : 2; }

static void p_gemm_rows(const float *x, size_t rows, size_t ldx, const void *w, int dtype, size_t k, size_t col0, size_t col1, float *y,
                        size_t ldy) {
    for (size_t j = col0; j < col1; j++) {
        const void *row = (const char *)w + j * k * dtype_size(dtype);
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * ldx;
            float sum = 0;
            for (size_t i = 0; i < k; i++) sum += xr[i] * p_weight(row, dtype, i);
            y[r * ldy + j] = sum;
        }
    }
}

static float p_dot(const float *a, const float *b, size_t n) {
    float sum = 0;
    for (size_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/// out[i] = Σⱼ scores[j] · v[j·ld + i] over j = first…last, for columns from ≤ i < dim: the
/// portable path's whole output and the vector paths' last columns.
static void p_weighted_values(const float *scores, const float *v, size_t ld, size_t first, size_t last, size_t from, size_t dim,
                              float *out) {
    for (size_t i = from; i < dim; i++) out[i] = 0;
    for (size_t j = first; j <= last; j++)
        for (size_t i = from; i < dim; i++) out[i] += scores[j] * v[j * ld + i];
}

static void p_attend_row(const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last, size_t dim, float scale,
                         float cap, float *scores, float *out) {
    for (size_t j = first; j <= last; j++) scores[j] = scale * p_dot(q, k + j * ld, dim);
    steer_softmax(scores + first, last - first + 1, cap);
    p_weighted_values(scores, v, ld, first, last, 0, dim, out);
}

static void p_silu_mul(const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out, size_t out_stride) {
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++) {
            float v = g[r * stride + i];
            out[r * out_stride + i] = (v / (1.0f + expf(-v))) * u[r * stride + i];
        }
}

// ---------------------------------------------------------------- x86 vector versions

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define STEER_DECODE_X86 1
#include <immintrin.h>

// The tile kernels: R rows of x against C rows of W, lanes-wide steps over k, each of the R·C
// sums in its own register, reduced across lanes at the end; the k % lanes tail in scalar.
// Instantiated with constant R, C and dtype, so the accumulators stay in registers. `next` is
// the following tile's weights (or `w`): fetched into cache while this one computes.

// ------------------------------------------------ AVX-512 (16 lanes; tiles up to 6 × 4)
#define STEER_DECODE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

STEER_DECODE_AVX512 static STEER_ALWAYS_INLINE __m512 a5_load_w(const void *w, int dtype, size_t i) {
    switch (dtype) {
    case STEER_F32: return _mm512_loadu_ps((const float *)w + i);
    case STEER_F16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i)));
    default: {
        __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
    }
}

/// The lane sums of a, b, c, d as one vector [Σa, Σb, Σc, Σd] (a transposing tree: 12 operations for four sums).
STEER_DECODE_AVX512 static STEER_ALWAYS_INLINE __m128 a5_reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
    __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));  // per 128-bit lane: a b a b
    __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));  // c d c d
    __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, 0x44), _mm512_shuffle_ps(ab, cd, 0xEE));  // a b c d
    __m256 half = _mm256_add_ps(_mm512_castps512_ps256(abcd), _mm512_extractf32x8_ps(abcd, 1));
    return _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
}

STEER_DECODE_AVX512 static STEER_ALWAYS_INLINE void a5_tile(const float *x, size_t ldx, const void *w, int dtype, size_t k, float *y,
                                                            size_t ldy, const int R, const int C, const void *next) {
    __m512 acc[6][4];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
    const size_t bytes = dtype_size(dtype);
    const size_t body = k & ~(size_t)15;
    for (size_t i = 0; i < body; i += 16) {
        __m512 wv[4];
        for (int c = 0; c < C; c++) wv[c] = a5_load_w((const char *)w + (size_t)c * k * bytes, dtype, i);
        // the next tile's weights (or these again: in cache), one line per row and step
        for (int c = 0; c < C; c++) _mm_prefetch((const char *)next + ((size_t)c * k + i) * bytes, _MM_HINT_T0);
        for (int r = 0; r < R; r++) {
            __m512 xv = _mm512_loadu_ps(x + (size_t)r * ldx + i);
            for (int c = 0; c < C; c++) acc[r][c] = _mm512_fmadd_ps(xv, wv[c], acc[r][c]);
        }
    }
    float sums[6][4];
    for (int r = 0; r < R; r++) {
        if (C == 4) {
            _mm_storeu_ps(sums[r], a5_reduce4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
        } else {
            for (int c = 0; c < C; c++) sums[r][c] = _mm512_reduce_add_ps(acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            float sum = sums[r][c];
            const void *wr = (const char *)w + (size_t)c * k * bytes;
            for (size_t i = body; i < k; i++) sum += x[(size_t)r * ldx + i] * p_weight(wr, dtype, i);
            y[(size_t)r * ldy + c] = sum;
        }
}

#define STEER_DECODE_DRIVER(PREFIX, ATTR, RMAX, CMAX)                                                                                   \
    ATTR static STEER_ALWAYS_INLINE void PREFIX##_gemm_rows_dt(const float *x, size_t rows, size_t ldx, const void *w, int dtype,      \
                                                                  size_t k, size_t col0, size_t col1, float *y, size_t ldy) {         \
        const size_t bytes = dtype_size(dtype);                                                                                        \
        size_t j = col0;                                                                                                               \
        for (; j + CMAX <= col1; j += CMAX) {                                                                                          \
            const void *wj = (const char *)w + j * k * bytes;                                                                          \
            const void *next = j + 2 * CMAX <= col1 ? (const char *)wj + CMAX * k * bytes : wj;                                     \
            size_t r = 0;                                                                                                              \
            for (; r + RMAX <= rows; r += RMAX)                                                                                        \
                PREFIX##_tile(x + r * ldx, ldx, wj, dtype, k, y + r * ldy + j, ldy, RMAX, CMAX, r == 0 ? next : wj);                 \
            for (; r < rows; r++) PREFIX##_tile(x + r * ldx, ldx, wj, dtype, k, y + r * ldy + j, ldy, 1, CMAX, r == 0 ? next : wj);  \
        }                                                                                                                              \
        for (; j < col1; j++) {                                                                                                        \
            const void *wj = (const char *)w + j * k * bytes;                                                                          \
            for (size_t r = 0; r < rows; r++) PREFIX##_tile(x + r * ldx, ldx, wj, dtype, k, y + r * ldy + j, ldy, 1, 1, wj);               \
        }                                                                                                                              \
    }                                                                                                                                  \
    ATTR static void PREFIX##_gemm_rows(const float *x, size_t rows, size_t ldx, const void *w, int dtype, size_t k, size_t col0,      \
                                        size_t col1, float *y, size_t ldy) {                                                           \
        switch (dtype) {                                                                                                               \
        case STEER_F32: PREFIX##_gemm_rows_dt(x, rows, ldx, w, STEER_F32, k, col0, col1, y, ldy); break;                              \
        case STEER_F16: PREFIX##_gemm_rows_dt(x, rows, ldx, w, STEER_F16, k, col0, col1, y, ldy); break;                              \
        default: PREFIX##_gemm_rows_dt(x, rows, ldx, w, STEER_BF16, k, col0, col1, y, ldy); break;                                    \
        }                                                                                                                              \
    }

STEER_DECODE_DRIVER(a5, STEER_DECODE_AVX512, 6, 4)

/// q·k over `dim`, 16 lanes a step, tail in scalar.
STEER_DECODE_AVX512 static STEER_ALWAYS_INLINE float a5_dot(const float *a, const float *b, size_t dim) {
    __m512 acc = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= dim; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    float sum = _mm512_reduce_add_ps(acc);
    for (; i < dim; i++) sum += a[i] * b[i];
    return sum;
}

/// q·k of four keys at once: [q·k0, q·k1, q·k2, q·k3], `dim` a multiple of 16.
STEER_DECODE_AVX512 static STEER_ALWAYS_INLINE __m128 a5_dot4(const float *q, const float *k, size_t ld, size_t dim) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < dim; i += 16) {
        __m512 qv = _mm512_loadu_ps(q + i);
        a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k + i), a0);
        a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k + ld + i), a1);
        a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k + 2 * ld + i), a2);
        a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k + 3 * ld + i), a3);
    }
    return a5_reduce4(a0, a1, a2, a3);
}

STEER_DECODE_AVX512 static void a5_attend_row(const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last,
                                              size_t dim, float scale, float cap, float *scores, float *out) {
    size_t j = first;
    if (dim % 16 == 0)
        for (; j + 4 <= last + 1; j += 4) _mm_storeu_ps(scores + j, _mm_mul_ps(_mm_set1_ps(scale), a5_dot4(q, k + j * ld, ld, dim)));
    for (; j <= last; j++) scores[j] = scale * a5_dot(q, k + j * ld, dim);
    steer_softmax(scores + first, last - first + 1, cap);
    size_t i = 0;
    for (; i + 64 <= dim; i += 64) {  // four vectors of the output a pass over the values
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t j = first; j <= last; j++) {
            __m512 p = _mm512_set1_ps(scores[j]);
            const float *row = v + j * ld + i;
            a0 = _mm512_fmadd_ps(p, _mm512_loadu_ps(row), a0);
            a1 = _mm512_fmadd_ps(p, _mm512_loadu_ps(row + 16), a1);
            a2 = _mm512_fmadd_ps(p, _mm512_loadu_ps(row + 32), a2);
            a3 = _mm512_fmadd_ps(p, _mm512_loadu_ps(row + 48), a3);
        }
        _mm512_storeu_ps(out + i, a0);
        _mm512_storeu_ps(out + i + 16, a1);
        _mm512_storeu_ps(out + i + 32, a2);
        _mm512_storeu_ps(out + i + 48, a3);
    }
    for (; i + 16 <= dim; i += 16) {
        __m512 acc = _mm512_setzero_ps();
        for (size_t j = first; j <= last; j++) acc = _mm512_fmadd_ps(_mm512_set1_ps(scores[j]), _mm512_loadu_ps(v + j * ld + i), acc);
        _mm512_storeu_ps(out + i, acc);
    }
    p_weighted_values(scores, v, ld, first, last, i, dim, out);
}


// ------------------------------------------------ AVX2 (8 lanes; tiles up to 3 × 3 in 16 registers)
#define STEER_DECODE_AVX2 __attribute__((target("avx2,fma,f16c")))

STEER_DECODE_AVX2 static STEER_ALWAYS_INLINE __m256 a2_load_w(const void *w, int dtype, size_t i) {
    switch (dtype) {
    case STEER_F32: return _mm256_loadu_ps((const float *)w + i);
    case STEER_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i)));
    default: {
        __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    }
}

STEER_DECODE_AVX2 static STEER_ALWAYS_INLINE float a2_reduce(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

STEER_DECODE_AVX2 static STEER_ALWAYS_INLINE void a2_tile(const float *x, size_t ldx, const void *w, int dtype, size_t k, float *y,
                                                          size_t ldy, const int R, const int C, const void *next) {
    __m256 acc[3][3];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
    const size_t bytes = dtype_size(dtype);
    const size_t body = k & ~(size_t)7;
    for (size_t i = 0; i < body; i += 8) {
        __m256 wv[3];
        for (int c = 0; c < C; c++) wv[c] = a2_load_w((const char *)w + (size_t)c * k * bytes, dtype, i);
        // the next tile's weights (or these again: in cache), one line per row and step
        for (int c = 0; c < C; c++) _mm_prefetch((const char *)next + ((size_t)c * k + i) * bytes, _MM_HINT_T0);
        for (int r = 0; r < R; r++) {
            __m256 xv = _mm256_loadu_ps(x + (size_t)r * ldx + i);
            for (int c = 0; c < C; c++) acc[r][c] = _mm256_fmadd_ps(xv, wv[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            float sum = a2_reduce(acc[r][c]);
            const void *wr = (const char *)w + (size_t)c * k * bytes;
            for (size_t i = body; i < k; i++) sum += x[(size_t)r * ldx + i] * p_weight(wr, dtype, i);
            y[(size_t)r * ldy + c] = sum;
        }
}

STEER_DECODE_DRIVER(a2, STEER_DECODE_AVX2, 3, 3)

STEER_DECODE_AVX2 static STEER_ALWAYS_INLINE float a2_dot(const float *a, const float *b, size_t dim) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= dim; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    float sum = a2_reduce(acc);
    for (; i < dim; i++) sum += a[i] * b[i];
    return sum;
}

STEER_DECODE_AVX2 static void a2_attend_row(const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last,
                                            size_t dim, float scale, float cap, float *scores, float *out) {
    for (size_t j = first; j <= last; j++) scores[j] = scale * a2_dot(q, k + j * ld, dim);
    steer_softmax(scores + first, last - first + 1, cap);
    size_t i = 0;
    for (; i + 8 <= dim; i += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (size_t j = first; j <= last; j++) acc = _mm256_fmadd_ps(_mm256_set1_ps(scores[j]), _mm256_loadu_ps(v + j * ld + i), acc);
        _mm256_storeu_ps(out + i, acc);
    }
    p_weighted_values(scores, v, ld, first, last, i, dim, out);
}

// ------------------------------------------------ the gated MLP's SiLU, one body for every vector width

/// e^x lane-wise (Cephes' expf: x = n·ln 2 + r, |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r, then
/// 2ⁿ built in the exponent field), within 2 ulp of the exact value; x clamped to [−87.3, 88.3] so
/// n ∈ [−126, 127] (silu of a gate below −88 is then within 1e-35 of its exact value, about 0);
/// then out = g / (1 + e^(−g)) · u, `LANES` at a time, the row's tail by the portable loop.
#define STEER_DEFINE_SILU(PREFIX, ATTR, LANES)                                                                                       \
    typedef float PREFIX##_vf __attribute__((vector_size(4 * LANES)));                                                            \
    typedef int32_t PREFIX##_vi __attribute__((vector_size(4 * LANES)));                                                          \
    ATTR static STEER_ALWAYS_INLINE PREFIX##_vf PREFIX##_exp(PREFIX##_vf x) {                                                       \
        const PREFIX##_vf zero = {0};                                                                                               \
        x = __builtin_elementwise_min(__builtin_elementwise_max(x, zero - 87.3f), zero + 88.3f);                                   \
        PREFIX##_vf n = __builtin_elementwise_roundeven(x * 1.44269504088896341f);                                                 \
        PREFIX##_vf r = __builtin_elementwise_fma(-n, zero + 0.693359375f, x);                                                      \
        r = __builtin_elementwise_fma(-n, zero - 2.12194440e-4f, r);                                                                \
        PREFIX##_vf y = zero + 1.9875691500e-4f;                                                                                    \
        y = __builtin_elementwise_fma(y, r, zero + 1.3981999507e-3f);                                                               \
        y = __builtin_elementwise_fma(y, r, zero + 8.3334519073e-3f);                                                               \
        y = __builtin_elementwise_fma(y, r, zero + 4.1665795894e-2f);                                                               \
        y = __builtin_elementwise_fma(y, r, zero + 1.6666665459e-1f);                                                               \
        y = __builtin_elementwise_fma(y, r, zero + 5.0000001201e-1f);                                                               \
        y = __builtin_elementwise_fma(y, r * r, r + 1.0f);                                                                          \
        PREFIX##_vi bits = (__builtin_convertvector(n, PREFIX##_vi) + 127) << 23;                                                   \
        PREFIX##_vf scale;                                                                                                          \
        memcpy(&scale, &bits, sizeof scale);                                                                                        \
        return y * scale;                                                                                                           \
    }                                                                                                                               \
    ATTR static void PREFIX##_silu_mul(const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out,            \
                                       size_t out_stride) {                                                                         \
        for (size_t r = 0; r < rows; r++) {                                                                                         \
            const float *gr = g + r * stride, *ur = u + r * stride;                                                                 \
            float *o = out + r * out_stride;                                                                                        \
            size_t i = 0;                                                                                                           \
            for (; i + LANES <= n; i += LANES) {                                                                                    \
                PREFIX##_vf v, w;                                                                                                   \
                memcpy(&v, gr + i, sizeof v);                                                                                       \
                memcpy(&w, ur + i, sizeof w);                                                                                       \
                PREFIX##_vf y = v / (1.0f + PREFIX##_exp(-v)) * w;                                                                  \
                memcpy(o + i, &y, sizeof y);                                                                                        \
            }                                                                                                                       \
            if (i < n) p_silu_mul(gr + i, ur + i, 1, n - i, stride, o + i, out_stride);                                             \
        }                                                                                                                           \
    }

STEER_DEFINE_SILU(a5, STEER_DECODE_AVX512, 16)
STEER_DEFINE_SILU(a2, STEER_DECODE_AVX2, 8)
#endif  // x86-64

// ---------------------------------------------------------------- entry points

#ifdef STEER_DECODE_X86
/// The AVX2 path of steer_kernels.h does not require FMA; these kernels do (every AVX2 CPU but a few has it).
static int has_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma");
}
#endif

void steer_gemm_rows_path(int path, const float *x, size_t rows, size_t ldx, const void *w, int dtype, size_t k, size_t col0,
                          size_t col1, float *y, size_t ldy) {
    if (rows == 0 || col1 <= col0) return;
#ifdef STEER_DECODE_X86
    switch (steer_kernels_resolve(path)) {
    case STEER_KERNEL_AVX512: a5_gemm_rows(x, rows, ldx, w, dtype, k, col0, col1, y, ldy); return;
    case STEER_KERNEL_AVX2:
        if (!has_fma()) break;
        a2_gemm_rows(x, rows, ldx, w, dtype, k, col0, col1, y, ldy);
        return;
    default: break;
    }
#endif
    p_gemm_rows(x, rows, ldx, w, dtype, k, col0, col1, y, ldy);
}

void steer_gemm_rows(const float *x, size_t rows, size_t ldx, const void *w, int dtype, size_t k, size_t col0, size_t col1, float *y,
                     size_t ldy) {
    steer_gemm_rows_path(STEER_KERNEL_DEFAULT, x, rows, ldx, w, dtype, k, col0, col1, y, ldy);
}

void steer_attend_row_path(int path, const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last, size_t dim,
                           float scale, float cap, float *scores, float *out) {
#ifdef STEER_DECODE_X86
    switch (steer_kernels_resolve(path)) {
    case STEER_KERNEL_AVX512: a5_attend_row(q, k, v, ld, first, last, dim, scale, cap, scores, out); return;
    case STEER_KERNEL_AVX2:
        if (!has_fma()) break;
        a2_attend_row(q, k, v, ld, first, last, dim, scale, cap, scores, out);
        return;
    default: break;
    }
#endif
    p_attend_row(q, k, v, ld, first, last, dim, scale, cap, scores, out);
}

void steer_attend_row(const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last, size_t dim, float scale,
                      float cap, float *scores, float *out) {
    steer_attend_row_path(STEER_KERNEL_DEFAULT, q, k, v, ld, first, last, dim, scale, cap, scores, out);
}

void steer_silu_mul_path(int path, const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out, size_t out_stride) {
#ifdef STEER_DECODE_X86
    switch (steer_kernels_resolve(path)) {
    case STEER_KERNEL_AVX512: a5_silu_mul(g, u, rows, n, stride, out, out_stride); return;
    case STEER_KERNEL_AVX2:
        if (!has_fma()) break;
        a2_silu_mul(g, u, rows, n, stride, out, out_stride);
        return;
    default: break;
    }
#endif
    p_silu_mul(g, u, rows, n, stride, out, out_stride);
}

void steer_silu_mul(const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out, size_t out_stride) {
    steer_silu_mul_path(STEER_KERNEL_DEFAULT, g, u, rows, n, stride, out, out_stride);
}

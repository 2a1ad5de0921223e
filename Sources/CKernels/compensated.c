// Compensated (double-double) accumulation for steer's statistics files: the sum of many Float64
// values kept as hi + lo, so that any split of the rows and any merge order give the same result to
// within one unit in the last place of hi. No fused multiply-add and no reassociation (Knuth's
// TwoSum needs exact IEEE addition, which every path below keeps: the same operations lane by lane,
// so every path gives the same bits). The loop is compiled three times, for the portable, AVX2 and
// AVX-512 paths, and the widest the CPU has runs.
#include <string.h>
#include "steer_kernels.h"

// TwoSum: s + e == a + b exactly.
#define TWO_SUM(a, b, s, e) do { double s_ = (a) + (b); double bb_ = s_ - (a); (e) = ((a) - (s_ - bb_)) + ((b) - bb_); (s) = s_; } while (0)

#define ACCUMULATE_BODY                                  \
    for (size_t i = 0; i < n; i++) {                     \
        double s, e;                                     \
        TWO_SUM(hi[i], x[i], s, e);                      \
        hi[i] = s;                                       \
        lo[i] += e;                                      \
    }

// Four rows per pass over hi and lo, each added in row order exactly as four single calls would
// (the same operations, in the same order, on each element): the same bits, a quarter of the
// memory traffic on the accumulators.
#define ACCUMULATE4_BODY                                 \
    for (size_t i = 0; i < n; i++) {                     \
        double h = hi[i], l = lo[i], s, e;               \
        TWO_SUM(h, x0[i], s, e); h = s; l += e;          \
        TWO_SUM(h, x1[i], s, e); h = s; l += e;          \
        TWO_SUM(h, x2[i], s, e); h = s; l += e;          \
        TWO_SUM(h, x3[i], s, e); h = s; l += e;          \
        hi[i] = h;                                       \
        lo[i] = l;                                       \
    }
#define ACCUMULATE4_ARGS const double *restrict x0, const double *restrict x1, const double *restrict x2, const double *restrict x3, \
    size_t n, double *restrict hi, double *restrict lo

static void accumulate4_portable(ACCUMULATE4_ARGS) { ACCUMULATE4_BODY }
__attribute__((target("avx2"))) static void accumulate4_avx2(ACCUMULATE4_ARGS) { ACCUMULATE4_BODY }
__attribute__((target("avx512f"))) static void accumulate4_avx512(ACCUMULATE4_ARGS) { ACCUMULATE4_BODY }

void steer_accumulate_compensated4(const double *x0, const double *x1, const double *x2, const double *x3, size_t n, double *hi, double *lo) {
    switch (steer_kernels_path()) {
    case STEER_KERNEL_AVX512: accumulate4_avx512(x0, x1, x2, x3, n, hi, lo); break;
    case STEER_KERNEL_AVX2: accumulate4_avx2(x0, x1, x2, x3, n, hi, lo); break;
    default: accumulate4_portable(x0, x1, x2, x3, n, hi, lo); break;
    }
}

static void accumulate_portable(const double *restrict x, size_t n, double *restrict hi, double *restrict lo) { ACCUMULATE_BODY }
__attribute__((target("avx2"))) static void accumulate_avx2(const double *restrict x, size_t n, double *restrict hi, double *restrict lo) {
    ACCUMULATE_BODY
}
__attribute__((target("avx512f"))) static void accumulate_avx512(const double *restrict x, size_t n, double *restrict hi, double *restrict lo) {
    ACCUMULATE_BODY
}

void steer_accumulate_compensated(const double *x, size_t n, double *hi, double *lo) {
    switch (steer_kernels_path()) {
    case STEER_KERNEL_AVX512: accumulate_avx512(x, n, hi, lo); break;
    case STEER_KERNEL_AVX2: accumulate_avx2(x, n, hi, lo); break;
    default: accumulate_portable(x, n, hi, lo); break;
    }
}

void steer_merge_compensated(const double *hi2, const double *lo2, size_t n, double *hi, double *lo) {
    for (size_t i = 0; i < n; i++) {
        double s, e;
        TWO_SUM(hi[i], hi2[i], s, e);
        double l = lo[i] + lo2[i] + e;
        // Renormalize (FastTwoSum: |s| ≥ |l|).
        double t = s + l;
        lo[i] = l - (t - s);
        hi[i] = t;
    }
}

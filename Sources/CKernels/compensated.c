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

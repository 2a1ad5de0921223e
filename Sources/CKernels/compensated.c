// Compensated (double-double) accumulation for steer's statistics files: the sum of many Float64
// values kept as hi + lo, so that any split of the rows and any merge order give the same result to
// within one unit in the last place of hi. Plain C, no fused multiply-add and no reassociation
// (Knuth's TwoSum needs exact IEEE addition), vectorized by the compiler across columns.
#include <string.h>
#include "steer_kernels.h"

// TwoSum: s + e == a + b exactly.
#define TWO_SUM(a, b, s, e) do { double s_ = (a) + (b); double bb_ = s_ - (a); (e) = ((a) - (s_ - bb_)) + ((b) - bb_); (s) = s_; } while (0)

void steer_accumulate_compensated(const double *x, size_t n, double *hi, double *lo) {
    for (size_t i = 0; i < n; i++) {
        double s, e;
        TWO_SUM(hi[i], x[i], s, e);
        hi[i] = s;
        lo[i] += e;
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

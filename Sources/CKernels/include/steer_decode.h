// Kernels of the decode step (Sources/Runtime): a few rows against every weight, where a packed
// `sgemm` spends more time copying the weights into its panels than multiplying them.
//
// Each streams the weights once per call, straight from their stored dtype, and keeps the rows in
// cache. Sums are over 16 lanes (AVX-512), 8 (AVX2) or one (portable) in fused multiply-adds,
// then reduced across lanes: the same contract as `sgemm` (float32 products summed in an order
// of the library's choosing), not bit-identical across paths. The path is the one of
// steer_kernels.h (STEER_KERNELS, steer_kernels_force), or given with `_path`.
#ifndef STEER_DECODE_H
#define STEER_DECODE_H
#include <stddef.h>

/// y[r·ldy + j] = Σᵢ x[r·ldx + i] · W[j, i] for r < rows and col0 ≤ j < col1, with W stored
/// `[·, k]` row-major in `dtype` (STEER_F32, STEER_F16 or STEER_BF16): `nn.Linear`'s x Wᵀ.
void steer_gemm_rows(const float *x, size_t rows, size_t ldx, const void *w, int dtype, size_t k, size_t col0, size_t col1, float *y,
                     size_t ldy);
void steer_gemm_rows_path(int path, const float *x, size_t rows, size_t ldx, const void *w, int dtype, size_t k, size_t col0,
                          size_t col1, float *y, size_t ldy);

/// One query row of softmax attention over keys first...last (inclusive), keys and values rows of
/// `dim` with stride `ld`: sⱼ = scale · q·kⱼ, then `cap` > 0 soft-caps (s = cap·tanh(s/cap)),
/// p = softmax(s), out = Σⱼ pⱼ vⱼ. `scores` holds last + 1 floats of scratch.
void steer_attend_row(const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last, size_t dim, float scale,
                      float cap, float *scores, float *out);
void steer_attend_row_path(int path, const float *q, const float *k, const float *v, size_t ld, size_t first, size_t last, size_t dim,
                           float scale, float cap, float *scores, float *out);

#endif

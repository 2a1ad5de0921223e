// Element-wise kernels of the forward pass (Sources/Runtime), over float32 rows.
//
// Each computes the formula stated, in float32, products and sums rounded separately (no fused
// multiply-add: the file is compiled with contraction off), the reductions in the order of i, as
// transformers' float32 modules compute them up to the order of their sums.
#ifndef STEER_RUNTIME_H
#define STEER_RUNTIME_H
#include <stddef.h>

/// RMSNorm of `rows` rows of `n` (row stride `stride` in and out):
/// out = x · rsqrt(mean(x²) + eps) · (offset + w), offset 0 (Llama) or 1 (Gemma's (1 + γ)).
void steer_rms_norm(const float *x, size_t rows, size_t n, size_t stride, const float *w, float offset, float eps, float *out);

/// LayerNorm (GPT-2): out = (x − mean) · rsqrt(var + eps) · w + b, var the biased variance.
void steer_layer_norm(const float *x, size_t rows, size_t n, const float *w, const float *b, float eps, float *out);

/// Rotary embedding in place, transformers' rotate_half layout, on `heads` heads of `dim` per row
/// (row stride `stride`), with per row cos/sin tables of dim/2 values:
/// x'[i] = x[i]·c[i] − x[i+h]·s[i], x'[i+h] = x[i+h]·c[i] + x[i]·s[i], h = dim/2.
void steer_rope(float *x, size_t rows, size_t stride, size_t heads, size_t dim, const float *cos, const float *sin);

/// Softmax in place of `x[0..<n]` (the allowed keys); `cap` > 0 first soft-caps: x = cap·tanh(x/cap).
void steer_softmax(float *x, size_t n, float cap);

/// out[i] = silu(g[i]) · u[i] = g / (1 + exp(−g)) · u, over `rows` rows of `n` (strides given);
/// defined in decode.c, with e^x in vector lanes on the AVX paths (steer_silu_mul_path, steer_decode.h).
void steer_silu_mul(const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out, size_t out_stride);

/// out[i] = gelu_tanh(g[i]) · u[i] (Gemma), or gelu_tanh(g[i]) when u is NULL (GPT-2's gelu_new):
/// gelu_tanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
void steer_gelu_mul(const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out, size_t out_stride);

/// y[r, i] += x[r, i] over `rows` rows of `n` (strides given): the residual add.
void steer_add_rows(float *y, size_t y_stride, const float *x, size_t x_stride, size_t rows, size_t n);

/// y[r, i] += b[i] (a bias) over `rows` rows of `n`, row stride `stride`.
void steer_add_bias(float *y, size_t rows, size_t n, size_t stride, const float *b);

#endif

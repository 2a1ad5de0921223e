#include "steer_runtime.h"
#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

void steer_rms_norm(const float *x, size_t rows, size_t n, size_t stride, const float *w, float offset, float eps, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * stride;
        float *o = out + r * stride;
        float sum = 0;
        for (size_t i = 0; i < n; i++) sum += row[i] * row[i];
        float scale = 1.0f / sqrtf(sum / (float)n + eps);
        for (size_t i = 0; i < n; i++) o[i] = (row[i] * scale) * (offset + w[i]);
    }
}

void steer_layer_norm(const float *x, size_t rows, size_t n, const float *w, const float *b, float eps, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * n;
        float *o = out + r * n;
        float sum = 0;
        for (size_t i = 0; i < n; i++) sum += row[i];
        float mean = sum / (float)n;
        float var = 0;
        for (size_t i = 0; i < n; i++) var += (row[i] - mean) * (row[i] - mean);
        float scale = 1.0f / sqrtf(var / (float)n + eps);
        for (size_t i = 0; i < n; i++) o[i] = ((row[i] - mean) * scale) * w[i] + b[i];
    }
}

void steer_rope(float *x, size_t rows, size_t stride, size_t heads, size_t dim, const float *cos, const float *sin) {
    size_t h = dim / 2;
    for (size_t r = 0; r < rows; r++) {
        const float *c = cos + r * h, *s = sin + r * h;
        for (size_t head = 0; head < heads; head++) {
            float *v = x + r * stride + head * dim;
            for (size_t i = 0; i < h; i++) {
                float a = v[i], b = v[i + h];
                v[i] = a * c[i] - b * s[i];
                v[i + h] = b * c[i] + a * s[i];
            }
        }
    }
}

void steer_softmax(float *x, size_t n, float cap) {
    if (cap > 0)
        for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i] / cap) * cap;
    float max = -INFINITY;
    for (size_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    float sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (size_t i = 0; i < n; i++) x[i] = x[i] / sum;
}

void steer_gelu_mul(const float *g, const float *u, size_t rows, size_t n, size_t stride, float *out, size_t out_stride) {
    const float k = 0.7978845608028654f;  // √(2/π)
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++) {
            float v = g[r * stride + i];
            float y = 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
            out[r * out_stride + i] = u ? y * u[r * stride + i] : y;
        }
}

void steer_add_rows(float *y, size_t y_stride, const float *x, size_t x_stride, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++) y[r * y_stride + i] += x[r * x_stride + i];
}

void steer_add_bias(float *y, size_t rows, size_t n, size_t stride, const float *b) {
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++) y[r * stride + i] += b[i];
}

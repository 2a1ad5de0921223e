// Inner loops of steer over raw little-endian element data.
//
// Swift code is compiled for baseline x86-64 (SSE2) unless a package passes unsafe
// flags, which would stop others from depending on the library. These C loops are
// built twice instead: a portable version and an AVX2 + FMA + F16C version picked at
// run time with __builtin_cpu_supports, as numpy does.
#ifndef STEER_KERNELS_H
#define STEER_KERNELS_H
#include <stddef.h>

/// Element types; the values match Steering.DType's kernel codes.
enum { STEER_F32 = 0, STEER_F64 = 1, STEER_F16 = 2, STEER_BF16 = 3 };

/// acc[i] += (double)x[i], for i < n.
void steer_accumulate(const void *x, int dtype, size_t n, double *acc);
/// acc[i] += ((double)a[i] + (double)b[i]) + ((double)c[i] + (double)d[i]), for i < n.
void steer_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc);
/// Sum of x[i] * v[i] in double, in a fixed order (identical rows give identical results).
double steer_dot(const void *x, int dtype, size_t n, const double *v);
/// One pass over x: out[0] = x·u, out[1] = x·v, out[2] = x·x, in double, fixed order.
void steer_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]);
/// acc[i] += alpha * (double)x[i], for i < n.
void steer_axpy(const void *x, int dtype, size_t n, double alpha, double *acc);
/// out[i] = (double)x[i].
void steer_to_f64(const void *x, int dtype, size_t n, double *out);
/// out[i] = (float)x[i] (doubles rounded to nearest).
void steer_to_f32(const void *x, int dtype, size_t n, float *out);
/// Number of NaN or infinite elements.
size_t steer_count_nonfinite(const void *x, int dtype, size_t n);

#endif

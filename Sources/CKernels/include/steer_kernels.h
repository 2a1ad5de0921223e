// Inner loops of steer over raw little-endian element data.
//
// Swift code is compiled for baseline x86-64 (SSE2) unless a package passes unsafe
// flags, which would stop others from depending on the library. These C loops are
// built three times instead: a portable version, an AVX2 + F16C version and an
// AVX-512 (F, BW, VL, DQ) version, each marked with __attribute__((target(...))) so the
// package still builds for baseline x86-64. The best version the CPU supports is picked
// at run time with __builtin_cpu_supports, as numpy does.
//
// Every path gives bit-identical results (a score does not depend on the machine):
//
//   * No fused multiply-add anywhere: a * b + c is a rounded product, then a rounded sum
//     (the file is compiled with floating-point contraction off).
//   * Element-wise kernels (accumulate, accumulate4, axpy, conversions) compute each
//     output element by the formula stated below, which leaves no choice of order.
//   * Reductions (dot, dot2_norm) use one canonical order. With p[i] the rounded
//     product of element i (x[i] * v[i], x[i] * u[i] or x[i] * x[i]):
//         lane[k] = +0.0 for k < 16;
//         for i = 0, 1, ..., n - 1:  lane[i % 16] = lane[i % 16] + p[i];   (in order of i)
//         s8[k] = lane[k] + lane[k + 8]   for k < 8;
//         s4[k] = s8[k]   + s8[k + 4]     for k < 4;
//         result = (s4[0] + s4[2]) + (s4[1] + s4[3]);
//     That is 16 independent accumulators (four AVX2 registers or two AVX-512
//     registers), the tail continuing the same lane assignment, then halves folded
//     onto each other.
//   * One exception: when an arithmetic result is NaN (a NaN or an infinity in the input),
//     it is a NaN on every path, but its sign and payload may differ (x86 propagates the
//     NaN of one operand, and compilers may swap the operands of +).
//
// Conversions. Widening is exact. To float32, float16 and bfloat16 NaNs are kept exactly
// (sign and payload, even signalling ones); to float64 a NaN becomes quiet (as the
// hardware float -> double conversion does). Narrowing rounds to nearest, ties to even,
// once, directly from the source value (float64 -> float16 and float64 -> bfloat16 are
// not rounded through float32); overflow gives +-infinity, infinities stay infinite, and a
// NaN stays a NaN of the same sign, made quiet, keeping the top bits of its payload
// (the bits that fit, as the x86 conversion instructions do).
//
// Paths. Every kernel has a `_path` variant taking the path first: STEER_KERNEL_DEFAULT
// (-1) means the process default; a path the CPU lacks is clamped to the best one it
// has, so no unsupported instruction ever runs. The process default is the best path,
// or the one named by the environment variable STEER_KERNELS (portable, avx2, avx512;
// read once, at first use; clamped likewise), or the one set by steer_kernels_force.
// The variants let a caller (a test) run a kernel on a given path without touching the
// process-wide default.
#ifndef STEER_KERNELS_H
#define STEER_KERNELS_H
#include <stddef.h>

/// Element types; the values match Steering.DType's kernel codes.
enum { STEER_F32 = 0, STEER_F64 = 1, STEER_F16 = 2, STEER_BF16 = 3 };

/// Kernel paths, from the most portable to the widest.
enum { STEER_KERNEL_DEFAULT = -1, STEER_KERNEL_PORTABLE = 0, STEER_KERNEL_AVX2 = 1, STEER_KERNEL_AVX512 = 2 };

/// The widest path this CPU (and OS) supports.
int steer_kernels_best(void);
/// The path the kernels without `_path` use (reads STEER_KERNELS on first use).
int steer_kernels_path(void);
/// Sets the default path, clamped to steer_kernels_best(); STEER_KERNEL_DEFAULT (or any
/// negative value) selects the best. Returns the path now in effect.
int steer_kernels_force(int path);
/// The path a call with `path` runs on: the default for negative values, else clamped
/// to steer_kernels_best().
int steer_kernels_resolve(int path);

/// acc[i] += (double)x[i], for i < n.
void steer_accumulate(const void *x, int dtype, size_t n, double *acc);
/// acc[i] += ((double)a[i] + (double)b[i]) + ((double)c[i] + (double)d[i]), for i < n.
void steer_accumulate4(const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc);
/// Sum of x[i] * v[i] in double, in the canonical order above.
double steer_dot(const void *x, int dtype, size_t n, const double *v);
/// One pass over x: out[0] = x·u, out[1] = x·v, out[2] = x·x, in double, canonical order.
void steer_dot2_norm(const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]);
/// acc[i] += alpha * (double)x[i] (product rounded, then sum rounded), for i < n.
void steer_axpy(const void *x, int dtype, size_t n, double alpha, double *acc);
/// out[i] = (double)x[i].
void steer_to_f64(const void *x, int dtype, size_t n, double *out);
/// out[i] = (float)x[i]: exact for f32, f16, bf16; float64 rounded as steer_from_f64.
void steer_to_f32(const void *x, int dtype, size_t n, float *out);
/// Number of NaN or infinite elements.
size_t steer_count_nonfinite(const void *x, int dtype, size_t n);
/// Narrowing (or copying) float64 to `dtype` (F32, F64, F16 or BF16): out[i] = x[i]
/// rounded to nearest even, as described above. `out` holds n elements of `dtype`
/// and must not overlap x.
void steer_from_f64(const double *x, size_t n, int dtype, void *out);
/// float32 to `dtype` (F32, F64, F16 or BF16), likewise (float64 is exact).
void steer_from_f32(const float *x, size_t n, int dtype, void *out);

// The same kernels on an explicit path (see above).
void steer_accumulate_path(int path, const void *x, int dtype, size_t n, double *acc);
void steer_accumulate4_path(int path, const void *a, const void *b, const void *c, const void *d, int dtype, size_t n, double *acc);
double steer_dot_path(int path, const void *x, int dtype, size_t n, const double *v);
void steer_dot2_norm_path(int path, const void *x, int dtype, size_t n, const double *u, const double *v, double out[3]);
void steer_axpy_path(int path, const void *x, int dtype, size_t n, double alpha, double *acc);
void steer_to_f64_path(int path, const void *x, int dtype, size_t n, double *out);
void steer_to_f32_path(int path, const void *x, int dtype, size_t n, float *out);
size_t steer_count_nonfinite_path(int path, const void *x, int dtype, size_t n);
void steer_from_f64_path(int path, const double *x, size_t n, int dtype, void *out);
void steer_from_f32_path(int path, const float *x, size_t n, int dtype, void *out);

/// Whether this thread runs a steer worker's iteration (thread-local; parallelFor sets it).
int steer_on_worker(void);
void steer_set_on_worker(int value);
/// Whether this thread holds BLASThreads' lock (thread-local; BLASThreads sets it).
int steer_holds_blas(void);
void steer_set_holds_blas(int value);

/// Asks the kernel to read `count` bytes of `fd` at `offset` into the page cache
/// (posix_fadvise WILLNEED) unless the range's first and last bytes are cached already;
/// returns whether it asked.
int steer_read_ahead(int fd, long offset, long count);

/// Whether the byte of `fd` at `offset` is in the page cache, as `steer_read_ahead` tells
/// (`preadv2` with `RWF_NOWAIT`); 0 also where the system or the file system cannot say.
int steer_read_ahead_probes(int fd, long offset);

/// A thread that starts the writeback of `fd`'s dirty pages every 50 ms (sync_file_range,
/// without waiting) until stopped; NULL when no thread could be made (then there is none to stop).
struct steer_writeback;
struct steer_writeback *steer_writeback_start(int fd);
/// Stops and frees the thread (NULL: nothing).
void steer_writeback_stop(struct steer_writeback *w);

// Allocations of 1 MB and more mapped and unmapped (mallopt M_MMAP_THRESHOLD; nothing off Linux).
void steer_map_large_allocations(void);

/// copy_file_range(2): copies `count` bytes between files in the kernel, advancing both offsets.
/// Returns the bytes copied, 0 at end of input, or -1 with errno set (ENOSYS, EXDEV, EINVAL: fall back).
long steer_copy_file_range(int in_fd, long long *in_offset, int out_fd, long long *out_offset, unsigned long count);

/// Compensated sums: hi[i] + lo[i] += x[i] (Knuth's TwoSum; the error of each addition is kept in lo).
void steer_accumulate_compensated(const double *x, size_t n, double *hi, double *lo);
/// The same for four rows x0…x3, added in that order (the same bits as four calls).
void steer_accumulate_compensated4(const double *x0, const double *x1, const double *x2, const double *x3, size_t n, double *hi, double *lo);
/// Compensated merge: (hi, lo) += (hi2, lo2), renormalized so that |lo| ≤ ulp(hi)/2.
void steer_merge_compensated(const double *hi2, const double *lo2, size_t n, double *hi, double *lo);

#endif


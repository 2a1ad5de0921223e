// copy_file_range(2) is a GNU extension, invisible to Swift's Glibc module: a thin wrapper.
#define _GNU_SOURCE
#include <unistd.h>
#include "steer_kernels.h"

long steer_copy_file_range(int in_fd, long long *in_offset, int out_fd, long long *out_offset, unsigned long count) {
    off_t in = (off_t)*in_offset, out = (off_t)*out_offset;
    ssize_t n = copy_file_range(in_fd, &in, out_fd, &out, (size_t)count, 0);
    *in_offset = (long long)in;
    *out_offset = (long long)out;
    return (long)n;
}

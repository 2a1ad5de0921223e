// Read-ahead advice for steer's streamed reads (Readahead.swift): the kernel is asked to read a
// range into the page cache unless it is there already. preadv2 with RWF_NOWAIT (a GNU
// extension, invisible to Swift's Glibc module) reads a byte only if its page is cached, so a
// cached range costs two system calls instead of a posix_fadvise that walks its every page.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/uio.h>
#include "steer_kernels.h"

static int cached(int fd, long offset) {
#ifdef RWF_NOWAIT
    char byte;
    struct iovec v = {&byte, 1};
    return preadv2(fd, &v, 1, offset, RWF_NOWAIT) == 1;
#else
    (void)fd;
    (void)offset;
    return 0;
#endif
}

int steer_read_ahead_probes(int fd, long offset) { return cached(fd, offset); }

int steer_read_ahead(int fd, long offset, long count) {
    if (count <= 0) return 0;
    if (cached(fd, offset) && cached(fd, offset + count - 1)) return 0;
    posix_fadvise(fd, offset, count, POSIX_FADV_WILLNEED);  // advice: an error changes nothing
    return 1;
}

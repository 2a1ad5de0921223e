// Large allocations straight from mmap: glibc raises its mmap threshold after each large free,
// so buffers of ever other sizes (a streamed pass's, sized by its tensor's rows) then come from
// the heap and pile up there when freed. mallopt is in malloc.h, invisible to Swift's Glibc module.
#include "steer_kernels.h"
#if defined(__linux__)
#include <malloc.h>
void steer_map_large_allocations(void) { mallopt(M_MMAP_THRESHOLD, 1 << 20); }
#else
void steer_map_large_allocations(void) {}
#endif

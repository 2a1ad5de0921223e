// Whether the current thread is one of steer's streaming workers (a thread-local flag, which
// Swift has no direct spelling for): set by parallelFor around each iteration.
#include "steer_kernels.h"

static _Thread_local int on_worker;

int steer_on_worker(void) { return on_worker; }

void steer_set_on_worker(int value) { on_worker = value; }

// Whether the current thread holds BLASThreads' lock (so a nested section does not wait on itself).
static _Thread_local int holds_blas;

int steer_holds_blas(void) { return holds_blas; }

void steer_set_holds_blas(int value) { holds_blas = value; }

// BLAS and LAPACK for steer: OpenBLAS's CBLAS interface and the LAPACKE C interface.
// Debian: libopenblas-dev (cblas.h, libopenblas) and liblapacke-dev (lapacke.h, liblapacke).
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS threading control (declared by OpenBLAS's cblas.h as well; repeated for clarity).

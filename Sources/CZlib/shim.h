// zlib for steer: inflating deflated .npz members. Debian: zlib1g-dev (zlib.h, libz).
#include <zlib.h>

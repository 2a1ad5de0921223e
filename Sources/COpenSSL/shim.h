// OpenSSL's libcrypto for steer: SHA-256 of statistics files' sources. Debian: libssl-dev (openssl/sha.h, libcrypto).
#include <openssl/sha.h>

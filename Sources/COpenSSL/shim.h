// COpenSSL exists only to let Swift import Debian's libcrypto (libssl-dev) through pkg-config,
// for AES-256-GCM with a cipher context reused across calls (no allocation per event) and
// OpenSSL's per-thread random generator.
#include <openssl/evp.h>
#include <openssl/rand.h>

// CZstd exists only to let Swift import Debian's libzstd (libzstd-dev) through pkg-config;
// ZSTD_STATIC_LINKING_ONLY is not defined: only the stable API is used.
#include <zstd.h>
#include <zdict.h>

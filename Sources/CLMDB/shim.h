// CLMDB exists only to let Swift import Debian's liblmdb (liblmdb-dev) through pkg-config;
// everything Swift needs is in lmdb.h itself, so the shim adds nothing.
#include <lmdb.h>

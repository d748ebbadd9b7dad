// CNATS exists only to let Swift import Debian's NATS C client (libnats-dev, JetStream
// included) through pkg-config; everything Swift needs is in nats.h itself.
#include <nats/nats.h>

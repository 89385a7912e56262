#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// The 64 round constants K (FIPS 180-4 §4.2.2), for the portable code as well.
extern const uint32_t csha256_round_constants[64];

/// Whether this processor has the SHA extensions (and the SSSE3 and SSE4.1 they are used
/// with): 0 elsewhere, and on processors other than x86-64.
int csha256_hardware(void);

/// Hashes `blocks` 64-byte blocks at `data` into `state` (a, b, ..., h) with the SHA
/// extensions; only called when `csha256_hardware()` says they are there.
void csha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif

#ifndef CDRAWS_H
#define CDRAWS_H

#include <stdint.h>

/// Whether `cdraws_word` can run on this processor: x86-64 with AVX-512 F, DQ and VL (for
/// 64-bit multiplies four lanes at a time), their registers saved by the system. 0 elsewhere.
int cdraws_vector(void);

/// The draws of bits 0 ..< `count` of a word (`count` at most 64): `draws[b]` is SplitMix64's
/// finalizer of `prefix ^ (first + b)` (`CounterRandom.mix64`), for b up to `count` rounded up
/// to a multiple of four (`draws` has room for 64). Returns the bits b < `count` whose draw's
/// top 53 bits are below `threshold`. Only called when `cdraws_vector()` says it can run.
uint64_t cdraws_word(uint64_t prefix, uint64_t first, int count, uint64_t threshold, uint64_t *draws);

#endif

#include "cdraws.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int cdraws_vector(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    // OSXSAVE: the system says which registers it saves, in XCR0.
    if (!((c >> 27) & 1)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, vl = (b >> 31) & 1;
    if (!(f && dq && vl)) return 0;
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    // SSE, AVX, the opmasks and both halves of the upper registers.
    return (low & 0xE6) == 0xE6;
}

// 256-bit vectors: the same lanes a cycle as 512-bit ones on processors that split those,
// without the clock that wide vectors cost others.
__attribute__((target("avx512f,avx512dq,avx512vl")))
uint64_t cdraws_word(uint64_t prefix, uint64_t first, int count, uint64_t threshold, uint64_t *draws) {
    const __m256i lanes = _mm256_set_epi64x(3, 2, 1, 0);
    const __m256i first_constant = _mm256_set1_epi64x((long long)0xBF58476D1CE4E5B9ULL);
    const __m256i second_constant = _mm256_set1_epi64x((long long)0x94D049BB133111EBULL);
    const __m256i below = _mm256_set1_epi64x((long long)threshold);
    const __m256i key = _mm256_set1_epi64x((long long)prefix);
    uint64_t mask = 0;
    for (int b = 0; b < count; b += 4) {
        __m256i z = _mm256_xor_si256(key, _mm256_add_epi64(_mm256_set1_epi64x((long long)(first + (uint64_t)b)), lanes));
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 30));
        z = _mm256_mullo_epi64(z, first_constant);
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 27));
        z = _mm256_mullo_epi64(z, second_constant);
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
        _mm256_storeu_si256((__m256i *)(draws + b), z);
        mask |= (uint64_t)_mm256_cmplt_epu64_mask(_mm256_srli_epi64(z, 11), below) << b;
    }
    return count >= 64 ? mask : mask & ((1ULL << count) - 1);
}
#else
int cdraws_vector(void) { return 0; }

uint64_t cdraws_word(uint64_t prefix, uint64_t first, int count, uint64_t threshold, uint64_t *draws) {
    (void)prefix, (void)first, (void)count, (void)threshold, (void)draws;
    return 0;
}
#endif

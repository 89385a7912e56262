#include <zlib.h>

/// `deflateInit2` is a macro, which Swift cannot call.
static inline int czlib_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// A gzip stream with a chosen window (9...15: 2^bits bytes) and hash memory (1...9):
/// zlib's deflate holds 2^(windowBits+2) + 2^(memLevel+9) bytes.
static inline int czlib_deflate_init_gzip_sized(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits + 16, memLevel, Z_DEFAULT_STRATEGY);
}

/// Raw deflate, no header or trailer: the form of a zip member.
static inline int czlib_deflate_init_raw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/// `inflateInit2` is a macro, which Swift cannot call; 15 + 32 accepts gzip and zlib headers.
static inline int czlib_inflate_init_auto(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}

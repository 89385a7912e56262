#!/usr/bin/env bash
# Fuzzes the HTTP request decoder and the API's router with libFuzzer and AddressSanitizer.
#   scripts/fuzz-http.sh [seconds]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name HTTPFuzz -D FUZZING \
    Sources/HTTP/HTTPDecoder.swift Sources/HTTP/HTTPRequest.swift Sources/HTTP/HTTPLimits.swift \
    Sources/HTTP/HTTPError.swift Sources/HTTP/HTTPStatus.swift Sources/MorphicServer/Route.swift \
    Sources/MorphicData/RunIdentifier.swift Fuzz/HTTPDecoderFuzz.swift \
    -o "$work/fuzz-http"
mkdir -p "$work/corpus"
printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' > "$work/corpus/get"
printf 'GET /api/sweeps/s-1/runs?offset=9223372036854775807&limit=10 HTTP/1.1\r\nHost: a\r\n\r\n' > "$work/corpus/runs"
printf 'DELETE http://h:1/api/sweeps/s-1 HTTP/1.1\r\nHost: a\r\n\r\n' > "$work/corpus/absolute"
printf 'POST /api/sweeps HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}' > "$work/corpus/post"
printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n' > "$work/corpus/chunked"
printf 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx' > "$work/corpus/expect"
"$work/fuzz-http" -max_total_time="$seconds" -max_len=4096 -timeout=5 "$work/corpus"

#!/usr/bin/env bash
# Compares this server with Hummingbird 2 on GET /api/sweeps/{id}, in one run: both release
# builds on loopback, the same document, the same load generator, rounds taken in turn so
# both see the same machine.
#   scripts/bench-http.sh [rounds, default 3] [seconds a round, default 8] [connections, default 64]
# Needs wrk (Debian: apt-get install wrk). Hummingbird is built outside the repository, in
# $HUMMINGBIRD_DIR (default /tmp/morphic-bench-hummingbird), from the packages Swift finds
# for https://github.com/hummingbird-project/hummingbird (version $HUMMINGBIRD_VERSION).
# MORPHIC=path uses that build of this server instead of building one. Not part of the test
# suite: it takes minutes, and its figures follow the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-8}
connections=${3:-64}
hummingbird_dir=${HUMMINGBIRD_DIR:-/tmp/morphic-bench-hummingbird}
hummingbird_version=${HUMMINGBIRD_VERSION:-2.28.1}
command -v wrk > /dev/null || { echo "bench-http: wrk is needed (apt-get install wrk)" >&2; exit 1; }
[ -x /opt/swift/usr/bin/swift ] && PATH=/opt/swift/usr/bin:$PATH

if [ -n "${MORPHIC:-}" ]; then
    morphic=$MORPHIC
else
    echo "building this server (release)…"
    swift build -c release --product morphic > /dev/null
    morphic=$(swift build -c release --show-bin-path)/morphic
fi

echo "building Hummingbird $hummingbird_version in $hummingbird_dir (release)…"
mkdir -p "$hummingbird_dir/Sources/hb"
cat > "$hummingbird_dir/Package.swift" << EOF
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "hb",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "$hummingbird_version")
    ],
    targets: [.executableTarget(name: "hb", dependencies: [.product(name: "Hummingbird", package: "hummingbird")])]
)
EOF
cat > "$hummingbird_dir/Sources/hb/main.swift" << 'EOF'
import Foundation
import Hummingbird

// hb PORT FILE: answers GET /api/sweeps/{id} with FILE's bytes as application/json.
let port = Int(CommandLine.arguments[1])!
let document = try Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[2]))
let buffer = ByteBuffer(bytes: document)
let router = Router()
router.get("/api/sweeps/:id") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
EOF
(cd "$hummingbird_dir" && swift build -c release > build.log 2>&1) || { cat "$hummingbird_dir/build.log" >&2; exit 1; }
hummingbird=$(cd "$hummingbird_dir" && swift build -c release --show-bin-path)/hb

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

"$morphic" serve --port 0 --data-dir "$work/data" --workers 1 > "$work/out" 2> /dev/null &
pids+=($!)
port=
for _ in $(seq 100); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "bench-http: the server did not start" >&2; exit 1; }
base=http://127.0.0.1:$port
id=$(curl -sf -X POST -H 'Content-Type: application/json' --data @Config/sweeps/seed.json "$base/api/sweeps" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do
    curl -sf "$base/api/sweeps/$id" > "$work/status.json"
    grep -q '"status" *: *"completed"' "$work/status.json" && break
    sleep 0.1
done
grep -q '"status" *: *"completed"' "$work/status.json" || { echo "bench-http: the seed sweep did not finish" >&2; exit 1; }

# The finished sweep's status changes no more: Hummingbird answers these very bytes.
hummingbird_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$hummingbird" "$hummingbird_port" "$work/status.json" > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$hummingbird_port/api/sweeps/$id" > "$work/hb.json" 2> /dev/null && break
    sleep 0.1
done
cmp -s "$work/status.json" "$work/hb.json" || { echo "bench-http: the two servers answer differently" >&2; exit 1; }

# One round: wrk's requests per second and its p50 and p99 latencies in milliseconds.
measure() {
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }; printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c$connections -d${seconds}s, $rounds rounds"
printf '%-6s %-12s %10s %9s %9s\n' round server "req/s" "p50 ms" "p99 ms"
for round in $(seq "$rounds"); do
    read -r ours_rps ours_p50 ours_p99 < <(measure "$base/api/sweeps/$id")
    read -r hb_rps hb_p50 hb_p99 < <(measure "http://127.0.0.1:$hummingbird_port/api/sweeps/$id")
    printf '%-6s %-12s %10s %9s %9s\n' "$round" morphic "$ours_rps" "$ours_p50" "$ours_p99"
    printf '%-6s %-12s %10s %9s %9s\n' "$round" hummingbird "$hb_rps" "$hb_p50" "$hb_p99"
    awk -v a="$ours_rps" -v b="$hb_rps" -v p="$ours_p99" -v q="$hb_p99" \
        'BEGIN { printf "%-6s ratio %.2fx, p99 %s\n", "", a / b, (p <= q ? "no worse" : "worse") }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

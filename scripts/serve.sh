#!/usr/bin/env bash
# Builds the release binary and starts the job server on its built-in defaults
# (http://127.0.0.1:8080, data in ./data). Extra arguments go to 'morphic serve'.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build -c release --product morphic
exec .build/release/morphic serve "$@"

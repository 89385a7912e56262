#!/usr/bin/env bash
# Builds the release binary and demonstrates one morphic run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build -c release --product morphic
.build/release/morphic run --mode=morphic --field-strength=0.8 --run-id=demo "$@"

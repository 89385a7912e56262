#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# Tools the tests use to check the product from outside.
python3 -c 'import openapi_spec_validator' 2>/dev/null || pip install -q openapi-spec-validator
command -v curl >/dev/null || apt-get install -y -qq curl >/dev/null

swift build --build-tests
swift test --skip-build

#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs first: the Swift tests (model,
# datasets, HTTP, the server end to end) and the browser test in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# Tools the tests use to check the product from outside.
need=()
command -v curl >/dev/null || need+=(curl)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    echo "test: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
python3 -c 'import openapi_spec_validator' 2>/dev/null || pip install -q openapi-spec-validator
command -v schemathesis >/dev/null || pip install -q schemathesis
python3 -c 'import selenium' 2>/dev/null || pip install -q selenium
command -v kubernetes-validate >/dev/null || pip install -q kubernetes-validate
# axe-core, bundled in this package, checks the page's accessibility offline.
python3 -c 'import axe_selenium_python' 2>/dev/null || pip install -q axe-selenium-python
python3 -c 'import pandas, sklearn, matplotlib' 2>/dev/null || pip install -q -r examples/python/requirements.txt

# Each stage says how long it took, so a slow suite shows where its time goes.
stage() {
    local started=$SECONDS
    "$@"
    echo "test: $1 $(basename -- "${2:-}") took $((SECONDS - started)) s (${SECONDS} s so far)" >&2
}
client_tests() {
    # No RETURN trap: it would stay set and fire again when `stage` returns.
    local venv status=0
    venv=$(mktemp -d /tmp/morphiclab-venv.XXXXXX)
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q "./clients/python[test]" &&
        "$venv/bin/python" -m pytest -q clients/python/tests --morphic "$1"; } || status=$?
    rm -rf "$venv"
    return "$status"
}

stage swift build --build-tests

# A real single-node Slurm cluster for the Slurm executor's tests, stopped on exit.
slurm_dir=$(mktemp -d /tmp/morphic-slurm.XXXXXX)
trap 'bash scripts/slurm-local.sh stop "$slurm_dir"; rm -rf "$slurm_dir"' EXIT
eval "$(bash scripts/slurm-local.sh start "$slurm_dir")"

stage swift test --skip-build

morphic="$(swift build --show-bin-path)/morphic"

# The checks from outside share nothing but the binary (each starts its own servers on
# port 0 and works in its own temporary folders), so they run in two lanes side by side:
# each mostly waits on a browser, a server or pip, and run one after another they took
# about twelve minutes of the suite's twenty. Each line is marked with its lane.
page_lane() {
    # The browser page, driven by a real browser; screenshots go to test-artifacts/.
    stage python3 Tests/browser/test_page.py "$morphic" test-artifacts/browser
    stage python3 Tests/browser/test_inference.py "$morphic" test-artifacts/browser
    stage python3 Tests/browser/test_sweep_live.py "$morphic" test-artifacts/browser
    # The dataset's numpy arrays against its CSV tables, read with numpy and pandas.
    stage python3 Tests/examples/test_arrays.py "$morphic"
    # The numpy reference the benchmarks compare with, against the model vectors and morphic's runs.
    stage python3 Tests/benchmarks/test_numpy_reference.py "$morphic"
    # The README's shell and curl lines, in order, against a fresh copy and a server.
    stage python3 Tests/readme/test_readme.py "$morphic"
    # The Kubernetes manifests against the schemas of the version they need.
    stage python3 Tests/deploy/test_kubernetes.py
    # CITATION.cff against the Citation File Format's schema.
    stage python3 Tests/deploy/test_citation.py
}
service_lane() {
    # Generated requests for every operation of /openapi.json against the live server.
    stage bash scripts/schemathesis.sh "$morphic" 100
    # The machine-learning example on a small sweep, from a folder and from a server.
    stage python3 Tests/examples/test_baseline.py "$morphic"
    # The Dockerfile's build stage from exactly the files it copies, and its binary serving.
    stage python3 Tests/deploy/test_docker_build.py
    # The Python client, installed with pip into a fresh virtual environment, against live servers.
    stage client_tests "$morphic"
}
# `set -e` holds inside each lane: its first failing stage ends it with that status.
page_lane 2>&1 | sed -u 's/^/[page] /' &
page_pid=$!
service_lane 2>&1 | sed -u 's/^/[service] /' &
service_pid=$!
failed=()
wait "$page_pid" || failed+=(page)
wait "$service_pid" || failed+=(service)
if [ ${#failed[@]} -gt 0 ]; then
    echo "test: the ${failed[*]} lane failed; its last lines above say where (${SECONDS} s)" >&2
    exit 1
fi
echo "test: every stage passed in ${SECONDS} s" >&2

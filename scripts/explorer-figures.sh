#!/usr/bin/env bash
# The README's explorer figures: a release server over finished sweeps of 100,000 and
# 1,000,000 tiny runs, each sweep view opened in headless Chromium in light and dark mode
# (Tests/browser/explorer_figures.py). Prints the times, sizes and the server's memory;
# asserts nothing. Options go to the program (--sizes, --rounds, --keep DIR).
# Needs Chromium, chromedriver and selenium (as scripts/test.sh installs them) and about
# 2 GB of free disk for the million runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product morphic
python3 Tests/browser/explorer_figures.py .build/release/morphic "$@"

#!/usr/bin/env bash
# Retakes the screenshots of the page in docs/ from the page as it is now: runs the browser
# checks (Tests/browser/test_page.py, which saves a screenshot of each view it drives) against
# a debug build and, only when every check passed, copies over each picture README.md and
# docs/*.md show. Needs what scripts/test.sh installs (chromium, its driver, selenium, axe).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --product morphic
folder=$(mktemp -d /tmp/morphic-screenshots.XXXXXX)
trap 'rm -rf "$folder"' EXIT
python3 Tests/browser/test_page.py "$(swift build --show-bin-path)/morphic" "$folder"
for picture in $(grep -oh 'docs/[a-z0-9-]*\.png' README.md docs/*.md | sort -u); do
    cp "$folder/$(basename "$picture")" "$picture"
    echo "screenshots: $picture" >&2
done

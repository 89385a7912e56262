#!/usr/bin/env bash
# Installs what building MorphicLab needs on Debian when it is missing. Sourced by the
# other scripts; safe to run again.
set -euo pipefail

missing=()
for package in zlib1g-dev libcurl4-openssl-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: a Swift 6.2 or later toolchain is needed (https://www.swift.org/install/linux/)" >&2
        exit 1
    fi
fi
# The core holds small fixed tables inline (InlineArray, Swift 6.2).
version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -n 1)
if [ -n "$version" ]; then
    read -r major minor <<<"$version"
    if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 2 ]; }; then
        echo "setup: Swift $major.$minor found; Swift 6.2 or later is needed (https://www.swift.org/install/linux/)" >&2
        exit 1
    fi
fi

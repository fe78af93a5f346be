#!/usr/bin/env bash
# Install everything kjupyter and its tests need on a fresh Debian 12 machine (idempotent).
#   tools/setup.sh            Python package + test tools (enough for the demo and unit tests)
#   tools/setup.sh --full     also what the whole test suite needs from Debian: containerd, runc,
#                             CNI plugins and image tooling (local cluster), Chromium (browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"

if [[ "${1:-}" == "--full" ]]; then
    packages=(containerd runc containernetworking-plugins iptables iproute2 conntrack
              mmdebstrap openssl gcc libc6-dev ca-certificates procps chromium)
    missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "setup: installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
    command -v go >/dev/null || { echo "setup: Go is required to build Kubernetes (go not found)"; exit 1; }
fi

"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[dev]'

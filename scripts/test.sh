#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs them:
#   - the Debian tools the tests use (DEBIAN_PACKAGES: tshark for the dissector tests,
#     espeak-ng, flite and sox to build the call progress detection corpus),
#   - a virtual environment in .venv with ctiemu and its `test` extra,
#   - ruff, mypy and the pytest suite.
# Arguments are passed to pytest (e.g. scripts/test.sh -k codec).
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(tshark espeak-ng flite sox)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# benchmarks/ apart: its switch.py would clash with the switch package in one mypy run
.venv/bin/mypy benchmarks
.venv/bin/pytest "$@"

#!/usr/bin/env bash
# Installs the Debian 12 packages Pathwise needs. The one place the list is written. Idempotent: when every
# package is present it only asks dpkg (well under a second) and installs nothing.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ clang cmake ninja-build ccache git pkg-config clang-format
  # core
  libboost-graph-dev
  # io and CLI
  nlohmann-json3-dev libcli11-dev graphviz
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # service
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libsqlite3-dev libssl-dev
  # the metrics endpoint's HTTP server
  libcpp-httplib-dev
  # the PostgreSQL store: its client library, and the server its tests start (initdb in a temporary
  # directory; Debian puts the binaries in /usr/lib/postgresql/<version>/bin and adds a `postgres` user)
  libpqxx-dev libpq-dev postgresql
  # Python bindings and their tests (Debian's python3, not a PATH one)
  python3 python3-dev pybind11-dev python3-numpy python3-pytest python3-pandas python3-matplotlib python3-setuptools python3-pip python3-venv python3-grpcio python3-protobuf
  # the class report's browser test (headless rendering, a screenshot) and a font for its text
  chromium fonts-dejavu-core
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# System packages the test suite needs, installed from Debian when missing (CI runs as root).
set -euo pipefail
need=()
command -v go >/dev/null || { echo "Go 1.26+ is required to build the local control plane" >&2; exit 1; }
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${need[*]} (install them, or run as root)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null

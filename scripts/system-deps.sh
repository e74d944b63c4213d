#!/usr/bin/env bash
# System packages the test suite needs, installed from Debian when missing (CI runs as root):
# PostgreSQL (the persistence tests run on it too) and Chromium (browser tests).
set -euo pipefail
command -v go >/dev/null || { echo "error: Go 1.26+ is required to build the local control plane" >&2; exit 1; }
need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
command -v runuser >/dev/null || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: missing system packages: ${need[*]} (install them with apt-get, or run as root)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

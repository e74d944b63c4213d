#!/usr/bin/env bash
# System packages the test suite needs, installed from Debian when missing (CI runs as root):
# PostgreSQL (the persistence tests run on it too), Chromium (browser tests), and what the local
# cluster's real node runs on (tests/realnode/): containerd, runc, the CNI plugins, iptables,
# busybox-static (its test image) and gcc + libc6-dev (the static pause binary); podman
# (its Docker Engine API is the real engine of the Docker-host tests), the CNI dnsname plugin
# (container names resolve on podman's networks, as Docker's embedded DNS does) and
# docker-compose (the tests check that `docker-compose ps` recognises a host deploy).
set -euo pipefail
command -v go >/dev/null || { echo "error: Go 1.26+ is required to build the local control plane" >&2; exit 1; }
need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
command -v runuser >/dev/null || need+=(util-linux)
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v gcc >/dev/null || need+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
command -v podman >/dev/null || need+=(podman)
[ -x /usr/lib/cni/dnsname ] || need+=(golang-github-containernetworking-plugin-dnsname)
command -v docker-compose >/dev/null || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: missing system packages: ${need[*]} (install them with apt-get, or run as root)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

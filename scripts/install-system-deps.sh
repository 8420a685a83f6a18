#!/usr/bin/env bash
# Installs the Debian packages behind the end-to-end tests (real coturn, miniupnpd, libnice, Linux
# NATs). Without root or apt it says so and returns 0: those tests then skip (outside CI) with a reason.
set -uo pipefail
PKGS=(coturn miniupnpd miniupnpc libnice-dev libglib2.0-dev pkg-config gcc make iproute2 iptables nftables
  libnetfilter-queue-dev iperf3 socat netcat-openbsd procps openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "system packages missing (${missing[*]}), and no root/apt to install them: e2e tests will skip"
  exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
# The Debian packages start their daemons; the tests start their own instances.
for s in coturn miniupnpd; do (command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null) || service "$s" stop >/dev/null 2>&1 || true; done
pkill -x turnserver 2>/dev/null || true
pkill -x miniupnpd 2>/dev/null || true
echo "system packages installed"

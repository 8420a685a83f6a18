#!/usr/bin/env bash
# Installs the Debian packages behind the end-to-end tests (real coturn, miniupnpd, libnice, dnsmasq,
# Linux NATs) and the C compiler and libc headers that build @p2pcat/pseudotcp's optional native
# addon; with --bench also the benchmarks' extra references (Go and the pion/ice v2 sources, for
# bench/hard-nat). Without root or apt it says so and returns 0: those tests then skip (outside CI)
# with a reason, and the addon is not built (outside CI its tests then expect the JavaScript path).
#
# A guest on the machine: it never stops, kills or reconfigures a service it did not start. Packaged
# daemons are kept from starting at install time by a policy-rc.d that exists only while apt-get runs
# (and only when the machine has none of its own); the tests start their own instances.
set -uo pipefail
PKGS=(coturn miniupnpd miniupnpc libnice-dev libglib2.0-dev pkg-config gcc libc6-dev make iproute2 iptables nftables
  libnetfilter-queue-dev iperf3 socat netcat-openbsd procps openssl dnsmasq-base)
if [ "${1:-}" = "--bench" ]; then PKGS+=(golang-go golang-github-pion-ice.v2-dev); fi
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
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
  # exit 101: "action forbidden" (invoke-rc.d's policy interface), so no packaged daemon starts.
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && ours=1
fi
apt-get update -qq >/dev/null
apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
rc=$?
[ "$ours" = 1 ] && rm -f "$policy"
[ $rc -eq 0 ] && echo "system packages installed" || echo "apt-get install failed ($rc)"
exit $rc
